// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm_page_table_stall_test's sweep: each point's repetitions (baseline,
 * teardown, control window, with the probe on the test CPU), their
 * verdict, and one KTAP result per point and per load. The probe and its
 * windows are this file's: only the sweep switches them.
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

#include "kvm_util.h"
#include "test_util.h"
#include "stall_budget.h"
#include "stall_parse.h"
#include "stall_probe.h"
#include "stall_run.h"
#include "stall_sys.h"
#include "stall_teardown.h"
#include "stall_result.h"
#include "stall_sweep.h"
#include "stall_lab.h"

#define OP_TIMEOUT_S		(10 * 60)
/* loads warm up before the baseline, and are watched for 5 windows at least */
#define LOAD_WARMUP_NS		(50ULL * 1000 * 1000)
#define US(ns)			STALL_US(ns)
#define SEC(ns)			STALL_SEC(ns)
#define NOISY_FIGURES \
	"%s: %d of %d judged repetitions held, stall %lu us, held %lu us, control window %lu us held %lu us, %d tries"

static struct stall_probe probe;
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

static void start_loads(struct stall_params *p)
{
	if (!p->nr_loads)
		return;
	/* the lab kit may place them elsewhere (-P irq) */
	if (!stall_lab()->start_loads || !stall_lab()->start_loads(p))
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
	start_loads(p);

	stall_window_reset(&base_win);
	stall_window_reset(&meas_win);
	stall_window_reset(&ctl_win);
	switch_window(&base_win);
	stall_loads_phase(p->loads, p->nr_loads, STALL_LOAD_BASE);
	stall_sleep_ns(p->baseline_ns);
	if (stall_lab()->teardown_begin)
		stall_lab()->teardown_begin(p);
	switch_window(&meas_win);
	stall_loads_phase(p->loads, p->nr_loads, STALL_LOAD_MEAS);
	t0 = stall_now_ns();
	r->time_ns = run_op_on_test_cpu(pt);
	/* let the probe's first wake-up after the operation land in the window */
	stall_sleep_ns(2 * p->period_ns + 1000000);
	/* five of the loads' windows at least (they share theirs) */
	if (p->nr_loads && stall_now_ns() - t0 < 5 * p->loads[0].window_ns)
		stall_sleep_ns(5 * p->loads[0].window_ns - (stall_now_ns() - t0));
	stall_loads_phase(p->loads, p->nr_loads, STALL_LOAD_IDLE);
	switch_window(&ctl_win);
	r->window_ns = stall_now_ns() - t0;
	stall_sleep_ns(r->window_ns);
	switch_window(NULL);
	/* read back outside the windows: that takes CPU time */
	if (stall_lab()->teardown_end)
		stall_lab()->teardown_end(p, pt, res, rep, &meas_win);
	collect_loads(p, res, rep);
	pt->mode->cleanup(pt);

	r->base_gap_ns = base_win.max_gap_ns;
	observe(&meas_win, &r->meas);
	observe(&ctl_win, &r->ctl);
	r->populate_ns = pt->populate_ns;
	r->nr_ops = pt->nr_ops;
	stall_judge_rep(p, r);
}

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

/* One repetition, run again while the machine's noise left it unjudgeable; returns the runs. */
static int run_rep_judged(struct stall_params *p, struct stall_point *pt,
			  struct stall_result *res, int i)
{
	struct stall_rep *r = &res->rep[i];
	int runs = 0;
	u64 t0;

	do {
		if (stall_lab()->rep_begin)
			stall_lab()->rep_begin(pt, res, i, runs);
		t0 = stall_now_ns();
		run_rep(p, pt, res, i);
		stall_run_rep(&p->run, pt->mode - stall_modes, r->nr_ops, stall_now_ns() - t0,
			      r->time_ns, p->baseline_ns);
		runs++;
	} while (r->v.cls == STALL_NOISY && runs <= STALL_NOISY_RETRIES);
	return runs;
}

