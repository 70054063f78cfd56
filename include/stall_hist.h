/* SPDX-License-Identifier: GPL-2.0-only */
#ifdef STALL_LAB
/*
 * Latency histogram for the stall probe, and the order statistics its
 * repetitions are summed up by.
 *
 * Linear 1 us buckets up to a limit, like rt-tests' cyclictest, plus an
 * overflow count and the exact maximum, so that a long stall is never
 * rounded into the last bucket.
 */
#else
/* The order statistics the stall tests sum their repetitions up by. */
#endif
#ifndef SELFTEST_KVM_STALL_HIST_H
#define SELFTEST_KVM_STALL_HIST_H

#include <stdint.h>
#include <linux/types.h>

/* the most repetitions of one measurement, and of stall_median_u64()'s values */
#define STALL_MAX_REPS		64

#ifdef STALL_LAB
#define STALL_HIST_BUCKET_NS	1000ULL

struct stall_hist {
	u64 *bucket;
	u32 nr_buckets;
	u64 overflow;
	u64 count;
	u64 sum_ns;
	u64 max_ns;
};

/* bins of stall_hist_log2(), for the results file: up to 2^23 us (8 s) and beyond */
#define STALL_HIST_LOG2_BINS	24
int stall_hist_log2(const struct stall_hist *h, u64 *bins, int nr_bins);
int stall_hist_init(struct stall_hist *h, u32 nr_buckets);
void stall_hist_free(struct stall_hist *h);
void stall_hist_reset(struct stall_hist *h);
u64 stall_hist_percentile_ns(const struct stall_hist *h, double pct);
#endif
u64 stall_median_u64(const u64 *v, int n);
u64 stall_max_u64(const u64 *v, int n);

#ifdef STALL_LAB
/* Called from the probe's hot loop: keep it branch-light and allocation-free. */
static inline void stall_hist_add(struct stall_hist *h, u64 ns)
{
	u64 idx = ns / STALL_HIST_BUCKET_NS;

	if (idx < h->nr_buckets)
		h->bucket[idx]++;
	else
		h->overflow++;
	h->count++;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

static inline u64 stall_hist_mean_ns(const struct stall_hist *h)
{
	return h->count ? h->sum_ns / h->count : 0;
}
#endif

#endif /* SELFTEST_KVM_STALL_HIST_H */
