// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stall probe: timer-driven SCHED_FIFO thread measuring how long its CPU
 * was unavailable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "stall_probe.h"

/* How long stall_probe_switch() waits for the probe to take a new window. */
#define STALL_PROBE_ACK_MIN_NS	(2ULL * 1000 * 1000 * 1000)
/*
 * Between windows the probe only looks for the next one: waking every
 * period then would take CPU time from the test CPU for nothing (half of
 * an emulated CPU at 100 us), slowing the populate phase.
 */
#define STALL_PROBE_IDLE_NS	(10ULL * 1000 * 1000)

uint64_t stall_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void stall_ns_to_ts(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = ns / 1000000000ULL;
	ts->tv_nsec = ns % 1000000000ULL;
}

void stall_sleep_ns(uint64_t ns)
{
	struct timespec ts;

	stall_ns_to_ts(stall_now_ns() + ns, &ts);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int stall_window_init(struct stall_window *w)
{
	memset(w, 0, sizeof(*w));
	return stall_hist_init(&w->lat, STALL_PROBE_HIST_US);
}

void stall_window_reset(struct stall_window *w)
{
	stall_hist_reset(&w->lat);
	w->max_gap_ns = 0;
	w->missed = 0;
}

void stall_window_free(struct stall_window *w)
{
	stall_hist_free(&w->lat);
}

static void stall_window_add(struct stall_window *w, uint64_t lat, uint64_t gap)
{
	stall_hist_add(&w->lat, lat);
	if (gap > w->max_gap_ns)
		w->max_gap_ns = gap;
}

static void *stall_probe_main(void *arg)
{
	struct stall_probe *p = arg;
	struct stall_window *cur = NULL, *w;
	uint64_t next = stall_now_ns() + p->period_ns, now, prev = 0;
	struct timespec ts;

	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		stall_ns_to_ts(next, &ts);
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))
			continue;
		now = stall_now_ns();

		w = __atomic_load_n(&p->req, __ATOMIC_ACQUIRE);
		if (w != cur) {
			/* gaps are counted only between wake-ups of one window */
			cur = w;
			prev = 0;
			__atomic_store_n(&p->ack, w, __ATOMIC_RELEASE);
		}
		if (cur)
			stall_window_add(cur, now - next, prev ? now - prev : 0);
		prev = now;

		if (!cur) {
			next = now + STALL_PROBE_IDLE_NS;
			continue;
		}
		/* keep the schedule's phase across a stall, count what it ate */
		for (next += p->period_ns; next <= now; next += p->period_ns)
			cur->missed++;
	}
	return NULL;
}

/*
 * Returns 0, or a negative errno: -EPERM where SCHED_FIFO is not allowed
 * (not root, or RT bandwidth not granted), -EINVAL for a CPU outside the
 * allowed set. Either is an unmet requirement, not a test failure.
 */
int stall_probe_start(struct stall_probe *p, int cpu, uint64_t period_ns, int prio)
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
	ret = pthread_create(&p->thread, &attr, stall_probe_main, p);
	pthread_attr_destroy(&attr);
	if (ret)
		return -ret;
	p->running = true;
	return 0;
}

/*
 * Make @w (or nothing, for NULL) the window the probe records into, and
 * wait until the probe has taken it, so that no sample of the old window
 * lands in the new one. The wait is bounded: a probe that does not wake up
 * within the bound is itself a stall the caller must report.
 */
int stall_probe_switch(struct stall_probe *p, struct stall_window *w)
{
	uint64_t bound = 100 * p->period_ns + STALL_PROBE_IDLE_NS, deadline;

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
	return -ret;
}
