/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where keeld's database URL comes from: --db URL, --db-file FILE, the
 * environment ($KEELD_DB) or the default, and keeping passwords off the
 * command line, where every local user can read them.
 */
#ifndef KEELD_DBURL_H
#define KEELD_DBURL_H

#include <stdbool.h>
#include <stddef.h>

/* The environment variable keeld reads the URL from without --db. */
#define KEELD_DB_ENV	"KEELD_DB"

/* Whether the URL or libpq connection string @url carries a password. */
bool dburl_has_password(const char *url);
/*
 * The URL in the first line of @path (malloc'd), or NULL with the reason
 * in @msg. The file must be a regular file no other user may read or
 * write (0600, or 0640 for a group).
 */
char *dburl_read_file(const char *path, char *msg, size_t len);

#endif /* KEELD_DBURL_H */
