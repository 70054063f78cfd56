/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The stall test's time budget. The kselftest runner kills a test that
 * outlives its directory's timeout (120 s for kvm), results and all. A
 * point starts only when what the points already run say it will cost
 * fits in what is left, less a margin; a point once started is not cut.
 * One that does not fit is a skip with fixed words (CI names by them).
 */
#ifndef SELFTEST_KVM_STALL_RUN_H
#define SELFTEST_KVM_STALL_RUN_H

#include <stdbool.h>
#include <linux/types.h>

#define STALL_RUN_DEFAULT_NS		(120ULL * 1000000000ULL)
#define STALL_RUN_SKIP			"time budget left no room for this point"
#define STALL_RUN_CONFIRM_SKIP		"time budget left no room to confirm a hold"
#define STALL_RUN_MAX_MODES		16
#define STALL_RUN_MAX_COSTS		64

/* The longest operation seen at one mode and operation count. */
struct stall_run_cost {
	int mode;
	u64 ops;
	u64 op_ns;
};

struct stall_run_budget {
	u64 start_ns;
	u64 limit_ns;		/* 0: none */
	u64 margin_ns;
	/* the most a repetition took besides its baseline and operation */
	u64 fixed_ns[STALL_RUN_MAX_MODES];
	u64 fixed_max_ns;
	struct stall_run_cost cost[STALL_RUN_MAX_COSTS];
	int nr_costs;
	u64 reps_planned;	/* -r repetitions of the points run */
	u64 reps_run;		/* and those they ran, retries and confirmations too */
	int nr_skipped;
};

int stall_run_parse(const char *s, u64 *ns);
#ifdef STALL_LAB
int stall_run_settings(const char *path, u64 *ns);
#endif
u64 stall_run_default(const char **from);
u64 stall_run_process_start_ns(void);
void stall_run_init(struct stall_run_budget *t, u64 limit_ns, u64 now_ns);
void stall_run_rep(struct stall_run_budget *t, int mode, u64 ops, u64 wall_ns, u64 op_ns,
		   u64 baseline_ns);
void stall_run_point(struct stall_run_budget *t, int planned, int run);
u64 stall_run_estimate(const struct stall_run_budget *t, int mode, u64 ops, int reps,
		       u64 baseline_ns);
bool stall_run_fits(const struct stall_run_budget *t, u64 est_ns, u64 now_ns, u64 *left_ns);

#endif /* SELFTEST_KVM_STALL_RUN_H */
