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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
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
#include "stall_budget.h"
#include "stall_parse.h"
#include "stall_probe.h"
#ifndef STALL_NO_BUDGET
#include "stall_run.h"
#endif
#include "stall_sys.h"
#include "stall_teardown.h"
#include "stall_result.h"
#ifdef STALL_LAB
#include "stall_blkdev.h"
#include "stall_irq.h"
#include "stall_json.h"
#endif

#define DEFAULT_TEST_MEM_SIZE	(512ULL << 20)
#define DEFAULT_BASELINE_NS	(200ULL * 1000 * 1000)
#ifndef STALL_NO_CHUNKS
#define DEFAULT_BATCHES		"granule,2M,32M,512M,1G,all"
#endif
#define OP_TIMEOUT_S		(10 * 60)
#ifndef STALL_NO_LOADS
/* loads warm up before the baseline, and are watched for 5 windows at least */
#define LOAD_WARMUP_NS		(50ULL * 1000 * 1000)
#endif
#define US(ns)			STALL_US(ns)
#ifndef STALL_NO_BUDGET
#define SEC(ns)			STALL_SEC(ns)
#endif
/*
 * A noisy point's skip reason carries no figure: CI parsers (LKFT's) fold
 * a skip's reason into the result's name, which must not change between
 * runs. The figures go on a diagnostic line before it.
 */
#define NOISY_SKIP		"machine too noisy to judge"
#ifndef STALL_NO_REPS
#define NOISY_UNCONFIRMED	NOISY_SKIP ": a hold not every repetition confirmed"
#endif
#define NOISY_CONTROL		NOISY_SKIP ": %s"
#define NOISY_FIGURES \
	"%s: %d of %d judged repetitions held, stall %lu us, held %lu us, control window %lu us held %lu us, %d tries"

static struct stall_probe probe;
#ifdef STALL_LAB
/* -j: the results file, the lab kit's (docs/results-file.md) */
static const char *results_path;
#endif
#if defined(STALL_LAB)
#define OPTSTRING	":hm:b:v:s:c:t:B:r:l:T:d:S:R:L:i:w:n:P:Q:W:D:j:"
#elif defined(STALL_NO_REPS)
#define OPTSTRING	":hb:v:c:l:"
#define USAGE		"[-h] [-b mem-size] [-v vcpus] [-c cpu] [-l allowance]"
#elif defined(STALL_NO_CHUNKS)
#define OPTSTRING	":hb:v:c:r:l:"
#define USAGE		"[-h] [-b mem-size] [-v vcpus] [-c cpu] [-r reps] [-l allowance]"
#elif defined(STALL_NO_KVM_MODES)
#define OPTSTRING	":hb:v:c:B:r:l:"
#define USAGE		"[-h] [-b mem-size] [-v vcpus] [-c cpu] [-B batches] [-r reps]\n" \
			"          [-l allowance]"
#elif defined(STALL_NO_BUDGET)
#define OPTSTRING	":hb:v:c:t:B:r:l:"
#define USAGE		"[-h] [-b mem-size] [-v vcpus] [-c cpu] [-t modes] [-B batches]\n" \
			"          [-r reps] [-l allowance]"
#elif defined(STALL_NO_LOADS)
#define OPTSTRING	":hb:v:c:t:B:r:l:d:"
#define USAGE		"[-h] [-b mem-size] [-v vcpus] [-c cpu] [-t modes] [-B batches]\n" \
			"          [-r reps] [-l allowance] [-d time-budget]"
#else
#define OPTSTRING	":hb:v:c:t:B:r:l:d:L:"
#define USAGE		"[-h] [-b mem-size] [-v vcpus] [-c cpu] [-t modes] [-B batches]\n" \
			"          [-r reps] [-l allowance] [-d time-budget]"
#endif

static const char *fmt_size(u64 bytes, char *buf)
{
	return stall_fmt_size(bytes, buf, 16);
}

#ifdef STALL_LAB
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
#endif

static struct stall_window base_win, meas_win, ctl_win;

struct op_thread {
	struct stall_point *pt;
	int cpu;
	u64 ns;
};

static void *op_thread_main(void *data)
{
	struct op_thread *op = data;
	u64 t0;

	TEST_ASSERT(!stall_sys_pin_self(op->cpu), "pinning the teardown to CPU %d", op->cpu);
	t0 = stall_now_ns();
	op->pt->mode->run(op->pt);
	op->ns = stall_now_ns() - t0;
	return NULL;
}

/* Run the mode's operation on the test CPU; the join is bounded. */
static u64 run_op_on_test_cpu(struct stall_point *pt)
{
	struct op_thread op = { .pt = pt, .cpu = pt->cfg.test_cpu };
	struct timespec bound;
	pthread_t th;
	int ret;

	ret = pthread_create(&th, NULL, op_thread_main, &op);
	TEST_ASSERT(!ret, "pthread_create() for the teardown: %s", strerror(ret));
	clock_gettime(CLOCK_REALTIME, &bound);
	bound.tv_sec += OP_TIMEOUT_S;
	ret = pthread_timedjoin_np(th, NULL, &bound);
	TEST_ASSERT(!ret, "%s did not finish within %d s", pt->mode->name, OP_TIMEOUT_S);
	return op.ns;
}

static void switch_window(struct stall_window *w)
{
	int ret = stall_probe_switch(&probe, w);

	TEST_ASSERT(!ret, "stall probe on CPU %d did not wake up for 2 s", probe.cpu);
}

#ifndef STALL_NO_LOADS
static void start_loads(struct stall_params *p)
{
	if (!p->nr_loads)
		return;
#ifdef STALL_LAB
	/* -P irq: the threads on the other CPUs, the interrupts on the test CPU */
	if (p->steer) {
		stall_loads_start(p->loads, p->nr_loads, p->other_cpus, p->nr_other_cpus);
		stall_loads_place_irqs(p->loads, p->nr_loads, p->test_cpu);
		stall_sleep_ns(LOAD_WARMUP_NS);
		return;
	}
#endif
	stall_loads_start(p->loads, p->nr_loads, &p->test_cpu, 1);
	stall_sleep_ns(LOAD_WARMUP_NS);
}

/* Load results of repetition @rep, or why a load could not run. */
static void collect_loads(struct stall_params *p, struct stall_result *res, int rep)
{
	int i;

	for (i = 0; i < p->nr_loads; i++) {
		if (p->loads[i].skipped)
			snprintf(res->load_skip[i], sizeof(res->load_skip[i]), "%s",
				 p->loads[i].err);
		else
			stall_load_summarize(&p->loads[i], &res->load[i][rep]);
	}
	stall_loads_stop(p->loads, p->nr_loads);
}

#endif
static void observe(struct stall_window *w, struct stall_obs *o)
{
	o->gap_ns = w->max_gap_ns;
	o->held_ns = stall_probe_sees_held(&probe) ? stall_window_max_held(w) : STALL_NS_UNKNOWN;
}

