/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small JSON writer for the stall tests' results file (-j): objects,
 * arrays, strings (escaped), integers, decimals (a non-finite one is
 * null) and booleans, built in memory and written out at the end, so that
 * an interrupted run leaves no half-written file.
 */
#ifndef SELFTEST_KVM_STALL_JSON_H
#define SELFTEST_KVM_STALL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>

#define STALL_JSON_MAX_DEPTH	16

struct stall_json {
	FILE *f;
	char *buf;
	size_t len;
	int depth;
	bool first[STALL_JSON_MAX_DEPTH];	/* no value yet at this depth */
	char close[STALL_JSON_MAX_DEPTH];	/* '}' or ']' */
	bool err;		/* nesting misused, or out of memory */
};

int stall_json_init(struct stall_json *j);
void stall_json_obj(struct stall_json *j, const char *key);
void stall_json_arr(struct stall_json *j, const char *key);
void stall_json_end(struct stall_json *j);
void stall_json_str(struct stall_json *j, const char *key, const char *val);
void stall_json_u64(struct stall_json *j, const char *key, u64 val);
void stall_json_s64(struct stall_json *j, const char *key, s64 val);
void stall_json_double(struct stall_json *j, const char *key, double val);
void stall_json_bool(struct stall_json *j, const char *key, bool val);
void stall_json_null(struct stall_json *j, const char *key);
const char *stall_json_text(struct stall_json *j);
int stall_json_check_dest(const char *path);
int stall_json_write(struct stall_json *j, const char *path);
void stall_json_free(struct stall_json *j);

#endif /* SELFTEST_KVM_STALL_JSON_H */
