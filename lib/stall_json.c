// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small JSON writer for the stall tests' results file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

static int stall_json_write_tmp(const char *tmp, const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd, ret = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	errno = 0;
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		ret = errno ? -errno : -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

/*
 * Write the document to @path through a temporary file renamed over it,
 * so that a reader never sees half of it; the signals that end a run
 * wait until the temporary file is gone. Returns 0 or a negative errno.
 */
int stall_json_write(struct stall_json *j, const char *path)
{
	const char *text = stall_json_text(j);
	sigset_t block, old;
	char tmp[4096];
	int ret;

	if (!text)
		return -EINVAL;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &old);
	ret = stall_json_write_tmp(tmp, path, text);
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
