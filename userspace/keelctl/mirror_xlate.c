// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl mirror xlate and unxlate: tell keel_mirror of a binary
 * translation that whoever places code in the guest has put in (or taken
 * out) for a range that "mirror add" attached to an unmodified VMM
 * (KEEL_MIRROR_IOC_XLATE on the range's file, KEEL_IOC_OBJ_OPEN), so that
 * "mirror translations" lists it with the stores it made without a trap.
 * The arguments are checked in cmd_mirror.c; what only the range can
 * refuse is said here in words.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <linux/keel_mirror.h>

#include "keelctl.h"

/* Why KEEL_MIRROR_IOC_XLATE refused, or NULL when its errno says it. */
static const char *xlate_error(const struct mirror_xlate_req *r, int errnum)
{
	switch (errnum) {
	case EINVAL:
		/* what else it refuses, cmd_mirror.c checked */
		if (r->counted && r->logged)
			return "the counter or the log lies in the range, whose stores trap";
		if (r->logged)
			return "the log lies in the range, whose stores trap";
		return r->counted ? "the counter lies in the range, whose stores trap" :
				    NULL;
	case EFAULT:
		if (r->counted && r->logged)
			return "--count-gpa, --log-gpa or --log-pt is not guest memory of the VM";
		return r->logged ? "--log-gpa or --log-pt is not guest memory of the VM" :
				   "--count-gpa is not guest memory of the VM";
	case EEXIST:
		return "the code overlaps a translation registered (keelctl mirror translations)";
	case ENOSPC:
		return "the range has as many translations registered as it lists";
	case ENOENT:
		return r->del ? "no translation registered starts at --start" :
				NULL;
	case ESRCH:
		return "the VM's process is exiting";
	default:
		return NULL;
	}
}

int mirror_xlate(struct keelctl *k, const struct mirror_xlate_req *r)
{
	const char *op = r->del ? "mirror unxlate" : "mirror xlate";
	struct keel_mirror_xlate a;
	struct keel_obj o;
	const char *why;
	int rc, fd;

	rc = keelctl_obj_get(k, r->id, "mirror", op, &o);
	if (rc >= 0)
		return rc;
	keel_obj_free(&o);
	fd = keelctl_obj_file(op, r->id, "range");
	if (fd < 0)
		return -fd;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.start = r->start;
	if (r->del) {
		a.flags = KEEL_MIRROR_XLATE_DEL;
	} else {
		a.end = r->end;
		a.code = r->code;
		if (r->counted) {
			a.flags |= KEEL_MIRROR_XLATE_COUNTED;
			a.count_gpa = r->count_gpa;
		}
		if (r->logged) {
			a.flags |= KEEL_MIRROR_XLATE_LOGGED;
			a.log_gpa = r->log_gpa;
			a.log_pt_gpa = r->log_pt;
			if (r->pt5)
				a.flags |= KEEL_MIRROR_XLATE_PT5;
		}
	}
	rc = KEELCTL_EXIT_OK;
	if (ioctl(fd, KEEL_MIRROR_IOC_XLATE, &a)) {
		why = xlate_error(r, errno);
		fprintf(stderr, "keelctl: %s: %s%s%s\n", op,
			why ? why : "range refused it", why ? "" : ": ",
			why ? "" : strerror(errno));
		/* a translation named that is not there: not found */
		rc = keelctl_exit_code(errno == ENOENT ? KEEL_ERR_KERNEL :
				       KEEL_ERR_SYSTEM, errno);
	}
	close(fd);
	return rc;
}
