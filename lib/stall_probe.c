// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stall probe: timer-driven SCHED_FIFO thread measuring how long its CPU
 * was unavailable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/types.h>

#include "stall_probe.h"

/* How long stall_probe_switch() waits for the probe to take a new window. */
#define STALL_PROBE_ACK_MIN_NS	(2ULL * 1000 * 1000 * 1000)
/*
 * Between windows the probe only looks for the next one: waking every
 * period then would take CPU time from the test CPU for nothing (half of
 * an emulated CPU at 100 us), slowing the populate phase.
 */
#define STALL_PROBE_IDLE_NS	(10ULL * 1000 * 1000)
/*
 * The run-queue delay is read at every wake-up where a read costs less
 * than 2 % of the period (about a microsecond natively), else on every
 * long gap and every 16th wake-up in between (an emulated CPU, where a
 * read costs tens of microseconds): the held time is then a lower bound
 * that leaves out the latencies of the wake-ups in between.
 */
#define STALL_PROBE_SCHED_EVERY	16
#define STALL_PROBE_SCHED_COST	50

/* The probe's running sums between two reads of its schedstat. */
struct stall_held {
	u64 last_delay;
	u64 lat_sum;
	int since;
	int every;
};

u64 stall_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void stall_ns_to_ts(u64 ns, struct timespec *ts)
{
	ts->tv_sec = ns / 1000000000ULL;
	ts->tv_nsec = ns % 1000000000ULL;
}

