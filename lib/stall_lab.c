// SPDX-License-Identifier: GPL-2.0-only
/*
 * The lab kit's part of kvm_page_table_stall_test: the options the series
 * leaves out, the guest modes (-m), what the lab's options require and
 * claim, the kernel-side measurement, the probe's latency figures, the
 * testbed's progress lines and the results file (-j). Linked in, it
 * defines stall_lab_ops (stall_lab.h), through which the test calls it;
 * the series' build has no such object. The "# point" line's keys are
 * stall_lab_report.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/types.h>

#include "kvm_util.h"
#include "test_util.h"
#include "guest_modes.h"
#include "stall_blkdev.h"
#include "stall_budget.h"
#include "stall_irq.h"
#include "stall_json.h"
#include "stall_parse.h"
#include "stall_sys.h"
#include "stall_result.h"
#include "stall_opts.h"
#include "stall_sweep.h"
#include "stall_lab_kit.h"

#define US(ns)		STALL_US(ns)
#define TIME_RATIO_WHAT	"time ratio (-T, 0 or 1-1000000)"

static const char *fmt_size(u64 bytes, char *buf)
{
	return stall_fmt_size(bytes, buf, 16);
}

static void __noreturn usage_error(char *name, const char *what, const char *val)
{
	stall_parse_value_msg(name, what, val, -EINVAL, NULL);
	exit(KSFT_FAIL);
}

/* A duration with its unit, from @min to @max ns, as the test's own options take it. */
static u64 parse_duration(char *prog, const char *what, const char *arg, u64 min, u64 max)
{
	int ret;
	u64 ns;

	ret = stall_parse_duration(arg, &ns);
	if (ret) {
		stall_parse_value_msg(prog, what, arg, ret, STALL_DURATION_UNITS);
		exit(KSFT_FAIL);
	}
	if (ns < min || ns > max)
		usage_error(prog, what, arg);
	return ns;
}

static double parse_ratio(char *prog, const char *what, const char *arg, double max)
{
	double v;

	if (stall_parse_ratio(arg, max, &v))
		usage_error(prog, what, arg);
	return v;
}

static void opt_guest_mode(char *prog, const char *arg, struct stall_params *p)
{
	char *end, mode[24];
	long m = strtol(arg, &end, 10);

	if (*arg < '0' || *arg > '9' || *end || m >= NUM_VM_MODES || !guest_modes[m].supported)
		usage_error(prog, "or unsupported guest mode", arg);
	/* the library reads "09" as bad octal, and asserts */
	snprintf(mode, sizeof(mode), "%ld", m);
	guest_modes_cmdline(mode);
	p->mode_given = true;
}

static void help_guest_modes(void)
{
	guest_modes_help();
	printf("     (here the default is the library's default mode alone)\n");
}

static void opt_backing(char *prog, const char *arg, struct stall_params *p)
{
	int i;

	for (i = 0; i < NUM_SRC_TYPES; i++)
		if (!strcmp(arg, vm_mem_backing_src_alias(i)->name))
			break;
	if (i == NUM_SRC_TYPES)
		usage_error(prog, "backing source type (-s)", arg);
	p->src = i;
}

static void help_backing(void)
{
	backing_src_help("-s");
}

static void opt_time_ratio(char *prog, const char *arg, struct stall_params *p)
{
	/* below 1, even the fastest batch would be over its own budget */
	p->budget.time_ratio = parse_ratio(prog, TIME_RATIO_WHAT, arg, 1e6);
	if (p->budget.time_ratio > 0.0 && p->budget.time_ratio < 1.0)
		usage_error(prog, TIME_RATIO_WHAT, arg);
}

static void opt_tier(char *prog, const char *arg, struct stall_params *p)
{
	int t = stall_tier_parse(arg);

	if (t < 0)
		usage_error(prog, "budget tier (-S: regression, target)", arg);
	p->budget.tier = t;
}

static void opt_step_ratio(char *prog, const char *arg, struct stall_params *p)
{
	p->budget.step_ratio = parse_ratio(prog, "step ratio (-R, 0-1000000)", arg, 1e6);
}

