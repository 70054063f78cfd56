// SPDX-License-Identifier: GPL-2.0-only
/*
 * Whether a block device handed to the blk load is scratch. Every route
 * by which something else can be using it is looked at (the kernel's
 * O_EXCL sees only mounts and other exclusive openers): mounts and swap,
 * holders (device mapper, MD), partitions, loop devices stacked on it or
 * sharing its backing file, and other processes' open files; then the
 * signatures a filesystem, partition table, RAID or LVM member leaves, as
 * wipefs reads them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#include "stall_blkdev.h"

#define BLKDEV_HEAD	(68 * 1024)	/* past btrfs's superblock at 64K */
#define BLKDEV_TAIL	(128 * 1024)	/* MD 0.90 and 1.0 superblocks near the end */
#define BLKDEV_BUF	BLKDEV_TAIL	/* the larger of the two */

struct blkdev_sig {
	size_t off;
	const char *magic;
	size_t len;
	const char *name;
};

static const struct blkdev_sig blkdev_sigs[] = {
	{ 0x438, "\x53\xef", 2, "ext2/3/4" },
	{ 0, "XFSB", 4, "xfs" },
	{ 0x10040, "_BHRfS_M", 8, "btrfs" },
	{ 0x200, "EFI PART", 8, "gpt partition table" },
	{ 0x1fe, "\x55\xaa", 2, "dos partition table or boot sector" },
	{ 0x200, "LABELONE", 8, "LVM2 member" },
	{ 0x218, "LVM2 001", 8, "LVM2 member" },
	{ 0, "\xfc\x4e\x2b\xa9", 4, "linux_raid_member (1.1)" },
	{ 0x1000, "\xfc\x4e\x2b\xa9", 4, "linux_raid_member (1.2)" },
	{ 0, "LUKS\xba\xbe", 6, "crypto_LUKS" },
	{ 0xff6, "SWAPSPACE2", 10, "swap" },
	{ 0x3ff6, "SWAPSPACE2", 10, "swap" },
	{ 0xfff6, "SWAPSPACE2", 10, "swap" },
	{ 0, "hsqs", 4, "squashfs" },
	{ 0x8001, "CD001", 5, "iso9660" },
	{ 0x400, "\x10\x20\xf5\xf2", 4, "f2fs" },
	{ 3, "NTFS    ", 8, "ntfs" },
	{ 0x52, "FAT32   ", 8, "vfat" },
	{ 0x36, "FAT1", 4, "vfat" },
};

/*
 * The signature found in @buf, @len bytes read at device offset @at, or
 * NULL. An MD 0.90 or 1.0 superblock may sit at any 4K boundary of the
 * tail that is read.
 */
const char *stall_blkdev_magic(const unsigned char *buf, size_t len, size_t at)
{
	size_t i, off;

	for (i = 0; i < ARRAY_SIZE(blkdev_sigs); i++) {
		const struct blkdev_sig *s = &blkdev_sigs[i];

		if (s->off >= at && s->off - at + s->len <= len &&
		    !memcmp(buf + s->off - at, s->magic, s->len))
			return s->name;
	}
	for (off = at ? 0 : len; off + 4 <= len; off += 4096)
		if (!memcmp(buf + off, "\xfc\x4e\x2b\xa9", 4))
			return "linux_raid_member (0.90 or 1.0)";
	return NULL;
}

static int blkdev_read(int fd, unsigned char *buf, size_t len, off_t at)
{
	ssize_t n = pread(fd, buf, len, at);

	if (n < 0)
		return -errno;
	memset(buf + n, 0, len - n);
	return 0;
}

