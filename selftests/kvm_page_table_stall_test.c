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
#ifdef STALL_LAB
#include <sys/stat.h>
#include <sys/sysmacros.h>
#endif

#include "kvm_util.h"
#include "test_util.h"
#ifdef STALL_LAB
#include "guest_modes.h"
#endif
#include "stall_run.h"
#include "stall_sys.h"
#include "stall_result.h"
#include "stall_opts.h"
#include "stall_sweep.h"
#ifdef STALL_LAB
#include "stall_irq.h"
#endif

#ifdef STALL_LAB
/*
 * Unmet requirements are skips, reported before the plan. Whether
 * /dev/kvm is KVM: the library asserts (exit 254) on a device that is not.
 */
static bool kvm_answers(void)
{
	int fd = open(KVM_DEV_PATH, O_RDWR | O_CLOEXEC), ver;

	if (fd < 0)
		return true;	/* the library's own open says why, as a skip */
	ver = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	return ver == KVM_API_VERSION;
}

/*
 * Before the KVM library's constructor: on arm64 it creates a VM to probe
 * the IPA size, and asserts where /dev/kvm is not KVM. The skip ends the
 * process at once (_exit): exit() from here aborted (SIGABRT, after the
 * skip line) in the testbed's static arm64 build.
 */
static void __attribute__((constructor(101))) stall_require_kvm(void)
{
	if (kvm_answers())
		return;
	ksft_print_header();
	printf("1..0 # SKIP %s does not answer KVM_GET_API_VERSION: not KVM\n", KVM_DEV_PATH);
	fflush(stdout);
	_exit(KSFT_SKIP);
}
#endif

static void check_requirements(struct stall_params *p)
{
#ifdef STALL_LAB
	u64 pagesz = get_backing_src_pagesz(p->src);
#endif
	/* saturating: a size near 2^64 must be the documented skip, not a wrap */
	u64 need = p->size > (UINT64_MAX - (256ULL << 20)) / 9 * 8 ? UINT64_MAX :
			p->size + p->size / 8 + (256ULL << 20);

	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	__TEST_REQUIRE(!geteuid(), "root is needed for the SCHED_FIFO probe");
#ifdef STALL_LAB
	/* hugetlb pages are reserved beforehand, not taken from what is available */
	if (is_backing_src_hugetlb(p->src)) {
		__TEST_REQUIRE(stall_sys_free_hugepages(pagesz) >= p->size / pagesz,
			       "%lu free %lu kB hugepages needed (reserve them in /sys/kernel/mm/hugepages)",
			       (unsigned long)(p->size / pagesz), (unsigned long)(pagesz >> 10));
		need = 0;
	}
#endif
	__TEST_REQUIRE(stall_sys_mem_available() >= need,
		       "%lu MiB of available memory needed for -b %lu MiB, %lu MiB available",
		       (unsigned long)(need >> 20), (unsigned long)(p->size >> 20),
		       (unsigned long)(stall_sys_mem_available() >> 20));
#ifdef STALL_LAB
	if (p->src == VM_MEM_SRC_ANONYMOUS_THP)
		__TEST_REQUIRE(stall_sys_thp_enabled(), "transparent hugepages are disabled");
#endif
}

#ifdef STALL_LAB
/*
 * One run per test CPU: two would measure each other and pass or fail
 * without saying why.
 */
static void claim_resources(struct stall_params *p)
{
	char name[64];
	int ret;
	struct stat st;
	dev_t dev;
	int i;

	snprintf(name, sizeof(name), "kvm-stall-cpu-%d", p->test_cpu);
	ret = stall_sys_claim(name);
	__TEST_REQUIRE(ret != -EADDRINUSE,
		       "another run uses test CPU %d: run them one after another, or on another -c",
		       p->test_cpu);
	/* and one blk load per disk */
	for (i = 0; i < p->nr_loads; i++) {
		if (strcmp(p->loads[i].kind->name, "blk") || stat(p->blk_dir, &st))
			continue;
		dev = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
		snprintf(name, sizeof(name), "kvm-stall-disk-%u:%u", major(dev), minor(dev));
		__TEST_REQUIRE(stall_sys_claim(name) != -EADDRINUSE,
			       "another run's blk load uses the disk under %s", p->blk_dir);
		break;
	}
}

