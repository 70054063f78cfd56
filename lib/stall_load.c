// SPDX-License-Identifier: GPL-2.0-only
/*
 * IO load generators: parsing, threads, phases and windows. The generators
 * themselves are in stall_load_net.c.
 */
#define _GNU_SOURCE
#ifdef STALL_LAB
#include <arpa/inet.h>
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/kernel.h>
#include <linux/types.h>

#include "stall_load.h"
#include "stall_parse.h"
#ifdef STALL_LAB
#include "stall_irq.h"
#endif
#include "stall_probe.h"
#include "stall_sys.h"

#define STALL_LOAD_JOIN_S	10

static const struct stall_load_kind *const stall_load_table[] = {
	&stall_load_net_kinds[0],
#ifdef STALL_LAB
	&stall_load_net_kinds[1],
	&stall_load_net_kinds[2],
	&stall_load_blk_kind,
#endif
};

const struct stall_load_kind *stall_load_kind_at(int i)
{
	return i < (int)ARRAY_SIZE(stall_load_table) ? stall_load_table[i] : NULL;
}

static const struct stall_load_kind *stall_load_kind(const char *name, size_t len)
{
	const struct stall_load_kind *k;
	int i;

	for (i = 0; (k = stall_load_kind_at(i)); i++)
		if (strlen(k->name) == len && !strncmp(k->name, name, len))
			return k;
	return NULL;
}

#ifdef STALL_LAB
static int stall_load_param(struct stall_load *l, const char *kv)
{
	if (!strncmp(kv, "msg=", 4))
		return stall_parse_size(kv + 4, &l->size);
	if (!strncmp(kv, "peer=", 5) && strlen(kv + 5) < sizeof(l->peer)) {
		struct in_addr a;

		/* a typo in the address is a usage error, not a skip at run time */
		if (inet_pton(AF_INET, kv + 5, &a) != 1)
			return -EINVAL;
		snprintf(l->peer, sizeof(l->peer), "%s", kv + 5);
		return 0;
	}
	if (!strncmp(kv, "ns=", 3) && strlen(kv + 3) < sizeof(l->ns)) {
		snprintf(l->ns, sizeof(l->ns), "%s", kv + 3);
		return 0;
	}
	if (!strncmp(kv, "bs=", 3))
		return stall_parse_size(kv + 3, &l->size);
	if (!strcmp(kv, "scratch=1")) {
		l->scratch = true;
		return 0;
	}
	if (!strncmp(kv, "qd=", 3)) {
		long n;

		/* a count, unlike bs=: no unit; and no queue holds nothing */
		if (stall_parse_count(kv + 3, 1024, &n) || !n)
			return -EINVAL;
		l->depth = n;
		return 0;
	}
	return -EINVAL;
}

/*
 * "tcp-stream", "tcp-stream:msg=9001B", "tcp-rr:msg=1K". Defaults follow
 * the 2024 report: 9001-byte messages.
 */