/*
 * Baseline, then the teardown's window, then a control window as long as
 * the teardown's, right after it on the same CPU with the same loads: a
 * window of the same exposure to whatever else the machine does.
 */
static void run_rep(struct stall_params *p, struct stall_point *pt, struct stall_result *res,
		    int rep)
{
	struct stall_rep *r = &res->rep[rep];
	u64 t0;

	pt->nr_ops = 0;
	pt->mode->setup(pt);
#ifndef STALL_NO_LOADS
	start_loads(p);
#endif

	stall_window_reset(&base_win);
	stall_window_reset(&meas_win);
	stall_window_reset(&ctl_win);
	switch_window(&base_win);
#ifndef STALL_NO_LOADS
	stall_loads_phase(p->loads, p->nr_loads, STALL_LOAD_BASE);
#endif
	stall_sleep_ns(p->baseline_ns);
#ifdef STALL_LAB
	TEST_ASSERT(!p->have_trace || !stall_trace_begin(), "enabling the kprobe events");
#endif
	switch_window(&meas_win);
#ifndef STALL_NO_LOADS
	stall_loads_phase(p->loads, p->nr_loads, STALL_LOAD_MEAS);
#endif
	t0 = stall_now_ns();
	r->time_ns = run_op_on_test_cpu(pt);
	/* let the probe's first wake-up after the operation land in the window */
	stall_sleep_ns(2 * p->period_ns + 1000000);
#ifndef STALL_NO_LOADS
	/* five of the loads' windows at least (they share theirs) */
	if (p->nr_loads && stall_now_ns() - t0 < 5 * p->loads[0].window_ns)
		stall_sleep_ns(5 * p->loads[0].window_ns - (stall_now_ns() - t0));
	stall_loads_phase(p->loads, p->nr_loads, STALL_LOAD_IDLE);
#endif
	switch_window(&ctl_win);
	r->window_ns = stall_now_ns() - t0;
	stall_sleep_ns(r->window_ns);
	switch_window(NULL);
#ifdef STALL_LAB
	/* read back outside the windows: parsing takes CPU time */
	stall_judge_trace(p, res, rep, &meas_win,
			  1ULL << vm_guest_mode_params[pt->cfg.mode].pa_bits);
#endif
#ifndef STALL_NO_LOADS
	collect_loads(p, res, rep);
#endif
	pt->mode->cleanup(pt);

	r->base_gap_ns = base_win.max_gap_ns;
	observe(&meas_win, &r->meas);
	observe(&ctl_win, &r->ctl);
#ifdef STALL_LAB
	r->p99_ns = stall_hist_percentile_ns(&meas_win.lat, 99.0);
	r->lat_max_ns = meas_win.lat.max_ns;
	r->p50_ns = stall_hist_percentile_ns(&meas_win.lat, 50.0);
	r->p999_ns = stall_hist_percentile_ns(&meas_win.lat, 99.9);
	r->nr_hist = stall_hist_log2(&meas_win.lat, r->hist, STALL_HIST_LOG2_BINS);
	r->hist_over = meas_win.lat.overflow;
	r->missed = meas_win.missed;
#endif
#ifndef STALL_NO_CHUNKS
	r->populate_ns = pt->populate_ns;
#endif
	r->nr_ops = pt->nr_ops;
	stall_judge_rep(p, r);
}

#ifndef STALL_NO_BUDGET
/*
 * Whether @reps repetitions of the point fit in what is left of the run's
 * time budget, by what the points already run cost, this one's own
 * repetitions included: one operation per batch, the whole region in one
 * for an unbatched mode.
 */
static bool point_fits(struct stall_params *p, const struct stall_point *pt,
		       struct stall_result *res, int reps)
{
	u64 ops = 1, batch = stall_point_batch_bytes(pt);

	if (pt->mode->batched)
		ops = (p->size + batch - 1) / batch;
	res->est_ns = stall_run_estimate(&p->run, pt->mode - stall_modes, ops, reps,
					 p->baseline_ns);
	return stall_run_fits(&p->run, res->est_ns, stall_now_ns(), &res->left_ns);
}

#endif

#ifndef STALL_NO_REPS
/* One repetition, run again while the machine's noise left it unjudgeable; returns the runs. */
static int run_rep_judged(struct stall_params *p, struct stall_point *pt,
			  struct stall_result *res, int i)
{
	struct stall_rep *r = &res->rep[i];
	int runs = 0;
#ifdef STALL_LAB
	char bs[16];
#endif
#ifndef STALL_NO_BUDGET
	u64 t0;
#endif

	do {
#ifdef STALL_LAB
		progress("point %d of %d: %s batch=%s, repetition %d of %d%s",
			 progress_point, progress_points, pt->mode->name,
			 pt->mode->batched ? fmt_size(res->batch, bs) : "n/a", i + 1,
			 res->nr_reps, runs ? " (again: the machine was noisy)" : "");
#endif
#ifndef STALL_NO_BUDGET
		t0 = stall_now_ns();
#endif
		run_rep(p, pt, res, i);
#ifndef STALL_NO_BUDGET
		stall_run_rep(&p->run, pt->mode - stall_modes, r->nr_ops, stall_now_ns() - t0,
			      r->time_ns, p->baseline_ns);
#endif
		runs++;
	} while (r->v.cls == STALL_NOISY && runs <= STALL_NOISY_RETRIES);
	return runs;
}

#endif

static void run_point(struct stall_params *p, enum vm_guest_mode gmode,
		      const struct stall_mode *mode, struct stall_result *res)
{
	struct stall_point pt = {
		.mode = mode,
#ifndef STALL_NO_CHUNKS
		.batch = res->batch,
#endif
#ifdef STALL_LAB
		.populate_timeout_ns = 1800ULL * 1000000000ULL,
#endif
		.cfg = {
			.mode = gmode,
			.src = p->src,
			.size = p->size,
			.nr_vcpus = p->nr_vcpus,
#ifdef STALL_LAB
			.node = p->node,
#endif
			.test_cpu = p->test_cpu,
		},
	};
#ifndef STALL_NO_BUDGET
	u64 t0 = stall_now_ns();
#endif
#ifndef STALL_NO_REPS
	int i, more;
#endif

#ifdef STALL_LAB
	progress_point++;
	pt.cfg.nr_slots = stall_point_nr_slots(mode, p->size, stall_point_batch_bytes(&pt));
#endif
#ifndef STALL_NO_CHUNKS
	res->skip = mode->unsupported ? mode->unsupported(&pt) : NULL;
#endif
#ifdef STALL_LAB
	res->k.longest.fn = -1;
#endif
#ifndef STALL_NO_BUDGET
	if (!res->skip && !point_fits(p, &pt, res, p->reps)) {
		res->skip = STALL_RUN_SKIP;
		res->over_time = true;
		p->run.nr_skipped++;
	}
#endif
#ifndef STALL_NO_CHUNKS
	if (res->skip)
		return;
#endif

#ifdef STALL_NO_REPS
	res->nr_reps = 1;
	run_rep(p, &pt, res, 0);
#else
	res->nr_reps = p->reps;
	for (i = 0; i < res->nr_reps; i++) {
		res->runs += run_rep_judged(p, &pt, res, i);
		if (i < res->nr_reps - 1 || !stall_judge_needs_confirmation(p, res))
			continue;
		more = min(3 * p->reps, STALL_MAX_REPS) - res->nr_reps;
		if (!more)
			break;
#ifndef STALL_NO_BUDGET
		/*
		 * Under emulation one repetition may take most of the budget,
		 * and a later one twice the first (seen: 35 s, then 70 s and
		 * more): they must fit twice over.
		 */
		if (!point_fits(p, &pt, res, 2 * more)) {
			res->skip = STALL_RUN_CONFIRM_SKIP;
			res->over_time = true;
			p->run.nr_skipped++;
			break;
		}
#endif
		res->nr_reps += more;
	}
#endif
#ifndef STALL_NO_BUDGET
	stall_run_point(&p->run, p->reps, res->runs);
	res->run_ns = stall_now_ns() - t0;
#endif
}

