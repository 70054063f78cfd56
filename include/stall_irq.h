/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Steering device interrupts onto the test CPU, and putting them back.
 *
 * As rtla's osnoise does with the settings it touches, every original
 * affinity is saved before it is changed and restored when the test ends:
 * normally, at exit, or on SIGINT/SIGTERM/SIGHUP/SIGQUIT. A state file in
 * /run (one per process) also records them, so that a run killed with
 * SIGKILL is repaired by the next run.
 */
#ifndef SELFTEST_KVM_STALL_IRQ_H
#define SELFTEST_KVM_STALL_IRQ_H

int stall_irq_steer(int irq, int cpu);
void stall_irq_restore_all(void);
void stall_irq_install_handlers(void);
int stall_irq_recover_stale(void);

#endif /* SELFTEST_KVM_STALL_IRQ_H */
