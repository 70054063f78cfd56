// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small JSON writer for the stall tests' results file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <linux/types.h>

#include "stall_json.h"

int stall_json_init(struct stall_json *j)
{
	memset(j, 0, sizeof(*j));
	j->first[0] = true;
	j->f = open_memstream(&j->buf, &j->len);
	return j->f ? 0 : -ENOMEM;
}

static void stall_json_string(struct stall_json *j, const char *s)
{
	const unsigned char *c;

	fputc('"', j->f);
	for (c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(j->f, "\\%c", *c);
		else if (*c == '\n')
			fputs("\\n", j->f);
		else if (*c < 0x20 || *c == 0x7f)
			fprintf(j->f, "\\u%04x", *c);
		else
			fputc(*c, j->f);
	}
	fputc('"', j->f);
}

/*
 * The separator and key before a value: a key inside an object, none
 * inside an array or at the top. One value per line below the top level
 * keeps the file readable and diffable. False when there is no document.
 */
static bool stall_json_key(struct stall_json *j, const char *key)
{
	if (!j->f)
		return false;
	if (!j->first[j->depth])
		fputc(',', j->f);
	if (j->depth)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	j->first[j->depth] = false;
	if (key) {
		stall_json_string(j, key);
		fputs(": ", j->f);
	}
	return true;
}

static void stall_json_open(struct stall_json *j, const char *key, char c)
{
	if (!j->f || j->depth + 1 == STALL_JSON_MAX_DEPTH) {
		j->err = true;
		return;
	}
	stall_json_key(j, key);
	fputc(c, j->f);
	j->depth++;
	j->first[j->depth] = true;
	j->close[j->depth] = c == '{' ? '}' : ']';
}

void stall_json_obj(struct stall_json *j, const char *key)
{
	stall_json_open(j, key, '{');
}

void stall_json_arr(struct stall_json *j, const char *key)
{
	stall_json_open(j, key, '[');
}

/* Ends the innermost object or array. */
void stall_json_end(struct stall_json *j)
{
	if (!j->f || !j->depth) {
		j->err = true;
		return;
	}
	if (!j->first[j->depth])
		fprintf(j->f, "\n%*s", 2 * (j->depth - 1), "");
	fputc(j->close[j->depth--], j->f);
}

void stall_json_str(struct stall_json *j, const char *key, const char *val)
{
	if (!val) {
		stall_json_null(j, key);
		return;
	}
	if (stall_json_key(j, key))
		stall_json_string(j, val);
}

void stall_json_u64(struct stall_json *j, const char *key, u64 val)
{
	if (stall_json_key(j, key))
		fprintf(j->f, "%llu", (unsigned long long)val);
}

void stall_json_s64(struct stall_json *j, const char *key, s64 val)
{
	if (stall_json_key(j, key))
		fprintf(j->f, "%lld", (long long)val);
}

/* JSON has no NaN or infinity: a value that is not finite is unknown. */
void stall_json_double(struct stall_json *j, const char *key, double val)
{
	if (!isfinite(val)) {
		stall_json_null(j, key);
		return;
	}
	if (stall_json_key(j, key))
		fprintf(j->f, "%.6g", val);
}

void stall_json_bool(struct stall_json *j, const char *key, bool val)
{
	if (stall_json_key(j, key))
		fputs(val ? "true" : "false", j->f);
}

void stall_json_null(struct stall_json *j, const char *key)
{
	if (stall_json_key(j, key))
		fputs("null", j->f);
}

/* The document so far, or NULL when it is not a whole, valid one. */
const char *stall_json_text(struct stall_json *j)
{
	if (!j->f || j->err || j->depth || fflush(j->f))
		return NULL;
	return j->buf;
}

/* A long sweep's results file, with room to spare. */
#define STALL_JSON_ROOM		(1024 * 1024)
/* How long a reader on a FIFO or a terminal may take to drain the file. */
#define STALL_JSON_DRAIN_MS	30000