static int count_held(const struct stall_result *res)
{
	int i, n = 0;

	for (i = 0; i < res->nr_reps; i++)
		n += res->rep[i].v.cls == STALL_HELD;
	return n;
}

#ifndef STALL_NO_LOADS
/* A load's medians against its budget, and the diagnostic line saying so. */
static void judge_load(struct stall_params *p, const struct stall_load *l,
		       const struct stall_load_result *m, struct stall_load_verdict *v)
{
	stall_load_judge(&p->budget, m->base_median, m->base_worst, m->meas_worst,
			 m->base_max_ns, m->meas_max_ns, v);
	/* one diagnostic line, written in two parts */
	ksft_print_msg("load %s %s: rate/s base=%.0f base_worst=%.0f worst=%.0f floor=%.0f",
		       l->spec, l->kind->unit, m->base_median, m->base_worst, m->meas_worst,
		       v->rate_floor);
#ifdef STALL_LAB
	printf(" dip_pct=%.1f op_us p50=%lu p99=%lu max=%lu", 100.0 * v->dip,
	       US(m->meas_p50_ns), US(m->meas_p99_ns), US(m->meas_max_ns));
	printf(" base_max=%lu budget=%lu load_cpu_pct=%.1f\n", US(m->base_max_ns),
	       US(v->lat_limit_ns), m->cpu_pct);
#else
	printf(" dip_pct=%.1f op_us max=%lu base_max=%lu budget=%lu\n", 100.0 * v->dip,
	       US(m->meas_max_ns), US(m->base_max_ns), US(v->lat_limit_ns));
#endif
}

#endif
/* A KTAP result, kept with its reason in the point's results. */
static void ktap_result(int code, const char *name, const char *reason)
{
	if (code == KSFT_SKIP)
		ksft_test_result_code(KSFT_SKIP, name, "%s", reason);
	else
		ksft_test_result(code == KSFT_PASS, "%s\n", name);
}

#ifndef STALL_NO_LOADS
/* One KTAP result per load of a point: its throughput dip and operation latency. */
static void report_load(struct stall_params *p, struct stall_result *res, int i)
{
	struct stall_load_result *m = &res->load_med[i];
	struct stall_load_verdict *v = &res->load_v[i];
	struct stall_load *l = &p->loads[i];
	char lname[192];

	snprintf(lname, sizeof(lname), "%s load=%s", res->name, l->spec);
	res->load_code[i] = KSFT_SKIP;
	res->load_reason[i] = res->skip ? res->skip : res->load_skip[i];
	if (!res->skip && !res->load_skip[i][0]) {
		stall_load_medians(res->nr_reps, res->load[i], m);
		/* a load that moved nothing has nothing to lose: no verdict, and why */
		if (!(m->base_median > 0.0)) {
#ifdef STALL_LAB
			snprintf(res->load_skip[i], sizeof(res->load_skip[i]),
				 "the load did nothing in the baseline: %s%s",
				 l->io_errno ? "its operations failed: " : "it does not run here",
				 l->io_errno ? strerror(l->io_errno) : "");
#else
			snprintf(res->load_skip[i], sizeof(res->load_skip[i]),
				 "the load did nothing in the baseline: it does not run here");
#endif
		} else {
			judge_load(p, l, m, v);
			res->load_code[i] = v->rate_ok && v->lat_ok ? KSFT_PASS : KSFT_FAIL;
			res->load_reason[i] = !v->rate_ok ? "throughput dip over budget" :
					      !v->lat_ok ? "operation latency over budget" : NULL;
		}
	}
	ktap_result(res->load_code[i], lname, res->load_reason[i]);
}

#endif
#ifndef STALL_NO_BUDGET
/* The longest hold of a point's repetitions. */
static u64 max_hold(const struct stall_result *res)
{
	u64 h = 0;
	int i;

	for (i = 0; i < res->nr_reps; i++)
		h = max(h, stall_rep_hold(&res->rep[i]));
	return h;
}

/* What a point took of the run's time budget; for one that did not fit, why. */
static void print_run_time(struct stall_params *p, const char *name,
			   const struct stall_result *res)
{
	if (!p->run.limit_ns || (res->skip && !res->over_time))
		return;
	if (res->over_time && !strcmp(res->skip, STALL_RUN_CONFIRM_SKIP))
		ksft_print_msg("%s: held %lu us in %d repetition(s); %s %.1f s, %.1f s left\n",
			       name, US(max_hold(res)), res->nr_reps, "confirming it: estimated",
			       SEC(res->est_ns), SEC(res->left_ns));
	else if (res->over_time)
		ksft_print_msg("%s: time budget: estimated %.1f s, %.1f s left of %.0f s %s\n",
			       name, SEC(res->est_ns), SEC(res->left_ns), SEC(p->run.limit_ns),
			       "less what is kept for the exit");
	else
		ksft_print_msg("%s: time budget: took %.1f s, estimated %.1f s\n", name,
			       SEC(res->run_ns), SEC(res->est_ns));
}

#endif

/*
 * A point the machine's noise left unjudged: the figures and which noise
 * on diagnostic lines, a skip with fixed words (CI folds a skip's reason
 * into the result's name).
 */
static void report_noisy(struct stall_result *res)
{
	struct stall_rep *r = &res->rep[res->worst];

	ksft_print_msg(NOISY_FIGURES "\n", res->name, count_held(res), res->judged,
		       US(r->meas.gap_ns), US(stall_rep_hold(r)), US(r->ctl.gap_ns),
		       US(stall_obs_hold(&r->ctl)),
#ifndef STALL_NO_REPS
		       res->runs);
	if (res->judged)
		snprintf(res->why, sizeof(res->why), NOISY_UNCONFIRMED);
	else
		snprintf(res->why, sizeof(res->why), NOISY_CONTROL, r->v.why);
#else
		       res->nr_reps);
	snprintf(res->why, sizeof(res->why), NOISY_CONTROL, r->v.why);
