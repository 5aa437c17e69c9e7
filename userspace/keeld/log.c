// SPDX-License-Identifier: GPL-2.0
/*
 * keeld's log lines (log.h): the priority prefix journald understands
 * when stderr is its stream, "keeld: " otherwise; one write per line.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "libkeel.h"
#include "log.h"

void keeld_vlog(int prio, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (keel_stderr_is_journal())
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
