// SPDX-License-Identifier: GPL-2.0
/*
 * A guest's virtio-rng device served remotely by keel_remote.ko from
 * keel-iod's entropy device (in a network namespace of its own, over TCP
 * through a veth pair, remote_conn.h): the guest probes the device
 * (virtio-mmio 2, device 4, VERSION_1 only), reads 64 KiB twice in
 * requests of one to four buffers, then one request larger than the
 * setup's max_data (which gets max_data bytes), then hostile chains: a
 * device-readable buffer and an empty one (given back with no bytes, no
 * READ sent), one outside guest RAM (DEVICE_NEEDS_RESET); after a reset
 * it reads again. The bytes are not all equal, the two reads differ, the
 * object's counters are exact and the device's MMIO never reached the
 * VMM.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "remote_test.h"
#include "remote_conn.h"
#include "rng_guest.h"

#define CHUNK		4096u
#define HALF		(64u << 10)
#define MAX_DATA	16384u
#define BIG		(64u << 10)	/* more than MAX_DATA */
#define TAIL		512u
#define NOT_RAM		(1ull << 40)

FIXTURE(rng) {
	struct keel_vm *vm;
	struct keel_irqfd *irqfd;
	struct rc_server srv;
	bool srv_up;
	struct rc_session sess;
	int fd;
};

FIXTURE_SETUP(rng)
{
	int ret;

	self->vm = NULL;
	self->srv_up = false;
	self->sess.fd = -1;
	REMOTE_OPEN_OR_SKIP(self->fd);
	VM_CREATE_OR_SKIP(self->vm, 0, KEEL_VM_IRQCHIP);
	self->irqfd = vm_irqfd_add(self->vm, REMOTE_GSI, false);
	ASSERT_NE(NULL, self->irqfd);
	ret = rc_server_init(&self->srv, 1 << 20);
	self->srv_up = true;
	if (ret == -ENOENT)
		SKIP(return, "no keel-iod (KEEL_IOD or beside the test)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, rc_server_start(&self->srv));
	ASSERT_EQ(0, rc_open_dev(&self->srv, RC_RNG_NAME, 0, &self->sess));
	ASSERT_EQ(0, self->sess.capacity);
	ASSERT_LE(MAX_DATA, self->sess.max_data);
}

FIXTURE_TEARDOWN(rng)
{
	if (self->fd >= 0)
		close(self->fd);
	rc_session_close(&self->sess);
	if (self->vm)
		vm_free(self->vm);
	if (self->srv_up) {
		if (!_metadata->passed)
			rc_server_dump_log(&self->srv);
		rc_server_free(&self->srv);
	}
}

static void guest_rng(void)
{
	volatile struct rng_guest *g = &rng_guest;
	int64_t a, b;
	uint32_t i;
	int ret;

	ret = rng_init();
	GUEST_SYNC(-ret, g->device_id, g->dev_features, g->drv_features);
	if (ret)
		return;
	for (i = 0; i < 2 * HALF / CHUNK; i++)
		GUEST_ASSERT_EQ(CHUNK, rng_read(i * CHUNK, CHUNK, 1 + i % 4));
	GUEST_SYNC(1, g->bytes);
	GUEST_SYNC(2, rng_read(0, BIG, 3));
	a = rng_raw(g->buf, 64, 0);
	b = rng_raw(g->buf, 0, VRING_DESC_F_WRITE);
	GUEST_SYNC(3, a, b);
	GUEST_SYNC(4, rng_raw(NOT_RAM, 64, VRING_DESC_F_WRITE));
	ret = rng_init();
	GUEST_SYNC(5, -ret, ret ? 0 : rng_read(0, TAIL, 1), g->irqs,
		   g->isr_vring, g->bad_used);
}

/* Whether the @len bytes at @p are all the same. */
static bool uniform(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 1; i < len; i++)
		if (p[i] != p[0])
			return false;
	return true;
}

