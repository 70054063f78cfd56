// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel-side measurement of the stage-2 teardown with kprobe events in a
 * tracefs instance (Documentation/trace/kprobetrace.rst): entry and return
 * probes on each function, a stacktrace trigger on the entries, and the
 * instance's trace file read back and paired after each window.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/types.h>

#include "stall_sys.h"
#include "stall_trace.h"

#define STALL_TRACE_GROUP	"kvmstall_"
#define STALL_TRACE_BUF_KB	"4096"
/* a few stacks per window: every call of one point takes the same path */
#define STALL_TRACE_STACKS	"stacktrace:8"
#define STALL_TRACE_FRAMES	6
/* tracefs's README lists this fetch argument where probes take BTF names */
#define STALL_TRACE_BTF_README	"<argname>"
#define STALL_TRACE_GROUP_LEN	64	/* MAX_EVENT_NAME_LEN */

#define STALL_TRACE_SIZE	"size=size:u64"
#define STALL_TRACE_SIZE_ARG3	"size=$arg3:u64"

/*
 * arch/arm64/kvm (6.12; destroy_range since 6.19): the per-batch calls
 * stage2_apply_range() makes with mmu_lock write-held, the range calls
 * around them, and the stage-2 destroy: the whole table in one call
 * before 6.19, one chunk a call (rescheduling between) since. A function
 * the running kernel lacks is left out. Sizes are the functions' "size"
 * parameter, their third (6.12 to 7.2).
 */
const struct stall_trace_fn stall_trace_fns[] = {
	/* an unmap batch's stack is that of the range call around it */
	{ "kvm_pgtable_stage2_unmap", STALL_TRACE_SIZE, STALL_TRACE_SIZE_ARG3,
	  STALL_TRACE_BATCH, false },
	{ "kvm_pgtable_stage2_wrprotect", STALL_TRACE_SIZE, STALL_TRACE_SIZE_ARG3,
	  STALL_TRACE_BATCH, true },
	{ "kvm_pgtable_stage2_destroy_range", STALL_TRACE_SIZE, STALL_TRACE_SIZE_ARG3,
	  STALL_TRACE_HOLD, true },
	{ "kvm_stage2_unmap_range", STALL_TRACE_SIZE, STALL_TRACE_SIZE_ARG3,
	  STALL_TRACE_RANGE, true },
	{ "kvm_pgtable_stage2_destroy", NULL, NULL, STALL_TRACE_HOLD, true },
	/* the MMU notifier's range: fields of struct kvm_gfn_range, BTF only */
	{ "kvm_unmap_gfn_range", "start=range->start:u64 end=range->end:u64", NULL,
	  STALL_TRACE_RANGE, true },
	/*
	 * The same range as a scalar, where this static function is not
	 * inlined: without BTF, the range that shows a split into batches.
	 */
	{ "__unmap_stage2_range", STALL_TRACE_SIZE, STALL_TRACE_SIZE_ARG3,
	  STALL_TRACE_RANGE, false },
};

const int stall_trace_nr_fns = ARRAY_SIZE(stall_trace_fns);

/* Every path and command is built once, so that stall_trace_stop() is signal-safe. */
static struct {
	char root[64];
	char group[STALL_TRACE_GROUP_LEN];
	char inst[192];
	char kprobe_events[96];
	char del[80];		/* "-:GROUP/": every probe of the group */
	char enable[288];
	char trace[224];
	char stats[256];
	char trigger[STALL_TRACE_MAX_FN][288];
	char softirq[2][256];	/* softirq_entry and _exit's enable files */
	bool made[STALL_TRACE_MAX_FN];
	bool bare[STALL_TRACE_MAX_FN];	/* made without the size it has */
	bool btf;
	bool probes_made;
	bool softirq_on;
	bool inst_made;
	bool active;
	int cpu;
} st;

/*
 * The tracefs file this process has open now, if any: an open file holds
 * the instance, whose rmdir then fails with EBUSY, so a stop that
 * interrupts its user (a signal in the middle of a write or a read)
 * closes it first; the process ends right after. Set and cleared around
 * calls into libc, which the compiler cannot move a global's store across.
 */
static int stall_trace_open_fd = -1;

static int stall_trace_write(const char *path, const char *val, int flags)
{
	size_t len = strlen(val);
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags), ret = 0;

	if (fd < 0)
		return -errno;
	stall_trace_open_fd = fd;
	if (write(fd, val, len) != (ssize_t)len)
		ret = -errno;
	stall_trace_open_fd = -1;
	close(fd);
	return ret;
}