/* Refuses a device that carries a recognizable signature: 0, or -EBUSY and why. */
int stall_blkdev_signature(const char *path, char *why, size_t len)
{
	unsigned char *buf = malloc(BLKDEV_BUF);
	const char *sig = NULL;
	unsigned long long size = 0;
	int fd, ret;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ret = fd < 0 ? -errno : blkdev_read(fd, buf, BLKDEV_HEAD, 0);
	if (!ret)
		sig = stall_blkdev_magic(buf, BLKDEV_HEAD, 0);
	if (!ret && !sig && !ioctl(fd, BLKGETSIZE64, &size) && size > BLKDEV_HEAD + BLKDEV_TAIL) {
		ret = blkdev_read(fd, buf, BLKDEV_TAIL, (size - BLKDEV_TAIL) & ~4095ULL);
		if (!ret)
			sig = stall_blkdev_magic(buf, BLKDEV_TAIL, (size - BLKDEV_TAIL) & ~4095ULL);
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	if (ret)
		snprintf(why, len, "reading %s: %s", path, strerror(-ret));
	else if (sig)
		snprintf(why, len, "%s carries a %s signature (%s to overwrite it)", path, sig,
			 "scratch=1");
	return ret ? ret : sig ? -EBUSY : 0;
}

/* Whether @file names block device @dev, or a file that is @ino on @fdev. */
static bool blkdev_same(const char *file, dev_t dev, dev_t fdev, ino_t ino)
{
	struct stat st;

	if (stat(file, &st))
		return false;
	if (S_ISBLK(st.st_mode))
		return st.st_rdev == dev;
	return ino && st.st_dev == fdev && st.st_ino == ino;
}

/* A sysfs file's first line, without its newline; "" where unreadable. */
static void blkdev_sysfs_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f && fgets(buf, len, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* Mounted (mountinfo's device or source) or swapped on. */
static int blkdev_mounted(dev_t dev, char *why, size_t len)
{
	char line[4096], src[1024], mnt[1024];
	unsigned int ma, mi;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");

		if (sscanf(line, "%*s %*s %u:%u %*s %1023s", &ma, &mi, mnt) != 3)
			continue;
		if (dash && sscanf(dash, " - %*s %1023s", src) != 1)
			src[0] = '\0';
		if (makedev(ma, mi) == dev ||
		    (dash && src[0] == '/' && blkdev_same(src, dev, 0, 0))) {
			snprintf(why, len, "mounted at %.96s", mnt);
			fclose(f);
			return -EBUSY;
		}
	}
	fclose(f);
	f = fopen("/proc/swaps", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%1023s", src) == 1 && blkdev_same(src, dev, 0, 0)) {
			snprintf(why, len, "in use as swap");
			fclose(f);
			return -EBUSY;
		}
	if (f)
		fclose(f);
	return 0;
}

/* Holders (dm, md, bcache) and partitions, from sysfs. */
static int blkdev_holders(const char *sys, char *why, size_t len)
{
	char path[512];
	struct dirent *d;
	struct stat st;
	int ret = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/holders", sys);
	dir = opendir(path);
	while (dir && (d = readdir(dir)) && !ret)
		if (d->d_name[0] != '.') {
			snprintf(why, len, "held by %.64s", d->d_name);
			ret = -EBUSY;
		}
	if (dir)
		closedir(dir);
	dir = opendir(sys);
	while (dir && (d = readdir(dir)) && !ret) {
		snprintf(path, sizeof(path), "%s/%s/partition", sys, d->d_name);
		if (d->d_name[0] != '.' && !stat(path, &st)) {
			snprintf(why, len, "has partition %.64s", d->d_name);
			ret = -EBUSY;
		}
	}
	if (dir)
		closedir(dir);
	return ret;
}

/* A loop device stacked on @dev, or sharing its backing file (@fdev, @ino). */
static int blkdev_loops(dev_t dev, const char *self, dev_t fdev, ino_t ino, char *why,
			size_t len)
{
	char path[512], file[1024];
	struct dirent *d;
	int ret = 0;
	DIR *dir = opendir("/sys/block");

	while (dir && (d = readdir(dir)) && !ret) {
		if (strncmp(d->d_name, "loop", 4) || !strcmp(d->d_name, self))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", d->d_name);
		blkdev_sysfs_line(path, file, sizeof(file));
		if (!file[0] || !blkdev_same(file, dev, fdev, ino))
			continue;
		snprintf(why, len, "%s %.64s",
			 ino ? "shares its backing with" : "is the backing of", d->d_name);
		ret = -EBUSY;
	}
	if (dir)
		closedir(dir);
	return ret;
}

/* Another process's open file on @dev, from /proc/PID/fd. */
static int blkdev_openers(dev_t dev, char *why, size_t len)
{
	char path[600], comm[64];
	struct dirent *p, *f;
	int ret = 0;
	DIR *procs = opendir("/proc"), *fds;

	if (!procs)
		return -errno;
	while ((p = readdir(procs)) && !ret) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9' || atoi(p->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		while (fds && (f = readdir(fds)) && !ret) {
			snprintf(path, sizeof(path), "/proc/%s/fd/%s", p->d_name, f->d_name);
			if (f->d_name[0] == '.' || !blkdev_same(path, dev, 0, 0))
				continue;
			snprintf(path, sizeof(path), "/proc/%s/comm", p->d_name);
			blkdev_sysfs_line(path, comm, sizeof(comm));
			snprintf(why, len, "open by PID %.16s (%.32s)", p->d_name, comm);
			ret = -EBUSY;
		}
		if (fds)
			closedir(fds);
	}
	closedir(procs);
	return ret;
}

/*
 * Refuses a block device that anything else may be using: 0, -EBUSY with
 * @why naming the user, or another negative errno where it cannot tell.
 * Not a block device: 0 (the load's file goes in a directory then).
 */
/*
 * What a loop device's backing shares with others: another loop device
 * over the same file, or, over a block device, that device's own users.
 */
static int blkdev_backing(const char *sys, const char *self, char *why, size_t len)
{
	char path[160], file[1024];
	struct stat st;
	int ret;

	snprintf(path, sizeof(path), "%s/loop/backing_file", sys);
	blkdev_sysfs_line(path, file, sizeof(file));
	if (!file[0] || stat(file, &st))
		return 0;
	if (!S_ISBLK(st.st_mode))
		return blkdev_loops(0, self, st.st_dev, st.st_ino, why, len);
	ret = blkdev_mounted(st.st_rdev, why, len);
	if (!ret)
		ret = blkdev_loops(st.st_rdev, self, 0, 0, why, len);
	if (!ret)
		ret = blkdev_openers(st.st_rdev, why, len);
	return ret;
}

int stall_blkdev_in_use(const char *path, char *why, size_t len)
{
	char sys[128], link[256], use[160];
	const char *name;
	struct stat st;
	ssize_t n;
	int ret;

	if (stat(path, &st) || !S_ISBLK(st.st_mode))
		return 0;
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
	n = readlink(sys, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	name = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	ret = blkdev_mounted(st.st_rdev, use, sizeof(use));
	if (!ret)
		ret = blkdev_holders(sys, use, sizeof(use));
	if (!ret)
		ret = blkdev_loops(st.st_rdev, name, 0, 0, use, sizeof(use));
	if (!ret)
		ret = blkdev_backing(sys, name, use, sizeof(use));
	if (!ret)
		ret = blkdev_openers(st.st_rdev, use, sizeof(use));
	if (ret == -EBUSY)
		snprintf(why, len, "%s is in use: %s", path, use);
	else if (ret)
		snprintf(why, len, "cannot tell whether %s is in use: %s", path, strerror(-ret));
	return ret;
}
