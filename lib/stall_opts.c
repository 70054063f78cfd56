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
#ifdef STALL_LAB
#include <sys/stat.h>
#endif

#include "kvm_util.h"
#include "test_util.h"
#ifdef STALL_LAB
#include "guest_modes.h"
#endif
#include "stall_budget.h"
#include "stall_parse.h"
#include "stall_probe.h"
#include "stall_run.h"
#include "stall_sys.h"
#include "stall_teardown.h"
#include "stall_result.h"
#include "stall_opts.h"
#ifdef STALL_LAB
#include "stall_blkdev.h"
#include "stall_json.h"
#endif

#define DEFAULT_TEST_MEM_SIZE	(512ULL << 20)
#define DEFAULT_BASELINE_NS	(200ULL * 1000 * 1000)
#define DEFAULT_BATCHES		"granule,2M,32M,512M,1G,all"
#define US(ns)			STALL_US(ns)
#define SEC(ns)			STALL_SEC(ns)
/* the usage line's width, its "usage: NAME" and indent left out */
#define USAGE_WIDTH		62

/*
 * One option: its letter, the name of its value in the usage line (NULL
 * for none), its -h text after " -x: " (NULL: @more prints it all), what
 * -h lists after that text, and its parser. A row without a letter is
 * -h text alone.
 */
struct stall_opt {
	char name;
	const char *arg;
	const char *help;
	void (*more)(void);
	void (*parse)(char *prog, const char *arg, struct stall_params *p);
};

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

#ifdef STALL_LAB
#define TIME_RATIO_WHAT	"time ratio (-T, 0 or 1-1000000)"

static double parse_ratio(char *prog, const char *what, const char *arg, double max)
{
	double v;

	if (stall_parse_ratio(arg, max, &v))
		usage_error(prog, what, arg);
	return v;
}

static void opt_guest_mode(char *prog, const char *arg, struct stall_params *p)
{
	char *end, mode[24];
	long m = strtol(arg, &end, 10);

	if (*arg < '0' || *arg > '9' || *end || m >= NUM_VM_MODES || !guest_modes[m].supported)
		usage_error(prog, "or unsupported guest mode", arg);
	/* the library reads "09" as bad octal, and asserts */
	snprintf(mode, sizeof(mode), "%ld", m);
	guest_modes_cmdline(mode);
	p->mode_given = true;
}

static void help_guest_modes(void)
{
	guest_modes_help();
	printf("     (here the default is the library's default mode alone)\n");
}
#endif

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

#ifdef STALL_LAB
static void opt_backing(char *prog, const char *arg, struct stall_params *p)
{
	int i;

	for (i = 0; i < NUM_SRC_TYPES; i++)
		if (!strcmp(arg, vm_mem_backing_src_alias(i)->name))
			break;
	if (i == NUM_SRC_TYPES)
		usage_error(prog, "backing source type (-s)", arg);
	p->src = i;
}

static void help_backing(void)
{
	backing_src_help("-s");
}
#endif

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

#ifdef STALL_LAB
static void opt_time_ratio(char *prog, const char *arg, struct stall_params *p)
{
	/* below 1, even the fastest batch would be over its own budget */
	p->budget.time_ratio = parse_ratio(prog, TIME_RATIO_WHAT, arg, 1e6);
	if (p->budget.time_ratio > 0.0 && p->budget.time_ratio < 1.0)
		usage_error(prog, TIME_RATIO_WHAT, arg);
}

static void opt_tier(char *prog, const char *arg, struct stall_params *p)
{
	int t = stall_tier_parse(arg);

	if (t < 0)
		usage_error(prog, "budget tier (-S: regression, target)", arg);
	p->budget.tier = t;
}

static void opt_step_ratio(char *prog, const char *arg, struct stall_params *p)
{
	p->budget.step_ratio = parse_ratio(prog, "step ratio (-R, 0-1000000)", arg, 1e6);
}
#endif

