// SPDX-License-Identifier: GPL-2.0
/*
 * Creating the files keelctl writes, for a caller that is often root in
 * a directory other users can write to. A new file is opened with
 * O_CREAT | O_EXCL | O_NOFOLLOW and mode 0600: an existing file or a
 * symlink at the path makes it fail, nothing is followed or truncated.
 * Replacing (--force) writes a new 0600 file beside the path with
 * mkostemp() and rename()s it over the path once complete: rename()
 * replaces a symlink instead of following it, and the old file's mode,
 * owner and other links are never reused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

static int remember(struct outfile *of)
{
	struct stat st;

	if (fstat(of->fd, &st))
		return -errno;
	of->dev = st.st_dev;
	of->ino = st.st_ino;
	return 0;
}

int outfile_open(struct outfile *of, const char *path, bool force)
{
	int ret;

	memset(of, 0, sizeof(*of));
	of->path = path;
	of->fd = -1;
	if (!strcmp(path, "-")) {
		of->fd = STDOUT_FILENO;
		return 0;
	}
	if (force) {
		size_t n = strlen(path) + sizeof(".XXXXXX");

		of->tmp = malloc(n);
		if (!of->tmp)
			return -ENOMEM;
		snprintf(of->tmp, n, "%s.XXXXXX", path);
		/* mkostemp() creates it 0600 with O_EXCL. */
		of->fd = mkostemp(of->tmp, O_CLOEXEC);
	} else {
		of->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			      O_CLOEXEC | O_NOCTTY, 0600);
	}
	if (of->fd < 0) {
		ret = -errno;
		free(of->tmp);
		of->tmp = NULL;
		return ret;
	}
	ret = remember(of);
	if (ret)
		outfile_abort(of);
	return ret;
}

int outfile_write(struct outfile *of, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(of->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int outfile_commit(struct outfile *of)
{
	int ret = 0;

	if (of->fd == STDOUT_FILENO)
		return 0;
	if (fsync(of->fd))
		ret = -errno;
	if (close(of->fd) && !ret)
		ret = -errno;
	of->fd = -1;
	if (!ret && of->tmp && rename(of->tmp, of->path))
		ret = -errno;
	if (ret) {
		outfile_abort(of);
		return ret;
	}
	free(of->tmp);
	of->tmp = NULL;
	return 0;
}

void outfile_abort(struct outfile *of)
{
	const char *name = of->tmp ? of->tmp : of->path;
	struct stat st;

	if (of->fd >= 0 && of->fd != STDOUT_FILENO)
		close(of->fd);
	/* Only the file created here, if its name still leads to it. */
	if (of->fd != STDOUT_FILENO && of->ino && !lstat(name, &st) &&
	    st.st_dev == of->dev && st.st_ino == of->ino)
		unlink(name);
	of->fd = -1;
	free(of->tmp);
	of->tmp = NULL;
	of->ino = 0;
}
