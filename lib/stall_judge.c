// SPDX-License-Identifier: GPL-2.0-only
/*
 * The verdict of a sweep point: each repetition judged against the
 * budget (stall_budget.h), and the repetitions summed up.
 */
#include <unistd.h>
#include <linux/types.h>

#include "test_util.h"
#include "stall_result.h"
#include "stall_lab.h"

/* A repetition's verdict: the lab kit's hold rule where it is linked in. */
void stall_judge_rep(struct stall_params *p, struct stall_rep *r)
{
	if (stall_lab()->judge_rep)
		stall_lab()->judge_rep(p, r);
	else
		stall_budget_judge(&p->budget, &r->meas, &r->ctl, &r->v);
}

/* Hold of a repetition: run-queue wait where known, else the gap. */
u64 stall_rep_hold(const struct stall_rep *r)
{
	return stall_obs_hold(&r->meas);
}

/*
 * The point's verdict and figures: medians over the judged repetitions
 * (over all of them when none could be judged), the teardown time over all.
 */
void stall_judge_point(struct stall_params *p, struct stall_result *res)
{
	u64 t[STALL_MAX_REPS], g[STALL_MAX_REPS], h[STALL_MAX_REPS], c[STALL_MAX_REPS];
	u64 b[STALL_MAX_REPS];
	enum stall_class cls[STALL_MAX_REPS];
	int i, n = 0;

	res->worst = 0;
	for (i = 0; i < res->nr_reps; i++) {
		struct stall_rep *r = &res->rep[i];

		t[i] = r->time_ns;
		cls[i] = r->v.cls;
		if (cls[i] == STALL_NOISY)
			continue;
		if (!n || stall_rep_hold(r) > stall_rep_hold(&res->rep[res->worst]))
			res->worst = i;
		n++;
	}
	res->judged = n;
	for (i = 0, n = 0; i < res->nr_reps; i++) {
		struct stall_rep *r = &res->rep[i];

		if (res->judged && r->v.cls == STALL_NOISY)
			continue;
		g[n] = r->meas.gap_ns;
		h[n] = r->meas.held_ns;
		c[n] = r->ctl.gap_ns;
		b[n++] = r->base_gap_ns;
	}
	res->cls = res->nr_reps > p->reps ? stall_budget_unanimous(cls, res->nr_reps) :
		   stall_budget_majority(cls, res->nr_reps);
	res->time_ns = stall_median_u64(t, res->nr_reps);
	res->gap_ns = stall_median_u64(g, n);
	res->held_ns = stall_median_u64(h, n);
	res->ctl_gap_ns = stall_median_u64(c, n);
	res->base_gap_ns = stall_median_u64(b, n);
	if (stall_lab()->judge_point)
		stall_lab()->judge_point(p, res);
}

/*
 * A held point is confirmed by twice as many repetitions again, every one
 * of which must be held too: the kernel's batch holds the CPU every time,
 * another process's non-preemptible syscall or a hypervisor taking the
 * CPU from a waiting probe does not.
 */
bool stall_judge_needs_confirmation(struct stall_params *p, struct stall_result *res)
{
	enum stall_class cls[STALL_MAX_REPS];
	int i, unexplained = 0;

	for (i = 0; i < res->nr_reps; i++) {
		cls[i] = res->rep[i].v.cls;
		/* the lab kit's trace may have put the hold on stage-2 work */
		if (stall_lab()->rep_unexplained)
			unexplained += stall_lab()->rep_unexplained(p, &res->rep[i]);
		else
			unexplained += cls[i] == STALL_HELD;
	}
	return res->nr_reps < STALL_MAX_REPS && unexplained &&
	       stall_budget_majority(cls, res->nr_reps) == STALL_HELD;
}

/* The point's KTAP name: "munmap batch=2M granule=4K backing=4K". */
void stall_point_name(struct stall_params *p, const struct stall_mode *mode,
		      struct stall_result *res)
{
	size_t len = sizeof(res->name), n;
	char gs[16], ss[16];
	char bs[16];

	n = snprintf(res->name, len, "%s", mode->name);
	n += snprintf(res->name + n, len - n, " batch=%s",
		      mode->batched ? stall_fmt_size(res->batch, bs, 16) : "n/a");
	n += snprintf(res->name + n, len - n, " granule=%s backing=%s",
		      stall_fmt_size(getpagesize(), gs, 16),
		      stall_fmt_size(get_backing_src_pagesz(p->src), ss, 16));
	if (stall_lab()->name_tag)
		snprintf(res->name + n, len - n, "%s", stall_lab()->name_tag(p));
}

/*
 * Which noise left a point unjudged, in res->why: repetitions that did
 * not all confirm a hold, or the control window held as long. The KTAP
 * reason is STALL_NOISY_SKIP alone, whichever it was.
 */
void stall_judge_noisy_why(struct stall_result *res)
{
	if (res->judged)
		snprintf(res->why, sizeof(res->why), "%s: %s", STALL_NOISY_SKIP,
			 "a hold not every repetition confirmed");
	else
		snprintf(res->why, sizeof(res->why), "%s: %s", STALL_NOISY_SKIP,
			 res->rep[res->worst].v.why);
}
