/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm_page_table_stall_test's options (lib/stall_opts.c): defaults, the
 * command line, the defaults that depend on other options, and the setup
 * lines. A bad value ends the process with a usage error (exit 1).
 */
#ifndef SELFTEST_KVM_STALL_OPTS_H
#define SELFTEST_KVM_STALL_OPTS_H

#include <stdbool.h>

#include "stall_result.h"

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

void stall_opts_init(struct stall_params *p);
void stall_opts_parse(int argc, char *argv[], struct stall_params *p);
void stall_opts_finish(char *prog, struct stall_params *p);
void stall_opts_print_setup(struct stall_params *p, bool sees_held);

/* -L's parser, for the lab kit's row */
void stall_opts_loads(char *prog, const char *arg, struct stall_params *p);

#endif /* SELFTEST_KVM_STALL_OPTS_H */
