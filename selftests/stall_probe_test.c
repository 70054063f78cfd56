// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stall probe self-test: does the instrument of kvm_page_table_stall_test
 * see a stall of known length on the machine it runs on?
 *
 * Injects stalls on the test CPU with a SCHED_FIFO spinner one priority
 * above the probe, spinning for D: the probe cannot run meanwhile, as
 * behind a non-preemptible unmap batch, and its longest gap must lie
 * between D and D + one period + a tolerance for wake-up latency. Each
 * stall runs several times: a probe that misses part of a stall, or adds
 * one of its own, does so every time, a disturbance from the host does
 * not. One quiet window at least, with nothing injected, must show no gap
 * longer than the default allowance over the period. Needs root; no KVM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

#include "kselftest.h"
#include "stall_parse.h"
#include "stall_probe.h"
#include "stall_sys.h"

/* longest first: a window that kept a longer window's wait would show it */
#define DEFAULT_STALLS		"20ms,5ms,2ms"
#define DEFAULT_QUIET_NS	(200ULL * 1000 * 1000)
#define DEFAULT_TOLERANCE_NS	(250ULL * 1000)
#define DEFAULT_REPS		3
#define LOW_TOLERANCE_NS	(20ULL * 1000)
/* stay well inside the default RT bandwidth (950 ms of every second) */
#define MAX_STALL_NS		(200ULL * 1000 * 1000)
#define SPIN_JOIN_MARGIN_S	5
#ifdef STALL_LAB
#define OPTSTRING		":hc:d:i:q:t:r:"
#else
#define OPTSTRING		":hc:d:"
#endif
/* a skip's reason is part of its name in CI (LKFT): no figures in it */
#define QUIET_NOISY		"quiet window shows no stall: machine too noisy to judge\n"
#define QUIET_NOISY_FIGURES	"no window of %d clean (best: gap %lu us, held %lu us)\n"

struct probe_test {
	int cpu;
	u64 period_ns;
	u64 stall_ns[STALL_MAX_LIST];
	int nr_stalls;
	u64 quiet_ns;
	u64 tolerance_ns;
	int reps;
};

struct spinner {
	u64 want_ns;
	u64 start_ns;
	u64 end_ns;
};

static struct stall_probe probe;
static struct stall_window win;

static void *spinner_main(void *data)
{
	struct spinner *s = data;
	u64 now;

	s->start_ns = stall_now_ns();
	do {
		now = stall_now_ns();
	} while (now - s->start_ns < s->want_ns);
	s->end_ns = now;
	return NULL;
}

/* Hold @cpu for @ns with a SCHED_FIFO thread above the probe; returns the time held. */
static u64 inject_stall(int cpu, u64 ns)
{
	struct sched_param sp = { .sched_priority = STALL_PROBE_DEFAULT_PRIO + 1 };
	struct spinner s = { .want_ns = ns };
	struct timespec bound;
	pthread_attr_t attr;
	cpu_set_t set;
	pthread_t th;
	int ret;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	pthread_attr_setschedparam(&attr, &sp);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	ret = pthread_create(&th, &attr, spinner_main, &s);
	pthread_attr_destroy(&attr);
	if (ret)
		ksft_exit_fail_msg("spinner thread: %s\n", strerror(ret));

	clock_gettime(CLOCK_REALTIME, &bound);
	bound.tv_sec += ns / 1000000000ULL + SPIN_JOIN_MARGIN_S;
	ret = pthread_timedjoin_np(th, NULL, &bound);
	if (ret)
		ksft_exit_fail_msg("spinner did not end within %d s of its stall\n",
				   SPIN_JOIN_MARGIN_S);
	return s.end_ns - s.start_ns;
}

static void switch_window(struct stall_window *w)
{
	if (stall_probe_switch(&probe, w))
		ksft_exit_fail_msg("probe on CPU %d did not wake up for 2 s\n", probe.cpu);
}

