// SPDX-License-Identifier: GPL-2.0
/*
 * Error kinds and their wording: what a caller prints when a request to
 * Keel fails (the kernel's or keeld's own reason when it sent one, else
 * the errno in words that say what to do), and how a kernel errno maps
 * to a kind scripts can act on.
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

const char *keel_errno_str(int errnum)
{
	switch (errnum) {
	case 0:
		return "success";
	case EPERM:
	case EACCES:
		return "permission denied: this needs root (CAP_SYS_ADMIN) or, for an object, the user that created it (see keel(7))";
	case ENOENT:
		return "no such object";
	case ESRCH:
		return "no such process";
	case EEXIST:
		return "it exists already";
	case EBUSY:
		return "busy: in use by something else";
	case EALREADY:
		return "already done: the object is in that state";
	case ENOMEM:
		return "out of memory";
	case EOPNOTSUPP:
		return "not supported by the loaded Keel modules (keelctl version compares their api with keelctl's)";
	case EAGAIN:
	case ETIMEDOUT:
		return "no answer in time; try again";
	case EMSGSIZE:
		return "the request is too large";
	case EPROTO:
	case EBADMSG:
		return "malformed reply (keelctl version shows whether keelctl and Keel differ)";
	default:
		return strerror(errnum);
	}
}

const char *keel_error_str(const struct keel_error *err)
{
	switch (err->kind) {
	case KEEL_ERR_NONE:
		return "success";
	case KEEL_ERR_NOT_LOADED:
		return "keel modules are not loaded (keel.ko): load them with modprobe keel";
	case KEEL_ERR_PROTO:
		if (!err->errnum)
			return "malformed reply from the kernel";
		break;
	default:
		break;
	}
	return keel_errno_str(err->errnum);
}

void keel_error_print(FILE *f, const char *prog, const char *op,
		      const struct keel_error *err)
{
	fprintf(f, "%s: ", prog);
	if (err->kind == KEEL_ERR_NOT_LOADED) {
		fprintf(f, "%s\n", keel_error_str(err));
		return;
	}
	if (op)
		fprintf(f, "%s: ", op);
	/* The sender's own reason says more than its errno: it alone. */
	fprintf(f, "%s\n", err->msg[0] ? err->msg : keel_error_str(err));
}
