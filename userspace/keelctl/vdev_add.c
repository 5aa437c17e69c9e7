// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl vdev add: a device on the VM of a running VMM that knows
 * nothing of Keel. It takes the VM by the VMM's pid, sets the device up
 * on /dev/keel-vdev with eventfds that Keel binds to the GSI in the VM's
 * own context (KEEL_VDEV_SETUP_GSI), starts it and attaches it to the VM
 * (KEEL_IOC_ATTACH), then exits; each failure is worded by its cause.
 * Until the attach every descriptor is keelctl's own, so on a failure
 * closing them leaves nothing behind: the kernel drops a device whose
 * file is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include <json-c/json.h>
#include <linux/keel_vdev.h>

#include "keelctl.h"

/* The layout with @gsi (uapi version 4), which setup() needs. */
_Static_assert(sizeof(struct keel_vdev_setup) == 88,
	       "struct keel_vdev_setup with its gsi field");

#define MAX_PER_VM_PARAM "/sys/module/keel_vdev/parameters/max_devices_per_vm"
#define OP "vdev add"

/* What keelctl holds while it sets the device up: -1 when not open. */
struct add_fds {
	int vm, dev, irq, resample;
};

static void close_fds(struct add_fds *f)
{
	int *fds[] = { &f->vm, &f->dev, &f->irq, &f->resample };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/*
 * "keelctl: vdev add: <why>"; the exit code for @errnum, the failed
 * call's. @why names the cause: the errno's text only where it is the
 * cause itself ("cannot start the device: ...").
 */
__attribute__((format(printf, 2, 3)))
static int fail(int errnum, const char *fmt, ...)
{
	va_list ap;

	fputs("keelctl: " OP ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return keelctl_exit_code(KEEL_ERR_SYSTEM, errnum);
}

/* "port 0x2f8-0x2ff", "MMIO 0xfe000000-0xfe000007" */
static void range_text(const struct vdev_add_req *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s 0x%llx-0x%llx",
		 r->bus == KEEL_VDEV_BUS_PIO ? "port" : "MMIO",
		 (unsigned long long)r->base,
		 (unsigned long long)(r->base + r->len - 1));
}

/* Keel's uapi version, 0 if it cannot be asked. */
static uint32_t keel_api(void)
{
	struct keel_version v;
	struct keel_error err;
	struct keel_sock *s = keel_open(&err);
	uint32_t api = 0;

	if (s && !keel_version_get(s, &v)) {
		api = v.api_version;
		keel_version_free(&v);
	}
	keel_close(s);
	return api;
}

/* An older Keel refuses what it does not know: EINVAL, ENOTTY, E2BIG. */
static int old_keel(int errnum)
{
	uint32_t api = keel_api();

	if (!api || api >= 4)
		return 0;
	fail(errnum, "Keel's uapi is version %u: devices for a VMM that knows nothing of Keel need version 4 (update Keel)",
	     api);
	return 1;
}

static int setup_fail(int errnum, const struct vdev_add_req *r)
{
	char range[64], max[16] = "";
	int fd;

	range_text(r, range, sizeof(range));
	switch (errnum) {
	case EADDRINUSE:
		return fail(errnum, "%s overlaps another Keel device of the VM",
			    range);
	case EBUSY:
		return fail(errnum, "GSI %u is driven by another irqfd of the VM: a device of the VMM's own uses it (pick another --irq, or remove that device from the VMM)",
			    r->gsi);
	case ENOSPC:
		fd = open(MAX_PER_VM_PARAM, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t n = read(fd, max, sizeof(max) - 1);

			max[n > 0 ? n : 0] = '\0';
			max[strcspn(max, "\n")] = '\0';
			close(fd);
		}
		return fail(errnum, "the VM already holds max_devices_per_vm%s%s%s Keel devices (remove one, or raise " MAX_PER_VM_PARAM ")",
			    max[0] ? " (" : "", max, max[0] ? ")" : "");
	case ESRCH:
		return fail(errnum, "process %d is exiting", r->pid);
	case EINVAL:
	case ENOTTY:
	case E2BIG:
		if (old_keel(errnum))
			return KEELCTL_EXIT_FAIL;
		if (errnum != EINVAL)
			break;
		return fail(errnum, "KVM refused GSI %u: the VM has no in-kernel irqchip, or no such GSI%s",
			    r->gsi, r->level ?
			    "; --level also needs the full in-kernel irqchip (QEMU's kernel-irqchip=on, not split)" :
			    "");
	}
	return fail(errnum, "cannot set the device up at %s: %s", range,
		    strerror(errnum));
}

static int setup(struct add_fds *f, const struct vdev_add_req *r,
		 uint32_t *id)
{
	struct keel_vdev_setup s = {
		.size = sizeof(s),
		.flags = KEEL_VDEV_SETUP_IRQFD | KEEL_VDEV_SETUP_GSI,
		.vm_fd = f->vm,
		.model = r->model,
		.bus = r->bus,
		.len = r->len,
		.base = r->base,
		.irq_fd = f->irq,
		.resample_fd = -1,
		.gsi = r->gsi,
	};

	if (f->resample >= 0) {
		s.flags |= KEEL_VDEV_SETUP_RESAMPLE;
		s.resample_fd = f->resample;
	}
	snprintf(s.label, sizeof(s.label), "%s", r->label);
	if (ioctl(f->dev, KEEL_VDEV_IOC_SETUP, &s))
		return setup_fail(errno, r);
	*id = s.id;
	return KEELCTL_EXIT_OK;
}

static int start_and_attach(struct add_fds *f, const struct vdev_add_req *r)
{
	int ret;

	if (ioctl(f->dev, KEEL_VDEV_IOC_START))
		return fail(errno, "cannot start the device: %s", strerror(errno));
	ret = keel_obj_attach(f->dev);
	if (!ret)
		return KEELCTL_EXIT_OK;
	if (ret == -ESRCH)
		return fail(-ret, "process %d is exiting", r->pid);
	if ((ret == -ENOTTY || ret == -EINVAL) && old_keel(-ret))
		return KEELCTL_EXIT_FAIL;
	return fail(-ret, "cannot attach the device to the VM: %s",
		    strerror(-ret));
}

int vdev_add(struct keelctl *k, const struct vdev_add_req *r)
{
	struct add_fds f = { .vm = -1, .dev = -1, .irq = -1, .resample = -1 };
	struct keel_vmm vmm;
	uint32_t id = 0;
	int rc;

	f.vm = keel_vm_fd_of_pid(r->pid, r->vm_fd, &vmm);
	if (f.vm < 0)
		return keelctl_vmm_fail(OP, f.vm, &vmm, true);
	f.dev = keelctl_open_dev(OP, KEEL_VDEV_DEVICE, "keel_vdev");
	if (f.dev < 0) {
		rc = -f.dev;
		f.dev = -1;
		close_fds(&f);
		return rc;
	}
	f.irq = eventfd(0, EFD_CLOEXEC);
	if (f.irq >= 0 && r->level)
		f.resample = eventfd(0, EFD_CLOEXEC);
	if (f.irq < 0 || (r->level && f.resample < 0))
		rc = fail(errno, "cannot make an eventfd: %s", strerror(errno));
	else
		rc = setup(&f, r, &id);
	if (!rc)
		rc = start_and_attach(&f, r);
	/* Attached, the kernel holds the device's file; else it goes. */
	close_fds(&f);
	if (rc)
		return rc;
	return keelctl_print_added(k, OP, id);
}
