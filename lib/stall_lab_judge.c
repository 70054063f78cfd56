// SPDX-License-Identifier: GPL-2.0-only
/*
 * The lab kit's verdict: where the kernel-side measurement saw stage-2
 * calls, each of the probe's longest waits is judged by the stage-2 work
 * the CPU did in it (the hold rule, under both tiers); else by the
 * allowance and the longest kernel call.
 */
#include <string.h>
#include <unistd.h>
#include <linux/kernel.h>
#include <linux/types.h>

#include "stall_result.h"
#include "stall_lab_kit.h"

/* The probe's longest waits (its longest gap without schedstat), for the trace. */
static int holds_of(const struct stall_window *w, u64 table_bytes, struct stall_trace_hold *in)
{
	int i;

	memset(in, 0, STALL_TRACE_HOLDS * sizeof(*in));
	for (i = 0; i < w->nr_holds && i < STALL_TRACE_HOLDS; i++) {
		in[i].end_ns = w->holds[i].end_ns;
		in[i].start_ns = w->holds[i].end_ns - w->holds[i].held_ns;
		in[i].table_bytes = table_bytes;
	}
	if (i || !w->max_gap_ns)
		return i;
	in[0].end_ns = w->max_gap_end_ns;
	in[0].start_ns = w->max_gap_end_ns - w->max_gap_ns;
	in[0].table_bytes = table_bytes;
	return 1;
}

/* What the kernel did while the probe waited: the hold rule's input. */
static void holds_from_trace(struct stall_rep *r, const struct stall_trace_result *k,
			     const struct stall_trace_hold *in)
{
	const struct stall_trace_hold *h;
	int i;

	for (i = 0, r->kcalls = 0; i < stall_trace_nr_fns; i++)
		if (stall_trace_fns[i].role != STALL_TRACE_RANGE)
			r->kcalls += k->fn[i].calls;
	r->nr_holds = k->nr_holds;
	for (i = 0; i < k->nr_holds; i++) {
		h = &k->hold[i];
		r->holds[i].held_ns = in[i].end_ns - in[i].start_ns;
		r->holds[i].held_ns -= min(h->softirq_ns, r->holds[i].held_ns);
		r->holds[i].work = h->work;
		r->holds[i].calls = h->calls;
		r->holds[i].stage2 = h->inside;
		/* a destroy's chunks walk a sparse IPA space: their time says nothing */
		r->holds[i].rate_ns_per_mib = h->sparse ? 0 : k->rate_ns_per_mib;
		r->hold_fns[i] = h->outer;
	}
}

/*
 * The longest holding call the kernel made in repetition @rep, and whether
 * it overlaps the probe's longest gap (@w, complete by now); the calls are
 * kept for the repetition with the longest one.
 */
void stall_judge_trace(struct stall_params *p, struct stall_result *res, int rep,
		       const struct stall_window *w, u64 table_bytes)
{
	struct stall_trace_hold in[STALL_TRACE_HOLDS];
	struct stall_rep *r = &res->rep[rep];
	struct stall_trace_call *c;
	struct stall_trace_result k;
	int n = holds_of(w, table_bytes, in);

	r->kcall_ns = STALL_NS_UNKNOWN;
	r->kmatch = false;
	r->kcalls = 0;
	r->nr_holds = 0;
	if (!p->have_trace || stall_trace_end(&k, in, n))
		return;
	holds_from_trace(r, &k, in);
	c = &k.longest;
	r->kcall_ns = c->fn >= 0 ? c->ns : 0;
	r->kmatch = c->fn >= 0 && w->max_gap_end_ns - w->max_gap_ns < c->start_ns + c->ns &&
		    c->start_ns < w->max_gap_end_ns;
	/* a repetition run again replaces what its earlier attempt kept */
	if (res->k.longest.fn < 0 || res->krep == rep || r->kcall_ns > res->k.longest.ns) {
		res->k = k;
		res->krep = rep;
	}
}

/* Whether verdict @a is worse than @b: held, then by work rather than time, then more work. */
static bool worse_hold(const struct stall_verdict *a, const struct stall_hold *ha,
		       const struct stall_verdict *b, const struct stall_hold *hb)
{
	if (a->cls != b->cls)
		return a->cls == STALL_HELD;
	if (a->confirm != b->confirm)
		return !a->confirm;
	return ha->work > hb->work;
}

/* The worst of the attributed waits under tier @t; returns its index, -1 for none. */
static int judge_holds(struct stall_params *p, const struct stall_rep *r, int t,
		       struct stall_verdict *v)
{
	u64 step = stall_tier_step(t, getpagesize());
	const struct stall_hold none = { 0 };
	struct stall_verdict hv;
	int i, pick = -1;

	stall_budget_judge_hold(&p->budget, step, &none, v);
	v->why = "the CPU not held in stage-2 work";
	for (i = 0; i < r->nr_holds; i++) {
		if (!r->holds[i].stage2)
			continue;
		stall_budget_judge_hold(&p->budget, step, &r->holds[i], &hv);
		if (pick < 0 || worse_hold(&hv, &r->holds[i], v, &r->holds[pick])) {
			*v = hv;
			pick = i;
		}
	}
	return pick;
}

/*
 * Under both tiers: where the kernel-side measurement saw stage-2 calls,
 * by the hold rule on every one of the probe's longest waits that they
 * overlap (a longer wait in the host mm's part of an munmap is not
 * stage-2's); else by the allowance, the same for both.
 */
void stall_lab_judge_rep(struct stall_params *p, struct stall_rep *r)
{
	if (r->kcalls) {
		r->pick = judge_holds(p, r, p->budget.tier, &r->v);
		judge_holds(p, r, !p->budget.tier, &r->alt);
		return;
	}
	stall_budget_judge_kcall(&p->budget, &r->meas, &r->ctl, r->kcall_ns, &r->v);
	r->alt = r->v;
	r->pick = -1;
}

/* The point's verdict under the other tier, reported beside it. */
void stall_lab_judge_point(struct stall_params *p, struct stall_result *res)
{
	enum stall_class alt[STALL_MAX_REPS];
	int i;

	for (i = 0; i < res->nr_reps; i++)
		alt[i] = res->rep[i].alt.cls;
	res->alt_cls = res->nr_reps > p->reps ? stall_budget_unanimous(alt, res->nr_reps) :
		       stall_budget_majority(alt, res->nr_reps);
}

/* A held repetition the kernel trace does not put on stage-2 work over budget. */
bool stall_lab_rep_unexplained(struct stall_params *p, const struct stall_rep *r)
{
	if (r->v.cls != STALL_HELD)
		return false;
	if (r->v.rule == STALL_RULE_HOLD)
		return r->v.confirm;
	return r->kcall_ns == STALL_NS_UNKNOWN || r->kcall_ns <= p->budget.stall_allow_ns;
}

/* Whether the kept kernel call overlaps its repetition's longest probe gap. */
bool stall_kernel_matches(const struct stall_result *res)
{
	return res->k.longest.fn >= 0 && res->rep[res->krep].kmatch;
}
