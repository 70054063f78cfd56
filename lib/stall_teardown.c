// SPDX-License-Identifier: GPL-2.0-only
/*
 * Teardown modes of kvm_page_table_stall_test. Each mode's functions say
 * which kernel path it drives (arch/arm64/kvm/mmu.c, 6.12).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bitmap.h>
#include <sys/mman.h>
#include <linux/types.h>
#ifdef STALL_LAB
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#endif

#include "kvm_util.h"
#include "stall_teardown.h"
#ifdef STALL_LAB
#include "stall_sys.h"

/* How long a process-exit child may take to exit once told to. */
#define STALL_EXIT_TIMEOUT_MS	(10 * 60 * 1000)

struct stall_child_report {
	u64 populate_ns;
};
#endif

u64 stall_point_batch_bytes(const struct stall_point *pt)
{
	if (!pt->mode->batched || pt->batch >= pt->cfg.size)
		return pt->cfg.size;
	return pt->batch;
}

#ifdef STALL_LAB
int stall_point_nr_slots(const struct stall_mode *mode, u64 size, u64 batch)
{
	if (!mode->slot_per_batch || batch >= size || !batch)
		return 1;
	return size / batch;
}

#endif

static void stall_setup_vm(struct stall_point *pt)
{
	pt->v = stall_vm_create(&pt->cfg);
	pt->populate_ns = stall_vm_run_pass(pt->v);
}

static void stall_cleanup_vm(struct stall_point *pt)
{
	stall_vm_free(pt->v);
	pt->v = NULL;
}

/* The mode's chunk operation over the test region, one batch at a time. */
static void stall_run_chunks(struct stall_point *pt)
{
	struct userspace_mem_region *r = stall_vm_slot(pt->v, 0);
	u64 batch = stall_point_batch_bytes(pt), off, len;

	for (off = 0; off < pt->cfg.size; off += len) {
		len = pt->cfg.size - off < batch ? pt->cfg.size - off : batch;
		pt->mode->chunk(r, off, len);
		pt->nr_ops++;
	}
}

/* Generic limits of a batched point; NULL when it can run. */
static const char *stall_batch_unsupported(const struct stall_point *pt)
{
	u64 unit = get_backing_src_pagesz(pt->cfg.src);
	u64 gpage = vm_guest_mode_params[pt->cfg.mode].page_size;

	if (gpage > unit)
		unit = gpage;
	if (stall_point_batch_bytes(pt) % unit)
		return "batch is not a multiple of the backing or guest page size";
	return NULL;
}

/*
 * munmap, madvise: MMU-notifier invalidation of the range, which unmaps
 * stage-2 through stage2_apply_range() with mmu_lock held.
 */
static void stall_op_munmap(struct userspace_mem_region *r, u64 off, u64 len)
{
	int ret = munmap(r->host_mem + off, len);

	TEST_ASSERT(!ret, __KVM_SYSCALL_ERROR("munmap()", ret));
}

/*
 * What the run unmapped (the test region, whole) is no longer the test's:
 * a thread's stack or an allocator's arena may be mapped there by now, and
 * kvm_vm_free() would unmap the region's whole mapping again, theirs
 * included. Unmap what is still the test's (the alignment slack around
 * the region) and hand kvm_vm_free() a reservation of its own instead.
 */
