// SPDX-License-Identifier: GPL-2.0-only
/*
 * Block load: O_DIRECT random writes through native AIO (io_submit) to a
 * file in the chosen directory, keeping the queue full, as the 2024 report's
 * fio randwrite did (4 KiB at depth 128, 64 KiB at depth 32). The file is
 * unlinked as soon as it is open, so nothing is left behind, however the
 * test ends. -D may also name a scratch block device, written directly
 * (its first blk_span() bytes are overwritten). Each completion records its
 * latency from submission.
 *
 * The file is as small as the queue allows: the blocks it frees on close
 * are discarded synchronously on a filesystem mounted with "discard"
 * (measured: 9.3 s for 256 MiB on ext4), a wait in close() and in the
 * exit of a killed run that nothing else could bound.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/aio_abi.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/types.h>

#include "stall_blkdev.h"
#include "stall_load.h"
#include "stall_probe.h"

/* room for random offsets; discarding it costs ~0.15 s at the rate above */
#define BLK_SPAN_MIN		(4ULL << 20)
/* a close slower than this is said, with its likely cause */
#define BLK_CLOSE_SLOW_NS	1000000000ULL
#define BLK_WAIT_NS		200000000LL
#define BLK_DRAIN_TRIES		25

struct blk_priv {
	aio_context_t ctx;
	struct iocb *iocb;
	struct iocb **ptr;
	u64 *t_submit;
	char *buf;
	unsigned int seed;
	int inflight;
};

/* Bytes written to: the whole queue's buffers, and at least BLK_SPAN_MIN. */
static u64 blk_span(const struct stall_load *l)
{
	u64 queue = (u64)l->size * l->depth;

	return queue > BLK_SPAN_MIN ? queue : BLK_SPAN_MIN;
}

static long blk_io_setup(unsigned int nr, aio_context_t *ctx)
{
	return syscall(__NR_io_setup, nr, ctx);
}

static long blk_io_submit(aio_context_t ctx, long nr, struct iocb **iocbs)
{
	return syscall(__NR_io_submit, ctx, nr, iocbs);
}

static long blk_io_getevents(aio_context_t ctx, long min, long max, struct io_event *ev,
			     struct timespec *timeout)
{
	return syscall(__NR_io_getevents, ctx, min, max, ev, timeout);
}

/* A scratch block device as given, or a fresh unlinked file in a directory. */
static int blk_open(struct stall_load *l)
{
	char path[PATH_MAX];
	u64 bytes = 0;
	struct stat st;

	if (!stat(l->dir, &st) && S_ISBLK(st.st_mode)) {
		/*
		 * O_EXCL first (refused while mounted, and no mount after it),
		 * then every other route by which the device may be in use
		 */
		l->fd[0] = open(l->dir, O_RDWR | O_DIRECT | O_EXCL | O_CLOEXEC);
		if (l->fd[0] >= 0 && (stall_blkdev_in_use(l->dir, l->err, sizeof(l->err)) ||
				      (!l->scratch &&
				       stall_blkdev_signature(l->dir, l->err, sizeof(l->err))))) {
			errno = EBUSY;
			return -1;
		}
		if (l->fd[0] >= 0 && !ioctl(l->fd[0], BLKGETSIZE64, &bytes) &&
		    bytes < blk_span(l)) {
			snprintf(l->err, sizeof(l->err), "%s is smaller than %llu KiB", l->dir,
				 (unsigned long long)(blk_span(l) >> 10));
			errno = ENOSPC;
			return -1;
		}
	} else {
		snprintf(path, sizeof(path), "%s/.kvm_stall_blk.%d", l->dir, getpid());
		l->fd[0] = open(path, O_RDWR | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC, 0600);
		/* a filesystem without O_DIRECT creates the file, then fails the open */
		if (l->fd[0] < 0 && errno != EEXIST) {
			int err = errno;

			unlink(path);
			errno = err;
		}
		if (l->fd[0] >= 0) {
			unlink(path);
			if (fallocate(l->fd[0], 0, 0, blk_span(l))) {
				snprintf(l->err, sizeof(l->err), "fallocate in %s: %s", l->dir,
					 strerror(errno));
				return -1;
			}
		}
	}
	if (l->fd[0] < 0) {
		snprintf(l->err, sizeof(l->err), "O_DIRECT open of %s: %s%s", l->dir,
			 strerror(errno), errno == EBUSY ? " (in use: mounted, or held open)" : "");
		return -1;
	}
	return 0;
}

static int blk_setup(struct stall_load *l)
{
	struct blk_priv *b = calloc(1, sizeof(*b));
	int i;

	l->priv = b;
	l->io_errno = 0;
	if (!b)
		return -ENOMEM;
	if (blk_open(l))
		return -errno ? -errno : -EINVAL;
	b->iocb = calloc(l->depth, sizeof(*b->iocb));
	b->ptr = calloc(l->depth, sizeof(*b->ptr));
	b->t_submit = calloc(l->depth, sizeof(*b->t_submit));
	if (!b->iocb || !b->ptr || !b->t_submit || posix_memalign((void **)&b->buf, 4096,
								  l->size * l->depth))
		return -ENOMEM;
	memset(b->buf, 0x5a, l->size * l->depth);
	if (blk_io_setup(l->depth, &b->ctx)) {
		snprintf(l->err, sizeof(l->err), "io_setup(%d): %s", l->depth, strerror(errno));
		return -errno;
	}
	b->seed = 1;
	for (i = 0; i < l->depth; i++) {
		b->iocb[i].aio_fildes = l->fd[0];
		b->iocb[i].aio_lio_opcode = IOCB_CMD_PWRITE;
		b->iocb[i].aio_buf = (u64)(uintptr_t)(b->buf + i * l->size);
		b->iocb[i].aio_nbytes = l->size;
		b->iocb[i].aio_data = i;
		b->ptr[i] = &b->iocb[i];
	}
	return 0;
}

