/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A guest whose stage-2 is fully populated, for the stall tests to tear down.
 *
 * The test region sits at the top of guest physical memory, as memstress
 * puts it. Every vCPU writes each guest page of
 * its share of the region once per pass, so after the first pass stage-2
 * maps the whole region at the granule the backing allows, and a later
 * pass dirties every page again.
 */
#ifndef SELFTEST_KVM_STALL_VM_H
#define SELFTEST_KVM_STALL_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "kvm_util.h"

#define STALL_VM_SLOT0		1
#define STALL_VM_MAX_VCPUS	64
#define STALL_VM_GVA		0xc0000000UL

struct stall_vm_cfg {
	enum vm_guest_mode mode;
	enum vm_mem_backing_src_type src;
	u64 size;
#ifdef STALL_LAB
	int nr_slots;
#endif
	int nr_vcpus;
#ifdef STALL_LAB
	int node;		/* NUMA node for the test region, -1 for none */
#endif
	int test_cpu;		/* vCPUs run elsewhere where the host allows */
	bool manual_protect;	/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 */
};

struct stall_vm {
	struct stall_vm_cfg cfg;
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpus[STALL_VM_MAX_VCPUS];
	int vcpu_cpu[STALL_VM_MAX_VCPUS];
	u64 gpa;
	u64 slot_size;
	u64 pass;
};

struct stall_vm *stall_vm_create(const struct stall_vm_cfg *cfg);
u64 stall_vm_run_pass(struct stall_vm *v);
struct userspace_mem_region *stall_vm_slot(struct stall_vm *v, int idx);
u64 stall_vm_slot_host_pages(struct stall_vm *v);
void stall_vm_free(struct stall_vm *v);
void stall_vm_forget(struct stall_vm *v);

#endif /* SELFTEST_KVM_STALL_VM_H */
