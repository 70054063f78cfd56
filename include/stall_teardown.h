/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Teardown modes of kvm_page_table_stall_test, one table entry each, in the
 * manner of memslot_perf_test's tests[]: what a mode needs, how it builds
 * its populated guest, and the operation that tears stage-2 down. The
 * operation runs on the test CPU and is the only timed part.
 */
#ifndef SELFTEST_KVM_STALL_TEARDOWN_H
#define SELFTEST_KVM_STALL_TEARDOWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>

#include "stall_vm.h"

struct stall_point {
	const struct stall_mode *mode;
	u64 batch;			/* bytes per operation, STALL_BATCH_ALL */
	struct stall_vm_cfg cfg;

	struct stall_vm *v;
#ifdef STALL_LAB
	u64 populate_timeout_ns;	/* process-exit's child */
	pid_t child;		/* process-exit */
	int pidfd;
	int go_fd;
#endif
	unsigned long *bitmap;

	u64 populate_ns;
	u64 nr_ops;
};

struct stall_mode {
	const char *name;
	const char *help;
	bool batched;
#ifdef STALL_LAB
	bool slot_per_batch;
#endif
	const char *(*unsupported)(const struct stall_point *pt);
	void (*setup)(struct stall_point *pt);
	void (*run)(struct stall_point *pt);
	void (*cleanup)(struct stall_point *pt);
	/* for the modes that stall_run_chunks() drives: one batch */
	void (*chunk)(struct userspace_mem_region *r, u64 off, u64 len);
};

extern const struct stall_mode stall_modes[];
extern const int stall_nr_modes;

u64 stall_point_batch_bytes(const struct stall_point *pt);
#ifdef STALL_LAB
int stall_point_nr_slots(const struct stall_mode *mode, u64 size, u64 batch);
#endif

#endif /* SELFTEST_KVM_STALL_TEARDOWN_H */
