// SPDX-License-Identifier: GPL-2.0-only
/*
 * Latency budgets of the stall tests and the verdicts drawn from them.
 */
#include <stdlib.h>
#include <string.h>

#include "stall_budget.h"

uint64_t stall_budget_stall_limit(const struct stall_budget *b, uint64_t baseline_ns)
{
	uint64_t limit = baseline_ns + b->stall_allow_ns;

	return limit < baseline_ns ? UINT64_MAX : limit;
}

/*
 * @best_time_ns is the fastest teardown of the same mode in the sweep; a
 * time ratio of 0 leaves the teardown time unjudged (reported only).
 * "noisy" flags a baseline that already exceeds the allowance: the point
 * is then judged leniently and the output says so.
 */
void stall_budget_judge(const struct stall_budget *b, uint64_t baseline_ns, uint64_t stall_ns,
			uint64_t time_ns, uint64_t best_time_ns, struct stall_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->stall_limit_ns = stall_budget_stall_limit(b, baseline_ns);
	v->stall_ok = stall_ns <= v->stall_limit_ns;
	v->noisy = baseline_ns > b->stall_allow_ns;

	if (b->time_ratio > 0.0 && best_time_ns) {
		v->time_limit_ns = (uint64_t)(b->time_ratio * (double)best_time_ns);
		v->time_ok = time_ns <= v->time_limit_ns;
	} else {
		v->time_ok = true;
	}
}

static int stall_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Median of @n values (the lower one of the middle two when n is even), so
 * that one disturbed repetition out of three cannot decide a verdict.
 */
uint64_t stall_median_u64(const uint64_t *v, int n)
{
	uint64_t tmp[STALL_MAX_REPS];

	if (n <= 0)
		return 0;
	if (n > STALL_MAX_REPS)
		n = STALL_MAX_REPS;
	memcpy(tmp, v, n * sizeof(*tmp));
	qsort(tmp, n, sizeof(*tmp), stall_cmp_u64);
	return tmp[(n - 1) / 2];
}

uint64_t stall_max_u64(const uint64_t *v, int n)
{
	uint64_t m = 0;
	int i;

	for (i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}
