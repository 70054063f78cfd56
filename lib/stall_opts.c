// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm_page_table_stall_test's options: their defaults, their parsing, -h
 * and the setup lines the run prints first. getopt()'s string, the usage
 * line and -h are all made from one table, so that an option is written
 * once. A bad value is a usage error that names it (exit 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>

#include "kvm_util.h"
#include "test_util.h"
#include "stall_budget.h"
#include "stall_parse.h"
#include "stall_probe.h"
#include "stall_run.h"
#include "stall_sys.h"
#include "stall_teardown.h"
#include "stall_result.h"
#include "stall_opts.h"
#include "stall_lab.h"

#define DEFAULT_TEST_MEM_SIZE	(512ULL << 20)
#define DEFAULT_BASELINE_NS	(200ULL * 1000 * 1000)
#define DEFAULT_BATCHES		"granule,2M,32M,512M,1G,all"
#define US(ns)			STALL_US(ns)
#define SEC(ns)			STALL_SEC(ns)
/* the usage line's width, its "usage: NAME" and indent left out */
#define USAGE_WIDTH		62
/* the test's options and the lab kit's */
#define MAX_ROWS		48

static const char *fmt_size(u64 bytes, char *buf)
{
	return stall_fmt_size(bytes, buf, 16);
}

static void __noreturn usage_error(char *name, const char *what, const char *val)
{
	stall_parse_value_msg(name, what, val, -EINVAL, NULL);
	exit(KSFT_FAIL);
}

/* A parser's refusal of @val; a bare number is told the units it lacks. */
static void usage_check(char *name, const char *what, const char *val, int ret,
			const char *units)
{
	if (ret) {
		stall_parse_value_msg(name, what, val, ret, units);
		exit(KSFT_FAIL);
	}
}

/* A duration with its unit, from @min to @max ns. */
static u64 parse_duration(char *prog, const char *what, const char *arg, u64 min, u64 max)
{
	u64 ns;

	usage_check(prog, what, arg, stall_parse_duration(arg, &ns), STALL_DURATION_UNITS);
	if (ns < min || ns > max)
		usage_error(prog, what, arg);
	return ns;
}

static void opt_size(char *prog, const char *arg, struct stall_params *p)
{
	usage_check(prog, "memory size (-b)", arg, stall_parse_size(arg, &p->size),
		    STALL_SIZE_UNITS);
	p->size_arg = arg;
}

static void opt_vcpus(char *prog, const char *arg, struct stall_params *p)
{
	long l;

	if (stall_parse_count(arg, STALL_VM_MAX_VCPUS, &l) || !l)
		usage_error(prog, "vCPU count (-v, 1-64)", arg);
	p->nr_vcpus = l;
}

static void opt_cpu(char *prog, const char *arg, struct stall_params *p)
{
	long l;

	if (stall_parse_cpu(arg, &l) || !stall_sys_cpu_allowed(l))
		usage_error(prog, "or disallowed test CPU (-c)", arg);
	p->test_cpu = l;
}

static void help_modes(void)
{
	int i;

	for (i = 0; i < stall_nr_modes; i++)
		printf("     %-17s %s\n", stall_modes[i].name, stall_modes[i].help);
}

static void opt_modes(char *prog, const char *arg, struct stall_params *p)
{
	const char *names[64], *bad;
	int i;

	for (i = 0; i < stall_nr_modes; i++)
		names[i] = stall_modes[i].name;
	if (stall_parse_name_list(arg, names, stall_nr_modes, &p->modes, &bad))
		usage_error(prog, "teardown mode (-t)", bad);
}

static void opt_batches(char *prog, const char *arg, struct stall_params *p)
{
	const char *bad;
	int ret;

	ret = stall_parse_batch_list(arg, getpagesize(), p->batch, STALL_MAX_LIST, &p->nr_batch,
				     &bad);
	usage_check(prog, "batch size (-B)", bad ? bad : arg, ret, STALL_SIZE_UNITS);
}

static void opt_reps(char *prog, const char *arg, struct stall_params *p)
{
	long l;

	if (stall_parse_count(arg, STALL_MAX_REPS, &l) || !l)
		usage_error(prog, "repetitions (-r, 1-64)", arg);
	p->reps = l;
}

static void opt_allowance(char *prog, const char *arg, struct stall_params *p)
{
	/* 0 would fail every point by construction */
	p->budget.stall_allow_ns = parse_duration(prog, "stall allowance (-l, more than 0)",
						  arg, 1, UINT64_MAX);
}

/*
 * "tcp-stream", a comma-separated list of generators (see -h); one listed
 * twice would give two results of the same name.
 */
void stall_opts_loads(char *prog, const char *arg, struct stall_params *p)
{
	char *copy, *tok, *save;
	int ret, i;

	if (stall_parse_list_has_empty(arg))
		usage_error(prog, "load list (-L)", arg);
	copy = strdup(arg);
	TEST_ASSERT(copy, "strdup(): out of memory");
	/* the last -L given is the one that counts */
	p->nr_loads = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (p->nr_loads == STALL_LOAD_MAX)
			usage_error(prog, "load list (-L, 4 loads at most)", arg);
		for (i = 0; i < p->nr_loads && strcmp(p->loads[i].spec, tok); i++)
			;
		if (i < p->nr_loads)
			usage_error(prog, "load list (-L, a load listed twice)", tok);
		ret = stall_load_parse(&p->loads[p->nr_loads], tok);
		usage_check(prog, "load (-L)", tok, ret, STALL_SIZE_UNITS);
		p->nr_loads++;
	}
	free(copy);
}

