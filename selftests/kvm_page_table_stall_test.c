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
 * Sweeps teardown modes and batch sizes; for each point reports the
 * teardown time and throughput, the probe's latency and its longest gap
 * between two wake-ups (the stall), and judges the stall against a budget
 * on top of the baseline measured just before, in one KTAP result.
 *
 * Needs /dev/kvm, root (SCHED_FIFO), and free memory for the region; for
 * hugepage backings, enough free hugepages reserved beforehand.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/types.h>

#include "kvm_util.h"
#include "test_util.h"
#include "guest_modes.h"
#include "stall_blkdev.h"
#include "stall_budget.h"
#include "stall_env.h"
#include "stall_irq.h"
#include "stall_json.h"
#include "stall_load.h"
#include "stall_parse.h"
#include "stall_probe.h"
#include "stall_sys.h"
#include "stall_teardown.h"
#include "stall_trace.h"

#define DEFAULT_TEST_MEM_SIZE	(512ULL << 20)
#define DEFAULT_BASELINE_NS	(200ULL * 1000 * 1000)
#define DEFAULT_BATCHES		"granule,2M,32M,512M,1G,all"
#define OP_TIMEOUT_S		(10 * 60)
/* loads warm up before the baseline, and are watched for 5 windows at least */
#define LOAD_WARMUP_NS		(50ULL * 1000 * 1000)
/* a repetition the machine's own noise made unjudgeable is run again, twice at most */
#define NOISY_RETRIES		2
/*
 * A noisy point's skip reason carries no figure: CI parsers (LKFT's) fold
 * a skip's reason into the result's name, which must not change between
 * runs. The figures go on a diagnostic line before it.
 */
#define NOISY_SKIP		"machine too noisy to judge"
#define NOISY_UNCONFIRMED	NOISY_SKIP ": a hold not every repetition confirmed"
#define NOISY_CONTROL		NOISY_SKIP ": %s"
#define NOISY_FIGURES \
	"%s: %d of %d judged repetitions held, stall %lu us, held %lu us, control window %lu us held %lu us, %d tries"

struct test_params {
	u64 size;
	int nr_vcpus;
	enum vm_mem_backing_src_type src;
	int test_cpu;
	int node;
	u64 modes;
	u64 batch[STALL_MAX_LIST];
	int nr_batch;
	u64 period_ns;
	u64 baseline_ns;
	int reps;
	struct stall_budget budget;
	bool mode_given;
	struct stall_load loads[STALL_LOAD_MAX];
	int nr_loads;
	enum stall_load_placement where;
	const char *blk_dir;
	u64 window_ns;
	/* the run's time budget (-d), and where its default came from */
	struct stall_run_budget run;
	bool run_given;
	const char *run_from;
};

/*
 * Progress on stderr, outside the KTAP, where KVM_STALL_PROGRESS is set:
 * the testbed sets it and shows these lines while the emulated machine
 * runs, for points that take minutes there.
 */
static int progress_point, progress_points;
static const char *fmt_size(u64 bytes, char *buf);

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

/* One repetition of one sweep point. */
struct rep_result {
	u64 base_gap_ns;
	struct stall_obs meas;		/* the teardown's window */
	struct stall_obs ctl;		/* the control window of the same length after it */
	u64 window_ns;
	u64 kcall_ns;		/* longest holding stage-2 call, or STALL_NS_UNKNOWN */
	bool kmatch;			/* that call overlaps the probe's longest gap */
	u64 kcalls;			/* stage-2 calls the kernel-side measurement saw */
	/* the probe's longest waits, attributed; the judged one, -1 for none */
	struct stall_hold holds[STALL_TRACE_HOLDS];
	int hold_fns[STALL_TRACE_HOLDS];	/* the stage-2 function around each, or -1 */
	int nr_holds;
	int pick;
	struct stall_verdict v;		/* under the budget tier that judges */
	struct stall_verdict alt;	/* under the other tier, reported */
	u64 p50_ns;
	u64 p99_ns;
	u64 p999_ns;
	u64 lat_max_ns;
	u64 missed;
	u64 time_ns;
	u64 populate_ns;
	u64 nr_ops;
	/* the probe's wake-up latencies in the teardown's window, for a report */
	u64 hist[STALL_HIST_LOG2_BINS];
	int nr_hist;
	u64 hist_over;			/* past the histogram's range */
};

struct point_result {
	u64 batch;
	const char *skip;
	struct rep_result rep[STALL_MAX_REPS];
	enum stall_class cls;
	int nr_reps;			/* the -r repetitions and any confirming ones */
	int judged;			/* repetitions that were not noisy */
	int worst;			/* the judged repetition with the longest hold */
	struct stall_trace_result k;	/* the kernel's calls in the repetition krep */
	int krep;			/* the repetition with the longest stage-2 call */
	enum stall_class alt_cls;	/* the verdict under the other tier */
	u64 time_ns;
	u64 gap_ns;
	u64 held_ns;
	u64 ctl_gap_ns;
	u64 base_gap_ns;
	struct stall_load_result load[STALL_LOAD_MAX][STALL_MAX_REPS];
	char load_skip[STALL_LOAD_MAX][128];
	u64 run_ns;			/* what the point took, all repetitions */
	u64 est_ns;			/* what the time budget expected it to take */
	u64 left_ns;			/* what was left of the budget when it was to start */
	bool over_time;			/* skipped: it would not have fitted */
};

static struct stall_probe probe;
static struct stall_window base_win, meas_win, ctl_win;
static bool have_trace;
static char trace_why[128];
/* " guest_mode=N" in result names when more than one -m mode runs */
static char guest_mode_tag[24];
/* points judged by each rule, for the run's last words */
static int rules_used[STALL_RULE_HOLD + 1];
/* -j: every point and repetition, written when the run ends (docs/results-file.md) */
static const char *results_path;
static struct stall_json results;

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

static void start_loads(struct test_params *p)
{
	int ret;

	if (!p->nr_loads)
		return;
	ret = stall_loads_start(p->loads, p->nr_loads, p->test_cpu, p->where);
	TEST_ASSERT(!ret, "starting the IO loads: %s", strerror(-ret));
	stall_sleep_ns(LOAD_WARMUP_NS);
}

/* Load results of repetition @rep, or why a load could not run. */
static void collect_loads(struct test_params *p, struct point_result *res, int rep)
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

/* The probe's longest waits (its longest gap without schedstat), for the trace. */
static int holds_of(const struct stall_window *w, u64 table_bytes, struct stall_trace_hold *in)
{
	int i;

	memset(in, 0, STALL_TRACE_HOLDS * sizeof(*in));
	for (i = 0; i < w->nr_holds && i < STALL_TRACE_HOLDS; i++) {
		in[i].end_ns = w->holds[i].end_ns;
		in[i].start_ns = w->holds[i].end_ns - w->holds[i].held_ns;
		in[i].table_bytes = table_bytes;
	}
	if (i || !w->max_gap_ns)
		return i;
	in[0].end_ns = w->max_gap_end_ns;
	in[0].start_ns = w->max_gap_end_ns - w->max_gap_ns;
	in[0].table_bytes = table_bytes;
	return 1;
}

/* What the kernel did while the probe waited: the hold rule's input. */
static void holds_from_trace(struct rep_result *r, const struct stall_trace_result *k,
			     const struct stall_trace_hold *in)
{
	const struct stall_trace_hold *h;
	int i;

	for (i = 0, r->kcalls = 0; i < stall_trace_nr_fns; i++)
		if (stall_trace_fns[i].role != STALL_TRACE_RANGE)
			r->kcalls += k->fn[i].calls;
	r->nr_holds = k->nr_holds;
	for (i = 0; i < k->nr_holds; i++) {
		h = &k->hold[i];
		r->holds[i].held_ns = in[i].end_ns - in[i].start_ns;
		r->holds[i].held_ns -= min(h->softirq_ns, r->holds[i].held_ns);
		r->holds[i].work = h->work;
		r->holds[i].calls = h->calls;
		r->holds[i].stage2 = h->inside;
		/* a destroy's chunks walk a sparse IPA space: their time says nothing */
		r->holds[i].rate_ns_per_mib = h->sparse ? 0 : k->rate_ns_per_mib;
		r->hold_fns[i] = h->outer;
	}
}

/*
 * The longest holding call the kernel made in repetition @rep, and whether
 * it overlaps the probe's longest gap (@w, complete by now); the calls are
 * kept for the repetition with the longest one.
 */
static void end_trace(struct point_result *res, int rep, const struct stall_window *w,
		      u64 table_bytes)
{
	struct stall_trace_hold in[STALL_TRACE_HOLDS];
	struct rep_result *r = &res->rep[rep];
	struct stall_trace_call *c;
	struct stall_trace_result k;
	int n = holds_of(w, table_bytes, in);

	r->kcall_ns = STALL_NS_UNKNOWN;
	r->kmatch = false;
	r->kcalls = 0;
	r->nr_holds = 0;
	if (!have_trace || stall_trace_end(&k, in, n))
		return;
	holds_from_trace(r, &k, in);
	c = &k.longest;
	r->kcall_ns = c->fn >= 0 ? c->ns : 0;
	r->kmatch = c->fn >= 0 && w->max_gap_end_ns - w->max_gap_ns < c->start_ns + c->ns &&
		    c->start_ns < w->max_gap_end_ns;
	/* a repetition run again replaces what its earlier attempt kept */
	if (res->k.longest.fn < 0 || res->krep == rep || r->kcall_ns > res->k.longest.ns) {
		res->k = k;
		res->krep = rep;
	}
}

