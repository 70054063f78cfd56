/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A sweep point of kvm_page_table_stall_test: the test's parameters, what
 * each repetition measured and what the point concluded (the verdict:
 * lib/stall_judge.c). kselftest.h's counters are the test's own: only the
 * test prints results.
 */
#ifndef SELFTEST_KVM_STALL_RESULT_H
#define SELFTEST_KVM_STALL_RESULT_H

#include <stdbool.h>
#include <linux/types.h>

#include "kvm_util.h"
#include "stall_budget.h"
#include "stall_hist.h"
#include "stall_load.h"
#include "stall_parse.h"
#include "stall_probe.h"
#include "stall_run.h"
#include "stall_teardown.h"
#ifdef STALL_LAB
#include "stall_trace.h"
#endif

/* a repetition the machine's own noise made unjudgeable is run again, twice at most */
#define STALL_NOISY_RETRIES	2
/*
 * A noisy point's skip reason carries no figure: CI parsers (LKFT's) fold
 * a skip's reason into the result's name, which must not change between
 * runs. The figures go on a diagnostic line before it.
 */
#define STALL_NOISY_SKIP	"machine too noisy to judge"

#define STALL_US(ns)	((unsigned long)((ns) / 1000))
#define STALL_SEC(ns)	((double)(ns) / 1e9)

struct stall_params {
	u64 size;
	int nr_vcpus;
	enum vm_mem_backing_src_type src;
	int test_cpu;
#ifdef STALL_LAB
	int node;
#endif
	u64 modes;
	u64 batch[STALL_MAX_LIST];
	int nr_batch;
	u64 period_ns;
	u64 baseline_ns;
	int reps;
	struct stall_budget budget;
#ifdef STALL_LAB
	bool mode_given;
#endif
	struct stall_load loads[STALL_LOAD_MAX];
	int nr_loads;
#ifdef STALL_LAB
	u64 window_ns;		/* -W: the loads' throughput window */
#endif
#ifdef STALL_LAB
	bool steer;		/* -P irq */
	int other_cpus[64];	/* where its loads' threads go */
	int nr_other_cpus;
	const char *blk_dir;	/* -D */
#endif
	/* the run's time budget (-d), and where its default came from */
	struct stall_run_budget run;
	bool run_given;
	const char *run_from;
#ifdef STALL_LAB
	/* what the run found out, for its results and its last words */
	bool have_trace;	/* kprobe events time the stage-2 calls */
	char trace_why[128];	/* why not */
#endif
#ifdef STALL_LAB
	int rules_used[STALL_NR_RULES];	/* points judged by each rule */
#endif
	/* values as given, for the usage errors that name them */
	const char *size_arg;		/* -b */
#ifdef STALL_LAB
	const char *period_arg;		/* -i */
	const char *results_path;	/* -j: the results file (docs/results-file.md) */
#endif
};

/* One repetition of one sweep point. */
struct stall_rep {
	u64 base_gap_ns;
	struct stall_obs meas;		/* the teardown's window */
	struct stall_obs ctl;		/* the control window of the same length after it */
	u64 window_ns;
	struct stall_verdict v;		/* the repetition's verdict */
#ifdef STALL_LAB
	struct stall_verdict alt;	/* under the other tier, reported */
	u64 kcall_ns;		/* longest holding stage-2 call, or STALL_NS_UNKNOWN */
	bool kmatch;			/* that call overlaps the probe's longest gap */
	u64 kcalls;			/* stage-2 calls the kernel-side measurement saw */
	/* the probe's longest waits, attributed; the judged one, -1 for none */
	struct stall_hold holds[STALL_TRACE_HOLDS];
	int hold_fns[STALL_TRACE_HOLDS];	/* the stage-2 function around each, or -1 */
	int nr_holds;
	int pick;
#endif
#ifdef STALL_LAB
	u64 p99_ns;
	u64 lat_max_ns;
	u64 missed;
#endif
	u64 time_ns;
	u64 populate_ns;
	u64 nr_ops;
#ifdef STALL_LAB
	/* the probe's wake-up latencies in the teardown's window, for a report */
	u64 p50_ns;
	u64 p999_ns;
	u64 hist[STALL_HIST_LOG2_BINS];
	int nr_hist;
	u64 hist_over;			/* past the histogram's range */
#endif
};

struct stall_result {
	u64 batch;
	const char *skip;
	struct stall_rep rep[STALL_MAX_REPS];
	enum stall_class cls;
	int nr_reps;			/* the repetitions run, confirming ones included */
	int runs;			/* and how often, noisy ones run again included */
	int judged;			/* repetitions that were not noisy */
	int worst;			/* the judged repetition with the longest hold */
#ifdef STALL_LAB
	struct stall_trace_result k;	/* the kernel's calls in the repetition krep */
	int krep;			/* the repetition with the longest stage-2 call */
	enum stall_class alt_cls;	/* the verdict under the other tier */
#endif
	u64 time_ns;
	u64 gap_ns;
	u64 held_ns;
	u64 ctl_gap_ns;
	u64 base_gap_ns;
	u64 run_ns;			/* what the point took, all repetitions */
	u64 est_ns;			/* what the time budget expected it to take */
	u64 left_ns;			/* what was left of the budget when it was to start */
	bool over_time;			/* skipped: it would not have fitted */
	/* the KTAP result and its reason */
	char name[128];
	int code;			/* KSFT_PASS, KSFT_FAIL or KSFT_SKIP */
	const char *reason;		/* NULL for a pass */
	char why[256];			/* a reason composed for this point */
	/* each load's, and its KTAP result */
	struct stall_load_result load[STALL_LOAD_MAX][STALL_MAX_REPS];
	char load_skip[STALL_LOAD_MAX][128];	/* why a load has no verdict */
	int load_code[STALL_LOAD_MAX];
	const char *load_reason[STALL_LOAD_MAX];
	struct stall_load_result load_med[STALL_LOAD_MAX];	/* over the repetitions */
	struct stall_load_verdict load_v[STALL_LOAD_MAX];
};

extern const char *const stall_class_names[];
#ifdef STALL_LAB
extern const char *const stall_rule_names[];
#endif

u64 stall_rep_hold(const struct stall_rep *r);
void stall_judge_rep(struct stall_params *p, struct stall_rep *r);
void stall_judge_point(struct stall_params *p, struct stall_result *res);
bool stall_judge_needs_confirmation(struct stall_params *p, struct stall_result *res);
void stall_point_name(struct stall_params *p, const struct stall_mode *mode,
		      struct stall_result *res);
void stall_judge_noisy_why(struct stall_result *res);
#ifdef STALL_LAB
void stall_judge_trace(struct stall_params *p, struct stall_result *res, int rep,
		       const struct stall_window *w, u64 table_bytes);
bool stall_kernel_matches(const struct stall_result *res);
u64 stall_report_expected_batch(void);
const char *stall_report_expected_batch_source(void);
#endif

void stall_report_figures(struct stall_params *p, const struct stall_mode *mode,
			  struct stall_result *res, u64 best_time_ns);
#ifdef STALL_LAB
void stall_report_attribution(struct stall_params *p, const char *name,
			      struct stall_result *res);
#endif

#ifdef STALL_LAB
int stall_results_check(const char *path);
void stall_results_begin(const char *path, struct stall_params *p, bool probe_sees_held);
void stall_results_point(struct stall_params *p, const struct stall_mode *mode,
			 const struct stall_result *res, u64 best_time_ns);
int stall_results_finish(u64 pass, u64 fail, u64 skip);
#endif

#endif /* SELFTEST_KVM_STALL_RESULT_H */
