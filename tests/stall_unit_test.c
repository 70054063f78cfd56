// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the stall suite's arithmetic: histogram percentiles, budget
 * verdicts, medians and the command-line parsers. Needs neither KVM nor
 * root; prints KTAP.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <linux/types.h>

#include "stall_blkdev.h"
#include "stall_budget.h"
#include "stall_hist.h"
#include "stall_irq.h"
#include "stall_json.h"
#include "stall_lab_kit.h"
#include "stall_load.h"
#include "stall_opts.h"
#include "stall_parse.h"
#include "stall_result.h"
#include "stall_run.h"
#include "stall_sys.h"
#include "stall_teardown.h"
#include "stall_trace.h"
#include "test_util.h"

static int unit_nr, unit_failed;

#define UNIT_CHECK(cond, ...) unit_report(!!(cond), #cond, __VA_ARGS__)

static void unit_report(int ok, const char *cond, const char *fmt, ...)
{
	va_list ap;

	unit_nr++;
	if (!ok) {
		unit_failed++;
		printf("# failed: %s\n", cond);
	}
	printf("%s %d ", ok ? "ok" : "not ok", unit_nr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* h holds one sample in each of the buckets 0..99 us */
static void test_hist_log2(const struct stall_hist *h)
{
	u64 bins[STALL_HIST_LOG2_BINS], few[4];
	int used = stall_hist_log2(h, bins, STALL_HIST_LOG2_BINS);

	UNIT_CHECK(used == 7 && bins[0] == 2 && bins[1] == 2 && bins[2] == 4 &&
		   bins[3] == 8 && bins[5] == 32 && bins[6] == 36 && !bins[7],
		   "hist: log2 bins [2^i, 2^(i+1)) us, under 2 us in the first");
	UNIT_CHECK(stall_hist_log2(h, few, 4) == 4 && few[0] == 2 && few[3] == 92,
		   "hist: log2 bins past the last go into the last");
}

static void test_hist(void)
{
	struct stall_hist h;
	int i;

	UNIT_CHECK(stall_hist_init(&h, 0) != 0, "hist: zero buckets rejected");
	UNIT_CHECK(!stall_hist_init(&h, 100), "hist: init");
	UNIT_CHECK(stall_hist_percentile_ns(&h, 99) == 0, "hist: empty percentile is 0");

	/* 1..100 us, one sample each */
	for (i = 1; i <= 100; i++)
		stall_hist_add(&h, i * 1000ULL - 1);
	UNIT_CHECK(h.count == 100 && h.max_ns == 99999, "hist: count and exact max");
	UNIT_CHECK(stall_hist_percentile_ns(&h, 50) == 50000, "hist: p50 is the 50th bucket's top");
	UNIT_CHECK(stall_hist_percentile_ns(&h, 99) == 99000, "hist: p99 nearest rank");
	UNIT_CHECK(stall_hist_percentile_ns(&h, 100) == 99999, "hist: p100 is the exact max");
	UNIT_CHECK(stall_hist_percentile_ns(&h, 0) == 1000,
		   "hist: p0 is the first sample's bucket");
	UNIT_CHECK(stall_hist_mean_ns(&h) == 50499, "hist: mean");
	test_hist_log2(&h);

	/* one long stall past the buckets: only the overflow knows it */
	stall_hist_add(&h, 5000000);
	UNIT_CHECK(h.overflow == 1 && h.max_ns == 5000000, "hist: overflow keeps the max");
	UNIT_CHECK(stall_hist_percentile_ns(&h, 99.9) == 5000000,
		   "hist: percentile in the overflow is the max");
	UNIT_CHECK(stall_hist_percentile_ns(&h, 99) == 100000,
		   "hist: p99 of 101 samples is the 100th, below the overflow");

	stall_hist_reset(&h);
	UNIT_CHECK(!h.count && !h.overflow && !h.max_ns, "hist: reset");
	stall_hist_add(&h, 10);
	UNIT_CHECK(stall_hist_percentile_ns(&h, 99) == 10, "hist: bucket top capped at the max");
	stall_hist_free(&h);
}

static void judge(u64 gap, u64 held, u64 ctl_gap, u64 ctl_held,
		  u64 kcall, struct stall_verdict *v)
{
	struct stall_budget b = { .stall_allow_ns = 1000000 };
	struct stall_obs meas = { .gap_ns = gap, .held_ns = held };
	struct stall_obs ctl = { .gap_ns = ctl_gap, .held_ns = ctl_held };

	stall_budget_judge_kcall(&b, &meas, &ctl, kcall, v);
}

/* A hold of @held_us in which the CPU walked @work of stage-2, under tier @t at 4K. */
static enum stall_class judge_hold(enum stall_tier t, u64 held_us, u64 work, u64 rate,
				   struct stall_verdict *v)
{
	struct stall_budget b = { .stall_allow_ns = 1000000, .step_ratio = 4 };
	struct stall_hold h = {
		.held_ns = held_us * 1000, .work = work, .calls = 1, .rate_ns_per_mib = rate,
	};

	stall_budget_judge_hold(&b, stall_tier_step(t, 4096), &h, v);
	return v->cls;
}

#define MIB (1024ULL * 1024)

static void test_tiers(void)
{
	const enum stall_tier R = STALL_TIER_REGRESSION, T = STALL_TIER_TARGET;
	struct stall_verdict v;

	UNIT_CHECK(stall_tier_step(R, 4096) == 1024 * MIB && stall_tier_step(T, 4096) == 2 * MIB,
		   "tiers: 4K pages step 1G (regression) and 2M (target)");
	UNIT_CHECK(stall_tier_step(R, 16384) == 32 * MIB && stall_tier_step(T, 16384) == 32 * MIB &&
		   stall_tier_step(R, 65536) == 512 * MIB && stall_tier_step(T, 65536) == 512 * MIB,
		   "tiers: 16K and 64K have one block size, 32M and 512M");
	UNIT_CHECK(stall_tier_parse("target") == T && stall_tier_parse("regression") == R &&
		   stall_tier_parse("Target") < 0 && stall_tier_parse("") < 0,
		   "tiers: names parsed exactly");

	/* 6.12 4K, one 256M madvise: one 80 ms call, the probe waited 75 ms of it (0.3 ms/MiB) */
	UNIT_CHECK(judge_hold(R, 75000, 240 * MIB, 310000, &v) == STALL_OK &&
		   v.rule == STALL_RULE_HOLD && v.work_limit == 1280 * MIB,
		   "hold: a 256M call is within the 1G step mainline promises");
	UNIT_CHECK(judge_hold(T, 75000, 240 * MIB, 310000, &v) == STALL_HELD && !v.confirm,
		   "hold: ... and 120 steps of the target's 2M: not ok, no confirmation needed");
	/* issue 17's kernel: 2M calls of 0.6 ms, mmu_lock kept for 129 of them, 74 ms */
	UNIT_CHECK(judge_hold(T, 73600, 256 * MIB, 300000, &v) == STALL_HELD,
		   "hold: short calls under one lock hold are one hold of all their work");
	UNIT_CHECK(judge_hold(R, 2400000, 2048 * MIB, 300000, &v) == STALL_HELD,
		   "hold: 2G under one hold breaks the regression tier's 1G");
	/* the 2M fix: the probe waits at most the rest of one call */
	UNIT_CHECK(judge_hold(T, 610, 2 * MIB, 300000, &v) == STALL_OK &&
		   v.stall_limit_ns == 2400000,
		   "hold: one 2M call in the hold, in about its time, passes the target");
	UNIT_CHECK(judge_hold(T, 610, 2 * MIB + 2 * MIB / 4 + 1, 300000, &v) == STALL_HELD,
		   "hold: past a step and a quarter of work is not ok");
	/* kvm.stage2_slow_us: one 2M step in 64 spins 100 ms */
	UNIT_CHECK(judge_hold(T, 100600, 2 * MIB, 300000, &v) == STALL_HELD && v.confirm,
		   "hold: a slow step, one step of work in 40 steps' time, is not ok if confirmed");
	UNIT_CHECK(judge_hold(R, 100600, 2 * MIB, 300000, &v) == STALL_OK,
		   "hold: ... and within the regression tier's one 1G step of time");
	UNIT_CHECK(judge_hold(T, 100600, 2 * MIB, 0, &v) == STALL_OK && !v.stall_limit_ns,
		   "hold: no typical rate (a destroy's sparse walk): work alone judges");
}

static void test_budget(void)
{
	struct stall_budget b = { .stall_allow_ns = 1000000, .time_ratio = 0 };
	const u64 U = STALL_NS_UNKNOWN;
	enum stall_class c[3];
	struct stall_verdict v;
	u64 odd[] = { 5, 1, 9 }, even[] = { 4, 1, 3, 2 }, one[] = { 7 }, lim;

	judge(1000100, 1000000, 120000, 0, U, &v);
	UNIT_CHECK(v.cls == STALL_OK && v.stall_limit_ns == 1000000,
		   "budget: held exactly the allowance passes");
	judge(80000000, 79000000, 150000, 2000, U, &v);
	UNIT_CHECK(v.cls == STALL_HELD, "budget: held over the allowance, control clean: not ok");
	judge(80000000, 79000000, 30000000, 29000000, U, &v);
	UNIT_CHECK(v.cls == STALL_NOISY, "budget: control window held as long: noisy, no verdict");
	judge(80000000, 79000000, 30000000, 29000000, 78000000, &v);
	UNIT_CHECK(v.cls == STALL_HELD, "budget: a kernel call over budget is not ok however busy");
	judge(27000000, 5000, 200000, 0, U, &v);
	UNIT_CHECK(v.cls == STALL_NOISY,
		   "budget: a long gap not held (steal) is noise, not a stall");
	judge(27000000, 5000, 200000, 0, 300000, &v);
	UNIT_CHECK(v.cls == STALL_OK, "budget: ... and ok where the kernel made no long call");
	judge(27000000, 5000, 30000000, 0, U, &v);
	UNIT_CHECK(v.cls == STALL_OK, "budget: a gap within the control's gap + allowance is ok");
	judge(2000000, 1500000, 600000, 0, 400000, &v);
	UNIT_CHECK(v.cls == STALL_HELD, "budget: held by something else during the teardown");

	/* no schedstat: the gap stands in, on top of the control's gap */
	judge(1120000, U, 120000, U, U, &v);
	UNIT_CHECK(v.cls == STALL_OK && v.stall_limit_ns == 1120000,
		   "budget: gap within control + allowance passes without schedstat");
	judge(1120001, U, 120000, U, U, &v);
	UNIT_CHECK(v.cls == STALL_HELD, "budget: 1 ns over the limit fails without schedstat");
	judge(9000000, U, 3000000, U, U, &v);
	UNIT_CHECK(v.cls == STALL_NOISY, "budget: over a noisy control window is a skip");
	UNIT_CHECK(stall_budget_stall_limit(&b, UINT64_MAX - 5) == UINT64_MAX,
		   "budget: limit saturates");

	c[0] = STALL_HELD;
	c[1] = STALL_OK;
	c[2] = STALL_NOISY;
	UNIT_CHECK(stall_budget_majority(c, 3) == STALL_OK, "reps: a tie of judged ones passes");
	c[1] = STALL_HELD;
	UNIT_CHECK(stall_budget_majority(c, 3) == STALL_HELD, "reps: noisy ones left out");
	UNIT_CHECK(stall_budget_unanimous(c, 3) == STALL_HELD, "confirm: every judged one held");
	c[1] = STALL_OK;
	UNIT_CHECK(stall_budget_unanimous(c, 3) == STALL_NOISY,
		   "confirm: a hold not repeated is noise");
	c[0] = STALL_OK;
	UNIT_CHECK(stall_budget_unanimous(c, 3) == STALL_OK, "confirm: none held");
	c[0] = STALL_NOISY;
	c[1] = STALL_NOISY;
	UNIT_CHECK(stall_budget_majority(c, 3) == STALL_NOISY &&
		   stall_budget_unanimous(c, 3) == STALL_NOISY, "reps: none judged is noisy");

	UNIT_CHECK(stall_budget_time_ok(&b, 150, 100, &lim) && !lim, "budget: no time ratio");
	b.time_ratio = 1.5;
	UNIT_CHECK(stall_budget_time_ok(&b, 150, 100, &lim) && lim == 150,
		   "budget: time at the ratio passes");
	UNIT_CHECK(!stall_budget_time_ok(&b, 151, 100, &lim), "budget: time over the ratio fails");

	UNIT_CHECK(stall_median_u64(odd, 3) == 5, "median: odd count");
	UNIT_CHECK(stall_median_u64(even, 4) == 2, "median: even count takes the lower middle");
	UNIT_CHECK(stall_median_u64(one, 1) == 7 && stall_median_u64(one, 0) == 0,
		   "median: one and none");
	UNIT_CHECK(odd[0] == 5 && odd[1] == 1, "median: input left unsorted");
	UNIT_CHECK(stall_max_u64(odd, 3) == 9, "max");
}

static void test_load_budget(void)
{
	struct stall_budget b = { .stall_allow_ns = 1000000, .max_dip = 0.9 };
	u64 units[4] = { 100, 200, 300, 400 };
	double rates[8], vals[] = { 3.0, 1.0, 2.0, 5.0 };
	float series[4];
	struct stall_load_verdict v;
	int n;

	/* 10 ms windows: 35 ms is 3 full ones and a half window, kept */
	n = stall_load_window_rates(units, 35000000, 10000000, rates, 8);
	UNIT_CHECK(n == 4 && rates[0] == 10000.0 && rates[3] == 80000.0,
		   "windows: full ones plus a last one of at least half a window");
	n = stall_load_window_rates(units, 34000000, 10000000, rates, 8);
	UNIT_CHECK(n == 3, "windows: a sliver under half a window is dropped");
	UNIT_CHECK(stall_load_window_rates(units, 40000000, 10000000, rates, 2) == 2,
		   "windows: capped at the caller's room");
	UNIT_CHECK(stall_median_double(vals, 4) == 2.0 && stall_min_double(vals, 4) == 1.0,
		   "windows: median and minimum");
	UNIT_CHECK(stall_load_merge_rates(vals, 4, 3, -1, series) == 2 && series[0] == 2.0f &&
		   series[1] == 5.0f, "series: merged by 3, the partial last group its own mean");
	UNIT_CHECK(stall_load_merge_rates(vals, 4, 1, 2, series) == 2 && series[0] == 2.0f &&
		   series[1] == 5.0f, "series: the last windows kept");
	UNIT_CHECK(stall_load_merge_rates(vals, 0, 1, 2, series) == 0 &&
		   stall_load_merge_rates(vals, 4, 0, 2, series) == 0,
		   "series: nothing, or no factor");

	stall_load_judge(&b, 1000.0, 900.0, 150.0, 2000, 2500, &v);
	UNIT_CHECK(v.rate_ok && v.lat_ok && v.rate_floor > 99.999 && v.rate_floor < 100.001 &&
		   v.dip > 0.849 && v.dip < 0.851,
		   "load: an 85 %% dip passes a 90 %% budget");
	stall_load_judge(&b, 1000.0, 900.0, 0.0, 2000, 2500, &v);
	UNIT_CHECK(!v.rate_ok && v.dip == 1.0, "load: a window with no IO at all fails");
	stall_load_judge(&b, 1000.0, 50.0, 60.0, 2000, 2500, &v);
	UNIT_CHECK(v.rate_ok && v.rate_floor == 50.0,
		   "load: a dip the baseline showed too is noise, not a failure");
	stall_load_judge(&b, 1000.0, 900.0, 500.0, 2000, 3000001, &v);
	UNIT_CHECK(v.rate_ok && !v.lat_ok && v.lat_limit_ns == 1002000,
		   "load: operation latency over baseline max + allowance fails");
}

static void test_parse_size(void)
{
	u64 v;

	UNIT_CHECK(stall_parse_size("4096", &v) == -ENODATA &&
		   stall_parse_size("1", &v) == -ENODATA,
		   "size: a bare number is refused as one without a unit");
	UNIT_CHECK(!stall_parse_size("4096B", &v) && v == 4096 && !stall_parse_size("9001b", &v) &&
		   v == 9001, "size: bytes with B");
	UNIT_CHECK(stall_parse_size("1.5G", &v) == -EINVAL &&
		   stall_parse_size("4096 ", &v) == -EINVAL &&
		   stall_parse_size("12Q", &v) == -EINVAL && stall_parse_size("1BB", &v) == -EINVAL,
		   "size: a malformed one is not taken for a missing unit");
	UNIT_CHECK(!stall_parse_size("4K", &v) && v == 4096, "size: K");
	UNIT_CHECK(!stall_parse_size("2m", &v) && v == 2 << 20, "size: lower-case m");
	UNIT_CHECK(!stall_parse_size("1GiB", &v) && v == 1 << 30, "size: GiB");
	UNIT_CHECK(!stall_parse_size("64T", &v) && v == 64ULL << 40, "size: T");
	UNIT_CHECK(stall_parse_size("0", &v) && stall_parse_size("0K", &v), "size: zero rejected");
	UNIT_CHECK(stall_parse_size("-1G", &v), "size: negative rejected");
	UNIT_CHECK(stall_parse_size("1X", &v), "size: unknown suffix rejected");
	UNIT_CHECK(stall_parse_size("1GG", &v), "size: trailing garbage rejected");
	UNIT_CHECK(stall_parse_size("", &v) && stall_parse_size(NULL, &v), "size: empty rejected");
	UNIT_CHECK(stall_parse_size("99999999999T", &v), "size: overflow rejected");
}

static void test_parse_duration(void)
{
	u64 v;

	/* "-l 1" meant 1 ms and was read as 1 us: no unit is assumed */
	UNIT_CHECK(stall_parse_duration("1", &v) == -ENODATA &&
		   stall_parse_duration("100", &v) == -ENODATA &&
		   stall_parse_duration("1.5", &v) == -ENODATA,
		   "duration: a bare number is refused as one without a unit");
	UNIT_CHECK(!stall_parse_duration("1.5ms", &v) && v == 1500000, "duration: decimal ms");
	UNIT_CHECK(stall_parse_duration(".5ms", &v) == -EINVAL,
		   "duration: no leading digit rejected");
	UNIT_CHECK(!stall_parse_duration("250us", &v) && v == 250000, "duration: us");
	UNIT_CHECK(!stall_parse_duration("2s", &v) && v == 2000000000ULL, "duration: s");
	UNIT_CHECK(!stall_parse_duration("7ns", &v) && v == 7, "duration: ns");
	UNIT_CHECK(!stall_parse_duration("0ms", &v) && v == 0, "duration: zero with a unit");
	UNIT_CHECK(stall_parse_duration("1min", &v) == -EINVAL &&
		   stall_parse_duration("1MS", &v) == -EINVAL,
		   "duration: unknown unit rejected, not taken for a missing one");
	UNIT_CHECK(stall_parse_duration("-1ms", &v), "duration: negative rejected");
	UNIT_CHECK(stall_parse_duration("ms", &v) == -EINVAL &&
		   stall_parse_duration("", &v) == -EINVAL && stall_parse_duration(NULL, &v),
		   "duration: no number rejected");
	UNIT_CHECK(stall_parse_duration("0x10us", &v) && stall_parse_duration("1e3us", &v) &&
		   stall_parse_duration(" 1ms", &v) && stall_parse_duration("1..5ms", &v) &&
		   stall_parse_duration("1 ms", &v) == -EINVAL,
		   "duration: hex, exponent, blank and two points rejected");
}

static void test_parse_ratio(void)
{
	double v;

	UNIT_CHECK(!stall_parse_ratio("4", 1e6, &v) && v == 4.0 &&
		   !stall_parse_ratio("2.5", 1e6, &v) && v == 2.5 &&
		   !stall_parse_ratio("0", 100, &v) && v == 0.0, "ratio: plain decimals");
	UNIT_CHECK(stall_parse_ratio("101", 100, &v), "ratio: over the maximum rejected");
	UNIT_CHECK(stall_parse_ratio("nan", 1e6, &v) && stall_parse_ratio("inf", 1e6, &v) &&
		   stall_parse_ratio("1e999", 1e6, &v) && stall_parse_ratio("-1", 1e6, &v) &&
		   stall_parse_ratio(" 4", 1e6, &v) && stall_parse_ratio("0x10", 1e6, &v) &&
		   stall_parse_ratio("", 1e6, &v) && stall_parse_ratio(".", 1e6, &v),
		   "ratio: NaN, infinity, exponent, sign, blank, hex, empty rejected");
	UNIT_CHECK(stall_parse_list_has_empty("") && stall_parse_list_has_empty(",") &&
		   stall_parse_list_has_empty("a,") && stall_parse_list_has_empty(",a") &&
		   stall_parse_list_has_empty("a,,b") && !stall_parse_list_has_empty("a,b"),
		   "lists: an empty item is found");
}

static void test_parse_count(void)
{
	long l;

	UNIT_CHECK(!stall_parse_count("32", 1024, &l) && l == 32 &&
		   !stall_parse_count("0", 1024, &l) && l == 0 &&
		   !stall_parse_count("1024", 1024, &l) && l == 1024, "count: digits, no unit");
	UNIT_CHECK(stall_parse_count("1025", 1024, &l) && stall_parse_count("32K", 1024, &l) &&
		   stall_parse_count("-1", 1024, &l) && stall_parse_count(" 1", 1024, &l) &&
		   stall_parse_count("", 1024, &l) && stall_parse_count(NULL, 1024, &l),
		   "count: over the maximum, a unit, a sign, a blank, empty rejected");
	UNIT_CHECK(!stall_parse_cpu("4095", &l) && stall_parse_cpu("4096", &l),
		   "cpu: a count below 4096");
}

static void test_parse_lists(void)
{
	static const char *const names[] = { "munmap", "madvise", "punch" };
	u64 b[STALL_MAX_LIST], mask;
	const char *bad;
	char buf[16];
	int n;

	UNIT_CHECK(!stall_parse_batch_list("granule,2M,all,2M", 4096, b, STALL_MAX_LIST,
					   &n, &bad) &&
		   n == 3 && b[0] == 4096 && b[1] == 2 << 20 && b[2] == STALL_BATCH_ALL,
		   "batches: granule, size, all; duplicate dropped");
	UNIT_CHECK(stall_parse_batch_list("2M,3Q", 4096, b, STALL_MAX_LIST, &n, &bad) &&
		   bad && !strcmp(bad, "3Q"), "batches: bad token named");
	UNIT_CHECK(stall_parse_batch_list("", 4096, b, STALL_MAX_LIST, &n, &bad),
		   "batches: empty list rejected");
	UNIT_CHECK(stall_parse_batch_list("1M,2M,3M", 4096, b, 2, &n, &bad) && !strcmp(bad, "3M"),
		   "batches: too many rejected");
	/* found by the fuzzer: a batch that is not a page multiple was taken */
	UNIT_CHECK(stall_parse_batch_list("2M,7371", 4096, b, STALL_MAX_LIST, &n, &bad) &&
		   !strcmp(bad, "7371"), "batches: a size not a multiple of the granule rejected");
	UNIT_CHECK(stall_parse_batch_list("0", 4096, b, STALL_MAX_LIST, &n, &bad) &&
		   !strcmp(bad, "0"), "batches: zero rejected");
	UNIT_CHECK(stall_parse_batch_list("2M,4096", 4096, b, STALL_MAX_LIST, &n, &bad) ==
		   -ENODATA && !strcmp(bad, "4096"),
		   "batches: a bare number is named as one without a unit");
	UNIT_CHECK(stall_parse_batch_list("4096,3Q", 4096, b, STALL_MAX_LIST, &n, &bad) ==
		   -ENODATA && !strcmp(bad, "4096"),
		   "batches: the first bad item is the one named");
	UNIT_CHECK(stall_parse_batch_list("1M,2M,4096", 4096, b, 2, &n, &bad) == -EINVAL &&
		   !strcmp(bad, "4096"), "batches: one too many is too many, unit or not");
	UNIT_CHECK(!stall_parse_batch_list("8192B,all", 4096, b, STALL_MAX_LIST, &n, &bad) &&
		   n == 2 && b[0] == 8192, "batches: bytes with B");

	UNIT_CHECK(!stall_parse_name_list("punch,munmap", names, 3, &mask, &bad) && mask == 5,
		   "names: two names");
	UNIT_CHECK(!stall_parse_name_list("all", names, 3, &mask, &bad) && mask == 7, "names: all");
	UNIT_CHECK(stall_parse_name_list("munmap,zap", names, 3, &mask, &bad) &&
		   !strcmp(bad, "zap"), "names: bad name named");

	UNIT_CHECK(!strcmp(stall_fmt_size(4096, buf, sizeof(buf)), "4K"), "fmt: 4K");
	UNIT_CHECK(!strcmp(stall_fmt_size(1536 << 10, buf, sizeof(buf)), "1536K"), "fmt: 1536K");
	UNIT_CHECK(!strcmp(stall_fmt_size(1ULL << 30, buf, sizeof(buf)), "1G"), "fmt: 1G");
	UNIT_CHECK(!strcmp(stall_fmt_size(1000, buf, sizeof(buf)), "1000B"), "fmt: bytes, with B");
	UNIT_CHECK(!stall_parse_size(stall_fmt_size(1000, buf, sizeof(buf)), &b[0]) && b[0] == 1000,
		   "fmt: bytes read back as the same size");
	UNIT_CHECK(!strcmp(stall_fmt_size(STALL_BATCH_ALL, buf, sizeof(buf)), "all"), "fmt: all");
}

static const char *const trace_lines[] = {
	"# tracer: nop\n",
	"  kvm_page_table-87      [000] ...1.    45.123456: <stack trace>\n",
	" => kprobe_trace_func+0x1d0/0x2f8\n",
	" => kprobe_dispatcher+0x4c/0x80\n",
	" => aggr_pre_handler+0x60/0xb0\n",
	" => kprobe_brk_handler+0x9c/0xe8\n",
	" => do_el1_brk64+0x34/0x50\n",
	" => el1_brk64+0x38/0x60\n",
	" => el1h_64_sync_handler+0x68/0xb8\n",
	" => el1h_64_sync+0x64/0x68\n",
	" => kvm_stage2_unmap_range+0x0/0x98\n",
	" => kvm_unmap_gfn_range+0x30/0x48\n",
	" => kvm_mmu_notifier_invalidate_range_start+0x1c0/0x230\n",
	"  kvm_page_table-87      [000] ...1.    45.123457: stall_e3: (kvm_stage2_unmap_range+0x0/0x98) size=268435456\n",
	"  kvm_page_table-87      [000] ...1.    45.123460: stall_e0: (kvm_pgtable_stage2_unmap+0x0/0x98) size=268435456\n",
	"  other-12 [001] ...1. 45.123470: stall_e0: (kvm_pgtable_stage2_unmap+0x0/0x98) size=4096\n",
	"  other-12 [001] ...1. 45.123471: <stack trace>\n",
	" => somewhere_else+0x0/0x8\n",
	"  kvm_page_table-87      [000] ...1.    45.203460: stall_r0: (kvm_stage2_unmap_range+0x54/0x98 <- kvm_pgtable_stage2_unmap)\n",
	"  kvm_page_table-87      [000] ...1.    45.203470: stall_r3: (kvm_unmap_gfn_range+0x30/0x48 <- kvm_stage2_unmap_range)\n",
	"  kvm_page_table-87      [000] ...1.    45.300000: stall_e0: (kvm_pgtable_stage2_unmap+0x0/0x98) size=2097152\n",
	"  kvm_page_table-87      [000] ...1.    45.300500: stall_r0: (x+0x1/0x2 <- kvm_pgtable_stage2_unmap)\n",
};

static const char trace_stack[] =
	"kvm_stage2_unmap_range <- kvm_unmap_gfn_range <- kvm_mmu_notifier_invalidate_range_start";

static const char *const softirq_lines[] = {
	"  k-87 [000] ..s1. 1.000000: softirq_exit: vec=1 [action=TIMER]\n",
	"  k-87 [000] ...1. 1.000000: stall_e0: (kvm_pgtable_stage2_unmap+0x0/0x98) size=0x200000\n",
	"  k-87 [000] ..s1. 1.000100: softirq_entry: vec=9 [action=RCU]\n",
	"  k-87 [001] ..s1. 1.000200: softirq_entry: vec=1 [action=TIMER]\n",
	"  k-87 [000] ..s1. 1.002100: softirq_exit: vec=9 [action=RCU]\n",
	"  k-87 [000] ...1. 1.002600: stall_r0: (x+0x1/0x2 <- kvm_pgtable_stage2_unmap)\n",
	"  k-87 [000] ...1. 1.003000: stall_e0: (kvm_pgtable_stage2_unmap+0x0/0x98) size=0x200000\n",
	"  k-87 [000] ...1. 1.003500: stall_r0: (x+0x1/0x2 <- kvm_pgtable_stage2_unmap)\n",
};

/* A softirq on interrupt exit inside a call is not the call's time. */
static void test_trace_softirq(void)
{
	struct stall_trace_result res;
	struct stall_trace_acc acc;
	struct stall_trace_ev ev;
	u64 calls;
	size_t i;

	UNIT_CHECK(!stall_trace_parse(softirq_lines[2], &ev) && ev.kind == STALL_EV_SOFTIRQ_IN &&
		   !stall_trace_parse(softirq_lines[4], &ev) && ev.kind == STALL_EV_SOFTIRQ_OUT,
		   "trace softirq: entry and exit events");
	stall_trace_acc_init(&acc, 0, &res, NULL, 0);
	for (i = 0; i < ARRAY_SIZE(softirq_lines); i++)
		stall_trace_acc_line(&acc, softirq_lines[i]);
	stall_trace_acc_done(&acc);
	UNIT_CHECK(res.longest.ns == 600000 && res.longest.softirq_ns == 2000000 &&
		   res.fn[0].max_ns == 600000,
		   "trace softirq: a 2.6 ms call with 2 ms of softirq inside is a 0.6 ms call");
	UNIT_CHECK(stall_trace_batch_ns(&res, &calls) == 1100000 && calls == 2,
		   "trace softirq: other CPUs' softirqs and an exit before the window count nowhere");
}

/* The signatures of what a scratch device must not be, at their offsets. */
static void test_blkdev_magic(void)
{
	static unsigned char buf[68 * 1024];

	memset(buf, 0, sizeof(buf));
	UNIT_CHECK(!stall_blkdev_magic(buf, sizeof(buf), 0), "blkdev: a blank device has none");
	buf[0x438] = 0x53;
	buf[0x439] = 0xef;
	UNIT_CHECK(stall_blkdev_magic(buf, sizeof(buf), 0) &&
		   !strcmp(stall_blkdev_magic(buf, sizeof(buf), 0), "ext2/3/4"), "blkdev: ext4");
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 0x10040, "_BHRfS_M", 8);
	UNIT_CHECK(!strcmp(stall_blkdev_magic(buf, sizeof(buf), 0), "btrfs"),
		   "blkdev: btrfs at 64K");
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 0x218, "LVM2 001", 8);
	UNIT_CHECK(!strcmp(stall_blkdev_magic(buf, sizeof(buf), 0), "LVM2 member"),
		   "blkdev: an LVM physical volume");
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 0x1000, "\xfc\x4e\x2b\xa9", 4);
	UNIT_CHECK(stall_blkdev_magic(buf, sizeof(buf), 0) &&
		   !stall_blkdev_magic(buf, 0x1000, 0),
		   "blkdev: MD 1.2 at 4K, not past what was read");
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 0x3000, "\xfc\x4e\x2b\xa9", 4);
	UNIT_CHECK(stall_blkdev_magic(buf, sizeof(buf), 1ULL << 30) &&
		   !stall_blkdev_magic(buf, sizeof(buf), 0),
		   "blkdev: MD 0.90/1.0 in the device's tail, not at a head offset of its own");
}

