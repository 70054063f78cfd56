/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The lab kit's hooks into kvm_page_table_stall_test. The lab kit (the
 * results file, the kernel-side measurement, more options, modes and
 * loads) is kept out of tree; where its objects are linked in they define
 * stall_lab_ops, and the test calls these hooks where it would otherwise
 * do the plain thing. In tree nothing defines it: stall_lab() finds no
 * hook there, and the test does the plain thing everywhere.
 */
#ifndef SELFTEST_KVM_STALL_LAB_H
#define SELFTEST_KVM_STALL_LAB_H

#include <stdbool.h>

#include "stall_opts.h"
#include "stall_result.h"

/*
 * An option of the lab kit's: it goes after the test's option @after in
 * -h; where @after is 0, its fields that are set replace those of the
 * test's option of its own letter.
 */
struct stall_lab_opt {
	char after;
	struct stall_opt opt;
};

/* Where the lab kit's keys go in a point's "# point" line (stall_report.c). */
enum stall_keys_at {
	STALL_KEYS_PROBE,	/* after populate_gibps: the probe's latencies */
	STALL_KEYS_RULE,	/* after base_us: the tier and rule */
	STALL_KEYS_HOLD,	/* at the end: the judged hold, the kernel's calls */
};

struct stall_lab_ops {
	/* options beyond the test's own */
	const struct stall_lab_opt *opts;
	int nr_opts;
	/* first thing in main(): its signal handlers, the guest modes */
	void (*begin)(void);
	/* their defaults, and what they need of each other once all are parsed */
	void (*init)(struct stall_params *p);
	void (*finish)(char *prog, struct stall_params *p);
	/* the setup lines' additions: memory placement, the expected batch, tiers */
	void (*print_cpu)(struct stall_params *p);
	void (*print_granule)(void);
	void (*print_budget)(struct stall_params *p);
	/* before the probe: what the lab's options require (skips), and claim */
	void (*require)(struct stall_params *p);
	/* once the probe runs: the kernel-side measurement, the results file */
	void (*start)(struct stall_params *p, bool sees_held);
	/* the sweep, in each guest mode -m enabled */
	void (*sweep)(struct stall_params *p);

	/*
	 * The sweep (lib/stall_sweep.c): the plan from the points of one
	 * guest mode; the probe's windows started (whether the process's
	 * memory may be locked); the loads started elsewhere than the test
	 * CPU (whether they were)
	 */
	int (*plan)(struct stall_params *p, int points);
	bool (*probe_started)(struct stall_window **w, int n);
	bool (*start_loads)(struct stall_params *p);
	/* a point and its repetitions: before, and around the teardown's window */
	void (*point_begin)(struct stall_params *p, struct stall_point *pt,
			    struct stall_result *res);
	void (*rep_begin)(const struct stall_point *pt, const struct stall_result *res, int rep,
			  int runs);
	void (*teardown_begin)(struct stall_params *p);
	void (*teardown_end)(struct stall_params *p, const struct stall_point *pt,
			     struct stall_result *res, int rep, const struct stall_window *w);
	/*
	 * The point's report: what the KTAP name adds, a judged point's
	 * further figures and what fails it beyond the verdict (or NULL),
	 * the point done, the keys of its "# point" line; a load's figures
	 * and why it did nothing
	 */
	const char *(*name_tag)(struct stall_params *p);
	const char *(*judged)(struct stall_params *p, struct stall_result *res, u64 best_ns);
	void (*point_end)(struct stall_params *p, const struct stall_mode *mode,
			  const struct stall_result *res, u64 best_ns);
	size_t (*point_keys)(struct stall_params *p, const struct stall_result *res,
			     enum stall_keys_at at, char *line, size_t len);
	void (*print_load)(const struct stall_load_result *m, const struct stall_load_verdict *v);
	const char *(*load_idle)(const struct stall_load *l);
	/* what the verdicts rested on, after the sweep */
	void (*print_verdicts)(struct stall_params *p);

	/*
	 * The verdict (lib/stall_judge.c): a repetition's, by the hold rule
	 * where the kernel was traced; the point's under the other tier; a
	 * held repetition the trace does not put on stage-2 work over budget
	 */
	void (*judge_rep)(struct stall_params *p, struct stall_rep *r);
	void (*judge_point)(struct stall_params *p, struct stall_result *res);
	bool (*rep_unexplained)(struct stall_params *p, const struct stall_rep *r);
	/*
	 * After the sweep, with the test's KTAP counts: put back what the lab
	 * changed and write its results; what failed, or NULL
	 */
	const char *(*stop)(struct stall_params *p, u64 pass, u64 fail, u64 skip);
};

extern const struct stall_lab_ops stall_lab_ops __weak;

/* The lab kit's hooks; where it is not linked in, none. Each is optional. */
static inline const struct stall_lab_ops *stall_lab(void)
{
	static const struct stall_lab_ops none;

	return &stall_lab_ops ? &stall_lab_ops : &none;
}

#endif /* SELFTEST_KVM_STALL_LAB_H */
