// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM page table stall test
 *
 * Populates a guest's stage-2 (every page written by the vCPUs), then tears
 * it down on one host CPU, the test CPU, while a SCHED_FIFO probe thread on
 * that same CPU wakes from a timer at a fixed period. On arm64,
 * stage2_apply_range() (arch/arm64/kvm/mmu.c) unmaps in batches of
 * kvm_granule_size(KVM_PGTABLE_MIN_BLOCK_LEVEL) with mmu_lock write-held,
 * so preemption is off for a whole batch (1 GiB with 4K pages) and nothing
 * else runs on that CPU: not the woken thread, not softirq-driven IO.
 *
 * Each point reports the teardown's time, the probe's longest gap
 * between two wake-ups (the stall) and how long it waited for its CPU,
 * and judges that wait against the allowance, in one KTAP result. Needs
 * /dev/kvm, root (SCHED_FIFO) and free memory for the region.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>

#include "kvm_util.h"
#include "test_util.h"
#include "stall_run.h"
#include "stall_sys.h"
#include "stall_result.h"
#include "stall_opts.h"
#include "stall_sweep.h"
#include "stall_lab.h"

static void check_requirements(struct stall_params *p)
{
	/* saturating: a size near 2^64 must be the documented skip, not a wrap */
	u64 need = p->size > (UINT64_MAX - (256ULL << 20)) / 9 * 8 ? UINT64_MAX :
			p->size + p->size / 8 + (256ULL << 20);

	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	__TEST_REQUIRE(!geteuid(), "root is needed for the SCHED_FIFO probe");
	if (stall_lab()->require)
		stall_lab()->require(p);
	/* hugetlb pages are reserved beforehand, not taken from what is available */
	if (is_backing_src_hugetlb(p->src))
		return;
	__TEST_REQUIRE(stall_sys_mem_available() >= need,
		       "%lu MiB of available memory needed for -b %lu MiB, %lu MiB available",
		       (unsigned long)(need >> 20), (unsigned long)(p->size >> 20),
		       (unsigned long)(stall_sys_mem_available() >> 20));
}

/*
 * A KTAP result for the sweep: kselftest.h's counters are static, and
 * this file's are the ones ksft_finished() reads.
 */
static void ktap_result(int code, const char *name, const char *reason)
{
	if (code == KSFT_SKIP)
		ksft_test_result_code(KSFT_SKIP, name, "%s", reason);
	else
		ksft_test_result(code == KSFT_PASS, "%s\n", name);
}

int main(int argc, char *argv[])
{
	/*
	 * On the heap: large (most of a megabyte with loads) for a small
	 * stack, and in .bss it would grow the ELF image the KVM library
	 * copies into the guest's first memslot
	 */
	struct stall_params *p = calloc(1, sizeof(*p));
	/* the runner's timeout counts from the exec, the KVM library's constructor included */
	u64 start_ns = stall_run_process_start_ns();
	const char *why = NULL;

	/* each result as it comes, where the KTAP goes to a pipe or a serial console */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (stall_lab()->begin)
		stall_lab()->begin();
	TEST_ASSERT(p, "calloc() of the parameters");
	stall_opts_init(p);
	stall_opts_parse(argc, argv, p);
	stall_opts_finish(argv[0], p);
	stall_run_init(&p->run, p->run.limit_ns, start_ns);

	ksft_print_header();
	check_requirements(p);
	stall_sweep_start_probe(p);
	if (stall_lab()->start)
		stall_lab()->start(p, stall_sweep_probe_sees_held());
	stall_opts_print_setup(p, stall_sweep_probe_sees_held());
	ksft_set_plan(stall_sweep_plan(p, ktap_result));

	if (stall_lab()->sweep)
		stall_lab()->sweep(p);
	else
		stall_sweep_guest_mode(VM_MODE_DEFAULT, p);

	stall_sweep_stop_probe();
	if (stall_lab()->stop)
		why = stall_lab()->stop(p, ksft_get_pass_cnt(), ksft_get_fail_cnt(),
					ksft_get_xskip_cnt());
	if (why)
		ksft_exit_fail_msg("%s\n", why);
	stall_sweep_print_verdicts(p);
	stall_sweep_print_end(p);
	/* results lost on a full or closed stdout are a failure, not a pass */
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: writing the results to stdout: %s\n", argv[0],
			strerror(errno));
		exit(KSFT_FAIL);
	}
	ksft_finished();
}