void stall_sleep_ns(u64 ns)
{
	struct timespec ts;

	stall_ns_to_ts(stall_now_ns() + ns, &ts);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

#ifdef STALL_LAB
int stall_window_init(struct stall_window *w)
{
	memset(w, 0, sizeof(*w));
	return stall_hist_init(&w->lat, STALL_PROBE_HIST_US);
}

void stall_window_free(struct stall_window *w)
{
	stall_hist_free(&w->lat);
}
#endif

void stall_window_reset(struct stall_window *w)
{
#ifdef STALL_LAB
	stall_hist_reset(&w->lat);
	w->max_gap_end_ns = 0;
	w->missed = 0;
#endif
	w->max_gap_ns = 0;
	w->nr_holds = 0;
}

/*
 * Keep @held among the window's longest waits, sorted, if it is one. Only
 * a full list is compared with its last entry: from nr_holds on, entries
 * are a previous window's.
 */
static void stall_window_keep_hold(struct stall_window *w, u64 now, u64 held, u64 slack)
{
	int i = w->nr_holds < STALL_PROBE_HOLDS ? w->nr_holds : STALL_PROBE_HOLDS - 1;

	if (w->nr_holds == STALL_PROBE_HOLDS && w->holds[i].held_ns >= held)
		return;
	if (w->nr_holds < STALL_PROBE_HOLDS)
		w->nr_holds++;
	for (; i > 0 && w->holds[i - 1].held_ns < held; i--)
		w->holds[i] = w->holds[i - 1];
#ifdef STALL_LAB
	w->holds[i].end_ns = now;
#endif
	w->holds[i].held_ns = held;
	w->holds[i].slack_ns = slack;
}

static void stall_window_add(struct stall_window *w, u64 now, u64 gap, u64 held, u64 slack)
{
#ifdef STALL_LAB
	if (gap > w->max_gap_ns)
		w->max_gap_end_ns = now;
#endif
	if (gap > w->max_gap_ns)
		w->max_gap_ns = gap;
	if (held)
		stall_window_keep_hold(w, now, held, slack);
}

/* run_delay from "sum_exec_runtime run_delay pcount"; 0 where unreadable. */
static u64 stall_probe_run_delay(int fd)
{
	char buf[96], *p;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strchr(buf, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

/*
 * How long this wake-up waited on the run queue, as a lower bound: the
 * run_delay accrued since the last read, less the latencies of the
 * wake-ups in between (each waited at most its own latency): @slack.
 */
static u64 stall_probe_held(struct stall_probe *p, struct stall_held *h, u64 lat, u64 gap,
			    u64 *slack)
{
	u64 delay, held = 0;

	*slack = 0;
	if (gap < 2 * p->period_ns && ++h->since < h->every) {
		h->lat_sum += lat;
		return 0;
	}
	delay = stall_probe_run_delay(p->sched_fd);
	/* unreadable (0) or gone back: it says nothing, and no wait is claimed */
	if (delay < h->last_delay)
		return 0;
	if (delay - h->last_delay > h->lat_sum)
		held = delay - h->last_delay - h->lat_sum;
	*slack = h->lat_sum;
	h->last_delay = delay;
	h->lat_sum = 0;
	h->since = 0;
	return held < lat ? held : lat;
}

/* How often to read: time a few reads, the last of which is the reference. */
static void stall_probe_sched_cost(struct stall_probe *p, struct stall_held *h)
{
	u64 t0 = stall_now_ns(), cost;
	int i;

	for (i = 0; i < STALL_PROBE_SCHED_EVERY; i++)
		h->last_delay = stall_probe_run_delay(p->sched_fd);
	cost = (stall_now_ns() - t0) / STALL_PROBE_SCHED_EVERY;
	h->every = cost * STALL_PROBE_SCHED_COST < p->period_ns ? 1 : STALL_PROBE_SCHED_EVERY;
}

/*
 * The probe's own schedstat, or -1: without CONFIG_SCHED_INFO the file is
 * missing, or reads "0 0 0" (pcount 0 for a thread that has run).
 */
static int stall_probe_open_sched(void)
{
	char path[64], buf[96];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/schedstat", (long)syscall(SYS_gettid));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	if (n <= 0 || !strcmp(buf, "0 0 0\n")) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *stall_probe_main(void *arg)
{
	struct stall_probe *p = arg;
	struct stall_window *cur = NULL, *w;
	u64 next = stall_now_ns() + p->period_ns, now, prev = 0, lat, gap, held = 0, slack = 0;
	struct stall_held hs = { 0 };
	struct timespec ts;

	__atomic_store_n(&p->sched_fd, stall_probe_open_sched(), __ATOMIC_RELEASE);
	if (p->sched_fd >= 0)
		stall_probe_sched_cost(p, &hs);
	__atomic_store_n(&p->ready, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		stall_ns_to_ts(next, &ts);
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))
			continue;
		now = stall_now_ns();
		lat = now - next;

		w = __atomic_load_n(&p->req, __ATOMIC_ACQUIRE);
		if (w != cur) {
			/* gaps are counted only between wake-ups of one window */
			cur = w;
			prev = 0;
			__atomic_store_n(&p->ack, w, __ATOMIC_RELEASE);
		}
		gap = prev ? now - prev : 0;
		if (p->sched_fd >= 0)
			held = stall_probe_held(p, &hs, lat, gap, &slack);
#ifdef STALL_LAB
		if (cur)
			stall_hist_add(&cur->lat, lat);
#endif
		if (cur)
			stall_window_add(cur, now, gap, held, slack);
		prev = now;

		if (!cur) {
			next = now + STALL_PROBE_IDLE_NS;
			continue;
		}
#ifdef STALL_LAB
		/* keep the schedule's phase across a stall, count what it ate */
		for (next += p->period_ns; next <= now; next += p->period_ns)
			cur->missed++;
#else
		/* keep the schedule's phase across a stall */
		next += ((now - next) / p->period_ns + 1) * p->period_ns;
#endif
	}
	return NULL;
}

/*
 * Returns 0, or a negative errno: -EPERM where SCHED_FIFO is not allowed
 * (not root, or RT bandwidth not granted), -EINVAL for a CPU outside the
 * allowed set. Either is an unmet requirement, not a test failure.
 */
int stall_probe_start(struct stall_probe *p, int cpu, u64 period_ns, int prio)
{
	struct sched_param sp = { .sched_priority = prio };
	pthread_attr_t attr;
	cpu_set_t set;
	int ret;

	memset(p, 0, sizeof(*p));
	p->cpu = cpu;
	p->period_ns = period_ns;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	pthread_attr_setschedparam(&attr, &sp);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	p->sched_fd = -1;
	ret = pthread_create(&p->thread, &attr, stall_probe_main, p);
	pthread_attr_destroy(&attr);
	if (ret)
		return -ret;
	p->running = true;
	/* bounded: the thread only opens a file before it says it is ready */
	for (ret = 0; ret < 2000 && !__atomic_load_n(&p->ready, __ATOMIC_ACQUIRE); ret++)
		stall_sleep_ns(1000000);
	return 0;
}

/* Whether the windows carry the run-queue part of each gap (stall_window_max_held()). */
bool stall_probe_sees_held(const struct stall_probe *p)
{
	return __atomic_load_n(&p->sched_fd, __ATOMIC_ACQUIRE) >= 0;
}

/*
 * Make @w (or nothing, for NULL) the window the probe records into, and
 * wait until the probe has taken it, so that no sample of the old window
 * lands in the new one. The wait is bounded: a probe that does not wake up
 * within the bound is itself a stall the caller must report.
 */
int stall_probe_switch(struct stall_probe *p, struct stall_window *w)
{
	u64 bound = 100 * p->period_ns + STALL_PROBE_IDLE_NS, deadline;

	if (bound < STALL_PROBE_ACK_MIN_NS)
		bound = STALL_PROBE_ACK_MIN_NS;
	deadline = stall_now_ns() + bound;

	__atomic_store_n(&p->req, w, __ATOMIC_RELEASE);
	while (__atomic_load_n(&p->ack, __ATOMIC_ACQUIRE) != w) {
		if (stall_now_ns() > deadline)
			return -ETIMEDOUT;
		stall_sleep_ns(p->period_ns / 2 ? p->period_ns / 2 : 1000);
	}
	return 0;
}

/* The probe wakes every period, so it sees the stop flag within one; bounded anyway. */
int stall_probe_stop(struct stall_probe *p)
{
	struct timespec bound;
	int ret;

	if (!p->running)
		return 0;
	__atomic_store_n(&p->stop, true, __ATOMIC_RELEASE);
	clock_gettime(CLOCK_REALTIME, &bound);
	bound.tv_sec += 5;
	ret = pthread_timedjoin_np(p->thread, NULL, &bound);
	p->running = false;
	if (!ret && p->sched_fd >= 0)
		close(p->sched_fd);
	return -ret;
}
