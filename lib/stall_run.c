// SPDX-License-Identifier: GPL-2.0-only
/*
 * The stall test's time budget: which sweep points still fit in the
 * kselftest runner's timeout.
 */
#include <errno.h>
#ifdef STALL_LAB
#include <limits.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <linux/types.h>

#include "stall_parse.h"
#include "stall_run.h"

#ifdef STALL_LAB
/* The kselftest runner's timeout where a "settings" file names none */
#define STALL_RUN_KSELFTEST_NS		(45ULL * 1000000000ULL)
#endif
#define STALL_RUN_MIN_MARGIN_NS		1000000000ULL

/* A time budget: 0 for none, else a duration with its unit ("90s", "1500ms"). */
int stall_run_parse(const char *s, u64 *ns)
{
	if (s && !strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	/* a bare number is refused: 120 is two minutes to one reader, 120 ms to another */
	if (stall_parse_duration(s, ns) || !*ns)
		return -EINVAL;
	return 0;
}

/* Whole seconds, as the runner's "timeout" values are. */
static int stall_run_seconds(const char *s, u64 *ns)
{
	long v;

	if (stall_parse_count(s, 1000000000L, &v))
		return -EINVAL;
	*ns = v * 1000000000ULL;
	return 0;
}

#ifdef STALL_LAB
/*
 * The timeout a kselftest "settings" file gives its directory's tests: its
 * last "timeout=" line, as the runner evaluates them all in turn, else the
 * runner's default.
 */
int stall_run_settings(const char *path, u64 *ns)
{
	FILE *f = fopen(path, "r");
	char line[128];
	int ret = 0;

	if (!f)
		return -errno;
	*ns = STALL_RUN_KSELFTEST_NS;
	while (!ret && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "timeout=", 8))
			ret = stall_run_seconds(line + 8, ns);
	}
	fclose(f);
	return ret;
}
#endif

#ifdef STALL_LAB
/* The "settings" file kselftest's install puts next to the test, if any. */
static int stall_run_own_settings(u64 *ns, const char **from)
{
	static char path[PATH_MAX + 16];
	char *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", path, PATH_MAX);
	path[n > 0 ? n : 0] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return -ENOENT;
	snprintf(slash + 1, sizeof(path) - (slash + 1 - path), "settings");
	if (stall_run_settings(path, ns))
		return -ENOENT;
	*from = path;
	return 0;
}
#endif

/*
 * The default budget: the runner's own timeout where it runs the test (it
 * exports kselftest_timeout, the directory's settings file and
 * --override-timeout included), else the kvm directory's 120 s; the lab
 * kit's, run by hand, has none (0) unless an install's settings file is
 * next to it. @from says which.
 */
u64 stall_run_default(const char **from)
{
	const char *env = getenv("kselftest_timeout");
	u64 ns;

	if (env && !stall_run_seconds(env, &ns)) {
		*from = "the kselftest runner's timeout";
		return ns;
	}
#ifdef STALL_LAB
	/* run from an install without the runner */
	if (!stall_run_own_settings(&ns, from))
		return ns;
	*from = "not under the kselftest runner, no settings file next to the test; -d sets one";
	return 0;
#else
	*from = "the kvm directory's timeout";
#endif
	return STALL_RUN_DEFAULT_NS;
}

/*
 * When this process started, on CLOCK_MONOTONIC: /proc/self/stat's
 * starttime (clock ticks since boot) against CLOCK_BOOTTIME. Now, where
 * that cannot be read.
 */
u64 stall_run_process_start_ns(void)
{
	long hz = sysconf(_SC_CLK_TCK);
	struct timespec boot, mono;
	unsigned long long ticks;
	u64 now_ns, up_ns, age_ns;
	char buf[1024], *p;
	FILE *f;
	size_t n;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	now_ns = (u64)mono.tv_sec * 1000000000ULL + mono.tv_nsec;
	up_ns = (u64)boot.tv_sec * 1000000000ULL + boot.tv_nsec;
	f = fopen("/proc/self/stat", "r");
	if (!f)
		return now_ns;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* field 22, counted after the command's ")", which may hold spaces */
	p = strrchr(buf, ')');
	for (i = 0; p && i < 20; i++)
		p = strchr(p + 1, ' ');
	if (!p || hz <= 0 || sscanf(p + 1, "%llu", &ticks) != 1 ||
	    ticks * (1000000000ULL / hz) > up_ns)
		return now_ns;
	age_ns = up_ns - ticks * (1000000000ULL / hz);
	return age_ns < now_ns ? now_ns - age_ns : now_ns;
}

/*
 * A tenth of the budget is kept back: the exit, and a point that takes
 * longer than the points before it said (a machine that got busier).
 */
void stall_run_init(struct stall_run_budget *t, u64 limit_ns, u64 now_ns)
{
	memset(t, 0, sizeof(*t));
	t->start_ns = now_ns;
	t->limit_ns = limit_ns;
	t->margin_ns = limit_ns / 10;
	if (t->margin_ns < STALL_RUN_MIN_MARGIN_NS)
		t->margin_ns = STALL_RUN_MIN_MARGIN_NS;
	if (t->margin_ns > limit_ns / 2)
		t->margin_ns = limit_ns / 2;
}

