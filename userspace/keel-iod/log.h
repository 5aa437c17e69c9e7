/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel-iod's log: one line per message on stderr, "keel-iod: LEVEL: ..."
 * for a terminal or a file, with the syslog priority journald reads
 * ("<3>...") when stderr is the journal's stream ($JOURNAL_STREAM).
 * Messages above iod_log_level (LOG_INFO unless -v or -q) are dropped.
 */
#ifndef IOD_LOG_H
#define IOD_LOG_H

#include <stdarg.h>
#include <syslog.h>

extern int iod_log_level;

__attribute__((format(printf, 2, 3)))
void iod_log(int prio, const char *fmt, ...);
/*
 * A line a peer's doing causes (refusals, opens, disconnects): at most
 * IOD_LOG_BURST of them every ten seconds, then one line saying how many
 * were left out, so that no client floods the log.
 */
#define IOD_LOG_BURST	50
__attribute__((format(printf, 2, 3)))
void iod_log_peer(int prio, const char *fmt, ...);

#endif /* IOD_LOG_H */