/*
 * "tcp-stream", a comma-separated list of generators (see -h); one listed
 * twice would give two results of the same name.
 */
static void opt_loads(char *prog, const char *arg, struct stall_params *p)
{
	char *copy, *tok, *save;
	int ret, i;

	if (stall_parse_list_has_empty(arg))
		usage_error(prog, "load list (-L)", arg);
	copy = strdup(arg);
	TEST_ASSERT(copy, "strdup(): out of memory");
	/* the last -L given is the one that counts */
#ifdef STALL_LAB
	while (p->nr_loads)
		stall_load_free(&p->loads[--p->nr_loads]);
#else
	p->nr_loads = 0;
#endif
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (p->nr_loads == STALL_LOAD_MAX)
			usage_error(prog, "load list (-L, 4 loads at most)", arg);
		for (i = 0; i < p->nr_loads && strcmp(p->loads[i].spec, tok); i++)
			;
		if (i < p->nr_loads)
			usage_error(prog, "load list (-L, a load listed twice)", tok);
		ret = stall_load_parse(&p->loads[p->nr_loads], tok);
#ifdef STALL_LAB
		usage_check(prog, "load (-L)", tok, ret, STALL_SIZE_UNITS);
#else
		if (ret)
			usage_error(prog, "load (-L)", tok);
#endif
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

#ifdef STALL_LAB
static void opt_period(char *prog, const char *arg, struct stall_params *p)
{
	p->period_ns = parse_duration(prog, "probe period (-i, 10us-100ms)", arg, 10000,
				      100000000);
	p->period_arg = arg;
}

static void opt_baseline(char *prog, const char *arg, struct stall_params *p)
{
	p->baseline_ns = parse_duration(prog, "baseline window (-w, 10ms-60s)", arg, 10000000,
					60000000000ULL);
}

static void opt_node(char *prog, const char *arg, struct stall_params *p)
{
	long l = -1;

	/* -1, or a node number as strict as a CPU number */
	if ((strcmp(arg, "-1") && stall_parse_cpu(arg, &l)) || l >= stall_sys_nr_nodes())
		usage_error(prog, "NUMA node (-n)", arg);
	p->node = l;
}

static void opt_placement(char *prog, const char *arg, struct stall_params *p)
{
	if (strcmp(arg, "cpu") && strcmp(arg, "irq"))
		usage_error(prog, "load placement (-P cpu|irq)", arg);
	p->steer = !strcmp(arg, "irq");
}

static void opt_blk_dir(char *prog, const char *arg, struct stall_params *p)
{
	p->blk_dir = arg;
}

static void opt_dip(char *prog, const char *arg, struct stall_params *p)
{
	p->budget.max_dip = parse_ratio(prog, "throughput dip (-Q, 0-100 percent)", arg,
					100.0) / 100.0;
}

static void opt_window(char *prog, const char *arg, struct stall_params *p)
{
	p->window_ns = parse_duration(prog, "throughput window (-W, 1ms-10s)", arg, 1000000,
				      10000000000ULL);
}

static void opt_results(char *prog, const char *arg, struct stall_params *p)
{
	p->results_path = arg;
}
#endif

static void opt_help(char *prog, const char *arg, struct stall_params *p);

/* In -h's order; the usage line and getopt()'s string follow it. */
static const struct stall_opt opts[] = {
	{ 'h', NULL, NULL, NULL, opt_help },
#ifdef STALL_LAB
	{ 'm', "mode", NULL, help_guest_modes, opt_guest_mode },
#endif
	{ 'b', "mem-size",
	  "size of the memory region to tear down, e.g. 256M or 64G (default: 512M)",
	  NULL, opt_size },
	{ 'v', "vcpus", "number of vCPUs populating it (default: 1)", NULL, opt_vcpus },
#ifdef STALL_LAB
	{ 's', "mem-type", NULL, help_backing, opt_backing },
#endif
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
#ifdef STALL_LAB
	{ 'T', "ratio",
	  "teardown time budget as a ratio to the mode's fastest batch, 0 = off\n"
	  "     (default: 0)", NULL, opt_time_ratio },
	{ 'S', "tier",
	  "budget tier where the kernel is measured from the inside: regression\n"
	  "     (one hold of the CPU may cover one largest-block step of stage-2 work,\n"
	  "     as mainline promises: 1G with 4K pages) or target (one smallest-block\n"
	  "     step, the 2024 proposal: 2M with 4K pages) (default: regression)",
	  NULL, opt_tier },
	{ 'R', "ratio",
	  "a hold may also last this many times one step's typical time, 0 = no\n"
	  "     time rule (default: 8)", NULL, opt_step_ratio },
#endif
#ifdef STALL_LAB
	{ 'L', "loads",
	  "IO loads run through each point, comma-separated,\n"
	  "     each NAME[:key=value...]:", help_loads, opt_loads },
#else
	{ 'L', "loads", "IO loads run through each point, comma-separated names:",
	  help_loads, opt_loads },
#endif
#ifdef STALL_LAB
	{ 'd', "time-budget",
	  "time budget of the whole run, e.g. 300s; points that would not fit\n"
	  "     are skipped; 0 = none (default: the kselftest timeout, from the\n"
	  "     runner or the settings file next to the test, else 120s)",
	  NULL, opt_run_budget },
#else
	{ 'd', "time-budget",
	  "time budget of the whole run, e.g. 300s; points that would not fit\n"
	  "     are skipped; 0 = none (default: the kselftest runner's timeout,\n"
	  "     else 120s)", NULL, opt_run_budget },
#endif
#ifdef STALL_LAB
	{ 'i', "period", "probe period, e.g. 100us (default: 100us)", NULL, opt_period },
	{ 'w', "baseline", "baseline window before each operation, e.g. 200ms (default: 200ms)",
	  NULL, opt_baseline },
	{ 'n', "node", "NUMA node for guest memory, -1 for no binding (default: the test CPU's)",
	  NULL, opt_node },
	{ 'P', "cpu|irq",
	  "load placement: cpu (threads on the test CPU) or irq (device\n"
	  "     interrupts steered to the test CPU, threads elsewhere) (default: cpu)",
	  NULL, opt_placement },
	{ 'D', "dir", "directory for the blk load's file, on the disk to load (default: .)",
	  NULL, opt_blk_dir },
	{ 'Q', "dip", "throughput dip budget, percent below the baseline median (default: 90)",
	  NULL, opt_dip },
	{ 'W', "window", "throughput window, e.g. 10ms (default: 10ms)", NULL, opt_window },
	{ 'j', "results.json",
	  "also write every point and repetition, with the environment, as JSON\n"
	  "     (schema: docs/results-file.md), once the run ends", NULL, opt_results },
#endif
};

/* "[-h] [-b mem-size] ...", wrapped under the command's name */
static void print_usage(const char *name)
{
	char word[40];
	int i, col = 0;

	printf("usage: %s", name);
	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		if (!opts[i].name)
			continue;
		if (opts[i].arg)
			snprintf(word, sizeof(word), "[-%c %s]", opts[i].name, opts[i].arg);
		else
			snprintf(word, sizeof(word), "[-%c]", opts[i].name);
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
	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		if (opts[i].help)
			printf(" -%c: %s\n", opts[i].name, opts[i].help);
		if (opts[i].more)
			opts[i].more();
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
	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		if (!opts[i].name)
			continue;
		*s++ = opts[i].name;
		if (opts[i].arg)
			*s++ = ':';
	}
	*s = '\0';
}

