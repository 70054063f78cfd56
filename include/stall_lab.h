/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The lab kit's hooks into kvm_page_table_stall_test. The lab kit (the
 * results file, the kernel-side measurement, more options, modes and
 * loads) is kept out of tree; where its objects are linked in they define
 * stall_lab_ops, and the test calls these hooks where it would otherwise
 * do the plain thing. In tree nothing defines it: the weak declaration
 * makes stall_lab() NULL, and every hook is skipped.
 */
#ifndef SELFTEST_KVM_STALL_LAB_H
#define SELFTEST_KVM_STALL_LAB_H

#include <stdbool.h>

#include "stall_result.h"

#include "stall_opts.h"

/*
 * An option of the lab kit's: it goes after the test's option @after in
 * -h; where @after is 0, its fields that are set replace those of the
 * test's option of its own letter.
 */
struct stall_lab_opt {
	char after;
	struct stall_opt opt;
};

struct stall_lab_ops {
	/* options beyond the test's own */
	const struct stall_lab_opt *opts;
	int nr_opts;
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
	 * After the sweep, with the test's KTAP counts: put back what the lab
	 * changed and write its results; what failed, or NULL
	 */
	const char *(*stop)(struct stall_params *p, u64 pass, u64 fail, u64 skip);
};

extern const struct stall_lab_ops stall_lab_ops __weak;

/* The lab kit's hooks, or NULL: not linked in. */
static inline const struct stall_lab_ops *stall_lab(void)
{
	return &stall_lab_ops;
}

#endif /* SELFTEST_KVM_STALL_LAB_H */