/* Feed @lines to an accumulator on CPU 0 whose hold is [@from, @to] s. */
static void unit_hold(const char *const *lines, size_t n, double from, double to, u64 table,
		      struct stall_trace_result *res)
{
	struct stall_trace_hold in = {
		.start_ns = (u64)(from * 1e9 + 0.5), .end_ns = (u64)(to * 1e9 + 0.5),
		.table_bytes = table,
	};
	struct stall_trace_acc acc;
	size_t i;

	stall_trace_acc_init(&acc, 0, res, &in, 1);
	for (i = 0; i < n; i++)
		stall_trace_acc_line(&acc, lines[i]);
	stall_trace_acc_done(&acc);
}

#define EV(t, what) "  k-87 [000] ...1. " t ": " what "\n"

/* 2M calls of 0.6 ms under one range call, a softirq among them: no lock drop */
static const char *const nodrop_lines[] = {
	EV("1.000000", "stall_e3: (kvm_stage2_unmap_range+0x0/0x98) size=0x800000"),
	EV("1.000000", "stall_e0: (kvm_pgtable_stage2_unmap+0x0/0x98) size=0x200000"),
	EV("1.000600", "stall_r0: (x+0x1/0x2 <- kvm_pgtable_stage2_unmap)"),
	EV("1.000600", "stall_e0: (kvm_pgtable_stage2_unmap+0x0/0x98) size=0x200000"),
	EV("1.000700", "softirq_entry: vec=3 [action=NET_RX]"),
	EV("1.000800", "softirq_exit: vec=3 [action=NET_RX]"),
	EV("1.001400", "stall_r0: (x+0x1/0x2 <- kvm_pgtable_stage2_unmap)"),
	EV("1.001400", "stall_e0: (kvm_pgtable_stage2_unmap+0x0/0x98) size=0x200000"),
	EV("1.002000", "stall_r0: (x+0x1/0x2 <- kvm_pgtable_stage2_unmap)"),
	EV("1.002000", "stall_e0: (kvm_pgtable_stage2_unmap+0x0/0x98) size=0x200000"),
	EV("1.002600", "stall_r0: (x+0x1/0x2 <- kvm_pgtable_stage2_unmap)"),
	EV("1.002700", "stall_r3: (x+0x1/0x2 <- kvm_stage2_unmap_range)"),
};

