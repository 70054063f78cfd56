// SPDX-License-Identifier: GPL-2.0-only
/*
 * The lab kit's part of a point's diagnostic lines: the verdict rule's
 * name, the stage-2 batch to expect, the "# point" line's keys of the
 * kernel-side measurement and the hold rule, and what held the CPU.
 */
#include <stdio.h>
#include <unistd.h>
#include <linux/types.h>

#include "kselftest.h"
#include "stall_env.h"
#include "stall_result.h"
#include "stall_lab_kit.h"

#define US(ns)	STALL_US(ns)

/* sizes in 16-byte buffers */
static const char *fmt_size(u64 bytes, char *buf)
{
	return stall_fmt_size(bytes, buf, 16);
}

const char *const stall_rule_names[] = {
	[STALL_RULE_ABS] = "abs",
	[STALL_RULE_HOLD] = "hold",
};

const char *stall_report_expected_batch_source(void)
{
	/* the testbed's knob kernels (patches/knob/) */
	if (stall_env_stage2_batch())
		return "kvm.stage2_batch";
	return "6.12's";
}

/*
 * The batch stage2_apply_range() uses on 6.12, the largest block mapping
 * (KVM_PGTABLE_MIN_BLOCK_LEVEL: level 1, 1G, with 4K pages;
 * arch/arm64/include/asm/kvm_pgtable.h): only
 * a label next to what the kernel-side measurement observed, since a
 * candidate fix or a later kernel may differ, and the output then says so.
 */
u64 stall_report_expected_batch(void)
{
#ifdef __aarch64__
	u64 knob = stall_env_stage2_batch();

	if (knob)
		return knob;
	switch (getpagesize()) {
	case 4096:
		return 1ULL << 30;
	case 16384:
		return 32ULL << 20;
	default:
		return 512ULL << 20;
	}
#else
	return 0;
#endif
}

static int print_kernel(const struct stall_result *res, char *line, size_t len)
{
	const struct stall_trace_call *c = &res->k.longest;
	char ob[16], eb[16], cs[16];
	u64 calls = 0, batch, bcalls, bns, expect = stall_report_expected_batch();
	bool exact;
	int i, n;

	for (i = 0; i < stall_trace_nr_fns; i++)
		if (stall_trace_fns[i].role != STALL_TRACE_RANGE)
			calls += res->k.fn[i].calls;
	batch = stall_trace_observed_batch(&res->k, &exact);
	snprintf(ob, sizeof(ob), "%s%s", batch && !exact ? ">=" : "",
		 batch ? fmt_size(batch, cs) : "none");
	n = snprintf(line, len, " kbatch=%s kbatch_expected=%s%s kcalls=%lu",
		     ob, expect ? fmt_size(expect, eb) : "n/a",
		     batch && expect && (exact ? batch != expect : batch > expect) ?
		     " kbatch_differs" : "", (unsigned long)calls);
	if (n < 0 || (size_t)n >= len)
		return n;
	bns = stall_trace_batch_ns(&res->k, &bcalls);
	return n + snprintf(line + n, len - n,
			    " kcall_us=%lu ksoftirq_us=%lu kfn=%s kcall_size=%s kmatch=%s klost=%lu ktotal_us=%lu",
			    US(c->fn >= 0 ? c->ns : 0), US(c->softirq_ns),
			    c->fn >= 0 ? stall_trace_fns[c->fn].name : "none",
			    c->size ? fmt_size(c->size, cs) : "n/a",
			    stall_kernel_matches(res) ? "yes" : "no", (unsigned long)res->k.lost,
			    US(bns));
}

/* The range function around the judged wait, or "none". */
static const char *hold_fn_name(const struct stall_rep *r)
{
	int fn = r->pick >= 0 ? r->hold_fns[r->pick] : -1;

	return fn >= 0 ? stall_trace_fns[fn].name : "none";
}

/* Stage-2 work, a share of calls' ranges: to three figures. */
static const char *fmt_work(u64 bytes, char *buf)
{
	if (bytes >= 1ULL << 30)
		snprintf(buf, 16, "%.3gG", (double)bytes / (1ULL << 30));
	else if (bytes >= 1ULL << 20)
		snprintf(buf, 16, "%.3gM", (double)bytes / (1ULL << 20));
	else
		snprintf(buf, 16, "%luK", (unsigned long)(bytes >> 10));
	return buf;
}