/*
 * Where the results go. A regular file, or a new one, is replaced through
 * a temporary file renamed over it (a symlink's target, not the symlink);
 * anything else (a character device, a FIFO, a socket, /dev/stdout) is
 * written in place, as "> path" would, and never replaced.
 */
static bool stall_json_in_place(const char *path)
{
	struct stat st;

	return !stat(path, &st) && !S_ISREG(st.st_mode);
}

/* The path a rename must go to: a symlink's target, resolved. */
static int stall_json_target(const char *path, char *out, size_t len)
{
	struct stat st;

	if (lstat(path, &st) || !S_ISLNK(st.st_mode)) {
		if (snprintf(out, len, "%s", path) >= (int)len)
			return -ENAMETOOLONG;
		return 0;
	}
	if (!realpath(path, out))
		return -errno;
	return 0;
}

static int stall_json_write_fd(int fd, const char *text, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len) {
		n = write(fd, text, len);
		if (n < 0 && errno == EAGAIN) {
			if (poll(&pfd, 1, STALL_JSON_DRAIN_MS) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0) {
			text += n;
			len -= n;
		}
	}
	return 0;
}

/* In place: nonblocking, so that a FIFO nobody reads is an error, not a hang. */
static int stall_json_write_through(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC), ret;

	if (fd < 0)
		return errno == ENXIO ? -EPIPE : -errno;
	ret = stall_json_write_fd(fd, text, strlen(text));
	if (!ret)
		ret = stall_json_write_fd(fd, "\n", 1);
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

static int stall_json_tmp_name(const char *path, char *tmp, size_t len)
{
	if (snprintf(tmp, len, "%s.tmp.%d", path, getpid()) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static int stall_json_write_tmp(const char *tmp, const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd, ret = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ret = stall_json_write_fd(fd, text, len);
	if (!ret)
		ret = stall_json_write_fd(fd, "\n", 1);
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

/*
 * Before a run: whether the results can go to @path, so that a run never
 * fails after the fact for a path it could have refused. In place: it
 * must be writable. Replaced: the temporary name is made and removed
 * where the rename will happen, and the file replaced must not be
 * immutable or append-only. Returns 0 or a negative errno.
 */
int stall_json_check_dest(const char *path)
{
	char target[PATH_MAX], tmp[PATH_MAX + 32];
	int fd, flags = 0, ret;

	if (stall_json_in_place(path))
		return access(path, W_OK) ? -errno : 0;
	ret = stall_json_target(path, target, sizeof(target));
	if (!ret)
		ret = stall_json_tmp_name(target, tmp, sizeof(tmp));
	if (ret)
		return ret;
	fd = open(target, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		ret = ioctl(fd, FS_IOC_GETFLAGS, &flags) ? 0 : flags;
		close(fd);
		if (ret & (FS_IMMUTABLE_FL | FS_APPEND_FL))
			return -EPERM;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* room for a results file, on a filesystem that may be full */
	ret = fallocate(fd, 0, 0, STALL_JSON_ROOM) && errno != EOPNOTSUPP ? -errno : 0;
	if (close(fd) && !ret)
		ret = -errno;
	unlink(tmp);
	return ret;
}

/*
 * Write the document to @path (see stall_json_in_place()): a reader never
 * sees half of a replaced file; the signals that end a run wait until its
 * temporary file is gone. Returns 0 or a negative errno.
 */
int stall_json_write(struct stall_json *j, const char *path)
{
	const char *text = stall_json_text(j);
	char target[PATH_MAX], tmp[PATH_MAX + 32];
	sigset_t block, old;
	int ret;

	if (!text)
		return -EINVAL;
	if (stall_json_in_place(path))
		return stall_json_write_through(path, text);
	ret = stall_json_target(path, target, sizeof(target));
	if (!ret)
		ret = stall_json_tmp_name(target, tmp, sizeof(tmp));
	if (ret)
		return ret;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &old);
	ret = stall_json_write_tmp(tmp, target, text);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

void stall_json_free(struct stall_json *j)
{
	if (j->f)
		fclose(j->f);
	free(j->buf);
	memset(j, 0, sizeof(*j));
}
