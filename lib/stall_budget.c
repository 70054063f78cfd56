// SPDX-License-Identifier: GPL-2.0-only
/*
 * Latency budgets of the stall tests and the verdicts drawn from them.
 */
#include <string.h>
#include <linux/types.h>

#include "stall_budget.h"

u64 stall_budget_stall_limit(const struct stall_budget *b, u64 baseline_ns)
{
	u64 limit = baseline_ns + b->stall_allow_ns;

	return limit < baseline_ns ? UINT64_MAX : limit;
}

/* How many of @n repetitions were judged (not noisy); @held of them held. */
static int stall_budget_count(const enum stall_class *cls, int n, int *held)
{
	int i, judged = 0;

	*held = 0;
	for (i = 0; i < n; i++) {
		judged += cls[i] != STALL_NOISY;
		*held += cls[i] == STALL_HELD;
	}
	return judged;
}

static void stall_verdict_set(struct stall_verdict *v, enum stall_class cls, const char *why)
{
	v->cls = cls;
	v->why = why;
}

#ifdef STALL_LAB
const char *const stall_tier_names[STALL_NR_TIERS] = {
	[STALL_TIER_REGRESSION] = "regression",
	[STALL_TIER_TARGET] = "target",
};

/* The tier named @s, or -1. */
int stall_tier_parse(const char *s)
{
	int t;

	for (t = 0; t < STALL_NR_TIERS; t++)
		if (!strcmp(s, stall_tier_names[t]))
			return t;
	return -1;
}

/*
 * The step of tier @t with host pages of @page_size, as arm64's
 * kvm_granule_size() gives it (arch/arm64/include/asm/kvm_pgtable.h):
 * the largest block is level 1 with 4K pages and level 2 otherwise
 * (KVM_PGTABLE_MIN_BLOCK_LEVEL), the smallest always level 2. Each level
 * maps page_size / 8 entries of the level below.
 */
u64 stall_tier_step(enum stall_tier t, u64 page_size)
{
	u64 level2 = page_size * (page_size / 8);

	if (t == STALL_TIER_REGRESSION && page_size == 4096)
		return level2 * (page_size / 8);
	return level2;
}

/*
 * A hold the kernel-side measurement attributes to stage-2 work: not ok
 * when it covered more work than one step, a quarter step of slack for
 * the edges of the probe's and the trace's clocks (a hold inside one
 * call covers at most that call); else not ok when it lasted longer than
 * step_ratio times one step at the typical per-batch rate, a slow step,
 * which needs confirming repetitions since a hypervisor taking the CPU
 * inside a call stretches it too.
 */
void stall_budget_judge_hold(const struct stall_budget *b, u64 step, const struct stall_hold *h,
			     struct stall_verdict *v)
{
	double step_ns = (double)h->rate_ns_per_mib * ((double)step / (1024 * 1024));

	memset(v, 0, sizeof(*v));
	v->rule = STALL_RULE_HOLD;
	v->work_limit = step + step / 4;
	if (b->step_ratio > 0.0 && h->rate_ns_per_mib)
		v->stall_limit_ns = (u64)(b->step_ratio * step_ns);
	if (h->work > v->work_limit) {
		stall_verdict_set(v, STALL_HELD, "more stage-2 work than one step in one hold");
	} else if (v->stall_limit_ns && h->held_ns > v->stall_limit_ns) {
		stall_verdict_set(v, STALL_HELD, "held longer than the ratio to one step's time");
		v->confirm = true;
	} else {
		stall_verdict_set(v, STALL_OK, "within one step's work and time");
	}
}
#endif

/*
 * The probe's wait against the allowance: @meas is the teardown's window,
 * @ctl the control window of the same length right after it. Without
 * schedstat the gap stands in for the held time, judged on top of the
 * control window's gap as the only reference there is.
 */
void stall_budget_judge(const struct stall_budget *b, const struct stall_obs *meas,
			const struct stall_obs *ctl, struct stall_verdict *v)
{
	bool held_known = meas->held_ns != STALL_NS_UNKNOWN;
	u64 gap_limit = stall_budget_stall_limit(b, ctl->gap_ns);
	u64 hold_limit = held_known ? b->stall_allow_ns : gap_limit;

	memset(v, 0, sizeof(*v));
	v->stall_limit_ns = hold_limit;
	if (stall_obs_hold(meas) <= hold_limit) {
		if (!held_known || meas->gap_ns <= gap_limit)
			stall_verdict_set(v, STALL_OK, "within budget");
		else
			stall_verdict_set(v, STALL_NOISY,
					  "timer late, CPU not held (hypervisor steal or interrupts off)");
	} else if (stall_obs_hold(ctl) > b->stall_allow_ns) {
		stall_verdict_set(v, STALL_NOISY,
				  "control window held too: busy without any teardown");
	} else {
		stall_verdict_set(v, STALL_HELD, "held during the teardown, control window clean");
	}
}

#ifdef STALL_LAB
/*
 * The same, knowing @kcall_ns, the longest stage-2 call the kernel made
 * on the test CPU meanwhile (STALL_NS_UNKNOWN where nothing traced it):
 * a wait over the allowance in a call over it is held whatever the
 * control window says, and a late timer with no long call is no noise.
 */
void stall_budget_judge_kcall(const struct stall_budget *b, const struct stall_obs *meas,
			      const struct stall_obs *ctl, u64 kcall_ns, struct stall_verdict *v)
{
	bool over;

	stall_budget_judge(b, meas, ctl, v);
	if (kcall_ns == STALL_NS_UNKNOWN)
		return;
	over = stall_obs_hold(meas) > v->stall_limit_ns;
	if (over && kcall_ns > b->stall_allow_ns)
		stall_verdict_set(v, STALL_HELD, "held by a stage-2 call over budget");
	else if (!over && v->cls == STALL_NOISY && kcall_ns <= b->stall_allow_ns)
		stall_verdict_set(v, STALL_OK, "gap not held, no long kernel call");
}
#endif

/*
 * The verdict of a held point after confirming repetitions:
 * held only when every judged repetition was, as the kernel's batch holds
 * the CPU every time; noisy (no verdict) when only some were.
 */
enum stall_class stall_budget_unanimous(const enum stall_class *cls, int n)
{
	int held, judged = stall_budget_count(cls, n, &held);

	if (!judged || (held && held < judged))
		return STALL_NOISY;
	return held ? STALL_HELD : STALL_OK;
}

#ifdef STALL_LAB
/* A time ratio of 0 leaves the teardown time unjudged (reported only). */
bool stall_budget_time_ok(const struct stall_budget *b, u64 time_ns, u64 best_time_ns,
			  u64 *limit_ns)
{
	*limit_ns = 0;
	if (b->time_ratio <= 0.0 || !best_time_ns)
		return true;
	*limit_ns = (u64)(b->time_ratio * (double)best_time_ns);
	return time_ns <= *limit_ns;
}
#endif

/*
 * The verdict of several repetitions, noisy ones left out: held when more
 * than half of the judged ones were, noisy when none could be judged.
 */
enum stall_class stall_budget_majority(const enum stall_class *cls, int n)
{
	int held, judged = stall_budget_count(cls, n, &held);

	if (!judged)
		return STALL_NOISY;
	return 2 * held > judged ? STALL_HELD : STALL_OK;
}