/* Whether verdict @a is worse than @b: held, then by work rather than time, then more work. */
static bool worse_hold(const struct stall_verdict *a, const struct stall_hold *ha,
		       const struct stall_verdict *b, const struct stall_hold *hb)
{
	if (a->cls != b->cls)
		return a->cls == STALL_HELD;
	if (a->confirm != b->confirm)
		return !a->confirm;
	return ha->work > hb->work;
}

/* The worst of the attributed waits under tier @t; returns its index, -1 for none. */
static int judge_holds(struct test_params *p, const struct rep_result *r, int t,
		       struct stall_verdict *v)
{
	u64 step = stall_tier_step(t, getpagesize());
	const struct stall_hold none = { 0 };
	struct stall_verdict hv;
	int i, pick = -1;

	stall_budget_judge_hold(&p->budget, step, &none, v);
	v->why = "the CPU not held in stage-2 work";
	for (i = 0; i < r->nr_holds; i++) {
		if (!r->holds[i].stage2)
			continue;
		stall_budget_judge_hold(&p->budget, step, &r->holds[i], &hv);
		if (pick < 0 || worse_hold(&hv, &r->holds[i], v, &r->holds[pick])) {
			*v = hv;
			pick = i;
		}
	}
	return pick;
}

/*
 * A repetition under both tiers: where the kernel-side measurement saw
 * stage-2 calls, by the hold rule on every one of the probe's longest
 * waits that they overlap (a longer wait in the host mm's part of an
 * munmap is not stage-2's); else by the allowance, the same for both.
 */
static void judge_rep(struct test_params *p, struct rep_result *r)
{
	if (!r->kcalls) {
		stall_budget_judge(&p->budget, &r->meas, &r->ctl, r->kcall_ns, &r->v);
		r->alt = r->v;
		r->pick = -1;
		return;
	}
	r->pick = judge_holds(p, r, p->budget.tier, &r->v);
	judge_holds(p, r, !p->budget.tier, &r->alt);
}

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
static void run_rep(struct test_params *p, struct stall_point *pt, struct point_result *res,
		    int rep)
{
	struct rep_result *r = &res->rep[rep];
	u64 t0;

	pt->nr_ops = 0;
	pt->mode->setup(pt);
	start_loads(p);

	stall_window_reset(&base_win);
	stall_window_reset(&meas_win);
	stall_window_reset(&ctl_win);
	switch_window(&base_win);
	stall_loads_phase(p->loads, p->nr_loads, STALL_LOAD_BASE);
	stall_sleep_ns(p->baseline_ns);
	TEST_ASSERT(!have_trace || !stall_trace_begin(), "enabling the kprobe events");
	switch_window(&meas_win);
	stall_loads_phase(p->loads, p->nr_loads, STALL_LOAD_MEAS);
	t0 = stall_now_ns();
	r->time_ns = run_op_on_test_cpu(pt);
	/* let the probe's first wake-up after the operation land in the window */
	stall_sleep_ns(2 * p->period_ns + 1000000);
	if (p->nr_loads && stall_now_ns() - t0 < 5 * p->window_ns)
		stall_sleep_ns(5 * p->window_ns - (stall_now_ns() - t0));
	stall_loads_phase(p->loads, p->nr_loads, STALL_LOAD_IDLE);
	switch_window(&ctl_win);
	r->window_ns = stall_now_ns() - t0;
	stall_sleep_ns(r->window_ns);
	switch_window(NULL);
	/* read back outside the windows: parsing takes CPU time */
	end_trace(res, rep, &meas_win, 1ULL << vm_guest_mode_params[pt->cfg.mode].pa_bits);

	collect_loads(p, res, rep);
	pt->mode->cleanup(pt);

	r->base_gap_ns = base_win.max_gap_ns;
	observe(&meas_win, &r->meas);
	observe(&ctl_win, &r->ctl);
	r->p50_ns = stall_hist_percentile_ns(&meas_win.lat, 50.0);
	r->p99_ns = stall_hist_percentile_ns(&meas_win.lat, 99.0);
	r->p999_ns = stall_hist_percentile_ns(&meas_win.lat, 99.9);
	r->lat_max_ns = meas_win.lat.max_ns;
	r->nr_hist = stall_hist_log2(&meas_win.lat, r->hist, STALL_HIST_LOG2_BINS);
	r->hist_over = meas_win.lat.overflow;
	r->missed = meas_win.missed;
	r->populate_ns = pt->populate_ns;
	r->nr_ops = pt->nr_ops;
	judge_rep(p, r);
}

/* Hold of a repetition: run-queue wait where known, else the gap. */
static u64 rep_hold(const struct rep_result *r)
{
	return r->meas.held_ns != STALL_NS_UNKNOWN ? r->meas.held_ns : r->meas.gap_ns;
}

/*
 * The point's verdict and figures: medians over the judged repetitions
 * (over all of them when none could be judged), the teardown time over all.
 */
static void summarize_point(struct test_params *p, struct point_result *res)
{
	u64 t[STALL_MAX_REPS], g[STALL_MAX_REPS], h[STALL_MAX_REPS], c[STALL_MAX_REPS];
	u64 b[STALL_MAX_REPS];
	enum stall_class cls[STALL_MAX_REPS], alt[STALL_MAX_REPS];
	int i, n = 0;

	res->worst = 0;
	for (i = 0; i < res->nr_reps; i++) {
		struct rep_result *r = &res->rep[i];

		t[i] = r->time_ns;
		cls[i] = r->v.cls;
		alt[i] = r->alt.cls;
		if (cls[i] == STALL_NOISY)
			continue;
		if (!n || rep_hold(r) > rep_hold(&res->rep[res->worst]))
			res->worst = i;
		n++;
	}
	res->judged = n;
	for (i = 0, n = 0; i < res->nr_reps; i++) {
		struct rep_result *r = &res->rep[i];

		if (res->judged && r->v.cls == STALL_NOISY)
			continue;
		g[n] = r->meas.gap_ns;
		h[n] = r->meas.held_ns;
		c[n] = r->ctl.gap_ns;
		b[n++] = r->base_gap_ns;
	}
	res->cls = res->nr_reps > p->reps ? stall_budget_unanimous(cls, res->nr_reps) :
		   stall_budget_majority(cls, res->nr_reps);
	res->alt_cls = res->nr_reps > p->reps ? stall_budget_unanimous(alt, res->nr_reps) :
		       stall_budget_majority(alt, res->nr_reps);
	res->time_ns = stall_median_u64(t, res->nr_reps);
	res->gap_ns = stall_median_u64(g, n);
	res->held_ns = stall_median_u64(h, n);
	res->ctl_gap_ns = stall_median_u64(c, n);
	res->base_gap_ns = stall_median_u64(b, n);
}

/*
 * A hold that the kernel-side measurement does not put on stage-2 work
 * over budget (a hold over the allowance in no long stage-2 call, one
 * only longer than a step's time, or one nothing measures, as on a host
 * without kprobes) is confirmed by twice as many repetitions again, every
 * one of which must be held too: the kernel's batch holds the CPU every
 * time, another process's non-preemptible syscall or a hypervisor taking
 * the CPU from a waiting probe does not.
 */
static bool rep_unexplained(struct test_params *p, const struct rep_result *r)
{
	if (r->v.cls != STALL_HELD)
		return false;
	if (r->v.rule == STALL_RULE_HOLD)
		return r->v.confirm;
	return r->kcall_ns == STALL_NS_UNKNOWN || r->kcall_ns <= p->budget.stall_allow_ns;
}

static bool needs_confirmation(struct test_params *p, struct point_result *res)
{
	enum stall_class cls[STALL_MAX_REPS];
	int i, unexplained = 0;

	for (i = 0; i < res->nr_reps; i++) {
		cls[i] = res->rep[i].v.cls;
		unexplained += rep_unexplained(p, &res->rep[i]);
	}
	return res->nr_reps < STALL_MAX_REPS && unexplained &&
	       stall_budget_majority(cls, res->nr_reps) == STALL_HELD;
}

/*
 * Whether the point fits in what is left of the run's time budget, by what
 * the points already run cost: one operation per batch, the whole region
 * in one for an unbatched mode.
 */
static bool point_fits(struct test_params *p, const struct stall_point *pt,
		       struct point_result *res)
{
	u64 ops = 1, batch = stall_point_batch_bytes(pt);

	if (pt->mode->batched)
		ops = (p->size + batch - 1) / batch;
	res->est_ns = stall_run_estimate(&p->run, pt->mode - stall_modes, ops, p->reps,
					 p->baseline_ns);
	return stall_run_fits(&p->run, res->est_ns, stall_now_ns(), &res->left_ns);
}

/* One repetition, run again while the machine's noise left it unjudgeable; returns the runs. */
static int run_rep_judged(struct test_params *p, struct stall_point *pt,
			  struct point_result *res, int i)
{
	struct rep_result *r = &res->rep[i];
	int runs = 0;
	char bs[16];
	u64 t0;

	do {
		progress("point %d of %d: %s batch=%s, repetition %d of %d%s",
			 progress_point, progress_points, pt->mode->name,
			 pt->mode->batched ? fmt_size(res->batch, bs) : "n/a", i + 1,
			 res->nr_reps, runs ? " (again: the machine was noisy)" : "");
		t0 = stall_now_ns();
		run_rep(p, pt, res, i);
		stall_run_rep(&p->run, pt->mode - stall_modes, r->nr_ops, stall_now_ns() - t0,
			      r->time_ns, p->baseline_ns);
		runs++;
	} while (r->v.cls == STALL_NOISY && runs <= NOISY_RETRIES);
	return runs;
}