static FILE *stall_trace_open_read(const char *path)
{
	FILE *f = fopen(path, "r");

	if (f)
		stall_trace_open_fd = fileno(f);
	return f;
}

static void stall_trace_close_read(FILE *f)
{
	stall_trace_open_fd = -1;
	fclose(f);
}

/* rmdir of the instance, waiting out (1 s at most) a file another thread has open */
static int stall_trace_rmdir(void)
{
	struct timespec ms = { .tv_nsec = 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 100; i++) {
		if (!rmdir(st.inst) || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		nanosleep(&ms, NULL);
	}
	return -errno;
}

static void stall_trace_softirqs(const char *on)
{
	if (st.softirq_on) {
		stall_trace_write(st.softirq[0], on, 0);
		stall_trace_write(st.softirq[1], on, 0);
	}
}

/* Signal-safe and idempotent: triggers, instance, then the group's probes. */
void stall_trace_stop(void)
{
	int i, busy = stall_trace_open_fd;

	if (busy >= 0) {
		stall_trace_open_fd = -1;
		close(busy);
	}
	if (st.inst_made) {
		stall_trace_write(st.enable, "0", 0);
		stall_trace_softirqs("0");
		for (i = 0; i < stall_trace_nr_fns; i++)
			if (st.made[i] && stall_trace_fns[i].stack)
				stall_trace_write(st.trigger[i], "!stacktrace", 0);
		if (!stall_trace_rmdir())
			st.inst_made = false;
	}
	if (st.probes_made && !stall_trace_write(st.kprobe_events, st.del, O_APPEND))
		st.probes_made = false;
	for (i = 0; i < stall_trace_nr_fns; i++)
		st.made[i] = false;
	st.active = false;
}

static const char *stall_trace_root(void)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[96];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(roots); i++) {
		snprintf(path, sizeof(path), "%s/instances", roots[i]);
		if (!access(path, F_OK))
			return roots[i];
	}
	return NULL;
}

/* Whether @path has a line containing @what. */
static bool stall_trace_file_has(const char *path, const char *what)
{
	char line[256];
	bool found = false;
	FILE *f = fopen(path, "r");

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, what);
	if (f)
		fclose(f);
	return found;
}

/*
 * Which functions of the table the kernel has, once each: a probe on a
 * missing or ambiguous (static, several of that name) symbol would fail,
 * and a failed definition is logged in tracefs's error_log, which is
 * not the run's.
 */
static void stall_trace_present(int *count)
{
	char line[512], *name;
	size_t n;
	int i;
	FILE *f = fopen("/proc/kallsyms", "r");

	while (f && fgets(line, sizeof(line), f)) {
		/* "ADDRESS TYPE NAME[\t[MODULE]]" */
		name = strchr(line, ' ');
		name = name ? strchr(name + 1, ' ') : NULL;
		if (!name)
			continue;
		n = strcspn(++name, "\t\n");
		for (i = 0; i < stall_trace_nr_fns; i++)
			if (strlen(stall_trace_fns[i].name) == n &&
			    !strncmp(name, stall_trace_fns[i].name, n))
				count[i]++;
	}
	if (f)
		fclose(f);
}

static int stall_trace_define(int i, const char *args)
{
	char def[224];

	snprintf(def, sizeof(def), "p:%s/stall_e%d %s%s%s", st.group, i,
		 stall_trace_fns[i].name, *args ? " " : "", args);
	return stall_trace_write(st.kprobe_events, def, O_APPEND);
}

/*
 * The entry probe with the function's size or range, by BTF name where
 * the kernel has BTF arguments, by number where the function has a
 * scalar one; left without it (said by stall_trace_describe()) where
 * neither is there, or BTF does not know the argument.
 */
static int stall_trace_make(int i)
{
	const struct stall_trace_fn *f = &stall_trace_fns[i];
	const char *args = !f->args ? "" : st.btf ? f->args : f->args_nobtf;
	char def[224];
	int ret;

	st.bare[i] = f->args && !args;
	/* before the probe exists: a signal right after its write must remove it */
	st.probes_made = true;
	ret = stall_trace_define(i, args ? args : "");
	if (ret && args && *args) {
		st.bare[i] = true;
		ret = stall_trace_define(i, "");
	}
	if (ret)
		return ret;
	snprintf(def, sizeof(def), "r:%s/stall_r%d %s", st.group, i, f->name);
	ret = stall_trace_write(st.kprobe_events, def, O_APPEND);
	if (ret) {
		snprintf(def, sizeof(def), "-:%s/stall_e%d", st.group, i);
		stall_trace_write(st.kprobe_events, def, O_APPEND);
		return ret;
	}
	snprintf(st.trigger[i], sizeof(st.trigger[i]), "%s/events/%s/stall_e%d/trigger", st.inst,
		 st.group, i);
	st.made[i] = true;
	return 0;
}

