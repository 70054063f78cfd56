// SPDX-License-Identifier: GPL-2.0-only
/*
 * Steering device interrupts onto the test CPU, and putting them back.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kernel.h>

#include "stall_irq.h"
#include "stall_sys.h"

#define STALL_IRQ_MAX		32
#define STALL_IRQ_STATE_DIR	"/run"
#define STALL_IRQ_STATE_PREFIX	"kvm_stall_irq."

struct stall_irq_saved {
	int irq;
	char path[64];
	char orig[256];
	size_t len;
};

static struct stall_irq_saved stall_irq_saved[STALL_IRQ_MAX];
static int stall_irq_nr;
static char stall_irq_state[128];

static int stall_irq_write(const char *path, const char *val, size_t len)
{
	return stall_sys_write(path, val, len, 0);
}

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

static void stall_irq_record_state(const struct stall_irq_saved *s)
{
	FILE *f;

	snprintf(stall_irq_state, sizeof(stall_irq_state), "%s/%s%d", STALL_IRQ_STATE_DIR,
		 STALL_IRQ_STATE_PREFIX, getpid());
	f = fopen(stall_irq_state, "a");
	if (!f)
		return;
	fprintf(f, "%d %s", s->irq, s->orig);
	fclose(f);
}

/*
 * Route @irq to @cpu, saving its affinity the first time. -EIO is what
 * the kernel answers for a managed interrupt, whose affinity it owns.
 */
int stall_irq_steer(int irq, int cpu)
{
	struct stall_irq_saved *s = NULL;
	char path[64], val[16];
	int i, ret;

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
		if (ret)
			return ret;
		s->len = strlen(s->orig);
		stall_irq_record_state(s);
		stall_irq_nr++;
	}
	snprintf(val, sizeof(val), "%d\n", cpu);
	return stall_irq_write(path, val, strlen(val));
}

void stall_irq_restore_all(void)
{
	int i;

	for (i = stall_irq_nr - 1; i >= 0; i--)
		stall_irq_write(stall_irq_saved[i].path, stall_irq_saved[i].orig,
				stall_irq_saved[i].len);
	stall_irq_nr = 0;
	if (stall_irq_state[0])
		unlink(stall_irq_state);
}

void stall_irq_install_handlers(void)
{
	stall_sys_on_exit(stall_irq_restore_all);
}

static void stall_irq_restore_file(const char *path)
{
	char line[300], irqpath[64];
	int irq, off;
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d %n", &irq, &off) != 1)
			continue;
		snprintf(irqpath, sizeof(irqpath), "/proc/irq/%d/smp_affinity_list", irq);
		stall_irq_write(irqpath, line + off, strlen(line + off));
	}
	if (f)
		fclose(f);
	unlink(path);
}

/* Restore what runs that died without cleaning up left changed; returns how many. */
int stall_irq_recover_stale(void)
{
	char path[300], proc[64];
	struct dirent *d;
	int pid, n = 0;
	DIR *dir = opendir(STALL_IRQ_STATE_DIR);

	while (dir && (d = readdir(dir))) {
		if (strncmp(d->d_name, STALL_IRQ_STATE_PREFIX, strlen(STALL_IRQ_STATE_PREFIX)) ||
		    sscanf(d->d_name + strlen(STALL_IRQ_STATE_PREFIX), "%d", &pid) != 1)
			continue;
		snprintf(proc, sizeof(proc), "/proc/%d", pid);
		if (!access(proc, F_OK))
			continue;
		snprintf(path, sizeof(path), "%s/%s", STALL_IRQ_STATE_DIR, d->d_name);
		stall_irq_restore_file(path);
		n++;
	}
	if (dir)
		closedir(dir);
	return n;
}