TEST_F_TIMEOUT(rng, read_entropy_hostile_chains_counters, 600)
{
	volatile struct rng_guest *g;
	struct keel_remote_setup s;
	struct keel_vcpu *vcpu;
	uint64_t rings, buf;
	uint8_t *host, *copy;
	struct ucall uc;
	long long v;
	uint32_t i;

	remote_setup_init(&s, self->vm->fd, self->irqfd->fd, self->sess.fd,
			  self->sess.handle, self->sess.session, 0);
	s.iface = KEEL_REMOTE_IF_VIRTIO_RNG;
	s.window = self->sess.window;
	s.max_data = MAX_DATA;
	s.keepalive_ms = self->sess.keepalive_ms;
	ASSERT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_SETUP, &s));
	rc_session_close(&self->sess);	/* the module's own from now on */
	ASSERT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_START, NULL));

	g = vm_guest_ptr(self->vm, &rng_guest);
	rings = vm_alloc(self->vm, 3 * KEEL_PAGE_SIZE);
	buf = vm_alloc(self->vm, RNG_BUF);
	ASSERT_NE(NULL, g);
	ASSERT_NE(0, rings);
	ASSERT_NE(0, buf);
	host = vm_gpa2hva(self->vm, buf, RNG_BUF);
	ASSERT_NE(NULL, host);
	memset(host, 0, RNG_BUF);
	g->base = REMOTE_BASE;
	g->gsi = REMOTE_GSI;
	g->vector = REMOTE_VECTOR;
	g->desc = rings;
	g->avail = rings + KEEL_PAGE_SIZE;
	g->used = rings + 2 * KEEL_PAGE_SIZE;
	g->buf = buf;

	vcpu = vm_vcpu_add(self->vm, guest_rng);
	ASSERT_NE(NULL, vcpu);
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(0, uc.args[0]) TH_LOG("rng_init failed at step %lu",
					(unsigned long)uc.args[0]);
	EXPECT_EQ(VIRTIO_ID_RNG, uc.args[1]);
	EXPECT_EQ(1ull << VIRTIO_F_VERSION_1, uc.args[2])
		TH_LOG("offered 0x%lx", (unsigned long)uc.args[2]);
	EXPECT_EQ(1ull << VIRTIO_F_VERSION_1, uc.args[3]);

	/* two reads of 64 KiB: random, and not the same */
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ(2 * HALF, uc.args[1]);
	for (i = 0; i < 2 * HALF / CHUNK; i++)
		EXPECT_FALSE(uniform(host + i * CHUNK, CHUNK))
			TH_LOG("chunk %u is one byte repeated", i);
	EXPECT_NE(0, memcmp(host, host + HALF, HALF));
	copy = malloc(HALF);
	ASSERT_NE(NULL, copy);
	memcpy(copy, host, HALF);

	/* more than max_data: max_data bytes, over the first buffers */
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(MAX_DATA, uc.args[1]);
	EXPECT_NE(0, memcmp(copy, host, MAX_DATA));
	EXPECT_EQ(0, memcmp(copy + MAX_DATA, host + MAX_DATA,
			    HALF - MAX_DATA)) TH_LOG("wrote past max_data");
	free(copy);

	/* a readable buffer, an empty one: given back empty, no reset */
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(3, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);
	/* a buffer outside guest RAM: the queue is broken */
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(4, uc.args[0]);
	EXPECT_EQ((uint64_t)-1, uc.args[1]);
	/* after a reset it serves again */
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(5, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]) TH_LOG("rng_init failed again at step %lu",
					(unsigned long)uc.args[1]);
	EXPECT_EQ(TAIL, uc.args[2]);
	EXPECT_LE(1, uc.args[3]) TH_LOG("no interrupt");
	EXPECT_LE(1, uc.args[4]) TH_LOG("no used-ring interrupt");
	EXPECT_EQ(0, uc.args[5]);
	ASSERT_UCALL(vcpu, uc, UCALL_DONE);

	EXPECT_EQ(0, vcpu_exit_count_range(vcpu, KEEL_EXIT_MMIO_READ,
					   REMOTE_BASE, KEEL_REMOTE_MMIO_SIZE));
	EXPECT_EQ(0, vcpu_exit_count_range(vcpu, KEEL_EXIT_MMIO_WRITE,
					   REMOTE_BASE, KEEL_REMOTE_MMIO_SIZE));

	/* counters: 34 READs sent; two chains answered here; three bad */
	v = remote_info(s.id, "requests");
	if (v < 0) {
		TH_LOG("no info counters from keelctl: counters not checked");
	} else {
		EXPECT_EQ(36, v);
		EXPECT_EQ(34, remote_info(s.id, "reads"));
		EXPECT_EQ(2 * HALF + MAX_DATA + TAIL,
			  remote_info(s.id, "bytes_read"));
		EXPECT_EQ(0, remote_info(s.id, "writes"));
		EXPECT_EQ(0, remote_info(s.id, "flushes"));
		EXPECT_EQ(0, remote_info(s.id, "bytes_written"));
		EXPECT_EQ(2, remote_info(s.id, "errors"));
		EXPECT_EQ(3, remote_info(s.id, "bad_descs"));
		EXPECT_EQ(0, remote_info(s.id, "in_flight"));
		EXPECT_EQ(0, remote_info(s.id, "bad_replies"));
		EXPECT_EQ(0, remote_info(s.id, "disconnects"));
		EXPECT_EQ(0, remote_info(s.id, "capacity"));
	}
	EXPECT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_STOP, NULL));
}

TEST_HARNESS_MAIN
