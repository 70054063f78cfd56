// SPDX-License-Identifier: GPL-2.0-only
/*
 * The environment of a stall test run, as the results file records it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "stall_env.h"
#include "stall_sys.h"

/*
 * The options that change how long the kernel holds a CPU, or how it is
 * measured: preemption, tick, page size, THP, tracers that hook every
 * interrupt or preemption toggle, lock debugging, sanitizers.
 */
static const char *const stall_env_options[] = {
	"CONFIG_PREEMPT_NONE", "CONFIG_PREEMPT_VOLUNTARY", "CONFIG_PREEMPT",
	"CONFIG_PREEMPT_LAZY", "CONFIG_PREEMPT_RT", "CONFIG_PREEMPT_DYNAMIC", "CONFIG_HZ",
	"CONFIG_NO_HZ_IDLE", "CONFIG_NO_HZ_FULL", "CONFIG_ARM64_4K_PAGES",
	"CONFIG_ARM64_16K_PAGES", "CONFIG_ARM64_64K_PAGES", "CONFIG_ARM64_VA_BITS",
	"CONFIG_PGTABLE_LEVELS", "CONFIG_TRANSPARENT_HUGEPAGE", "CONFIG_NUMA", "CONFIG_KVM",
	"CONFIG_SCHED_INFO", "CONFIG_FTRACE", "CONFIG_FUNCTION_TRACER", "CONFIG_IRQSOFF_TRACER",
	"CONFIG_PREEMPT_TRACER", "CONFIG_SCHED_TRACER", "CONFIG_KPROBE_EVENTS",
	"CONFIG_PROVE_LOCKING", "CONFIG_DEBUG_ATOMIC_SLEEP", "CONFIG_KASAN", "CONFIG_KCSAN",
	"CONFIG_DEBUG_PREEMPT",
};

/* A config, uncompressed: the running kernel's own, else one named or installed. */
static FILE *stall_env_open_config(const char *release, char *src, size_t len)
{
	const char *named = getenv("KVM_STALL_KCONFIG");
	char path[256];
	FILE *f;

	if (!access("/proc/config.gz", R_OK)) {
		f = popen("gzip -dc /proc/config.gz 2>/dev/null", "r");
		if (f) {
			snprintf(src, len, "/proc/config.gz");
			return f;
		}
	}
	snprintf(path, sizeof(path), "/boot/config-%s", release);
	if (named && named[0])
		snprintf(path, sizeof(path), "%s", named);
	f = fopen(path, "r");
	if (f)
		snprintf(src, len, "%s", path);
	return f;
}

static void stall_env_config(struct stall_json *j, const char *release)
{
	char src[256] = "", line[512], *eq;
	bool piped, any = false;
	FILE *f = stall_env_open_config(release, src, sizeof(src));
	size_t i;

	piped = f && !strcmp(src, "/proc/config.gz");
	stall_json_str(j, "config_source", f ? src : NULL);
	stall_json_obj(j, "config");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		eq = strchr(line, '=');
		if (strncmp(line, "CONFIG_", 7) || !eq)
			continue;
		*eq = '\0';
		for (i = 0; i < ARRAY_SIZE(stall_env_options); i++)
			if (!strcmp(line, stall_env_options[i]))
				break;
		if (i == ARRAY_SIZE(stall_env_options))
			continue;
		stall_json_str(j, line, eq[1] == '"' ? eq + 2 : eq + 1);
		any = true;
	}
	stall_json_end(j);
	if (f && piped)
		pclose(f);
	else if (f)
		fclose(f);
	/* an empty config object with a source means nothing matched: say it */
	if (f && !any)
		stall_json_str(j, "config_note", "no option of interest set");
}

/* The first /proc/cpuinfo value of @key, or NULL. */
static char *stall_env_cpuinfo(const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/cpuinfo", "r");
	char *found = NULL, *v;

	while (f && !found && fgets(buf, len, f)) {
		if (strncmp(buf, key, klen) || (buf[klen] != ' ' && buf[klen] != '\t' &&
						buf[klen] != ':'))
			continue;
		v = strchr(buf, ':');
		if (!v)
			continue;
		v += strspn(v + 1, " ") + 1;
		v[strcspn(v, "\n")] = '\0';
		found = v;
	}
	if (f)
		fclose(f);
	return found;
}

static void stall_env_cpu(struct stall_json *j)
{
	char buf[4096], midr[32];
	char *flags;

	stall_json_obj(j, "cpu");
	stall_json_str(j, "model", stall_env_cpuinfo("model name", buf, sizeof(buf)));
	stall_json_str(j, "implementer", stall_env_cpuinfo("CPU implementer", buf, sizeof(buf)));
	stall_json_str(j, "part", stall_env_cpuinfo("CPU part", buf, sizeof(buf)));
	if (stall_sys_read_line("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1",
				midr, sizeof(midr)))
		stall_json_null(j, "midr");
	else
		stall_json_str(j, "midr", midr);
	flags = stall_env_cpuinfo("flags", buf, sizeof(buf));
	if (!flags)
		flags = stall_env_cpuinfo("Features", buf, sizeof(buf));
	stall_json_str(j, "features", flags);
	stall_json_s64(j, "online", sysconf(_SC_NPROCESSORS_ONLN));
	stall_json_s64(j, "nodes", stall_sys_nr_nodes());
	stall_json_end(j);
}

/* x86 guests see a "hypervisor" flag; the testbed says what it emulates. */
static void stall_env_emulation(struct stall_json *j)
{
	const char *how = getenv("KVM_STALL_EMULATION");
	char buf[4096], *flags = stall_env_cpuinfo("flags", buf, sizeof(buf));

	stall_json_obj(j, "virtualization");
	if (flags)
		stall_json_bool(j, "hypervisor_flag", strstr(flags, "hypervisor"));
	else
		stall_json_null(j, "hypervisor_flag");
	stall_json_str(j, "emulation", how && how[0] ? how : NULL);
	stall_json_end(j);
}

/*
 * The stage-2 step, in bytes, of a kernel with the testbed's knob patch;
 * 0 on any other kernel (no such parameter).
 */
u64 stall_env_stage2_batch(void)
{
	char buf[32], *end;
	u64 v;

	if (stall_sys_read_line(STALL_ENV_STAGE2_BATCH, buf, sizeof(buf)))
		return 0;
	errno = 0;
	v = strtoull(buf, &end, 10);
	return errno || end == buf ? 0 : v;
}

void stall_env_json(struct stall_json *j)
{
	u64 knob = stall_env_stage2_batch();
	struct utsname u;

	if (uname(&u))
		memset(&u, 0, sizeof(u));
	stall_json_obj(j, "kernel");
	stall_json_str(j, "release", u.release);
	stall_json_str(j, "version", u.version);
	stall_json_str(j, "machine", u.machine);
	stall_env_config(j, u.release);
	if (knob)
		stall_json_u64(j, "stage2_batch", knob);
	stall_json_end(j);
	stall_env_cpu(j);
	stall_env_emulation(j);
	stall_json_s64(j, "page_size", getpagesize());
}