static void help_loads(void)
{
	int i;

	for (i = 0; stall_load_kind_at(i); i++)
		printf("     %-12s %s\n", stall_load_kind_at(i)->name, stall_load_kind_at(i)->help);
}

static void opt_run_budget(char *prog, const char *arg, struct stall_params *p)
{
	if (stall_run_parse(arg, &p->run.limit_ns))
		usage_error(prog, "time budget (-d: 0, or a duration with a unit: 90s)", arg);
	p->run_given = true;
	p->run_from = "-d";
}

static void opt_help(char *prog, const char *arg, struct stall_params *p);

/* In -h's order; the usage line and getopt()'s string follow it. */
static const struct stall_opt opts[] = {
	{ 'h', NULL, NULL, NULL, opt_help },
	{ 'b', "mem-size",
	  "size of the memory region to tear down, e.g. 256M or 64G (default: 512M)",
	  NULL, opt_size },
	{ 'v', "vcpus", "number of vCPUs populating it (default: 1)", NULL, opt_vcpus },
	{ 'c', "cpu",
	  "test CPU: the teardown and the probe run there (default: first allowed)",
	  NULL, opt_cpu },
	{ 't', "modes", "comma-separated teardown modes, or all (default: all):",
	  help_modes, opt_modes },
	{ 'B', "batches",
	  "comma-separated batch sizes, e.g. 2M; 'granule' is the host page size and\n"
	  "     'all' the whole region in one operation (default: " DEFAULT_BATCHES ",\n"
	  "     keeping those smaller than the region)", NULL, opt_batches },
	{ 'r', "reps",
	  "repetitions of each point; the verdict is the majority of the judged\n"
	  "     ones, the figures their medians (default: 1)", NULL, opt_reps },
	{ 'l', "allowance",
	  "stall allowance: how long the test CPU may be held, e.g. 1ms\n"
	  "     (default: 1ms)", NULL, opt_allowance },
	{ 'L', "loads", "IO loads run through each point, comma-separated names:",
	  help_loads, stall_opts_loads },
	{ 'd', "time-budget",
	  "time budget of the whole run, e.g. 300s; points that would not fit\n"
	  "     are skipped; 0 = none (default: the kselftest runner's timeout,\n"
	  "     else 120s)", NULL, opt_run_budget },
};