static void run_point(struct test_params *p, enum vm_guest_mode gmode,
		      const struct stall_mode *mode, struct point_result *res)
{
	struct stall_point pt = {
		.mode = mode,
		.batch = res->batch,
		.populate_timeout_ns = 1800ULL * 1000000000ULL,
		.cfg = {
			.mode = gmode,
			.src = p->src,
			.size = p->size,
			.nr_vcpus = p->nr_vcpus,
			.node = p->node,
			.test_cpu = p->test_cpu,
		},
	};
	u64 t0 = stall_now_ns();
	int i, runs = 0;

	progress_point++;
	pt.cfg.nr_slots = stall_point_nr_slots(mode, p->size, stall_point_batch_bytes(&pt));
	res->skip = mode->unsupported ? mode->unsupported(&pt) : NULL;
	res->k.longest.fn = -1;
	if (!res->skip && !point_fits(p, &pt, res)) {
		res->skip = STALL_RUN_SKIP;
		res->over_time = true;
		p->run.nr_skipped++;
	}
	if (res->skip)
		return;

	res->nr_reps = p->reps;
	for (i = 0; i < res->nr_reps; i++) {
		runs += run_rep_judged(p, &pt, res, i);
		if (i == res->nr_reps - 1 && needs_confirmation(p, res))
			res->nr_reps = min(3 * p->reps, STALL_MAX_REPS);
	}
	stall_run_point(&p->run, p->reps, runs);
	res->run_ns = stall_now_ns() - t0;
}

static const char *fmt_size(u64 bytes, char *buf)
{
	return stall_fmt_size(bytes, buf, 16);
}

static const char *expected_batch_source(void)
{
	return stall_env_stage2_batch() ? "kvm.stage2_batch" : "6.12's";
}

/*
 * The batch stage2_apply_range() uses on 6.12 (the smallest block, the
 * level-1 block with 4K pages: arch/arm64/include/asm/kvm_pgtable.h), or
 * the one the knob's parameter set, only a label next to what the
 * kernel-side measurement observed: a candidate fix or a later kernel may
 * differ, and the output then says so.
 */
static u64 expected_batch(void)
{
#ifdef __aarch64__
	u64 knob = stall_env_stage2_batch();

	if (knob)
		return knob;
	switch (getpagesize()) {
	case 4096:
		return 1ULL << 30;
	case 16384:
		return 32ULL << 20;
	default:
		return 512ULL << 20;
	}
#else
	return 0;
#endif
}

static double gibps(u64 bytes, u64 ns)
{
	return ns ? (double)bytes / (1 << 30) / ((double)ns / 1e9) : 0.0;
}

#define US(ns) ((unsigned long)((ns) / 1000))
#define SEC(ns) ((double)(ns) / 1e9)

static const char *const class_names[] = {
	[STALL_OK] = "ok", [STALL_HELD] = "held", [STALL_NOISY] = "noisy",
};

static const char *const rule_names[] = {
	[STALL_RULE_ABS] = "abs", [STALL_RULE_HOLD] = "hold",
};

/* Whether the kept kernel call overlaps its repetition's longest probe gap. */
static bool kernel_matches(const struct point_result *res)
{
	return res->k.longest.fn >= 0 && res->rep[res->krep].kmatch;
}

static int print_kernel(const struct point_result *res, char *line, size_t len)
{
	const struct stall_trace_call *c = &res->k.longest;
	char ob[16], eb[16], cs[16];
	u64 calls = 0, batch, bcalls, bns, expect = expected_batch();
	bool exact;
	int i, n;

	for (i = 0; i < stall_trace_nr_fns; i++)
		if (stall_trace_fns[i].role != STALL_TRACE_RANGE)
			calls += res->k.fn[i].calls;
	batch = stall_trace_observed_batch(&res->k, &exact);
	snprintf(ob, sizeof(ob), "%s%s", batch && !exact ? ">=" : "",
		 batch ? fmt_size(batch, cs) : "none");
	n = snprintf(line, len, " kbatch=%s kbatch_expected=%s%s kcalls=%lu",
		     ob, expect ? fmt_size(expect, eb) : "n/a",
		     batch && expect && (exact ? batch != expect : batch > expect) ?
		     " kbatch_differs" : "", (unsigned long)calls);
	if (n < 0 || (size_t)n >= len)
		return n;
	bns = stall_trace_batch_ns(&res->k, &bcalls);
	return n + snprintf(line + n, len - n,
			    " kcall_us=%lu ksoftirq_us=%lu kfn=%s kcall_size=%s kmatch=%s klost=%lu ktotal_us=%lu",
			    US(c->fn >= 0 ? c->ns : 0), US(c->softirq_ns),
			    c->fn >= 0 ? stall_trace_fns[c->fn].name : "none",
			    c->size ? fmt_size(c->size, cs) : "n/a",
			    kernel_matches(res) ? "yes" : "no", (unsigned long)res->k.lost,
			    US(bns));
}

/*
 * The results file (-j). Durations are in ns, sizes in bytes; a figure
 * that could not be measured here is null. Documented in docs/results-file.md
 * with its JSON schema in schema/results-v1.schema.json.
 */
#define RESULTS_SCHEMA_VERSION	1
#ifndef STALL_SUITE_VERSION
#define STALL_SUITE_VERSION	"in-tree"
#endif

static void json_ns(const char *key, u64 ns)
{
	if (ns == STALL_NS_UNKNOWN)
		stall_json_null(&results, key);
	else
		stall_json_u64(&results, key, ns);
}

static void json_options(struct test_params *p)
{
	struct stall_json *j = &results;
	char bs[16];
	int i;

	stall_json_obj(j, "options");
	stall_json_u64(j, "size", p->size);
	stall_json_s64(j, "vcpus", p->nr_vcpus);
	stall_json_str(j, "backing", vm_mem_backing_src_alias(p->src)->name);
	stall_json_u64(j, "backing_page_size", get_backing_src_pagesz(p->src));
	stall_json_s64(j, "test_cpu", p->test_cpu);
	stall_json_s64(j, "node", p->node);
	stall_json_arr(j, "modes");
	for (i = 0; i < stall_nr_modes; i++)
		if (p->modes & (1ULL << i))
			stall_json_str(j, NULL, stall_modes[i].name);
	stall_json_end(j);
	stall_json_arr(j, "batches");
	for (i = 0; i < p->nr_batch; i++)
		stall_json_str(j, NULL, fmt_size(p->batch[i], bs));
	stall_json_end(j);
	stall_json_s64(j, "reps", p->reps);
	stall_json_u64(j, "period_ns", p->period_ns);
	stall_json_u64(j, "baseline_ns", p->baseline_ns);
	stall_json_u64(j, "stall_allow_ns", p->budget.stall_allow_ns);
	stall_json_str(j, "tier", stall_tier_names[p->budget.tier]);
	stall_json_double(j, "step_ratio", p->budget.step_ratio);
	stall_json_double(j, "time_ratio", p->budget.time_ratio);
	stall_json_double(j, "max_dip", p->budget.max_dip);
	stall_json_arr(j, "loads");
	for (i = 0; i < p->nr_loads; i++)
		stall_json_str(j, NULL, p->loads[i].spec);
	stall_json_end(j);
	stall_json_str(j, "placement", p->where == STALL_LOAD_IRQ ? "irq" : "cpu");
	stall_json_u64(j, "load_window_ns", p->window_ns);
	stall_json_end(j);
}

static void json_begin(struct test_params *p)
{
	struct stall_json *j = &results;

	if (!results_path)
		return;
	TEST_ASSERT(!stall_json_init(j), "results file: out of memory");
	stall_json_obj(j, NULL);
	stall_json_str(j, "schema", "kvm-stall-results");
	stall_json_s64(j, "schema_version", RESULTS_SCHEMA_VERSION);
	stall_json_obj(j, "suite");
	stall_json_str(j, "test", "kvm_page_table_stall_test");
	stall_json_str(j, "version", STALL_SUITE_VERSION);
	stall_json_end(j);
	stall_json_obj(j, "environment");
	stall_env_json(j);
	stall_json_obj(j, "kernel_side");
	stall_json_bool(j, "available", have_trace);
	stall_json_str(j, "why_not", have_trace ? NULL : trace_why);
	stall_json_end(j);
	stall_json_bool(j, "probe_sees_held", stall_probe_sees_held(&probe));
	stall_json_end(j);
	json_options(p);
	stall_json_arr(j, "points");
}

static void json_rep(const struct rep_result *r)
{
	struct stall_json *j = &results;
	int i;

	stall_json_obj(j, NULL);
	stall_json_u64(j, "time_ns", r->time_ns);
	stall_json_u64(j, "populate_ns", r->populate_ns);
	stall_json_u64(j, "ops", r->nr_ops);
	stall_json_u64(j, "window_ns", r->window_ns);
	stall_json_u64(j, "stall_ns", r->meas.gap_ns);
	json_ns("held_ns", r->meas.held_ns);
	stall_json_u64(j, "ctl_stall_ns", r->ctl.gap_ns);
	json_ns("ctl_held_ns", r->ctl.held_ns);
	stall_json_u64(j, "base_stall_ns", r->base_gap_ns);
	stall_json_u64(j, "probe_p50_ns", r->p50_ns);
	stall_json_u64(j, "probe_p99_ns", r->p99_ns);
	stall_json_u64(j, "probe_p999_ns", r->p999_ns);
	stall_json_u64(j, "probe_max_ns", r->lat_max_ns);
	stall_json_u64(j, "missed", r->missed);
	stall_json_arr(j, "probe_hist_log2_us");
	for (i = 0; i < r->nr_hist; i++)
		stall_json_u64(j, NULL, r->hist[i]);
	stall_json_end(j);
	stall_json_u64(j, "probe_hist_over", r->hist_over);
	json_ns("kcall_ns", r->kcall_ns);
	stall_json_bool(j, "kmatch", r->kmatch);
	stall_json_str(j, "verdict", class_names[r->v.cls]);
	stall_json_str(j, "why", r->v.why);
	stall_json_end(j);
}

