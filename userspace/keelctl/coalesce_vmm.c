// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl coalesce add and irqfds: a running VMM's queue interrupts, by
 * its pid. The VMM's eventfds (anon_inode:[eventfd] in /proc/PID/fd) are
 * taken with pidfd_getfd(2) and probed on /dev/keel-coalesce
 * (KEEL_COALESCE_IOC_PROBE): those a KVM_IRQFD of its VM waits on are
 * its interrupts, with their GSI and target vCPU. "add" sets moderation
 * up on the one with the GSI asked for, starts it and attaches it to the
 * VM; until the attach every descriptor is keelctl's own, so a failure
 * leaves nothing behind.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>

#include <json-c/json.h>
#include <linux/keel_coalesce.h>
#include <linux/keel_state.h>

#include "keelctl.h"

struct vmm_irqfd {
	int fd;			/* the VMM's number */
	struct keel_coalesce_probe p;
};

struct vmm_scan {
	int pid, pidfd, vm, dev;
	struct keel_vmm vmm;
	struct vmm_irqfd *irqfds;
	size_t n;
};

static void scan_free(struct vmm_scan *s)
{
	if (s->pidfd >= 0)
		close(s->pidfd);
	if (s->vm >= 0)
		close(s->vm);
	if (s->dev >= 0)
		close(s->dev);
	free(s->irqfds);
}

/* "keelctl: <op>: <what>: <errno text>", the errno being the cause. */
static int fail(const char *op, int errnum, const char *what)
{
	fprintf(stderr, "keelctl: %s: %s: %s\n", op, what, strerror(errnum));
	return keelctl_exit_code(KEEL_ERR_SYSTEM, errnum);
}

/* Whether /proc/PID/fd/NAME is an eventfd. */
static bool is_eventfd(int dirfd, const char *name)
{
	char link[64];
	ssize_t n = readlinkat(dirfd, name, link, sizeof(link) - 1);

	if (n < 0)
		return false;
	link[n] = 0;
	return !strcmp(link, "anon_inode:[eventfd]");
}

/* Probe one of the VMM's eventfds; 1 if it is an irqfd of its VM. */
static int probe_one(struct vmm_scan *s, int fd, struct vmm_irqfd *out)
{
	int got = pidfd_getfd(s->pidfd, fd, 0), ret = 0;

	if (got < 0)
		return -errno;
	out->fd = fd;
	memset(&out->p, 0, sizeof(out->p));
	out->p.size = sizeof(out->p);
	out->p.vm_fd = s->vm;
	out->p.fd = got;
	if (!ioctl(s->dev, KEEL_COALESCE_IOC_PROBE, &out->p))
		ret = 1;
	else if (errno != ENOENT)
		ret = -errno;
	close(got);
	return ret;
}

/* The VM and every irqfd of the VMM @pid; exit code or -1 to go on. */
static int scan(const char *op, int pid, struct vmm_scan *s)
{
	char path[64], what[96];
	struct dirent *de;
	DIR *dir;
	int ret;

	memset(s, 0, sizeof(*s));
	s->pid = pid;
	s->pidfd = s->vm = s->dev = -1;
	ret = keelctl_open_dev(op, KEEL_COALESCE_DEVICE, "keel_coalesce");
	if (ret < 0)
		return -ret;
	s->dev = ret;
	ret = keel_vm_fd_of_pid(pid, -1, &s->vmm);
	if (ret < 0)
		return keelctl_vmm_fail(op, ret, &s->vmm, false);
	s->vm = ret;
	s->pidfd = pidfd_open(pid, 0);
	if (s->pidfd < 0) {
		snprintf(what, sizeof(what), "cannot open process %d", pid);
		return fail(op, errno, what);
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir) {
		snprintf(what, sizeof(what), "cannot read %s", path);
		return fail(op, errno, what);
	}
	while ((de = readdir(dir))) {
		struct vmm_irqfd *grown, one;

		if (de->d_name[0] == '.' || !is_eventfd(dirfd(dir), de->d_name))
			continue;
		ret = probe_one(s, atoi(de->d_name), &one);
		if (ret <= 0)
			continue;	/* closed meanwhile, or not an irqfd */
		grown = realloc(s->irqfds, (s->n + 1) * sizeof(*grown));
		if (!grown) {
			closedir(dir);
			fprintf(stderr, "keelctl: %s: out of memory\n", op);
			return KEELCTL_EXIT_FAIL;
		}
		s->irqfds = grown;
		s->irqfds[s->n++] = one;
	}
	closedir(dir);
	return -1;
}

static const char *route_name(uint32_t route)
{
	switch (route) {
	case KEEL_COALESCE_ROUTE_IRQCHIP:
		return "irqchip";
	case KEEL_COALESCE_ROUTE_MSI:
		return "msi";
	}
	return "other";
}