static int stall_trace_fail(int ret, char *why, size_t len, const char *what)
{
	snprintf(why, len, "%s", what);
	stall_trace_stop();
	return ret;
}

/* The instance: mono clock (comparable with the probe's), a buffer for a window. */
static int stall_trace_make_instance(void)
{
	char path[256];

	/* made before mkdir: a signal right after it must still remove it */
	st.inst_made = true;
	if (mkdir(st.inst, 0700)) {
		st.inst_made = false;
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/trace_clock", st.inst);
	if (stall_trace_write(path, "mono", 0))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/buffer_size_kb", st.inst);
	stall_trace_write(path, STALL_TRACE_BUF_KB, 0);
	/*
	 * Softirqs run on interrupt exit inside a call that holds mmu_lock
	 * and stretch it with work that is not the batch's: their time is
	 * taken out of the calls. Without the irq events, calls stay gross.
	 */
	snprintf(st.softirq[0], sizeof(st.softirq[0]), "%s/events/irq/softirq_entry/enable",
		 st.inst);
	snprintf(st.softirq[1], sizeof(st.softirq[1]), "%s/events/irq/softirq_exit/enable",
		 st.inst);
	st.softirq_on = !access(st.softirq[0], W_OK) && !access(st.softirq[1], W_OK);
	return 0;
}

/* The start time of process @pid, in clock ticks after boot (proc(5), stat field 22). */
static int stall_trace_pid_start(int pid, unsigned long long *start)
{
	char path[32], buf[512], *p, *end;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* after the command, which may hold blanks and parentheses: the blank before field 22 */
	p = strrchr(buf, ')');
	for (i = 3; p && i <= 22; i++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -EIO;
	*start = strtoull(p + 1, &end, 10);
	return end > p + 1 ? 0 : -EIO;
}

/* The PID namespace the PIDs in group names are numbers of. */
static unsigned long stall_trace_pidns(void)
{
	struct stat s;

	return stat("/proc/self/ns/pid", &s) ? 0 : (unsigned long)s.st_ino;
}

/*
 * The group's name, STALL_TRACE_GROUP "PID_START_PIDNS": another run can
 * tell whether the process that made it is still there.
 */
static int stall_trace_name_group(char *group, size_t len)
{
	unsigned long long start;

	if (stall_trace_pid_start(getpid(), &start))
		return -ENOENT;
	snprintf(group, len, STALL_TRACE_GROUP "%d_%llu_%lu", getpid(), start,
		 stall_trace_pidns());
	return 0;
}

/*
 * Set up the probes for events on @cpu. Returns 0, or a negative errno
 * with the reason in @why: the measurement is then unavailable, and the
 * test carries on with the probe alone.
 */
int stall_trace_start(int cpu, char *why, size_t len)
{
	const char *root = stall_trace_root();
	int present[STALL_TRACE_MAX_FN] = { 0 };
	char readme[96];
	int i, n = 0, ret;

	if (!root)
		return stall_trace_fail(-ENOENT, why, len, "tracefs is not mounted");
	snprintf(st.root, sizeof(st.root), "%s", root);
	snprintf(st.kprobe_events, sizeof(st.kprobe_events), "%s/kprobe_events", root);
	if (access(st.kprobe_events, W_OK))
		return stall_trace_fail(-ENOENT, why, len,
					"tracefs has no kprobe_events (CONFIG_KPROBE_EVENTS)");
	if (stall_trace_name_group(st.group, sizeof(st.group)))
		return stall_trace_fail(-ENOENT, why, len,
					"no /proc/self/stat to name the probe group after");
	st.cpu = cpu;
	snprintf(readme, sizeof(readme), "%s/README", root);
	st.btf = stall_trace_file_has(readme, STALL_TRACE_BTF_README);
	snprintf(st.del, sizeof(st.del), "-:%s/", st.group);
	snprintf(st.inst, sizeof(st.inst), "%s/instances/%s", root, st.group);
	snprintf(st.enable, sizeof(st.enable), "%s/events/%s/enable", st.inst, st.group);
	snprintf(st.trace, sizeof(st.trace), "%s/trace", st.inst);
	snprintf(st.stats, sizeof(st.stats), "%s/per_cpu/cpu%d/stats", st.inst, cpu);
	stall_sys_on_exit(stall_trace_stop);

	stall_trace_present(present);
	for (i = 0; i < stall_trace_nr_fns; i++)
		n += present[i] == 1 && !stall_trace_make(i);
	if (!n)
		return stall_trace_fail(-ENOENT, why, len,
					"no stage-2 function of this kernel takes a kprobe");
	ret = stall_trace_make_instance();
	if (ret)
		return stall_trace_fail(ret, why, len, "cannot set up a tracefs instance");
	st.active = true;
	return 0;
}

bool stall_trace_active(void)
{
	return st.active;
}

/* The functions probed, how their sizes are fetched, and what was left out. */
void stall_trace_describe(char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < stall_trace_nr_fns && n < len; i++)
		if (st.made[i])
			n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
				      stall_trace_fns[i].name);
	if (n < len)
		n += snprintf(buf + n, len - n, "; %s", st.btf ? "sizes by BTF argument name" :
			      "no BTF: sizes by argument number");
	for (i = 0; i < stall_trace_nr_fns && n < len; i++)
		if (st.made[i] && st.bare[i])
			n += snprintf(buf + n, len - n, ", %s's %s left out",
				      stall_trace_fns[i].name,
				      strstr(stall_trace_fns[i].args, "start=") ? "range" : "size");
	if (n < len)
		snprintf(buf + n, len - n, "%s", st.softirq_on ?
			 "; softirqs inside a call are taken out of it" :
			 "; no softirq events: calls include the softirqs inside them");
}

