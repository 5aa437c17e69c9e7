// SPDX-License-Identifier: GPL-2.0
/*
 * keel_remote.ko against bad input, with the test playing the server on
 * a socketpair: every refusal of KEEL_REMOTE_IOC_SETUP and _CONNECT
 * (each leaves the file as it was: a good SETUP works after them all),
 * the ioctls out of order, and a hostile guest: requests beyond the
 * capacity, descriptors outside guest RAM, a descriptor loop, chains
 * without a writable status descriptor, an index outside the table. The
 * device answers with an error status or asks for a reset, never
 * crashes, and serves the next good request (after a reset if it asked
 * for one).
 */
#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>

#include "remote_test.h"

#define CAPACITY	(1ull << 20)
#define SESSION		0x5e55105ull
#define HANDLE		7

/* Expect @call to fail with one of the errnos listed (0-terminated). */
#define EXPECT_REFUSED(call, ...)					\
	do {								\
		const int __ok[] = { __VA_ARGS__, 0 };			\
		int __r = (call), __i, __hit = 0;			\
		for (__i = 0; __ok[__i]; __i++)				\
			__hit |= __r == -__ok[__i];			\
		EXPECT_TRUE(__hit)					\
			TH_LOG("%s: got %d (%s)", #call, __r,		\
			       __r ? strerror(-__r) : "success");	\
	} while (0)

FIXTURE(bad) {
	struct keel_vm *vm;
	struct keel_irqfd *irqfd;
	int fd, sv[2];
};

FIXTURE_SETUP(bad)
{
	self->vm = NULL;
	self->sv[0] = self->sv[1] = -1;
	REMOTE_OPEN_OR_SKIP(self->fd);
	VM_CREATE_OR_SKIP(self->vm, 0, KEEL_VM_IRQCHIP);
	self->irqfd = vm_irqfd_add(self->vm, REMOTE_GSI, false);
	ASSERT_NE(NULL, self->irqfd);
	ASSERT_EQ(0, stream_pair(self->sv));
}

FIXTURE_TEARDOWN(bad)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->sv[0] >= 0)
		close(self->sv[0]);
	if (self->sv[1] >= 0)
		close(self->sv[1]);
	if (self->vm)
		vm_free(self->vm);
}

static void good_setup(FIXTURE_DATA(bad) *self, struct keel_remote_setup *s)
{
	remote_setup_init(s, self->vm->fd, self->irqfd->fd, self->sv[0],
			  HANDLE, SESSION, CAPACITY);
}

TEST_F_TIMEOUT(bad, setup_refusals_change_nothing, 120)
{
	struct keel_remote_setup s;
	struct keel_remote_connect c;
	int efd, pfd[2], udp, fd2;

	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, udp);

	/* out of order: nothing to start, stop or connect yet */
	EXPECT_REFUSED(remote_ioctl(self->fd, KEEL_REMOTE_IOC_START, NULL),
		       EBADFD, EINVAL, ENODEV, ENOTCONN);
	remote_connect_init(&c, self->sv[0], HANDLE, SESSION);
	EXPECT_REFUSED(remote_ioctl(self->fd, KEEL_REMOTE_IOC_CONNECT, &c),
		       EBADFD, EINVAL, ENODEV, ENOTCONN);