#else
/* "tcp-stream": 9001-byte messages, as in the 2024 report. */
#endif
int stall_load_parse(struct stall_load *l, const char *spec)
{
#ifdef STALL_LAB
	const char *colon = strchr(spec, ':');
	char copy[sizeof(l->spec)], *kv, *save;
	int i, ret;
#else
	int i;
#endif

	memset(l, 0, sizeof(*l));
	snprintf(l->spec, sizeof(l->spec), "%s", spec);
#ifdef STALL_LAB
	l->kind = stall_load_kind(spec, colon ? (size_t)(colon - spec) : strlen(spec));
	if (!l->kind || strlen(spec) >= sizeof(copy))
		return -EINVAL;
#else
	l->kind = stall_load_kind(spec, strlen(spec));
	if (!l->kind)
		return -EINVAL;
#endif
	l->window_ns = STALL_LOAD_DEFAULT_WINDOW_NS;
	l->size = 9001;
#ifdef STALL_LAB
	if (!strcmp(l->kind->name, "tcp-rr"))
		l->size = 64;
	if (!strcmp(l->kind->name, "blk"))
		l->size = 4096;
	l->depth = 128;
	if (colon) {
		/* "tcp-rr:", "tcp-rr::msg=1K": an empty parameter is a typo, not a default */
		if (!colon[1] || strstr(colon, "::") || spec[strlen(spec) - 1] == ':')
			return -EINVAL;
		snprintf(copy, sizeof(copy), "%s", colon + 1);
		/* -ENODATA, a size without its unit, goes back for the usage error */
		for (kv = strtok_r(copy, ":", &save); kv; kv = strtok_r(NULL, ":", &save)) {
			ret = stall_load_param(l, kv);
			if (ret)
				return ret;
		}
	}
	if (!l->size || l->size > (64 << 20))
		return -EINVAL;
	/*
	 * O_DIRECT writes must be whole logical blocks (512 bytes at least);
	 * the buffer, bs x qd, is touched and stays resident: 256 MiB at most.
	 */
	if (!strcmp(l->kind->name, "blk") &&
	    (!l->depth || l->size % 512 || l->size * l->depth > STALL_LOAD_BLK_MAX_BUF))
		return -EINVAL;
#endif
	for (i = 0; i < (int)ARRAY_SIZE(l->fd); i++)
		l->fd[i] = -1;
#ifdef STALL_LAB
	for (i = 0; i < STALL_LOAD_NR_PHASES; i++)
		if (stall_hist_init(&l->ph[i].lat, STALL_PROBE_HIST_US))
			return -ENOMEM;
#endif
	return 0;
}

#ifdef STALL_LAB
/* What stall_load_parse() allocated, for a load that will not run. */
void stall_load_free(struct stall_load *l)
{
	int i;

	for (i = 0; i < STALL_LOAD_NR_PHASES; i++)
		stall_hist_free(&l->ph[i].lat);
}

static u64 stall_load_cpu_ns(struct stall_load *l)
{
	struct timespec ts;
	clockid_t cid;
	u64 sum = 0;
	int i;

	for (i = 0; i < l->nr_running; i++) {
		if (pthread_getcpuclockid(l->thread[i], &cid) || clock_gettime(cid, &ts))
			continue;
		sum += ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	}
	return sum;
}
#endif

/* Threads go round-robin onto @cpus. */
int stall_load_start(struct stall_load *l, const int *cpus, int nr_cpus)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int i, ret;

	ret = l->kind->setup(l);
	if (ret)
		return ret;
	for (i = 0; i < l->kind->nr_threads; i++) {
		CPU_ZERO(&set);
		CPU_SET(cpus[i % nr_cpus], &set);
		pthread_attr_init(&attr);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		ret = pthread_create(&l->thread[i], &attr, l->kind->thread[i], l);
		pthread_attr_destroy(&attr);
		if (ret) {
			snprintf(l->err, sizeof(l->err), "pthread_create: %s", strerror(ret));
			stall_load_stop(l);
			return -ret;
		}
		l->nr_running++;
	}
	return 0;
}

/* Every generator loop checks the stop flag at least once a second. */
void stall_load_stop(struct stall_load *l)
{
	struct timespec bound;
	int i, ret;

	__atomic_store_n(&l->stop, true, __ATOMIC_RELEASE);
	clock_gettime(CLOCK_REALTIME, &bound);
	bound.tv_sec += STALL_LOAD_JOIN_S;
	for (i = 0; i < l->nr_running; i++) {
		ret = pthread_timedjoin_np(l->thread[i], NULL, &bound);
		if (ret)
			fprintf(stderr, "load %s: thread %d did not stop within %d s\n", l->spec,
				i, STALL_LOAD_JOIN_S);
	}
	l->nr_running = 0;
	l->kind->teardown(l);
}