static int cmp_gsi(const void *a, const void *b)
{
	const struct vmm_irqfd *x = a, *y = b;

	return (x->p.gsi > y->p.gsi) - (x->p.gsi < y->p.gsi);
}

int coalesce_irqfds(struct keelctl *k, int pid)
{
	static const char *const hdr[] = { "FD", "GSI", "ROUTE", "VCPU",
					   "MSI-DATA", "MODERATED" };
	struct json_object *arr, *o;
	struct vmm_scan s;
	struct table *t;
	size_t i;
	int rc;

	rc = scan("coalesce irqfds", pid, &s);
	if (rc >= 0)
		goto out;
	qsort(s.irqfds, s.n, sizeof(*s.irqfds), cmp_gsi);
	if (k->json) {
		arr = json_object_new_array();
		for (i = 0; i < s.n; i++) {
			const struct keel_coalesce_probe *p = &s.irqfds[i].p;

			o = json_object_new_object();
			json_object_object_add(o, "fd", json_object_new_int(s.irqfds[i].fd));
			json_object_object_add(o, "gsi", json_object_new_int64(p->gsi));
			json_object_object_add(o, "route", json_object_new_string(route_name(p->route)));
			json_object_object_add(o, "vcpu", json_object_new_int(p->vcpu));
			json_object_object_add(o, "msi_addr", json_object_new_int64((int64_t)p->msi_addr));
			json_object_object_add(o, "msi_data", json_object_new_int64(p->msi_data));
			json_object_object_add(o, "moderated", json_object_new_int64(p->moderated));
			json_object_array_add(arr, o);
		}
		rc = keelctl_print_json(k, arr);
		goto out;
	}
	t = table_new(6, hdr);
	for (i = 0; t && i < s.n; i++) {
		const struct keel_coalesce_probe *p = &s.irqfds[i].p;

		table_cell(t, "%d", s.irqfds[i].fd);
		table_cell(t, "%u", p->gsi);
		table_cell(t, "%s", route_name(p->route));
		table_cell(t, p->vcpu < 0 ? "-" : "%d", p->vcpu);
		table_cell(t, p->route == KEEL_COALESCE_ROUTE_MSI ? "0x%x" : "-",
			   p->msi_data);
		table_cell(t, p->moderated ? "%u" : "-", p->moderated);
	}
	rc = keelctl_print_table(t, "coalesce irqfds");
out:
	scan_free(&s);
	return rc;
}

int coalesce_add(struct keelctl *k, const struct coalesce_add_req *r)
{
	const char *op = "coalesce add";
	struct keel_coalesce_setup setup;
	struct vmm_irqfd *hit = NULL;
	struct vmm_scan s;
	size_t i;
	int rc, irq = -1;

	rc = scan(op, r->pid, &s);
	if (rc >= 0)
		goto out;
	for (i = 0; i < s.n; i++)
		if (s.irqfds[i].p.gsi == r->gsi)
			hit = &s.irqfds[i];
	if (!hit) {
		fprintf(stderr, "keelctl: %s: process %d has no irqfd on GSI %u (keelctl coalesce irqfds --pid %d)\n",
			op, r->pid, r->gsi, r->pid);
		rc = KEELCTL_EXIT_FAIL;
		goto out;
	}
	irq = pidfd_getfd(s.pidfd, hit->fd, 0);
	if (irq < 0) {
		rc = fail(op, errno, "cannot take the irqfd");
		goto out;
	}
	memset(&setup, 0, sizeof(setup));
	setup.size = sizeof(setup);
	setup.vm_fd = s.vm;
	setup.irq_fd = irq;
	setup.call_fd = -1;
	setup.vcpu = r->vcpu;
	setup.params = r->params;
	strncpy(setup.label, r->label, sizeof(setup.label) - 1);
	if (ioctl(s.dev, KEEL_COALESCE_IOC_SETUP, &setup)) {
		if (errno == EBUSY) {
			fprintf(stderr, "keelctl: %s: GSI %u of process %d is moderated already (keelctl coalesce irqfds --pid %d)\n",
				op, r->gsi, r->pid, r->pid);
			rc = KEELCTL_EXIT_FAIL;
		} else {
			rc = fail(op, errno, "cannot set moderation up");
		}
		goto out;
	}
	if (ioctl(s.dev, KEEL_STATE_IOC_RESUME)) {
		rc = fail(op, errno, "cannot start moderation");
		goto out;
	}
	rc = keel_obj_attach(s.dev);
	if (rc) {
		rc = fail(op, -rc, "cannot attach moderation to the VM");
		goto out;
	}
	if (k->json)
		printf("{\"id\":%u}\n", setup.id);
	else
		printf("%u\n", setup.id);
	rc = KEELCTL_EXIT_OK;
out:
	if (irq >= 0)
		close(irq);
	scan_free(&s);
	return rc;
}
