/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small files of /proc and /sys for host-side tests: read one into a
 * string or a number, write one; and a temporary file's end.
 */
#ifndef KEEL_TEST_FILE_H
#define KEEL_TEST_FILE_H

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read a small file into @buf, NUL-terminated; its length or -errno. */
static inline int read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/* One unsigned decimal number: 0 or -errno (-EINVAL: not a number). */
static inline int read_ull(const char *path, unsigned long long *val)
{
	char buf[64], *end;
	int ret = read_text(path, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	errno = 0;
	*val = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

/* Write @text to the file: 0 or -errno. */
static inline int write_text(const char *path, const char *text)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? n : 0;
}

/* A temporary file of mkstemp(): closed and removed (@fd < 0: none). */
static inline void keel_test_tmp_drop(int fd, const char *path)
{
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
}

#endif /* KEEL_TEST_FILE_H */