#define BAD_SETUP(field_change, ...)					\
	do {								\
		good_setup(self, &s);					\
		field_change;						\
		EXPECT_REFUSED(remote_ioctl(self->fd,			\
			KEEL_REMOTE_IOC_SETUP, &s), __VA_ARGS__)	\
			;						\
		TH_LOG("refused as expected: %s", #field_change);	\
	} while (0)

	BAD_SETUP(s.size = sizeof(s) - 8, EINVAL);
	BAD_SETUP(s.size = 0, EINVAL);
	BAD_SETUP(s.flags = 0x80, EINVAL);
	BAD_SETUP(s.flags = ~KEEL_REMOTE_SETUP_FLAGS_ALL, EINVAL);
	BAD_SETUP(s.pad = 1, EINVAL);
	/* a resample eventfd only for a level-triggered interrupt */
	BAD_SETUP(s.resample_fd = efd, EINVAL);
	BAD_SETUP((s.flags |= KEEL_REMOTE_SETUP_LEVEL, s.resample_fd = -1),
		  EBADF);
	BAD_SETUP((s.flags |= KEEL_REMOTE_SETUP_LEVEL, s.resample_fd = pfd[0]),
		  EINVAL, EBADF);
	BAD_SETUP((s.flags |= KEEL_REMOTE_SETUP_LEVEL, s.resample_fd = s.irq_fd),
		  EINVAL, EBUSY);
	BAD_SETUP(s.iface = 0, EINVAL);
	BAD_SETUP(s.iface = 99, EINVAL);
	/* virtio-rng: an entropy session has no capacity, nothing is RO */
	BAD_SETUP(s.iface = KEEL_REMOTE_IF_VIRTIO_RNG, EINVAL);
	BAD_SETUP((s.iface = KEEL_REMOTE_IF_VIRTIO_RNG, s.capacity = 512),
		  EINVAL);
	BAD_SETUP((s.iface = KEEL_REMOTE_IF_VIRTIO_RNG, s.capacity = 0,
		   s.flags |= KEEL_REMOTE_SETUP_RO), EINVAL);
	BAD_SETUP((s.iface = KEEL_REMOTE_IF_VIRTIO_RNG, s.capacity = 0,
		   s.max_data = 4095), EINVAL);
	BAD_SETUP((s.iface = KEEL_REMOTE_IF_VIRTIO_RNG, s.capacity = 0,
		   s.window = 0), EINVAL);
	BAD_SETUP(s.base = REMOTE_BASE + 0x100, EINVAL);
	BAD_SETUP(s.base = REMOTE_BASE + 8, EINVAL);
	BAD_SETUP(s.capacity = 0, EINVAL);
	BAD_SETUP(s.capacity = CAPACITY + 100, EINVAL);
	BAD_SETUP(s.window = 0, EINVAL);
	BAD_SETUP(s.window = KEEL_REMOTE_WINDOW + 1, EINVAL);
	BAD_SETUP(s.session = 0, EINVAL);
	BAD_SETUP(s.next_id = 0, EINVAL);
	BAD_SETUP(s.max_data = 0, EINVAL);
	BAD_SETUP(s.max_data = 4095, EINVAL);
	BAD_SETUP(s.max_data = KEEL_REMOTE_MAX_DATA + 1, EINVAL);
	BAD_SETUP(memset(s.label, 'x', sizeof(s.label)), EINVAL);
	BAD_SETUP(strcpy(s.label, "bad\001label"), EINVAL);
	/* descriptors of the wrong kind */
	BAD_SETUP(s.vm_fd = efd, EINVAL, EBADF);
	BAD_SETUP(s.vm_fd = -1, EBADF, EINVAL);
	BAD_SETUP(s.sock_fd = efd, ENOTSOCK, EINVAL);
	BAD_SETUP(s.sock_fd = -1, EBADF, EINVAL);
	BAD_SETUP(s.sock_fd = udp, EINVAL, EPROTOTYPE, ESOCKTNOSUPPORT,
		  EOPNOTSUPP, ENOTCONN);
	BAD_SETUP(s.irq_fd = pfd[0], EINVAL, EBADF);
	BAD_SETUP(s.irq_fd = -1, EINVAL, EBADF);
	BAD_SETUP((s.flags = KEEL_REMOTE_SETUP_GSI, s.gsi = 1u << 30),
		  EINVAL, ERANGE);
#undef BAD_SETUP

	/* none of that took: the good setup works, once */
	good_setup(self, &s);
	ASSERT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_SETUP, &s));
	EXPECT_NE(0, s.id);
	good_setup(self, &s);
	EXPECT_REFUSED(remote_ioctl(self->fd, KEEL_REMOTE_IOC_SETUP, &s),
		       EBUSY, EEXIST, EINVAL, EALREADY);
	/* connected: not readable */
	EXPECT_FALSE(remote_disconnected_now(self->fd));

	/* the same range of the same VM is taken */
	fd2 = open(KEEL_REMOTE_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	good_setup(self, &s);
	EXPECT_REFUSED(remote_ioctl(fd2, KEEL_REMOTE_IOC_SETUP, &s),
		       EBUSY, EEXIST, EADDRINUSE);
	close(fd2);

	/* CONNECT refusals */
	remote_connect_init(&c, self->sv[0], HANDLE, SESSION + 1);
	EXPECT_EQ(-EINVAL, remote_ioctl(self->fd, KEEL_REMOTE_IOC_CONNECT, &c));
	remote_connect_init(&c, self->sv[0], HANDLE, SESSION);
	c.size = sizeof(c) - 4;
	EXPECT_EQ(-EINVAL, remote_ioctl(self->fd, KEEL_REMOTE_IOC_CONNECT, &c));
	remote_connect_init(&c, self->sv[0], HANDLE, SESSION);
	c.flags = 1;
	EXPECT_EQ(-EINVAL, remote_ioctl(self->fd, KEEL_REMOTE_IOC_CONNECT, &c));
	remote_connect_init(&c, efd, HANDLE, SESSION);
	EXPECT_REFUSED(remote_ioctl(self->fd, KEEL_REMOTE_IOC_CONNECT, &c),
		       ENOTSOCK, EINVAL);
	remote_connect_init(&c, udp, HANDLE, SESSION);
	EXPECT_REFUSED(remote_ioctl(self->fd, KEEL_REMOTE_IOC_CONNECT, &c),
		       EINVAL, EPROTOTYPE, ESOCKTNOSUPPORT, EOPNOTSUPP,
		       ENOTCONN);
	/* still connected after the refusals */
	EXPECT_FALSE(remote_disconnected_now(self->fd));

	/* START and STOP are idempotent */
	EXPECT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_START, NULL));
	EXPECT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_START, NULL));
	EXPECT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_STOP, NULL));
	EXPECT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_STOP, NULL));

	close(efd);
	close(pfd[0]);
	close(pfd[1]);
	close(udp);
}

