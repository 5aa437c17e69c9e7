// SPDX-License-Identifier: GPL-2.0
/*
 * keeld's socket file. keeld runs as root and its socket may sit in a
 * directory other users can write to, so nothing here follows a symlink
 * or acts on a path it did not check: lstat() decides what is at the
 * path, only a socket that refuses connections (a dead keeld's) is
 * unlinked, bind() (which never follows a symlink at the last component)
 * creates the socket with its final mode under a umask instead of a
 * chmod() by path afterwards, and at exit the path is unlinked only if
 * it still names the inode keeld bound.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sockfile.h"
#include "log.h"

/* Anyone may connect: access is decided per request from credentials. */
#define SOCKET_MODE	0666

static const char *kind(mode_t m)
{
	if (S_ISLNK(m))
		return "symlink";
	if (S_ISREG(m))
		return "regular file";
	if (S_ISDIR(m))
		return "directory";
	return "special file";
}

/* What to do when the socket's directory is not keeld's to use. */
static const char *no_access(int e)
{
	return e == EACCES || e == EPERM ?
		" (keeld must be able to write in the socket's directory: run it as root or its own user, or give --socket PATH)" :
		"";
}

/* Whether the socket at @sun is a dead keeld's (0), or why it is not. */
static int stale(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (!connect(fd, (const struct sockaddr *)sun, sizeof(*sun)))
		ret = -EADDRINUSE;
	else if (errno != ECONNREFUSED)
		ret = -errno;
	close(fd);
	return ret;
}

int sockfile_bind(int fd, const char *path, struct sockfile *sf)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t mask;
	int ret;

	sf->made = false;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		keeld_log(LOG_ERR, "socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			keeld_log(LOG_ERR, "%s is not a socket (a %s): not replacing it; remove it, or give --socket PATH",
				path, kind(st.st_mode));
			return -EEXIST;
		}
		ret = stale(&sun);
		if (ret == -EADDRINUSE) {
			keeld_log(LOG_ERR, "another keeld serves %s", path);
			return ret;
		}
		if (ret) {
			keeld_log(LOG_ERR, "cannot tell whether a keeld serves %s: %s",
				path, strerror(-ret));
			return ret;
		}
		/* unlink() removes the name, whatever it names by now. */
		if (unlink(path) && errno != ENOENT) {
			ret = -errno;
			keeld_log(LOG_ERR, "cannot remove the stale socket %s: %s",
				path, strerror(errno));
			return ret;
		}
	} else if (errno != ENOENT) {
		ret = -errno;
		keeld_log(LOG_ERR, "cannot look at %s: %s%s", path, strerror(errno),
			  no_access(errno));
		return ret;
	}
	mask = umask(~SOCKET_MODE & 0777);
	ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
	umask(mask);
	if (!ret && !lstat(path, &st) && S_ISSOCK(st.st_mode)) {
		sf->dev = st.st_dev;
		sf->ino = st.st_ino;
		sf->made = true;
	}
	if (!ret && listen(fd, 128))
		ret = -errno;
	if (ret) {
		keeld_log(LOG_ERR, "cannot listen on %s: %s%s", path,
			  strerror(-ret), no_access(-ret));
		sockfile_remove(path, sf);
	}
	return ret;
}

void sockfile_remove(const char *path, const struct sockfile *sf)
{
	struct stat st;

	if (sf->made && !lstat(path, &st) && S_ISSOCK(st.st_mode) &&
	    st.st_dev == sf->dev && st.st_ino == sf->ino)
		unlink(path);
}