static u64 quiet_gap(struct probe_test *t, u64 *held)
{
	stall_window_reset(&win);
	switch_window(&win);
	stall_sleep_ns(t->quiet_ns);
	switch_window(NULL);
	*held = stall_window_max_held(&win);
	return win.max_gap_ns;
}

/*
 * The probe must not make stalls up: one quiet window at least must be
 * clean. Disturbances in the others (a kernel thread of a PREEMPT_NONE
 * host, the hypervisor) are reported, not judged; with no clean window,
 * a skip that says so, never a failure.
 */
static void test_quiet(struct probe_test *t)
{
	u64 gap[STALL_MAX_REPS + 1], held[STALL_MAX_REPS + 1], best = UINT64_MAX, limit;
	int i, n = 2 * t->reps + 1, b = 0;

	for (i = 0; i < n; i++) {
		gap[i] = quiet_gap(t, &held[i]);
		if (gap[i] < best) {
			best = gap[i];
			b = i;
		}
	}
	limit = t->period_ns + STALL_DEFAULT_ALLOW_NS;
	ksft_print_msg("%d quiet windows of %lu ms: longest gap %lu us at best, %lu us median,",
		       n, (unsigned long)(t->quiet_ns / 1000000), (unsigned long)(best / 1000),
		       (unsigned long)(stall_median_u64(gap, n) / 1000));
	printf(" %lu us at worst (limit %lu us)\n", (unsigned long)(stall_max_u64(gap, n) / 1000),
	       (unsigned long)(limit / 1000));
	if (best > limit) {
		ksft_print_msg(QUIET_NOISY_FIGURES, n, (unsigned long)(best / 1000),
			       (unsigned long)(held[b] / 1000));
		ksft_test_result_skip(QUIET_NOISY);
	} else {
		ksft_test_result_pass("quiet window shows no stall\n");
	}
}

/*
 * Longest gap seen around one injected stall, minus the time actually held;
 * @wait is the probe's longest wait on the run queue, minus the same, and
 * @reach that with its slack (how much longer the wait may have been).
 */
static s64 injected_excess(struct probe_test *t, u64 ns, u64 *held, s64 *wait, s64 *reach)
{
	stall_window_reset(&win);
	switch_window(&win);
	stall_sleep_ns(5 * t->period_ns);
	*held = inject_stall(t->cpu, ns);
	stall_sleep_ns(5 * t->period_ns + 1000000);
	switch_window(NULL);
	*wait = (s64)stall_window_max_held(&win) - (s64)*held;
	*reach = *wait + (s64)(win.nr_holds ? win.holds[0].slack_ns : 0);
	return (s64)win.max_gap_ns - (s64)*held;
}

/* The least of signed values, or with @most the greatest. */
static s64 pick_s64(const s64 *v, int n, bool most)
{
	s64 m = most ? INT64_MIN : INT64_MAX;
	int i;

	for (i = 0; i < n; i++)
		if (most ? v[i] > m : v[i] < m)
			m = v[i];
	return m;
}

/*
 * The gap must cover the time held and at most a period and the tolerance
 * more; the run-queue wait (what the stall test judges), the time held less
 * one period (the stall may begin just after a wake-up) and the tolerance,
 * less its slack (stall_probe.c). Of 2 * reps + 1 repetitions, each bound
 * judges the least value, but the wait's lower bound the greatest: the
 * host's noise adds to both figures, and takes from the wait alone (a
 * timer fired late), in some repetitions; a probe that misses part of a
 * stall or adds its own does so in all.
 */