/* ---- the hostile guest ---- */

/* What each case of the hostile guest reports (GUEST_SYNC). */
enum hostile_case {
	H_BEYOND_END,		/* read at the capacity */
	H_STRADDLE_END,		/* write across the end */
	H_HDR_OUTSIDE_RAM,	/* the header descriptor outside RAM */
	H_DATA_OUTSIDE_RAM,	/* a data descriptor outside RAM */
	H_STATUS_OUTSIDE_RAM,	/* the status descriptor outside RAM */
	H_LOOP,			/* a descriptor chain that loops */
	H_NO_STATUS,		/* one read-only descriptor, nothing else */
	H_RO_STATUS,		/* the last descriptor not writable */
	H_NEXT_OUTSIDE,		/* next beyond the table */
	H_HEAD_OUTSIDE,		/* an avail entry beyond the table */
	H_SHORT_HDR,		/* the header descriptor of 8 bytes */
	H_UNKNOWN_TYPE,		/* a request type the device lacks */
	H_NCASES,
};

static const char *const hostile_names[H_NCASES] = {
	"beyond_end", "straddle_end", "hdr_outside_ram", "data_outside_ram",
	"status_outside_ram", "loop", "no_status", "ro_status",
	"next_outside", "head_outside", "short_hdr", "unknown_type",
};

#define OUTSIDE_RAM	0x40000000ull	/* no memslot there */
#define GOOD_OP		(BLK_PLAN_MAX - 1)

/* The raw chain's header and status: in the last slot's area. */
static uint64_t raw_area(void)
{
	return blk_guest.l.hdrs + 0x800;
}

