/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Command-line parsers of the stall tests: sizes, durations and lists.
 *
 * Unlike test_util's parse_size(), which asserts, these return -EINVAL so
 * that a test can print a usage error naming the bad value, and -ENODATA
 * for a size or duration given as a bare number, so that the error can
 * name the units: a unit is never assumed.
 */
#ifndef SELFTEST_KVM_STALL_PARSE_H
#define SELFTEST_KVM_STALL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#define STALL_MAX_LIST		32

/* the units the parsers take, for the errors and -h */
#define STALL_DURATION_UNITS	"ns, us, ms, s"

int stall_parse_decimal(const char *str, double *v, const char **end);
int stall_parse_duration(const char *str, u64 *ns);
int stall_parse_count(const char *str, long max, long *v);
int stall_parse_cpu(const char *str, long *cpu);
void stall_parse_option_msg(int argc, char *argv[], int opt);
void stall_parse_value_msg(const char *prog, const char *what, const char *val, int ret,
			   const char *units);

#define STALL_SIZE_UNITS	"B, K, M, G, T"
/* 1P: -B's largest */
#define STALL_MAX_BATCH		(1024ULL * 1024 * 1024 * 1024 * 1024)

/* "all" in a batch list: the whole region in one operation. */
#define STALL_BATCH_ALL		UINT64_MAX

int stall_parse_size(const char *str, u64 *bytes);
#ifdef STALL_LAB
int stall_parse_ratio(const char *str, double max, double *v);
#endif
bool stall_parse_list_has_empty(const char *str);
int stall_parse_batch_list(const char *str, u64 granule, u64 *batch,
			   int max, int *nr, const char **bad);
int stall_parse_name_list(const char *str, const char *const *names, int nr_names,
			  u64 *mask, const char **bad);
const char *stall_fmt_size(u64 bytes, char *buf, size_t len);

#endif /* SELFTEST_KVM_STALL_PARSE_H */