/* The judged repetition's longest wait as the kernel-side measurement saw it. */
static void json_hold(const struct rep_result *r)
{
	static const struct stall_hold none;
	const struct stall_hold *h = r->pick >= 0 ? &r->holds[r->pick] : &none;
	int fn = r->pick >= 0 ? r->hold_fns[r->pick] : -1;
	struct stall_json *j = &results;

	stall_json_obj(j, "hold");
	stall_json_u64(j, "held_ns", h->held_ns);
	stall_json_u64(j, "work_bytes", h->work);
	stall_json_u64(j, "calls", h->calls);
	stall_json_str(j, "fn", fn >= 0 ? stall_trace_fns[fn].name : NULL);
	stall_json_u64(j, "rate_ns_per_mib", h->rate_ns_per_mib);
	stall_json_end(j);
}

static void json_kernel(const struct point_result *res)
{
	const struct stall_trace_call *c = &res->k.longest;
	struct stall_json *j = &results;
	u64 batch, bns, bcalls, expect = expected_batch();
	bool exact;

	if (!have_trace) {
		stall_json_null(j, "kernel");
		return;
	}
	batch = stall_trace_observed_batch(&res->k, &exact);
	bns = stall_trace_batch_ns(&res->k, &bcalls);
	stall_json_obj(j, "kernel");
	stall_json_str(j, "longest_fn", c->fn >= 0 ? stall_trace_fns[c->fn].name : NULL);
	json_ns("longest_call_ns", c->fn >= 0 ? c->ns : STALL_NS_UNKNOWN);
	stall_json_u64(j, "longest_call_size", c->size);
	stall_json_u64(j, "longest_call_softirq_ns", c->softirq_ns);
	stall_json_bool(j, "overlaps_stall", kernel_matches(res));
	stall_json_str(j, "stack", c->fn >= 0 && c->stack[0] ? c->stack : NULL);
	stall_json_u64(j, "batch", batch);
	stall_json_bool(j, "batch_exact", exact);
	stall_json_u64(j, "batch_expected", expect);
	stall_json_u64(j, "lost_events", res->k.lost);
	stall_json_u64(j, "batch_calls", bcalls);
	stall_json_u64(j, "batch_total_ns", bns);
	json_hold(&res->rep[res->worst]);
	stall_json_end(j);
}

/* Opens a result's object, a point's or a load's, with what every result has. */
static bool json_result(const char *name, const char *result, const char *reason)
{
	if (!results_path)
		return false;
	stall_json_obj(&results, NULL);
	stall_json_str(&results, "name", name);
	stall_json_str(&results, "result", result);
	stall_json_str(&results, "reason", reason);
	return true;
}

/* Opens the point's object; json_point_end() closes it after its loads. */
static void json_point(struct test_params *p, const struct stall_mode *mode,
		       const struct point_result *res, const char *name, const char *result,
		       const char *reason, u64 best_time_ns)
{
	const struct rep_result *r = &res->rep[res->worst];
	struct stall_json *j = &results;
	char bs[16];
	int i;

	if (!json_result(name, result, reason))
		return;
	stall_json_str(j, "mode", mode->name);
	stall_json_str(j, "batch", mode->batched ? fmt_size(res->batch, bs) : NULL);
	if (res->skip) {
		stall_json_arr(j, "loads");
		return;
	}
	stall_json_str(j, "verdict", class_names[res->cls]);
	stall_json_s64(j, "judged", res->judged);
	stall_json_s64(j, "reps_run", res->nr_reps);
	stall_json_u64(j, "time_ns", res->time_ns);
	stall_json_double(j, "time_x", best_time_ns ? (double)res->time_ns / best_time_ns : 0.0);
	stall_json_u64(j, "stall_ns", res->gap_ns);
	json_ns("held_ns", res->held_ns);
	stall_json_u64(j, "ctl_stall_ns", res->ctl_gap_ns);
	stall_json_u64(j, "base_stall_ns", res->base_gap_ns);
	stall_json_str(j, "rule", rule_names[r->v.rule]);
	stall_json_u64(j, "budget_ns", r->v.stall_limit_ns);
	stall_json_obj(j, "tiers");
	stall_json_str(j, stall_tier_names[p->budget.tier], class_names[res->cls]);
	stall_json_str(j, stall_tier_names[!p->budget.tier], class_names[res->alt_cls]);
	stall_json_end(j);
	json_kernel(res);
	stall_json_arr(j, "reps");
	for (i = 0; i < res->nr_reps; i++)
		json_rep(&res->rep[i]);
	stall_json_end(j);
	stall_json_arr(j, "loads");
}

static void json_point_end(void)
{
	if (!results_path)
		return;
	stall_json_end(&results);
	stall_json_end(&results);
}

/* a repetition's throughput over time (the median has none) */
static void json_load_series(const struct stall_load_result *m)
{
	struct stall_json *j = &results;
	int i;

	stall_json_obj(j, "series");
	stall_json_u64(j, "window_ns", m->series_window_ns);
	stall_json_arr(j, "base");
	for (i = 0; i < m->nr_base; i++)
		stall_json_double(j, NULL, m->series[i]);
	stall_json_end(j);
	stall_json_arr(j, "meas");
	for (i = 0; i < m->nr_meas; i++)
		stall_json_double(j, NULL, m->series[m->nr_base + i]);
	stall_json_end(j);
	stall_json_end(j);
}

static void json_load_result(const char *key, const struct stall_load_result *m)
{
	struct stall_json *j = &results;

	stall_json_obj(j, key);
	stall_json_double(j, "rate_base", m->base_median);
	stall_json_double(j, "rate_base_worst", m->base_worst);
	stall_json_double(j, "rate_worst", m->meas_worst);
	stall_json_u64(j, "op_base_max_ns", m->base_max_ns);
	stall_json_u64(j, "op_p50_ns", m->meas_p50_ns);
	stall_json_u64(j, "op_p99_ns", m->meas_p99_ns);
	stall_json_u64(j, "op_max_ns", m->meas_max_ns);
	stall_json_u64(j, "ops", m->ops);
	stall_json_double(j, "cpu_pct", m->cpu_pct);
	if (!key)
		json_load_series(m);
	stall_json_end(j);
}

static void json_load(const struct stall_load *l, const char *name, const char *result,
		      const char *reason, const struct point_result *res, int i,
		      const struct stall_load_result *m, const struct stall_load_verdict *v)
{
	struct stall_json *j = &results;
	int rep;

	if (!json_result(name, result, reason))
		return;
	stall_json_str(j, "spec", l->spec);
	stall_json_str(j, "unit", l->kind->unit);
	if (m) {
		json_load_result("median", m);
		stall_json_double(j, "dip", v->dip);
		stall_json_double(j, "rate_floor", v->rate_floor);
		stall_json_u64(j, "op_budget_ns", v->lat_limit_ns);
		stall_json_arr(j, "reps");
		for (rep = 0; rep < res->nr_reps; rep++)
			json_load_result(NULL, &res->load[i][rep]);
		stall_json_end(j);
	}
	stall_json_end(j);
}

/* Close the document and write it; a file that cannot be written fails the run. */
static void json_finish(void)
{
	struct stall_json *j = &results;
	int ret;

	if (!results_path)
		return;
	stall_json_end(j);
	stall_json_obj(j, "totals");
	stall_json_u64(j, "pass", ksft_get_pass_cnt());
	stall_json_u64(j, "fail", ksft_get_fail_cnt());
	stall_json_u64(j, "skip", ksft_get_xskip_cnt());
	stall_json_end(j);
	stall_json_end(j);
	ret = stall_json_write(j, results_path);
	stall_json_free(j);
	if (ret)
		ksft_exit_fail_msg("results file %s: %s\n", results_path, strerror(-ret));
	ksft_print_msg("results written to %s\n", results_path);
}

/* One "key=value" line per point, for people and for scripts/matrix.sh alike. */
/* The range function around the judged wait, or "none". */
static const char *hold_fn_name(const struct rep_result *r)
{
	int fn = r->pick >= 0 ? r->hold_fns[r->pick] : -1;

	return fn >= 0 ? stall_trace_fns[fn].name : "none";
}

/* Stage-2 work, a share of calls' ranges: to three figures. */
static const char *fmt_work(u64 bytes, char *buf)
{
	if (bytes >= 1ULL << 30)
		snprintf(buf, 16, "%.3gG", (double)bytes / (1ULL << 30));
	else if (bytes >= 1ULL << 20)
		snprintf(buf, 16, "%.3gM", (double)bytes / (1ULL << 20));
	else
		snprintf(buf, 16, "%luK", (unsigned long)(bytes >> 10));
	return buf;
}

/*
 * The judged repetition's hold: the stage-2 work in it against the tier's
 * step, and the verdict under each tier.
 */