/*
 * Every run repairs what a killed run left steered, whatever its own
 * options; only a -P irq run steers, and only one at a time.
 */
static void claim_irqs(struct stall_params *p)
{
	int ret;

	if (stall_irq_recover_stale())
		ksft_print_msg("restored IRQ affinities left by an interrupted run\n");
	if (!p->steer)
		return;
	ret = stall_irq_claim();
	__TEST_REQUIRE(ret != -EBUSY,
		       "another run steers interrupts (-P irq); run them one after another");
	__TEST_REQUIRE(!ret, "IRQ state file: %s", strerror(-ret));
}
#endif

#ifdef STALL_LAB
/*
 * Kernel-side measurement where tracefs has kprobe events; said once
 * where it does not, and the probe alone judges.
 */
static void start_trace(struct stall_params *p)
{
	char fns[320];

	if (stall_trace_recover_stale())
		ksft_print_msg("removed tracefs probes left by an interrupted run\n");
	p->have_trace = !stall_trace_start(p->test_cpu, p->trace_why, sizeof(p->trace_why));
	if (!p->have_trace) {
		ksft_print_msg("kernel-side measurement unavailable: %s; %s\n",
			       p->trace_why, "verdicts from the probe alone");
		return;
	}
	stall_trace_describe(fns, sizeof(fns));
	ksft_print_msg("kernel-side measurement: kprobe events on %s\n", fns);
}
#endif

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
#ifdef STALL_LAB
	int ret;
#endif

	/* each result as it comes, where the KTAP goes to a pipe or a serial console */
	setvbuf(stdout, NULL, _IOLBF, 0);
#ifdef STALL_LAB
	stall_sys_catch_signals();
#endif
	TEST_ASSERT(p, "calloc() of the parameters");
	stall_opts_init(p);
#if defined(STALL_LAB) && !defined(__aarch64__)
	/*
	 * arm64's kvm_selftest_arch_init() has probed the modes already, with
	 * a VM of the host's largest IPA size; 6.19+ destroys a VM in steps of
	 * the smallest block across its whole IPA space (2^27 steps for 52
	 * bits with 16K pages, over a minute under QEMU TCG): not twice.
	 */
	guest_modes_append_default();
#endif
	stall_opts_parse(argc, argv, p);
	stall_opts_finish(argv[0], p);
	stall_run_init(&p->run, p->run.limit_ns, start_ns);

	ksft_print_header();
	check_requirements(p);
#ifdef STALL_LAB
	claim_resources(p);
	claim_irqs(p);
#endif
	stall_sweep_start_probe(p);
#ifdef STALL_LAB
	start_trace(p);
#endif
	stall_opts_print_setup(p, stall_sweep_probe_sees_held());
#ifdef STALL_LAB
	stall_results_begin(p->results_path, p, stall_sweep_probe_sees_held());
#endif
	ksft_set_plan(stall_sweep_plan(p, ktap_result));

#ifdef STALL_LAB
	for_each_guest_mode(stall_sweep_guest_mode, p);
#else
	stall_sweep_guest_mode(VM_MODE_DEFAULT, p);
#endif

	stall_sweep_stop_probe();
#ifdef STALL_LAB
	stall_trace_stop();
	stall_irq_restore_all();
	ret = stall_results_finish(ksft_get_pass_cnt(), ksft_get_fail_cnt(),
				   ksft_get_xskip_cnt());
	if (ret)
		/* a file that cannot be written fails the run */
		ksft_exit_fail_msg("results file %s: %s\n", p->results_path, strerror(-ret));
#endif
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
