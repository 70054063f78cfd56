// SPDX-License-Identifier: GPL-2.0-only
/*
 * A guest with a fully populated stage-2, for the stall tests.
 *
 * Not memstress's, though it has the same layout: memstress_guest_code()
 * draws a random number per page (a pass six times slower), its vCPU
 * threads are joined without a bound, and with its VM two -icount boots of
 * arm64 KVM in QEMU disagreed by 0.9-2.4 % on a stall, against 0.02-0.3 %.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <linux/types.h>

#include "kvm_util.h"
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

static void stall_guest_code(u64 gva, u64 pages, u64 stride)
{
	u64 pass, i;

	for (pass = 1;; pass++) {
		for (i = 0; i < pages; i++)
			WRITE_ONCE(*(u64 *)(gva + i * stride), pass);
		GUEST_SYNC(pass);
	}
}

struct stall_vcpu_pass {
	struct stall_vm *v;
	int idx;
};

static void *stall_vcpu_pass_main(void *data)
{
	struct stall_vcpu_pass *vp = data;
	struct kvm_vcpu *vcpu = vp->v->vcpus[vp->idx];
	struct ucall uc;

	TEST_ASSERT(!stall_sys_pin_self(vp->v->vcpu_cpu[vp->idx]), "pinning vCPU %d to CPU %d",
		    vp->idx, vp->v->vcpu_cpu[vp->idx]);
	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		TEST_ASSERT(uc.args[1] == vp->v->pass,
			    "vCPU %d finished pass %lu, expected %lu", vp->idx,
			    (unsigned long)uc.args[1], (unsigned long)vp->v->pass);
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	default:
		TEST_FAIL("vCPU %d: unexpected exit %s", vp->idx,
			  exit_reason_str(vcpu->run->exit_reason));
	}
	return NULL;
}

/* One pass of every vCPU over its share of the region; returns its wall time. */
u64 stall_vm_run_pass(struct stall_vm *v)
{
	struct stall_vcpu_pass vp[STALL_VM_MAX_VCPUS];
	pthread_t th[STALL_VM_MAX_VCPUS];
	struct timespec t0, t1, bound;
	u64 gib = (v->cfg.size + (1ULL << 30) - 1) >> 30;
	int i, ret;

	v->pass++;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < v->cfg.nr_vcpus; i++) {
		vp[i].v = v;
		vp[i].idx = i;
		ret = pthread_create(&th[i], NULL, stall_vcpu_pass_main, &vp[i]);
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
	return memslot2region(v->vm, STALL_VM_SLOT0 + idx);
}

/* KVM counts memslot pages, and dirty-log bits, in host pages. */
u64 stall_vm_slot_host_pages(struct stall_vm *v)
{
	return v->slot_size / getpagesize();
}

#ifdef STALL_LAB
/* -n: the slot's memory on one node, bound before the guest faults it in */
static void stall_vm_bind(struct stall_vm *v, int i)
{
	int ret;

	if (v->cfg.node < 0)
		return;
	ret = stall_sys_bind(stall_vm_slot(v, i)->host_mem, v->slot_size, v->cfg.node);
	TEST_ASSERT(!ret, "mbind() of slot %d to node %d: %s", i, v->cfg.node, strerror(-ret));
}

static void stall_vm_add_slots(struct stall_vm *v, u64 guest_pages)
{
	u64 slot_pages = guest_pages / v->cfg.nr_slots;
	int i;

	for (i = 0; i < v->cfg.nr_slots; i++) {
		vm_userspace_mem_region_add(v->vm, v->cfg.src, v->gpa + i * v->slot_size,
					    STALL_VM_SLOT0 + i, slot_pages, 0);
		stall_vm_bind(v, i);
	}
}
#endif

struct stall_vm *stall_vm_create(const struct stall_vm_cfg *cfg)
{
	u64 page_size = vm_guest_mode_params[cfg->mode].page_size;
	u64 guest_pages = cfg->size / page_size;
	u64 align = get_backing_src_pagesz(cfg->src);
	struct stall_vm *v;
	int i;

	TEST_ASSERT(cfg->nr_vcpus > 0 && cfg->nr_vcpus <= STALL_VM_MAX_VCPUS,
		    "vCPU count %d out of range", cfg->nr_vcpus);
#ifdef STALL_LAB
	TEST_ASSERT(cfg->nr_slots > 0 && cfg->size % ((u64)cfg->nr_slots * align) == 0,
		    "%lu bytes do not split into %d slots of whole %lu-byte pages",
		    (unsigned long)cfg->size, cfg->nr_slots, (unsigned long)align);
#endif

	v = calloc(1, sizeof(*v));
	TEST_ASSERT(v, "calloc() of the stall VM");
	v->cfg = *cfg;
#ifdef STALL_LAB
	v->slot_size = cfg->size / cfg->nr_slots;
#else
	v->slot_size = cfg->size;
#endif
	stall_sys_pick_cpus(cfg->test_cpu, v->vcpu_cpu, cfg->nr_vcpus);

	v->vm = __vm_create_with_vcpus(VM_SHAPE(cfg->mode), cfg->nr_vcpus, guest_pages,
				       stall_guest_code, v->vcpus);
	TEST_ASSERT(guest_pages < v->vm->max_gfn, "%lu MiB exceed the guest's physical space",
		    (unsigned long)(cfg->size >> 20));
	v->gpa = align_down((v->vm->max_gfn + 1 - guest_pages - 1) * page_size, align);
	if (cfg->manual_protect)
		vm_enable_cap(v->vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			      KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);

#ifdef STALL_LAB
	stall_vm_add_slots(v, guest_pages);
#else
	vm_userspace_mem_region_add(v->vm, cfg->src, v->gpa, STALL_VM_SLOT0, guest_pages, 0);
#endif
	virt_map(v->vm, STALL_VM_GVA, v->gpa, guest_pages);

	for (i = 0; i < cfg->nr_vcpus; i++) {
		u64 share = guest_pages / cfg->nr_vcpus;
		u64 first = share * i;

		if (i == cfg->nr_vcpus - 1)
			share = guest_pages - first;
		vcpu_args_set(v->vcpus[i], 3, STALL_VM_GVA + first * page_size, share,
			      page_size);
	}
	return v;
}

void stall_vm_free(struct stall_vm *v)
{
	kvm_vm_free(v->vm);
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