/* 6.12's whole-table destroy, then 6.19's: the same walk in sized chunks */
static const char *const destroy_lines[] = {
	EV("2.000000", "stall_e4: (kvm_pgtable_stage2_destroy+0x0/0x98)"),
	EV("2.100000", "stall_r4: (x+0x1/0x2 <- kvm_pgtable_stage2_destroy)"),
	EV("3.000000", "stall_e4: (kvm_pgtable_stage2_destroy+0x0/0x98)"),
	EV("3.000000", "stall_e2: (kvm_pgtable_stage2_destroy_range+0x0/0x98) size=0x40000000"),
	EV("3.010000", "stall_r2: (x+0x1/0x2 <- kvm_pgtable_stage2_destroy_range)"),
	EV("3.010000", "stall_e2: (kvm_pgtable_stage2_destroy_range+0x0/0x98) size=0x40000000"),
	EV("3.020000", "stall_r2: (x+0x1/0x2 <- kvm_pgtable_stage2_destroy_range)"),
	EV("3.020000", "stall_r4: (x+0x1/0x2 <- kvm_pgtable_stage2_destroy)"),
};

/* What the CPU did while the probe waited: the hold rule's input. */
static void test_trace_hold(void)
{
	const size_t nd = ARRAY_SIZE(nodrop_lines), dl = ARRAY_SIZE(destroy_lines);
	struct stall_trace_result res;
	const struct stall_trace_hold *h;

	unit_hold(nodrop_lines, nd, 1.0003, 1.0026, 0, &res);
	h = &res.hold[0];
	UNIT_CHECK(h->work == 7 * MIB && h->calls == 4 && h->outer == 3 && !h->sparse,
		   "trace hold: half a call and three more, in their range call");
	UNIT_CHECK(h->softirq_ns == 100000, "trace hold: the softirq inside it");
	UNIT_CHECK(res.rate_ns_per_mib >= 300000 * 4 / 5 && res.rate_ns_per_mib <= 300000 * 5 / 4,
		   "trace hold: a typical call's rate, 0.3 ms per MiB, to a quarter octave");
	unit_hold(nodrop_lines, nd, 1.0016, 1.0020, 0, &res);
	UNIT_CHECK(h->work == 2 * MIB * 4 / 6 && h->calls == 1,
		   "trace hold: inside one call, a share of that call only");
	unit_hold(nodrop_lines, nd, 1.00262, 1.00268, 0, &res);
	UNIT_CHECK(!h->calls && h->inside && h->outer == 3,
		   "trace hold: between two calls, inside the range call: still stage-2's");
	unit_hold(nodrop_lines, nd, 0.5, 0.6, 0, &res);
	UNIT_CHECK(!h->calls && !h->work && h->outer == -1,
		   "trace hold: before the calls, no stage-2 work");
	unit_hold(destroy_lines, dl, 2.05, 2.1, 1ULL << 40, &res);
	UNIT_CHECK(h->work == 1ULL << 39 && h->outer == 4 && h->sparse,
		   "trace hold: a whole-table walk with no size is the guest's IPA space");
	unit_hold(destroy_lines, dl, 3.005, 3.015, 1ULL << 40, &res);
	UNIT_CHECK(h->work == 1024 * MIB && h->calls == 2 && h->outer == 4,
		   "trace hold: a destroy in sized chunks is its chunks, not the table");
}

