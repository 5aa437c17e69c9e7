// SPDX-License-Identifier: GPL-2.0
/*
 * The error helper of the allocation engine: a negative errno plus a
 * human reason in a caller-provided struct keeld_err.
 */
#include <stdarg.h>

#include "internal.h"

int keeld_fail(struct keeld_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

void keeld_ok(struct keeld_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