void stall_load_set_phase(struct stall_load *l, enum stall_load_phase phase)
{
	int old = __atomic_load_n(&l->phase, __ATOMIC_ACQUIRE);
#ifdef STALL_LAB
	u64 now = stall_now_ns(), cpu = stall_load_cpu_ns(l);
#else
	u64 now = stall_now_ns();
#endif
	struct stall_load_phase_stats *s = &l->ph[phase];

#ifdef STALL_LAB
	if (old != STALL_LOAD_IDLE) {
		l->ph[old].end_ns = now;
		l->ph[old].cpu_ns = cpu - l->ph[old].cpu_start_ns;
	}
#else
	if (old != STALL_LOAD_IDLE)
		l->ph[old].end_ns = now;
#endif
	if (phase != STALL_LOAD_IDLE) {
#ifdef STALL_LAB
		stall_hist_reset(&s->lat);
#else
		s->lat_max_ns = 0;
#endif
		memset(s->units, 0, sizeof(s->units));
		s->start_ns = now;
		s->end_ns = 0;
#ifdef STALL_LAB
		s->cpu_start_ns = cpu;
#endif
	}
	__atomic_store_n(&l->phase, phase, __ATOMIC_RELEASE);
}

static int stall_load_rates(struct stall_load *l, enum stall_load_phase phase, double *rates)
{
	struct stall_load_phase_stats *s = &l->ph[phase];

	return stall_load_window_rates(s->units, s->end_ns - s->start_ns, l->window_ns, rates,
				       STALL_MAX_WINDOWS);
}

#ifdef STALL_LAB
/*
 * Throughput over time: the teardown's windows merged f at a time so that
 * they fit the series, and the baseline's last windows at the same
 * resolution before them.
 */
static void stall_load_series(struct stall_load *l, struct stall_load_result *r,
			      const double *base, int nb, const double *meas, int nm)
{
	const int meas_max = STALL_LOAD_SERIES - STALL_LOAD_SERIES_BASE;
	int f = nm > meas_max ? (nm + meas_max - 1) / meas_max : 1;

	r->series_window_ns = l->window_ns * f;
	r->nr_base = stall_load_merge_rates(base, nb, f, STALL_LOAD_SERIES_BASE, r->series);
	r->nr_meas = stall_load_merge_rates(meas, nm, f, meas_max, r->series + r->nr_base);
}
#endif

/* After a baseline and a teardown phase, with the load back in IDLE. */
void stall_load_summarize(struct stall_load *l, struct stall_load_result *r)
{
	static double rates[STALL_MAX_WINDOWS], meas_rates[STALL_MAX_WINDOWS];
	struct stall_load_phase_stats *base = &l->ph[STALL_LOAD_BASE];
	struct stall_load_phase_stats *meas = &l->ph[STALL_LOAD_MEAS];
	int n, nm;

	memset(r, 0, sizeof(*r));
	n = stall_load_rates(l, STALL_LOAD_BASE, rates);
	r->base_median = stall_median_double(rates, n);
	r->base_worst = stall_min_double(rates, n);
	nm = stall_load_rates(l, STALL_LOAD_MEAS, meas_rates);
	r->meas_worst = stall_min_double(meas_rates, nm);
#ifdef STALL_LAB
	stall_load_series(l, r, rates, n, meas_rates, nm);
	r->ops = meas->lat.count;
	r->base_max_ns = base->lat.max_ns;
	r->meas_max_ns = meas->lat.max_ns;
	r->meas_p50_ns = stall_hist_percentile_ns(&meas->lat, 50.0);
	r->meas_p99_ns = stall_hist_percentile_ns(&meas->lat, 99.0);
	if (base->end_ns > base->start_ns)
		r->cpu_pct = 100.0 * base->cpu_ns / (base->end_ns - base->start_ns);
#else
	r->base_max_ns = base->lat_max_ns;
	r->meas_max_ns = meas->lat_max_ns;
#endif
}

#ifdef STALL_LAB
/*
 * Interrupts of a virtio device, by the names its transport gives them in
 * /proc/interrupts: "virtio1-req.0" over PCI, "virtio1" over MMIO. The
 * config-change vector carries no IO.
 */