/* Each of the probe's longest waits is attributed on its own. */
static void test_trace_holds(void)
{
	struct stall_trace_hold in[2] = {
		{ .start_ns = 900000000ULL, .end_ns = 905000000ULL },	/* the host mm's */
		{ .start_ns = 1000600000ULL, .end_ns = 1001400000ULL },	/* one call */
	};
	struct stall_trace_result res;
	struct stall_trace_acc acc;
	size_t i;

	stall_trace_acc_init(&acc, 0, &res, in, 2);
	for (i = 0; i < ARRAY_SIZE(nodrop_lines); i++)
		stall_trace_acc_line(&acc, nodrop_lines[i]);
	stall_trace_acc_done(&acc);
	UNIT_CHECK(res.nr_holds == 2 && !res.hold[0].calls && !res.hold[0].inside &&
		   res.hold[1].calls == 1 && res.hold[1].inside &&
		   res.hold[1].work == 2 * MIB && res.hold[1].softirq_ns == 100000,
		   "trace holds: a longer wait outside stage-2, a shorter one in one call");
}

/* One slow 2M step in 64 does not make the typical rate. */
static void test_trace_rate(void)
{
	static char buf[130][128];
	const char *lines[130];
	struct stall_trace_result res;
	int i, n = 0;
	u64 t = 5000000;

	for (i = 0; i < 64; i++) {
		u64 ns = i == 63 ? 100000000 : 600000;

		snprintf(buf[n], sizeof(buf[n]), EV("%lu.%06lu", "%s"), t / 1000000, t % 1000000,
			 "stall_e0: (kvm_pgtable_stage2_unmap+0x0/0x98) size=0x200000");
		lines[n] = buf[n];
		n++;
		t += ns / 1000;
		snprintf(buf[n], sizeof(buf[n]), EV("%lu.%06lu", "%s"), t / 1000000, t % 1000000,
			 "stall_r0: (x+0x1/0x2 <- kvm_pgtable_stage2_unmap)");
		lines[n] = buf[n];
		n++;
	}
	unit_hold(lines, n, 5.0, 5.0, 0, &res);
	UNIT_CHECK(res.fn[0].calls == 64 && res.rate_ns_per_mib >= 240000 &&
		   res.rate_ns_per_mib <= 375000 && !res.hold[0].calls,
		   "trace rate: 63 steps of 0.6 ms and one of 100 ms: typical is 0.3 ms per MiB");
}

