// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host topology and resources for the stall tests.
 */
#define _GNU_SOURCE
#include <errno.h>
#ifdef STALL_LAB
#include <fcntl.h>
#endif
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#ifdef STALL_LAB
#include <sys/prctl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <dirent.h>
#include <sys/syscall.h>
#include <linux/mempolicy.h>
#endif

#include "stall_sys.h"

/* Pin the calling thread: stall_probe_test links none of the KVM library. */
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

#ifdef STALL_LAB
/*
 * Ask the CPUs to stay out of deep idle states while the probe runs, as
 * cyclictest does: a wake-up from a deep C-state is latency the teardown
 * did not cause. The request lasts as long as the returned descriptor,
 * which the kernel drops when the process ends, however it ends: no
 * system setting outlives the run.
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
#endif

#ifdef STALL_LAB
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

/*
 * A run ended by a signal says so in its KTAP: the kselftest runner's
 * timeout is a SIGTERM, and what was printed until then is all a lab
 * keeps. Not on SIGPIPE: nobody reads stdout any more.
 */
static void stall_sys_bail_out(int sig)
{
	static const char msg[] =
		"\nBail out! ended by a signal (SIGTERM: the runner's timeout?)\n";

	if (sig != SIGPIPE && write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		return;
}

static void stall_sys_on_signal(int sig)
{
#ifdef STALL_LAB
	stall_sys_undo_all();
#endif
	stall_sys_bail_out(sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int stall_sys_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };

/* Say so in the KTAP on every ending signal. */
void stall_sys_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = stall_sys_on_signal };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(stall_sys_sigs); i++)
		sigaction(stall_sys_sigs[i], &sa, NULL);
}

/*
 * Run @undo (async-signal-safe, idempotent) at exit and on SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT and SIGPIPE, as rtla's osnoise restores what it changed. A child
 * forked afterwards must call stall_sys_forget_undo(): the changes are
 * its parent's to undo.
 */
void stall_sys_on_exit(void (*undo)(void))
{
	if (stall_sys_nr_undo == STALL_SYS_MAX_UNDO)
		abort();
	if (!stall_sys_nr_undo) {
		atexit(stall_sys_undo_all);
		stall_sys_catch_signals();
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
#endif

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

#ifdef STALL_LAB
/* What a cgroup directory's limit leaves: limit less usage; UINT64_MAX for none. */
static u64 stall_sys_cgroup_room(const char *dir, const char *max, const char *cur)
{
	char path[512], buf[32];
	u64 limit, used;

	snprintf(path, sizeof(path), "%s/%s", dir, max);
	if (stall_sys_read_line(path, buf, sizeof(buf)) || !strncmp(buf, "max", 3))
		return UINT64_MAX;
	limit = strtoull(buf, NULL, 10);
	snprintf(path, sizeof(path), "%s/%s", dir, cur);
	used = stall_sys_read_line(path, buf, sizeof(buf)) ? 0 : strtoull(buf, NULL, 10);
	return limit > used ? limit - used : 0;
}

/*
 * @room, or less where the process's cgroups leave it less (v2: memory.max
 * less memory.current, at every level up to the root; v1: the memory
 * controller's limit less usage).
 */
static u64 stall_sys_cgroup_cap(u64 room)
{
	char line[512], dir[600], *rel = NULL, *slash;
	u64 r;
	bool v2 = false;
	FILE *f = fopen("/proc/self/cgroup", "r");

	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "0::", 3)) {
			rel = strdup(line + 3);
			v2 = true;
		} else if (strstr(line, ":memory:")) {
			free(rel);
			rel = strdup(strstr(line, ":memory:") + 8);
			v2 = false;
			break;
		}
	}
	if (f)
		fclose(f);
	if (!rel)
		return room;
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s%s", v2 ? "" : "/memory", rel);
	free(rel);
	do {
		if (v2)
			r = stall_sys_cgroup_room(dir, "memory.max", "memory.current");
		else
			r = stall_sys_cgroup_room(dir, "memory.limit_in_bytes",
						  "memory.usage_in_bytes");
		room = r < room ? r : room;
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
	} while (slash && strcmp(dir, "/sys/fs/cgroup") && strcmp(dir, "/sys/fs/cgroup/memory"));
	return room;
}
#endif

/* The memory the process may still take. */
u64 stall_sys_mem_available(void)
{
	u64 mem = stall_sys_meminfo_kb("MemAvailable") * 1024;

#ifdef STALL_LAB
	/* less where a memory cgroup limits the process */
	mem = stall_sys_cgroup_cap(mem);
#endif
	return mem;
}

#ifdef STALL_LAB
u64 stall_sys_free_hugepages(u64 page_size)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%llukB/free_hugepages",
		 (unsigned long long)(page_size >> 10));
	if (stall_sys_read_line(path, buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 10);
}

/* THP on for this process: the system's setting, and no PR_SET_THP_DISABLE on it. */
bool stall_sys_thp_enabled(void)
{
	char buf[128];

	if (stall_sys_read_line("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf)))
		return false;
	return !strstr(buf, "[never]") && prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 0;
}

/*
 * Claim @name among the runs on this machine: an abstract UNIX socket
 * bound to it, which no file stands for and the kernel releases when the
 * process ends, however it ends. Returns the descriptor to keep, or
 * -EADDRINUSE while another run holds the name.
 */
int stall_sys_claim(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, len;

	len = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "%s", name);
	if (len < 0 || len >= (int)sizeof(sa.sun_path) - 1)
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, offsetof(struct sockaddr_un, sun_path) + 1 + len)) {
		len = -errno;
		close(fd);
		return len;
	}
	return fd;
}
#endif
