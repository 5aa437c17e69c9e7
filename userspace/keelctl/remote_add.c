// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl remote add, connect and watch: the userspace half of a remote
 * device. keelctl makes the connection to keel-iod and the session on it
 * (HELLO, AUTH with the key, which never enters the kernel, then OPEN or
 * RESUME: keel-iod's client library), and hands the connected socket to
 * keel_remote.ko: at setup (add, for the VM of a running VMM that knows
 * nothing of Keel, as "vdev add" does), or after a lost connection
 * (connect; watch does it each time the device says it has none).
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include <json-c/json.h>
#include <linux/keel_remote.h>

#include "client.h"
#include "keelctl.h"

/* What keelctl holds while it sets the device up: -1 when not open. */
struct add_fds {
	int vm, dev, irq, resample;
};

__attribute__((format(printf, 3, 4)))
static int fail(const char *op, int errnum, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "keelctl: %s: ", op);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return keelctl_exit_code(KEEL_ERR_SYSTEM, errnum);
}

/* The server's ERROR, or the failed call's errno, in words. */
static int server_fail(const char *op, const struct iodc *c, int ret,
		       const char *what)
{
	if (c->err_code && (uint32_t)-ret == c->err_code && c->err_text[0])
		return fail(op, -ret, "%s: the server refused: %s (%s)", what,
			    c->err_text, strerror(-ret));
	return fail(op, -ret, "%s: %s", what, strerror(-ret));
}

/* Connect to @addr, HELLO and AUTH with the key in @key_path. */
static int handshake(const char *op, struct iodc *c, const char *addr,
		     const char *key_path)
{
	struct iod_key key;
	char msg[256];
	int ret;

	ret = key_load(key_path, &key, msg, sizeof(msg));
	if (ret)
		return fail(op, -ret, "%s", msg);
	ret = iodc_open_conn(c, addr, &key);
	key_clear(&key);
	if (ret == -EACCES)
		return fail(op, EACCES, "%s refused the key, or proved no knowledge of it: the two hosts' keys differ",
			    addr);
	if (ret)
		return server_fail(op, c, ret, addr);
	return 0;
}

/* OPEN the block (or entropy) device the request names on @addr. */
static int open_device(const char *op, struct iodc *c,
		       const struct remote_add_req *r, const char *addr,
		       struct keel_remote_open_reply *rep)
{
	struct keel_remote_open q;
	uint64_t feat = KEEL_REMOTE_FEAT_READ | KEEL_REMOTE_FEAT_FLUSH;
	int ret;

	if (r->entropy)
		feat = KEEL_REMOTE_FEAT_READ;
	else if (!r->ro)
		feat |= KEEL_REMOTE_FEAT_WRITE;
	iodc_open_req(&q, r->entropy ? KEEL_REMOTE_DEV_ENTROPY :
		      KEEL_REMOTE_DEV_BLOCK, r->model, r->device, feat,
		      r->min_capacity);
	ret = iodc_open(c, &q, rep);
	if (ret)
		return server_fail(op, c, ret, addr);
	return 0;
}

/*
 * The session on the first of r->servers that has the device: each that
 * cannot be reached or refuses says why (on stderr) and the next is
 * tried; of several, the one chosen is named (on stderr). The exit code
 * of the last failure when none has it.
 */
static int open_first(const char *op, struct iodc *c,
		      const struct remote_add_req *r,
		      struct keel_remote_open_reply *rep)
{
	int i, rc = KEELCTL_EXIT_FAIL;

	for (i = 0; i < r->nservers; i++) {
		rc = handshake(op, c, r->servers[i], r->key);
		if (rc)
			continue;
		rc = open_device(op, c, r, r->servers[i], rep);
		if (!rc) {
			if (r->nservers > 1)
				fprintf(stderr, "keelctl: %s: device \"%.*s\" "
					"from %s\n", op, (int)sizeof(rep->dev.name),
					rep->dev.name, r->servers[i]);
			return 0;
		}
		iodc_disconnect(c);
	}
	if (r->nservers > 1)
		fprintf(stderr, "keelctl: %s: none of the %d servers has the device\n",
			op, r->nservers);
	return rc;
}

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

