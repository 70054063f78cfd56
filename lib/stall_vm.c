// SPDX-License-Identifier: GPL-2.0-only
/*
 * A guest with a fully populated stage-2, for the stall tests: memstress's
 * VM, run one pass at a time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <linux/types.h>

#include "kvm_util.h"
#include "memstress.h"
#include "processor.h"
#include "ucall_common.h"
#include "stall_sys.h"
#include "stall_vm.h"

/*
 * A pass writes the whole region; under emulation (arm64 KVM in QEMU) one
 * GiB of 4K pages takes about 30 s. Bound each pass generously by size.
 */
#define STALL_VM_PASS_BASE_S	120
#define STALL_VM_PASS_PER_GIB_S	240

static u64 stall_vm_pass;

/*
 * memstress's layout, without memstress_guest_code(): that draws a random
 * number for every page it touches (for write_percent), which made a pass
 * six times slower than this loop on nested x86 KVM (3.3 s against 0.55 s
 * for 256M), time every point spends before it measures anything.
 */
static void stall_guest_code(u32 vcpu_idx)
{
	struct memstress_vcpu_args *args = &memstress_args.vcpu_args[vcpu_idx];
	u64 stride = memstress_args.guest_page_size;
	u64 pass, i;

	for (pass = 1;; pass++) {
		for (i = 0; i < args->pages; i++)
			WRITE_ONCE(*(u64 *)(args->gva + i * stride), pass);
		GUEST_SYNC(pass);
	}
}

/*
 * One pass of one vCPU: every page of its share written once. The threads
 * are the suite's, not memstress_start_vcpu_threads()': those spin until
 * every vCPU thread runs, which on one CPU (the testbed's) lasts until a
 * tick preempts them, and their join has no bound.
 */
static void *stall_vm_vcpu_pass(void *data)
{
	struct memstress_vcpu_args *args = data;
	struct kvm_vcpu *vcpu = args->vcpu;
	struct ucall uc;
	int cpu = memstress_args.vcpu_to_pcpu[args->vcpu_idx];

	TEST_ASSERT(!stall_sys_pin_self(cpu), "pinning vCPU %d to CPU %d", args->vcpu_idx, cpu);
	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		TEST_ASSERT(uc.args[1] == stall_vm_pass, "vCPU %d finished pass %lu, expected %lu",
			    args->vcpu_idx, (unsigned long)uc.args[1],
			    (unsigned long)stall_vm_pass);
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	default:
		TEST_FAIL("vCPU %d: unexpected exit %s", args->vcpu_idx,
			  exit_reason_str(vcpu->run->exit_reason));
	}
	return NULL;
}

/* One pass of every vCPU over its share of the region; returns its wall time. */
u64 stall_vm_run_pass(struct stall_vm *v)
{
	u64 gib = (v->cfg.size + (1ULL << 30) - 1) >> 30;
	pthread_t th[STALL_VM_MAX_VCPUS];
	struct timespec t0, t1, bound;
	int i, ret;

	stall_vm_pass = ++v->pass;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < v->cfg.nr_vcpus; i++) {
		ret = pthread_create(&th[i], NULL, stall_vm_vcpu_pass,
				     &memstress_args.vcpu_args[i]);
		TEST_ASSERT(!ret, "pthread_create() for vCPU %d: %s", i, strerror(ret));
	}
	clock_gettime(CLOCK_REALTIME, &bound);
	bound.tv_sec += STALL_VM_PASS_BASE_S + STALL_VM_PASS_PER_GIB_S * gib;
	for (i = 0; i < v->cfg.nr_vcpus; i++) {
		ret = pthread_timedjoin_np(th[i], NULL, &bound);
		TEST_ASSERT(!ret, "vCPU %d did not finish pass %lu of %lu MiB in time: %s",
			    i, (unsigned long)v->pass, (unsigned long)(v->cfg.size >> 20),
			    strerror(ret));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0.tv_sec) * 1000000000ULL + t1.tv_nsec - t0.tv_nsec;
}

