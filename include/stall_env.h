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

#include "stall_json.h"

void stall_env_json(struct stall_json *j);

#endif /* SELFTEST_KVM_STALL_ENV_H */