/*
 * The judged repetition's hold: the stage-2 work in it against the tier's
 * step, and the verdict under each tier.
 */
static int print_hold(struct stall_params *p, const struct stall_result *res, char *line,
		      size_t len)
{
	const struct stall_rep *r = &res->rep[res->worst];
	const struct stall_hold *h = r->pick >= 0 ? &r->holds[r->pick] : NULL;
	enum stall_tier t = p->budget.tier;
	char ws[16], ss[16];

	return snprintf(line, len,
			" hold_us=%lu hold_work=%s hold_calls=%lu hold_fn=%s step=%s %s=%s %s=%s",
			h ? US(h->held_ns) : 0UL,
			h ? fmt_work(h->work, ws) : "n/a", h ? (unsigned long)h->calls : 0UL,
			hold_fn_name(r),
			fmt_size(stall_tier_step(t, getpagesize()), ss),
			stall_tier_names[t], stall_class_names[res->cls],
			stall_tier_names[!t], stall_class_names[res->alt_cls]);
}

/* The "# point" line's keys of the lab kit, at @at of the line. */
size_t stall_lab_point_keys(struct stall_params *p, const struct stall_result *res,
			    enum stall_keys_at at, char *line, size_t len)
{
	const struct stall_rep *r = &res->rep[res->worst];
	u64 p99[STALL_MAX_REPS], lat[STALL_MAX_REPS];
	size_t n;
	int i;

	switch (at) {
	case STALL_KEYS_PROBE:
		for (i = 0; i < res->nr_reps; i++) {
			p99[i] = res->rep[i].p99_ns;
			lat[i] = res->rep[i].lat_max_ns;
		}
		return snprintf(line, len, " p99_us=%lu lat_max_us=%lu missed=%lu",
				US(stall_median_u64(p99, res->nr_reps)),
				US(stall_max_u64(lat, res->nr_reps)), (unsigned long)r->missed);
	case STALL_KEYS_RULE:
		return snprintf(line, len, " tier=%s rule=%s", stall_tier_names[p->budget.tier],
				stall_rule_names[r->v.rule]);
	case STALL_KEYS_HOLD:
		n = print_hold(p, res, line, len);
		if (p->have_trace && n < len)
			n += print_kernel(res, line + n, len - n);
		return n;
	}
	return 0;
}

/* The kernel's longest stage-2 call on the test CPU, and its stack. */
static void print_kernel_call(struct stall_params *p, const char *name,
			      const struct stall_result *res)
{
	const struct stall_trace_call *c = &res->k.longest;
	char cs[16];

	if (!p->have_trace)
		return;
	if (c->fn < 0) {
		ksft_print_msg("%s: no stage-2 call on the test CPU: held by another kernel path\n",
			       name);
		return;
	}
	ksft_print_msg("%s: longest stage-2 call %s(size %s) %lu us, %s the probe's stall\n",
		       name, stall_trace_fns[c->fn].name, c->size ? fmt_size(c->size, cs) : "n/a",
		       US(c->ns), stall_kernel_matches(res) ? "overlapping" : "not overlapping");
	if (c->stack[0])
		ksft_print_msg("%s: call stack: %s\n", name, c->stack);
}

/* The hold the kernel trace put on stage-2 work, if any: its work, calls and function. */
static bool print_attributed_hold(const char *name, const struct stall_rep *r)
{
	const struct stall_hold *h = r->pick >= 0 ? &r->holds[r->pick] : NULL;
	char ws[16];

	if (!h)
		return false;
	ksft_print_msg("%s: CPU held %lu us across %s of stage-2 work in %lu %s %s (%s)\n",
		       name, US(h->held_ns), fmt_work(h->work, ws), (unsigned long)h->calls,
		       "call(s) under", hold_fn_name(r), r->v.why);
	return true;
}

/* What held the CPU, for a point over budget. */
void stall_report_attribution(struct stall_params *p, const char *name,
			      struct stall_result *res)
{
	struct stall_rep *r = &res->rep[res->worst];

	if (print_attributed_hold(name, r)) {
		print_kernel_call(p, name, res);
		return;
	}
	ksft_print_msg("%s: CPU held %lu us (%s)\n", name, US(stall_rep_hold(r)), r->v.why);
	print_kernel_call(p, name, res);
}
