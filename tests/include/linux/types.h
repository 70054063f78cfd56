/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The unit tests and the parser fuzzer build without a kernel tree, so
 * without the tools/include/linux/types.h the suite's library is written
 * against: the same kernel-style types, defined as it defines them (u64
 * as uint64_t, so that PRIu64 prints it), over the system's UAPI types.
 */
#ifndef STALL_TEST_LINUX_TYPES_H
#define STALL_TEST_LINUX_TYPES_H

#include <stdint.h>
#include_next <linux/types.h>

typedef __UINT64_TYPE__ u64;
typedef __INT64_TYPE__ s64;
typedef __u32 u32;
typedef __s32 s32;
typedef __u16 u16;
typedef __s16 s16;
typedef __u8 u8;
typedef __s8 s8;

#endif