/* Empty the buffer, arm the stack triggers, enable the probes. */
int stall_trace_begin(void)
{
	int i, ret;

	if (!st.active)
		return 0;
	ret = stall_trace_write(st.trace, "", O_TRUNC);
	for (i = 0; i < stall_trace_nr_fns && !ret; i++)
		if (st.made[i] && stall_trace_fns[i].stack)
			stall_trace_write(st.trigger[i], STALL_TRACE_STACKS, 0);
	if (ret)
		return ret;
	stall_trace_softirqs("1");
	return stall_trace_write(st.enable, "1", 0);
}

static u64 stall_trace_overrun(void)
{
	char line[128];
	u64 n = 0;
	FILE *f = stall_trace_open_read(st.stats);

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "overrun: %lu", &n) == 1)
			break;
	if (f)
		stall_trace_close_read(f);
	return n;
}

/* Disable the probes and read what the window recorded on the test CPU. */
int stall_trace_end(struct stall_trace_result *res, const struct stall_trace_hold *holds, int n)
{
	struct stall_trace_acc acc;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int i;

	stall_trace_acc_init(&acc, st.cpu, res, holds, n);
	if (!st.active)
		return -ENOENT;
	stall_trace_write(st.enable, "0", 0);
	stall_trace_softirqs("0");
	for (i = 0; i < stall_trace_nr_fns; i++)
		if (st.made[i] && stall_trace_fns[i].stack)
			stall_trace_write(st.trigger[i], "!stacktrace", 0);
	f = stall_trace_open_read(st.trace);
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0)
		stall_trace_acc_line(&acc, line);
	stall_trace_acc_done(&acc);
	free(line);
	stall_trace_close_read(f);
	res->lost = stall_trace_overrun();
	return 0;
}

/* Parse "SECONDS.FRACTION" into nanoseconds; returns the end or NULL. */
static const char *stall_trace_ts(const char *s, u64 *ns)
{
	u64 sec = 0, frac = 0, scale = 1000000000ULL;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9')
		sec = sec * 10 + (*p++ - '0');
	if (*p++ != '.')
		return NULL;
	while (*p >= '0' && *p <= '9') {
		scale /= 10;
		frac += (u64)(*p++ - '0') * scale;
	}
	if (*p != ':')
		return NULL;
	*ns = sec * 1000000000ULL + frac;
	return p + 1;
}

static int stall_trace_parse_frame(const char *line, struct stall_trace_ev *ev)
{
	/* the name ends at its offset, a blank or the line's end */
	size_t n = strcspn(line + 4, "+\t\n ");

	if (n >= sizeof(ev->frame))
		n = sizeof(ev->frame) - 1;
	memcpy(ev->frame, line + 4, n);
	ev->frame[n] = '\0';
	ev->kind = STALL_EV_FRAME;
	return 0;
}

/*
 * "stall_eN: (fn+0x0/0x98) size=123", "... start=GFN end=GFN" (a range in
 * guest frames, host pages on arm64) or "stall_rN: (...)" after the timestamp
 */
