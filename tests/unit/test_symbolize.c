/* The pclntab reader on a hand-made ELF file (tests/fuzz/regress/elf-gopclntab,
 * written by tests/fuzz/make_elf_seed.py): two functions of 16 bytes at
 * 0x401000, both at a.go:10; the GNU build id; the load address; the same
 * without section headers; and damaged
 * copies of it, which must give nothing rather than garbage or a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hearth/symbolize.h"

static uint8_t seed[4096];
static size_t nseed;

static void load_seed(void)
{
	if (nseed)
		return;
	FILE *f = fopen("tests/fuzz/regress/elf-gopclntab", "rb");
	assert_non_null(f);
	nseed = fread(seed, 1, sizeof(seed), f);
	fclose(f);
	assert_true(nseed > 64);
}

static void test_pclntab(void **state)
{
	(void)state;
	load_seed();
	hearth_objfile *f;
	hearth_errbuf eb;
	assert_int_equal(hearth_objfile_open_mem(seed, nseed, &f, &eb), HEARTH_OK);
	assert_string_equal(hearth_objfile_build_id(f), "0102030405060708");
	uint64_t load;
	assert_true(hearth_objfile_load_address(f, &load));
	assert_int_equal(load, 0x400000);
	hearth_frame fr[2];
	assert_int_equal(hearth_objfile_source_line(f, 0x401000, fr, 2), 1);
	assert_int_equal(fr[0].func_len, 6);
	assert_memory_equal(fr[0].func, "main.a", 6);
	assert_memory_equal(fr[0].file, "a.go", 4);
	assert_int_equal(fr[0].line, 10);
	assert_int_equal(hearth_objfile_source_line(f, 0x40101f, fr, 2), 1);
	assert_memory_equal(fr[0].func, "main.b", 6);
	assert_int_equal(hearth_objfile_source_line(f, 0x401020, fr, 2), 0);
	assert_int_equal(hearth_objfile_source_line(f, 0x400fff, fr, 2), 0);
	hearth_objfile_close(f);
}

/* Without section headers the table is found by its magic, and .text's
 * address comes from the table's header. */
static void test_no_section_headers(void **state)
{
	(void)state;
	load_seed();
	uint8_t copy[4096];
	memcpy(copy, seed, nseed);
	memset(copy + 0x28, 0, 8); /* e_shoff */
	memset(copy + 0x3c, 0, 4); /* e_shnum, e_shstrndx */
	hearth_objfile *f;
	hearth_errbuf eb;
	assert_int_equal(hearth_objfile_open_mem(copy, nseed, &f, &eb), HEARTH_OK);
	hearth_frame fr[2];
	assert_int_equal(hearth_objfile_source_line(f, 0x401010, fr, 2), 1);
	assert_memory_equal(fr[0].func, "main.b", 6);
	assert_int_equal(fr[0].line, 10);
	hearth_objfile_close(f);
}

static void test_damaged(void **state)
{
	(void)state;
	load_seed();
	uint8_t copy[4096];
	/* Every byte set to 0xff in turn, and every truncation. */
	for (size_t i = 0; i < nseed; i++) {
		memcpy(copy, seed, nseed);
		copy[i] = 0xff;
		for (int t = 0; t < 2; t++) {
			hearth_objfile *f;
			hearth_errbuf eb;
			size_t n = t ? i : nseed;
			if (hearth_objfile_open_mem(copy, n, &f, &eb) != HEARTH_OK)
				continue;
			hearth_frame fr[2];
			for (uint64_t a = 0x400ff0; a < 0x401030; a++)
				if (hearth_objfile_source_line(f, a, fr, 2) == 1)
					assert_true(fr[0].func_len < 4096 && fr[0].file_len < 4096);
			hearth_objfile_close(f);
		}
	}
}

static void test_not_elf(void **state)
{
	(void)state;
	hearth_objfile *f;
	hearth_errbuf eb;
	assert_int_equal(hearth_objfile_open_mem("\177ELF", 4, &f, &eb), HEARTH_EFORMAT);
	assert_int_equal(hearth_objfile_open_mem("hello", 5, &f, &eb), HEARTH_EFORMAT);
	assert_false(hearth_is_elf_file("tests/unit/test_symbolize.c"));
	assert_false(hearth_is_elf_file("/nonexistent"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pclntab),
		cmocka_unit_test(test_no_section_headers),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_not_elf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
