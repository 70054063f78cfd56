/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The unit tests' stand-in for the KVM selftest library's kvm_util.h: the
 * names the suite's headers use, opaque, so that the verdict code
 * (lib/stall_judge.c) is tested without a kernel tree or /dev/kvm.
 */
#ifndef SELFTEST_KVM_UTIL_H
#define SELFTEST_KVM_UTIL_H

enum vm_guest_mode { VM_MODE_DEFAULT };
enum vm_mem_backing_src_type { VM_MEM_SRC_ANONYMOUS };

struct kvm_vm;
struct kvm_vcpu;
struct userspace_mem_region;

#endif /* SELFTEST_KVM_UTIL_H */
