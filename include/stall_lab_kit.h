/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the lab kit's files (lib/stall_lab*.c) share: the functions
 * stall_lab_ops is made of that live outside lib/stall_lab.c (the
 * unit tests plug the verdict's in too).
 */
#ifndef SELFTEST_KVM_STALL_LAB_KIT_H
#define SELFTEST_KVM_STALL_LAB_KIT_H

#include "stall_lab.h"

void stall_lab_judge_rep(struct stall_params *p, struct stall_rep *r);
void stall_lab_judge_point(struct stall_params *p, struct stall_result *res);
bool stall_lab_rep_unexplained(struct stall_params *p, const struct stall_rep *r);
size_t stall_lab_point_keys(struct stall_params *p, const struct stall_result *res,
			    enum stall_keys_at at, char *line, size_t len);

#endif /* SELFTEST_KVM_STALL_LAB_KIT_H */