/* The test's rows with the lab kit's in their places, in -h's order. */
static struct stall_opt rows[MAX_ROWS];
static int nr_rows;

/* A lab kit row amending the test's option: the fields it gives. */
static void amend_row(struct stall_opt *o, const struct stall_opt *l)
{
	if (l->help)
		o->help = l->help;
	if (l->more)
		o->more = l->more;
	if (l->parse)
		o->parse = l->parse;
}

static void merge_rows(void)
{
	const struct stall_lab_opt *lab = stall_lab()->opts;
	int nr_lab = stall_lab()->nr_opts;
	int i, j;

	nr_rows = 0;
	for (i = 0; i < (int)ARRAY_SIZE(opts); i++) {
		rows[nr_rows] = opts[i];
		for (j = 0; j < nr_lab; j++)
			if (!lab[j].after && lab[j].opt.name == opts[i].name)
				amend_row(&rows[nr_rows], &lab[j].opt);
		nr_rows++;
		for (j = 0; j < nr_lab; j++)
			if (lab[j].after == opts[i].name && nr_rows < MAX_ROWS)
				rows[nr_rows++] = lab[j].opt;
	}
}

/* "[-h] [-b mem-size] ...", wrapped under the command's name */
static void print_usage(const char *name)
{
	char word[40];
	int i, col = 0;

	printf("usage: %s", name);
	for (i = 0; i < nr_rows; i++) {
		if (!rows[i].name)
			continue;
		if (rows[i].arg)
			snprintf(word, sizeof(word), "[-%c %s]", rows[i].name, rows[i].arg);
		else
			snprintf(word, sizeof(word), "[-%c]", rows[i].name);
		if (col && col + 1 + strlen(word) > USAGE_WIDTH) {
			printf("\n         ");
			col = 0;
		}
		col += printf(" %s", word) - (col ? 0 : 1);
	}
	puts("");
}

static void help(char *name)
{
	int i;

	puts("");
	print_usage(name);
	puts("");
	printf("Sizes take a unit (%s), durations one of %s: a bare\n"
	       "number is refused.\n", STALL_SIZE_UNITS, STALL_DURATION_UNITS);
	puts("");
	for (i = 0; i < nr_rows; i++) {
		if (rows[i].help)
			printf(" -%c: %s\n", rows[i].name, rows[i].help);
		if (rows[i].more)
			rows[i].more();
	}
	puts("");
}

static void opt_help(char *prog, const char *arg, struct stall_params *p)
{
	help(prog);
	exit(KSFT_PASS);
}

/* one line naming the bad option (getopt()'s own message is off) */
static void __noreturn option_error(int argc, char *argv[], int opt)
{
	stall_parse_option_msg(argc, argv, opt);
	exit(KSFT_FAIL);
}

/* getopt()'s string: ':' first, for a missing value's own error */
static void make_optstring(char *s)
{
	int i;

	*s++ = ':';
	for (i = 0; i < nr_rows; i++) {
		if (!rows[i].name)
			continue;
		*s++ = rows[i].name;
		if (rows[i].arg)
			*s++ = ':';
	}
	*s = '\0';
}

static const struct stall_opt *find_opt(int name)
{
	int i;

	for (i = 0; i < nr_rows; i++)
		if (rows[i].name && rows[i].name == name)
			return &rows[i];
	return NULL;
}

void stall_opts_parse(int argc, char *argv[], struct stall_params *p)
{
	char optstring[2 * MAX_ROWS + 2];
	const struct stall_opt *o;
	int opt;

	merge_rows();
	make_optstring(optstring);
	opterr = 0;
	while ((opt = getopt(argc, argv, optstring)) != -1) {
		o = find_opt(opt);
		if (!o)
			option_error(argc, argv, opt);
		o->parse(argv[0], optarg, p);
	}
	if (optind < argc)
		usage_error(argv[0], "argument", argv[optind]);
}