static void run_point(struct stall_params *p, enum vm_guest_mode gmode,
		      const struct stall_mode *mode, struct stall_result *res)
{
	struct stall_point pt = {
		.mode = mode,
		.batch = res->batch,
		.cfg = {
			.mode = gmode,
			.src = p->src,
			.size = p->size,
			.nr_vcpus = p->nr_vcpus,
			.test_cpu = p->test_cpu,
		},
	};
	u64 t0 = stall_now_ns();
	bool blind;
	int i, more;

	if (stall_lab()->point_begin)
		stall_lab()->point_begin(p, &pt, res);
	res->skip = mode->unsupported ? mode->unsupported(&pt) : NULL;
	if (!res->skip && !point_fits(p, &pt, res, p->reps)) {
		res->skip = STALL_RUN_SKIP;
		res->over_time = true;
		p->run.nr_skipped++;
	}
	if (res->skip)
		return;

	blind = !p->run.nr_costs;
	res->nr_reps = p->reps;
	for (i = 0; i < res->nr_reps; i++) {
		res->runs += run_rep_judged(p, &pt, res, i);
		/*
		 * The first point's estimate had no point to go by: only its
		 * baselines, a tenth of what populating the guest takes. Its
		 * first repetition is one: the estimate said is from it.
		 */
		if (!i && blind)
			point_fits(p, &pt, res, p->reps);
		if (i < res->nr_reps - 1 || !stall_judge_needs_confirmation(p, res))
			continue;
		more = min(3 * p->reps, STALL_MAX_REPS) - res->nr_reps;
		if (!more)
			break;
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
		res->nr_reps += more;
	}
	stall_run_point(&p->run, p->reps, res->runs);
	res->run_ns = stall_now_ns() - t0;
}

static int count_held(const struct stall_result *res)
{
	int i, n = 0;

	for (i = 0; i < res->nr_reps; i++)
		n += res->rep[i].v.cls == STALL_HELD;
	return n;
}

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
	if (stall_lab()->print_load)
		stall_lab()->print_load(m, v);
	else
		printf(" dip_pct=%.1f op_us max=%lu base_max=%lu budget=%lu\n", 100.0 * v->dip,
		       US(m->meas_max_ns), US(m->base_max_ns), US(v->lat_limit_ns));
}

/*
 * A KTAP result, printed by the test's own file: kselftest.h's counters
 * are static, one set per file, and only the test's are counted.
 */
static void (*ktap_result)(int code, const char *name, const char *reason);

/* One KTAP result per load of a point: its throughput dip and operation latency. */
static void report_load(struct stall_params *p, struct stall_result *res, int i)
{
	struct stall_load_result *m = &res->load_med[i];
	struct stall_load_verdict *v = &res->load_v[i];
	struct stall_load *l = &p->loads[i];
	const char *idle;
	char lname[192];

	snprintf(lname, sizeof(lname), "%s load=%s", res->name, l->spec);
	res->load_code[i] = KSFT_SKIP;
	res->load_reason[i] = res->skip ? res->skip : res->load_skip[i];
	if (!res->skip && !res->load_skip[i][0]) {
		stall_load_medians(res->nr_reps, res->load[i], m);
		/* a load that moved nothing has nothing to lose: no verdict, and why */
		if (!(m->base_median > 0.0)) {
			idle = stall_lab()->load_idle ? stall_lab()->load_idle(l) :
			       "it does not run here";
			snprintf(res->load_skip[i], sizeof(res->load_skip[i]),
				 "the load did nothing in the baseline: %s", idle);
		} else {
			judge_load(p, l, m, v);
			res->load_code[i] = v->rate_ok && v->lat_ok ? KSFT_PASS : KSFT_FAIL;
			res->load_reason[i] = !v->rate_ok ? "throughput dip over budget" :
					      !v->lat_ok ? "operation latency over budget" : NULL;
		}
	}
	ktap_result(res->load_code[i], lname, res->load_reason[i]);
}

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
		       res->runs);
	stall_judge_noisy_why(res);
	/* which noise it was varies from run to run: not in the name */
	ksft_print_msg("%s: %s\n", res->name, res->why);
	res->reason = res->why;
	ktap_result(KSFT_SKIP, res->name, STALL_NOISY_SKIP);
}

/* A judged point's figures, what held the CPU, and its result. */
static void report_judged(struct stall_params *p, const struct stall_mode *mode,
			  struct stall_result *res, u64 best_time_ns)
{
	struct stall_rep *r = &res->rep[res->worst];
	const char *over = NULL;

	stall_report_figures(p, mode, res, best_time_ns);
	if (stall_lab()->judged)
		over = stall_lab()->judged(p, res, best_time_ns);
	if (res->cls == STALL_NOISY) {
		report_noisy(res);
		return;
	}
	res->code = res->cls == STALL_OK && !over ? KSFT_PASS : KSFT_FAIL;
	res->reason = res->cls != STALL_OK ? r->v.why : over;
	ktap_result(res->code, res->name, res->reason);
}

static void report_point(struct stall_params *p, const struct stall_mode *mode,
			 struct stall_result *res, u64 best_time_ns)
{
	int i;

	stall_point_name(p, mode, res);
	print_run_time(p, res->name, res);
	res->code = KSFT_SKIP;
	res->reason = res->skip;
	if (res->skip)
		ktap_result(res->code, res->name, res->reason);
	else
		report_judged(p, mode, res, best_time_ns);
	for (i = 0; i < p->nr_loads; i++)
		report_load(p, res, i);
	if (stall_lab()->point_end)
		stall_lab()->point_end(p, mode, res, best_time_ns);
}

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