#endif
	/* which noise it was varies from run to run: not in the name */
	ksft_print_msg("%s: %s\n", res->name, res->why);
	res->reason = res->why;
	ksft_test_result_code(KSFT_SKIP, res->name, "%s", NOISY_SKIP);
}

/* A judged point's figures, what held the CPU, and its result. */
static void report_judged(struct stall_params *p, const struct stall_mode *mode,
			  struct stall_result *res, u64 best_time_ns)
{
	struct stall_rep *r = &res->rep[res->worst];
#ifdef STALL_LAB
	u64 time_limit;
	bool time_ok = stall_budget_time_ok(&p->budget, res->time_ns, best_time_ns, &time_limit);
#endif

#ifndef STALL_NO_CHUNKS
	stall_report_figures(p, mode, res, best_time_ns);
#else
	ksft_print_msg("%s: teardown %lu us, longest gap %lu us, CPU held %lu us (%s)\n",
		       res->name, US(res->time_ns), US(res->gap_ns), US(stall_rep_hold(r)),
		       r->v.why);
#endif
#ifdef STALL_LAB
	if (!time_ok)
		ksft_print_msg("%s: teardown %lu us is over %.2fx the fastest batch (%lu us)\n",
			       res->name, US(res->time_ns), p->budget.time_ratio, US(best_time_ns));
	if (res->cls == STALL_HELD)
		stall_report_attribution(p, res->name, res);
#endif
	if (res->cls == STALL_NOISY) {
		report_noisy(res);
		return;
	}
#ifdef STALL_LAB
	res->code = res->cls == STALL_OK && time_ok ? KSFT_PASS : KSFT_FAIL;
	res->reason = res->cls != STALL_OK ? r->v.why :
		      time_ok ? NULL : "teardown time over budget";
#else
	res->code = res->cls == STALL_OK ? KSFT_PASS : KSFT_FAIL;
	res->reason = res->cls != STALL_OK ? r->v.why : NULL;
#endif
	ktap_result(res->code, res->name, res->reason);
}

/* The point's KTAP name: "munmap batch=2M granule=4K backing=4K". */
static void point_name(struct stall_params *p, const struct stall_mode *mode,
		       struct stall_result *res)
{
	size_t len = sizeof(res->name), n;
	char gs[16], ss[16];
#ifndef STALL_NO_CHUNKS
	char bs[16];
#endif

	n = snprintf(res->name, len, "%s", mode->name);
#ifndef STALL_NO_CHUNKS
	n += snprintf(res->name + n, len - n, " batch=%s",
		      mode->batched ? fmt_size(res->batch, bs) : "n/a");
#endif
	n += snprintf(res->name + n, len - n, " granule=%s backing=%s", fmt_size(getpagesize(), gs),
		      fmt_size(get_backing_src_pagesz(p->src), ss));
#ifdef STALL_LAB
	snprintf(res->name + n, len - n, "%s", p->guest_mode_tag);
#endif
}

static void report_point(struct stall_params *p, const struct stall_mode *mode,
			 struct stall_result *res, u64 best_time_ns)
{
#ifndef STALL_NO_LOADS
	int i;

#endif
	point_name(p, mode, res);
#ifndef STALL_NO_BUDGET
	print_run_time(p, res->name, res);
#endif
	res->code = KSFT_SKIP;
	res->reason = res->skip;
	if (res->skip)
		ktap_result(res->code, res->name, res->reason);
	else
		report_judged(p, mode, res, best_time_ns);
#ifndef STALL_NO_LOADS
	for (i = 0; i < p->nr_loads; i++)
		report_load(p, res, i);
#endif
#ifdef STALL_LAB
	stall_results_point(p, mode, res, best_time_ns);
#endif
}

#ifndef STALL_NO_BUDGET
/*
 * A mode's points in order of their operations, fewest first: the time
 * budget learns an operation's cost from the cheapest point, and bounds
 * a point of more operations by the one before it. Reported in the plan's
 * order.
 */
