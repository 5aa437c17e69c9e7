// SPDX-License-Identifier: GPL-2.0
/*
 * keel-iod's log lines (log.h): the level, and journald's priority
 * prefix when stderr is its stream; one write per line.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "libkeel.h"
#include "log.h"

int iod_log_level = LOG_INFO;

static const char *level(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

static void vlog(int prio, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (keel_stderr_is_journal())
		fprintf(stderr, "<%d>%s\n", LOG_PRI(prio), line);
	else
		fprintf(stderr, "keel-iod: %s: %s\n", level(prio), line);
}

void iod_log(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio > iod_log_level)
		return;
	va_start(ap, fmt);
	vlog(prio, fmt, ap);
	va_end(ap);
}

void iod_log_peer(int prio, const char *fmt, ...)
{
	static time_t window;
	static unsigned int logged, dropped;
	struct timespec ts;
	va_list ap;

	if (prio > iod_log_level)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec - window >= 10) {
		if (dropped)
			iod_log(LOG_WARNING, "%u lines about clients left out of the log",
				dropped);
		window = ts.tv_sec;
		logged = dropped = 0;
	}
	if (logged >= IOD_LOG_BURST) {
		dropped++;
		return;
	}
	logged++;
	va_start(ap, fmt);
	vlog(prio, fmt, ap);
	va_end(ap);
}
