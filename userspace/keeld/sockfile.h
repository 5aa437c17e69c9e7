/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keeld's socket file: bound with its final mode (no chmod by path),
 * replacing only a stale socket, never a file or a symlink, and removed
 * at exit only while it is still the one keeld made.
 */
#ifndef KEELD_SOCKFILE_H
#define KEELD_SOCKFILE_H

#include <stdbool.h>
#include <sys/types.h>

/* Which file keeld bound: the socket it removes at exit. */
struct sockfile {
	dev_t dev;
	ino_t ino;
	bool made;
};

/*
 * Bind the AF_UNIX socket @fd to @path with mode 0666 and listen. A
 * socket of a dead keeld at @path is replaced; anything else there is
 * left alone and refused. Logs why and returns a negative errno on
 * failure.
 */
int sockfile_bind(int fd, const char *path, struct sockfile *sf);
/* Remove @path if it is still the socket sockfile_bind() made. */
void sockfile_remove(const char *path, const struct sockfile *sf);

#endif /* KEELD_SOCKFILE_H */