/* -L: what an earlier -L allocated is freed; the test's parser does the rest */
static void opt_loads(char *prog, const char *arg, struct stall_params *p)
{
	while (p->nr_loads)
		stall_load_free(&p->loads[--p->nr_loads]);
	stall_opts_loads(prog, arg, p);
}

static void opt_period(char *prog, const char *arg, struct stall_params *p)
{
	p->period_ns = parse_duration(prog, "probe period (-i, 10us-100ms)", arg, 10000,
				      100000000);
	p->period_arg = arg;
}

static void opt_baseline(char *prog, const char *arg, struct stall_params *p)
{
	p->baseline_ns = parse_duration(prog, "baseline window (-w, 10ms-60s)", arg, 10000000,
					60000000000ULL);
}

static void opt_node(char *prog, const char *arg, struct stall_params *p)
{
	long l = -1;

	/* -1, or a node number as strict as a CPU number */
	if ((strcmp(arg, "-1") && stall_parse_cpu(arg, &l)) || l >= stall_sys_nr_nodes())
		usage_error(prog, "NUMA node (-n)", arg);
	p->node = l;
}

static void opt_placement(char *prog, const char *arg, struct stall_params *p)
{
	if (strcmp(arg, "cpu") && strcmp(arg, "irq"))
		usage_error(prog, "load placement (-P cpu|irq)", arg);
	p->steer = !strcmp(arg, "irq");
}

static void opt_blk_dir(char *prog, const char *arg, struct stall_params *p)
{
	p->blk_dir = arg;
}

static void opt_dip(char *prog, const char *arg, struct stall_params *p)
{
	p->budget.max_dip = parse_ratio(prog, "throughput dip (-Q, 0-100 percent)", arg,
					100.0) / 100.0;
}

static void opt_window(char *prog, const char *arg, struct stall_params *p)
{
	p->window_ns = parse_duration(prog, "throughput window (-W, 1ms-10s)", arg, 1000000,
				      10000000000ULL);
}

static void opt_results(char *prog, const char *arg, struct stall_params *p)
{
	p->results_path = arg;
}

/*
 * Each after the test's option it follows in -h; -L and -d, whose parsers
 * are the test's, with the lab kit's text in place of the test's.
 */
static const struct stall_lab_opt lab_opts[] = {
	{ 'h', { 'm', "mode", NULL, help_guest_modes, opt_guest_mode } },
	{ 'v', { 's', "mem-type", NULL, help_backing, opt_backing } },
	{ 'l', { 'T', "ratio",
		 "teardown time budget as a ratio to the mode's fastest batch, 0 = off\n"
		 "     (default: 0)", NULL, opt_time_ratio } },
	{ 'l', { 'S', "tier",
		 "budget tier where the kernel is measured from the inside: regression\n"
		 "     (one hold of the CPU may cover one largest-block step of stage-2 work,\n"
		 "     as mainline promises: 1G with 4K pages) or target (one smallest-block\n"
		 "     step, the 2024 proposal: 2M with 4K pages) (default: regression)",
		 NULL, opt_tier } },
	{ 'l', { 'R', "ratio",
		 "a hold may also last this many times one step's typical time, 0 = no\n"
		 "     time rule (default: 8)", NULL, opt_step_ratio } },
	{ 0, { 'L', "loads",
	       "IO loads run through each point, comma-separated,\n"
	       "     each NAME[:key=value...]:", NULL, opt_loads } },
	{ 0, { 'd', "time-budget",
	       "time budget of the whole run, e.g. 300s; points that would not fit\n"
	       "     are skipped; 0 = none (default: the kselftest timeout, from the\n"
	       "     runner or the settings file next to the test, else 120s)", NULL, NULL } },
	{ 'd', { 'i', "period", "probe period, e.g. 100us (default: 100us)", NULL, opt_period } },
	{ 'd', { 'w', "baseline",
		 "baseline window before each operation, e.g. 200ms (default: 200ms)",
		 NULL, opt_baseline } },
	{ 'd', { 'n', "node",
		 "NUMA node for guest memory, -1 for no binding (default: the test CPU's)",
		 NULL, opt_node } },
	{ 'd', { 'P', "cpu|irq",
		 "load placement: cpu (threads on the test CPU) or irq (device\n"
		 "     interrupts steered to the test CPU, threads elsewhere) (default: cpu)",
		 NULL, opt_placement } },
	{ 'd', { 'D', "dir",
		 "directory for the blk load's file, on the disk to load (default: .)",
		 NULL, opt_blk_dir } },
	{ 'd', { 'Q', "dip",
		 "throughput dip budget, percent below the baseline median (default: 90)",
		 NULL, opt_dip } },
	{ 'd', { 'W', "window", "throughput window, e.g. 10ms (default: 10ms)", NULL,
		 opt_window } },
	{ 'd', { 'j', "results.json",
		 "also write every point and repetition, with the environment, as JSON\n"
		 "     (schema: docs/results-file.md), once the run ends", NULL, opt_results } },
};

