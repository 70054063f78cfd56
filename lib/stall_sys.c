// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host topology and resources for the stall tests.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/mempolicy.h>
#include <linux/types.h>

#include "stall_sys.h"

#define STALL_SYS_MAX_UNDO	4

static void (*stall_sys_undo[STALL_SYS_MAX_UNDO])(void);
static int stall_sys_nr_undo;

/* Undo in the reverse order of the changes; each undo is idempotent. */
static void stall_sys_undo_all(void)
{
	int i;

	for (i = stall_sys_nr_undo - 1; i >= 0; i--)
		stall_sys_undo[i]();
}

static void stall_sys_on_signal(int sig)
{
	stall_sys_undo_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Run @undo (async-signal-safe, idempotent) at exit and on SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT, as rtla's osnoise restores what it changed. A child
 * forked afterwards must call stall_sys_forget_undo(): the changes are
 * its parent's to undo.
 */
void stall_sys_on_exit(void (*undo)(void))
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_handler = stall_sys_on_signal };
	size_t i;

	if (stall_sys_nr_undo == STALL_SYS_MAX_UNDO)
		abort();
	if (!stall_sys_nr_undo) {
		atexit(stall_sys_undo_all);
		for (i = 0; i < ARRAY_SIZE(sigs); i++)
			sigaction(sigs[i], &sa, NULL);
	}
	stall_sys_undo[stall_sys_nr_undo++] = undo;
}

void stall_sys_forget_undo(void)
{
	stall_sys_nr_undo = 0;
}

/* Async-signal-safe (open, write, close): what the undo functions write with. */
int stall_sys_write(const char *path, const char *val, size_t len, int flags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

int stall_sys_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		ret = -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

/* The node a CPU belongs to: sysfs lists it as a "nodeN" link in the CPU's directory. */
int stall_sys_cpu_node(int cpu)
{
	char path[64];
	struct dirent *d;
	int node = -1;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d", cpu);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (!strncmp(d->d_name, "node", 4) && sscanf(d->d_name + 4, "%d", &node) == 1)
			break;
		node = -1;
	}
	closedir(dir);
	/* a kernel without CONFIG_NUMA has one node, and no link */
	return node < 0 ? 0 : node;
}

/* Number of online nodes, from a range list such as "0" or "0-1". */
int stall_sys_nr_nodes(void)
{
	char buf[256], *tok, *save;
	int a, b, n = 0;

	if (stall_sys_read_line("/sys/devices/system/node/online", buf, sizeof(buf)))
		return 1;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (sscanf(tok, "%d-%d", &a, &b) == 2)
			n += b - a + 1;
		else
			n++;
	}
	return n ? n : 1;
}

/*
 * Bind [addr, addr + len) to @node before the guest faults it in, so that
 * the teardown frees memory of a known node. The raw system call keeps
 * the KVM selftests free of a libnuma build dependency.
 */
int stall_sys_bind(void *addr, size_t len, int node)
{
	unsigned long mask[4] = { 0 };

	if (node < 0 || node >= (int)(sizeof(mask) * 8))
		return -EINVAL;
	mask[node / (8 * sizeof(long))] = 1UL << (node % (8 * sizeof(long)));
	if (syscall(__NR_mbind, addr, len, MPOL_BIND, mask, sizeof(mask) * 8, 0))
		return -errno;
	return 0;
}

/* Pin the calling thread; the KVM library's own helper was renamed in 6.14. */
int stall_sys_pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

bool stall_sys_cpu_allowed(int cpu)
{
	cpu_set_t set;

	if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof(set), &set))
		return false;
	return CPU_ISSET(cpu, &set);
}

/*
 * Fill @cpus with @nr allowed CPUs other than @avoid, round-robin; where
 * @avoid is the only CPU allowed, use it. Returns how many distinct CPUs
 * were available.
 */
int stall_sys_pick_cpus(int avoid, int *cpus, int nr)
{
	int avail[CPU_SETSIZE], n = 0, cpu, i;
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set) && cpu != avoid)
			avail[n++] = cpu;
	if (!n)
		avail[n++] = avoid;
	for (i = 0; i < nr; i++)
		cpus[i] = avail[i % n];
	return n;
}

static u64 stall_sys_meminfo_kb(const char *key)
{
	unsigned long long kb = 0;
	char line[256];
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			if (sscanf(line + klen + 1, "%llu", &kb) != 1)
				kb = 0;
			break;
		}
	}
	fclose(f);
	return kb;
}

u64 stall_sys_mem_available(void)
{
	return stall_sys_meminfo_kb("MemAvailable") * 1024;
}

u64 stall_sys_free_hugepages(u64 page_size)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%llukB/free_hugepages",
		 (unsigned long long)(page_size >> 10));
	if (stall_sys_read_line(path, buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 10);
}

bool stall_sys_thp_enabled(void)
{
	char buf[128];

	if (stall_sys_read_line("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf)))
		return false;
	return !strstr(buf, "[never]");
}

/*
 * Ask the CPUs to stay out of deep idle states while the probe runs, as
 * cyclictest does: a wake-up from a deep C-state is latency the teardown
 * did not cause. The request lasts as long as the returned descriptor.
 */
int stall_sys_hold_dma_latency(void)
{
	s32 zero = 0;
	int fd;

	fd = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, &zero, sizeof(zero)) != sizeof(zero)) {
		close(fd);
		return -EIO;
	}
	return fd;
}
