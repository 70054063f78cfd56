/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm_page_table_stall_test's sweep (lib/stall_sweep.c): every teardown
 * mode and batch of one guest mode, each point judged and reported as
 * KTAP, with the probe it runs on the test CPU.
 */
#ifndef SELFTEST_KVM_STALL_SWEEP_H
#define SELFTEST_KVM_STALL_SWEEP_H

#include <stdbool.h>

#include "kvm_util.h"
#include "stall_result.h"

void stall_sweep_start_probe(struct stall_params *p);
void stall_sweep_stop_probe(void);
bool stall_sweep_probe_sees_held(void);
int stall_sweep_plan(struct stall_params *p,
		     void (*ktap)(int code, const char *name, const char *reason));
void stall_sweep_guest_mode(enum vm_guest_mode gmode, void *arg);
void stall_sweep_print_verdicts(struct stall_params *p);
void stall_sweep_print_end(struct stall_params *p);

#endif /* SELFTEST_KVM_STALL_SWEEP_H */