static int stall_trace_parse_event(const char *p, struct stall_trace_ev *ev)
{
	const char *s, *e;
	char kind;

	while (*p == ' ')
		p++;
	if (!strncmp(p, "<stack trace>", 13)) {
		ev->kind = STALL_EV_STACK;
		return 0;
	}
	if (!strncmp(p, "softirq_entry: ", 15)) {
		ev->kind = STALL_EV_SOFTIRQ_IN;
		return 0;
	}
	if (!strncmp(p, "softirq_exit: ", 14)) {
		ev->kind = STALL_EV_SOFTIRQ_OUT;
		return 0;
	}
	if (strncmp(p, "stall_", 6) || sscanf(p + 6, "%c%d:", &kind, &ev->fn) != 2 ||
	    (kind != 'e' && kind != 'r') || ev->fn < 0 || ev->fn >= stall_trace_nr_fns)
		return -EINVAL;
	ev->kind = kind == 'e' ? STALL_EV_ENTRY : STALL_EV_RETURN;
	s = strstr(p, " size=");
	if (s)
		ev->size = strtoull(s + 6, NULL, 0);
	s = strstr(p, " start=");
	e = strstr(p, " end=");
	if (s && e)
		ev->size = (strtoull(e + 5, NULL, 0) - strtoull(s + 7, NULL, 0)) * getpagesize();
	return 0;
}

/*
 * One line of the trace file: "COMM-PID [CPU] FLAGS SECONDS.USECS: EVENT: ..."
 * (FLAGS absent without the irq-info option), or " => function+off/size"
 * of a stack. Returns 0 when the line is one of ours, else -EINVAL.
 */
int stall_trace_parse(const char *line, struct stall_trace_ev *ev)
{
	const char *p = line, *rest = NULL;
	int n;

	memset(ev, 0, sizeof(*ev));
	if (!strncmp(line, " => ", 4))
		return stall_trace_parse_frame(line, ev);
	while ((p = strchr(p, '[')) && sscanf(p, "[%d]%n", &ev->cpu, &n) != 1)
		p++;
	if (!p)
		return -EINVAL;
	for (p += n; *p && !rest; ) {
		while (*p == ' ')
			p++;
		rest = stall_trace_ts(p, &ev->ts_ns);
		p += strcspn(p, " ");
	}
	return rest ? stall_trace_parse_event(rest, ev) : -EINVAL;
}

void stall_trace_acc_init(struct stall_trace_acc *acc, int cpu, struct stall_trace_result *res,
			  const struct stall_trace_hold *holds, int n)
{
	int i;

	memset(acc, 0, sizeof(*acc));
	memset(res, 0, sizeof(*res));
	acc->cpu = cpu;
	acc->frames = -1;
	acc->res = res;
	res->longest.fn = -1;
	res->nr_holds = n < STALL_TRACE_HOLDS ? n : STALL_TRACE_HOLDS;
	for (i = 0; i < res->nr_holds; i++) {
		res->hold[i].start_ns = holds[i].start_ns;
		res->hold[i].end_ns = holds[i].end_ns;
		res->hold[i].table_bytes = holds[i].table_bytes;
		res->hold[i].outer = -1;
	}
	for (i = 0; i < STALL_TRACE_MAX_FN; i++)
		res->fn[i].size_min = UINT64_MAX;
}

static void stall_trace_commit_stack(struct stall_trace_acc *acc)
{
	if (acc->frames > 0)
		memcpy(acc->stack, acc->building, sizeof(acc->stack));
	acc->frames = -1;
}

/*
 * The frames of the probe's own machinery, on top of every stack it
 * records: the breakpoint or ftrace entry, kprobes, the trace event.
 */
static bool stall_trace_own_frame(const char *frame)
{
	static const char *const own[] = {
		"kprobe", "aggr_", "trace_", "ftrace", "__ftrace", "arch_ftrace", "do_el1_brk",
		"el1_brk", "el1h_64_sync", "call_break_hook", "brk_handler", "exc_int3",
		"asm_exc_int3", "do_int3", "optimized_callback", "optprobe",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(own); i++)
		if (!strncmp(frame, own[i], strlen(own[i])))
			return true;
	return false;
}