/* Field by field: a compound literal this size could be built on the stack. */
void stall_opts_init(struct stall_params *p)
{
	memset(p, 0, sizeof(*p));
	p->size = DEFAULT_TEST_MEM_SIZE;
	p->nr_vcpus = 1;
	p->src = DEFAULT_VM_MEM_SRC;
	p->test_cpu = -1;
	p->period_ns = STALL_PROBE_DEFAULT_PERIOD_NS;
	p->baseline_ns = DEFAULT_BASELINE_NS;
	p->reps = 1;
	p->budget.stall_allow_ns = STALL_DEFAULT_ALLOW_NS;
	p->budget.max_dip = STALL_DEFAULT_MAX_DIP;
	p->modes = (1ULL << stall_nr_modes) - 1;
	if (stall_lab()->init)
		stall_lab()->init(p);
}

static void default_batches(struct stall_params *p)
{
	const char *bad;
	u64 all[STALL_MAX_LIST];
	int i, n;

	stall_parse_batch_list(DEFAULT_BATCHES, getpagesize(), all, STALL_MAX_LIST, &n, &bad);
	p->nr_batch = 0;
	for (i = 0; i < n; i++)
		if (all[i] == STALL_BATCH_ALL || all[i] < p->size)
			p->batch[p->nr_batch++] = all[i];
}

/* Defaults that depend on other options, and checks across options. */
void stall_opts_finish(char *prog, struct stall_params *p)
{
	if (p->test_cpu < 0)
		stall_sys_pick_cpus(-1, &p->test_cpu, 1);
	if (!p->nr_batch)
		default_batches(p);
	if (!p->run_given)
		p->run.limit_ns = stall_run_default(&p->run_from);
	/* a region the backing cannot tile is a typo, not a missing environment */
	if (p->size % get_backing_src_pagesz(p->src))
		usage_error(prog, "memory size (-b, a multiple of the backing page size)",
			    p->size_arg ? p->size_arg : "");
	if (stall_lab()->finish)
		stall_lab()->finish(prog, p);
}

/* The run's setup, before its plan; @sees_held: the probe reads schedstat. */
void stall_opts_print_setup(struct stall_params *p, bool sees_held)
{
	char gs[16], ss[16];

	ksft_print_msg("test CPU %d", p->test_cpu);
	if (stall_lab()->print_cpu)
		stall_lab()->print_cpu(p);
	printf("; %s of %s backing, %d vCPU(s)\n",
	       fmt_size(p->size, ss), vm_mem_backing_src_alias(p->src)->name, p->nr_vcpus);
	ksft_print_msg("host granule %s", fmt_size(getpagesize(), gs));
	if (stall_lab()->print_granule)
		stall_lab()->print_granule();
	puts("");
	ksft_print_msg("probe sees %s\n", sees_held ?
		       "how long it waited for the CPU (schedstat)" :
		       "no run-queue wait (no schedstat): the gap is judged");
	ksft_print_msg("probe period %lu us, baseline %lu ms, %d repetition(s), allowance %lu us\n",
		       US(p->period_ns), US(p->baseline_ns) / 1000, p->reps,
		       US(p->budget.stall_allow_ns));
	if (stall_lab()->print_budget)
		stall_lab()->print_budget(p);
	/* the start, the KVM library's guest mode probe included, counts too */
	if (p->run.limit_ns)
		ksft_print_msg("time budget %.0f s (%s), %.1f s gone, %.0f s kept for %s%s\n",
			       SEC(p->run.limit_ns), p->run_from,
			       SEC(stall_now_ns() - p->run.start_ns),
			       SEC(p->run.margin_ns), "the exit: ",
			       "a point that would not fit is skipped");
	else
		ksft_print_msg("no time budget (%s): every point runs\n", p->run_from);
}