static int print_hold(struct test_params *p, const struct point_result *res, char *line,
		      size_t len)
{
	const struct rep_result *r = &res->rep[res->worst];
	const struct stall_hold *h = r->pick >= 0 ? &r->holds[r->pick] : NULL;
	enum stall_tier t = p->budget.tier;
	char ws[16], ss[16];

	return snprintf(line, len,
			" hold_us=%lu hold_work=%s hold_calls=%lu hold_fn=%s step=%s %s=%s %s=%s",
			h ? US(h->held_ns) : 0UL,
			h ? fmt_work(h->work, ws) : "n/a", h ? (unsigned long)h->calls : 0UL,
			hold_fn_name(r),
			fmt_size(stall_tier_step(t, getpagesize()), ss),
			stall_tier_names[t], class_names[res->cls],
			stall_tier_names[!t], class_names[res->alt_cls]);
}

static void print_point(struct test_params *p, const struct stall_mode *mode,
			struct point_result *res, u64 best_time_ns)
{
	u64 p99[STALL_MAX_REPS], lat[STALL_MAX_REPS], gaps[STALL_MAX_REPS];
	struct rep_result *r = &res->rep[res->worst];
	char line[768], bs[16], ss[16], held[24];
	size_t n;
	int i;

	for (i = 0; i < res->nr_reps; i++) {
		p99[i] = res->rep[i].p99_ns;
		lat[i] = res->rep[i].lat_max_ns;
		gaps[i] = res->rep[i].meas.gap_ns;
	}
	snprintf(held, sizeof(held), "%lu", US(res->held_ns));
	n = snprintf(line, sizeof(line), "point mode=%s batch=%s size=%s ops=%lu",
		     mode->name, mode->batched ? fmt_size(res->batch, bs) : "n/a",
		     fmt_size(p->size, ss), (unsigned long)r->nr_ops);
	n += snprintf(line + n, sizeof(line) - n, " time_us=%lu gibps=%.2f", US(res->time_ns),
		      gibps(p->size, res->time_ns));
	n += snprintf(line + n, sizeof(line) - n, " populate_us=%lu populate_gibps=%.2f",
		      US(r->populate_ns), gibps(p->size, r->populate_ns));
	n += snprintf(line + n, sizeof(line) - n, " p99_us=%lu lat_max_us=%lu missed=%lu",
		      US(stall_median_u64(p99, res->nr_reps)), US(stall_max_u64(lat, res->nr_reps)),
		      (unsigned long)r->missed);
	n += snprintf(line + n, sizeof(line) - n,
		      " stall_us=%lu stall_max_us=%lu held_us=%s ctl_us=%lu base_us=%lu",
		      US(res->gap_ns), US(stall_max_u64(gaps, res->nr_reps)),
		      res->held_ns == STALL_NS_UNKNOWN ? "n/a" : held, US(res->ctl_gap_ns),
		      US(res->base_gap_ns));
	n += snprintf(line + n, sizeof(line) - n,
		      " tier=%s rule=%s budget_us=%lu window_us=%lu time_x=%.2f verdict=%s judged=%d/%d",
		      stall_tier_names[p->budget.tier], rule_names[r->v.rule],
		      US(r->v.stall_limit_ns), US(r->window_ns),
		      best_time_ns ? (double)res->time_ns / best_time_ns : 0.0,
		      class_names[res->cls], res->judged, res->nr_reps);
	n += print_hold(p, res, line + n, sizeof(line) - n);
	if (have_trace && n < sizeof(line))
		print_kernel(res, line + n, sizeof(line) - n);
	ksft_print_msg("%s\n", line);
	rules_used[r->v.rule]++;
}

static int count_held(const struct point_result *res)
{
	int i, n = 0;

	for (i = 0; i < res->nr_reps; i++)
		n += res->rep[i].v.cls == STALL_HELD;
	return n;
}

/* What held the CPU, for a point over budget: the kernel's call and its stack. */
static void print_attribution(const char *name, struct point_result *res)
{
	const struct stall_trace_call *c = &res->k.longest;
	struct rep_result *r = &res->rep[res->worst];
	const struct stall_hold *h = r->pick >= 0 ? &r->holds[r->pick] : NULL;
	char cs[16], ws[16];

	if (h)
		ksft_print_msg("%s: CPU held %lu us across %s of stage-2 work in %lu %s %s (%s)\n",
			       name, US(h->held_ns), fmt_work(h->work, ws), (unsigned long)h->calls,
			       "call(s) under", hold_fn_name(r), r->v.why);
	else
		ksft_print_msg("%s: CPU held %lu us (%s)\n", name, US(rep_hold(r)), r->v.why);
	if (!have_trace)
		return;
	if (c->fn < 0) {
		ksft_print_msg("%s: no stage-2 call on the test CPU: held by another kernel path\n",
			       name);
		return;
	}
	ksft_print_msg("%s: longest stage-2 call %s(size %s) %lu us, %s the probe's stall\n",
		       name, stall_trace_fns[c->fn].name, c->size ? fmt_size(c->size, cs) : "n/a",
		       US(c->ns), kernel_matches(res) ? "overlapping" : "not overlapping");
	if (c->stack[0])
		ksft_print_msg("%s: call stack: %s\n", name, c->stack);
}

