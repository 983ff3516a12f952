/* libFuzzer target: the bytes as x86 code read as Go's decoder reads it
 * (lib/report/goasm.c), in 64-bit and 32-bit mode, and as arm64 code
 * (lib/report/goasm_arm64.c), instruction after instruction, with a few
 * symbols over the range so that targets and data get names. */
#include <capstone/capstone.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "report/goasm.h"

static void run(cs_mode mode, const uint8_t *data, size_t size)
{
	csh cs;
	if (cs_open(CS_ARCH_X86, mode, &cs) != CS_ERR_OK)
		return;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	hearth_goasm_sym sv[3] = {{0x1000, 16, "a", 0}, {0x1010, 0, "b", 1}, {0x1010, 64, "c", 2}};
	hearth_goasm_syms syms = {sv, 3, 3};
	hearth_goasm g = {.cs = cs, .mode32 = mode == CS_MODE_32, .syms = &syms};
	g.insn = cs_malloc(cs);
	g.insn2 = cs_malloc(cs);
	hearth_buf out = {0};
	if (g.insn && g.insn2) {
		for (size_t off = 0; off < size;) {
			size_t t = out.len;
			uint32_t n =
			    hearth_goasm_x86(&g, data + off, size - off, 0x1000 + off, &out);
			if (n > size - off)
				__builtin_trap(); /* never more than there is */
			if (!n) {
				if (out.len != t)
					__builtin_trap(); /* nothing written for "?" */
				n = 1;
			}
			off += n;
			out.len = 0;
		}
	}
	hearth_buf_free(&out);
	if (g.insn)
		cs_free(g.insn, 1);
	if (g.insn2)
		cs_free(g.insn2, 1);
	cs_close(&cs);
}

static void run_arm64(const uint8_t *data, size_t size)
{
	csh cs;
	if (cs_open(CS_ARCH_ARM64, CS_MODE_LITTLE_ENDIAN, &cs) != CS_ERR_OK)
		return;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	hearth_goasm_sym sv[3] = {{0x1000, 16, "a", 0}, {0x1010, 0, "b", 1}, {0x1010, 64, "c", 2}};
	hearth_goasm_syms syms = {sv, 3, 3};
	hearth_goasm g = {.cs = cs, .syms = &syms};
	g.insn = cs_malloc(cs);
	hearth_buf out = {0};
	for (size_t off = 0; g.insn && off < size; off += 4) {
		uint32_t n = hearth_goasm_arm64(&g, data + off, size - off, 0x1000 + off, &out);
		if (n != 0 && (n != 4 || size - off < 4))
			__builtin_trap(); /* one word, and only a whole one */
		if (!n && out.len)
			__builtin_trap(); /* nothing written for "?" */
		out.len = 0;
	}
	hearth_buf_free(&out);
	if (g.insn)
		cs_free(g.insn, 1);
	cs_close(&cs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024)
		return 0;
	run(CS_MODE_64, data, size);
	run(CS_MODE_32, data, size);
	run_arm64(data, size);
	return 0;
}