static void stall_trace_add_frame(struct stall_trace_acc *acc, const char *frame)
{
	size_t n = strlen(acc->building);

	/* the machinery sits on top: whatever came before it was the machinery too */
	if (acc->frames >= 0 && stall_trace_own_frame(frame)) {
		acc->building[0] = '\0';
		acc->frames = 0;
		return;
	}
	if (acc->frames < 0 || acc->frames >= STALL_TRACE_FRAMES) {
		acc->frames += acc->frames >= 0;
		return;
	}
	snprintf(acc->building + n, sizeof(acc->building) - n, "%s%s", n ? " <- " : "", frame);
	acc->frames++;
}

/* How much of [start, end) lies in the hold. */
static u64 stall_trace_in_hold(const struct stall_trace_hold *h, u64 start, u64 end)
{
	u64 from = start > h->start_ns ? start : h->start_ns;
	u64 to = end < h->end_ns ? end : h->end_ns;

	return to > from ? to - from : 0;
}

/* A quarter-octave bucket of @v: the octave, then the two bits below its top one. */
static int stall_trace_rate_bin(u64 v)
{
	int top = 63 - __builtin_clzll(v | 1);
	int bin = top < 2 ? top * 4 : top * 4 + (int)((v >> (top - 2)) & 3);

	return bin < STALL_TRACE_RATE_BINS ? bin : STALL_TRACE_RATE_BINS - 1;
}

/* The middle of bucket @bin. */
static u64 stall_trace_rate_mid(int bin)
{
	int top = bin / 4;

	if (top < 2)
		return 1ULL << top;
	return ((4ULL + bin % 4) << (top - 2)) + (1ULL << (top - 2)) / 2;
}

/*
 * The stage-2 work of a call in the hold: its range in proportion to the
 * share of its time the hold covers. A call with sized calls inside it
 * (a destroy walking in chunks) is those calls; a whole-table walk with
 * no size is the table.
 */
static void stall_trace_hold_call(struct stall_trace_hold *h, int fn, u64 start, u64 end,
				  u64 size, bool sized_inside)
{
	const struct stall_trace_fn *f = &stall_trace_fns[fn];
	u64 in = stall_trace_in_hold(h, start, end);
	double share;

	if (!in)
		return;
	/* mmu_lock is held between a range function's batches too */
	h->inside = true;
	if (f->role == STALL_TRACE_RANGE || sized_inside) {
		h->outer = fn;
		return;
	}
	if (!f->args) {
		size = h->table_bytes;
		h->outer = fn;
	}
	share = end > start ? (double)in / (double)(end - start) : 1.0;
	h->work += (u64)(share * (double)size);
	h->calls++;
	h->sparse |= f->role != STALL_TRACE_BATCH;
}

static void stall_trace_call_done(struct stall_trace_acc *acc, int fn, u64 start,
				  u64 end, u64 size, u64 softirq_ns)
{
	struct stall_trace_fnstat *s = &acc->res->fn[fn];
	struct stall_trace_call *l = &acc->res->longest;
	u64 ns = end > start ? end - start : 0;

	/* the call's own time: the softirqs that ran inside it are not */
	ns = ns > softirq_ns ? ns - softirq_ns : 0;

	/* a per-batch call's rate, weighted by its bytes, for the typical one */
	if (stall_trace_fns[fn].role == STALL_TRACE_BATCH && size && ns)
		acc->rate_bytes[stall_trace_rate_bin((u64)((double)ns * (1 << 20) / size))] += size;
	s->calls++;
	s->total_ns += ns;
	if (ns > s->max_ns)
		s->max_ns = ns;
	if (stall_trace_fns[fn].args) {
		if (size < s->size_min)
			s->size_min = size;
		if (size > s->size_max)
			s->size_max = size;
	}
	if (stall_trace_fns[fn].role == STALL_TRACE_RANGE || (l->fn >= 0 && ns <= l->ns))
		return;
	l->fn = fn;
	l->ns = ns;
	l->softirq_ns = softirq_ns;
	l->start_ns = start;
	l->size = stall_trace_fns[fn].args ? size : 0;
	memcpy(l->stack, acc->stack, sizeof(l->stack));
}

static void stall_trace_return(struct stall_trace_acc *acc, const struct stall_trace_ev *ev)
{
	int i, h;

	for (i = acc->depth - 1; i >= 0 && acc->open[i].fn != ev->fn; i--)
		;
	if (i < 0)
		return;
	stall_trace_call_done(acc, ev->fn, acc->open[i].ts_ns, ev->ts_ns, acc->open[i].size,
			      acc->softirq_ns - acc->open[i].softirq_ns);
	for (h = 0; h < acc->res->nr_holds; h++)
		stall_trace_hold_call(&acc->res->hold[h], ev->fn, acc->open[i].ts_ns, ev->ts_ns,
				      acc->open[i].size, acc->open[i].sized_inside);
	/* entries above it lost their returns (a full kretprobe pool) */
	acc->depth = i;
	if (stall_trace_fns[ev->fn].args && stall_trace_fns[ev->fn].role != STALL_TRACE_RANGE)
		for (i = 0; i < acc->depth; i++)
			acc->open[i].sized_inside = true;
}