/* Build hostile chain @c in the last four descriptors; its head. */
static uint16_t hostile_chain(unsigned int c)
{
	uint16_t h = blk_guest.qnum - 4;
	struct vring_desc *d = blk_desc(h);
	struct virtio_blk_outhdr *hdr = (void *)(uintptr_t)raw_area();
	volatile uint8_t *st = (volatile uint8_t *)(uintptr_t)(raw_area() + 16);
	uint64_t buf = blk_guest.l.rbuf;	/* slot 0's read buffer */
	int i;

	hdr->type = VIRTIO_BLK_T_IN;
	hdr->ioprio = 0;
	hdr->sector = 0;
	*st = 0xee;
	for (i = 0; i < 3; i++) {
		d[i].next = h + i + 1;
		d[i].flags = VRING_DESC_F_NEXT;
	}
	d[0].addr = (uintptr_t)hdr;
	d[0].len = sizeof(*hdr);
	d[1].addr = buf;
	d[1].len = 4096;
	d[1].flags |= VRING_DESC_F_WRITE;
	d[2].addr = (uintptr_t)st;
	d[2].len = 1;
	d[2].flags = VRING_DESC_F_WRITE;

	switch (c) {
	case H_HDR_OUTSIDE_RAM:
		d[0].addr = OUTSIDE_RAM;
		break;
	case H_DATA_OUTSIDE_RAM:
		d[1].addr = OUTSIDE_RAM;
		break;
	case H_STATUS_OUTSIDE_RAM:
		d[2].addr = OUTSIDE_RAM;
		break;
	case H_LOOP:
		d[2].flags = VRING_DESC_F_NEXT | VRING_DESC_F_WRITE;
		d[2].next = h;
		break;
	case H_NO_STATUS:
		d[0].flags = 0;
		break;
	case H_RO_STATUS:
		d[1].flags = VRING_DESC_F_NEXT;
		d[2].flags = 0;
		hdr->type = VIRTIO_BLK_T_OUT;
		break;
	case H_NEXT_OUTSIDE:
		d[1].next = 0x7fff;
		break;
	case H_HEAD_OUTSIDE:
		return 0x7fff;
	case H_SHORT_HDR:
		d[0].len = 8;
		break;
	case H_UNKNOWN_TYPE:
		hdr->type = 0x1234;
		break;
	}
	return h;
}

/* Poll for the good op; its status, or 0x100 when a reset was needed. */
static uint64_t good_read_after(void)
{
	blk_run_ops(GOOD_OP, 1, 1, false);
	while (blk_in_flight()) {
		if (blk_reap())
			continue;
		if (blk_needs_reset())
			return 0x100;
		cpu_relax();
	}
	return blk_guest.ops[GOOD_OP].status;
}

static void guest_hostile(void)
{
	volatile uint8_t *st = (volatile uint8_t *)(uintptr_t)(raw_area() + 16);
	uint64_t good, raw_before;
	unsigned int c;
	int ret;

	ret = blk_init();
	GUEST_SYNC(-ret, blk_guest.capacity);
	if (ret)
		return;
	for (c = 0; c < H_NCASES; c++) {
		raw_before = blk_guest.raw_used;
		if (c == H_BEYOND_END || c == H_STRADDLE_END) {
			blk_run_ops(c, 1, 1, true);
			GUEST_SYNC(c, blk_guest.ops[c].status, 0, 0, 0);
			continue;
		}
		blk_push_head(hostile_chain(c));
		blk_kick();
		good = good_read_after();
		GUEST_SYNC(c, good, blk_guest.raw_used - raw_before, *st,
			   blk_guest.raw_last_len);
		if (good == 0x100) {	/* the device asked for a reset */
			ret = blk_init();
			GUEST_SYNC(0x1000 + c, -ret);
		}
	}
}

