// SPDX-License-Identifier: GPL-2.0
/*
 * A guest's virtio-blk device served remotely by keel_remote.ko: the
 * guest probes the device (virtio-mmio 2, VERSION_1, FLUSH), writes
 * random ranges (512 bytes to 64 KiB, several in flight, some split over
 * descriptors) with known patterns, overwrites some, flushes, reads all
 * back and checks them. Afterwards the disk holds exactly the guest's
 * writes (byte for byte against the expected image), the object's
 * counters match the guest's requests, the device's MMIO never reached
 * the VMM and its interrupts arrived.
 *
 * Variant "keel_iod": keel-iod in a network namespace of its own, over
 * TCP through a veth pair, the key and handshake as a client makes them
 * (remote_conn.h); the disk is keel-iod's backing file. Variant "fake":
 * the test's own server thread on a socketpair (remote_test.h).
 */
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>

#include "remote_test.h"
#include "remote_conn.h"
#include "remote_plan.h"

#define DISK		(4ull << 20)
#define NWRITES		40
#define NOVERWRITES	16

FIXTURE(blk) {
	struct keel_vm *vm;
	struct keel_irqfd *irqfd;
	struct rc_server srv;
	bool srv_up;
	struct rc_session sess;
	struct fake_srv fake;
	bool fake_up;
	int fd;
};

FIXTURE_VARIANT(blk) {
	bool iod;
};

FIXTURE_VARIANT_ADD(blk, keel_iod) { .iod = true };
FIXTURE_VARIANT_ADD(blk, fake) { .iod = false };

FIXTURE_SETUP(blk)
{
	int ret, sv[2];

	self->vm = NULL;
	self->srv_up = self->fake_up = false;
	self->sess.fd = -1;
	REMOTE_OPEN_OR_SKIP(self->fd);
	VM_CREATE_OR_SKIP(self->vm, 0, KEEL_VM_IRQCHIP);
	self->irqfd = vm_irqfd_add(self->vm, REMOTE_GSI, false);
	ASSERT_NE(NULL, self->irqfd);
	if (variant->iod) {
		ret = rc_server_init(&self->srv, DISK);
		self->srv_up = true;
		if (ret == -ENOENT)
			SKIP(return, "no keel-iod (KEEL_IOD or beside the test)");
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, rc_server_start(&self->srv));
		ASSERT_EQ(0, rc_open(&self->srv, DISK, &self->sess));
		ASSERT_EQ(DISK, self->sess.capacity);
		ASSERT_EQ(KEEL_REMOTE_WINDOW, self->sess.window);
	} else {
		ASSERT_EQ(0, stream_pair(sv));
		ASSERT_EQ(0, fake_start(&self->fake, sv[1], 1, DISK));
		self->fake_up = true;
		self->sess = (struct rc_session){
			.fd = sv[0], .session = 0xfa4e, .handle = 1,
			.window = 64, .max_data = 65536, .capacity = DISK,
		};
	}
}

FIXTURE_TEARDOWN(blk)
{
	if (self->fd >= 0)
		close(self->fd);
	rc_session_close(&self->sess);
	if (self->fake_up)
		fake_free(&self->fake);
	if (self->vm)
		vm_free(self->vm);
	if (self->srv_up) {
		if (!_metadata->passed)
			rc_server_dump_log(&self->srv);
		rc_server_free(&self->srv);
	}
}

static void guest_blk(void)
{
	volatile struct blk_guest *g = &blk_guest;
	int ret;

	ret = blk_init();
	GUEST_SYNC(-ret, g->capacity, g->drv_features, g->size_max,
		   g->seg_max, g->qnum);
	if (ret)
		return;
	/* the host has written the plan into g->ops */
	blk_run_ops(0, NWRITES, 0, true);
	GUEST_SYNC(10, g->max_in_flight);
	blk_run_ops(NWRITES, NOVERWRITES + 1, 0, true);
	GUEST_SYNC(11);
	blk_run_ops(NWRITES + NOVERWRITES + 1, g->nops - NWRITES -
		    NOVERWRITES - 1, 0, true);
	GUEST_SYNC(12, g->mismatches, g->first_bad_op, g->max_in_flight,
		   g->irqs, g->isr_vring);
}