/*
 * Its signal handlers, which put back what it changes; and where the KVM
 * library has not probed the guest modes, the default one.
 */
static void lab_begin(void)
{
	stall_sys_catch_signals();
#ifndef __aarch64__
	/*
	 * arm64's kvm_selftest_arch_init() has probed the modes already, with
	 * a VM of the host's largest IPA size; 6.19+ destroys a VM in steps of
	 * the smallest block across its whole IPA space (2^27 steps for 52
	 * bits with 16K pages, over a minute under QEMU TCG): not twice.
	 */
	guest_modes_append_default();
#endif
}

/* The lab's options' defaults. */
static void lab_init(struct stall_params *p)
{
	p->node = -2;
	p->budget.time_ratio = STALL_DEFAULT_TIME_RATIO;
	p->budget.step_ratio = STALL_DEFAULT_STEP_RATIO;
	p->budget.tier = STALL_TIER_REGRESSION;
	p->window_ns = STALL_LOAD_DEFAULT_WINDOW_NS;
	p->blk_dir = ".";
}

/*
 * A block device for the blk load is refused before anything runs when
 * something else may be using it, or it carries a signature the user did
 * not declare scratch; the load checks again when it opens it.
 */
static void check_scratch_device(char *prog, struct stall_load *l)
{
	struct stat st;
	char why[160];

	if (strcmp(l->kind->name, "blk") || stat(l->dir, &st) || !S_ISBLK(st.st_mode))
		return;
	if (stall_blkdev_in_use(l->dir, why, sizeof(why)) ||
	    (!l->scratch && stall_blkdev_signature(l->dir, why, sizeof(why)))) {
		fprintf(stderr, "%s: refusing -D %s: %s\n", prog, l->dir, why);
		exit(KSFT_FAIL);
	}
}

static void check_results_path(char *prog, const char *path)
{
	struct stat st;
	int ret;

	if (!path[0] || (!stat(path, &st) && S_ISDIR(st.st_mode)))
		usage_error(prog, "results file (-j: a file, not a directory)", path);
	ret = stall_json_check_dest(path);
	if (ret) {
		fprintf(stderr, "%s: cannot write the results file '%s': %s\n", prog, path,
			strerror(-ret));
		exit(KSFT_FAIL);
	}
}

/* -P irq: the loads' threads go round-robin on up to 64 other CPUs */
static void pick_other_cpus(struct stall_params *p)
{
	p->nr_other_cpus = p->steer ? stall_sys_pick_cpus(p->test_cpu, p->other_cpus, 64) : 0;
	if (p->nr_other_cpus > 64)
		p->nr_other_cpus = 64;
	if (p->nr_other_cpus <= 0) {
		p->other_cpus[0] = p->test_cpu;
		p->nr_other_cpus = 1;
	}
}

