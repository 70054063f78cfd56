/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the stall suite's libFuzzer targets share.
 */
#ifndef SELFTEST_KVM_STALL_FUZZ_H
#define SELFTEST_KVM_STALL_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

/* A broken promise of a parser is a finding: abort, and libFuzzer keeps the input. */
#define FUZZ_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz: %s violated\n", #cond);	\
			abort();					\
		}							\
	} while (0)

/*
 * libFuzzer's entry points, under kernel-style names: the link maps
 * them (--defsym, see the Makefile) onto the names libFuzzer calls.
 */
int stall_fuzz_one_input(const unsigned char *data, size_t size);
int stall_fuzz_init(int *argc, char ***argv);

/* the C library's exit(), under -Wl,--wrap=exit */
void __real_exit(int status);

#endif /* SELFTEST_KVM_STALL_FUZZ_H */