TEST_F_TIMEOUT(bad, hostile_guest, 300)
{
	volatile struct blk_guest *g;
	struct keel_remote_setup s;
	struct keel_vcpu *vcpu;
	struct fake_srv f;
	struct ucall uc;
	unsigned int c, resets = 0;
	long long bad_descs;

	good_setup(self, &s);
	ASSERT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_SETUP, &s));
	ASSERT_EQ(0, fake_start(&f, self->sv[1], HANDLE, CAPACITY));
	self->sv[1] = -1;	/* the fake's now */
	ASSERT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_START, NULL));

	ASSERT_EQ(0, blk_host_layout(self->vm, true));
	g = blk_g(self->vm);
	g->ops[H_BEYOND_END] = (struct blk_op){
		.type = VIRTIO_BLK_T_IN, .sector = CAPACITY / 512, .len = 4096 };
	g->ops[H_STRADDLE_END] = (struct blk_op){
		.type = VIRTIO_BLK_T_OUT, .sector = CAPACITY / 512 - 1,
		.len = 1024 };
	g->ops[GOOD_OP] = (struct blk_op){
		.type = VIRTIO_BLK_T_IN, .sector = 8, .len = 4096 };
	vcpu = vm_vcpu_add(self->vm, guest_hostile);
	ASSERT_NE(NULL, vcpu);

	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(0, uc.args[0]) TH_LOG("blk_init failed at step %lu",
					(unsigned long)uc.args[0]);
	EXPECT_EQ(CAPACITY / 512, uc.args[1]);

	for (c = 0; c < H_NCASES; c++) {
		ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
		ASSERT_EQ(c, uc.args[0]);
		if (c == H_BEYOND_END || c == H_STRADDLE_END) {
			EXPECT_EQ(VIRTIO_BLK_S_IOERR, uc.args[1])
				TH_LOG("%s: status %lu", hostile_names[c],
				       (unsigned long)uc.args[1]);
			continue;
		}
		TH_LOG("%s: good request %s, hostile chain used %lu time(s), status byte 0x%lx",
		       hostile_names[c],
		       uc.args[1] == 0x100 ? "after a reset" : "served",
		       (unsigned long)uc.args[2], (unsigned long)uc.args[3]);
		/* the device goes on serving, or asked for a reset */
		EXPECT_TRUE(uc.args[1] == VIRTIO_BLK_S_OK || uc.args[1] == 0x100)
			TH_LOG("%s: good request after it: status %lu",
			       hostile_names[c], (unsigned long)uc.args[1]);
		/* never twice; an error, never OK, where it had a status */
		EXPECT_GE(1, uc.args[2]);
		if (uc.args[2] && (c == H_HDR_OUTSIDE_RAM ||
				   c == H_DATA_OUTSIDE_RAM ||
				   c == H_SHORT_HDR || c == H_UNKNOWN_TYPE))
			EXPECT_NE(VIRTIO_BLK_S_OK, uc.args[3])
				TH_LOG("%s was completed OK", hostile_names[c]);
		if (c == H_UNKNOWN_TYPE && uc.args[2])
			EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, uc.args[3]);
		if (uc.args[1] == 0x100) {
			resets++;
			ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
			ASSERT_EQ(0x1000 + c, uc.args[0]);
			ASSERT_EQ(0, uc.args[1]) TH_LOG("re-init failed");
		}
	}
	ASSERT_UCALL(vcpu, uc, UCALL_DONE);
	TH_LOG("%u reset(s); fake server: %lu reads, %lu writes, %lu errors, %lu bad",
	       resets, (unsigned long)f.reads, (unsigned long)f.writes,
	       (unsigned long)f.errors, (unsigned long)f.bad);
	/* nothing malformed reached the server */
	EXPECT_EQ(0, f.bad);
	/* no MMIO access needed the VMM */
	EXPECT_EQ(0, vcpu_exit_count_range(vcpu, KEEL_EXIT_MMIO_READ,
					   REMOTE_BASE, KEEL_REMOTE_MMIO_SIZE));
	EXPECT_EQ(0, vcpu_exit_count_range(vcpu, KEEL_EXIT_MMIO_WRITE,
					   REMOTE_BASE, KEEL_REMOTE_MMIO_SIZE));
	bad_descs = remote_info(s.id, "bad_descs");
	if (bad_descs < 0)
		TH_LOG("no info counters from keelctl: bad_descs not checked");
	else
		EXPECT_LE(5, bad_descs);
	close(self->fd);
	self->fd = -1;
	fake_free(&f);
}

TEST_HARNESS_MAIN