/* What the lab's options need of each other, found out before the sweep. */
static void lab_finish(char *prog, struct stall_params *p)
{
	struct stat st;
	int i;

	if (!p->mode_given)
		for (i = 0; i < NUM_VM_MODES; i++)
			guest_modes[i].enabled = i == VM_MODE_DEFAULT;
	if (p->node == -2)
		p->node = stall_sys_cpu_node(p->test_cpu);
	pick_other_cpus(p);
	if (stat(p->blk_dir, &st) || !(S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)))
		usage_error(prog, "directory or block device (-D)", p->blk_dir);
	/* -W, -D */
	for (i = 0; i < p->nr_loads; i++) {
		p->loads[i].window_ns = p->window_ns;
		p->loads[i].dir = p->blk_dir;
		check_scratch_device(prog, &p->loads[i]);
	}
	/* found out now, not after an hour of sweep */
	if (p->results_path)
		check_results_path(prog, p->results_path);
	/* a baseline shorter than the probe's period measures no gap at all */
	if (p->period_ns * 10 > p->baseline_ns)
		usage_error(prog, "probe period (-i, at most a tenth of the -w baseline)",
			    p->period_arg ? p->period_arg : "");
}

/* the setup's first line: where the guest's memory is */
static void lab_print_cpu(struct stall_params *p)
{
	int node = stall_sys_cpu_node(p->test_cpu);

	printf(" on node %d of %d; guest memory %s", node, stall_sys_nr_nodes(),
	       p->node < 0 ? "not bound" : p->node == node ?
	       "bound to the test CPU's node" : "bound to another node");
}

/* the granule's line: the stage-2 unmap batch to expect */
static void lab_print_granule(void)
{
	u64 expect = stall_report_expected_batch();
	char ks[16];

	if (!expect)
		printf("; not arm64: no stage2_apply_range() batch to expect");
	else
		printf(", stage-2 unmap batch expected %s (%s)", fmt_size(expect, ks),
		       stall_report_expected_batch_source());
}

/* Which tier judges and what its step is, and what a verdict here does not say. */
static void lab_print_budget(struct stall_params *p)
{
	enum stall_tier t = p->budget.tier;
	char ts[16], as[16];

	ksft_print_msg("budget tier %s: a hold of the CPU may cover one %s step of %s (%s: %s)\n",
		       stall_tier_names[t], fmt_size(stall_tier_step(t, getpagesize()), ts),
		       "stage-2 work", stall_tier_names[!t],
		       fmt_size(stall_tier_step(!t, getpagesize()), as));
	ksft_print_msg("step time ratio %.1f\n", p->budget.step_ratio);
	if (!p->have_trace)
		ksft_print_msg("no kernel-side measurement: the tiers cannot apply, the %s\n",
			       "allowance judges the probe's wait alone");
}

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

/* What -s requires: hugetlb pages reserved beforehand, THP enabled. */
static void require_backing(struct stall_params *p)
{
	u64 pagesz = get_backing_src_pagesz(p->src);

	if (is_backing_src_hugetlb(p->src))
		__TEST_REQUIRE(stall_sys_free_hugepages(pagesz) >= p->size / pagesz,
			       "%lu free %lu kB hugepages needed (reserve them in /sys/kernel/mm/hugepages)",
			       (unsigned long)(p->size / pagesz), (unsigned long)(pagesz >> 10));
	if (p->src == VM_MEM_SRC_ANONYMOUS_THP)
		__TEST_REQUIRE(stall_sys_thp_enabled(), "transparent hugepages are disabled");
}

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

static void lab_require(struct stall_params *p)
{
	require_backing(p);
	claim_resources(p);
	claim_irqs(p);
}

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

static void lab_start(struct stall_params *p, bool sees_held)
{
	start_trace(p);
	stall_results_begin(p->results_path, p, sees_held);
}

/* " guest_mode=N" in result names when more than one -m mode runs */
static char guest_mode_tag[24];

static int nr_guest_modes(void)
{
	int i, n = 0;

	for (i = 0; i < NUM_VM_MODES; i++)
		n += guest_modes[i].enabled && guest_modes[i].supported;
	return n;
}

static void lab_guest_mode(enum vm_guest_mode gmode, void *arg)
{
	/* with several -m modes, the mode keeps each result's name unique */
	if (nr_guest_modes() > 1)
		snprintf(guest_mode_tag, sizeof(guest_mode_tag), " guest_mode=%d", gmode);
	stall_sweep_guest_mode(gmode, arg);
}