static const struct stall_opt *find_opt(int name)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(opts); i++)
		if (opts[i].name && opts[i].name == name)
			return &opts[i];
	return NULL;
}

void stall_opts_parse(int argc, char *argv[], struct stall_params *p)
{
	char optstring[2 * ARRAY_SIZE(opts) + 2];
	const struct stall_opt *o;
	int opt;

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
#ifdef STALL_LAB
	p->node = -2;
#endif
	p->period_ns = STALL_PROBE_DEFAULT_PERIOD_NS;
	p->baseline_ns = DEFAULT_BASELINE_NS;
	p->reps = 1;
	p->budget.stall_allow_ns = STALL_DEFAULT_ALLOW_NS;
#ifdef STALL_LAB
	p->budget.time_ratio = STALL_DEFAULT_TIME_RATIO;
	p->budget.step_ratio = STALL_DEFAULT_STEP_RATIO;
	p->budget.tier = STALL_TIER_REGRESSION;
#endif
	p->budget.max_dip = STALL_DEFAULT_MAX_DIP;
#ifdef STALL_LAB
	p->window_ns = STALL_LOAD_DEFAULT_WINDOW_NS;
	p->blk_dir = ".";
#endif
	p->modes = (1ULL << stall_nr_modes) - 1;
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

#ifdef STALL_LAB
/*
 * A block device for the blk load is refused before anything runs when
 * something else may be using it, or it carries a signature the user did
 * not declare scratch; the load checks again when it opens it.
 */
static void check_scratch_device(char *prog, struct stall_load *l)
{
	struct stat st;
	char why[160];

	if (strcmp(l->kind->name, "blk") || stat(l->dir, &st) || !S_ISBLK(st.st_mode))
		return;
	if (stall_blkdev_in_use(l->dir, why, sizeof(why)) ||
	    (!l->scratch && stall_blkdev_signature(l->dir, why, sizeof(why)))) {
		fprintf(stderr, "%s: refusing -D %s: %s\n", prog, l->dir, why);
		exit(KSFT_FAIL);
	}
}

static void check_results_path(char *prog, const char *path)
{
	struct stat st;
	int ret;

	if (!path[0] || (!stat(path, &st) && S_ISDIR(st.st_mode)))
		usage_error(prog, "results file (-j: a file, not a directory)", path);
	ret = stall_json_check_dest(path);
	if (ret) {
		fprintf(stderr, "%s: cannot write the results file '%s': %s\n", prog, path,
			strerror(-ret));
		exit(KSFT_FAIL);
	}
}

/* -P irq: the loads' threads go round-robin on up to 64 other CPUs */
static void pick_other_cpus(struct stall_params *p)
{
	p->nr_other_cpus = p->steer ? stall_sys_pick_cpus(p->test_cpu, p->other_cpus, 64) : 0;
	if (p->nr_other_cpus > 64)
		p->nr_other_cpus = 64;
	if (p->nr_other_cpus <= 0) {
		p->other_cpus[0] = p->test_cpu;
		p->nr_other_cpus = 1;
	}
}

/* What the lab kit's options need of each other, found out before the sweep. */
static void finish_lab(char *prog, struct stall_params *p)
{
	int i;

	/* -W, -D */
	for (i = 0; i < p->nr_loads; i++) {
		p->loads[i].window_ns = p->window_ns;
		p->loads[i].dir = p->blk_dir;
		check_scratch_device(prog, &p->loads[i]);
	}
	/* found out now, not after an hour of sweep */
	if (p->results_path)
		check_results_path(prog, p->results_path);
	/* a baseline shorter than the probe's period measures no gap at all */
	if (p->period_ns * 10 > p->baseline_ns)
		usage_error(prog, "probe period (-i, at most a tenth of the -w baseline)",
			    p->period_arg ? p->period_arg : "");
}
#endif

/* Defaults that depend on other options, and checks across options. */
void stall_opts_finish(char *prog, struct stall_params *p)
{
#ifdef STALL_LAB
	struct stat st;
	int i;

	if (!p->mode_given)
		for (i = 0; i < NUM_VM_MODES; i++)
			guest_modes[i].enabled = i == VM_MODE_DEFAULT;
#endif
	if (p->test_cpu < 0)
		stall_sys_pick_cpus(-1, &p->test_cpu, 1);
#ifdef STALL_LAB
	if (p->node == -2)
		p->node = stall_sys_cpu_node(p->test_cpu);
#endif
	if (!p->nr_batch)
		default_batches(p);
#ifdef STALL_LAB
	pick_other_cpus(p);
#endif
	if (!p->run_given)
		p->run.limit_ns = stall_run_default(&p->run_from);
#ifdef STALL_LAB
	if (stat(p->blk_dir, &st) || !(S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)))
		usage_error(prog, "directory or block device (-D)", p->blk_dir);
#endif
	/* a region the backing cannot tile is a typo, not a missing environment */
	if (p->size % get_backing_src_pagesz(p->src))
		usage_error(prog, "memory size (-b, a multiple of the backing page size)",
			    p->size_arg ? p->size_arg : "");
#ifdef STALL_LAB
	finish_lab(prog, p);
#endif
}

