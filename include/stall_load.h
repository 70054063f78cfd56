/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IO load generators that run on the test CPU while a teardown runs
 * there, as in the 2024 report. Each load records how long its operations
 * took (a stream's: the gaps between deliveries) and the units it moved
 * (bytes, or operations) in 10 ms windows, separately for the baseline
 * and the teardown phase.
 */
#ifndef SELFTEST_KVM_STALL_LOAD_H
#define SELFTEST_KVM_STALL_LOAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "stall_budget.h"
#include "stall_hist.h"

#define STALL_LOAD_DEFAULT_WINDOW_NS	(10ULL * 1000 * 1000)
#define STALL_DEFAULT_MAX_DIP		0.9	/* IO keeps a tenth of its rate */
#define STALL_MAX_WINDOWS		8192	/* 82 s of 10 ms windows */
#define STALL_LOAD_MAX		4
#define STALL_LOAD_MAX_THREADS	2
#ifdef STALL_LAB
#define STALL_LOAD_MAX_IRQS	8
/* the blk load's buffer, bs x qd, touched and resident for the run */
#define STALL_LOAD_BLK_MAX_BUF	(256ULL << 20)
#endif

enum stall_load_phase {
	STALL_LOAD_IDLE,
	STALL_LOAD_BASE,
	STALL_LOAD_MEAS,
	STALL_LOAD_NR_PHASES,
};

#ifdef STALL_LAB
/* a load's throughput series: 16 windows of baseline, 112 of teardown */
#define STALL_LOAD_SERIES_BASE	16
#define STALL_LOAD_SERIES	128
#endif

struct stall_load_phase_stats {
#ifdef STALL_LAB
	struct stall_hist lat;
#else
	u64 lat_max_ns;		/* the longest operation */
#endif
	u64 units[STALL_MAX_WINDOWS];
	u64 start_ns;
	u64 end_ns;
#ifdef STALL_LAB
	u64 cpu_start_ns;
	u64 cpu_ns;
#endif
};

struct stall_load;

struct stall_load_kind {
	const char *name;
	const char *help;
	const char *unit;	/* what the windows count: "B" or "op" */
	int nr_threads;
	int (*setup)(struct stall_load *l);
	void (*teardown)(struct stall_load *l);
#ifdef STALL_LAB
	int (*find_irqs)(struct stall_load *l);	/* device interrupts, for -P irq */
#endif

	/* the generator's threads, nr_threads of them */
	void *(*thread[STALL_LOAD_MAX_THREADS])(void *arg);
};

struct stall_load {
	const struct stall_load_kind *kind;
	char spec[160];
	u64 size;		/* message (or block) size */
#ifdef STALL_LAB
	int depth;		/* block queue depth */
	const char *dir;	/* where the block load's file goes */
	bool scratch;		/* blk: the device's signature may be overwritten */
#endif
#ifdef STALL_LAB
	char peer[32];		/* TCP loads: the server's address, loopback if empty */
	char ns[96];		/* and the network namespace it listens in */
#endif
	u64 window_ns;	/* throughput window */

	int phase;
	bool stop;
	struct stall_load_phase_stats ph[STALL_LOAD_NR_PHASES];
	pthread_t thread[STALL_LOAD_MAX_THREADS];
	int nr_running;
#ifdef STALL_LAB
	int irq[STALL_LOAD_MAX_IRQS];
	int nr_irqs;
#endif
	int fd[4];
	void *priv;
	bool skipped;		/* could not run: err says why */
#ifdef STALL_LAB
	int io_errno;		/* the first failed operation's error, 0 for none */
#endif
	char err[128];
};

/* What one repetition of a point measured on one load. */
struct stall_load_result {
	double base_median;	/* units per second */
	double base_worst;
	double meas_worst;
	u64 base_max_ns;
	u64 meas_max_ns;
#ifdef STALL_LAB
	u64 meas_p50_ns;
	u64 meas_p99_ns;
	double cpu_pct;		/* the load's own threads, baseline, % of one CPU */
	u64 ops;
	/*
	 * Throughput over time for a report, units per second: the
	 * baseline's last nr_base merged windows, then the teardown's
	 * nr_meas, each series_window_ns long.
	 */
	float series[STALL_LOAD_SERIES];
	int nr_base;
	int nr_meas;
	u64 series_window_ns;
#endif
};

/* A load's throughput and operation latency, baseline against teardown. */
struct stall_load_verdict {
	double dip;		/* 1 - worst teardown window / baseline median */
	double rate_floor;	/* the lowest window rate that passes */
	u64 lat_limit_ns;
	bool rate_ok;
	bool lat_ok;
};

#ifdef STALL_LAB
extern const struct stall_load_kind stall_load_net_kinds[3];
#else
extern const struct stall_load_kind stall_load_net_kinds[1];
#endif
#ifdef STALL_LAB
extern const struct stall_load_kind stall_load_blk_kind;
#endif

const struct stall_load_kind *stall_load_kind_at(int i);

#ifdef STALL_LAB
void stall_load_free(struct stall_load *l);
#endif
int stall_load_parse(struct stall_load *l, const char *spec);
int stall_load_start(struct stall_load *l, const int *cpus, int nr_cpus);
void stall_load_stop(struct stall_load *l);
void stall_load_set_phase(struct stall_load *l, enum stall_load_phase phase);
void stall_load_summarize(struct stall_load *l, struct stall_load_result *r);
#ifdef STALL_LAB
int stall_load_virtio_irqs(struct stall_load *l, const char *virtio);
#endif

void stall_loads_start(struct stall_load *loads, int n, const int *cpus, int nr_cpus);
#ifdef STALL_LAB
void stall_loads_place_irqs(struct stall_load *loads, int n, int test_cpu);
#endif
void stall_loads_phase(struct stall_load *loads, int n, enum stall_load_phase phase);
void stall_loads_stop(struct stall_load *loads, int n);

void stall_load_judge(const struct stall_budget *b, double base_median, double base_worst,
		      double meas_worst, u64 base_max_ns, u64 meas_max_ns,
		      struct stall_load_verdict *v);
void stall_load_medians(int n, struct stall_load_result *rep, struct stall_load_result *m);
int stall_load_window_rates(const u64 *units, u64 phase_ns, u64 window_ns, double *rates,
			    int max);
#ifdef STALL_LAB
int stall_load_merge_rates(const double *rates, int n, int f, int keep, float *out);
#endif
double stall_median_double(const double *v, int n);
double stall_min_double(const double *v, int n);

/* Called by the generators' recording thread: one per load, lock-free. */
static inline void stall_load_record(struct stall_load *l, u64 now, u64 lat_ns,
				     u64 units)
{
	int p = __atomic_load_n(&l->phase, __ATOMIC_ACQUIRE);
	struct stall_load_phase_stats *s = &l->ph[p];
	u64 w;

	if (p == STALL_LOAD_IDLE || now < s->start_ns)
		return;
#ifdef STALL_LAB
	stall_hist_add(&s->lat, lat_ns);
#else
	if (lat_ns > s->lat_max_ns)
		s->lat_max_ns = lat_ns;
#endif
	w = (now - s->start_ns) / l->window_ns;
	if (w < STALL_MAX_WINDOWS)
		s->units[w] += units;
}

static inline bool stall_load_stopping(struct stall_load *l)
{
	return __atomic_load_n(&l->stop, __ATOMIC_ACQUIRE);
}

#endif /* SELFTEST_KVM_STALL_LOAD_H */
