/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Stall probe: a SCHED_FIFO thread pinned on the test CPU that wakes from a
 * timer at a fixed period, against absolute deadlines as cyclictest does,
 * and records its wake-up latency and the longest gap between two
 * consecutive wake-ups. While a non-preemptible section holds the CPU (a
 * stage-2 unmap batch under mmu_lock), the timer interrupt still fires but
 * the woken thread cannot run: the gap is the stall the rest of the system
 * sees on that CPU.
 */
#ifndef SELFTEST_KVM_STALL_PROBE_H
#define SELFTEST_KVM_STALL_PROBE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "stall_hist.h"

/*
 * The wait for the CPU that is not yet a stall: 1 ms. A NIC RX ring of
 * 1024 descriptors fills in 0.4 ms at 30 Gbit/s with 1500-byte frames and
 * in 2.5 ms with 9001-byte ones; drops, and the reported TCP timeouts,
 * begin around a millisecond. It is also one tick at HZ=1000.
 */
#define STALL_DEFAULT_ALLOW_NS		1000000ULL

#define STALL_PROBE_DEFAULT_PERIOD_NS	100000ULL	/* 100 us */
#define STALL_PROBE_DEFAULT_PRIO	90
#ifdef STALL_LAB
#define STALL_PROBE_HIST_US		20000		/* 20 ms of 1 us buckets */
#endif
#ifdef STALL_LAB
/* the longest waits of a window kept, for the kernel trace to attribute */
#define STALL_PROBE_HOLDS		32
#else
#define STALL_PROBE_HOLDS		1	/* the longest wait */
#endif

/*
 * What the probe saw in one window. A gap has two parts: the probe's timer
 * firing late (the CPU was not running this kernel at all: hypervisor
 * steal, interrupts off) and the probe, woken, waiting on the run queue
 * for the CPU (something non-preemptible held it). The second, "held", is
 * read from the scheduler's own accounting (/proc/<tid>/schedstat,
 * CONFIG_SCHED_INFO) and is what a stage-2 unmap under mmu_lock causes.
 */
struct stall_window {
#ifdef STALL_LAB
	struct stall_hist lat;
#endif
	u64 max_gap_ns;
#ifdef STALL_LAB
	u64 max_gap_end_ns;	/* CLOCK_MONOTONIC of the wake-up ending it */
#endif
#ifdef STALL_LAB
	u64 missed;	/* periods that went by without a wake-up */
#endif
	/* the longest waits, longest first */
	struct {
#ifdef STALL_LAB
		u64 end_ns;	/* the wake-up ending it (CLOCK_MONOTONIC) */
#endif
		u64 held_ns;
		u64 slack_ns;	/* how much longer it may have been */
	} holds[STALL_PROBE_HOLDS];
	int nr_holds;
};

struct stall_probe {
	int cpu;
	u64 period_ns;
	pthread_t thread;
	bool running;
	bool stop;
	bool ready;
	int sched_fd;		/* the probe's schedstat, -1 where the kernel has none */
	/* window the main thread asks for, and the one the probe records into */
	struct stall_window *req;
	struct stall_window *ack;
};

/* The longest wait on the run queue, a lower bound; 0 for none. */
static inline u64 stall_window_max_held(const struct stall_window *w)
{
	return w->nr_holds ? w->holds[0].held_ns : 0;
}

#ifdef STALL_LAB
int stall_window_init(struct stall_window *w);
void stall_window_free(struct stall_window *w);
#endif
void stall_window_reset(struct stall_window *w);

int stall_probe_start(struct stall_probe *p, int cpu, u64 period_ns, int prio);
int stall_probe_switch(struct stall_probe *p, struct stall_window *w);
int stall_probe_stop(struct stall_probe *p);
bool stall_probe_sees_held(const struct stall_probe *p);

u64 stall_now_ns(void);
void stall_sleep_ns(u64 ns);

#endif /* SELFTEST_KVM_STALL_PROBE_H */
