// SPDX-License-Identifier: GPL-2.0
/*
 * Whether a daemon's stderr is journald's stream, for the log lines of
 * keeld and keel-iod: journald then takes a "<PRIORITY>" prefix.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "libkeel.h"

/* stderr is the stream $JOURNAL_STREAM ("DEV:INODE") names. */
bool keel_stderr_is_journal(void)
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
