// SPDX-License-Identifier: GPL-2.0
/*
 * keeld's database URL from a file, and the check for a password in a
 * URL given on the command line. libpq parses connection strings and
 * URIs (PQconninfoParse()); keeld only asks it whether a password is in
 * there. A password in the file, in $KEELD_DB or in libpq's own
 * PGPASSWORD, PGPASSFILE (~/.pgpass) or PGSERVICEFILE is not visible to
 * other users; one in /proc/PID/cmdline is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "dburl.h"

bool dburl_has_password(const char *url)
{
	PQconninfoOption *opts, *o;
	char *err = NULL;
	bool found = false;

	if (!strncmp(url, "sqlite:", 7))
		return false;
	opts = PQconninfoParse(url, &err);
	PQfreemem(err);
	if (!opts)
		return false;	/* not a connection string: refused later */
	for (o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val)
			found = true;
	PQconninfoFree(opts);
	return found;
}

char *dburl_read_file(const char *path, char *msg, size_t len)
{
	char *line = NULL;
	size_t cap = 0;
	struct stat st;
	ssize_t n;
	FILE *f;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(msg, len, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0027)) {
		snprintf(msg, len, "%s: %s (mode %04o): it holds the database's credentials; make it 0600, or 0640 for a group",
			 path, !S_ISREG(st.st_mode) ? "not a regular file" :
			 st.st_mode & 0007 ? "readable or writable by others" :
			 "writable by its group", (unsigned int)(st.st_mode & 07777));
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		snprintf(msg, len, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	n = getline(&line, &cap, f);
	fclose(f);
	while (n > 0 && strchr("\r\n \t", line[n - 1]))
		line[--n] = '\0';
	if (n <= 0) {
		snprintf(msg, len, "%s: no URL in its first line", path);
		free(line);
		return NULL;
	}
	return line;
}