static void stall_cleanup_munmap(struct stall_point *pt)
{
	struct userspace_mem_region *r = stall_vm_slot(pt->v, 0);
	u8 *start = r->mmap_start, *end = start + r->mmap_size;
	u8 *mem = r->host_mem, *rest = mem + pt->cfg.size;

	if (mem > start)
		munmap(start, mem - start);
	if (end > rest)
		munmap(rest, end - rest);
	r->mmap_start = mmap(NULL, r->mmap_size, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(r->mmap_start != MAP_FAILED, __KVM_SYSCALL_ERROR("mmap()", -1));
	r->host_mem = r->mmap_start;
	stall_cleanup_vm(pt);
}

static void stall_op_madvise(struct userspace_mem_region *r, u64 off, u64 len)
{
	int ret = madvise(r->host_mem + off, len, MADV_DONTNEED);

	TEST_ASSERT(!ret, __KVM_SYSCALL_ERROR("madvise(MADV_DONTNEED)", ret));
}

#ifdef STALL_LAB
static const char *stall_punch_unsupported(const struct stall_point *pt)
{
	if (!backing_src_is_shared(pt->cfg.src))
		return "punch needs a file backing (-s shmem or -s shared_hugetlb)";
	return stall_batch_unsupported(pt);
}

static void stall_op_punch(struct userspace_mem_region *r, u64 off, u64 len)
{
	int ret = fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			    r->offset + off, len);

	TEST_ASSERT(!ret, __KVM_SYSCALL_ERROR("fallocate(PUNCH_HOLE)", ret));
}

/* memslot-delete: kvm_arch_flush_shadow_memslot() per slot */
static const char *stall_memslot_unsupported(const struct stall_point *pt)
{
	u64 batch = stall_point_batch_bytes(pt);
	u64 slots = pt->cfg.size / batch;
	static char why[128];

	if (pt->cfg.size % batch)
		return "memslot-delete needs a size that is a multiple of the batch";
	/* slot 0 holds the test code; leave room for it */
	if (slots + 1 > kvm_check_cap(KVM_CAP_NR_MEMSLOTS)) {
		snprintf(why, sizeof(why), "needs %lu memslots, KVM allows %u",
			 (unsigned long)slots, kvm_check_cap(KVM_CAP_NR_MEMSLOTS));
		return why;
	}
	return stall_batch_unsupported(pt);
}

static void stall_run_memslot_delete(struct stall_point *pt)
{
	int i;

	/* as a VMM unplugs RAM: delete the slot, then free its memory */
	for (i = 0; i < pt->cfg.nr_slots; i++) {
		vm_mem_region_delete(pt->v->vm, STALL_VM_SLOT0 + i);
		pt->nr_ops++;
	}
}
#endif

/*
 * Close what may still reference the VM after kvm_vm_release(): a binary
 * stats fd holds the VM, and libraries differ on when they open it (6.12
 * on the first vm_get_stat(), 7.2 at creation) and whether the release
 * closes it (7.2 does). Only one VM exists at a time, so a stats fd of
 * that name is its.
 */
static void stall_close_vm_stats_fd(void)
{
	char path[300], link[64];
	struct dirent *d;
	ssize_t n;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	TEST_ASSERT(dir, "opendir(/proc/self/fd): %s", strerror(errno));
	while ((d = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, "anon_inode:kvm-vm-stats"))
			close(atoi(d->d_name));
	}
	closedir(dir);
}

/*
 * vm-destroy: kvm_pgtable_stage2_destroy() of the whole table, from the
 * VM's last close (the MMU notifier's release, as at the VMM's exit).
 */
static void stall_run_vm_destroy(struct stall_point *pt)
{
	kvm_vm_release(pt->v->vm);
	stall_close_vm_stats_fd();
	pt->nr_ops = 1;
}

static void stall_cleanup_vm_destroy(struct stall_point *pt)
{
	stall_vm_forget(pt->v);
	pt->v = NULL;
}

#ifdef STALL_LAB
/* process-exit, the VMM's view of vm-destroy: the lab kit's */
static int stall_wait_readable(int fd, u64 timeout_ns)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret;

	do {
		ret = poll(&pfd, 1, (int)(timeout_ns / 1000000));
	} while (ret < 0 && errno == EINTR);
	return ret;
}

