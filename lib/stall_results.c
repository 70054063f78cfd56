// SPDX-License-Identifier: GPL-2.0-only
/*
 * The results file (-j): every point and repetition, written when the run
 * ends. Durations are in ns, sizes in bytes; a figure that could not be
 * measured here is null.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/types.h>

#include "kselftest.h"
#include "stall_env.h"
#include "stall_json.h"
#include "stall_result.h"

#define STALL_RESULTS_SCHEMA_VERSION	2
#ifndef STALL_SUITE_VERSION
#define STALL_SUITE_VERSION		"in-tree"
#endif

static const char *results_path;
static struct stall_json results;

static void json_ns(const char *key, u64 ns)
{
	if (ns == STALL_NS_UNKNOWN)
		stall_json_null(&results, key);
	else
		stall_json_u64(&results, key, ns);
}

/* A batch in bytes, or "all": one call over the whole region. */
static void json_batch(const char *key, u64 batch)
{
	if (batch == STALL_BATCH_ALL)
		stall_json_str(&results, key, "all");
	else
		stall_json_u64(&results, key, batch);
}

/*
 * The granule's steps in bytes: what one entry maps at each level the
 * walk steps by, the largest block first and the page last (arm64's
 * kvm_granule_size()), and each budget tier's step.
 */
static void json_steps(void)
{
	u64 page = getpagesize(), step = stall_tier_step(STALL_TIER_REGRESSION, page);
	struct stall_json *j = &results;
	int t;

	stall_json_obj(j, "steps");
	stall_json_arr(j, "levels");
	for (; step >= page; step /= page / 8)
		stall_json_u64(j, NULL, step);
	stall_json_end(j);
	for (t = 0; t < STALL_NR_TIERS; t++)
		stall_json_u64(j, stall_tier_names[t], stall_tier_step(t, page));
	stall_json_end(j);
}

static void json_options(struct stall_params *p)
{
	struct stall_json *j = &results;
	int i;

	stall_json_obj(j, "options");
	stall_json_u64(j, "size", p->size);
	stall_json_s64(j, "vcpus", p->nr_vcpus);
	stall_json_str(j, "backing", vm_mem_backing_src_alias(p->src)->name);
	stall_json_u64(j, "backing_page_size", get_backing_src_pagesz(p->src));
	stall_json_s64(j, "test_cpu", p->test_cpu);
	stall_json_s64(j, "node", p->node);
	stall_json_arr(j, "modes");
	for (i = 0; i < stall_nr_modes; i++)
		if (p->modes & (1ULL << i))
			stall_json_str(j, NULL, stall_modes[i].name);
	stall_json_end(j);
	stall_json_arr(j, "batches");
	for (i = 0; i < p->nr_batch; i++)
		json_batch(NULL, p->batch[i]);
	stall_json_end(j);
	stall_json_s64(j, "reps", p->reps);
	stall_json_u64(j, "period_ns", p->period_ns);
	stall_json_u64(j, "baseline_ns", p->baseline_ns);
	stall_json_u64(j, "stall_allow_ns", p->budget.stall_allow_ns);
	stall_json_str(j, "tier", stall_tier_names[p->budget.tier]);
	stall_json_double(j, "step_ratio", p->budget.step_ratio);
	stall_json_double(j, "time_ratio", p->budget.time_ratio);
	stall_json_double(j, "max_dip", p->budget.max_dip);
	stall_json_arr(j, "loads");
	for (i = 0; i < p->nr_loads; i++)
		stall_json_str(j, NULL, p->loads[i].spec);
	stall_json_end(j);
	stall_json_str(j, "placement", p->steer ? "irq" : "cpu");
	stall_json_u64(j, "load_window_ns", p->window_ns);
	stall_json_end(j);
}

void stall_results_begin(const char *path, struct stall_params *p, bool probe_sees_held)
{
	struct stall_json *j = &results;

	results_path = path;
	if (!results_path)
		return;
	TEST_ASSERT(!stall_json_init(j), "results file: out of memory");
	stall_json_obj(j, NULL);
	stall_json_str(j, "schema", "kvm-stall-results");
	stall_json_s64(j, "schema_version", STALL_RESULTS_SCHEMA_VERSION);
	stall_json_obj(j, "suite");
	stall_json_str(j, "test", "kvm_page_table_stall_test");
	stall_json_str(j, "version", STALL_SUITE_VERSION);
	stall_json_end(j);
	stall_json_obj(j, "environment");
	stall_env_json(j);
	stall_json_obj(j, "kernel_side");
	stall_json_bool(j, "available", p->have_trace);
	stall_json_str(j, "why_not", p->have_trace ? NULL : p->trace_why);
	stall_json_end(j);
	stall_json_bool(j, "probe_sees_held", probe_sees_held);
	json_steps();
	stall_json_end(j);
	json_options(p);
	stall_json_arr(j, "points");
}

