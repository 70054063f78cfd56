// SPDX-License-Identifier: GPL-2.0-only
/*
 * A sweep point's diagnostic lines: what the point measured and what
 * held the CPU.
 */
#include <stdio.h>
#include <linux/types.h>

#include "kselftest.h"
#include "stall_result.h"
#include "stall_lab.h"

#define US(ns)	STALL_US(ns)

/* sizes in 16-byte buffers */
static const char *fmt_size(u64 bytes, char *buf)
{
	return stall_fmt_size(bytes, buf, 16);
}

const char *const stall_class_names[] = {
	[STALL_OK] = "ok", [STALL_HELD] = "held", [STALL_NOISY] = "noisy",
};

static double gibps(u64 bytes, u64 ns)
{
	return ns ? (double)bytes / (1 << 30) / ((double)ns / 1e9) : 0.0;
}

/* The lab kit's keys at @at of the line, @n characters of @len written. */
static size_t lab_keys(struct stall_params *p, const struct stall_result *res,
		       enum stall_keys_at at, char *line, size_t n, size_t len)
{
	if (!stall_lab()->point_keys || n >= len)
		return 0;
	return stall_lab()->point_keys(p, res, at, line + n, len - n);
}

/* One "key=value" line per point, for people and for scripts alike. */
void stall_report_figures(struct stall_params *p, const struct stall_mode *mode,
			  struct stall_result *res, u64 best_time_ns)
{
	struct stall_rep *r = &res->rep[res->worst];
	u64 gaps[STALL_MAX_REPS];
	char line[768], bs[16], ss[16], held[24];
	size_t n;
	int i;

	for (i = 0; i < res->nr_reps; i++)
		gaps[i] = res->rep[i].meas.gap_ns;
	snprintf(held, sizeof(held), "%lu", US(res->held_ns));
	n = snprintf(line, sizeof(line), "point mode=%s batch=%s size=%s ops=%lu",
		     mode->name, mode->batched ? fmt_size(res->batch, bs) : "n/a",
		     fmt_size(p->size, ss), (unsigned long)r->nr_ops);
	n += snprintf(line + n, sizeof(line) - n, " time_us=%lu gibps=%.2f", US(res->time_ns),
		      gibps(p->size, res->time_ns));
	n += snprintf(line + n, sizeof(line) - n, " populate_us=%lu populate_gibps=%.2f",
		      US(r->populate_ns), gibps(p->size, r->populate_ns));
	n += lab_keys(p, res, STALL_KEYS_PROBE, line, n, sizeof(line));
	n += snprintf(line + n, sizeof(line) - n,
		      " stall_us=%lu stall_max_us=%lu held_us=%s ctl_us=%lu base_us=%lu",
		      US(res->gap_ns), US(stall_max_u64(gaps, res->nr_reps)),
		      res->held_ns == STALL_NS_UNKNOWN ? "n/a" : held, US(res->ctl_gap_ns),
		      US(res->base_gap_ns));
	n += lab_keys(p, res, STALL_KEYS_RULE, line, n, sizeof(line));
	n += snprintf(line + n, sizeof(line) - n,
		      " budget_us=%lu window_us=%lu time_x=%.2f verdict=%s judged=%d/%d",
		      US(r->v.stall_limit_ns), US(r->window_ns),
		      best_time_ns ? (double)res->time_ns / best_time_ns : 0.0,
		      stall_class_names[res->cls], res->judged, res->nr_reps);
	lab_keys(p, res, STALL_KEYS_HOLD, line, n, sizeof(line));
	ksft_print_msg("%s\n", line);
}
