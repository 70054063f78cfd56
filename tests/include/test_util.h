/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The unit tests' stand-in for the KVM selftest library's test_util.h:
 * what the test's options (lib/stall_opts.c) use of it and kselftest.h.
 * The backing's functions are the unit test's own (an anonymous one), and
 * tools/include's __weak and __noreturn come from the unit build's flags.
 */
#ifndef SELFTEST_TEST_UTIL_H
#define SELFTEST_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/types.h>

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

#define DEFAULT_VM_MEM_SRC	VM_MEM_SRC_ANONYMOUS

#define ksft_print_msg(...)	printf("# " __VA_ARGS__)

#define TEST_ASSERT(cond, ...) do {			\
	if (!(cond)) {					\
		fprintf(stderr, __VA_ARGS__);		\
		abort();				\
	}						\
} while (0)

struct vm_mem_backing_src_alias {
	const char *name;
	u32 flag;
};

const struct vm_mem_backing_src_alias *vm_mem_backing_src_alias(uint32_t i);
size_t get_backing_src_pagesz(uint32_t i);

#endif /* SELFTEST_TEST_UTIL_H */