TEST_F_TIMEOUT(blk, write_read_flush_backing_file, 600)
{
	volatile struct blk_guest *g;
	struct keel_remote_setup s;
	struct keel_vcpu *vcpu;
	struct plan p;
	struct ucall uc;
	uint32_t maxlen, i, nw, nr;
	uint64_t bw, br;
	uint8_t *img, *have;
	long long v;

	remote_setup_init(&s, self->vm->fd, self->irqfd->fd, self->sess.fd,
			  self->sess.handle, self->sess.session,
			  self->sess.capacity);
	s.window = self->sess.window;
	s.max_data = self->sess.max_data < KEEL_REMOTE_MAX_DATA ?
		     self->sess.max_data : KEEL_REMOTE_MAX_DATA;
	s.keepalive_ms = self->sess.keepalive_ms;
	ASSERT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_SETUP, &s));
	rc_session_close(&self->sess);	/* the module's own from now on */
	/* not yet started: the guest's first access would reach the VMM */
	ASSERT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_START, NULL));
	EXPECT_FALSE(remote_disconnected_now(self->fd));

	ASSERT_EQ(0, blk_host_layout(self->vm, true));
	vcpu = vm_vcpu_add(self->vm, guest_blk);
	ASSERT_NE(NULL, vcpu);
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(0, uc.args[0]) TH_LOG("blk_init failed at step %lu",
					(unsigned long)uc.args[0]);
	g = blk_g(self->vm);
	TH_LOG("capacity %lu sectors, features 0x%lx, size_max %lu, seg_max %lu, queue %lu of %u",
	       (unsigned long)uc.args[1], (unsigned long)uc.args[2],
	       (unsigned long)uc.args[3], (unsigned long)uc.args[4],
	       (unsigned long)uc.args[5], g->qnum_max);
	EXPECT_EQ(DISK / 512, uc.args[1]);
	EXPECT_TRUE(uc.args[2] & (1ull << VIRTIO_F_VERSION_1));
	ASSERT_TRUE(uc.args[2] & (1ull << VIRTIO_BLK_F_FLUSH))
		TH_LOG("the device offers no FLUSH");
	EXPECT_FALSE(g->dev_features & (1ull << VIRTIO_BLK_F_RO));

	maxlen = BLK_SLOT_DATA;
	if (uc.args[3] && uc.args[4] &&
	    uc.args[3] * uc.args[4] < maxlen)
		maxlen = uc.args[3] * uc.args[4];
	if (s.max_data < maxlen)
		maxlen = s.max_data;
	maxlen &= ~511u;
	plan_make(&p, DISK, NWRITES, NOVERWRITES, maxlen, 0x5eed + variant->iod);
	ASSERT_EQ(NWRITES + NOVERWRITES + 1, p.first_read);
	for (i = 0; i < p.nops; i++)
		g->ops[i] = p.ops[i];
	g->nops = p.nops;

	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(10, uc.args[0]);
	EXPECT_LT(1, uc.args[1]) TH_LOG("never more than one in flight");
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(11, uc.args[0]);
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(12, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]) TH_LOG("first bad read: op %lu",
					(unsigned long)uc.args[2] - 1);
	EXPECT_LE(1, uc.args[4]) TH_LOG("no interrupt");
	EXPECT_LE(1, uc.args[5]) TH_LOG("no used-ring interrupt");
	for (i = 0; i < p.nops; i++)
		EXPECT_EQ(VIRTIO_BLK_S_OK, g->ops[i].status)
			TH_LOG("op %u (type %u, sector %lu, %u bytes): status %u",
			       i, g->ops[i].type,
			       (unsigned long)g->ops[i].sector, g->ops[i].len,
			       g->ops[i].status);
	EXPECT_EQ(p.nops, g->completed);
	EXPECT_EQ(0, g->bad_used);
	EXPECT_EQ(0, g->dup_used);
	ASSERT_UCALL(vcpu, uc, UCALL_DONE);

	/* the device's registers never needed the VMM */
	EXPECT_EQ(0, vcpu_exit_count_range(vcpu, KEEL_EXIT_MMIO_READ,
					   REMOTE_BASE, KEEL_REMOTE_MMIO_SIZE));
	EXPECT_EQ(0, vcpu_exit_count_range(vcpu, KEEL_EXIT_MMIO_WRITE,
					   REMOTE_BASE, KEEL_REMOTE_MMIO_SIZE));

	/* the disk holds exactly the guest's writes */
	img = plan_image(&p, DISK);
	ASSERT_NE(NULL, img);
	if (variant->iod)
		have = plan_read_file(self->srv.disk, DISK);
	else
		have = self->fake.disk;
	ASSERT_NE(NULL, have);
	EXPECT_EQ(-1, plan_compare(img, have, DISK));
	if (variant->iod)
		free(have);
	free(img);

	/* counters */
	bw = plan_bytes(&p, VIRTIO_BLK_T_OUT, &nw);
	br = plan_bytes(&p, VIRTIO_BLK_T_IN, &nr);
	v = remote_info(s.id, "requests");
	if (v < 0) {
		TH_LOG("no info counters from keelctl: counters not checked");
	} else {
		EXPECT_EQ(p.nops, v);
		EXPECT_EQ(nr, remote_info(s.id, "reads"));
		EXPECT_EQ(nw, remote_info(s.id, "writes"));
		EXPECT_EQ(2, remote_info(s.id, "flushes"));
		EXPECT_EQ(br, remote_info(s.id, "bytes_read"));
		EXPECT_EQ(bw, remote_info(s.id, "bytes_written"));
		EXPECT_EQ(0, remote_info(s.id, "errors"));
		EXPECT_EQ(0, remote_info(s.id, "in_flight"));
		EXPECT_EQ(0, remote_info(s.id, "disconnects"));
		EXPECT_EQ(0, remote_info(s.id, "bad_descs"));
		EXPECT_EQ(0, remote_info(s.id, "bad_replies"));
	}
	if (!variant->iod) {
		EXPECT_EQ(nw, self->fake.writes);
		EXPECT_EQ(nr, self->fake.reads);
		EXPECT_EQ(2, self->fake.flushes);
		EXPECT_EQ(0, self->fake.bad);
		EXPECT_EQ(p.nops, self->fake.last_id);
	}
	/* STOP: the guest's accesses go to the VMM again */
	EXPECT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_STOP, NULL));
}

TEST_HARNESS_MAIN
