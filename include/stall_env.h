/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What decides a stall test's figures besides its options, for the
 * results file: the kernel (release, and the config options that matter,
 * from /proc/config.gz, /boot or $KVM_STALL_KCONFIG), the CPU (model,
 * MIDR on arm64, features, online CPUs, NUMA nodes), and whether and how
 * the host is emulated ($KVM_STALL_EMULATION, which the testbed sets).
 */
#ifndef SELFTEST_KVM_STALL_ENV_H
#define SELFTEST_KVM_STALL_ENV_H

#include <linux/types.h>

#include "stall_json.h"

/* where a kernel with the testbed's knob patch (patches/knob/) has its stage-2 step */
#define STALL_ENV_STAGE2_BATCH	"/sys/module/kvm/parameters/stage2_batch"

void stall_env_json(struct stall_json *j);
u64 stall_env_stage2_batch(void);

#endif /* SELFTEST_KVM_STALL_ENV_H */
