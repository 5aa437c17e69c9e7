// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl mirror add: protect a range of a running VMM's guest memory,
 * by its pid. The VM is taken with pidfd_getfd(2) (libkeel); the range is
 * set up with KEEL_MIRROR_SETUP_REPAIR, since a VMM that knows nothing of
 * Keel never asks for a repair: Keel repairs a failed page when the
 * failure is signalled, before the VMM hears of it; and with
 * KEEL_MIRROR_SETUP_COMPARE, since such a VMM declares none of its own
 * writes to guest memory (nor lets vhost log them): Keel finds them by
 * comparing each guest page with its mirror periodically. With offsets for
 * them, Keel places the windows translated code stores through
 * (KEEL_MIRROR_IOC_WINDOWS). Then it is attached to the VM; until the
 * attach every descriptor is keelctl's own (the windows are taken away
 * again if the attach fails), so a failure leaves nothing behind.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <json-c/json.h>
#include <linux/keel_mirror.h>

#include "keelctl.h"

#define OP	"mirror add"

/*
 * "keelctl: mirror add: <why>[: <errno text>]": the errno's text only
 * when @why does not say the cause (@cause false). Its exit code.
 */
static int fail(int errnum, const char *why, bool cause)
{
	fprintf(stderr, "keelctl: " OP ": %s%s%s\n", why, cause ? "" : ": ",
		cause ? "" : strerror(errnum));
	return keelctl_exit_code(KEEL_ERR_SYSTEM, errnum);
}

/* Why KEEL_MIRROR_IOC_SETUP refused, or NULL when its errno says it. */
static const char *setup_error(int errnum)
{
	switch (errnum) {
	case ENOENT:
		return "a page of the range is not guest memory (no memslot)";
	case EROFS:
		return "a page of the range is read-only guest memory";
	case EEXIST:
		return "the range overlaps one this VM already protects (keelctl mirror list)";
	case EOPNOTSUPP:
		return "this kernel does not let Keel see memory-failure signals";
	case EMEDIUMTYPE:
		return "the guest RAM there is a shared or hugetlbfs mapping, whose failed pages Keel cannot replace (only private anonymous RAM)";
	case EINVAL:
		return "bad range (page aligned, at most 1 GiB)";
	default:
		return NULL;
	}
}

/* Why KEEL_MIRROR_IOC_WINDOWS refused, or NULL when its errno says it. */
static const char *windows_error(int errnum)
{
	switch (errnum) {
	case EEXIST:
		return "a window overlaps guest memory or a device the VM maps (memslot)";
	case EXDEV:
		return "the range is not one memslot of the VM: no alias for it";
	case ENOSPC:
		return "the VM has no free memslot numbers";
	case EINVAL:
		return "bad windows (they overlap each other or the range, or the VM cannot map that address)";
	default:
		return NULL;
	}
}

/* KEEL_MIRROR_IOC_WINDOWS on the range @dev: 0, or -1 with errno. */
static int windows(int dev, int vm, uint32_t flags, uint64_t alias_off,
		   uint64_t mirror_off)
{
	struct keel_mirror_windows w;

	memset(&w, 0, sizeof(w));
	w.size = sizeof(w);
	w.flags = flags;
	w.vm_fd = vm;
	w.alias_off = alias_off;
	w.mirror_off = mirror_off;
	return ioctl(dev, KEEL_MIRROR_IOC_WINDOWS, &w);
}

/* The windows of @r on the range @dev; its exit code, 0 when done. */
static int add_windows(int dev, int vm, const struct mirror_add_req *r)
{
	const char *why;

	if (!windows(dev, vm, 0, r->alias_off, r->mirror_off))
		return 0;
	why = windows_error(errno);
	return fail(errno, why ? why : "cannot place the windows", why != NULL);
}

int mirror_add(struct keelctl *k, const struct mirror_add_req *r)
{
	struct keel_mirror_setup s;
	struct keel_vmm vmm;
	struct json_object *j;
	const char *why;
	int vm, dev, rc, ret;

	vm = keel_vm_fd_of_pid(r->pid, -1, &vmm);
	if (vm < 0)
		return keelctl_vmm_fail(OP, vm, &vmm, false);
	dev = keelctl_open_dev(OP, KEEL_MIRROR_DEVICE, "keel_mirror");
	if (dev < 0) {
		close(vm);
		return -dev;
	}
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.flags = KEEL_MIRROR_SETUP_REPAIR | KEEL_MIRROR_SETUP_COMPARE;
	s.vm_fd = vm;
	s.gpa = r->gpa;
	s.len = r->len;
	strncpy(s.label, r->label, sizeof(s.label) - 1);
	if (ioctl(dev, KEEL_MIRROR_IOC_SETUP, &s)) {
		why = setup_error(errno);
		rc = fail(errno, why ? why : "cannot set the range up",
			  why != NULL);
		goto out;
	}
	if (r->alias_off) {
		rc = add_windows(dev, vm, r);
		if (rc)
			goto out;
	}
	ret = keel_obj_attach(dev);
	if (ret) {
		/* Keel's mapping in the VMM holds the range: let it go. */
		if (r->alias_off)
			windows(dev, vm, KEEL_MIRROR_WINDOWS_DEL, 0, 0);
		rc = fail(-ret, "cannot attach the range to the VM", false);
		goto out;
	}
	if (k->json) {
		j = json_object_new_object();
		json_object_object_add(j, "id", json_object_new_uint64(s.id));
		rc = keelctl_print_json(k, j);
	} else {
		printf("%u\n", s.id);
		rc = fflush(stdout) ? KEELCTL_EXIT_FAIL : KEELCTL_EXIT_OK;
	}
out:
	/* Attached, the kernel holds the range's file; else it goes. */
	close(dev);
	close(vm);
	return rc;
}
