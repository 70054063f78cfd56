/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel measured from the inside: kprobe events on the stage-2 unmap
 * and destroy functions, in a tracefs instance of the test's own, give
 * every call the kernel made on the test CPU while a window was open: how
 * long it ran, the size it was asked for (for a per-batch function, the
 * kernel's real batch) and the call stack that led to it.
 *
 * The probes read the kernel's own description of the functions: sizes
 * and ranges are fetched by argument name (BTF, where the kernel has
 * CONFIG_PROBE_EVENTS_BTF_ARGS), a scalar by its number ($argN) where it
 * does not; a field of a structure only by name, and where BTF is missing
 * that argument is left out and the description says so. No structure
 * offset or register is written down here.
 *
 * Nothing outside the run's own event group and tracefs instance is
 * changed: the probes are appended to kprobe_events and deleted as a group,
 * enabling, triggers and the buffer are the instance's. Everything is
 * undone when the test ends, however it ends: at exit and on SIGINT,
 * SIGTERM, SIGHUP, SIGQUIT and SIGPIPE. A run killed with SIGKILL is cleaned up by
 * the next one: the group and the instance are named after the process
 * (PID, start time, PID namespace), and removed only once that process is
 * gone.
 */
#ifndef SELFTEST_KVM_STALL_TRACE_H
#define SELFTEST_KVM_STALL_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#define STALL_TRACE_MAX_FN	8
#define STALL_TRACE_STACK	192

enum stall_trace_role {
	STALL_TRACE_BATCH,	/* one call per stage-2 batch, mmu_lock held throughout */
	STALL_TRACE_RANGE,	/* a whole range, rescheduling between batches */
	STALL_TRACE_HOLD,	/* holds the CPU throughout; its size is no unmap batch */
};

/*
 * A probed function. @args names the size ("size=") or the range in
 * guest frames ("start=", "end=") by BTF; @args_nobtf fetches the same
 * without BTF, by argument number, or is NULL where only a structure's
 * field has it.
 */
struct stall_trace_fn {
	const char *name;
	const char *args;	/* NULL: the function has no size */
	const char *args_nobtf;
	enum stall_trace_role role;
	bool stack;		/* arm a stacktrace trigger on its entry */
};

struct stall_trace_fnstat {
	u64 calls;
	u64 max_ns;
	u64 total_ns;
	u64 size_min;
	u64 size_max;
};

/* The longest call that held the CPU (a batch or hold function). */
struct stall_trace_call {
	int fn;			/* index in stall_trace_fns[], -1 for none */
	u64 ns;		/* without the softirqs that ran inside it */
	u64 softirq_ns;	/* those softirqs' time */
	u64 start_ns;	/* CLOCK_MONOTONIC */
	u64 size;		/* 0 where the function has no size */
	char stack[STALL_TRACE_STACK];
};

/*
 * One of the probe's longest waits in a window, and the stage-2 work the
 * test CPU did while the probe waited: the calls that overlap it, each counted
 * for the part of its range that the overlap's share of its time stands
 * for. Only the innermost sized calls count (a whole-table destroy that
 * walks in sized chunks is those chunks); a whole-table walk without a
 * size counts as table_bytes, the guest's IPA space.
 */
struct stall_trace_hold {
	u64 start_ns;		/* CLOCK_MONOTONIC; start == end: no hold */
	u64 end_ns;
	u64 table_bytes;
	u64 work;		/* bytes of stage-2 range walked in the hold */
	u64 calls;		/* per-batch or walk calls that overlapped it */
	bool inside;		/* it overlapped a stage-2 function, range ones included */
	u64 softirq_ns;		/* softirq time inside it */
	int outer;		/* the range function around it, or the walk; -1 none */
	bool sparse;		/* a call in it walked a sparse range (a destroy) */
};

#define STALL_TRACE_HOLDS	32

/* ns per MiB in buckets of a quarter octave, for the typical per-batch rate */
#define STALL_TRACE_RATE_BINS	256

struct stall_trace_result {
	struct stall_trace_fnstat fn[STALL_TRACE_MAX_FN];
	struct stall_trace_call longest;
	struct stall_trace_hold hold[STALL_TRACE_HOLDS];
	int nr_holds;
	u64 rate_ns_per_mib;	/* per-batch calls' median rate by bytes, 0: none */
	u64 lost;		/* events the ring buffer dropped */
};

/* One parsed line of the instance's trace file. */
struct stall_trace_ev {
	enum { STALL_EV_NONE, STALL_EV_ENTRY, STALL_EV_RETURN, STALL_EV_STACK,
	       STALL_EV_FRAME, STALL_EV_SOFTIRQ_IN, STALL_EV_SOFTIRQ_OUT } kind;
	int cpu;
	int fn;
	u64 ts_ns;
	u64 size;
	char frame[64];
};

/* The pairing of entries and returns on the test CPU, line by line. */
struct stall_trace_acc {
	int cpu;
	int depth;
	struct {
		int fn;
		u64 ts_ns;
		u64 size;
		u64 softirq_ns;	/* acc's softirq_ns at the entry */
		bool sized_inside;	/* a sized call returned inside it */
	} open[8];
	int softirq_depth;
	u64 softirq_start;
	u64 softirq_ns;		/* softirq time on the CPU so far */
	char stack[STALL_TRACE_STACK];	/* the last complete stack on the CPU */
	char building[STALL_TRACE_STACK];
	int frames;
	u64 rate_bytes[STALL_TRACE_RATE_BINS];
	struct stall_trace_result *res;
};

extern const struct stall_trace_fn stall_trace_fns[];
extern const int stall_trace_nr_fns;

int stall_trace_start(int cpu, char *why, size_t len);
void stall_trace_describe(char *buf, size_t len);
int stall_trace_begin(void);
int stall_trace_end(struct stall_trace_result *res, const struct stall_trace_hold *holds, int n);
void stall_trace_stop(void);
int stall_trace_recover_stale(void);
bool stall_trace_active(void);

int stall_trace_parse(const char *line, struct stall_trace_ev *ev);
void stall_trace_acc_init(struct stall_trace_acc *acc, int cpu, struct stall_trace_result *res,
			  const struct stall_trace_hold *holds, int n);
void stall_trace_acc_line(struct stall_trace_acc *acc, const char *line);
void stall_trace_acc_done(struct stall_trace_acc *acc);
u64 stall_trace_observed_batch(const struct stall_trace_result *res, bool *exact);
u64 stall_trace_batch_ns(const struct stall_trace_result *res, u64 *calls);

#endif /* SELFTEST_KVM_STALL_TRACE_H */