static void run_batches(struct stall_params *p, enum vm_guest_mode gmode,
			const struct stall_mode *mode, struct stall_result *res, int n)
{
	int order[STALL_MAX_LIST], i, j, k;

	for (i = 0; i < n; i++) {
		for (j = i; j > 0 && res[order[j - 1]].batch < res[i].batch; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (k = 0; k < n; k++)
		run_point(p, gmode, mode, &res[order[k]]);
}

#endif

static void run_mode(struct stall_params *p, enum vm_guest_mode gmode,
		     const struct stall_mode *mode)
{
#ifndef STALL_NO_CHUNKS
	int i, n = mode->batched ? p->nr_batch : 1;
#else
	int i, n = 1;
#endif
	/*
	 * On the heap, not in the ELF image the KVM library copies into the
	 * guest's first memslot, which a sanitized build's larger image
	 * would overflow
	 */
	struct stall_result *res = calloc(n, sizeof(*res));
	u64 best = 0;

	TEST_ASSERT(res, "calloc() of %d point results", n);
#ifndef STALL_NO_CHUNKS
	/* every point's batch first: its figures compare it with the fastest */
	for (i = 0; i < n; i++)
		res[i].batch = mode->batched ? p->batch[i] : STALL_BATCH_ALL;
#endif
#ifndef STALL_NO_BUDGET
	run_batches(p, gmode, mode, res, n);
#else
	for (i = 0; i < n; i++)
		run_point(p, gmode, mode, &res[i]);
#endif
	for (i = 0; i < n; i++) {
		if (res[i].skip)
			continue;
		stall_judge_point(p, &res[i]);
		if (!best || res[i].time_ns < best)
			best = res[i].time_ns;
	}
	for (i = 0; i < n; i++)
		report_point(p, mode, &res[i], best);
	free(res);
}

static void run_test(enum vm_guest_mode gmode, void *arg)
{
	struct stall_params *p = arg;
#ifdef STALL_LAB
	int i, nr = 0;
#else
	int i;
#endif

	ksft_print_msg("guest mode: %s\n", vm_guest_mode_string(gmode));
#ifdef STALL_LAB
	/* with several -m modes, the mode keeps each result's name unique */
	for (i = 0; i < NUM_VM_MODES; i++)
		nr += guest_modes[i].enabled && guest_modes[i].supported;
	if (nr > 1)
		snprintf(p->guest_mode_tag, sizeof(p->guest_mode_tag), " guest_mode=%d", gmode);
#endif
	for (i = 0; i < stall_nr_modes; i++)
		if (p->modes & (1ULL << i))
			run_mode(p, gmode, &stall_modes[i]);
}

static int count_points(struct stall_params *p)
{
#ifdef STALL_LAB
	int i, n = 0, gm = 0;
#else
	int i, n = 0;
#endif

	for (i = 0; i < stall_nr_modes; i++)
		if (p->modes & (1ULL << i))
#ifndef STALL_NO_CHUNKS
			n += stall_modes[i].batched ? p->nr_batch : 1;
#else
			n++;
#endif
#ifdef STALL_LAB
	for (i = 0; i < NUM_VM_MODES; i++)
		gm += guest_modes[i].enabled && guest_modes[i].supported;
	return n * gm;
#else
	return n;
#endif
}

static void help(char *name)
{
	int i;

	puts("");
#ifdef STALL_LAB
	printf("usage: %s [-h] [-m mode] [-b mem-size] [-v vcpus] [-s mem-type]\n"
	       "          [-c cpu] [-t modes] [-B batches] [-r reps] [-l allowance]\n"
	       "          [-T ratio] [-d time-budget]\n", name);
	printf("          [-S tier] [-R ratio]\n");
#else
	printf("usage: %s %s\n", name, USAGE);
#endif
#ifndef STALL_NO_LOADS
	printf("          [-L loads]\n");
#endif
#ifdef STALL_LAB
	printf("          [-i period] [-w baseline] [-n node] [-P cpu|irq] [-Q dip]\n"
	       "          [-W window] [-D dir] [-j results.json]\n");
#endif
	puts("");
	printf("Sizes take a unit (%s), durations one of %s: a bare\n"
	       "number is refused.\n", STALL_SIZE_UNITS, STALL_DURATION_UNITS);
	puts("");
#ifdef STALL_LAB
	guest_modes_help();
	printf("     (here the default is the library's default mode alone)\n");
#endif
	printf(" -b: size of the memory region to tear down, e.g. 256M or 64G (default: 512M)\n");
	printf(" -v: number of vCPUs populating it (default: 1)\n");
#ifdef STALL_LAB
	backing_src_help("-s");
#endif
	printf(" -c: test CPU: the teardown and the probe run there (default: first allowed)\n");
#ifndef STALL_NO_KVM_MODES
	printf(" -t: comma-separated teardown modes, or all (default: all):\n");
#else
	printf("Teardown modes, each a point:\n");
#endif
	for (i = 0; i < stall_nr_modes; i++)
		printf("     %-17s %s\n", stall_modes[i].name, stall_modes[i].help);
#ifndef STALL_NO_CHUNKS
	printf(" -B: comma-separated batch sizes, e.g. 2M; 'granule' is the host page size and\n"
	       "     'all' the whole region in one operation (default: %s,\n"
	       "     keeping those smaller than the region)\n", DEFAULT_BATCHES);
#endif
#ifndef STALL_NO_REPS
	printf(" -r: repetitions of each point; the verdict is the majority of the judged\n"
	       "     ones, the figures their medians (default: 1)\n");
#endif
	printf(" -l: stall allowance: how long the test CPU may be held, e.g. 1ms\n"
	       "     (default: 1ms)\n");
#ifdef STALL_LAB
	printf(" -T: teardown time budget as a ratio to the mode's fastest batch, 0 = off\n"
	       "     (default: 0)\n");
	printf(" -S: budget tier where the kernel is measured from the inside: regression\n"
	       "     (one hold of the CPU may cover one largest-block step of stage-2 work,\n"
	       "     as mainline promises: 1G with 4K pages) or target (one smallest-block\n"
	       "     step, the 2024 proposal: 2M with 4K pages) (default: regression)\n");
	printf(" -R: a hold may also last this many times one step's typical time, 0 = no\n"
	       "     time rule (default: 8)\n");
#endif
#ifndef STALL_NO_LOADS
#ifdef STALL_LAB
	printf(" -L: IO loads run through each point, comma-separated,\n"
	       "     each NAME[:key=value...]:\n");
#else
	printf(" -L: IO loads run through each point, comma-separated names:\n");
#endif
	for (i = 0; stall_load_kind_at(i); i++)
		printf("     %-12s %s\n", stall_load_kind_at(i)->name, stall_load_kind_at(i)->help);
#endif
#ifndef STALL_NO_BUDGET
#ifdef STALL_LAB
	printf(" -d: time budget of the whole run, e.g. 300s; points that would not fit\n"
	       "     are skipped; 0 = none (default: the kselftest timeout, from the\n"
	       "     runner or the settings file next to the test, else 120s)\n");
#else
	printf(" -d: time budget of the whole run, e.g. 300s; points that would not fit\n"
	       "     are skipped; 0 = none (default: the kselftest runner's timeout,\n"
	       "     else 120s)\n");
#endif
#endif
#ifdef STALL_LAB
	printf(" -i: probe period, e.g. 100us (default: 100us)\n");
	printf(" -w: baseline window before each operation, e.g. 200ms (default: 200ms)\n");
	printf(" -n: NUMA node for guest memory, -1 for no binding (default: the test CPU's)\n");
	printf(" -P: load placement: cpu (threads on the test CPU) or irq (device\n"
	       "     interrupts steered to the test CPU, threads elsewhere) (default: cpu)\n");
	printf(" -D: directory for the blk load's file, on the disk to load (default: .)\n");
	printf(" -Q: throughput dip budget, percent below the baseline median (default: 90)\n");
	printf(" -W: throughput window, e.g. 10ms (default: 10ms)\n");
	printf(" -j: also write every point and repetition, with the environment, as JSON\n"
	       "     (schema: docs/results-file.md), once the run ends\n");
#endif
	puts("");
}

static void __noreturn usage_error(char *name, const char *what, const char *val)
{
	stall_parse_value_msg(name, what, val, -EINVAL, NULL);
	exit(KSFT_FAIL);
}

/* A parser's refusal of @val; a bare number is told the units it lacks. */
static void usage_check(char *name, const char *what, const char *val, int ret,
			const char *units)
{
	if (ret) {
		stall_parse_value_msg(name, what, val, ret, units);
		exit(KSFT_FAIL);
	}
}

/* one line naming the bad option (getopt()'s own message is off) */
static void __noreturn option_error(int argc, char *argv[], int opt)
{
	stall_parse_option_msg(argc, argv, opt);
	exit(KSFT_FAIL);
}

/* A duration with its unit, from @min to @max ns. */
static u64 parse_duration(char *prog, const char *what, const char *arg, u64 min, u64 max)
{
	u64 ns;

	usage_check(prog, what, arg, stall_parse_duration(arg, &ns), STALL_DURATION_UNITS);
	if (ns < min || ns > max)
		usage_error(prog, what, arg);
	return ns;
}

#ifndef STALL_NO_CHUNKS
static void default_batches(struct stall_params *p)
{
	const char *bad;
	u64 all[STALL_MAX_LIST];
	int i, n;

	stall_parse_batch_list(DEFAULT_BATCHES, getpagesize(), all, STALL_MAX_LIST, &n, &bad);
	p->nr_batch = 0;
	for (i = 0; i < n; i++)
		if (all[i] == STALL_BATCH_ALL || all[i] < p->size)
			p->batch[p->nr_batch++] = all[i];
}
#endif

#ifdef STALL_LAB
static void parse_guest_mode(char *prog, const char *arg, struct stall_params *p)
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
#endif

#ifndef STALL_NO_LOADS
/*
 * "tcp-stream", a comma-separated list of generators (see -h); one listed
 * twice would give two results of the same name.
 */
static void parse_loads(char *prog, const char *arg, struct stall_params *p)
{
	char *copy, *tok, *save;
	int ret, i;

	if (stall_parse_list_has_empty(arg))
		usage_error(prog, "load list (-L)", arg);
	copy = strdup(arg);
	TEST_ASSERT(copy, "strdup(): out of memory");
	/* the last -L given is the one that counts */
#ifdef STALL_LAB
	while (p->nr_loads)
		stall_load_free(&p->loads[--p->nr_loads]);
#else
	p->nr_loads = 0;
#endif
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (p->nr_loads == STALL_LOAD_MAX)
			usage_error(prog, "load list (-L, 4 loads at most)", arg);
		for (i = 0; i < p->nr_loads && strcmp(p->loads[i].spec, tok); i++)
			;
		if (i < p->nr_loads)
			usage_error(prog, "load list (-L, a load listed twice)", tok);
		ret = stall_load_parse(&p->loads[p->nr_loads], tok);
#ifdef STALL_LAB
		usage_check(prog, "load (-L)", tok, ret, STALL_SIZE_UNITS);
#else
		if (ret)
			usage_error(prog, "load (-L)", tok);
#endif
		p->nr_loads++;
	}
	free(copy);
}

#endif
/* -b as given, for the usage error that names it */
static const char *size_arg;
#ifdef STALL_LAB
static const char *period_arg;
#define TIME_RATIO_WHAT	"time ratio (-T, 0 or 1-1000000)"

static double parse_ratio(char *prog, const char *what, const char *arg, double max)
{
	double v;

	if (stall_parse_ratio(arg, max, &v))
		usage_error(prog, what, arg);
	return v;
}
#endif

static void parse_args(int argc, char *argv[], struct stall_params *p)
{
#ifndef STALL_NO_KVM_MODES
	const char *names[64], *bad;
#elif !defined(STALL_NO_CHUNKS)
	const char *bad;
#endif
	long l;
#if defined(STALL_LAB) || !defined(STALL_NO_CHUNKS)
	int opt, i;
#else
	int opt;
#endif

#ifndef STALL_NO_KVM_MODES
	for (i = 0; i < stall_nr_modes; i++)
		names[i] = stall_modes[i].name;
#endif
	opterr = 0;
	while ((opt = getopt(argc, argv, OPTSTRING)) != -1) {
		switch (opt) {
#ifdef STALL_LAB
		case 'm':
			parse_guest_mode(argv[0], optarg, p);
			break;
#endif
		case 'b':
			usage_check(argv[0], "memory size (-b)", optarg,
				    stall_parse_size(optarg, &p->size), STALL_SIZE_UNITS);
			size_arg = optarg;
			break;
		case 'v':
			if (stall_parse_count(optarg, STALL_VM_MAX_VCPUS, &l) || !l)
				usage_error(argv[0], "vCPU count (-v, 1-64)", optarg);
			p->nr_vcpus = l;
			break;
#ifdef STALL_LAB
		case 's':
			for (i = 0; i < NUM_SRC_TYPES; i++)
				if (!strcmp(optarg, vm_mem_backing_src_alias(i)->name))
					break;
			if (i == NUM_SRC_TYPES)
				usage_error(argv[0], "backing source type (-s)", optarg);
			p->src = i;
			break;
#endif
		case 'c':
			if (stall_parse_cpu(optarg, &l) || !stall_sys_cpu_allowed(l))
				usage_error(argv[0], "or disallowed test CPU (-c)", optarg);
			p->test_cpu = l;
			break;
#ifndef STALL_NO_KVM_MODES
		case 't':
			if (stall_parse_name_list(optarg, names, stall_nr_modes, &p->modes, &bad))
				usage_error(argv[0], "teardown mode (-t)", bad);
			break;
#endif
#ifndef STALL_NO_CHUNKS
		case 'B':
			i = stall_parse_batch_list(optarg, getpagesize(), p->batch, STALL_MAX_LIST,
						   &p->nr_batch, &bad);
			usage_check(argv[0], "batch size (-B)", bad ? bad : optarg, i,
				    STALL_SIZE_UNITS);
			break;
#endif
#ifndef STALL_NO_REPS
		case 'r':
			if (stall_parse_count(optarg, STALL_MAX_REPS, &l) || !l)
				usage_error(argv[0], "repetitions (-r, 1-64)", optarg);
			p->reps = l;
			break;
#endif
		case 'l':
			/* 0 would fail every point by construction */
			p->budget.stall_allow_ns = parse_duration(argv[0],
								  "stall allowance (-l, more than 0)",
								  optarg, 1, UINT64_MAX);
			break;
#ifdef STALL_LAB
		case 'T':
			/* below 1, even the fastest batch would be over its own budget */
			p->budget.time_ratio = parse_ratio(argv[0], TIME_RATIO_WHAT, optarg, 1e6);
			if (p->budget.time_ratio > 0.0 && p->budget.time_ratio < 1.0)
				usage_error(argv[0], TIME_RATIO_WHAT, optarg);
			break;
		case 'S':
			l = stall_tier_parse(optarg);
			if (l < 0)
				usage_error(argv[0], "budget tier (-S: regression, target)",
					    optarg);
			p->budget.tier = l;
			break;
		case 'R':
			p->budget.step_ratio = parse_ratio(argv[0], "step ratio (-R, 0-1000000)",
							   optarg, 1e6);
			break;
#endif
#ifndef STALL_NO_LOADS
		case 'L':
			parse_loads(argv[0], optarg, p);
			break;
#endif
#ifdef STALL_LAB
		case 'i':
			p->period_ns = parse_duration(argv[0], "probe period (-i, 10us-100ms)",
						      optarg, 10000, 100000000);
			period_arg = optarg;
			break;
		case 'w':
			p->baseline_ns = parse_duration(argv[0], "baseline window (-w, 10ms-60s)",
							optarg, 10000000, 60000000000ULL);
			break;
		case 'n':
			/* -1, or a node number as strict as a CPU number */
			l = -1;
			if ((strcmp(optarg, "-1") && stall_parse_cpu(optarg, &l)) ||
			    l >= stall_sys_nr_nodes())
				usage_error(argv[0], "NUMA node (-n)", optarg);
			p->node = l;
			break;
		case 'W':
			p->window_ns = parse_duration(argv[0], "throughput window (-W, 1ms-10s)",
						      optarg, 1000000, 10000000000ULL);
			break;
		case 'Q':
			p->budget.max_dip = parse_ratio(argv[0],
							"throughput dip (-Q, 0-100 percent)",
							optarg, 100.0) / 100.0;
			break;
		case 'P':
			if (strcmp(optarg, "cpu") && strcmp(optarg, "irq"))
				usage_error(argv[0], "load placement (-P cpu|irq)", optarg);
			p->steer = !strcmp(optarg, "irq");
			break;
		case 'D':
			p->blk_dir = optarg;
			break;
		case 'j':
			results_path = optarg;
			break;
#endif
#ifndef STALL_NO_BUDGET
		case 'd':
			if (stall_run_parse(optarg, &p->run.limit_ns))
				usage_error(argv[0],
					    "time budget (-d: 0, or a duration with a unit: 90s)",
					    optarg);
			p->run_given = true;
			p->run_from = "-d";
			break;
#endif
		case 'h':
			help(argv[0]);
			exit(KSFT_PASS);
		default:
			option_error(argc, argv, opt);
		}
	}
	if (optind < argc)
		usage_error(argv[0], "argument", argv[optind]);
}

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
#endif

static void start_probe(struct stall_params *p)
{
	int ret, cpus[1];

	ret = stall_probe_start(&probe, p->test_cpu, p->period_ns, STALL_PROBE_DEFAULT_PRIO);
	__TEST_REQUIRE(!ret, "SCHED_FIFO probe on CPU %d: %s", p->test_cpu, strerror(-ret));
#ifdef STALL_LAB
	TEST_ASSERT(!stall_window_init(&base_win) && !stall_window_init(&meas_win) &&
		    !stall_window_init(&ctl_win), "probe histograms");
#endif
	/* no page fault in the probe's path; later guest memory stays unlocked */
#ifdef STALL_LAB
	if (!STALL_ASAN && mlockall(MCL_CURRENT))
#else
	if (mlockall(MCL_CURRENT))
#endif
		ksft_print_msg("mlockall: %s (continuing)\n", strerror(errno));
#ifdef STALL_LAB
	if (stall_sys_hold_dma_latency() < 0)
		ksft_print_msg("/dev/cpu_dma_latency unavailable: deep C-states may add latency\n");
#endif
	/* keep this thread's own work off the test CPU */
	if (stall_sys_pick_cpus(p->test_cpu, cpus, 1) > 0 && cpus[0] != p->test_cpu)
		TEST_ASSERT(!stall_sys_pin_self(cpus[0]), "pinning the main thread to CPU %d",
			    cpus[0]);
}

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

/* Which tier judges and what its step is, and what a verdict here does not say. */
static void print_tiers(struct stall_params *p)
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
#endif

static void print_setup(struct stall_params *p)
{
	char gs[16], ss[16];
#ifdef STALL_LAB
	char ks[16];
	u64 expect = stall_report_expected_batch();
#endif

#ifdef STALL_LAB
	ksft_print_msg("test CPU %d on node %d of %d; guest memory %s;",
		       p->test_cpu, stall_sys_cpu_node(p->test_cpu), stall_sys_nr_nodes(),
		       p->node < 0 ? "not bound" : p->node == stall_sys_cpu_node(p->test_cpu) ?
		       "bound to the test CPU's node" : "bound to another node");
#else
	ksft_print_msg("test CPU %d;", p->test_cpu);
#endif
	printf(" %s of %s backing, %d vCPU(s)\n",
	       fmt_size(p->size, ss), vm_mem_backing_src_alias(p->src)->name, p->nr_vcpus);
#ifdef STALL_LAB
	if (!expect)
		ksft_print_msg("host granule %s; not arm64: %s\n", fmt_size(getpagesize(), gs),
			       "no stage2_apply_range() batch to expect");
	else
		ksft_print_msg("host granule %s, stage-2 unmap batch expected %s (%s)\n",
			       fmt_size(getpagesize(), gs), fmt_size(expect, ks),
			       stall_report_expected_batch_source());
#else
	ksft_print_msg("host granule %s\n", fmt_size(getpagesize(), gs));
#endif
	ksft_print_msg("probe sees %s\n", stall_probe_sees_held(&probe) ?
		       "how long it waited for the CPU (schedstat)" :
		       "no run-queue wait (no schedstat): the gap is judged");
#ifndef STALL_NO_REPS
	ksft_print_msg("probe period %lu us, baseline %lu ms, %d repetition(s), allowance %lu us\n",
		       US(p->period_ns), US(p->baseline_ns) / 1000, p->reps,
		       US(p->budget.stall_allow_ns));
#else
	ksft_print_msg("probe period %lu us, baseline %lu ms, allowance %lu us\n",
		       US(p->period_ns), US(p->baseline_ns) / 1000, US(p->budget.stall_allow_ns));
#endif
#ifdef STALL_LAB
	print_tiers(p);
#endif
#ifndef STALL_NO_BUDGET
	/* the start, the KVM library's guest mode probe included, counts too */
	if (p->run.limit_ns)
		ksft_print_msg("time budget %.0f s (%s), %.1f s gone, %.0f s kept for %s%s\n",
			       SEC(p->run.limit_ns), p->run_from,
			       SEC(stall_now_ns() - p->run.start_ns),
			       SEC(p->run.margin_ns), "the exit: ",
			       "a point that would not fit is skipped");
	else
		ksft_print_msg("no time budget (%s): every point runs\n", p->run_from);
#endif
}

/*
 * What the verdicts rested on, and what a pass here does not say: the
 * allowance judges the probe's wait alone, and a host that is not arm64
 * has no stage2_apply_range() batch at all.
 */
static void print_verdict_basis(struct stall_params *p)
{
#ifdef STALL_LAB
	ksft_print_msg("verdicts: %d point(s) by the hold rule (stage-2 work per hold, %s tier)\n",
		       p->rules_used[STALL_RULE_HOLD], stall_tier_names[p->budget.tier]);
	if (!p->have_trace)
		ksft_print_msg("no kernel-side measurement (%s): %s%s\n", p->trace_why,
			       "it needs kprobe events on an arm64 host, ",
			       "or the arm64 testbed (make vm-run)");
	ksft_print_msg("verdicts: %d point(s) by the allowance (%lu us, the probe's wait alone)\n",
		       p->rules_used[STALL_RULE_ABS], US(p->budget.stall_allow_ns));
#else
	ksft_print_msg("verdicts by the allowance (%lu us, the probe's wait for its CPU)\n",
		       US(p->budget.stall_allow_ns));
#endif
#ifndef __aarch64__
	ksft_print_msg("not arm64: a pass says this host's KVM gave the CPU back %s\n",
		       "in time, nothing about arm64's stage-2 batch");
#endif
}

#ifndef STALL_NO_BUDGET
/* Where the run's time went, after its last point. */
static void print_run_end(struct stall_params *p)
{
	double used = SEC(stall_now_ns() - p->run.start_ns);

	if (p->run.limit_ns)
		ksft_print_msg("time budget: %.1f s of %.0f s used, %d point(s) skipped for it\n",
			       used, SEC(p->run.limit_ns), p->run.nr_skipped);
	else
		ksft_print_msg("no time budget: the run took %.1f s\n", used);
}

#endif

/* Field by field: a compound literal this size could be built on the stack. */
static void init_params(struct stall_params *p)
{
	memset(p, 0, sizeof(*p));
	p->size = DEFAULT_TEST_MEM_SIZE;
	p->nr_vcpus = 1;
	p->src = DEFAULT_VM_MEM_SRC;
	p->test_cpu = -1;
#ifdef STALL_LAB
	p->node = -2;
#endif
	p->period_ns = STALL_PROBE_DEFAULT_PERIOD_NS;
	p->baseline_ns = DEFAULT_BASELINE_NS;
#ifndef STALL_NO_REPS
	p->reps = 1;
#endif
	p->budget.stall_allow_ns = STALL_DEFAULT_ALLOW_NS;
#ifdef STALL_LAB
	p->budget.time_ratio = STALL_DEFAULT_TIME_RATIO;
	p->budget.step_ratio = STALL_DEFAULT_STEP_RATIO;
	p->budget.tier = STALL_TIER_REGRESSION;
#endif
#ifndef STALL_NO_LOADS
	p->budget.max_dip = STALL_DEFAULT_MAX_DIP;
#endif
#ifdef STALL_LAB
	p->window_ns = STALL_LOAD_DEFAULT_WINDOW_NS;
	p->blk_dir = ".";
#endif
	p->modes = (1ULL << stall_nr_modes) - 1;
}

#ifdef STALL_LAB
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
#endif

/* Defaults that depend on other options, and checks across options. */
static void finish_params(char *prog, struct stall_params *p)
{
#ifdef STALL_LAB
	struct stat st;
	int i;

	if (!p->mode_given)
		for (i = 0; i < NUM_VM_MODES; i++)
			guest_modes[i].enabled = i == VM_MODE_DEFAULT;
#endif
	if (p->test_cpu < 0)
		stall_sys_pick_cpus(-1, &p->test_cpu, 1);
#ifdef STALL_LAB
	if (p->node == -2)
		p->node = stall_sys_cpu_node(p->test_cpu);
#endif
#ifndef STALL_NO_CHUNKS
	if (!p->nr_batch)
		default_batches(p);
#endif
#ifdef STALL_LAB
	/* -P irq: the loads' threads go round-robin on up to 64 other CPUs */
	p->nr_other_cpus = p->steer ? stall_sys_pick_cpus(p->test_cpu, p->other_cpus, 64) : 0;
	if (p->nr_other_cpus > 64)
		p->nr_other_cpus = 64;
	if (p->nr_other_cpus <= 0) {
		p->other_cpus[0] = p->test_cpu;
		p->nr_other_cpus = 1;
	}
#endif
#ifndef STALL_NO_BUDGET
	if (!p->run_given)
		p->run.limit_ns = stall_run_default(&p->run_from);
#endif
#ifdef STALL_LAB
	if (stat(p->blk_dir, &st) || !(S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)))
		usage_error(prog, "directory or block device (-D)", p->blk_dir);
#endif
	/* a region the backing cannot tile is a typo, not a missing environment */
	if (p->size % get_backing_src_pagesz(p->src))
		usage_error(prog, "memory size (-b, a multiple of the backing page size)",
			    size_arg ? size_arg : "");
#ifdef STALL_LAB
	/* -W, -D */
	for (i = 0; i < p->nr_loads; i++) {
		p->loads[i].window_ns = p->window_ns;
		p->loads[i].dir = p->blk_dir;
		check_scratch_device(prog, &p->loads[i]);
	}
	/* found out now, not after an hour of sweep */
	if (results_path)
		check_results_path(prog, results_path);
	/* a baseline shorter than the probe's period measures no gap at all */
	if (p->period_ns * 10 > p->baseline_ns)
		usage_error(prog, "probe period (-i, at most a tenth of the -w baseline)",
			    period_arg ? period_arg : "");
#endif
}

