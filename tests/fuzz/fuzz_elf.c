/* libFuzzer target: the bytes as an ELF file for the symbolizer (section
 * headers, notes, program headers, the Go pclntab found by name or by its
 * magic, DWARF), then lookups of addresses in and around its code. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hearth/symbolize.h"

static void look(hearth_objfile *f, uint64_t addr)
{
	hearth_frame fr[4];
	int n = hearth_objfile_source_line(f, addr, fr, 4);
	for (int k = 0; k < n; k++) {
		/* Touch every byte of the strings handed out. */
		volatile size_t sum = 0;
		for (size_t i = 0; i < fr[k].func_len; i++)
			sum += (unsigned char)fr[k].func[i];
		for (size_t i = 0; i < fr[k].file_len; i++)
			sum += (unsigned char)fr[k].file[i];
		(void)sum;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hearth_objfile *f = NULL;
	hearth_errbuf eb;
	if (hearth_objfile_open_mem(data, size, &f, &eb) != HEARTH_OK)
		return 0;
	(void)strlen(hearth_objfile_build_id(f));
	uint64_t load = 0x400000;
	hearth_objfile_load_address(f, &load);
	for (uint64_t i = 0; i < 64; i++) {
		look(f, load + i * 7);
		look(f, 0x401000 + i * 3);
	}
	/* Addresses the input chooses: its last words. */
	for (size_t off = size >= 64 ? size - 64 : 0; off + 8 <= size; off += 8) {
		uint64_t a;
		memcpy(&a, data + off, 8);
		look(f, a);
	}
	look(f, 0);
	look(f, UINT64_MAX);
	hearth_objfile_close(f);
	return 0;
}