static int setup_fail(int errnum, const struct remote_add_req *r)
{
	const char *op = "remote add";

	switch (errnum) {
	case EADDRINUSE:
		return fail(op, errnum, "MMIO 0x%llx-0x%llx overlaps another Keel device of the VM",
			    (unsigned long long)r->base,
			    (unsigned long long)(r->base + KEEL_REMOTE_MMIO_SIZE - 1));
	case EBUSY:
		return fail(op, errnum, "GSI %u is driven by another irqfd of the VM: a device of the VMM's own uses it (pick another --irq)",
			    r->gsi);
	case ESRCH:
		return fail(op, errnum, "process %d is exiting", r->pid);
	case ENOTTY:
		return fail(op, errnum, "this Keel has no remote devices (update keel_remote.ko)");
	}
	return fail(op, errnum, "cannot set the device up at MMIO 0x%llx: %s",
		    (unsigned long long)r->base, strerror(errnum));
}

int remote_add(struct keelctl *k, const struct remote_add_req *r)
{
	const char *op = "remote add";
	struct add_fds f = { .vm = -1, .dev = -1, .irq = -1, .resample = -1 };
	struct keel_remote_open_reply rep;
	struct keel_remote_setup s;
	struct iodc c;
	struct keel_vmm vmm;
	int rc;

	f.vm = keel_vm_fd_of_pid(r->pid, r->vm_fd, &vmm);
	if (f.vm < 0)
		return keelctl_vmm_fail(op, f.vm, &vmm, true);
	f.dev = keelctl_open_dev(op, KEEL_REMOTE_DEVICE, "keel_remote");
	if (f.dev < 0) {
		rc = -f.dev;
		f.dev = -1;
		close_fds(&f);
		return rc;
	}
	f.irq = eventfd(0, EFD_CLOEXEC);
	if (r->level)
		f.resample = eventfd(0, EFD_CLOEXEC);
	if (f.irq < 0 || (r->level && f.resample < 0)) {
		rc = fail(op, errno, "cannot make an eventfd: %s",
			  strerror(errno));
		close_fds(&f);
		return rc;
	}
	rc = open_first(op, &c, r, &rep);
	if (rc) {
		close_fds(&f);
		return rc;
	}
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.flags = KEEL_REMOTE_SETUP_GSI | (r->ro ? KEEL_REMOTE_SETUP_RO : 0) |
		  (r->level ? KEEL_REMOTE_SETUP_LEVEL : 0);
	s.vm_fd = f.vm;
	s.iface = r->entropy ? KEEL_REMOTE_IF_VIRTIO_RNG :
			       KEEL_REMOTE_IF_VIRTIO_BLK;
	s.base = r->base;
	s.irq_fd = f.irq;
	s.gsi = r->gsi;
	if (r->level)
		s.resample_fd = f.resample;
	s.sock_fd = c.fd;
	s.handle = le32toh(rep.handle);
	s.session = le64toh(rep.session);
	s.next_id = 1;
	s.capacity = le64toh(rep.dev.capacity);
	s.max_data = le32toh(rep.dev.max_data);
	s.window = le32toh(rep.window);
	s.keepalive_ms = le32toh(c.server.keepalive_ms);
	/* By default the device is known by the server's name for it. */
	snprintf(s.label, sizeof(s.label), "%s",
		 r->label[0] ? r->label : rep.dev.name);
	if (ioctl(f.dev, KEEL_REMOTE_IOC_SETUP, &s)) {
		rc = setup_fail(errno, r);
		goto out;
	}
	if (ioctl(f.dev, KEEL_REMOTE_IOC_START)) {
		rc = fail(op, errno, "cannot start the device: %s",
			  strerror(errno));
		goto out;
	}
	rc = keel_obj_attach(f.dev);
	if (rc) {
		rc = fail(op, -rc, "cannot attach the device to the VM: %s",
			  strerror(-rc));
		goto out;
	}
	rc = keelctl_print_added(k, op, s.id);
out:
	/* The kernel holds the socket and, attached, the device's file. */
	iodc_disconnect(&c);
	close_fds(&f);
	return rc;
}

/* A u64 of the object's info, by its name in "remote show -j". */
static int info_u64(struct keel_obj *o, const char *name, uint64_t *v)
{
	struct json_object *j = keel_obj_json(o), *info, *x;
	int ret = -ENOENT;

	if (j && json_object_object_get_ex(j, "info", &info) &&
	    json_object_object_get_ex(info, name, &x)) {
		*v = json_object_get_uint64(x);
		ret = 0;
	}
	json_object_put(j);
	return ret;
}

