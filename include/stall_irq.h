/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Steering device interrupts onto the test CPU, and putting them back.
 *
 * As rtla's osnoise does with the settings it touches, every original
 * affinity is saved before it is changed and restored when the test ends:
 * normally, at exit, or on SIGINT/SIGTERM/SIGHUP/SIGQUIT. The state file
 * /run/kvm_stall_irq.state also records them, written before each change
 * and locked (flock) by the run that steers, so that:
 *  - a run killed with SIGKILL is repaired by the next run of the test,
 *    whatever its options (stall_irq_recover_stale());
 *  - an unlocked file is a dead run's, whatever PID it had;
 *  - a second run cannot steer while one does (stall_irq_claim() says
 *    -EBUSY), which would save the first run's steering as the original.
 */
#ifndef SELFTEST_KVM_STALL_IRQ_H
#define SELFTEST_KVM_STALL_IRQ_H

int stall_irq_recover_stale(void);
int stall_irq_claim(void);
int stall_irq_steer(int irq, int cpu);
void stall_irq_restore_all(void);

#endif /* SELFTEST_KVM_STALL_IRQ_H */