static void json_rep(const struct stall_rep *r)
{
	struct stall_json *j = &results;
	int i;

	stall_json_obj(j, NULL);
	stall_json_u64(j, "time_ns", r->time_ns);
	stall_json_u64(j, "populate_ns", r->populate_ns);
	stall_json_u64(j, "ops", r->nr_ops);
	stall_json_u64(j, "window_ns", r->window_ns);
	stall_json_u64(j, "stall_ns", r->meas.gap_ns);
	json_ns("held_ns", r->meas.held_ns);
	stall_json_u64(j, "ctl_stall_ns", r->ctl.gap_ns);
	json_ns("ctl_held_ns", r->ctl.held_ns);
	stall_json_u64(j, "base_stall_ns", r->base_gap_ns);
	stall_json_u64(j, "probe_p50_ns", r->p50_ns);
	stall_json_u64(j, "probe_p99_ns", r->p99_ns);
	stall_json_u64(j, "probe_p999_ns", r->p999_ns);
	stall_json_u64(j, "probe_max_ns", r->lat_max_ns);
	stall_json_u64(j, "missed", r->missed);
	stall_json_arr(j, "probe_hist_log2_us");
	for (i = 0; i < r->nr_hist; i++)
		stall_json_u64(j, NULL, r->hist[i]);
	stall_json_end(j);
	stall_json_u64(j, "probe_hist_over", r->hist_over);
	json_ns("kcall_ns", r->kcall_ns);
	stall_json_bool(j, "kmatch", r->kmatch);
	stall_json_str(j, "verdict", stall_class_names[r->v.cls]);
	stall_json_str(j, "why", r->v.why);
	stall_json_end(j);
}

/* The judged repetition's longest wait as the kernel-side measurement saw it. */
static void json_hold(const struct stall_rep *r)
{
	static const struct stall_hold none;
	const struct stall_hold *h = r->pick >= 0 ? &r->holds[r->pick] : &none;
	int fn = r->pick >= 0 ? r->hold_fns[r->pick] : -1;
	struct stall_json *j = &results;

	stall_json_obj(j, "hold");
	stall_json_u64(j, "held_ns", h->held_ns);
	stall_json_u64(j, "work_bytes", h->work);
	stall_json_u64(j, "calls", h->calls);
	stall_json_str(j, "fn", fn >= 0 ? stall_trace_fns[fn].name : NULL);
	stall_json_u64(j, "rate_ns_per_mib", h->rate_ns_per_mib);
	stall_json_end(j);
}

static void json_kernel(struct stall_params *p, const struct stall_result *res)
{
	const struct stall_trace_call *c = &res->k.longest;
	struct stall_json *j = &results;
	u64 batch, bns, bcalls, expect = stall_report_expected_batch();
	bool exact;

	if (!p->have_trace) {
		stall_json_null(j, "kernel");
		return;
	}
	batch = stall_trace_observed_batch(&res->k, &exact);
	bns = stall_trace_batch_ns(&res->k, &bcalls);
	stall_json_obj(j, "kernel");
	stall_json_str(j, "longest_fn", c->fn >= 0 ? stall_trace_fns[c->fn].name : NULL);
	json_ns("longest_call_ns", c->fn >= 0 ? c->ns : STALL_NS_UNKNOWN);
	stall_json_u64(j, "longest_call_size", c->size);
	stall_json_u64(j, "longest_call_softirq_ns", c->softirq_ns);
	stall_json_bool(j, "overlaps_stall", stall_kernel_matches(res));
	stall_json_str(j, "stack", c->fn >= 0 && c->stack[0] ? c->stack : NULL);
	stall_json_u64(j, "batch", batch);
	stall_json_bool(j, "batch_exact", exact);
	stall_json_u64(j, "batch_expected", expect);
	stall_json_u64(j, "lost_events", res->k.lost);
	stall_json_u64(j, "batch_calls", bcalls);
	stall_json_u64(j, "batch_total_ns", bns);
	json_hold(&res->rep[res->worst]);
	stall_json_end(j);
}

/* Opens a result's object, a point's or a load's, with what every result has. */
static void json_result(const char *name, const char *result, const char *reason)
{
	stall_json_obj(&results, NULL);
	stall_json_str(&results, "name", name);
	stall_json_str(&results, "result", result);
	stall_json_str(&results, "reason", reason);
}

/* a repetition's throughput over time (the median has none) */
static void json_load_series(const struct stall_load_result *m)
{
	struct stall_json *j = &results;
	int i;

	stall_json_obj(j, "series");
	stall_json_u64(j, "window_ns", m->series_window_ns);
	stall_json_arr(j, "base");
	for (i = 0; i < m->nr_base; i++)
		stall_json_double(j, NULL, m->series[i]);
	stall_json_end(j);
	stall_json_arr(j, "meas");
	for (i = 0; i < m->nr_meas; i++)
		stall_json_double(j, NULL, m->series[m->nr_base + i]);
	stall_json_end(j);
	stall_json_end(j);
}