int stall_load_virtio_irqs(struct stall_load *l, const char *virtio)
{
	size_t len = strlen(virtio);
	char line[512], *name;
	FILE *f = fopen("/proc/interrupts", "r");
	int irq;

	while (f && fgets(line, sizeof(line), f) && l->nr_irqs < STALL_LOAD_MAX_IRQS) {
		line[strcspn(line, "\n")] = '\0';
		name = strrchr(line, ' ');
		irq = strtol(line, NULL, 10);
		if (!name || irq <= 0 || strncmp(++name, virtio, len) ||
		    (name[len] && name[len] != '-') || strstr(name, "-config"))
			continue;
		l->irq[l->nr_irqs++] = irq;
	}
	if (f)
		fclose(f);
	return l->nr_irqs ? 0 : -ENOENT;
}

/* Steer the load's device interrupts to the test CPU; a load without any is skipped. */
static void stall_load_place_irqs(struct stall_load *l, int test_cpu)
{
	int i, ret;

	if (!l->kind->find_irqs || l->kind->find_irqs(l)) {
		l->skipped = true;
		return;
	}
	for (i = 0; i < l->nr_irqs; i++) {
		ret = stall_irq_steer(l->irq[i], test_cpu);
		if (ret) {
			snprintf(l->err, sizeof(l->err), "IRQ %d cannot be steered to CPU %d: %s%s",
				 l->irq[i], test_cpu, strerror(-ret),
				 ret == -EIO ? " (managed by the kernel)" : "");
			l->skipped = true;
			return;
		}
	}
}
#endif

/*
 * Start every load of the set for one repetition, their threads
 * round-robin on @cpus. A load that cannot run here (no socket, no memory)
 * is marked skipped with its reason, and the others go on.
 */
void stall_loads_start(struct stall_load *loads, int n, const int *cpus, int nr_cpus)
{
	int i, ret;

	for (i = 0; i < n; i++) {
		struct stall_load *l = &loads[i];

		/* the reasons of the previous repetition are stale */
		l->err[0] = '\0';
		l->stop = false;
		l->phase = STALL_LOAD_IDLE;
		l->skipped = false;
		ret = stall_load_start(l, cpus, nr_cpus);
		if (ret) {
			if (!l->err[0])
				snprintf(l->err, sizeof(l->err), "%s", strerror(-ret));
			l->skipped = true;
		}
	}
}

#ifdef STALL_LAB
/* -P irq: each running load's device interrupts onto the test CPU. */
void stall_loads_place_irqs(struct stall_load *loads, int n, int test_cpu)
{
	int i;

	for (i = 0; i < n; i++) {
		loads[i].nr_irqs = 0;
		if (!loads[i].skipped)
			stall_load_place_irqs(&loads[i], test_cpu);
	}
}
#endif

void stall_loads_phase(struct stall_load *loads, int n, enum stall_load_phase phase)
{
	int i;

	for (i = 0; i < n; i++)
		if (!loads[i].skipped)
			stall_load_set_phase(&loads[i], phase);
}

void stall_loads_stop(struct stall_load *loads, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (loads[i].nr_running || loads[i].priv)
			stall_load_stop(&loads[i]);
}

/*
 * A teardown window fails the rate budget only when it is below both the
 * budget's floor (baseline median x (1 - max_dip)) and the baseline's own
 * worst window: a dip the machine showed without any teardown is noise.
 * Operation latency gets the stall allowance on top of the baseline's worst.
 */
void stall_load_judge(const struct stall_budget *b, double base_median, double base_worst,
		      double meas_worst, u64 base_max_ns, u64 meas_max_ns,
		      struct stall_load_verdict *v)
{
	double floor = base_median * (1.0 - b->max_dip);

	memset(v, 0, sizeof(*v));
	v->rate_floor = base_worst < floor ? base_worst : floor;
	v->dip = base_median > 0.0 ? 1.0 - meas_worst / base_median : 0.0;
	v->rate_ok = meas_worst >= v->rate_floor;
	v->lat_limit_ns = stall_budget_stall_limit(b, base_max_ns);
	v->lat_ok = meas_max_ns <= v->lat_limit_ns;
}

