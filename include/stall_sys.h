/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the stall tests read from the host: where they may run and what
 * the host has for them.
 */
#ifndef SELFTEST_KVM_STALL_SYS_H
#define SELFTEST_KVM_STALL_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#ifdef STALL_LAB
/* as tools/include's, for the unit tests that build without a kernel tree */
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#endif

int stall_sys_pin_self(int cpu);
bool stall_sys_cpu_allowed(int cpu);
int stall_sys_pick_cpus(int avoid, int *cpus, int nr);
#ifdef STALL_LAB
int stall_sys_hold_dma_latency(void);
#endif

u64 stall_sys_mem_available(void);
#ifdef STALL_LAB
int stall_sys_read_line(const char *path, char *buf, size_t len);
u64 stall_sys_free_hugepages(u64 page_size);
bool stall_sys_thp_enabled(void);
void stall_sys_catch_signals(void);
int stall_sys_claim(const char *name);
void stall_sys_on_exit(void (*undo)(void));
void stall_sys_forget_undo(void);
int stall_sys_cpu_node(int cpu);
int stall_sys_nr_nodes(void);
int stall_sys_bind(void *addr, size_t len, int node);
int stall_sys_write(const char *path, const char *val, size_t len, int flags);
#endif

#endif /* SELFTEST_KVM_STALL_SYS_H */