/* The first I/O error, for the reason a load that moved nothing gives. */
static void blk_io_failed(struct stall_load *l, int err)
{
	if (!__atomic_load_n(&l->io_errno, __ATOMIC_RELAXED))
		__atomic_store_n(&l->io_errno, err, __ATOMIC_RELAXED);
}

static int blk_submit(struct stall_load *l, struct blk_priv *b, int i)
{
	u64 slots = blk_span(l) / l->size;

	b->iocb[i].aio_offset = (u64)(rand_r(&b->seed) % slots) * l->size;
	b->t_submit[i] = stall_now_ns();
	if (blk_io_submit(b->ctx, 1, &b->ptr[i]) != 1) {
		blk_io_failed(l, errno);
		return -errno;
	}
	b->inflight++;
	return 0;
}

static void blk_drain(struct blk_priv *b, struct io_event *ev)
{
	struct timespec ts = { .tv_nsec = BLK_WAIT_NS };
	int tries;
	long n;

	for (tries = 0; b->inflight > 0 && tries < BLK_DRAIN_TRIES; tries++) {
		n = blk_io_getevents(b->ctx, 1, b->inflight, ev, &ts);
		if (n > 0)
			b->inflight -= n;
	}
}

static void *blk_thread(void *arg)
{
	struct stall_load *l = arg;
	struct blk_priv *b = l->priv;
	struct io_event *ev = calloc(l->depth, sizeof(*ev));
	struct timespec ts;
	u64 now;
	long n, i;

	for (i = 0; ev && i < l->depth; i++)
		if (blk_submit(l, b, i))
			break;
	while (ev && b->inflight && !stall_load_stopping(l)) {
		ts.tv_sec = 0;
		ts.tv_nsec = BLK_WAIT_NS;
		n = blk_io_getevents(b->ctx, 1, l->depth, ev, &ts);
		now = stall_now_ns();
		for (i = 0; i < n; i++) {
			int idx = ev[i].data;

			b->inflight--;
			if (ev[i].res == (s64)l->size)
				stall_load_record(l, now, now - b->t_submit[idx], l->size);
			else
				blk_io_failed(l, ev[i].res < 0 ? (int)-ev[i].res : EIO);
			if (blk_submit(l, b, idx))
				break;
		}
	}
	if (ev)
		blk_drain(b, ev);
	free(ev);
	return NULL;
}

static void blk_teardown(struct stall_load *l)
{
	struct blk_priv *b = l->priv;

	u64 t0;

	if (b && b->ctx)
		syscall(__NR_io_destroy, b->ctx);
	if (l->fd[0] >= 0) {
		t0 = stall_now_ns();
		close(l->fd[0]);
		t0 = stall_now_ns() - t0;
		if (t0 > BLK_CLOSE_SLOW_NS)
			fprintf(stderr, "# blk: closing the file in %s took %llu ms (discard?)\n",
				l->dir, (unsigned long long)(t0 / 1000000));
	}
	l->fd[0] = -1;
	if (b) {
		free(b->iocb);
		free(b->ptr);
		free(b->t_submit);
		free(b->buf);
	}
	free(b);
	l->priv = NULL;
}

/* The disk under the file (or the whole disk of a partition), as a sysfs device path. */
static int blk_disk_device(struct stall_load *l, char *dev)
{
	char path[PATH_MAX];
	struct stat st;

	if (fstat(l->fd[0], &st))
		return -errno;
	if (S_ISBLK(st.st_mode))
		st.st_dev = st.st_rdev;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/device", major(st.st_dev),
		 minor(st.st_dev));
	if (realpath(path, dev))
		return 0;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../device", major(st.st_dev),
		 minor(st.st_dev));
	return realpath(path, dev) ? 0 : -ENODEV;
}

static int blk_find_irqs(struct stall_load *l)
{
	char dev[PATH_MAX], *base;
	int up;

	if (blk_disk_device(l, dev)) {
		snprintf(l->err, sizeof(l->err), "%s is not on a device with interrupts", l->dir);
		return -ENODEV;
	}
	for (up = 0; up < 4 && (base = strrchr(dev, '/')); up++) {
		if (!strncmp(base + 1, "virtio", 6) && !stall_load_virtio_irqs(l, base + 1))
			return 0;
		*base = '\0';
	}
	snprintf(l->err, sizeof(l->err), "no virtio interrupts found for the disk under %s",
		 l->dir);
	return -ENODEV;
}

const struct stall_load_kind stall_load_blk_kind = {
	.name = "blk",
	.help = "O_DIRECT random writes, native AIO (bs=4k, qd=128; report's other: bs=64k:qd=32;"
		" scratch=1: a -D device's signature may be overwritten)",
	.unit = "B",
	.nr_threads = 1,
	.setup = blk_setup,
	.thread = { blk_thread },
	.teardown = blk_teardown,
	.find_irqs = blk_find_irqs,
};
