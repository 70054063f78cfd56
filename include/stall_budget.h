/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Latency budgets of the stall tests and the verdicts drawn from them.
 *
 * The allowance: a point is not ok when the probe waited longer than the
 * allowance while a control window of the same length, right after the
 * teardown, stayed within it. A machine that breaks the budget by itself
 * (a held control window, or a timer that fired late because the CPU was
 * not running this kernel at all) cannot be judged: a skip that says so.
 */
#ifndef SELFTEST_KVM_STALL_BUDGET_H
#define SELFTEST_KVM_STALL_BUDGET_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "stall_probe.h"

#ifdef STALL_LAB
#define STALL_DEFAULT_TIME_RATIO	0.0		/* report only */
#define STALL_DEFAULT_STEP_RATIO	8.0		/* x one step's typical time */
#endif

struct stall_budget {
	u64 stall_allow_ns;
#ifdef STALL_LAB
	double time_ratio;
#endif
	double max_dip;		/* of a load's throughput */
#ifdef STALL_LAB
	double step_ratio;	/* a hold's time over one step's; 0: work alone */
	int tier;		/* enum stall_tier that judges */
#endif
};

#ifdef STALL_LAB
/*
 * The hold rule, where the kernel is measured from the inside: the
 * probe's longest wait (the CPU held) is judged by the stage-2 work the
 * CPU did during it: more than one step of the budget tier's (see
 * stall_tier_step()) means mmu_lock was not given back as promised,
 * however short each call was; and by its time against one step's
 * typical time on the same kernel, for a step that is slow. Both are
 * ratios of the same machine's own figures, so emulation and hardware
 * agree.
 *
 * Budget tiers: how much stage-2 work one hold of the CPU may cover.
 * regression: what mainline promises, mmu_lock given back at least once
 * per largest-block step (commit 5994bc9e05c2: 1G with 4K pages, 32M with
 * 16K, 512M with 64K); target: the 2024 proposal, once per smallest-block
 * step (2M with 4K; with 16K and 64K the two blocks are one).
 */
enum stall_tier {
	STALL_TIER_REGRESSION,
	STALL_TIER_TARGET,
	STALL_NR_TIERS,
};

extern const char *const stall_tier_names[STALL_NR_TIERS];

/* The probe's longest wait, as the kernel-side measurement attributes it. */
struct stall_hold {
	u64 held_ns;		/* the wait, the softirqs inside it taken out */
	u64 work;		/* bytes of stage-2 range walked in it */
	u64 calls;		/* per-batch or walk calls in it */
	bool stage2;		/* it lay in stage-2 functions at all */
	u64 rate_ns_per_mib;	/* a typical per-batch call's; 0: no time rule */
};
#endif

#ifdef STALL_LAB
enum stall_rule {
	STALL_RULE_ABS,		/* the probe's wait against the allowance */
	STALL_RULE_HOLD,	/* the wait's stage-2 work and time against one step */
	STALL_NR_RULES,
};
#endif

/* A duration that could not be measured here (no schedstat). */
#define STALL_NS_UNKNOWN		UINT64_MAX

/* One window as the probe saw it. */
struct stall_obs {
	u64 gap_ns;	/* longest gap between two wake-ups */
	u64 held_ns;	/* longest wait on the run queue, or STALL_NS_UNKNOWN */
};

/* The part of a window that counts as the CPU held: run-queue wait, else the gap. */
static inline u64 stall_obs_hold(const struct stall_obs *o)
{
	return o->held_ns != STALL_NS_UNKNOWN ? o->held_ns : o->gap_ns;
}

enum stall_class {
	STALL_OK,
	STALL_HELD,		/* not ok: the teardown held the CPU over budget */
	STALL_NOISY,		/* the machine broke the budget by itself: no verdict */
};

struct stall_verdict {
	enum stall_class cls;
	const char *why;	/* a phrase for the output, never NULL */
	u64 stall_limit_ns;	/* how long the CPU could be held, 0 for no limit */
#ifdef STALL_LAB
	enum stall_rule rule;
	u64 work_limit;		/* the hold rule's, bytes */
	bool confirm;		/* time alone: repetitions must confirm it */
#endif
};

u64 stall_budget_stall_limit(const struct stall_budget *b, u64 baseline_ns);
void stall_budget_judge(const struct stall_budget *b, const struct stall_obs *meas,
			const struct stall_obs *ctl, struct stall_verdict *v);
#ifdef STALL_LAB
void stall_budget_judge_kcall(const struct stall_budget *b, const struct stall_obs *meas,
			      const struct stall_obs *ctl, u64 kcall_ns, struct stall_verdict *v);
u64 stall_tier_step(enum stall_tier t, u64 page_size);
int stall_tier_parse(const char *s);
void stall_budget_judge_hold(const struct stall_budget *b, u64 step, const struct stall_hold *h,
			     struct stall_verdict *v);
bool stall_budget_time_ok(const struct stall_budget *b, u64 time_ns, u64 best_time_ns,
			  u64 *limit_ns);
#endif
enum stall_class stall_budget_majority(const enum stall_class *cls, int n);
enum stall_class stall_budget_unanimous(const enum stall_class *cls, int n);

#endif /* SELFTEST_KVM_STALL_BUDGET_H */
