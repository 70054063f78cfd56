// SPDX-License-Identifier: GPL-2.0-only
/*
 * Command-line parsers of the stall tests.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <linux/types.h>

#include "stall_parse.h"

#ifdef STALL_LAB
/* also built without the kernel's tools/include, for the unit tests */
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#else
#include <linux/kernel.h>
#endif

static int stall_unit_ns(const char *s, u64 *unit)
{
	static const struct {
		const char *name;
		u64 ns;
	} units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
	};
	size_t i;

	if (!*s)
		return -ENODATA;
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		if (!strcmp(s, units[i].name)) {
			*unit = units[i].ns;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * A non-negative decimal number at the start of @str: digits and one point
 * at most ("1.5", ".5", "2."), @end set after it. strtod() alone would take
 * blanks, a sign, hex ("0x10"), exponents, "nan" and "inf".
 */
int stall_parse_decimal(const char *str, double *v, const char **end)
{
	size_t n = str ? strspn(str, "0123456789.") : 0;
	char *e;

	/* ".5" is refused too: numbers start with a digit */
	if (!n || !isdigit((unsigned char)*str) || memchr(str, '.', n) != memrchr(str, '.', n))
		return -EINVAL;
	errno = 0;
	*v = strtod(str, &e);
	if (errno || e != str + n)
		return -EINVAL;
	*end = e;
	return 0;
}

/*
 * A non-negative duration with its unit, decimal allowed: 250us, 1.5ms,
 * 2s. A bare number is -ENODATA: "-l 1" meant 1 ms and read as 1 us.
 */
int stall_parse_duration(const char *str, u64 *ns)
{
	const char *end;
	u64 unit;
	double v;
	int ret;

	if (stall_parse_decimal(str, &v, &end))
		return -EINVAL;
	ret = stall_unit_ns(end, &unit);
	if (ret)
		return ret;
	if (v * (double)unit > 1e18)
		return -EINVAL;
	*ns = (u64)(v * (double)unit + 0.5);
	return 0;
}

/* A count or number from 0 to @max, digits only: no sign, blank or unit. */
int stall_parse_count(const char *str, long max, long *v)
{
	char *end;

	if (!str || !isdigit((unsigned char)*str))
		return -EINVAL;
	errno = 0;
	*v = strtol(str, &end, 10);
	if (errno || *end || *v < 0 || *v > max)
		return -EINVAL;
	return 0;
}

int stall_parse_cpu(const char *str, long *cpu)
{
	return stall_parse_count(str, 4095, cpu);
}

/*
 * getopt()'s own message is off in the tests (opterr = 0): one line naming
 * the bad option, not the whole -h. "--size" reaches getopt() as an
 * unknown option '-', so the word is found in @argv.
 */
void stall_parse_option_msg(int argc, char *argv[], int opt)
{
	int i;

	if (opt == ':') {
		fprintf(stderr, "%s: option '-%c' needs a value (see -h)\n", argv[0], optopt);
	} else if (optopt == '-') {
		for (i = 1; i < argc - 1 && (strncmp(argv[i], "--", 2) || !argv[i][2]); i++)
			;
		fprintf(stderr, "%s: unknown option '%s': options are one letter (see -h)\n",
			argv[0], argv[i]);
	} else {
		fprintf(stderr, "%s: unknown option '-%c' (see -h)\n", argv[0], optopt);
	}
}

/*
 * The one line a test prints for a bad option value: a bare number
 * (@ret -ENODATA) is told the @units it lacks, anything else to see -h.
 */
void stall_parse_value_msg(const char *prog, const char *what, const char *val, int ret,
			   const char *units)
{
	if (ret == -ENODATA && units)
		fprintf(stderr, "%s: invalid %s '%s': no unit (%s)\n", prog, what, val, units);
	else
		fprintf(stderr, "%s: invalid %s '%s' (see -h)\n", prog, what, val);
}

/* Bad tokens are copied here so that callers can name them after strtok. */
static char stall_bad_token[64];

static const char *stall_remember_bad(const char *tok)
{
	snprintf(stall_bad_token, sizeof(stall_bad_token), "%s", tok);
	return stall_bad_token;
}

/* "K", "KB", "KiB" and the like, and "B" for bytes; no suffix is -ENODATA. */
static int stall_suffix_shift(const char *s, unsigned int *shift)
{
	static const char units[] = "KMGT";
	const char *u;

	if (!*s)
		return -ENODATA;
	if (!strcasecmp(s, "B")) {
		*shift = 0;
		return 0;
	}
	u = strchr(units, toupper((unsigned char)*s));
	if (!u || !*u)
		return -EINVAL;
	s++;
	/* accept K, KB and KiB alike */
	if (!strcasecmp(s, "") || !strcasecmp(s, "B") || !strcasecmp(s, "iB")) {
		*shift = 10 * (unsigned int)(u - units + 1);
		return 0;
	}
	return -EINVAL;
}

/*
 * A positive size with its unit: 4096B, 4K, 2M, 1G, 1T. A bare number is
 * -ENODATA: "-b 512" meant 512M as often as 512 bytes.
 */
int stall_parse_size(const char *str, u64 *bytes)
{
	unsigned long long v;
	unsigned int shift;
	char *end;
	int ret;

	if (!str || !isdigit((unsigned char)*str))
		return -EINVAL;
	errno = 0;
	v = strtoull(str, &end, 10);
	if (errno || !v)
		return -EINVAL;
	ret = stall_suffix_shift(end, &shift);
	if (ret)
		return ret;
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*bytes = (u64)v << shift;
	return 0;
}

#ifdef STALL_LAB
/* A ratio or percentage, a decimal number alone, at most @max. */
int stall_parse_ratio(const char *str, double max, double *v)
{
	const char *end;

	return stall_parse_decimal(str, v, &end) || *end || *v > max ? -EINVAL : 0;
}
#endif

/*
 * A batch size, "granule" or "all". A size of 2^64 - 1 would read as
 * "all"; one that is not a multiple of the granule cannot be unmapped in
 * steps of itself.
 */
static int stall_parse_batch(const char *tok, u64 granule, u64 *batch)
{
	int ret;

	if (!strcmp(tok, "all")) {
		*batch = STALL_BATCH_ALL;
		return 0;
	}
	if (!strcmp(tok, "granule")) {
		*batch = granule;
		return 0;
	}
	ret = stall_parse_size(tok, batch);
	if (ret)
		return ret;
	/* past 1 PiB no region exists to chunk, and its name would not print whole */
	if (*batch == STALL_BATCH_ALL || !*batch || *batch % granule ||
	    *batch > STALL_MAX_BATCH)
		return -EINVAL;
	return 0;
}

/* "", ",a", "a," and "a,,b": a list with an empty item is a typo */
bool stall_parse_list_has_empty(const char *str)
{
	size_t n = str ? strlen(str) : 0;

	return !n || str[0] == ',' || str[n - 1] == ',' || strstr(str, ",,");
}

/*
 * Comma-separated batch sizes ("granule,2M,1G,all"). Duplicates are
 * dropped, the order given is kept. -ENODATA when the bad item is a bare
 * number.
 */
int stall_parse_batch_list(const char *str, u64 granule, u64 *batch,
			   int max, int *nr, const char **bad)
{
	char *copy, *tok, *save;
	int i, n = 0, ret = 0;

	*bad = NULL;
	*nr = 0;
	if (stall_parse_list_has_empty(str)) {
		*bad = stall_remember_bad(str ? str : "");
		return -EINVAL;
	}
	copy = strdup(str);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		u64 b;

		ret = n == max ? -EINVAL : stall_parse_batch(tok, granule, &b);
		if (ret) {
			*bad = stall_remember_bad(tok);
			break;
		}
		for (i = 0; i < n && batch[i] != b; i++)
			;
		if (i == n)
			batch[n++] = b;
	}
	free(copy);
	if (!ret && !n) {
		*bad = stall_remember_bad(str ? str : "");
		ret = -EINVAL;
	}
	*nr = n;
	return ret;
}

