// SPDX-License-Identifier: GPL-2.0
/*
 * Error kinds and their wording: what a caller prints when a request to
 * Keel fails, and how a kernel errno maps to a kind scripts can act on.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

int keel_error_set(struct keel_error *err, enum keel_err_kind kind,
		   int errnum)
{
	memset(err, 0, sizeof(*err));
	if (kind == KEEL_ERR_SYSTEM && (errnum == EPERM || errnum == EACCES))
		kind = KEEL_ERR_PERM;
	err->kind = kind;
	err->errnum = errnum;
	return -errnum;
}

enum keel_err_kind keel_error_kind(int errnum)
{
	if (errnum == EPERM || errnum == EACCES)
		return KEEL_ERR_PERM;
	return KEEL_ERR_KERNEL;
}

const char *keel_error_str(const struct keel_error *err)
{
	switch (err->kind) {
	case KEEL_ERR_NONE:
		return "success";
	case KEEL_ERR_NOT_LOADED:
		return "keel modules are not loaded (keel.ko)";
	case KEEL_ERR_PROTO:
		if (!err->errnum)
			return "malformed reply from the kernel";
		break;
	default:
		break;
	}
	return strerror(err->errnum);
}

void keel_error_print(FILE *f, const char *prog, const char *op,
		      const struct keel_error *err)
{
	fprintf(f, "%s: ", prog);
	if (op && err->kind != KEEL_ERR_NOT_LOADED)
		fprintf(f, "%s: ", op);
	fputs(keel_error_str(err), f);
	if (err->msg[0])
		fprintf(f, ": %s", err->msg);
	fputc('\n', f);
}
