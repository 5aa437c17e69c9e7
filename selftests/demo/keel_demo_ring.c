// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's ring part: a primary ring that replicates to a backup ring
 * and releases only what the backup acknowledged (output commit); the
 * backup lost, the primary holding its entries; a new backup, and the
 * held entries released; then the ring checkpointed and moved to a new
 * ring with the state ioctls, where the consumer carries on. keelctl
 * shows the rings on the way.
 * Usage: keel_demo_ring
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/keel_ring.h>
#include <linux/keel_state.h>

struct ring {
	int fd;
	uint32_t id;
	struct keel_ring_ctrl *ctrl;
};

static void die(const char *what)
{
	fprintf(stderr, "keel_demo_ring: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void ring_open(struct ring *r, const char *label)
{
	struct keel_ring_setup s = {
		.size = sizeof(s), .slots = 16, .slot_size = 128,
		.event_fd = -1,
	};

	snprintf(s.label, sizeof(s.label), "%s", label);
	r->fd = open(KEEL_RING_DEVICE, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (r->fd < 0 || ioctl(r->fd, KEEL_RING_IOC_SETUP, &s))
		die("ring setup");
	r->id = s.id;
	r->ctrl = mmap(NULL, s.ctrl_size, PROT_READ, MAP_SHARED, r->fd,
		       KEEL_RING_OFF_CTRL);
	if (r->ctrl == MAP_FAILED)
		die("mmap");
}

static void repl(struct ring *r, uint32_t role, int sock)
{
	struct keel_ring_repl a = {
		.size = sizeof(a), .role = role, .sock_fd = sock,
	};

	if (ioctl(r->fd, KEEL_RING_IOC_REPL_START, &a))
		die("REPL_START");
	close(sock);
}

static void commit_all(struct ring *r)
{
	struct keel_ring_commit c = {
		.size = sizeof(c), .flags = KEEL_RING_COMMIT_ALL,
	};

	if (ioctl(r->fd, KEEL_RING_IOC_COMMIT, &c))
		die("COMMIT");
}

static void produce(struct ring *r, int from, int to)
{
	char buf[64];
	int i, n;

	for (i = from; i <= to; i++) {
		n = snprintf(buf, sizeof(buf), "order %d", i);
		if (write(r->fd, buf, n) != n)
			die("write");
	}
	commit_all(r);
	printf("  produced and committed orders %d..%d\n", from, to);
}

/* Read what is fetchable, waiting up to @ms for the first entry. */
static int consume(struct ring *r, int ms)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };
	char buf[128];
	ssize_t n;
	int got = 0;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	usleep(100000);		/* let the rest of the ACKs in */
	while ((n = read(r->fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = 0;
		printf("  consumer got \"%s\"\n", buf);
		got++;
	}
	return got;
}

static void keelctl(const char *args)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "keelctl %s", args);
	printf("$ %s\n", cmd);
	fflush(stdout);
	if (system(cmd))
		fprintf(stderr, "keel_demo_ring: %s failed\n", cmd);
}

static void state(struct ring *r, unsigned long cmd, const char *what)
{
	if (ioctl(r->fd, cmd))
		die(what);
}

int main(void)
{
	struct keel_state_xfer x = { .size = sizeof(x), .load_fd = -1 };
	struct ring p, b1, b2, moved;
	int sv[2], got;
	char blob[4096];
	ssize_t n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ring_open(&p, "orders");
	ring_open(&b1, "orders-backup1");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	repl(&b1, KEEL_RING_REPL_BACKUP, sv[1]);
	repl(&p, KEEL_RING_REPL_PRIMARY, sv[0]);
	printf("ring %u \"orders\" replicates to ring %u over a stream socket\n"
	       "(between hosts this is a TCP connection)\n\n", p.id, b1.id);

	printf("1. output commit: an entry is released once the backup has it\n");
	produce(&p, 1, 5);
	got = consume(&p, 2000);
	printf("  released %d, the backup holds them at the same indices "
	       "(buffer tail %llu)\n\n", got,
	       (unsigned long long)b1.ctrl->buf_tail);

	printf("2. the backup is lost: the primary holds what it commits\n");
	if (ioctl(b1.fd, KEEL_RING_IOC_REPL_STOP))
		die("REPL_STOP");
	usleep(300000);
	produce(&p, 6, 8);
	got = consume(&p, 500);
	printf("  released %d; outgoing tail stays at %llu\n", got,
	       (unsigned long long)p.ctrl->out_tail);
	keelctl("ring list");
	printf("\n");

	printf("3. a new backup: it gets every entry not yet released\n");
	ring_open(&b2, "orders-backup2");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	repl(&b2, KEEL_RING_REPL_BACKUP, sv[1]);
	if (ioctl(p.fd, KEEL_RING_IOC_REPL_STOP))
		die("REPL_STOP");
	repl(&p, KEEL_RING_REPL_PRIMARY, sv[0]);
	got = consume(&p, 2000);
	printf("  released %d after backup %u acknowledged them\n\n", got,
	       b2.id);

	printf("4. checkpoint: stop the ring, save it, load it into a new ring\n");
	produce(&p, 9, 10);
	usleep(300000);		/* acknowledged and released, not consumed */
	state(&p, KEEL_STATE_IOC_STOP, "STOP");
	if (ioctl(p.fd, KEEL_STATE_IOC_SAVE, &x))
		die("SAVE");
	n = read(x.save_fd, blob, sizeof(blob));
	close(x.save_fd);
	if (n <= 0)
		die("reading the snapshot");
	printf("  saved %zd bytes: indices, commit point, entries, counters\n",
	       n);
	keelctl("state");
	ring_open(&moved, "orders-moved");
	state(&moved, KEEL_STATE_IOC_STOP, "STOP");
	x.load_fd = memfd_create("blob", MFD_CLOEXEC);
	if (x.load_fd < 0 || write(x.load_fd, blob, n) != n)
		die("memfd");
	if (ioctl(moved.fd, KEEL_STATE_IOC_LOAD, &x))
		die("LOAD");
	state(&moved, KEEL_STATE_IOC_RESUME, "RESUME");
	printf("  loaded into ring %u (outgoing tail %llu, buffer tail %llu)\n",
	       moved.id, (unsigned long long)moved.ctrl->out_tail,
	       (unsigned long long)moved.ctrl->buf_tail);
	got = consume(&moved, 500);
	printf("  the consumer carries on from ring %u: %d more; the ring "
	       "stays redundant,\n  so what it commits next waits for a "
	       "backup\n", moved.id, got);
	keelctl("ring list");
	return 0;
}