#ifdef STALL_LAB
/* Which tier judges and what its step is, and what a verdict here does not say. */
static void print_tiers(struct stall_params *p)
{
	enum stall_tier t = p->budget.tier;
	char ts[16], as[16];

	ksft_print_msg("budget tier %s: a hold of the CPU may cover one %s step of %s (%s: %s)\n",
		       stall_tier_names[t], fmt_size(stall_tier_step(t, getpagesize()), ts),
		       "stage-2 work", stall_tier_names[!t],
		       fmt_size(stall_tier_step(!t, getpagesize()), as));
	ksft_print_msg("step time ratio %.1f\n", p->budget.step_ratio);
	if (!p->have_trace)
		ksft_print_msg("no kernel-side measurement: the tiers cannot apply, the %s\n",
			       "allowance judges the probe's wait alone");
}
#endif

/* The run's setup, before its plan; @sees_held: the probe reads schedstat. */
void stall_opts_print_setup(struct stall_params *p, bool sees_held)
{
	char gs[16], ss[16];
#ifdef STALL_LAB
	char ks[16];
	u64 expect = stall_report_expected_batch();
#endif

#ifdef STALL_LAB
	ksft_print_msg("test CPU %d on node %d of %d; guest memory %s;",
		       p->test_cpu, stall_sys_cpu_node(p->test_cpu), stall_sys_nr_nodes(),
		       p->node < 0 ? "not bound" : p->node == stall_sys_cpu_node(p->test_cpu) ?
		       "bound to the test CPU's node" : "bound to another node");
#else
	ksft_print_msg("test CPU %d;", p->test_cpu);
#endif
	printf(" %s of %s backing, %d vCPU(s)\n",
	       fmt_size(p->size, ss), vm_mem_backing_src_alias(p->src)->name, p->nr_vcpus);
#ifdef STALL_LAB
	if (!expect)
		ksft_print_msg("host granule %s; not arm64: %s\n", fmt_size(getpagesize(), gs),
			       "no stage2_apply_range() batch to expect");
	else
		ksft_print_msg("host granule %s, stage-2 unmap batch expected %s (%s)\n",
			       fmt_size(getpagesize(), gs), fmt_size(expect, ks),
			       stall_report_expected_batch_source());
#else
	ksft_print_msg("host granule %s\n", fmt_size(getpagesize(), gs));
#endif
	ksft_print_msg("probe sees %s\n", sees_held ?
		       "how long it waited for the CPU (schedstat)" :
		       "no run-queue wait (no schedstat): the gap is judged");
	ksft_print_msg("probe period %lu us, baseline %lu ms, %d repetition(s), allowance %lu us\n",
		       US(p->period_ns), US(p->baseline_ns) / 1000, p->reps,
		       US(p->budget.stall_allow_ns));
#ifdef STALL_LAB
	print_tiers(p);
#endif
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
