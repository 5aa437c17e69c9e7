/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keeld's log: one line per message on stderr, with its syslog priority
 * as journald reads it ("<3>...") when stderr is the journal's stream
 * (systemd sets $JOURNAL_STREAM), else "keeld: ..." for a terminal or a
 * file.
 */
#ifndef KEELD_LOG_H
#define KEELD_LOG_H

#include <stdarg.h>
#include <syslog.h>

__attribute__((format(printf, 2, 3)))
void keeld_log(int prio, const char *fmt, ...);
__attribute__((format(printf, 2, 0)))
void keeld_vlog(int prio, const char *fmt, va_list ap);

#endif