/* fn[0] is kvm_pgtable_stage2_unmap (per batch), fn[3] kvm_stage2_unmap_range. */
static u64 unit_batch(u64 piece, u64 range, bool *exact)
{
	struct stall_trace_result res;

	memset(&res, 0, sizeof(res));
	res.fn[0].size_max = piece;
	res.fn[3].size_max = range;
	return stall_trace_observed_batch(&res, exact);
}

static void test_trace_batch(void)
{
	bool exact;

	UNIT_CHECK(unit_batch(2ULL << 20, 1ULL << 30, &exact) == 2ULL << 20 && exact,
		   "trace batch: a range split into 2M calls shows a 2M batch");
	UNIT_CHECK(unit_batch(2044ULL << 10, 2ULL << 20, &exact) == 2ULL << 20 && !exact,
		   "trace batch: a 2M chunk split at a boundary is at least 2M, not 2044K");
	UNIT_CHECK(unit_batch(256ULL << 20, 256ULL << 20, &exact) == 256ULL << 20 && !exact,
		   "trace batch: an unsplit range is only a lower bound");
	UNIT_CHECK(unit_batch(3ULL << 20, 3ULL << 20, &exact) == 4ULL << 20 && !exact,
		   "trace batch: the bound is a power of two");
	UNIT_CHECK(!unit_batch(0, 0, &exact) && !exact, "trace batch: no call, no batch");
}

static void test_trace(void)
{
	struct stall_trace_result res;
	struct stall_trace_acc acc;
	struct stall_trace_ev ev;
	u64 calls;
	size_t i;

	UNIT_CHECK(!stall_trace_parse("  a-1 [002] 12.000001: stall_r1: (x)\n", &ev) &&
		   ev.kind == STALL_EV_RETURN && ev.cpu == 2 && ev.fn == 1 &&
		   ev.ts_ns == 12000001000ULL,
		   "trace: an event line without the irq-info column");
	UNIT_CHECK(!stall_trace_parse("  a-1 (1) [003] d..1. 7.5: stall_e0: (f) size=0x10\n",
				      &ev) &&
		   ev.kind == STALL_EV_ENTRY && ev.cpu == 3 && ev.ts_ns == 7500000000ULL &&
		   ev.size == 16, "trace: with the tgid column, a short fraction, a hex size");
	UNIT_CHECK(stall_trace_parse("  a-1 [000] .... 1.0: sched_switch: x\n", &ev) &&
		   stall_trace_parse("# tracer: nop\n", &ev) &&
		   stall_trace_parse("  a-1 [000] .... 1.0: stall_e99: (f)\n", &ev),
		   "trace: other events, comments and unknown functions are not ours");
	UNIT_CHECK(!stall_trace_parse("  a-1 [0] 1.0: stall_e5: (f) start=0x100 end=0x200\n",
				      &ev) &&
		   ev.size == 256ULL * getpagesize(), "trace: a gfn range's size in bytes");
	UNIT_CHECK(!stall_trace_parse(" => kvm_stage2_unmap_range+0x0/0x98\n", &ev) &&
		   ev.kind == STALL_EV_FRAME && !strcmp(ev.frame, "kvm_stage2_unmap_range"),
		   "trace: a stack frame without its offset");

	stall_trace_acc_init(&acc, 0, &res, NULL, 0);
	for (i = 0; i < ARRAY_SIZE(trace_lines); i++)
		stall_trace_acc_line(&acc, trace_lines[i]);
	stall_trace_acc_done(&acc);
	UNIT_CHECK(res.fn[0].calls == 2 && res.fn[0].size_max == 256 << 20 &&
		   res.fn[0].size_min == 2 << 20 && res.fn[0].max_ns == 80000000,
		   "trace: batch calls paired on the test CPU, other CPUs ignored");
	UNIT_CHECK(res.fn[3].calls == 1 && res.fn[3].max_ns == 80013000,
		   "trace: the range call around them");
	UNIT_CHECK(stall_trace_batch_ns(&res, &calls) == 80500000 && calls == 2,
		   "trace: the batch calls' time added, the range call's left out");
	UNIT_CHECK(res.longest.fn == 0 && res.longest.ns == 80000000 &&
		   res.longest.size == 256 << 20 && res.longest.start_ns == 45123460000ULL,
		   "trace: the longest holding call is a batch, not the range around it");
	UNIT_CHECK(!strcmp(res.longest.stack, trace_stack),
		   "trace: its stack is the range call's, without the probe's own frames");
	test_trace_batch();
	test_trace_softirq();
	test_trace_hold();
	test_trace_holds();
	test_trace_rate();
}

static bool unit_exists(const char *path)
{
	return !access(path, F_OK);
}

