// SPDX-License-Identifier: GPL-2.0-only
/*
 * Steering device interrupts onto the test CPU, and putting them back.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "stall_irq.h"
#include "stall_sys.h"

#define STALL_IRQ_MAX		32
/* a compile-time choice so that the unit tests can use a scratch directory */
#ifndef STALL_IRQ_STATE_DIR
#define STALL_IRQ_STATE_DIR	"/run"
#endif
#define STALL_IRQ_STATE		STALL_IRQ_STATE_DIR "/kvm_stall_irq.state"
/* per-process state files of earlier versions, still repaired */
#define STALL_IRQ_OLD_PREFIX	"kvm_stall_irq."

struct stall_irq_saved {
	int irq;
	char path[64];
	char orig[256];
	size_t len;
};

static struct stall_irq_saved stall_irq_saved[STALL_IRQ_MAX];
static int stall_irq_nr;
/* the state file, locked for as long as this run may steer */
static int stall_irq_fd = -1;

static int stall_irq_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

/* Write back every "IRQ affinity" line of @f; a line that does not parse is skipped. */
static int stall_irq_restore_lines(FILE *f)
{
	char line[300], irqpath[64];
	int irq, off, n = 0;

	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d %n", &irq, &off) != 1 || irq < 0)
			continue;
		snprintf(irqpath, sizeof(irqpath), "/proc/irq/%d/smp_affinity_list", irq);
		stall_sys_write(irqpath, line + off, strlen(line + off), 0);
		n++;
	}
	return n;
}

/* True when @fd is still the file @path names (a run may have removed it since). */
static bool stall_irq_same_file(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * Open and lock the state file. Every run that steers holds the lock
 * until it has put the interrupts back, so a file that can be locked
 * belongs to a run that is gone, whatever its PID was (PID 1 in a
 * container, a reused PID). Returns the descriptor, -EBUSY when a live
 * run holds it, or another negative errno.
 */
static int stall_irq_lock_state(int flags)
{
	int fd, try;

	for (try = 0; try < 8; try++) {
		fd = open(STALL_IRQ_STATE, O_RDWR | O_CLOEXEC | flags, 0600);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			close(fd);
			return errno == EWOULDBLOCK ? -EBUSY : -errno;
		}
		if (stall_irq_same_file(fd, STALL_IRQ_STATE))
			return fd;
		/* its owner removed it between our open and our lock: look again */
		close(fd);
	}
	return -EBUSY;
}

/*
 * Restore what @fd records, then empty it, so that it is not restored
 * again over a later run's steering. Returns how many interrupts were
 * restored, or a negative errno.
 */
static int stall_irq_restore_fd(int fd)
{
	int dfd = dup(fd), n;
	FILE *f;

	f = dfd < 0 ? NULL : fdopen(dfd, "r");
	if (!f) {
		if (dfd >= 0)
			close(dfd);
		return -errno;
	}
	rewind(f);
	n = stall_irq_restore_lines(f);
	fclose(f);
	return ftruncate(fd, 0) ? -errno : n;
}

/* State files of earlier versions carried a PID; a live one is not ours to touch. */
static int stall_irq_recover_old(void)
{
	char path[300], proc[64];
	struct dirent *d;
	int pid, n = 0;
	DIR *dir = opendir(STALL_IRQ_STATE_DIR);
	FILE *f;

	while (dir && (d = readdir(dir))) {
		if (strncmp(d->d_name, STALL_IRQ_OLD_PREFIX, strlen(STALL_IRQ_OLD_PREFIX)) ||
		    sscanf(d->d_name + strlen(STALL_IRQ_OLD_PREFIX), "%d", &pid) != 1)
			continue;
		snprintf(proc, sizeof(proc), "/proc/%d", pid);
		/* this run has written nothing yet: its own PID means a reuse */
		if (pid != getpid() && !access(proc, F_OK))
			continue;
		snprintf(path, sizeof(path), "%s/%s", STALL_IRQ_STATE_DIR, d->d_name);
		f = fopen(path, "r");
		if (f) {
			n += stall_irq_restore_lines(f);
			fclose(f);
		}
		unlink(path);
	}
	if (dir)
		closedir(dir);
	return n;
}