static void lab_sweep(struct stall_params *p)
{
	for_each_guest_mode(lab_guest_mode, p);
}

static const char *lab_name_tag(struct stall_params *p)
{
	return guest_mode_tag;
}

/*
 * Progress on stderr, outside the KTAP, where KVM_STALL_PROGRESS is set:
 * the testbed sets it and shows these lines while the emulated machine
 * runs, for points that take minutes there.
 */
static int progress_point, progress_points;

static __printf(1, 2) void progress(const char *fmt, ...)
{
	static int enabled = -1;
	va_list ap;

	if (enabled < 0)
		enabled = getenv("KVM_STALL_PROGRESS") && getenv("KVM_STALL_PROGRESS")[0];
	if (!enabled)
		return;
	fputs("STALL-PROGRESS ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int lab_plan(struct stall_params *p, int points)
{
	progress_points = points * nr_guest_modes();
	return progress_points;
}

/* ASan's shadow is terabytes of reserved memory that mlockall would fault in */
#if defined(__SANITIZE_ADDRESS__)
#define STALL_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STALL_ASAN	1
#endif
#endif
#ifndef STALL_ASAN
#define STALL_ASAN	0
#endif

/* The windows' latency histograms, and deep C-states kept off. */
static bool lab_probe_started(struct stall_window **w, int n)
{
	int i;

	for (i = 0; i < n; i++)
		TEST_ASSERT(!stall_window_init(w[i]), "probe histograms");
	if (stall_sys_hold_dma_latency() < 0)
		ksft_print_msg("/dev/cpu_dma_latency unavailable: deep C-states may add latency\n");
	return !STALL_ASAN;
}

/* -P irq: the threads on the other CPUs, the interrupts on the test CPU */
static bool lab_start_loads(struct stall_params *p)
{
	if (!p->steer)
		return false;
	stall_loads_start(p->loads, p->nr_loads, p->other_cpus, p->nr_other_cpus);
	stall_loads_place_irqs(p->loads, p->nr_loads, p->test_cpu);
	return true;
}

static void lab_point_begin(struct stall_params *p, struct stall_point *pt,
			    struct stall_result *res)
{
	progress_point++;
	pt->populate_timeout_ns = 1800ULL * 1000000000ULL;
	pt->cfg.node = p->node;
	pt->cfg.nr_slots = stall_point_nr_slots(pt->mode, p->size, stall_point_batch_bytes(pt));
	res->k.longest.fn = -1;
}

static void lab_rep_begin(const struct stall_point *pt, const struct stall_result *res, int rep,
			  int runs)
{
	char bs[16];

	progress("point %d of %d: %s batch=%s, repetition %d of %d%s",
		 progress_point, progress_points, pt->mode->name,
		 pt->mode->batched ? fmt_size(res->batch, bs) : "n/a", rep + 1,
		 res->nr_reps, runs ? " (again: the machine was noisy)" : "");
}

static void lab_teardown_begin(struct stall_params *p)
{
	TEST_ASSERT(!p->have_trace || !stall_trace_begin(), "enabling the kprobe events");
}

/* The kernel's calls in the teardown's window @w, and the probe's latencies. */
static void lab_teardown_end(struct stall_params *p, const struct stall_point *pt,
			     struct stall_result *res, int rep, const struct stall_window *w)
{
	struct stall_rep *r = &res->rep[rep];

	stall_judge_trace(p, res, rep, w, 1ULL << vm_guest_mode_params[pt->cfg.mode].pa_bits);
	r->p99_ns = stall_hist_percentile_ns(&w->lat, 99.0);
	r->lat_max_ns = w->lat.max_ns;
	r->p50_ns = stall_hist_percentile_ns(&w->lat, 50.0);
	r->p999_ns = stall_hist_percentile_ns(&w->lat, 99.9);
	r->nr_hist = stall_hist_log2(&w->lat, r->hist, STALL_HIST_LOG2_BINS);
	r->hist_over = w->lat.overflow;
	r->missed = w->missed;
}

/* -T's time budget, and what held the CPU of a held point. */
static const char *lab_judged(struct stall_params *p, struct stall_result *res, u64 best_ns)
{
	u64 time_limit;
	bool time_ok = stall_budget_time_ok(&p->budget, res->time_ns, best_ns, &time_limit);

	if (!time_ok)
		ksft_print_msg("%s: teardown %lu us is over %.2fx the fastest batch (%lu us)\n",
			       res->name, US(res->time_ns), p->budget.time_ratio, US(best_ns));
	p->rules_used[res->rep[res->worst].v.rule]++;
	if (res->cls == STALL_HELD)
		stall_report_attribution(p, res->name, res);
	return time_ok ? NULL : "teardown time over budget";
}

static void lab_point_end(struct stall_params *p, const struct stall_mode *mode,
			  const struct stall_result *res, u64 best_ns)
{
	stall_results_point(p, mode, res, best_ns);
}

static void lab_print_load(const struct stall_load_result *m, const struct stall_load_verdict *v)
{
	printf(" dip_pct=%.1f op_us p50=%lu p99=%lu max=%lu", 100.0 * v->dip,
	       US(m->meas_p50_ns), US(m->meas_p99_ns), US(m->meas_max_ns));
	printf(" base_max=%lu budget=%lu load_cpu_pct=%.1f\n", US(m->base_max_ns),
	       US(v->lat_limit_ns), m->cpu_pct);
}

static const char *lab_load_idle(const struct stall_load *l)
{
	static char why[96];

	if (!l->io_errno)
		return "it does not run here";
	snprintf(why, sizeof(why), "its operations failed: %s", strerror(l->io_errno));
	return why;
}

static void lab_print_verdicts(struct stall_params *p)
{
	ksft_print_msg("verdicts: %d point(s) by the hold rule (stage-2 work per hold, %s tier)\n",
		       p->rules_used[STALL_RULE_HOLD], stall_tier_names[p->budget.tier]);
	if (!p->have_trace)
		ksft_print_msg("no kernel-side measurement (%s): %s%s\n", p->trace_why,
			       "it needs kprobe events on an arm64 host, ",
			       "or the arm64 testbed (make vm-run)");
	ksft_print_msg("verdicts: %d point(s) by the allowance (%lu us, the probe's wait alone)\n",
		       p->rules_used[STALL_RULE_ABS], US(p->budget.stall_allow_ns));
}

static const char *lab_stop(struct stall_params *p, u64 pass, u64 fail, u64 skip)
{
	static char why[256];
	int ret;

	stall_trace_stop();
	stall_irq_restore_all();
	ret = stall_results_finish(pass, fail, skip);
	if (!ret)
		return NULL;
	/* a file that cannot be written fails the run */
	snprintf(why, sizeof(why), "results file %s: %s", p->results_path, strerror(-ret));
	return why;
}

const struct stall_lab_ops stall_lab_ops = {
	.opts = lab_opts,
	.nr_opts = ARRAY_SIZE(lab_opts),
	.begin = lab_begin,
	.init = lab_init,
	.finish = lab_finish,
	.print_cpu = lab_print_cpu,
	.print_granule = lab_print_granule,
	.print_budget = lab_print_budget,
	.require = lab_require,
	.start = lab_start,
	.sweep = lab_sweep,
	.stop = lab_stop,
	.plan = lab_plan,
	.probe_started = lab_probe_started,
	.start_loads = lab_start_loads,
	.point_begin = lab_point_begin,
	.rep_begin = lab_rep_begin,
	.teardown_begin = lab_teardown_begin,
	.teardown_end = lab_teardown_end,
	.name_tag = lab_name_tag,
	.judged = lab_judged,
	.point_end = lab_point_end,
	.point_keys = stall_lab_point_keys,
	.print_load = lab_print_load,
	.load_idle = lab_load_idle,
	.print_verdicts = lab_print_verdicts,
	.judge_rep = stall_lab_judge_rep,
	.judge_point = stall_lab_judge_point,
	.rep_unexplained = stall_lab_rep_unexplained,
};