static void unit_write_file(const char *path, const char *mode, const char *text)
{
	FILE *f = fopen(path, mode);

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A run that claims the state file and then waits to be killed, as -P irq does. */
static pid_t unit_irq_owner(void)
{
	int fds[2];
	pid_t pid;
	char c = 0;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (!pid) {
		c = stall_irq_claim() ? 'n' : 'y';
		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (pid < 0 || read(fds[0], &c, 1) != 1 || c != 'y')
		pid = -1;
	close(fds[0]);
	close(fds[1]);
	return pid;
}

/*
 * The IRQ state file's lock, in a scratch directory (the unit build sets
 * STALL_IRQ_STATE_DIR to "."). IRQ 99999 does not exist, so restoring it
 * writes nothing but still counts.
 */
static void test_irq_state(void)
{
	char dir[] = "/tmp/stall_unit.XXXXXX", old[64], cwd[4096];
	const char *state = "kvm_stall_irq.state";
	pid_t owner;

	if (!getcwd(cwd, sizeof(cwd)) || !mkdtemp(dir) || chdir(dir)) {
		UNIT_CHECK(0, "irq state: scratch directory");
		return;
	}
	UNIT_CHECK(stall_irq_recover_stale() == 0, "irq state: nothing to recover");
	owner = unit_irq_owner();
	UNIT_CHECK(owner > 0 && unit_exists(state), "irq state: a run claims the file");
	UNIT_CHECK(stall_irq_claim() == -EBUSY, "irq state: a second run is refused");
	unit_write_file(state, "a", "99999 0-1\n");
	UNIT_CHECK(stall_irq_recover_stale() == 0 && unit_exists(state),
		   "irq state: a live run's file is left alone");
	if (owner > 0) {
		kill(owner, SIGKILL);
		waitpid(owner, NULL, 0);
	}
	UNIT_CHECK(stall_irq_recover_stale() == 1 && !unit_exists(state),
		   "irq state: a killed run's file is restored and removed");
	UNIT_CHECK(stall_irq_claim() == 0 && unit_exists(state), "irq state: claimed once free");
	stall_irq_restore_all();
	UNIT_CHECK(!unit_exists(state), "irq state: removed when restored");
	/* an earlier version's file carrying this run's PID is a reused PID's */
	snprintf(old, sizeof(old), "kvm_stall_irq.%d", getpid());
	unit_write_file(old, "w", "99999 0-1\n");
	UNIT_CHECK(stall_irq_recover_stale() == 1 && !unit_exists(old),
		   "irq state: an old file with our own PID is restored");
	if (chdir(cwd) || rmdir(dir))
		UNIT_CHECK(0, "irq state: scratch directory left behind");
}

/* The results file's writer: nesting, separators, escaping, unknowns. */
/*
 * The time budget's estimate of a point from those run before it, largest
 * batch first as the sweep runs them, against a teardown whose calls each
 * cost @per_op on top of the region's @work: within 2x of it.
 */
static void test_run_estimate(u64 work, u64 per_op)
{
	static const u64 ops[] = { 1, 16, 256, 131072 };
	struct stall_run_budget t;
	u64 base = 200000000, est, real;
	unsigned int i;
	double x;

	stall_run_init(&t, 120ULL * 1000000000, 0);
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		real = work + per_op * ops[i];
		est = stall_run_estimate(&t, 0, ops[i], 1, base);
		x = (double)est / (base + 2 * real);
		UNIT_CHECK(!i || (x >= 0.5 && x <= 2.0),
			   "run: %llu ops, %llu us per call: estimated %.2fx of what it took",
			   (unsigned long long)ops[i], (unsigned long long)per_op / 1000, x);
		stall_run_rep(&t, 0, ops[i], base + 2 * real + 50000000, real, base);
	}
}

#define SEC 1000000000ULL

/*
 * A point is started only when its estimate fits in what is left less
 * the margin, the repetitions run again (retries, confirmations) making
 * the next points dearer; with no limit everything fits.
 */
static void test_run_budget(void)
{
	struct stall_run_budget t;
	u64 est, left;

	stall_run_init(&t, 10 * SEC, 0);
	UNIT_CHECK(t.margin_ns == SEC, "run: a 10 s budget keeps 1 s back");
	/* 3 s in all: 0.5 s baseline, 1 s teardown, 1 s control, 0.5 s the rest */
	stall_run_rep(&t, 0, 1, 3 * SEC, SEC, SEC / 2);
	est = stall_run_estimate(&t, 0, 1, 3, SEC / 2);
	UNIT_CHECK(est == 9 * SEC, "run: 3 repetitions of a 3 s one estimated 9 s (%llu ms)",
		   (unsigned long long)(est / 1000000));
	UNIT_CHECK(stall_run_fits(&t, est, 0, &left) && left == 9 * SEC,
		   "run: 9 s fits at the start of a 10 s budget, 1 s kept back");
	UNIT_CHECK(!stall_run_fits(&t, est, SEC / 2, &left) && left == 17 * SEC / 2,
		   "run: 9 s does not fit 0.5 s later: the point is not started");
	UNIT_CHECK(!stall_run_fits(&t, 1, 20 * SEC, &left) && !left,
		   "run: past the budget nothing is left, nothing fits");
	stall_run_point(&t, 3, 3);
	UNIT_CHECK(stall_run_estimate(&t, 0, 1, 3, SEC / 2) == est,
		   "run: points run as planned leave the estimate as it was");
	/* a point ran 3 planned repetitions 9 times: retries and confirmations */
	stall_run_point(&t, 3, 9);
	est = stall_run_estimate(&t, 0, 1, 3, SEC / 2);
	UNIT_CHECK(est == 18 * SEC, "run: repetitions run again count: 2x the estimate (%llu ms)",
		   (unsigned long long)(est / 1000000));
	UNIT_CHECK(!stall_run_fits(&t, est, 0, &left),
		   "run: after retries the same point no longer fits the budget");
	stall_run_init(&t, 0, 0);
	UNIT_CHECK(stall_run_fits(&t, UINT64_MAX, 1000 * SEC, &left),
		   "run: no limit: everything fits");
	stall_run_init(&t, SEC, 0);
	UNIT_CHECK(t.margin_ns == SEC / 2, "run: a 1 s budget keeps half of it back");
	stall_run_init(&t, 100 * SEC, 0);
	UNIT_CHECK(t.margin_ns == 10 * SEC, "run: a 100 s budget keeps a tenth back");
}

/* @path holding @text, as the runner's settings file: what it reads there */
static int settings_with(const char *path, const char *text, u64 *ns)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -EIO;
	fputs(text, f);
	fclose(f);
	return stall_run_settings(path, ns);
}

/* The kselftest runner's timeout: its environment, else a settings file's. */
static void test_run_runner(void)
{
	char path[] = "/tmp/stall_unit_settingsXXXXXX";
	const char *from = NULL, *old = getenv("kselftest_timeout");
	u64 ns = 0;
	int fd;

	setenv("kselftest_timeout", "30", 1);
	ns = stall_run_default(&from);
	UNIT_CHECK(ns == 30 * SEC && from && strstr(from, "runner"),
		   "run: the runner's kselftest_timeout=30 is the budget");
	setenv("kselftest_timeout", "0", 1);
	UNIT_CHECK(stall_run_default(&from) == 0, "run: kselftest_timeout=0 is no budget");
	if (old)
		setenv("kselftest_timeout", old, 1);
	else
		unsetenv("kselftest_timeout");
	fd = mkstemp(path);
	if (fd < 0) {
		UNIT_CHECK(0, "run: a settings file to read");
		return;
	}
	close(fd);
	UNIT_CHECK(!settings_with(path, "# kvm\ntimeout=5\ntimeout=300\n", &ns) && ns == 300 * SEC,
		   "run: a settings file's last timeout= line, as the runner reads it");
	UNIT_CHECK(!settings_with(path, "other=1\n", &ns) && ns == 45 * SEC,
		   "run: a settings file without timeout=: the runner's 45 s");
	UNIT_CHECK(settings_with(path, "timeout=2m\n", &ns) == -EINVAL,
		   "run: timeout=2m refused, whole seconds");
	unlink(path);
	UNIT_CHECK(stall_run_settings(path, &ns) == -ENOENT, "run: no settings file");
}

static void test_run(void)
{
	u64 ns;

	test_run_budget();
	test_run_runner();

	test_run_estimate(2000000000ULL, 20000);
	test_run_estimate(2000000000ULL, 4000000);
	test_run_estimate(100000000ULL, 0);
	UNIT_CHECK(!stall_run_parse("0", &ns) && !ns, "run: -d 0 is no budget");
	UNIT_CHECK(stall_run_parse("120", &ns) == -EINVAL, "run: -d 120 (no unit) refused");
	UNIT_CHECK(!stall_run_parse("90s", &ns) && ns == 90000000000ULL, "run: -d 90s");
}

static void test_json(void)
{
	struct stall_json j;
	const char *text;

	if (stall_json_init(&j)) {
		UNIT_CHECK(0, "json: init");
		return;
	}
	stall_json_obj(&j, NULL);
	stall_json_str(&j, "s", "a\"b\\c\nd\te");
	stall_json_u64(&j, "u", UINT64_MAX);
	stall_json_s64(&j, "i", -5);
	stall_json_double(&j, "d", 0.25);
	stall_json_double(&j, "nan", 0.0 / 0.0);
	stall_json_str(&j, "none", NULL);
	stall_json_arr(&j, "a");
	stall_json_bool(&j, NULL, true);
	stall_json_obj(&j, NULL);
	stall_json_end(&j);
	stall_json_arr(&j, NULL);
	stall_json_end(&j);
	stall_json_end(&j);
	text = stall_json_text(&j);
	UNIT_CHECK(!text, "json: an open object is not a document");
	stall_json_end(&j);
	text = stall_json_text(&j);
	UNIT_CHECK(text && !strcmp(text, "{\n"
				   "  \"s\": \"a\\\"b\\\\c\\nd\\u0009e\",\n"
				   "  \"u\": 18446744073709551615,\n"
				   "  \"i\": -5,\n"
				   "  \"d\": 0.25,\n"
				   "  \"nan\": null,\n"
				   "  \"none\": null,\n"
				   "  \"a\": [\n"
				   "    true,\n"
				   "    {},\n"
				   "    []\n"
				   "  ]\n"
				   "}"), "json: values, escapes, nesting");
	stall_json_end(&j);
	UNIT_CHECK(!stall_json_text(&j), "json: one end too many is an error");
	stall_json_free(&j);
}

/* The judge's parameters: 4K pages' tiers, the target tier judging, 3 repetitions. */
static void judge_params(struct stall_params *p)
{
	memset(p, 0, sizeof(*p));
	p->reps = 3;
	p->budget.stall_allow_ns = 1000000;
	p->budget.step_ratio = 4;
	p->budget.tier = STALL_TIER_TARGET;
}