static void __noreturn stall_exit_child(struct stall_point *pt, pid_t parent, int ready_fd,
					int go_fd)
{
	struct stall_child_report rep;
	char c;

	/* what the parent changed on the system is the parent's to undo */
	stall_sys_forget_undo();
	/* an interrupted parent must not leave a populated guest behind */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	stall_setup_vm(pt);
	rep.populate_ns = pt->populate_ns;
	/* exit, and so the MMU notifier's release, runs on the test CPU */
	if (stall_sys_pin_self(pt->cfg.test_cpu))
		_exit(1);
	if (write(ready_fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(1);
	if (read(go_fd, &c, 1) != 1)
		_exit(1);
	_exit(0);
}

static void stall_setup_process_exit(struct stall_point *pt)
{
	struct stall_child_report rep;
	int ready[2], go[2], ret;
	pid_t parent = getpid();

	TEST_ASSERT(!pipe2(ready, O_CLOEXEC) && !pipe2(go, O_CLOEXEC), "pipe2(): %s",
		    strerror(errno));
	pt->child = fork();
	TEST_ASSERT(pt->child >= 0, "fork(): %s", strerror(errno));
	if (!pt->child) {
		close(ready[0]);
		close(go[1]);
		stall_exit_child(pt, parent, ready[1], go[0]);
	}
	close(ready[1]);
	close(go[0]);
	pt->go_fd = go[1];

	ret = stall_wait_readable(ready[0], pt->populate_timeout_ns);
	TEST_ASSERT(ret == 1, "process-exit child not ready within %lu s",
		    (unsigned long)(pt->populate_timeout_ns / 1000000000ULL));
	ret = read(ready[0], &rep, sizeof(rep));
	TEST_ASSERT(ret == sizeof(rep), "process-exit child failed while populating");
	close(ready[0]);
	pt->populate_ns = rep.populate_ns;

	pt->pidfd = syscall(__NR_pidfd_open, pt->child, 0);
	TEST_ASSERT(pt->pidfd >= 0, "pidfd_open(): %s", strerror(errno));
}

static void stall_run_process_exit(struct stall_point *pt)
{
	int status, ret;

	TEST_ASSERT(write(pt->go_fd, "x", 1) == 1, "telling the child to exit: %s",
		    strerror(errno));
	ret = stall_wait_readable(pt->pidfd, STALL_EXIT_TIMEOUT_MS * 1000000ULL);
	if (ret != 1)
		kill(pt->child, SIGKILL);
	TEST_ASSERT(ret == 1, "process-exit child still alive after %d s",
		    STALL_EXIT_TIMEOUT_MS / 1000);
	TEST_ASSERT(waitpid(pt->child, &status, 0) == pt->child, "waitpid(): %s",
		    strerror(errno));
	TEST_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status),
		    "process-exit child ended with status 0x%x", status);
	pt->child = 0;
	pt->nr_ops = 1;
}

static void stall_cleanup_process_exit(struct stall_point *pt)
{
	close(pt->go_fd);
	close(pt->pidfd);
}

/* dirty-log-enable: kvm_mmu_wp_memory_region() write-protects the slot. */
static void stall_run_dirty_log_enable(struct stall_point *pt)
{
	vm_mem_region_set_flags(pt->v->vm, STALL_VM_SLOT0, KVM_MEM_LOG_DIRTY_PAGES);
	pt->nr_ops = 1;
}
#endif

/*
 * dirty-log-clear: KVM_CLEAR_DIRTY_LOG write-protects what it clears,
 * holding mmu_lock across the whole range of one call.
 */
static const char *stall_clear_unsupported(const struct stall_point *pt)
{
	u64 pages = stall_point_batch_bytes(pt) / getpagesize();

	if (!kvm_check_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2))
		return "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 not supported";
	/* KVM_CLEAR_DIRTY_LOG works on whole 64-page words of the bitmap */
	if (stall_point_batch_bytes(pt) < pt->cfg.size && pages % 64)
		return "KVM_CLEAR_DIRTY_LOG needs batches of 64 host pages";
	return stall_batch_unsupported(pt);
}