int main(int argc, char *argv[])
{
	/*
	 * On the heap: large (most of a megabyte with loads) for a small
	 * stack, and in .bss it would grow the ELF image the KVM library
	 * copies into the guest's first memslot
	 */
	struct stall_params *p = calloc(1, sizeof(*p));
#ifndef STALL_NO_BUDGET
	/* the runner's timeout counts from the exec, the KVM library's constructor included */
	u64 start_ns = stall_run_process_start_ns();
#endif
#ifdef STALL_LAB
	int ret;
#endif

	/* each result as it comes, where the KTAP goes to a pipe or a serial console */
	setvbuf(stdout, NULL, _IOLBF, 0);
#ifdef STALL_LAB
	stall_sys_catch_signals();
#endif
	TEST_ASSERT(p, "calloc() of the parameters");
	init_params(p);
#if defined(STALL_LAB) && !defined(__aarch64__)
	/*
	 * arm64's kvm_selftest_arch_init() has probed the modes already, with
	 * a VM of the host's largest IPA size; 6.19+ destroys a VM in steps of
	 * the smallest block across its whole IPA space (2^27 steps for 52
	 * bits with 16K pages, over a minute under QEMU TCG): not twice.
	 */
	guest_modes_append_default();
#endif
	parse_args(argc, argv, p);
	finish_params(argv[0], p);
#ifndef STALL_NO_BUDGET
	stall_run_init(&p->run, p->run.limit_ns, start_ns);
#endif

	ksft_print_header();
	check_requirements(p);
#ifdef STALL_LAB
	claim_resources(p);
	claim_irqs(p);
#endif
	start_probe(p);
#ifdef STALL_LAB
	start_trace(p);
#endif
	print_setup(p);
#ifdef STALL_LAB
	stall_results_begin(results_path, p, stall_probe_sees_held(&probe));
	progress_points = count_points(p);
#endif
#ifndef STALL_NO_LOADS
	/* a result for each load of each point too */
	ksft_set_plan(count_points(p) * (1 + p->nr_loads));
#else
	ksft_set_plan(count_points(p));
#endif

#ifdef STALL_LAB
	for_each_guest_mode(run_test, p);
#else
	run_test(VM_MODE_DEFAULT, p);
#endif

	TEST_ASSERT(!stall_probe_stop(&probe), "stall probe did not stop within 5 s");
#ifdef STALL_LAB
	stall_trace_stop();
	stall_irq_restore_all();
	ret = stall_results_finish(ksft_get_pass_cnt(), ksft_get_fail_cnt(),
				   ksft_get_xskip_cnt());
	if (ret)
		/* a file that cannot be written fails the run */
		ksft_exit_fail_msg("results file %s: %s\n", results_path, strerror(-ret));
#endif
	print_verdict_basis(p);
#ifndef STALL_NO_BUDGET
	print_run_end(p);
#endif
	/* results lost on a full or closed stdout are a failure, not a pass */
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: writing the results to stdout: %s\n", argv[0],
			strerror(errno));
		exit(KSFT_FAIL);
	}
	ksft_finished();
}