/* A repetition whose kernel trace saw @work of stage-2 in one wait of @held_us. */
static void judge_rep_traced(struct stall_rep *r, u64 held_us, u64 work)
{
	memset(r, 0, sizeof(*r));
	r->meas.gap_ns = held_us * 1000 + 100000;
	r->meas.held_ns = held_us * 1000;
	r->ctl.gap_ns = 150000;
	r->ctl.held_ns = 0;
	r->kcalls = 1;
	r->kcall_ns = held_us * 1000;
	r->nr_holds = 2;
	/* a longer wait outside stage-2 (the host mm's part of an munmap) */
	r->holds[0] = (struct stall_hold){ .held_ns = held_us * 2000, .work = 0, .stage2 = false };
	r->holds[1] = (struct stall_hold){
		.held_ns = held_us * 1000, .work = work, .calls = 1, .stage2 = true,
		.rate_ns_per_mib = 310000,
	};
}

/* A repetition without a kernel trace: the probe's wait against the allowance. */
static void judge_rep_abs(struct stall_rep *r, u64 held_us, u64 ctl_us)
{
	memset(r, 0, sizeof(*r));
	r->meas.gap_ns = held_us * 1000 + 100000;
	r->meas.held_ns = held_us * 1000;
	r->ctl.gap_ns = ctl_us * 1000 + 100000;
	r->ctl.held_ns = ctl_us * 1000;
	r->kcall_ns = STALL_NS_UNKNOWN;
	r->time_ns = 1000;
}

static void test_judge_rep(void)
{
	struct stall_params p;
	struct stall_rep r;

	if (getpagesize() != 4096) {
		printf("# judge: skipped, the tiers below are 4K pages' (this host: %d)\n",
		       getpagesize());
		return;
	}
	judge_params(&p);
	/* 6.12 4K: one 256M madvise, 75 ms held, 240M of stage-2 work in it */
	judge_rep_traced(&r, 75000, 240 * MIB);
	stall_judge_rep(&p, &r);
	UNIT_CHECK(r.v.cls == STALL_HELD && r.v.rule == STALL_RULE_HOLD && r.pick == 1,
		   "judge: the stage-2 wait judged by the hold rule, the longer wait outside it not");
	UNIT_CHECK(r.alt.cls == STALL_OK,
		   "judge: ... and the regression tier's verdict kept beside it");
	judge_rep_traced(&r, 610, 2 * MIB);
	stall_judge_rep(&p, &r);
	UNIT_CHECK(r.v.cls == STALL_OK && r.pick == 1,
		   "judge: one 2M step in a hold passes the target");
	judge_rep_traced(&r, 75000, 240 * MIB);
	r.holds[1].stage2 = false;
	stall_judge_rep(&p, &r);
	UNIT_CHECK(r.v.cls == STALL_OK && r.pick == -1,
		   "judge: calls seen but no wait in stage-2: the CPU not held by it");

	judge_rep_abs(&r, 80000, 150);
	stall_judge_rep(&p, &r);
	UNIT_CHECK(r.v.cls == STALL_HELD && r.v.rule == STALL_RULE_ABS && r.pick == -1 &&
		   r.alt.cls == STALL_HELD,
		   "judge: no trace: the allowance, one verdict for both tiers");
	judge_rep_abs(&r, 80000, 30000);
	stall_judge_rep(&p, &r);
	UNIT_CHECK(r.v.cls == STALL_NOISY, "judge: no trace, a control window held as long: noisy");
}

static void test_judge_point(void)
{
	struct stall_params p;
	struct stall_result *res = calloc(1, sizeof(*res));
	int i;

	judge_params(&p);
	/* held, ok, noisy: the judged ones tie, which passes */
	judge_rep_abs(&res->rep[0], 80000, 150);
	judge_rep_abs(&res->rep[1], 500, 150);
	judge_rep_abs(&res->rep[2], 90000, 60000);
	res->rep[0].time_ns = 3000;
	res->rep[2].time_ns = 2000;
	res->nr_reps = 3;
	for (i = 0; i < 3; i++)
		stall_judge_rep(&p, &res->rep[i]);
	stall_judge_point(&p, res);
	UNIT_CHECK(res->cls == STALL_OK && res->judged == 2 && res->worst == 0,
		   "point: a tie of judged repetitions passes; the worst is the longest judged hold");
	UNIT_CHECK(res->held_ns == 500000 && res->time_ns == 2000,
		   "point: medians over judged repetitions (lower middle), time over all");
	UNIT_CHECK(!stall_judge_needs_confirmation(&p, res),
		   "confirm: a point that passes is not run again");

	judge_rep_abs(&res->rep[1], 70000, 150);
	stall_judge_rep(&p, &res->rep[1]);
	stall_judge_point(&p, res);
	UNIT_CHECK(res->cls == STALL_HELD && stall_judge_needs_confirmation(&p, res),
		   "confirm: held by the allowance alone: run again to confirm");
	/* the confirming repetitions: one not held again makes it noise */
	for (i = 3; i < 9; i++)
		judge_rep_abs(&res->rep[i], i == 5 ? 400 : 80000, 150);
	res->nr_reps = 9;
	for (i = 3; i < 9; i++)
		stall_judge_rep(&p, &res->rep[i]);
	stall_judge_point(&p, res);
	UNIT_CHECK(res->cls == STALL_NOISY, "confirm: a hold not repeated every time is noise");
	judge_rep_abs(&res->rep[5], 80000, 150);
	stall_judge_rep(&p, &res->rep[5]);
	stall_judge_point(&p, res);
	UNIT_CHECK(res->cls == STALL_HELD, "confirm: held every time: not ok");

	/* the hold rule's verdict on stage-2 work needs no confirmation */
	if (getpagesize() == 4096) {
		for (i = 0; i < 3; i++)
			judge_rep_traced(&res->rep[i], 75000, 240 * MIB);
		res->nr_reps = 3;
		for (i = 0; i < 3; i++)
			stall_judge_rep(&p, &res->rep[i]);
		stall_judge_point(&p, res);
		UNIT_CHECK(res->cls == STALL_HELD && !stall_judge_needs_confirmation(&p, res),
			   "confirm: held across too much stage-2 work is not run again");
	}
	free(res);
}

/*
 * The lab kit's verdict plugged in as lib/stall_lab.c plugs it in: the
 * judge's tests (test_judge_*()) are of its hold rule. No other hook is
 * set, so the options' tests see the series' test.
 */
const struct stall_lab_ops stall_lab_ops = {
	.judge_rep = stall_lab_judge_rep,
	.judge_point = stall_lab_judge_point,
	.rep_unexplained = stall_lab_rep_unexplained,
};

/*
 * The test's options (lib/stall_opts.c), as the series has them: none of
 * the lab kit's rows. Two teardown modes and an anonymous backing stand
 * in for the KVM library's.
 */
const struct stall_mode stall_modes[] = {
	{ .name = "munmap", .help = "munmap() the guest memory in batches", .batched = true },
	{ .name = "vm-destroy", .help = "close the VM (its last reference)" },
};

const int stall_nr_modes = ARRAY_SIZE(stall_modes);

static const struct vm_mem_backing_src_alias unit_anonymous = { "anonymous", 0 };

const struct vm_mem_backing_src_alias *vm_mem_backing_src_alias(uint32_t i)
{
	return &unit_anonymous;
}

size_t get_backing_src_pagesz(uint32_t i)
{
	return getpagesize();
}

/* "-b 4097" into argv[], after the program's name "t" */
static int unit_argv(char *line, char **argv, int max)
{
	int argc = 0;
	char *save, *tok;

	argv[argc++] = "t";
	for (tok = strtok_r(line, " ", &save); tok && argc < max - 1;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return argc;
}

/*
 * The options parsed, in a global: what their loads allocate stays
 * reachable (the sanitized build's leak check), and is freed before the
 * next parse.
 */
static struct stall_params *unit_p;

static struct stall_params *unit_opts_reset(void)
{
	if (!unit_p)
		unit_p = calloc(1, sizeof(*unit_p));
	while (unit_p && unit_p->nr_loads)
		stall_load_free(&unit_p->loads[--unit_p->nr_loads]);
	return unit_p;
}

/*
 * The options @args parsed and finished in a child, as the test does;
 * its exit status, and what it wrote to stdout and stderr in @out.
 */
static int unit_opts_child(const char *args, char *out, size_t len)
{
	char line[256], *argv[32];
	int fds[2], status, argc;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(fds))
		return -1;
	fflush(stdout);
	pid = fork();
	if (!pid) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		snprintf(line, sizeof(line), "%s", args);
		argc = unit_argv(line, argv, ARRAY_SIZE(argv));
		if (!unit_opts_reset())
			_exit(99);
		optind = 0;
		stall_opts_init(unit_p);
		stall_opts_parse(argc, argv, unit_p);
		stall_opts_finish(argv[0], unit_p);
		exit(KSFT_PASS);
	}
	close(fds[1]);
	while (pid > 0 && n < len - 1 && (r = read(fds[0], out + n, len - 1 - n)) > 0)
		n += r;
	out[n] = '\0';
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* A bad value: exit 1 and one line, @msg, naming it. */
static void unit_opts_bad(const char *args, const char *msg)
{
	char out[512], want[256];
	int st = unit_opts_child(args, out, sizeof(out));

	snprintf(want, sizeof(want), "t: %s\n", msg);
	UNIT_CHECK(st == KSFT_FAIL && !strcmp(out, want), "options: '%s' refused: %s", args, msg);
	if (strcmp(out, want))
		printf("# got: '%s'\n", out);
}