/*
 * One repetition run: @wall_ns in all, of which @baseline_ns of baseline
 * and @op_ns of operation, then as long again of control window; the
 * rest (building and populating the guest, tearing it down) is its mode's.
 */
void stall_run_rep(struct stall_run_budget *t, int mode, u64 ops, u64 wall_ns, u64 op_ns,
		   u64 baseline_ns)
{
	u64 timed = baseline_ns + 2 * op_ns;
	u64 fixed = wall_ns > timed ? wall_ns - timed : 0;
	struct stall_run_cost *c;
	int i;

	if (mode < 0 || mode >= STALL_RUN_MAX_MODES)
		return;
	if (fixed > t->fixed_ns[mode])
		t->fixed_ns[mode] = fixed;
	if (fixed > t->fixed_max_ns)
		t->fixed_max_ns = fixed;
	for (i = 0; i < t->nr_costs; i++) {
		c = &t->cost[i];
		if (c->mode == mode && c->ops == ops) {
			if (op_ns > c->op_ns)
				c->op_ns = op_ns;
			return;
		}
	}
	if (t->nr_costs < STALL_RUN_MAX_COSTS)
		t->cost[t->nr_costs++] = (struct stall_run_cost){ mode, ops, op_ns };
}

/* A point done: @planned repetitions asked for, @run run (retries, confirmations). */
void stall_run_point(struct stall_run_budget *t, int planned, int run)
{
	t->reps_planned += planned;
	t->reps_run += run;
}

/*
 * The nearest point seen with @ops operations or more (@up), else with
 * fewer: of mode @mode, or of any mode if < 0.
 */
static const struct stall_run_cost *stall_run_nearest(const struct stall_run_budget *t,
						      int mode, u64 ops, bool up)
{
	const struct stall_run_cost *c, *near = NULL;
	int i;

	for (i = 0; i < t->nr_costs; i++) {
		c = &t->cost[i];
		if ((mode >= 0 && c->mode != mode) || (up ? c->ops < ops : c->ops >= ops))
			continue;
		if (!near || (up ? c->ops < near->ops : c->ops > near->ops) ||
		    (c->ops == near->ops && c->op_ns > near->op_ns))
			near = c;
	}
	return near;
}

/*
 * A teardown in @ops operations, from @c, the mode's point with the most
 * operations below: the region's work plus a cost per operation, on the
 * line through @c and the mode's point before it. With @c alone the calls
 * add nothing: their work is the memory's, which @c did; the next point
 * measures what they add. Scaling @c by the operations instead took each
 * call for the whole region's work: 5x the time of a 32M batch.
 */
static u64 stall_run_extend(const struct stall_run_budget *t, int mode,
			    const struct stall_run_cost *c, u64 ops)
{
	const struct stall_run_cost *b = NULL;
	double per_op = 0;

	if (mode >= 0)
		b = stall_run_nearest(t, mode, c->ops, false);
	if (b && c->op_ns > b->op_ns)
		per_op = (double)(c->op_ns - b->op_ns) / (c->ops - b->ops);
	return c->op_ns + (u64)(per_op * (ops - c->ops));
}

/*
 * A teardown's time, from the mode's own points first: as long as the
 * nearest one's with as many operations or more (fewer operations over
 * the same memory take no longer); else extended from those with fewer.
 * Another mode's only for a mode's first point.
 */
static u64 stall_run_op(const struct stall_run_budget *t, int mode, u64 ops)
{
	const struct stall_run_cost *c;
	int i, m;

	for (i = 0; i < 2; i++) {
		m = i ? -1 : mode;
		c = stall_run_nearest(t, m, ops, true);
		if (c)
			return c->op_ns;
		c = stall_run_nearest(t, m, ops, false);
		if (c)
			return stall_run_extend(t, m, c, ops);
	}
	return 0;
}

/*
 * What a point of @reps repetitions of @ops operations each will cost:
 * its repetitions as the points run so far cost, times the share of
 * repetitions they ran again (noisy ones, confirmations). Before any
 * point has run, its baselines alone.
 */
u64 stall_run_estimate(const struct stall_run_budget *t, int mode, u64 ops, int reps,
		       u64 baseline_ns)
{
	u64 fixed = t->fixed_max_ns;
	double rep_ns, again = 1.0;

	if (mode >= 0 && mode < STALL_RUN_MAX_MODES && t->fixed_ns[mode])
		fixed = t->fixed_ns[mode];
	rep_ns = (double)fixed + baseline_ns + 2.0 * stall_run_op(t, mode, ops);
	if (t->reps_planned && t->reps_run > t->reps_planned)
		again = (double)t->reps_run / t->reps_planned;
	return (u64)(rep_ns * reps * again);
}

/* Whether @est_ns fits before the margin; @left_ns is what is left of it. */
bool stall_run_fits(const struct stall_run_budget *t, u64 est_ns, u64 now_ns, u64 *left_ns)
{
	u64 used = now_ns - t->start_ns + t->margin_ns;

	*left_ns = t->limit_ns > used ? t->limit_ns - used : 0;
	return !t->limit_ns || est_ns <= *left_ns;
}
