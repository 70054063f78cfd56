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

#define STALL_MAX_REPS			64

struct stall_budget {
	uint64_t stall_allow_ns;
	double time_ratio;
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
uint64_t stall_median_u64(const uint64_t *v, int n);
uint64_t stall_max_u64(const uint64_t *v, int n);

#endif /* SELFTEST_KVM_STALL_BUDGET_H */
