// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl's output files (outfile.c) in a world-writable sticky
 * directory, as root: a new file is 0600 whatever the umask; an existing
 * file, a symlink or a dangling symlink is refused with -EEXIST and left
 * as it was; with force the path is replaced by a new 0600 file (a
 * symlink is replaced, its target untouched; another hard link keeps the
 * old contents); an abort or a failed commit leaves nothing behind.
 * TAP on stdout.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../keelctl/outfile.h"
#include "tap.h"

static char dir[] = "/tmp/outfile-test-XXXXXX";
static char path[128], target[128], other[128];

static void put(const char *p, const char *text, mode_t mode)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) < 0 || fchmod(fd, mode))
		perror(p);
	if (fd >= 0)
		close(fd);
}

static bool holds(const char *p, const char *text)
{
	char buf[256];
	ssize_t n;
	int fd = open(p, O_RDONLY);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)strlen(text) && !memcmp(buf, text, n);
}

static int mode_of(const char *p)
{
	struct stat st;

	return lstat(p, &st) ? -1 : (int)(st.st_mode & 07777);
}

/* Entries in the directory besides . and .. */
static int entries(void)
{
	struct dirent *d;
	DIR *D = opendir(dir);
	int n = 0;

	while (D && (d = readdir(D)))
		n += strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
	if (D)
		closedir(D);
	return n;
}

/* Save @text to path as keelctl does; 0 or a negative errno. */
static int save(const char *text, bool force)
{
	struct outfile of;
	int ret = outfile_open(&of, path, force);

	if (ret)
		return ret;
	ret = outfile_write(&of, text, strlen(text));
	if (ret) {
		outfile_abort(&of);
		return ret;
	}
	return outfile_commit(&of);
}

static void clean(void)
{
	unlink(path);
	unlink(target);
	unlink(other);
	rmdir(path);
}

int main(void)
{
	struct outfile of;
	struct stat st;
	char buf[128];
	int ret;

	if (!mkdtemp(dir) || chmod(dir, 01777))
		return 1;
	snprintf(path, sizeof(path), "%s/blob", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	umask(0);

	ok(save("new", false) == 0 && holds(path, "new"), "a new file is written");
	ok(mode_of(path) == 0600, "with mode 0600 under umask 0 (%o)", mode_of(path));
	clean();

	put(path, "keep", 0644);
	ret = save("new", false);
	ok(ret == -EEXIST, "an existing file is refused (%s)", strerror(-ret));
	ok(holds(path, "keep") && mode_of(path) == 0644 && entries() == 1,
	   "and left as it was, nothing else created");
	clean();

	put(target, "precious", 0644);
	if (symlink(target, path))
		perror(path);
	ret = save("new", false);
	ok(ret == -EEXIST, "a symlink is refused (%s)", strerror(-ret));
	ok(holds(target, "precious") && mode_of(target) == 0644 &&
	   readlink(path, buf, sizeof(buf)) > 0,
	   "the symlink and its target are left as they were");
	unlink(target);
	ok(save("new", false) == -EEXIST && mode_of(target) == -1,
	   "a dangling symlink is refused and nothing is created at its target");
	clean();

	put(path, "old", 0644);
	if (link(path, other))
		perror(other);
	lstat(path, &st);
	ok(save("new", true) == 0 && holds(path, "new"), "force replaces a file");
	ok(mode_of(path) == 0600, "by a new 0600 file (%o)", mode_of(path));
	ok(holds(other, "old") && entries() == 2,
	   "another link to the old file keeps it; no temporary file is left");
	clean();

	put(target, "precious", 0644);
	if (symlink(target, path))
		perror(path);
	ok(save("new", true) == 0 && lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	   mode_of(path) == 0600 && holds(path, "new"),
	   "force replaces a symlink by a 0600 file");
	ok(holds(target, "precious") && mode_of(target) == 0644,
	   "the symlink's target is untouched");
	clean();

	ok(save("new", true) == 0 && holds(path, "new") && mode_of(path) == 0600,
	   "force creates a missing file 0600");
	clean();

	if (mkdir(path, 0755))
		perror(path);
	ret = save("new", true);
	ok(ret < 0 && entries() == 1, "force onto a directory fails (%s), nothing left",
	   strerror(-ret));
	clean();

	ok(outfile_open(&of, path, false) == 0, "open for an abort");
	outfile_abort(&of);
	ok(entries() == 0, "an abort removes the file it created");
	ok(outfile_open(&of, path, true) == 0, "open with force for an abort");
	outfile_abort(&of);
	ok(entries() == 0, "an abort removes the temporary file");

	rmdir(dir);
	return tap_done();
}