/*
 * Units (bytes or operations) per second in each window of a phase of
 * @phase_ns: every full window, and a last partial one if it covers at
 * least half a window (a sliver would be all noise). Returns the count.
 */
int stall_load_window_rates(const u64 *units, u64 phase_ns, u64 window_ns, double *rates,
			    int max)
{
	u64 full = phase_ns / window_ns, rest = phase_ns % window_ns;
	int i, n = 0;

	for (i = 0; i < (int)full && n < max; i++)
		rates[n++] = (double)units[i] * 1e9 / (double)window_ns;
	if (rest * 2 >= window_ns && n < max) {
		rates[n] = (double)units[n] * 1e9 / (double)rest;
		n++;
	}
	return n;
}

#ifdef STALL_LAB
/*
 * For a plot of throughput over time: the rates of n windows, merged f
 * at a time (their mean; a last, partial group is the mean of what it
 * has), keeping the last "keep" merged values (the baseline's end, just
 * before the operation) or, with keep < 0, all of them (out sized for
 * (n + f - 1) / f). Returns how many it wrote to out.
 */
int stall_load_merge_rates(const double *rates, int n, int f, int keep, float *out)
{
	int groups, first = 0, g, i, k, w;
	double sum;

	if (f < 1 || n <= 0)
		return 0;
	groups = (n + f - 1) / f;
	if (keep >= 0 && groups > keep)
		first = groups - keep;
	for (g = first, k = 0; g < groups; g++, k++) {
		sum = 0.0;
		for (i = g * f, w = 0; i < n && w < f; i++, w++)
			sum += rates[i];
		out[k] = sum / w;
	}
	return k;
}
#endif

static int stall_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of up to STALL_MAX_WINDOWS values, the lower middle one when even. */
double stall_median_double(const double *v, int n)
{
	static double tmp[STALL_MAX_WINDOWS];

	if (n <= 0)
		return 0.0;
	if (n > STALL_MAX_WINDOWS)
		n = STALL_MAX_WINDOWS;
	memcpy(tmp, v, n * sizeof(*tmp));
	qsort(tmp, n, sizeof(*tmp), stall_cmp_double);
	return tmp[(n - 1) / 2];
}

double stall_min_double(const double *v, int n)
{
	double m = n > 0 ? v[0] : 0.0;
	int i;

	for (i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

/* Medians over repetitions of one load's results. */
void stall_load_medians(int n, struct stall_load_result *rep, struct stall_load_result *m)
{
	/* zeroed: the compiler cannot see that only the first @n are read */
#ifdef STALL_LAB
	double d[4][STALL_MAX_REPS] = {};
	u64 u[5][STALL_MAX_REPS] = {};
#else
	double d[3][STALL_MAX_REPS] = {};
	u64 u[2][STALL_MAX_REPS] = {};
#endif
	int i;

	for (i = 0; i < n; i++) {
		d[0][i] = rep[i].base_median;
		d[1][i] = rep[i].base_worst;
		d[2][i] = rep[i].meas_worst;
		u[0][i] = rep[i].base_max_ns;
		u[1][i] = rep[i].meas_max_ns;
#ifdef STALL_LAB
		d[3][i] = rep[i].cpu_pct;
		u[2][i] = rep[i].meas_p50_ns;
		u[3][i] = rep[i].meas_p99_ns;
		u[4][i] = rep[i].ops;
#endif
	}
	m->base_median = stall_median_double(d[0], n);
	m->base_worst = stall_median_double(d[1], n);
	m->meas_worst = stall_median_double(d[2], n);
	m->base_max_ns = stall_median_u64(u[0], n);
	m->meas_max_ns = stall_median_u64(u[1], n);
#ifdef STALL_LAB
	m->cpu_pct = stall_median_double(d[3], n);
	m->meas_p50_ns = stall_median_u64(u[2], n);
	m->meas_p99_ns = stall_median_u64(u[3], n);
	m->ops = stall_median_u64(u[4], n);
#endif
}
