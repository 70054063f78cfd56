/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Whether a block device handed to the blk load is scratch: written only
 * when nothing else can be using it by any route. O_EXCL alone refuses a
 * mounted device, not another loop device over the same backing file, a
 * loop device stacked on it, nor a process that holds it open.
 */
#ifndef SELFTEST_KVM_STALL_BLKDEV_H
#define SELFTEST_KVM_STALL_BLKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

int stall_blkdev_in_use(const char *path, char *why, size_t len);
int stall_blkdev_signature(const char *path, char *why, size_t len);
const char *stall_blkdev_magic(const unsigned char *buf, size_t len, size_t at);

#endif /* SELFTEST_KVM_STALL_BLKDEV_H */
