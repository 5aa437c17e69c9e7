// SPDX-License-Identifier: GPL-2.0
/*
 * keeld's log lines (log.h): the priority prefix journald understands
 * when stderr is its stream, "keeld: " otherwise; one write per line.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "log.h"

/* stderr is the stream $JOURNAL_STREAM ("DEV:INODE") names. */
static bool to_journal(void)
{
	static int cached = -1;
	unsigned long long dev, ino;
	const char *js;
	struct stat st;

	if (cached >= 0)
		return cached;
	js = getenv("JOURNAL_STREAM");
	cached = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
		 !fstat(2, &st) && st.st_dev == dev && st.st_ino == ino;
	return cached;
}

void keeld_vlog(int prio, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (to_journal())
		fprintf(stderr, "<%d>%s\n", LOG_PRI(prio), line);
	else
		fprintf(stderr, "keeld: %s\n", line);
}

void keeld_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	keeld_vlog(prio, fmt, ap);
	va_end(ap);
}