static void stall_trace_softirq_done(struct stall_trace_acc *acc, u64 end)
{
	int h;

	acc->softirq_ns += end - acc->softirq_start;
	for (h = 0; h < acc->res->nr_holds; h++)
		acc->res->hold[h].softirq_ns += stall_trace_in_hold(&acc->res->hold[h],
								    acc->softirq_start, end);
}

/*
 * Pair the test CPU's entries and returns. A stack trigger records its
 * stack just before its event, so the last complete stack before a
 * return is that of the call, or of the range call around it.
 */
void stall_trace_acc_line(struct stall_trace_acc *acc, const char *line)
{
	struct stall_trace_ev ev;

	if (stall_trace_parse(line, &ev))
		return;
	if (ev.kind == STALL_EV_FRAME) {
		stall_trace_add_frame(acc, ev.frame);
		return;
	}
	stall_trace_commit_stack(acc);
	if (ev.cpu != acc->cpu)
		return;
	switch (ev.kind) {
	case STALL_EV_STACK:
		acc->building[0] = '\0';
		acc->frames = 0;
		break;
	case STALL_EV_ENTRY:
		if (acc->depth == (int)ARRAY_SIZE(acc->open))
			break;
		acc->open[acc->depth].fn = ev.fn;
		acc->open[acc->depth].ts_ns = ev.ts_ns;
		acc->open[acc->depth].size = ev.size;
		acc->open[acc->depth].softirq_ns = acc->softirq_ns;
		acc->open[acc->depth].sized_inside = false;
		acc->depth++;
		break;
	case STALL_EV_SOFTIRQ_IN:
		if (!acc->softirq_depth++)
			acc->softirq_start = ev.ts_ns;
		break;
	case STALL_EV_SOFTIRQ_OUT:
		/* an exit whose entry was before the window has nothing to add */
		if (acc->softirq_depth && !--acc->softirq_depth && ev.ts_ns > acc->softirq_start)
			stall_trace_softirq_done(acc, ev.ts_ns);
		break;
	case STALL_EV_RETURN:
		stall_trace_return(acc, &ev);
		break;
	default:
		break;
	}
}

/*
 * The rate of a typical per-batch call: the bucket holding the middle
 * byte, so that one slow step in many does not set what "typical" is.
 */
static u64 stall_trace_typical_rate(const struct stall_trace_acc *acc)
{
	u64 total = 0, sum = 0;
	int i;

	for (i = 0; i < STALL_TRACE_RATE_BINS; i++)
		total += acc->rate_bytes[i];
	for (i = 0; i < STALL_TRACE_RATE_BINS && total; i++) {
		sum += acc->rate_bytes[i];
		if (2 * sum >= total)
			return stall_trace_rate_mid(i);
	}
	return 0;
}

void stall_trace_acc_done(struct stall_trace_acc *acc)
{
	int i;

	stall_trace_commit_stack(acc);
	for (i = 0; i < STALL_TRACE_MAX_FN; i++)
		if (acc->res->fn[i].size_min == UINT64_MAX)
			acc->res->fn[i].size_min = 0;
	acc->res->rate_ns_per_mib = stall_trace_typical_rate(acc);
}

/*
 * Whether the run that named @group is gone: its process no longer
 * exists, or its PID now belongs to a process started at another time.
 * A group of another PID namespace, or of another naming, is not judged.
 */
static bool stall_trace_gone(const char *group)
{
	unsigned long long start, now;
	unsigned long ns;
	int pid, end = 0;

	if (sscanf(group, STALL_TRACE_GROUP "%d_%llu_%lu%n", &pid, &start, &ns, &end) != 3 ||
	    group[end] || pid <= 0 || ns != stall_trace_pidns())
		return false;
	if (kill(pid, 0) && errno == ESRCH)
		return true;
	return !stall_trace_pid_start(pid, &now) && now != start;
}

#define STALL_TRACE_STALE_MAX	16