static void json_load_result(const char *key, const struct stall_load_result *m)
{
	struct stall_json *j = &results;

	stall_json_obj(j, key);
	stall_json_double(j, "rate_base", m->base_median);
	stall_json_double(j, "rate_base_worst", m->base_worst);
	stall_json_double(j, "rate_worst", m->meas_worst);
	stall_json_u64(j, "op_base_max_ns", m->base_max_ns);
	stall_json_u64(j, "op_p50_ns", m->meas_p50_ns);
	stall_json_u64(j, "op_p99_ns", m->meas_p99_ns);
	stall_json_u64(j, "op_max_ns", m->meas_max_ns);
	stall_json_u64(j, "ops", m->ops);
	stall_json_double(j, "cpu_pct", m->cpu_pct);
	if (!key)
		json_load_series(m);
	stall_json_end(j);
}

static const char *json_code(int code)
{
	return code == KSFT_SKIP ? "skip" : code == KSFT_PASS ? "pass" : "fail";
}

static void json_load(const struct stall_load *l, const struct stall_result *res, int i)
{
	struct stall_json *j = &results;
	char lname[192];
	int rep;

	snprintf(lname, sizeof(lname), "%s load=%s", res->name, l->spec);
	json_result(lname, json_code(res->load_code[i]), res->load_reason[i]);
	stall_json_str(j, "spec", l->spec);
	stall_json_str(j, "unit", l->kind->unit);
	/* a load's figures where it was judged */
	if (res->load_code[i] != KSFT_SKIP) {
		json_load_result("median", &res->load_med[i]);
		stall_json_double(j, "dip", res->load_v[i].dip);
		stall_json_double(j, "rate_floor", res->load_v[i].rate_floor);
		stall_json_u64(j, "op_budget_ns", res->load_v[i].lat_limit_ns);
		stall_json_arr(j, "reps");
		for (rep = 0; rep < res->nr_reps; rep++)
			json_load_result(NULL, &res->load[i][rep]);
		stall_json_end(j);
	}
	stall_json_end(j);
}

/* A point's result, its figures and repetitions, and its loads' results. */
void stall_results_point(struct stall_params *p, const struct stall_mode *mode,
			 const struct stall_result *res, u64 best_time_ns)
{
	const struct stall_rep *r = &res->rep[res->worst];
	struct stall_json *j = &results;
	int i;

	if (!results_path)
		return;
	json_result(res->name, json_code(res->code), res->reason);
	stall_json_str(j, "mode", mode->name);
	if (mode->batched)
		json_batch("batch", res->batch);
	else
		stall_json_null(j, "batch");
	if (!res->skip) {
		stall_json_str(j, "verdict", stall_class_names[res->cls]);
		stall_json_s64(j, "judged", res->judged);
		stall_json_s64(j, "reps_run", res->nr_reps);
		stall_json_u64(j, "time_ns", res->time_ns);
		stall_json_double(j, "time_x",
				  best_time_ns ? (double)res->time_ns / best_time_ns : 0.0);
		stall_json_u64(j, "stall_ns", res->gap_ns);
		json_ns("held_ns", res->held_ns);
		stall_json_u64(j, "ctl_stall_ns", res->ctl_gap_ns);
		stall_json_u64(j, "base_stall_ns", res->base_gap_ns);
		stall_json_str(j, "rule", stall_rule_names[r->v.rule]);
		stall_json_u64(j, "budget_ns", r->v.stall_limit_ns);
		stall_json_obj(j, "tiers");
		stall_json_str(j, stall_tier_names[p->budget.tier], stall_class_names[res->cls]);
		stall_json_str(j, stall_tier_names[!p->budget.tier],
			       stall_class_names[res->alt_cls]);
		stall_json_end(j);
		json_kernel(p, res);
		stall_json_arr(j, "reps");
		for (i = 0; i < res->nr_reps; i++)
			json_rep(&res->rep[i]);
		stall_json_end(j);
	}
	stall_json_arr(j, "loads");
	for (i = 0; i < p->nr_loads; i++)
		json_load(&p->loads[i], res, i);
	stall_json_end(j);
	stall_json_end(j);
}

/* Close the document and write it; returns -errno where it could not be written. */
int stall_results_finish(u64 pass, u64 fail, u64 skip)
{
	struct stall_json *j = &results;
	int ret;

	if (!results_path)
		return 0;
	stall_json_end(j);
	stall_json_obj(j, "totals");
	stall_json_u64(j, "pass", pass);
	stall_json_u64(j, "fail", fail);
	stall_json_u64(j, "skip", skip);
	stall_json_end(j);
	stall_json_end(j);
	ret = stall_json_write(j, results_path);
	stall_json_free(j);
	if (!ret)
		ksft_print_msg("results written to %s\n", results_path);
	return ret;
}

/* The results file's destination, proved writable before anything runs. */
