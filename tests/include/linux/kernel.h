/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The unit tests build without a kernel tree: the min() and max() of
 * tools/include/linux/kernel.h that the library uses, over the system's
 * UAPI header.
 */
#ifndef STALL_TEST_LINUX_KERNEL_H
#define STALL_TEST_LINUX_KERNEL_H

#include_next <linux/kernel.h>

#ifndef min
#define min(x, y) ({ typeof(x) _x = (x); typeof(y) _y = (y); \
	(void)(&_x == &_y); _x < _y ? _x : _y; })
#endif
#ifndef max
#define max(x, y) ({ typeof(x) _x = (x); typeof(y) _y = (y); \
	(void)(&_x == &_y); _x > _y ? _x : _y; })
#endif

#endif
