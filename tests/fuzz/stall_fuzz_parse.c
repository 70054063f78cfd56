// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the stall suite's value parsers: sizes, durations,
 * decimals and ratios, CPU numbers, batch and name lists, load specs. The
 * first byte picks the parser, the rest is the string. Besides what ASan
 * and UBSan catch, each accepted value must satisfy what the test relies
 * on, and each refused list must name its bad item; a violation aborts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "stall_load.h"
#include "stall_parse.h"
#include "stall_sys.h"
#include "stall_fuzz.h"

static const char *const fuzz_names[] = { "munmap", "madvise", "punch", "vm-destroy" };

static void fuzz_size(const char *s)
{
	u64 v, again;
	char buf[32];

	if (stall_parse_size(s, &v)) {
		/* a unit is never assumed */
		return;
	}
	FUZZ_CHECK(*s >= '0' && *s <= '9' && strspn(s, "0123456789") < strlen(s));
	/* what the test prints must read back as the same size */
	if (v != STALL_BATCH_ALL) {
		FUZZ_CHECK(!stall_parse_size(stall_fmt_size(v, buf, sizeof(buf)), &again));
		FUZZ_CHECK(again == v);
	}
}

static void fuzz_duration(const char *s)
{
	u64 ns;
	int ret = stall_parse_duration(s, &ns);

	if (!ret)
		FUZZ_CHECK(*s >= '0' && *s <= '9');
	/* a unit is never assumed: a bare number is refused as such */
	if (*s && strspn(s, "0123456789.") == strlen(s))
		FUZZ_CHECK(ret);
}

static void fuzz_decimal(const char *s)
{
	const char *end;
	double v;

	if (stall_parse_decimal(s, &v, &end))
		return;
	FUZZ_CHECK(isfinite(v) && v >= 0);
	FUZZ_CHECK(end > s && end <= s + strlen(s));
}

static void fuzz_ratio(const char *s)
{
	double v;

	if (!stall_parse_ratio(s, 100.0, &v))
		FUZZ_CHECK(isfinite(v) && v >= 0 && v <= 100.0);
}

static void fuzz_cpu(const char *s)
{
	long cpu;

	if (!stall_parse_cpu(s, &cpu))
		FUZZ_CHECK(cpu >= 0 && cpu < 4096);
}

static void fuzz_batch_list(const char *s)
{
	u64 batch[STALL_MAX_LIST];
	const char *bad;
	int nr = 0, i;

	if (stall_parse_batch_list(s, 4096, batch, STALL_MAX_LIST, &nr, &bad)) {
		/* the usage error names the value */
		FUZZ_CHECK(bad);
		return;
	}
	FUZZ_CHECK(nr >= 1 && nr <= STALL_MAX_LIST);
	for (i = 0; i < nr; i++)
		FUZZ_CHECK(batch[i] == STALL_BATCH_ALL || (batch[i] && !(batch[i] % 4096)));
}

static void fuzz_name_list(const char *s)
{
	const char *bad;
	u64 mask = 0;

	if (stall_parse_name_list(s, fuzz_names, 4, &mask, &bad)) {
		FUZZ_CHECK(bad);
		return;
	}
	FUZZ_CHECK(mask && !(mask >> 4));
}

static void fuzz_load(const char *s)
{
	struct stall_load *l = calloc(1, sizeof(*l));

	if (!l || stall_load_parse(l, s)) {
		free(l);
		return;
	}
	FUZZ_CHECK(l->kind && l->size && l->size <= (64 << 20));
	FUZZ_CHECK(l->depth >= 1 && l->depth <= 1024);
	if (!strcmp(l->kind->name, "blk"))
		FUZZ_CHECK(!(l->size % 512) && l->size * l->depth <= STALL_LOAD_BLK_MAX_BUF);
	stall_load_free(l);
	free(l);
}

static void (*const fuzz_parsers[])(const char *s) = {
	fuzz_size, fuzz_duration, fuzz_decimal, fuzz_ratio, fuzz_cpu,
	fuzz_batch_list, fuzz_name_list, fuzz_load,
};

int stall_fuzz_one_input(const unsigned char *data, size_t size)
{
	char *s;

	if (!size)
		return 0;
	/* an exact-size copy, so that reading past the terminator is caught */
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	fuzz_parsers[data[0] % ARRAY_SIZE(fuzz_parsers)](s);
	free(s);
	return 0;
}