/* Good values, parsed in this process: getopt() starts again at optind 0. */
static struct stall_params *unit_opts_parse(const char *args)
{
	struct stall_params *p = unit_opts_reset();
	char line[256], *argv[32];
	int argc;

	snprintf(line, sizeof(line), "%s", args);
	argc = unit_argv(line, argv, ARRAY_SIZE(argv));
	optind = 0;
	stall_opts_init(p);
	stall_opts_parse(argc, argv, p);
	stall_opts_finish(argv[0], p);
	return p;
}

static void test_opts_good(void)
{
	struct stall_params *p = unit_opts_parse("");

	UNIT_CHECK(p->size == 512 * MIB && p->nr_vcpus == 1 && p->reps == 1 &&
		   p->budget.stall_allow_ns == 1000000 && p->modes == 3 && p->test_cpu >= 0,
		   "options: the defaults: 512M, 1 vCPU, 1 repetition, 1ms, every mode");
	UNIT_CHECK(p->nr_batch >= 3 && p->batch[0] == (u64)getpagesize() &&
		   p->batch[p->nr_batch - 1] == STALL_BATCH_ALL,
		   "options: default batches from the granule to all, smaller than the region");
	p = unit_opts_parse("-b 64M -v 2 -r 3 -l 250us -t vm-destroy -B 2M,all -d 0");
	UNIT_CHECK(p->size == 64 * MIB && p->nr_vcpus == 2 && p->reps == 3 &&
		   p->budget.stall_allow_ns == 250000 && p->modes == 2,
		   "options: -b -v -r -l -t set");
	UNIT_CHECK(p->nr_batch == 2 && p->batch[0] == 2 * MIB && p->batch[1] == STALL_BATCH_ALL &&
		   p->run_given && !p->run.limit_ns && !strcmp(p->run_from, "-d"),
		   "options: -B as given, -d 0 no time budget");
	p = unit_opts_parse("-t all -L tcp-stream -d 90s");
	UNIT_CHECK(p->modes == 3 && p->nr_loads == 1 && !strcmp(p->loads[0].spec, "tcp-stream") &&
		   p->run.limit_ns == 90ULL * 1000000000,
		   "options: -t all; -L tcp-stream; -d 90s");
	p = unit_opts_parse("-b 1M");
	UNIT_CHECK(p->nr_batch == 2 && p->batch[0] == (u64)getpagesize(),
		   "options: a 1M region keeps the batches below 1M, and all");
}

static void test_opts_bad(void)
{
	unit_opts_bad("-b 4097", "invalid memory size (-b) '4097': no unit (B, K, M, G, T)");
	unit_opts_bad("-b 4097B",
		      "invalid memory size (-b, a multiple of the backing page size) '4097B' (see -h)");
	unit_opts_bad("-v 0", "invalid vCPU count (-v, 1-64) '0' (see -h)");
	unit_opts_bad("-v 65", "invalid vCPU count (-v, 1-64) '65' (see -h)");
	unit_opts_bad("-c x", "invalid or disallowed test CPU (-c) 'x' (see -h)");
	unit_opts_bad("-t munmap,bogus", "invalid teardown mode (-t) 'bogus' (see -h)");
	unit_opts_bad("-t munmap,,vm-destroy",
		      "invalid teardown mode (-t) 'munmap,,vm-destroy' (see -h)");
	unit_opts_bad("-B 3K", "invalid batch size (-B) '3K' (see -h)");
	unit_opts_bad("-B 2", "invalid batch size (-B) '2': no unit (B, K, M, G, T)");
	unit_opts_bad("-r 0", "invalid repetitions (-r, 1-64) '0' (see -h)");
	unit_opts_bad("-l 0ms", "invalid stall allowance (-l, more than 0) '0ms' (see -h)");
	unit_opts_bad("-l 5",
		      "invalid stall allowance (-l, more than 0) '5': no unit (ns, us, ms, s)");
	unit_opts_bad("-L bogus", "invalid load (-L) 'bogus' (see -h)");
	unit_opts_bad("-L tcp-stream,tcp-stream",
		      "invalid load list (-L, a load listed twice) 'tcp-stream' (see -h)");
	unit_opts_bad("-L tcp-stream,", "invalid load list (-L) 'tcp-stream,' (see -h)");
	unit_opts_bad("-d 5",
		      "invalid time budget (-d: 0, or a duration with a unit: 90s) '5' (see -h)");
	unit_opts_bad("-x", "unknown option '-x' (see -h)");
	unit_opts_bad("-b", "option '-b' needs a value (see -h)");
	unit_opts_bad("-v 1 extra", "invalid argument 'extra' (see -h)");
}

/* -h: exit 0, the usage line and every option's text, made from one table */
static void test_opts_help(void)
{
	static char out[8192];
	int st = unit_opts_child("-h", out, sizeof(out));

	UNIT_CHECK(st == KSFT_PASS &&
		   strstr(out, "usage: t [-h] [-b mem-size] [-v vcpus] [-c cpu]"),
		   "options: -h exits 0 with the usage line");
	UNIT_CHECK(strstr(out, " -t: comma-separated teardown modes, or all (default: all):\n"
			  "     munmap            munmap() the guest memory in batches\n"
			  "     vm-destroy        close the VM (its last reference)\n"),
		   "options: -h lists the teardown modes under -t");
	UNIT_CHECK(strstr(out, " -L: IO loads run through each point, comma-separated names:\n"
			  "     tcp-stream ") && strstr(out, " -d: time budget of the whole run"),
		   "options: -h lists the loads under -L, then -d");
	UNIT_CHECK(!strstr(out, "-j") && !strstr(out, "-S"),
		   "options: no lab kit linked, no lab kit option");
}

/* KTAP names: what CI systems key results on, the same from run to run */
static void test_result_names(void)
{
	struct stall_result *res = calloc(1, sizeof(*res));
	struct stall_params p;
	char want[128];

	memset(&p, 0, sizeof(p));
	p.src = DEFAULT_VM_MEM_SRC;
	res->batch = 2 * MIB;
	stall_point_name(&p, &stall_modes[0], res);
	snprintf(want, sizeof(want), "munmap batch=2M granule=%luK backing=%luK",
		 getpagesize() / 1024UL, getpagesize() / 1024UL);
	UNIT_CHECK(!strcmp(res->name, want), "names: a batched mode: %s", res->name);
	res->batch = STALL_BATCH_ALL;
	stall_point_name(&p, &stall_modes[0], res);
	UNIT_CHECK(!strncmp(res->name, "munmap batch=all granule=", 25),
		   "names: the whole region in one call: batch=all");
	stall_point_name(&p, &stall_modes[1], res);
	UNIT_CHECK(!strncmp(res->name, "vm-destroy batch=n/a granule=", 29),
		   "names: a mode that is one call by nature: batch=n/a");
	free(res);
}

/* A skip's reason is folded into the result's name by CI: no figures in it. */
static bool unit_has_digit(const char *s)
{
	return strpbrk(s, "0123456789");
}

static void test_skip_reasons(void)
{
	struct stall_result *res = calloc(1, sizeof(*res));
	struct stall_params p;

	judge_params(&p);
	judge_rep_abs(&res->rep[0], 80000, 30000);
	stall_judge_rep(&p, &res->rep[0]);
	res->nr_reps = 1;
	stall_judge_point(&p, res);
	stall_judge_noisy_why(res);
	UNIT_CHECK(res->cls == STALL_NOISY && !res->judged &&
		   !strncmp(res->why, STALL_NOISY_SKIP ": ", strlen(STALL_NOISY_SKIP) + 2) &&
		   !strcmp(res->why + strlen(STALL_NOISY_SKIP) + 2, res->rep[0].v.why),
		   "skips: noisy, none judged: the control window's noise named (%s)", res->why);
	res->judged = 1;
	stall_judge_noisy_why(res);
	UNIT_CHECK(!strcmp(res->why, STALL_NOISY_SKIP ": a hold not every repetition confirmed"),
		   "skips: noisy, judged: a hold not confirmed");
	UNIT_CHECK(!unit_has_digit(STALL_NOISY_SKIP) && !unit_has_digit(STALL_RUN_SKIP) &&
		   !unit_has_digit(STALL_RUN_CONFIRM_SKIP),
		   "skips: the noisy and time budget reasons carry no figure");
	UNIT_CHECK(!strcmp(STALL_RUN_SKIP, "time budget left no room for this point") &&
		   !strcmp(STALL_RUN_CONFIRM_SKIP, "time budget left no room to confirm a hold"),
		   "skips: the time budget's reasons, as the docs name them");
	free(res);
}

int main(void)
{
	printf("TAP version 13\n");
	test_hist();
	test_budget();
	test_tiers();
	test_blkdev_magic();
	test_load_budget();
	test_parse_size();
	test_parse_duration();
	test_parse_ratio();
	test_parse_count();
	test_parse_lists();
	test_trace();
	test_irq_state();
	test_json();
	test_run();
	test_judge_rep();
	test_judge_point();
	test_opts_good();
	test_opts_bad();
	test_opts_help();
	test_result_names();
	test_skip_reasons();
	printf("1..%d\n", unit_nr);
	printf("# %d passed, %d failed\n", unit_nr - unit_failed, unit_failed);
	return unit_failed ? 1 : 0;
}