/* Add @name to @groups (once) where it names a gone run's group. */
static void stall_trace_note_stale(const char *name, size_t n,
				   char groups[][STALL_TRACE_GROUP_LEN], int *nr)
{
	char group[STALL_TRACE_GROUP_LEN];
	int i;

	if (n >= sizeof(group) || *nr == STALL_TRACE_STALE_MAX)
		return;
	memcpy(group, name, n);
	group[n] = '\0';
	for (i = 0; i < *nr; i++)
		if (!strcmp(groups[i], group))
			return;
	if (stall_trace_gone(group))
		snprintf(groups[(*nr)++], STALL_TRACE_GROUP_LEN, "%s", group);
}

/* The gone runs' groups: their instances, and their probes in kprobe_events. */
static int stall_trace_find_stale(const char *root, char groups[][STALL_TRACE_GROUP_LEN])
{
	char path[128], line[512], *g;
	struct dirent *d;
	int nr = 0;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "%s/instances", root);
	dir = opendir(path);
	while (dir && (d = readdir(dir)))
		stall_trace_note_stale(d->d_name, strlen(d->d_name), groups, &nr);
	if (dir)
		closedir(dir);
	/* "p:GROUP/EVENT SYMBOL ARGS" or "rMAXACTIVE:GROUP/EVENT ..." */
	snprintf(path, sizeof(path), "%s/kprobe_events", root);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		g = strchr(line, ':');
		if (g && strchr(g, '/'))
			stall_trace_note_stale(g + 1, strcspn(g + 1, "/"), groups, &nr);
	}
	if (f)
		fclose(f);
	return nr;
}

/* A gone run's instance (with its enabling and triggers), then its probes. */
static void stall_trace_remove_group(const char *root, const char *group)
{
	char path[192], del[STALL_TRACE_GROUP_LEN + 4];

	snprintf(path, sizeof(path), "%s/instances/%.63s", root, group);
	rmdir(path);
	/* ":GROUP/" in a definition; "-:GROUP/" deletes them all */
	snprintf(del, sizeof(del), "-:%.63s/", group);
	snprintf(path, sizeof(path), "%s/kprobe_events", root);
	if (stall_trace_file_has(path, del + 1))
		stall_trace_write(path, del, O_APPEND);
}

/* What runs killed with SIGKILL left in tracefs; returns how many runs. */
int stall_trace_recover_stale(void)
{
	char groups[STALL_TRACE_STALE_MAX][STALL_TRACE_GROUP_LEN];
	const char *root = stall_trace_root();
	int i, nr;

	if (!root)
		return 0;
	nr = stall_trace_find_stale(root, groups);
	for (i = 0; i < nr; i++)
		stall_trace_remove_group(root, groups[i]);
	return nr;
}

/* The smallest power of two not below @v (0 and 1 are their own). */
static u64 stall_trace_pow2_up(u64 v)
{
	return v > 1 && v <= 1ULL << 63 ? 1ULL << (64 - __builtin_clzll(v - 1)) : v;
}

/*
 * The kernel's batch as far as one window's calls show it. The batch is
 * a power of two and every per-batch call is at most one batch, so the
 * largest call rounded up to a power of two is a lower bound. It is the
 * batch itself only where a range call was split (was larger than any
 * per-batch call) and the largest piece is a power of two: a range that
 * straddles a batch boundary splits into two edge pieces, 2044K and 4K
 * for a 2M chunk 4K off the boundary, neither of which is the batch.
 * Returns 0 where no call was seen.
 */
u64 stall_trace_observed_batch(const struct stall_trace_result *res, bool *exact)
{
	u64 batch = 0, range = 0;
	int i;

	for (i = 0; i < stall_trace_nr_fns; i++) {
		if (stall_trace_fns[i].role == STALL_TRACE_BATCH && res->fn[i].size_max > batch)
			batch = res->fn[i].size_max;
		if (stall_trace_fns[i].role == STALL_TRACE_RANGE && res->fn[i].size_max > range)
			range = res->fn[i].size_max;
	}
	*exact = range > batch && batch && !(batch & (batch - 1));
	return stall_trace_pow2_up(batch);
}

/*
 * The time the window's per-batch calls took together, the stage-2 side
 * of the unmap cost without the host mm's, and how many there were.
 */
u64 stall_trace_batch_ns(const struct stall_trace_result *res, u64 *calls)
{
	u64 ns = 0;
	int i;

	*calls = 0;
	for (i = 0; i < stall_trace_nr_fns; i++) {
		if (stall_trace_fns[i].role != STALL_TRACE_BATCH)
			continue;
		*calls += res->fn[i].calls;
		ns += res->fn[i].total_ns;
	}
	return ns;
}
