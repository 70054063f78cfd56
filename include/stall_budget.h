/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Latency budgets of the stall tests and the verdicts drawn from them.
 *
 * A point is judged against the baseline measured in the same run, on the
 * same CPU, just before the operation: the budget is an allowance on top of
 * what the CPU already showed without any teardown, so that a noisy shared
 * machine raises the bar instead of failing the test.
 */
#ifndef SELFTEST_KVM_STALL_BUDGET_H
#define SELFTEST_KVM_STALL_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

/* See README.md, "Budgets", for why these are the defaults. */
#define STALL_DEFAULT_ALLOW_NS		1000000ULL	/* 1 ms */
#define STALL_DEFAULT_TIME_RATIO	0.0		/* report only */
#define STALL_DEFAULT_MAX_DIP		0.9		/* IO keeps a tenth of its rate */

#define STALL_MAX_REPS			64
#define STALL_MAX_WINDOWS		8192	/* 82 s of 10 ms windows */

struct stall_budget {
	uint64_t stall_allow_ns;
	double time_ratio;
	double max_dip;
};

/* A load's throughput and operation latency, baseline against teardown. */
struct stall_load_verdict {
	double dip;		/* 1 - worst teardown window / baseline median */
	double rate_floor;	/* the lowest window rate that passes */
	uint64_t lat_limit_ns;
	bool rate_ok;
	bool lat_ok;
};

struct stall_verdict {
	uint64_t stall_limit_ns;
	uint64_t time_limit_ns;
	bool stall_ok;
	bool time_ok;
	bool noisy;
};

uint64_t stall_budget_stall_limit(const struct stall_budget *b, uint64_t baseline_ns);
void stall_budget_judge(const struct stall_budget *b, uint64_t baseline_ns, uint64_t stall_ns,
			uint64_t time_ns, uint64_t best_time_ns, struct stall_verdict *v);
void stall_budget_judge_load(const struct stall_budget *b, double base_median, double base_worst,
			     double meas_worst, uint64_t base_max_ns, uint64_t meas_max_ns,
			     struct stall_load_verdict *v);
int stall_window_rates(const uint64_t *units, uint64_t phase_ns, uint64_t window_ns,
		       double *rates, int max);
double stall_median_double(const double *v, int n);
double stall_min_double(const double *v, int n);
uint64_t stall_median_u64(const uint64_t *v, int n);
uint64_t stall_max_u64(const uint64_t *v, int n);

#endif /* SELFTEST_KVM_STALL_BUDGET_H */