static void run_mode(struct stall_params *p, enum vm_guest_mode gmode,
		     const struct stall_mode *mode)
{
	int i, n = mode->batched ? p->nr_batch : 1;
	/*
	 * On the heap, not in the ELF image the KVM library copies into the
	 * guest's first memslot, which a sanitized build's larger image
	 * would overflow
	 */
	struct stall_result *res = calloc(n, sizeof(*res));
	u64 best = 0;

	TEST_ASSERT(res, "calloc() of %d point results", n);
	/* every point's batch first: its figures compare it with the fastest */
	for (i = 0; i < n; i++)
		res[i].batch = mode->batched ? p->batch[i] : STALL_BATCH_ALL;
	run_batches(p, gmode, mode, res, n);
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

/* The sweep in one guest mode: for_each_guest_mode()'s callback. */
void stall_sweep_guest_mode(enum vm_guest_mode gmode, void *arg)
{
	struct stall_params *p = arg;
	int i;

	ksft_print_msg("guest mode: %s\n", vm_guest_mode_string(gmode));
	for (i = 0; i < stall_nr_modes; i++)
		if (p->modes & (1ULL << i))
			run_mode(p, gmode, &stall_modes[i]);
}

static int count_points(struct stall_params *p)
{
	int i, n = 0;

	for (i = 0; i < stall_nr_modes; i++)
		if (p->modes & (1ULL << i))
			n += stall_modes[i].batched ? p->nr_batch : 1;
	return n;
}

/*
 * The KTAP plan: a result for each point, and for each load of each
 * point, each printed by @ktap; returns their number.
 */
int stall_sweep_plan(struct stall_params *p,
		     void (*ktap)(int code, const char *name, const char *reason))
{
	int n = count_points(p);

	ktap_result = ktap;
	if (stall_lab()->plan)
		n = stall_lab()->plan(p, n);
	return n * (1 + p->nr_loads);
}

/*
 * The probe on the test CPU, the process's memory locked, and the main
 * thread off the test CPU; a probe that cannot run is a skip.
 */
void stall_sweep_start_probe(struct stall_params *p)
{
	struct stall_window *wins[] = { &base_win, &meas_win, &ctl_win };
	bool lock = true;
	int ret, cpus[1];

	ret = stall_probe_start(&probe, p->test_cpu, p->period_ns, STALL_PROBE_DEFAULT_PRIO);
	__TEST_REQUIRE(!ret, "SCHED_FIFO probe on CPU %d: %s", p->test_cpu, strerror(-ret));
	if (stall_lab()->probe_started)
		lock = stall_lab()->probe_started(wins, ARRAY_SIZE(wins));
	/* no page fault in the probe's path; later guest memory stays unlocked */
	if (lock && mlockall(MCL_CURRENT))
		ksft_print_msg("mlockall: %s (continuing)\n", strerror(errno));
	/* keep this thread's own work off the test CPU */
	if (stall_sys_pick_cpus(p->test_cpu, cpus, 1) > 0 && cpus[0] != p->test_cpu)
		TEST_ASSERT(!stall_sys_pin_self(cpus[0]), "pinning the main thread to CPU %d",
			    cpus[0]);
}

void stall_sweep_stop_probe(void)
{
	TEST_ASSERT(!stall_probe_stop(&probe), "stall probe did not stop within 5 s");
}

bool stall_sweep_probe_sees_held(void)
{
	return stall_probe_sees_held(&probe);
}

/*
 * What the verdicts rested on, and what a pass here does not say: the
 * allowance judges the probe's wait alone, and a host that is not arm64
 * has no stage2_apply_range() batch at all.
 */
void stall_sweep_print_verdicts(struct stall_params *p)
{
	if (stall_lab()->print_verdicts)
		stall_lab()->print_verdicts(p);
	else
		ksft_print_msg("verdicts by the allowance (%lu us, the probe's wait for its CPU)\n",
			       US(p->budget.stall_allow_ns));
#ifndef __aarch64__
	ksft_print_msg("not arm64: a pass says this host's KVM gave the CPU back %s\n",
		       "in time, nothing about arm64's stage-2 batch");
#endif
}

/* Where the run's time went, after its last point. */
void stall_sweep_print_end(struct stall_params *p)
{
	double used = SEC(stall_now_ns() - p->run.start_ns);

	if (p->run.limit_ns)
		ksft_print_msg("time budget: %.1f s of %.0f s used, %d point(s) skipped for it\n",
			       used, SEC(p->run.limit_ns), p->run.nr_skipped);
	else
		ksft_print_msg("no time budget: the run took %.1f s\n", used);
}
