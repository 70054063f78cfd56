/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Latency budgets of the stall tests and the verdicts drawn from them.
 *
 * A point is not ok only when the CPU was held: the probe, woken, waited
 * on the run queue for longer than the allowance while the teardown ran,
 * and either the kernel-side measurement shows a call over the allowance
 * or a control window of the same length, right after the teardown on the
 * same CPU, stayed within it. A machine that breaks the budget by itself
 * (a held control window, or a timer that fired late because the CPU was
 * not running this kernel at all) cannot be judged: a skip that says so.
 * See README.md, "Budgets and why".
 */
#ifndef SELFTEST_KVM_STALL_BUDGET_H
#define SELFTEST_KVM_STALL_BUDGET_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

/* See README.md, "Budgets", for why these are the defaults. */
#define STALL_DEFAULT_ALLOW_NS		1000000ULL	/* 1 ms */
#define STALL_DEFAULT_TIME_RATIO	0.0		/* report only */
#define STALL_DEFAULT_MAX_DIP		0.9		/* IO keeps a tenth of its rate */
#define STALL_DEFAULT_REL_RATIO		4.0		/* x the 2M point's longest call */

#define STALL_MAX_REPS			64
#define STALL_MAX_WINDOWS		8192	/* 82 s of 10 ms windows */

struct stall_budget {
	u64 stall_allow_ns;
	double time_ratio;
	double max_dip;
	double rel_ratio;	/* 0: the absolute allowance judges alone */
};

/* A load's throughput and operation latency, baseline against teardown. */
struct stall_load_verdict {
	double dip;		/* 1 - worst teardown window / baseline median */
	double rate_floor;	/* the lowest window rate that passes */
	u64 lat_limit_ns;
	bool rate_ok;
	bool lat_ok;
};

/* A duration that could not be measured here (no schedstat, no kprobes). */
#define STALL_NS_UNKNOWN		UINT64_MAX

/* One window as the probe saw it. */
struct stall_obs {
	u64 gap_ns;	/* longest gap between two wake-ups */
	u64 held_ns;	/* longest wait on the run queue, or STALL_NS_UNKNOWN */
};

enum stall_class {
	STALL_OK,
	STALL_HELD,		/* not ok: the teardown held the CPU over budget */
	STALL_NOISY,		/* the machine broke the budget by itself: no verdict */
};

struct stall_verdict {
	enum stall_class cls;
	const char *why;	/* a phrase for the output, never NULL */
	u64 stall_limit_ns;
	bool relative;		/* judged by the relative rule */
};

u64 stall_budget_stall_limit(const struct stall_budget *b, u64 baseline_ns);
void stall_budget_judge(const struct stall_budget *b, const struct stall_obs *meas,
			const struct stall_obs *ctl, u64 kcall_ns, u64 kref_ns,
			struct stall_verdict *v);
bool stall_budget_time_ok(const struct stall_budget *b, u64 time_ns, u64 best_time_ns,
			  u64 *limit_ns);
enum stall_class stall_budget_majority(const enum stall_class *cls, int n);
enum stall_class stall_budget_unanimous(const enum stall_class *cls, int n);
void stall_budget_judge_load(const struct stall_budget *b, double base_median, double base_worst,
			     double meas_worst, u64 base_max_ns, u64 meas_max_ns,
			     struct stall_load_verdict *v);
int stall_window_rates(const u64 *units, u64 phase_ns, u64 window_ns,
		       double *rates, int max);
int stall_merge_rates(const double *rates, int n, int f, int keep, float *out);
double stall_median_double(const double *v, int n);
double stall_min_double(const double *v, int n);
u64 stall_median_u64(const u64 *v, int n);
u64 stall_max_u64(const u64 *v, int n);

#endif /* SELFTEST_KVM_STALL_BUDGET_H */
