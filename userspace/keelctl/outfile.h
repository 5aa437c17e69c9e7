/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files keelctl writes (state blobs): created 0600, never through a
 * symlink, never over an existing file unless told to (--force), and
 * then replaced whole by a rename, never written in place.
 */
#ifndef KEELCTL_OUTFILE_H
#define KEELCTL_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct outfile {
	const char *path;	/* what the caller named ("-": stdout) */
	char *tmp;		/* with force: the file that replaces path */
	int fd;
	dev_t dev;		/* the file created, to remove on abort */
	ino_t ino;
};

/*
 * Create @path for writing, mode 0600: with O_EXCL and O_NOFOLLOW, so an
 * existing file or symlink there fails with -EEXIST; with @force, a new
 * file beside it that outfile_commit() renames over @path (a symlink at
 * @path is replaced, not followed). "-" is standard output. Returns 0 or
 * a negative errno; nothing is left behind on failure.
 */
int outfile_open(struct outfile *of, const char *path, bool force);
/* Write @len bytes; 0 or a negative errno. */
int outfile_write(struct outfile *of, const void *buf, size_t len);
/* Finish: flush to disk and put the file in place; 0 or a negative errno
 * (then the file is removed as by outfile_abort()). */
int outfile_commit(struct outfile *of);
/* Remove the file outfile_open() created and release @of. */
void outfile_abort(struct outfile *of);

#endif /* KEELCTL_OUTFILE_H */