/* Comma-separated names out of @names, or "all"; sets one bit per name. */
int stall_parse_name_list(const char *str, const char *const *names, int nr_names,
			  u64 *mask, const char **bad)
{
	char *copy, *tok, *save;
	int i, ret = 0;

	*bad = NULL;
	*mask = 0;
	if (stall_parse_list_has_empty(str)) {
		*bad = stall_remember_bad(str ? str : "");
		return -EINVAL;
	}
	copy = strdup(str);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "all")) {
			*mask |= (nr_names >= 64) ? ~0ULL : (1ULL << nr_names) - 1;
			continue;
		}
		for (i = 0; i < nr_names && strcmp(tok, names[i]); i++)
			;
		if (i == nr_names) {
			*bad = stall_remember_bad(tok);
			ret = -EINVAL;
			break;
		}
		*mask |= 1ULL << i;
	}
	free(copy);
	if (!ret && !*mask) {
		*bad = stall_remember_bad(str ? str : "");
		ret = -EINVAL;
	}
	return ret;
}

/* "4K", "2M", "1G", "1536K", "1000B", "all": the shortest exact unit, read back alike. */
const char *stall_fmt_size(u64 bytes, char *buf, size_t len)
{
	static const char units[] = "BKMGT";
	int u = 0;

	if (bytes == STALL_BATCH_ALL) {
		snprintf(buf, len, "all");
		return buf;
	}
	while (u < 4 && bytes && !(bytes & 1023)) {
		bytes >>= 10;
		u++;
	}
	if (u)
		snprintf(buf, len, "%llu%c", (unsigned long long)bytes, units[u]);
	else
		snprintf(buf, len, "%lluB", (unsigned long long)bytes);
	return buf;
}