struct userspace_mem_region *stall_vm_slot(struct stall_vm *v, int idx)
{
	return memslot2region(v->vm, MEMSTRESS_MEM_SLOT_INDEX + idx);
}

/* KVM counts memslot pages, and dirty-log bits, in host pages. */
u64 stall_vm_slot_host_pages(struct stall_vm *v)
{
	return v->slot_size / getpagesize();
}

static void stall_vm_bind_slots(struct stall_vm *v)
{
	int i, ret;

	for (i = 0; i < v->cfg.nr_slots; i++) {
		ret = stall_sys_bind(stall_vm_slot(v, i)->host_mem, v->slot_size, v->cfg.node);
		TEST_ASSERT(!ret, "mbind() of slot %d to node %d: %s", i, v->cfg.node,
			    strerror(-ret));
	}
}

struct stall_vm *stall_vm_create(const struct stall_vm_cfg *cfg)
{
	u64 align = get_backing_src_pagesz(cfg->src);
	int cpus[STALL_VM_MAX_VCPUS];
	struct stall_vm *v;
	int i;

	TEST_ASSERT(cfg->nr_vcpus > 0 && cfg->nr_vcpus <= STALL_VM_MAX_VCPUS,
		    "vCPU count %d out of range", cfg->nr_vcpus);
	TEST_ASSERT(cfg->nr_slots > 0 && cfg->size % ((u64)cfg->nr_slots * align) == 0,
		    "%lu bytes do not split into %d slots of whole %lu-byte pages",
		    (unsigned long)cfg->size, cfg->nr_slots, (unsigned long)align);
	TEST_ASSERT(cfg->size % cfg->nr_vcpus == 0, "%lu bytes do not split among %d vCPUs",
		    (unsigned long)cfg->size, cfg->nr_vcpus);

	v = calloc(1, sizeof(*v));
	TEST_ASSERT(v, "calloc() of the stall VM");
	v->cfg = *cfg;
	v->slot_size = cfg->size / cfg->nr_slots;

	/* vCPUs run off the test CPU, so that only the teardown is timed there */
	stall_sys_pick_cpus(cfg->test_cpu, cpus, cfg->nr_vcpus);
	for (i = 0; i < cfg->nr_vcpus; i++)
		memstress_args.vcpu_to_pcpu[i] = cpus[i];

	v->vm = memstress_create_vm(cfg->mode, cfg->nr_vcpus, cfg->size / cfg->nr_vcpus,
				    cfg->nr_slots, cfg->src, true);
	v->gpa = memstress_args.gpa;
	for (i = 0; i < cfg->nr_vcpus; i++)
		vcpu_arch_set_entry_point(memstress_args.vcpu_args[i].vcpu, stall_guest_code);
	if (cfg->manual_protect)
		vm_enable_cap(v->vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			      KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
	if (cfg->node >= 0)
		stall_vm_bind_slots(v);
	return v;
}

void stall_vm_free(struct stall_vm *v)
{
	memstress_destroy_vm(v->vm);
	free(v);
}

/*
 * Free what is left of a VM whose file descriptors kvm_vm_release()
 * closed (the vm-destroy mode times that close): kvm_vm_free() would
 * issue ioctls on them.
 */
void stall_vm_forget(struct stall_vm *v)
{
	struct userspace_mem_region *r;
	struct hlist_node *node;
	int bkt;

	hash_for_each_safe(v->vm->regions.slot_hash, bkt, node, r, slot_node) {
		hash_del(&r->slot_node);
		munmap(r->mmap_start, r->mmap_size);
		if (r->fd >= 0) {
			munmap(r->mmap_alias, r->mmap_size);
			close(r->fd);
		}
		sparsebit_free(&r->unused_phy_pages);
		sparsebit_free(&r->protected_phy_pages);
		free(r);
	}
	sparsebit_free(&v->vm->vpages_valid);
	sparsebit_free(&v->vm->vpages_mapped);
	free(v->vm);
	free(v);
}