/*
 * Restore what runs that died without cleaning up left changed, and
 * return how many interrupts were put back. Every run calls this, with
 * or without -P irq: a killed run's interrupts must not stay on its test
 * CPU until someone happens to steer again.
 */
int stall_irq_recover_stale(void)
{
	int fd, ret, n = stall_irq_recover_old();

	fd = stall_irq_lock_state(0);
	if (fd < 0)
		return n;
	ret = stall_irq_restore_fd(fd);
	if (ret > 0)
		n += ret;
	unlink(STALL_IRQ_STATE);
	close(fd);
	return n;
}

/*
 * Take the state file for this run before steering anything. Two runs
 * steering at once would each save the other's steered affinity as the
 * original; the second is refused with -EBUSY instead.
 */
int stall_irq_claim(void)
{
	static bool registered;
	int fd, ret;

	if (stall_irq_fd >= 0)
		return 0;
	fd = stall_irq_lock_state(O_CREAT);
	if (fd < 0)
		return fd;
	/* a run that died between our recovery and our lock */
	ret = stall_irq_restore_fd(fd);
	if (ret < 0) {
		unlink(STALL_IRQ_STATE);
		close(fd);
		return ret;
	}
	stall_irq_fd = fd;
	if (!registered)
		stall_sys_on_exit(stall_irq_restore_all);
	registered = true;
	return 0;
}

static int stall_irq_record_state(const struct stall_irq_saved *s)
{
	char line[300];
	int len;

	len = snprintf(line, sizeof(line), "%d %s", s->irq, s->orig);
	if (len <= 0 || len >= (int)sizeof(line) || line[len - 1] != '\n')
		return -EINVAL;
	/* O_APPEND is not set: the lock makes this the only writer */
	if (lseek(stall_irq_fd, 0, SEEK_END) < 0 || write(stall_irq_fd, line, len) != len)
		return -EIO;
	return 0;
}

/*
 * Route @irq to @cpu, saving its affinity the first time, in memory and
 * in the state file, before changing it. -EIO is what the kernel answers
 * for a managed interrupt, whose affinity it owns.
 */
int stall_irq_steer(int irq, int cpu)
{
	struct stall_irq_saved *s = NULL;
	char path[64], val[16];
	int i, ret;

	if (stall_irq_fd < 0)
		return -ENOLCK;
	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", irq);
	for (i = 0; i < stall_irq_nr; i++)
		if (stall_irq_saved[i].irq == irq)
			s = &stall_irq_saved[i];
	if (!s) {
		if (stall_irq_nr == STALL_IRQ_MAX)
			return -ENOSPC;
		s = &stall_irq_saved[stall_irq_nr];
		s->irq = irq;
		snprintf(s->path, sizeof(s->path), "%s", path);
		ret = stall_irq_read(path, s->orig, sizeof(s->orig));
		if (!ret)
			ret = stall_irq_record_state(s);
		if (ret)
			return ret;
		s->len = strlen(s->orig);
		stall_irq_nr++;
	}
	snprintf(val, sizeof(val), "%d\n", cpu);
	return stall_sys_write(path, val, strlen(val), 0);
}

/* Async-signal-safe: write, unlink and close only. */
void stall_irq_restore_all(void)
{
	int i;

	for (i = stall_irq_nr - 1; i >= 0; i--)
		stall_sys_write(stall_irq_saved[i].path, stall_irq_saved[i].orig,
				stall_irq_saved[i].len, 0);
	stall_irq_nr = 0;
	if (stall_irq_fd < 0)
		return;
	/* removed while still locked, so no run can take a file about to vanish */
	unlink(STALL_IRQ_STATE);
	close(stall_irq_fd);
	stall_irq_fd = -1;
}