/* A skip that keeps the point's name, so that CI systems track it across runs. */
static __printf(2, 3) void result_skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	ksft_cnt.ksft_xskip++;
	printf("ok %u %s # SKIP ", ksft_test_num(), name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* Medians over repetitions of one load's results. */
static void load_medians(int n, struct stall_load_result *rep, struct stall_load_result *m)
{
	double d[5][STALL_MAX_REPS];
	u64 u[5][STALL_MAX_REPS];
	int i;

	for (i = 0; i < n; i++) {
		d[0][i] = rep[i].base_median;
		d[1][i] = rep[i].base_worst;
		d[2][i] = rep[i].meas_worst;
		d[3][i] = rep[i].cpu_pct;
		u[0][i] = rep[i].base_max_ns;
		u[1][i] = rep[i].meas_p50_ns;
		u[2][i] = rep[i].meas_p99_ns;
		u[3][i] = rep[i].meas_max_ns;
		u[4][i] = rep[i].ops;
	}
	m->base_median = stall_median_double(d[0], n);
	m->base_worst = stall_median_double(d[1], n);
	m->meas_worst = stall_median_double(d[2], n);
	m->cpu_pct = stall_median_double(d[3], n);
	m->base_max_ns = stall_median_u64(u[0], n);
	m->meas_p50_ns = stall_median_u64(u[1], n);
	m->meas_p99_ns = stall_median_u64(u[2], n);
	m->meas_max_ns = stall_median_u64(u[3], n);
	m->ops = stall_median_u64(u[4], n);
}

/* One KTAP result per load of a point: its throughput dip and operation latency. */
static void report_load(struct test_params *p, const char *name, struct point_result *res,
			int i)
{
	struct stall_load *l = &p->loads[i];
	struct stall_load_verdict v;
	struct stall_load_result m;
	const char *reason;
	char lname[192], why[128];

	snprintf(lname, sizeof(lname), "%s load=%s", name, l->spec);
	if (res->skip || res->load_skip[i][0]) {
		reason = res->skip ? res->skip : res->load_skip[i];
		result_skip(lname, "%s\n", reason);
		json_load(l, lname, "skip", reason, res, i, NULL, NULL);
		return;
	}
	load_medians(res->nr_reps, res->load[i], &m);
	/* a load that moved nothing has nothing to lose: no verdict, and why */
	if (!(m.base_median > 0.0)) {
		snprintf(why, sizeof(why), "the load did nothing in the baseline (rate 0): %s%s",
			 l->io_errno ? "its operations failed: " : "it does not run here",
			 l->io_errno ? strerror(l->io_errno) : "");
		reason = why;
		result_skip(lname, "%s\n", reason);
		json_load(l, lname, "skip", reason, res, i, NULL, NULL);
		return;
	}
	stall_budget_judge_load(&p->budget, m.base_median, m.base_worst, m.meas_worst,
				m.base_max_ns, m.meas_max_ns, &v);
	/* one diagnostic line, written in two parts */
	ksft_print_msg("load %s %s: rate/s base=%.0f base_worst=%.0f worst=%.0f floor=%.0f",
		       l->spec, l->kind->unit, m.base_median, m.base_worst, m.meas_worst,
		       v.rate_floor);
	printf(" dip_pct=%.1f op_us p50=%lu p99=%lu max=%lu", 100.0 * v.dip, US(m.meas_p50_ns),
	       US(m.meas_p99_ns), US(m.meas_max_ns));
	printf(" base_max=%lu budget=%lu load_cpu_pct=%.1f\n", US(m.base_max_ns),
	       US(v.lat_limit_ns), m.cpu_pct);
	ksft_test_result(v.rate_ok && v.lat_ok, "%s\n", lname);
	json_load(l, lname, v.rate_ok && v.lat_ok ? "pass" : "fail",
		  !v.rate_ok ? "throughput dip over budget" :
		  !v.lat_ok ? "operation latency over budget" : NULL, res, i, &m, &v);
}

/* What a point took of the run's time budget; for one that did not fit, why. */
static void print_run_time(struct test_params *p, const char *name,
			   const struct point_result *res)
{
	if (!p->run.limit_ns || (res->skip && !res->over_time))
		return;
	if (res->over_time)
		ksft_print_msg("%s: time budget: estimated %.1f s, %.1f s left of %.0f s %s\n",
			       name, SEC(res->est_ns), SEC(res->left_ns), SEC(p->run.limit_ns),
			       "less what is kept for the exit");
	else
		ksft_print_msg("%s: time budget: took %.1f s, estimated %.1f s\n", name,
			       SEC(res->run_ns), SEC(res->est_ns));
}

static void report_point(struct test_params *p, const struct stall_mode *mode,
			 struct point_result *res, u64 best_time_ns)
{
	char bs[16], gs[16], ss[16], name[128], reason[256];
	struct rep_result *r = &res->rep[res->worst];
	u64 time_limit;
	bool time_ok;
	int i;

	snprintf(name, sizeof(name), "%s batch=%s granule=%s backing=%s%s", mode->name,
		 mode->batched ? fmt_size(res->batch, bs) : "n/a",
		 fmt_size(getpagesize(), gs), fmt_size(get_backing_src_pagesz(p->src), ss),
		 guest_mode_tag);
	print_run_time(p, name, res);
	if (res->skip) {
		result_skip(name, "%s\n", res->skip);
		json_point(p, mode, res, name, "skip", res->skip, best_time_ns);
		for (i = 0; i < p->nr_loads; i++)
			report_load(p, name, res, i);
		json_point_end();
		return;
	}
	time_ok = stall_budget_time_ok(&p->budget, res->time_ns, best_time_ns, &time_limit);
	print_point(p, mode, res, best_time_ns);
	if (!time_ok)
		ksft_print_msg("%s: teardown %lu us is over %.2fx the fastest batch (%lu us)\n",
			       name, US(res->time_ns), p->budget.time_ratio, US(best_time_ns));
	if (res->cls == STALL_HELD)
		print_attribution(name, res);
	if (res->cls == STALL_NOISY) {
		ksft_print_msg(NOISY_FIGURES "\n", name, count_held(res), res->judged,
			       US(r->meas.gap_ns), US(rep_hold(r)), US(r->ctl.gap_ns),
			       US(r->ctl.held_ns == STALL_NS_UNKNOWN ? r->ctl.gap_ns :
				  r->ctl.held_ns),
			       res->judged ? res->nr_reps : NOISY_RETRIES + 1);
		if (res->judged)
			snprintf(reason, sizeof(reason), NOISY_UNCONFIRMED);
		else
			snprintf(reason, sizeof(reason), NOISY_CONTROL, r->v.why);
		/* which noise it was varies from run to run: not in the name */
		ksft_print_msg("%s: %s\n", name, reason);
		result_skip(name, "%s\n", NOISY_SKIP);
		json_point(p, mode, res, name, "skip", reason, best_time_ns);
	} else {
		ksft_test_result(res->cls == STALL_OK && time_ok, "%s\n", name);
		json_point(p, mode, res, name, res->cls == STALL_OK && time_ok ? "pass" : "fail",
			   res->cls != STALL_OK ? r->v.why :
			   time_ok ? NULL : "teardown time over budget",
			   best_time_ns);
	}
	for (i = 0; i < p->nr_loads; i++)
		report_load(p, name, res, i);
	json_point_end();
}

/*
 * A mode's points in order of their operations, fewest first: the time
 * budget learns an operation's cost from the cheapest point, and bounds
 * a point of more operations by the one before it. Reported in the plan's
 * order.
 */
static void run_batches(struct test_params *p, enum vm_guest_mode gmode,
			const struct stall_mode *mode, struct point_result *res, int n)
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

static void run_mode(struct test_params *p, enum vm_guest_mode gmode,
		     const struct stall_mode *mode)
{
	int i, n = mode->batched ? p->nr_batch : 1;
	/*
	 * ~30 KB a point: on the heap, not in the ELF image the KVM library
	 * copies into the guest's first memslot, which a sanitized build's
	 * larger image would overflow
	 */
	struct point_result *res = calloc(n, sizeof(*res));
	u64 best = 0;

	TEST_ASSERT(res, "calloc() of %d point results", n);
	/* all batches first: the time budget compares against the fastest */
	for (i = 0; i < n; i++)
		res[i].batch = mode->batched ? p->batch[i] : STALL_BATCH_ALL;
	run_batches(p, gmode, mode, res, n);
	for (i = 0; i < n; i++) {
		if (res[i].skip)
			continue;
		summarize_point(p, &res[i]);
		if (!best || res[i].time_ns < best)
			best = res[i].time_ns;
	}
	for (i = 0; i < n; i++)
		report_point(p, mode, &res[i], best);
	free(res);
}

static void run_test(enum vm_guest_mode gmode, void *arg)
{
	struct test_params *p = arg;
	int i, nr = 0;

	ksft_print_msg("guest mode: %s\n", vm_guest_mode_string(gmode));
	/* with several -m modes, the mode keeps each result's name unique */
	for (i = 0; i < NUM_VM_MODES; i++)
		nr += guest_modes[i].enabled && guest_modes[i].supported;
	if (nr > 1)
		snprintf(guest_mode_tag, sizeof(guest_mode_tag), " guest_mode=%d", gmode);
	for (i = 0; i < stall_nr_modes; i++)
		if (p->modes & (1ULL << i))
			run_mode(p, gmode, &stall_modes[i]);
}

static int count_points(struct test_params *p)
{
	int i, n = 0, gm = 0;

	for (i = 0; i < stall_nr_modes; i++)
		if (p->modes & (1ULL << i))
			n += stall_modes[i].batched ? p->nr_batch : 1;
	for (i = 0; i < NUM_VM_MODES; i++)
		gm += guest_modes[i].enabled && guest_modes[i].supported;
	return n * gm * (1 + p->nr_loads);
}

static void help(char *name)
{
	int i;

	puts("");
	printf("usage: %s [-h] [-m mode] [-b mem-size] [-v vcpus] [-s mem-type]\n"
	       "          [-c cpu] [-t modes] [-B batches] [-i period] [-w baseline]\n"
	       "          [-r reps] [-l allowance] [-S tier] [-R ratio] [-T ratio] [-n node]\n"
	       "          [-L loads] [-P cpu|irq] [-D dir] [-Q dip] [-W window]\n"
	       "          [-j results.json] [-d time-budget]\n", name);
	puts("");
	printf("Sizes take a unit (%s), durations one of %s: a bare\n"
	       "number is refused.\n", STALL_SIZE_UNITS, STALL_DURATION_UNITS);
	puts("");
	guest_modes_help();
	printf("     (here the default is the library's default mode alone)\n");
	printf(" -b: size of the memory region to tear down, e.g. 256M or 64G (default: 512M)\n");
	printf(" -v: number of vCPUs populating it (default: 1)\n");
	backing_src_help("-s");
	printf(" -c: test CPU: the teardown and the probe run there (default: first allowed)\n");
	printf(" -t: comma-separated teardown modes, or all (default: all):\n");
	for (i = 0; i < stall_nr_modes; i++)
		printf("     %-17s %s\n", stall_modes[i].name, stall_modes[i].help);
	printf(" -B: comma-separated batch sizes, e.g. 2M; 'granule' is the host page size and\n"
	       "     'all' the whole region in one operation (default: %s,\n"
	       "     keeping those smaller than the region)\n", DEFAULT_BATCHES);
	printf(" -i: probe period, e.g. 100us (default: 100us)\n");
	printf(" -w: baseline window before each operation, e.g. 200ms (default: 200ms)\n");
	printf(" -r: repetitions of each point; the verdict is the majority of the judged\n"
	       "     ones, the figures their medians (default: 1)\n");
	printf(" -l: stall allowance: how long the test CPU may be held, e.g. 1ms\n"
	       "     (default: 1ms)\n");
	printf(" -S: budget tier where the kernel is measured from the inside: regression\n"
	       "     (one hold of the CPU may cover one largest-block step of stage-2 work,\n"
	       "     as mainline promises: 1G with 4K pages) or target (one smallest-block\n"
	       "     step, the 2024 proposal: 2M with 4K pages) (default: regression)\n");
	printf(" -R: a hold may also last this many times one step's typical time, 0 = no\n"
	       "     time rule (default: 8)\n");
	printf(" -T: teardown time budget as a ratio to the mode's fastest batch, 0 = off\n"
	       "     (default: 0)\n");
	printf(" -n: NUMA node for guest memory, -1 for no binding (default: the test CPU's)\n");
	printf(" -L: IO loads run through each point, comma-separated,\n"
	       "     each NAME[:key=value...]:\n");
	for (i = 0; stall_load_kind_at(i); i++)
		printf("     %-12s %s\n", stall_load_kind_at(i)->name, stall_load_kind_at(i)->help);
	printf(" -P: load placement: cpu (threads on the test CPU) or irq (device\n"
	       "     interrupts steered to the test CPU, threads elsewhere) (default: cpu)\n");
	printf(" -D: directory for the blk load's file, on the disk to load (default: .)\n");
	printf(" -Q: throughput dip budget, percent below the baseline median (default: 90)\n");
	printf(" -W: throughput window, e.g. 10ms (default: 10ms)\n");
	printf(" -j: also write every point and repetition, with the environment, as JSON\n"
	       "     (schema: docs/results-file.md), once the run ends\n");
	printf(" -d: time budget of the whole run, e.g. 300s; points that would not fit\n"
	       "     are skipped; 0 = none (default: the kselftest timeout, from the\n"
	       "     runner or the settings file next to the test, else 120s)\n");
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

static void default_batches(struct test_params *p)
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

static void parse_guest_mode(char *prog, const char *arg, struct test_params *p)
{
	char *end, mode[24];
	long m = strtol(arg, &end, 10);

	if (*arg < '0' || *arg > '9' || *end || m >= NUM_VM_MODES || !guest_modes[m].supported)
		usage_error(prog, "or unsupported guest mode", arg);
	/* the library reads "09" as bad octal and asserts (found by the fuzzer) */
	snprintf(mode, sizeof(mode), "%ld", m);
	guest_modes_cmdline(mode);
	p->mode_given = true;
}

/* "tcp-stream,blk:bs=64k:qd=32": each a generator spec (see -h). */
static void parse_loads(char *prog, const char *arg, struct test_params *p)
{
	char *copy, *tok, *save;
	int ret;

	if (stall_parse_list_has_empty(arg))
		usage_error(prog, "load list (-L)", arg);
	copy = strdup(arg);
	TEST_ASSERT(copy, "strdup(): out of memory");
	/* the last -L given is the one that counts */
	while (p->nr_loads)
		stall_load_free(&p->loads[--p->nr_loads]);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (p->nr_loads == STALL_LOAD_MAX)
			usage_error(prog, "load list (-L, 4 loads at most)", arg);
		ret = stall_load_parse(&p->loads[p->nr_loads], tok, p->blk_dir);
		usage_check(prog, "load (-L)", tok, ret, STALL_SIZE_UNITS);
		p->nr_loads++;
	}
	free(copy);
}

/* -b as given, for the usage error that names it */
static const char *size_arg, *period_arg;
#define TIME_RATIO_WHAT	"time ratio (-T, 0 or 1-1000000)"

static double parse_ratio(char *prog, const char *what, const char *arg, double max)
{
	double v;

	if (stall_parse_ratio(arg, max, &v))
		usage_error(prog, what, arg);
	return v;
}

static void parse_args(int argc, char *argv[], struct test_params *p)
{
	const char *names[64], *bad;
	long l;
	int opt, i;

	for (i = 0; i < stall_nr_modes; i++)
		names[i] = stall_modes[i].name;

	opterr = 0;
	while ((opt = getopt(argc, argv, ":hm:b:v:s:c:t:B:i:w:r:l:S:R:T:n:L:P:D:Q:W:j:d:")) != -1) {
		switch (opt) {
		case 'm':
			parse_guest_mode(argv[0], optarg, p);
			break;
		case 'b':
			usage_check(argv[0], "memory size (-b)", optarg,
				    stall_parse_size(optarg, &p->size), STALL_SIZE_UNITS);
			size_arg = optarg;
			break;
		case 'v':
			if (stall_parse_cpu(optarg, &l) || !l || l > STALL_VM_MAX_VCPUS)
				usage_error(argv[0], "vCPU count (-v, 1-64)", optarg);
			p->nr_vcpus = l;
			break;
		case 's':
			for (i = 0; i < NUM_SRC_TYPES; i++)
				if (!strcmp(optarg, vm_mem_backing_src_alias(i)->name))
					break;
			if (i == NUM_SRC_TYPES)
				usage_error(argv[0], "backing source type (-s)", optarg);
			p->src = i;
			break;
		case 'c':
			if (stall_parse_cpu(optarg, &l) || !stall_sys_cpu_allowed(l))
				usage_error(argv[0], "or disallowed test CPU (-c)", optarg);
			p->test_cpu = l;
			break;
		case 't':
			if (stall_parse_name_list(optarg, names, stall_nr_modes, &p->modes, &bad))
				usage_error(argv[0], "teardown mode (-t)", bad);
			break;
		case 'B':
			i = stall_parse_batch_list(optarg, getpagesize(), p->batch, STALL_MAX_LIST,
						   &p->nr_batch, &bad);
			usage_check(argv[0], "batch size (-B)", bad ? bad : optarg, i,
				    STALL_SIZE_UNITS);
			break;
		case 'i':
			p->period_ns = parse_duration(argv[0], "probe period (-i, 10us-100ms)",
						      optarg, 10000, 100000000);
			period_arg = optarg;
			break;
		case 'w':
			p->baseline_ns = parse_duration(argv[0], "baseline window (-w, 10ms-60s)",
							optarg, 10000000, 60000000000ULL);
			break;
		case 'r':
			if (stall_parse_cpu(optarg, &l) || !l || l > STALL_MAX_REPS)
				usage_error(argv[0], "repetitions (-r, 1-64)", optarg);
			p->reps = l;
			break;
		case 'l':
			/* 0 would fail every point by construction */
			p->budget.stall_allow_ns = parse_duration(argv[0],
								  "stall allowance (-l, more than 0)",
								  optarg, 1, UINT64_MAX);
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
		case 'T':
			/* below 1, even the fastest batch would be over its own budget */
			p->budget.time_ratio = parse_ratio(argv[0], TIME_RATIO_WHAT, optarg, 1e6);
			if (p->budget.time_ratio > 0.0 && p->budget.time_ratio < 1.0)
				usage_error(argv[0], TIME_RATIO_WHAT, optarg);
			break;
		case 'n':
			/* -1, or a node number as strict as a CPU number */
			l = -1;
			if ((strcmp(optarg, "-1") && stall_parse_cpu(optarg, &l)) ||
			    l >= stall_sys_nr_nodes())
				usage_error(argv[0], "NUMA node (-n)", optarg);
			p->node = l;
			break;
		case 'L':
			parse_loads(argv[0], optarg, p);
			break;
		case 'P':
			if (strcmp(optarg, "cpu") && strcmp(optarg, "irq"))
				usage_error(argv[0], "load placement (-P cpu|irq)", optarg);
			p->where = strcmp(optarg, "irq") ? STALL_LOAD_ON_CPU : STALL_LOAD_IRQ;
			break;
		case 'D':
			p->blk_dir = optarg;
			break;
		case 'j':
			results_path = optarg;
			break;
		case 'd':
			if (stall_run_parse(optarg, &p->run.limit_ns))
				usage_error(argv[0],
					    "time budget (-d: 0, or a duration with a unit: 90s)",
					    optarg);
			p->run_given = true;
			p->run_from = "-d";
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

/* Unmet requirements are skips, reported before the plan. */
/* Whether /dev/kvm is KVM: the library asserts (exit 254) on a device that is not. */
static bool kvm_answers(void)
{
	int fd = open(KVM_DEV_PATH, O_RDWR | O_CLOEXEC), ver;

	if (fd < 0)
		return true;	/* the library's own open says why, as a skip */
	ver = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	return ver == KVM_API_VERSION;
}

static void check_requirements(struct test_params *p)
{
	u64 pagesz = get_backing_src_pagesz(p->src);
	/* saturating: a size near 2^64 must be the documented skip, not a wrap */
	u64 need = p->size > (UINT64_MAX - (256ULL << 20)) / 9 * 8 ? UINT64_MAX :
			p->size + p->size / 8 + (256ULL << 20);

	__TEST_REQUIRE(kvm_answers(), "%s does not answer KVM_GET_API_VERSION: not KVM",
		       KVM_DEV_PATH);
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_USER_MEMORY));
	__TEST_REQUIRE(!geteuid(), "root is needed for the SCHED_FIFO probe");
	if (is_backing_src_hugetlb(p->src))
		__TEST_REQUIRE(stall_sys_free_hugepages(pagesz) >= p->size / pagesz,
			       "%lu free %lu kB hugepages needed (reserve them in /sys/kernel/mm/hugepages)",
			       (unsigned long)(p->size / pagesz), (unsigned long)(pagesz >> 10));
	else
		__TEST_REQUIRE(stall_sys_mem_available() >= need,
			       "%lu MiB of available memory needed for -b %lu MiB, %lu MiB available",
			       (unsigned long)(need >> 20), (unsigned long)(p->size >> 20),
			       (unsigned long)(stall_sys_mem_available() >> 20));
	if (p->src == VM_MEM_SRC_ANONYMOUS_THP)
		__TEST_REQUIRE(stall_sys_thp_enabled(), "transparent hugepages are disabled");
}

/*
 * One run per test CPU, and one blk load per disk: two would measure
 * each other and pass or fail without saying why.
 */
static void claim_cpu_and_disk(struct test_params *p)
{
	char name[64];
	struct stat st;
	int i, ret;
	dev_t dev;

	snprintf(name, sizeof(name), "kvm-stall-cpu-%d", p->test_cpu);
	ret = stall_sys_claim(name);
	__TEST_REQUIRE(ret != -EADDRINUSE,
		       "another run uses test CPU %d: run them one after another, or on another -c",
		       p->test_cpu);
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
static void claim_irqs(struct test_params *p)
{
	int ret;

	if (stall_irq_recover_stale())
		ksft_print_msg("restored IRQ affinities left by an interrupted run\n");
	if (p->where != STALL_LOAD_IRQ)
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

static void start_probe(struct test_params *p)
{
	int ret, cpus[1];

	ret = stall_probe_start(&probe, p->test_cpu, p->period_ns, STALL_PROBE_DEFAULT_PRIO);
	__TEST_REQUIRE(!ret, "SCHED_FIFO probe on CPU %d: %s", p->test_cpu, strerror(-ret));
	TEST_ASSERT(!stall_window_init(&base_win) && !stall_window_init(&meas_win) &&
		    !stall_window_init(&ctl_win), "probe histograms");
	/* no page fault in the probe's path; later guest memory stays unlocked */
	if (!STALL_ASAN && mlockall(MCL_CURRENT))
		ksft_print_msg("mlockall: %s (continuing)\n", strerror(errno));
	if (stall_sys_hold_dma_latency() < 0)
		ksft_print_msg("/dev/cpu_dma_latency unavailable: deep C-states may add latency\n");
	/* keep this thread's own work off the test CPU */
	if (stall_sys_pick_cpus(p->test_cpu, cpus, 1) > 0 && cpus[0] != p->test_cpu)
		TEST_ASSERT(!stall_sys_pin_self(cpus[0]), "pinning the main thread to CPU %d",
			    cpus[0]);
}

/*
 * Kernel-side measurement where tracefs has kprobe events; said once
 * where it does not, and the probe alone judges.
 */
static void start_trace(struct test_params *p)
{
	char fns[320];

	if (stall_trace_recover_stale())
		ksft_print_msg("removed tracefs probes left by an interrupted run\n");
	have_trace = !stall_trace_start(p->test_cpu, trace_why, sizeof(trace_why));
	if (!have_trace) {
		ksft_print_msg("kernel-side measurement unavailable: %s; %s\n",
			       trace_why, "verdicts from the probe alone");
		return;
	}
	stall_trace_describe(fns, sizeof(fns));
	ksft_print_msg("kernel-side measurement: kprobe events on %s\n", fns);
}

/* Which tier judges and what its step is, and what a verdict here does not say. */
static void print_tiers(struct test_params *p)
{
	enum stall_tier t = p->budget.tier;
	char ts[16], as[16];

	ksft_print_msg("budget tier %s: a hold of the CPU may cover one %s step of %s (%s: %s)\n",
		       stall_tier_names[t], fmt_size(stall_tier_step(t, getpagesize()), ts),
		       "stage-2 work", stall_tier_names[!t],
		       fmt_size(stall_tier_step(!t, getpagesize()), as));
	if (!have_trace)
		ksft_print_msg("no kernel-side measurement: the tiers cannot apply, the %s\n",
			       "allowance judges the probe's wait alone");
}

static void print_setup(struct test_params *p)
{
	char gs[16], ks[16], ss[16];
	u64 expect = expected_batch();

	ksft_print_msg("test CPU %d on node %d of %d; guest memory %s;",
		       p->test_cpu, stall_sys_cpu_node(p->test_cpu), stall_sys_nr_nodes(),
		       p->node < 0 ? "not bound" : p->node == stall_sys_cpu_node(p->test_cpu) ?
		       "bound to the test CPU's node" : "bound to another node");
	printf(" %s of %s backing, %d vCPU(s)\n",
	       fmt_size(p->size, ss), vm_mem_backing_src_alias(p->src)->name, p->nr_vcpus);
	if (!expect)
		ksft_print_msg("host granule %s; not arm64: %s\n", fmt_size(getpagesize(), gs),
			       "no stage2_apply_range() batch to expect");
	else
		ksft_print_msg("host granule %s, stage-2 unmap batch expected %s (%s); %s\n",
			       fmt_size(getpagesize(), gs), fmt_size(expect, ks),
			       expected_batch_source(), have_trace ?
			       "the observed one is kbatch" : "not observed without the trace");
	ksft_print_msg("probe sees %s\n", stall_probe_sees_held(&probe) ?
		       "how long it waited for the CPU (schedstat): held_us" :
		       "no run-queue wait (no schedstat): the gap is judged");
	ksft_print_msg("probe period %lu us, baseline %lu ms, %d repetition(s), allowance %lu us,",
		       US(p->period_ns), US(p->baseline_ns) / 1000, p->reps,
		       US(p->budget.stall_allow_ns));
	printf(" step time ratio %.1f\n", p->budget.step_ratio);
	print_tiers(p);
	/* the start, the KVM library's guest mode probe included, counts too */
	if (p->run.limit_ns)
		ksft_print_msg("time budget %.0f s (%s), %.1f s gone, %.0f s kept for %s\n",
			       SEC(p->run.limit_ns), p->run_from,
			       SEC(stall_now_ns() - p->run.start_ns), SEC(p->run.margin_ns),
			       "the exit: a point that would not fit is skipped");
	else
		ksft_print_msg("no time budget (%s): every point runs\n", p->run_from);
}

/*
 * What the verdicts rested on, and what a pass here does not say: without
 * the kernel-side measurement the allowance judged the probe's wait alone,
 * and a host that is not arm64 has no stage2_apply_range() batch at all.
 */
static void print_verdict_basis(struct test_params *p)
{
	ksft_print_msg("verdicts: %d point(s) by the hold rule (stage-2 work per hold, %s tier),",
		       rules_used[STALL_RULE_HOLD], stall_tier_names[p->budget.tier]);
	printf(" %d by the allowance (%lu us, the probe's wait alone)\n",
	       rules_used[STALL_RULE_ABS], US(p->budget.stall_allow_ns));
	if (!have_trace)
		ksft_print_msg("no kernel-side measurement (%s): %s%s\n", trace_why,
			       "it needs kprobe events on an arm64 host, ",
			       "or the arm64 testbed (make vm-run)");
	if (!expected_batch())
		ksft_print_msg("not arm64: a pass says this host's KVM gave the CPU back %s\n",
			       "in time, nothing about arm64's stage-2 batch");
}

/* Where the run's time went, after its last point. */
static void print_run_end(struct test_params *p)
{
	double used = SEC(stall_now_ns() - p->run.start_ns);

	print_verdict_basis(p);

	if (p->run.limit_ns)
		ksft_print_msg("time budget: %.1f s of %.0f s used, %d point(s) skipped for it\n",
			       used, SEC(p->run.limit_ns), p->run.nr_skipped);
	else
		ksft_print_msg("no time budget: the run took %.1f s\n", used);
}

/* The results file's destination, proved writable before anything runs. */
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

/* Field by field: a compound literal this size could be built on the stack. */
static void init_params(struct test_params *p)
{
	memset(p, 0, sizeof(*p));
	p->size = DEFAULT_TEST_MEM_SIZE;
	p->nr_vcpus = 1;
	p->src = DEFAULT_VM_MEM_SRC;
	p->test_cpu = -1;
	p->node = -2;
	p->period_ns = STALL_PROBE_DEFAULT_PERIOD_NS;
	p->baseline_ns = DEFAULT_BASELINE_NS;
	p->reps = 1;
	p->budget.stall_allow_ns = STALL_DEFAULT_ALLOW_NS;
	p->budget.time_ratio = STALL_DEFAULT_TIME_RATIO;
	p->budget.step_ratio = STALL_DEFAULT_STEP_RATIO;
	p->budget.tier = STALL_TIER_REGRESSION;
	p->budget.max_dip = STALL_DEFAULT_MAX_DIP;
	p->blk_dir = ".";
	p->window_ns = STALL_LOAD_DEFAULT_WINDOW_NS;
	p->modes = (1ULL << stall_nr_modes) - 1;
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

/* Defaults that depend on other options, and checks across options. */
static void finish_params(char *prog, struct test_params *p)
{
	struct stat st;
	int i;

	if (!p->mode_given)
		for (i = 0; i < NUM_VM_MODES; i++)
			guest_modes[i].enabled = i == VM_MODE_DEFAULT;
	if (p->test_cpu < 0)
		stall_sys_pick_cpus(-1, &p->test_cpu, 1);
	if (p->node == -2)
		p->node = stall_sys_cpu_node(p->test_cpu);
	if (!p->nr_batch)
		default_batches(p);
	if (!p->run_given)
		p->run.limit_ns = stall_run_default(&p->run_from);
	if (stat(p->blk_dir, &st) || !(S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)))
		usage_error(prog, "directory or block device (-D)", p->blk_dir);
	/* a region the backing cannot tile is a typo, not a missing environment */
	if (p->size % get_backing_src_pagesz(p->src))
		usage_error(prog, "memory size (-b, a multiple of the backing page size)",
			    size_arg ? size_arg : "");
	for (i = 0; i < p->nr_loads; i++) {
		p->loads[i].dir = p->blk_dir;
		p->loads[i].window_ns = p->window_ns;
		check_scratch_device(prog, &p->loads[i]);
	}
	/* found out now, not after an hour of sweep */
	if (results_path)
		check_results_path(prog, results_path);
	/* a baseline shorter than the probe's period measures no gap at all */
	if (p->period_ns * 10 > p->baseline_ns)
		usage_error(prog, "probe period (-i, at most a tenth of the -w baseline)",
			    period_arg ? period_arg : "");
}

int main(int argc, char *argv[])
{
	/*
	 * On the heap: its loads' parameters are most of a megabyte, too much
	 * for a small stack, and in .bss they would grow the ELF image the
	 * KVM library copies into the guest's first memslot
	 */
	struct test_params *p = calloc(1, sizeof(*p));
	/* the runner's timeout counts from the start */
	u64 start_ns = stall_now_ns();

	stall_sys_catch_signals();
	TEST_ASSERT(p, "calloc() of the parameters");
	init_params(p);
	guest_modes_append_default();
	parse_args(argc, argv, p);
	finish_params(argv[0], p);
	stall_run_init(&p->run, p->run.limit_ns, start_ns);

	ksft_print_header();
	check_requirements(p);
	claim_cpu_and_disk(p);
	claim_irqs(p);
	start_probe(p);
	start_trace(p);
	print_setup(p);
	json_begin(p);
	ksft_set_plan(count_points(p));
	progress_points = count_points(p) / (1 + p->nr_loads);

	for_each_guest_mode(run_test, p);

	TEST_ASSERT(!stall_probe_stop(&probe), "stall probe did not stop within 5 s");
	stall_trace_stop();
	stall_irq_restore_all();
	json_finish();
	print_run_end(p);
	/* results lost on a full or closed stdout are a failure, not a pass */
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: writing the results to stdout: %s\n", argv[0],
			strerror(errno));
		exit(KSFT_FAIL);
	}
	ksft_finished();
}