static void stall_setup_dirty_log_clear(struct stall_point *pt)
{
	u64 pages;

	pt->cfg.manual_protect = true;
	stall_setup_vm(pt);
	pages = stall_vm_slot_host_pages(pt->v);
	vm_mem_region_set_flags(pt->v->vm, STALL_VM_SLOT0, KVM_MEM_LOG_DIRTY_PAGES);
	/* dirty every page again, so that each clear has work to do */
	stall_vm_run_pass(pt->v);
	pt->bitmap = bitmap_zalloc(pages);
	TEST_ASSERT(pt->bitmap, "bitmap_zalloc(%lu)", (unsigned long)pages);
	bitmap_fill(pt->bitmap, pages);
}

static void stall_run_dirty_log_clear(struct stall_point *pt)
{
	u64 pages = stall_vm_slot_host_pages(pt->v);
	u64 batch = stall_point_batch_bytes(pt) / getpagesize();
	u64 first, n;

	for (first = 0; first < pages; first += n) {
		n = pages - first < batch ? pages - first : batch;
		kvm_vm_clear_dirty_log(pt->v->vm, STALL_VM_SLOT0, pt->bitmap, first, n);
		pt->nr_ops++;
	}
}

static void stall_cleanup_dirty_log_clear(struct stall_point *pt)
{
	free(pt->bitmap);
	pt->bitmap = NULL;
	stall_cleanup_vm(pt);
}

const struct stall_mode stall_modes[] = {
	{
		.name = "munmap",
		.help = "munmap() the guest memory in batches",
		.batched = true,
		.unsupported = stall_batch_unsupported,
		.setup = stall_setup_vm,
		.run = stall_run_chunks,
		.chunk = stall_op_munmap,
		.cleanup = stall_cleanup_munmap,
	},
	{
		.name = "madvise",
		.help = "madvise(MADV_DONTNEED) the guest memory in batches",
		.batched = true,
		.unsupported = stall_batch_unsupported,
		.setup = stall_setup_vm,
		.run = stall_run_chunks,
		.chunk = stall_op_madvise,
		.cleanup = stall_cleanup_vm,
	},
#ifdef STALL_LAB
	{
		.name = "punch",
		.help = "fallocate(PUNCH_HOLE) the file backing in batches",
		.batched = true,
		.unsupported = stall_punch_unsupported,
		.setup = stall_setup_vm,
		.run = stall_run_chunks,
		.chunk = stall_op_punch,
		.cleanup = stall_cleanup_vm,
	},
	{
		.name = "memslot-delete",
		.help = "delete batch-sized memslots one by one",
		.batched = true,
		.slot_per_batch = true,
		.unsupported = stall_memslot_unsupported,
		.setup = stall_setup_vm,
		.run = stall_run_memslot_delete,
		.cleanup = stall_cleanup_vm,
	},
#endif
	{
		.name = "vm-destroy",
		.help = "close the VM (its last reference)",
		.setup = stall_setup_vm,
		.run = stall_run_vm_destroy,
		.cleanup = stall_cleanup_vm_destroy,
	},
#ifdef STALL_LAB
	{
		.name = "process-exit",
		.help = "a child process owning the VM exits (MMU notifier release)",
		.setup = stall_setup_process_exit,
		.run = stall_run_process_exit,
		.cleanup = stall_cleanup_process_exit,
	},
	{
		.name = "dirty-log-enable",
		.help = "enable dirty logging, write-protecting stage-2",
		.setup = stall_setup_vm,
		.run = stall_run_dirty_log_enable,
		.cleanup = stall_cleanup_vm,
	},
#endif
	{
		.name = "dirty-log-clear",
		.help = "KVM_CLEAR_DIRTY_LOG in batches after a dirtying pass",
		.batched = true,
		.unsupported = stall_clear_unsupported,
		.setup = stall_setup_dirty_log_clear,
		.run = stall_run_dirty_log_clear,
		.cleanup = stall_cleanup_dirty_log_clear,
	},
};

const int stall_nr_modes = ARRAY_SIZE(stall_modes);