static void test_injected(struct probe_test *t, u64 ns)
{
	s64 excess[STALL_MAX_REPS], wait[STALL_MAX_REPS], reach[STALL_MAX_REPS], least, most;
	s64 lo = -(s64)LOW_TOLERANCE_NS, wlo = -(s64)(t->period_ns + t->tolerance_ns);
	u64 held = 0, hi = t->period_ns + t->tolerance_ns;
	bool see = stall_probe_sees_held(&probe);
	int i, n = 2 * t->reps + 1;
	s64 wleast, wmost;

	for (i = 0; i < n; i++)
		excess[i] = injected_excess(t, ns, &held, &wait[i], &reach[i]);
	least = pick_s64(excess, n, false);
	most = pick_s64(excess, n, true);
	wleast = pick_s64(wait, n, false);
	wmost = pick_s64(reach, n, true);
	ksft_print_msg("injected %lu us (held %lu us) %d times: gap - held = %ld..%ld us",
		       (unsigned long)(ns / 1000), (unsigned long)(held / 1000), n,
		       (long)(least / 1000), (long)(most / 1000));
	printf(" (allowed %ld..%lu us);", (long)(lo / 1000), (unsigned long)(hi / 1000));
	printf(" run-queue wait - held = %ld..%ld us with slack (allowed %ld..%lu us)%s\n",
	       (long)(wleast / 1000), (long)(wmost / 1000), (long)(wlo / 1000),
	       (unsigned long)(t->tolerance_ns / 1000), see ? "" : " (not read: no schedstat)");
	ksft_test_result(least >= lo && least <= (s64)hi &&
			 (!see || (wmost >= wlo && wleast <= (s64)t->tolerance_ns)),
			 "injected stall %lu us\n", (unsigned long)(ns / 1000));
}

static void help(const char *name)
{
	printf("usage: %s [-h] [-c cpu] [-d stalls]\n", name);
#ifdef STALL_LAB
	printf("          [-i period] [-q quiet] [-t tolerance] [-r reps]\n");
#endif
	printf("\nDurations take a unit (%s): a bare number is refused.\n",
	       STALL_DURATION_UNITS);
	printf(" -c: CPU to stall and probe (default: first allowed)\n");
	printf(" -d: comma-separated stall lengths to inject, up to 200ms (default: %s)\n",
	       DEFAULT_STALLS);
#ifdef STALL_LAB
	printf(" -i: probe period, e.g. 100us (default: 100us)\n");
	printf(" -q: quiet window length; 2 * reps + 1 of them (default: 200ms)\n");
	printf(" -t: tolerance over one period for the measured gap (default: 250us)\n");
	printf(" -r: reps; each stall runs 2 * reps + 1 times (default: %d)\n",
	       DEFAULT_REPS);
#endif
	puts("");
}

static void __noreturn usage_error(const char *name, const char *what, const char *val)
{
	stall_parse_value_msg(name, what, val, -EINVAL, NULL);
	exit(KSFT_FAIL);
}

/* A parser's refusal of @val; a bare number is told the units it lacks. */
static void usage_check(const char *name, const char *what, const char *val, int ret)
{
	if (ret) {
		stall_parse_value_msg(name, what, val, ret, STALL_DURATION_UNITS);
		exit(KSFT_FAIL);
	}
}

/* one line naming the bad option (getopt()'s own message is off) */
static void __noreturn option_error(int argc, char *argv[], int opt)
{
	stall_parse_option_msg(argc, argv, opt);
	exit(KSFT_FAIL);
}

#ifdef STALL_LAB
/* A duration with its unit, from @min to @max ns. */
static u64 parse_duration(const char *prog, const char *what, const char *arg,
			  u64 min, u64 max)
{
	u64 ns;

	usage_check(prog, what, arg, stall_parse_duration(arg, &ns));
	if (ns < min || ns > max)
		usage_error(prog, what, arg);
	return ns;
}
#endif