/* Whether the object's info @name is the word @word. */
static bool info_is(struct keel_obj *o, const char *name, const char *word)
{
	struct json_object *j = keel_obj_json(o), *info, *x;
	bool ret = false;

	if (j && json_object_object_get_ex(j, "info", &info) &&
	    json_object_object_get_ex(info, name, &x) &&
	    json_object_is_type(x, json_type_string))
		ret = !strcmp(json_object_get_string(x), word);
	json_object_put(j);
	return ret;
}

/*
 * A new connection for device @id: RESUME of its session or, when the
 * server no longer knows it (it restarted), OPEN of the same device by
 * name (and type: block, or entropy for a virtio-rng device) and a new
 * session; then KEEL_REMOTE_IOC_CONNECT.
 */
static int reconnect(struct keelctl *k, const struct remote_connect_req *r,
		     const char *op)
{
	struct keel_remote_resume_reply rr;
	struct keel_remote_record *recs;
	struct keel_remote_open_reply orep;
	struct keel_remote_connect cn = { .size = sizeof(cn) };
	struct remote_add_req ar = { .device = r->device };
	uint64_t session, capacity;
	struct keel_obj o;
	struct iodc c;
	int rc, fd;

	rc = keelctl_obj_get(k, r->id, "remote", op, &o);
	if (rc >= 0)
		return rc;
	if (info_u64(&o, "session", &session) ||
	    info_u64(&o, "capacity", &capacity)) {
		keel_obj_free(&o);
		return fail(op, EPROTO, "device %u does not report its session",
			    r->id);
	}
	if (!ar.device || !ar.device[0])
		ar.device = o.label;
	ar.entropy = info_is(&o, "iface", "virtio-rng");
	rc = handshake(op, &c, r->server, r->key);
	if (rc) {
		keel_obj_free(&o);
		return rc;
	}
	recs = calloc(KEEL_REMOTE_WINDOW, sizeof(*recs));
	rc = recs ? iodc_resume(&c, session, &rr, recs) : -ENOMEM;
	free(recs);
	cn.sock_fd = c.fd;
	cn.session = session;
	if (!rc) {
		cn.handle = le32toh(rr.handle);
	} else if (rc == -ENOENT) {
		ar.min_capacity = capacity;
		rc = open_device(op, &c, &ar, r->server, &orep);
		if (rc)
			goto out;
		if (le64toh(orep.dev.capacity) != capacity) {
			rc = fail(op, EINVAL, "the server's device %s now holds %llu bytes, not %llu",
				  orep.dev.name,
				  (unsigned long long)le64toh(orep.dev.capacity),
				  (unsigned long long)capacity);
			goto out;
		}
		cn.flags = KEEL_REMOTE_CONNECT_NEW_SESSION;
		cn.handle = le32toh(orep.handle);
		cn.session = le64toh(orep.session);
		cn.next_id = 1;
		cn.capacity = capacity;
		cn.window = le32toh(orep.window);
	} else {
		rc = server_fail(op, &c, rc, "cannot resume the session");
		goto out;
	}
	fd = keelctl_obj_file(op, r->id, "device");
	if (fd < 0) {
		rc = -fd;
		goto out;
	}
	rc = ioctl(fd, KEEL_REMOTE_IOC_CONNECT, &cn) ?
		fail(op, errno, "the device refused the connection: %s",
		     strerror(errno)) : KEELCTL_EXIT_OK;
	close(fd);
out:
	iodc_disconnect(&c);
	keel_obj_free(&o);
	return rc;
}

int remote_connect(struct keelctl *k, const struct remote_connect_req *r)
{
	return reconnect(k, r, "remote connect");
}

static volatile sig_atomic_t watch_stop;

static void watch_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

/*
 * Give device @id a connection each time it has none, until it is gone
 * or SIGINT/SIGTERM: 1 s between failed attempts.
 */
int remote_watch(struct keelctl *k, const struct remote_connect_req *r)
{
	const char *op = "remote watch";
	struct sigaction sa = { .sa_handler = watch_signal };
	struct pollfd p;
	int fd, rc = KEELCTL_EXIT_OK;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fd = keelctl_obj_file(op, r->id, "device");
	if (fd < 0)
		return -fd;
	while (!watch_stop) {
		p = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = fail(op, errno, "poll: %s", strerror(errno));
			break;
		}
		if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
			break;		/* the device is gone */
		if (!(p.revents & POLLIN))
			continue;
		if (reconnect(k, r, op) != KEELCTL_EXIT_OK && !watch_stop)
			sleep(1);
	}
	close(fd);
	return rc;
}
