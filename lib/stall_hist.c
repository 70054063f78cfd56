// SPDX-License-Identifier: GPL-2.0-only
#ifdef STALL_LAB
/*
 * Latency histogram for the stall probe, and order statistics.
 */
#else
/* Order statistics of repetitions. */
#endif
#ifdef STALL_LAB
#include <errno.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "stall_hist.h"

#ifdef STALL_LAB
int stall_hist_init(struct stall_hist *h, u32 nr_buckets)
{
	memset(h, 0, sizeof(*h));
	if (!nr_buckets)
		return -EINVAL;
	h->bucket = calloc(nr_buckets, sizeof(*h->bucket));
	if (!h->bucket)
		return -ENOMEM;
	h->nr_buckets = nr_buckets;
	return 0;
}

void stall_hist_free(struct stall_hist *h)
{
	free(h->bucket);
	memset(h, 0, sizeof(*h));
}

void stall_hist_reset(struct stall_hist *h)
{
	memset(h->bucket, 0, h->nr_buckets * sizeof(*h->bucket));
	h->overflow = 0;
	h->count = 0;
	h->sum_ns = 0;
	h->max_ns = 0;
}

/*
 * Smallest bucket upper bound below which at least @pct percent of the
 * samples lie (nearest-rank). Reporting the upper bound errs on the side of
 * a longer latency. A rank that falls into the overflow returns the exact
 * maximum, the only value known there; so does pct >= 100.
 */
u64 stall_hist_percentile_ns(const struct stall_hist *h, double pct)
{
	u64 rank, seen = 0;
	u32 i;

	if (!h->count)
		return 0;
	if (pct >= 100.0)
		return h->max_ns;
	if (pct < 0.0)
		pct = 0.0;

	/* nearest rank: ceil(pct / 100 * count), at least the first sample */
	rank = (u64)(pct / 100.0 * (double)h->count);
	if ((double)rank < pct / 100.0 * (double)h->count)
		rank++;
	if (!rank)
		rank = 1;

	for (i = 0; i < h->nr_buckets; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			u64 upper = (i + 1) * STALL_HIST_BUCKET_NS;

			return upper < h->max_ns ? upper : h->max_ns;
		}
	}
	return h->max_ns;
}

/*
 * The histogram in power-of-two bins of microseconds, for a report's
 * plot: bin 0 holds the samples under 2 us, bin i those in [2^i, 2^(i+1))
 * us, the last bin everything beyond it within the histogram's range (the
 * samples past the range are h->overflow). Returns how many bins there
 * are up to the last one that is not empty.
 */
int stall_hist_log2(const struct stall_hist *h, u64 *bins, int nr_bins)
{
	u64 us;
	int b, used = 0;

	if (nr_bins <= 0)
		return 0;
	memset(bins, 0, nr_bins * sizeof(*bins));
	for (us = 0; us < h->nr_buckets; us++) {
		if (!h->bucket[us])
			continue;
		b = us < 2 ? 0 : 63 - __builtin_clzll(us);
		if (b >= nr_bins)
			b = nr_bins - 1;
		bins[b] += h->bucket[us];
		if (b + 1 > used)
			used = b + 1;
	}
	return used;
}
#endif

static int stall_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Median of @n values (the lower one of the middle two when n is even), so
 * that one disturbed repetition out of three cannot decide a verdict.
 */
u64 stall_median_u64(const u64 *v, int n)
{
	u64 tmp[STALL_MAX_REPS];

	if (n <= 0)
		return 0;
	if (n > STALL_MAX_REPS)
		n = STALL_MAX_REPS;
	memcpy(tmp, v, n * sizeof(*tmp));
	qsort(tmp, n, sizeof(*tmp), stall_cmp_u64);
	return tmp[(n - 1) / 2];
}

u64 stall_max_u64(const u64 *v, int n)
{
	u64 m = 0;
	int i;

	for (i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}
