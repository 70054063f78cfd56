// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for kvm_page_table_stall_test's command line: the
 * test's own stall_opts_parse() and stall_opts_finish(), linked with the
 * test's source, its main() renamed. The input is split at NUL and newline
 * bytes into arguments. A usage error ends in exit(), which the link wraps
 * (-Wl,--wrap=exit) into a jump back here; a command line that parses
 * must leave the values the rest of the test relies on, or abort.
 */
#include <math.h>
#include <setjmp.h>

#define main stall_test_main
#include "../../selftests/kvm_page_table_stall_test.c"
#undef main

#include "stall_fuzz.h"

#define FUZZ_MAX_ARGS	32

static jmp_buf fuzz_exit_jmp;
static bool fuzz_parsing;
static int fuzz_exit_status;

/* The wrap covers libFuzzer's own exit() too: only the test's jumps back. */
void __wrap_exit(int status)
{
	if (!fuzz_parsing)
		__real_exit(status);
	fuzz_parsing = false;
	fuzz_exit_status = status;
	longjmp(fuzz_exit_jmp, 1);
}

static void fuzz_check_params(const struct stall_params *p)
{
	int i;

	FUZZ_CHECK(p->nr_vcpus >= 1 && p->nr_vcpus <= STALL_VM_MAX_VCPUS);
	FUZZ_CHECK(p->test_cpu >= 0 && stall_sys_cpu_allowed(p->test_cpu));
	FUZZ_CHECK(p->modes && !(p->modes >> stall_nr_modes));
	FUZZ_CHECK(p->nr_batch >= 1 && p->nr_batch <= STALL_MAX_LIST);
	for (i = 0; i < p->nr_batch; i++)
		FUZZ_CHECK(p->batch[i] == STALL_BATCH_ALL ||
			   (p->batch[i] && !(p->batch[i] % getpagesize())));
	FUZZ_CHECK(p->period_ns >= 10000 && p->period_ns <= 100000000);
	FUZZ_CHECK(p->baseline_ns >= 10000000 && p->baseline_ns <= 60000000000ULL);
	FUZZ_CHECK(p->reps >= 1 && p->reps <= STALL_MAX_REPS);
	FUZZ_CHECK(isfinite(p->budget.step_ratio) && p->budget.step_ratio >= 0);
	FUZZ_CHECK(p->budget.tier >= 0 && p->budget.tier < STALL_NR_TIERS);
	FUZZ_CHECK(isfinite(p->budget.time_ratio) && p->budget.time_ratio >= 0);
	FUZZ_CHECK(isfinite(p->budget.max_dip) && p->budget.max_dip >= 0 &&
		   p->budget.max_dip <= 1);
	FUZZ_CHECK(p->window_ns >= 1000000 && p->window_ns <= 10000000000ULL);
	FUZZ_CHECK(p->nr_loads >= 0 && p->nr_loads <= STALL_LOAD_MAX);
	FUZZ_CHECK(p->size && !(p->size % get_backing_src_pagesz(p->src)));
}

int stall_fuzz_init(int *argc, char ***argv)
{
	guest_modes_append_default();
	return 0;
}

int stall_fuzz_one_input(const unsigned char *data, size_t size)
{
	static struct stall_params p;
	char *argv[FUZZ_MAX_ARGS + 2], *buf;
	int argc = 1, i;
	size_t at;

	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "kvm_page_table_stall_test";
	for (at = 0; at <= size && argc <= FUZZ_MAX_ARGS; at++) {
		argv[argc++] = buf + at;
		at += strcspn(buf + at, "\n");
		buf[at] = '\0';
	}
	argv[argc] = NULL;

	stall_opts_init(&p);
	optind = 0;
	opterr = 0;
	if (!setjmp(fuzz_exit_jmp)) {
		fuzz_parsing = true;
		stall_opts_parse(argc, argv, &p);
		stall_opts_finish(argv[0], &p);
		fuzz_parsing = false;
		fuzz_check_params(&p);
	} else {
		/* -h exits 0; every refusal is a usage error (1), never a crash */
		FUZZ_CHECK(fuzz_exit_status == KSFT_PASS || fuzz_exit_status == KSFT_FAIL);
	}
	for (i = 0; i < p.nr_loads; i++)
		stall_load_free(&p.loads[i]);
	free(buf);
	return 0;
}