/* -ENODATA when an item is a bare number, -EINVAL for any other bad item */
static int parse_stalls(const char *arg, struct probe_test *t)
{
	char *copy = strdup(arg), *tok, *save;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	t->nr_stalls = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !ret; tok = strtok_r(NULL, ",", &save)) {
		u64 ns;

		ret = stall_parse_duration(tok, &ns);
		if (!ret && (!ns || ns > MAX_STALL_NS || t->nr_stalls == STALL_MAX_LIST))
			ret = -EINVAL;
		if (!ret)
			t->stall_ns[t->nr_stalls++] = ns;
	}
	free(copy);
	return ret ? ret : t->nr_stalls ? 0 : -EINVAL;
}

static void parse_args(int argc, char *argv[], struct probe_test *t)
{
	long l;
	int opt;

	opterr = 0;
	while ((opt = getopt(argc, argv, OPTSTRING)) != -1) {
		switch (opt) {
		case 'c':
			if (stall_parse_cpu(optarg, &l) || !stall_sys_cpu_allowed(l))
				usage_error(argv[0], "or disallowed CPU (-c)", optarg);
			t->cpu = l;
			break;
		case 'd':
			usage_check(argv[0], "stall list (-d, each 1ns-200ms)", optarg,
				    parse_stalls(optarg, t));
			break;
#ifdef STALL_LAB
		case 'i':
			t->period_ns = parse_duration(argv[0], "probe period (-i, 10us-100ms)",
						      optarg, 10000, 100000000);
			break;
		case 'q':
			t->quiet_ns = parse_duration(argv[0], "quiet window (-q, 10ms-60s)",
						     optarg, 10000000, 60000000000ULL);
			break;
		case 't':
			t->tolerance_ns = parse_duration(argv[0], "tolerance (-t)", optarg,
							 0, UINT64_MAX);
			break;
		case 'r':
			if (stall_parse_cpu(optarg, &l) || !l || l > (STALL_MAX_REPS - 1) / 2)
				usage_error(argv[0], "repetitions (-r, 1-31)", optarg);
			t->reps = l;
			break;
#endif
		case 'h':
			help(argv[0]);
			exit(KSFT_PASS);
		default:
			option_error(argc, argv, opt);
		}
	}
	if (optind < argc)
		usage_error(argv[0], "argument", argv[optind]);
}

int main(int argc, char *argv[])
{
	struct probe_test t = {
		.cpu = -1,
		.period_ns = STALL_PROBE_DEFAULT_PERIOD_NS,
		.quiet_ns = DEFAULT_QUIET_NS,
		.tolerance_ns = DEFAULT_TOLERANCE_NS,
		.reps = DEFAULT_REPS,
	};
	int i, ret, other;

	parse_stalls(DEFAULT_STALLS, &t);
	parse_args(argc, argv, &t);
	if (t.cpu < 0)
		stall_sys_pick_cpus(-1, &t.cpu, 1);

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("root is needed for the SCHED_FIFO probe\n");
	ret = stall_probe_start(&probe, t.cpu, t.period_ns, STALL_PROBE_DEFAULT_PRIO);
	if (ret)
		ksft_exit_skip("SCHED_FIFO probe on CPU %d: %s\n", t.cpu, strerror(-ret));
#ifdef STALL_LAB
	if (stall_window_init(&win))
		ksft_exit_fail_msg("probe histogram: out of memory\n");
	stall_sys_hold_dma_latency();
#endif
	/* keep this thread's sleeps and wake-ups off the probed CPU */
	if (stall_sys_pick_cpus(t.cpu, &other, 1) > 0 && other != t.cpu)
		stall_sys_pin_self(other);
	ksft_set_plan(1 + t.nr_stalls);
	ksft_print_msg("CPU %d, period %lu us, %d repetition(s)\n", t.cpu,
		       (unsigned long)(t.period_ns / 1000), t.reps);

	test_quiet(&t);
	for (i = 0; i < t.nr_stalls; i++)
		test_injected(&t, t.stall_ns[i]);

	if (stall_probe_stop(&probe))
		ksft_exit_fail_msg("probe did not stop within 5 s\n");
#ifdef STALL_LAB
	stall_window_free(&win);
#endif
	ksft_finished();
}
