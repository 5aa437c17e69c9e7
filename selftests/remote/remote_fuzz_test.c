// SPDX-License-Identifier: GPL-2.0
/*
 * keel_remote.ko against a hostile server: the test plays the server on
 * a socketpair and answers a guest's READ with a malformed reply (bad
 * magic, version, length, padding, flags, unknown request id, wrong
 * handle or type, short or long data, a truncated message, random
 * bytes). The module must drop the connection (the device file polls
 * readable, its own end closes, disconnects and bad_replies count it),
 * never crash, and after KEEL_REMOTE_IOC_CONNECT with a new socketpair
 * send the request again with the same id, on the new handle; the guest
 * then gets the data, as if nothing happened. An ERROR reply is no
 * protocol fault: the guest sees IOERR and the connection stays.
 */
#include <linux/virtio_blk.h>

#include "remote_test.h"

#define CAPACITY	(1ull << 20)
#define SESSION		0xf022ull
#define HANDLE		3
#define IO_LEN		4096u
#define NRANDOM		16	/* rounds of random bytes */

enum bad_reply {
	B_MAGIC, B_VERSION, B_LEN_SHORT, B_LEN_HUGE, B_DATA_SHORT,
	B_DATA_LONG, B_REQ_ID, B_HANDLE, B_TYPE, B_REQUEST, B_PAD,
	B_FLAGS, B_STATUS_DATA, B_TRUNCATED, B_ERROR_SHORT, B_PONG_ID,
	B_NCASES,
};

static const char *const bad_names[B_NCASES] = {
	"bad_magic", "bad_version", "length_below_header",
	"length_oversized", "read_data_short", "read_data_long",
	"unknown_req_id", "wrong_handle", "wrong_type",
	"request_not_reply", "nonzero_pad", "unknown_flags",
	"error_status_with_data", "truncated", "error_body_short",
	"pong_with_req_id_of_read",
};

/* Guest: the op of round @i is a read of sector i * 8 (4 KiB). */
static void guest_reads(uint64_t rounds)
{
	uint64_t i;
	int ret;

	ret = blk_init();
	GUEST_SYNC(-ret);
	if (ret)
		return;
	for (i = 0; i < rounds; i++) {
		uint32_t k = i % BLK_PLAN_MAX;

		blk_run_ops(k, 1, 1, false);
		GUEST_SYNC(1, i);
		blk_wait_all();
		GUEST_SYNC(2, i, blk_guest.ops[k].status, blk_guest.mismatches);
	}
}

/* Guest: four reads at once (ops 0..3), then wait. */
static void guest_four(void)
{
	int ret;

	ret = blk_init();
	GUEST_SYNC(-ret);
	if (ret)
		return;
	blk_run_ops(0, 4, 4, false);
	GUEST_SYNC(1, blk_in_flight());
	blk_wait_all();
	GUEST_SYNC(2, blk_guest.ops[0].status | blk_guest.ops[1].status |
		   blk_guest.ops[2].status | blk_guest.ops[3].status,
		   blk_guest.mismatches);
}

FIXTURE(fuzz) {
	struct keel_vm *vm;
	struct keel_vcpu *vcpu;
	struct keel_irqfd *irqfd;
	struct keel_remote_setup s;
	int fd, sv[2];
	uint32_t handle;
	uint8_t data[IO_LEN];
};

FIXTURE_SETUP(fuzz)
{
	self->vm = NULL;
	self->sv[0] = self->sv[1] = -1;
	REMOTE_OPEN_OR_SKIP(self->fd);
	VM_CREATE_OR_SKIP(self->vm, 0, KEEL_VM_IRQCHIP);
	self->irqfd = vm_irqfd_add(self->vm, REMOTE_GSI, false);
	ASSERT_NE(NULL, self->irqfd);
	ASSERT_EQ(0, stream_pair(self->sv));
	self->handle = HANDLE;
	remote_setup_init(&self->s, self->vm->fd, self->irqfd->fd,
			  self->sv[0], HANDLE, SESSION, CAPACITY);
	ASSERT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_SETUP, &self->s));
	close(self->sv[0]);	/* the module holds its own reference */
	self->sv[0] = -1;
	ASSERT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_START, NULL));
	ASSERT_EQ(0, blk_host_layout(self->vm, true));
}

FIXTURE_TEARDOWN(fuzz)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->sv[1] >= 0)
		close(self->sv[1]);
	if (self->vm)
		vm_free(self->vm);
}

/* The ops of the guest's rounds: reads with the seed of their index. */
static void plan_reads(volatile struct blk_guest *g)
{
	unsigned int k;

	for (k = 0; k < BLK_PLAN_MAX; k++)
		g->ops[k] = (struct blk_op){ .type = VIRTIO_BLK_T_IN,
			.sector = k * 8, .len = IO_LEN, .seed = k + 1 };
}

/* The data the server returns for op @k: its pattern. */
static void fill_data(uint8_t *buf, unsigned int k)
{
	uint32_t off;

	for (off = 0; off < IO_LEN; off++)
		buf[off] = blk_pattern(k + 1, k * 8 + off / BLK_SECTOR,
				       off % BLK_SECTOR);
}

/* Send malformed reply @c to request @r. */
static int send_bad(int fd, enum bad_reply c, const struct fake_req *r,
		    const uint8_t *data)
{
	struct keel_remote_hdr h = {
		.magic = KEEL_REMOTE_MAGIC,
		.version = KEEL_REMOTE_VERSION_1,
		.type = KEEL_REMOTE_MSG_READ | KEEL_REMOTE_MSG_REPLY,
		.length = sizeof(h) + IO_LEN,
		.handle = r->h.handle,
		.req_id = r->h.req_id,
	};
	size_t dlen = IO_LEN;
	uint8_t big[IO_LEN + 512];
	int ret;

	memcpy(big, data, IO_LEN);
	memset(big + IO_LEN, 0x5a, 512);
	switch (c) {
	case B_MAGIC:
		h.magic ^= 0x01000000;
		break;
	case B_VERSION:
		h.version = 9;
		break;
	case B_LEN_SHORT:
		h.length = 16;
		dlen = 0;
		break;
	case B_LEN_HUGE:
		h.length = KEEL_REMOTE_MSG_MAX + 1;
		break;
	case B_DATA_SHORT:
		h.length = sizeof(h) + IO_LEN / 2;
		dlen = IO_LEN / 2;
		break;
	case B_DATA_LONG:
		h.length = sizeof(h) + IO_LEN + 512;
		dlen = IO_LEN + 512;
		break;
	case B_REQ_ID:
		h.req_id += 1000;
		break;
	case B_HANDLE:
		h.handle += 1;
		break;
	case B_TYPE:
		h.type = KEEL_REMOTE_MSG_WRITE | KEEL_REMOTE_MSG_REPLY;
		h.length = sizeof(h);
		dlen = 0;
		break;
	case B_REQUEST:
		h.type = KEEL_REMOTE_MSG_READ;
		break;
	case B_PAD:
		h.pad = 1;
		break;
	case B_FLAGS:
		h.flags = 1;
		break;
	case B_STATUS_DATA:
		h.status = KEEL_REMOTE_EIO;	/* a status without ERROR */
		break;
	case B_TRUNCATED:
		ret = fake_write_all(fd, &h, sizeof(h) / 2);
		shutdown(fd, SHUT_WR);
		return ret;
	case B_ERROR_SHORT:
		h.type = KEEL_REMOTE_MSG_ERROR;
		h.status = KEEL_REMOTE_EIO;
		h.length = sizeof(h) + 4;
		dlen = 4;
		break;
	case B_PONG_ID:
		h.type = KEEL_REMOTE_MSG_PONG;
		h.handle = 0;
		h.length = sizeof(h) + IO_LEN;
		break;
	default:
		return -EINVAL;
	}
	ret = fake_write_all(fd, &h, sizeof(h));
	if (!ret && dlen)
		ret = fake_write_all(fd, big, dlen);
	/* the module may drop the connection before the rest arrives */
	return ret == -EPIPE || ret == -ECONNRESET ? 0 : ret;
}

/*
 * After a fault on the connection of @self->sv[1]: the module dropped
 * it; connect a new pair and expect the request @r again there. Leaves
 * the new test end in self->sv[1] and the replay in @again.
 */
static void reconnect_expect_replay(struct __test_metadata *_metadata,
				    FIXTURE_DATA(fuzz) *self,
				    const struct fake_req *r,
				    struct fake_req *again, const char *what)
{
	struct keel_remote_connect c;
	int nv[2];
	char b;

	ASSERT_EQ(1, remote_wait_disconnected(self->fd, REMOTE_HANG_MS))
		TH_LOG("%s: the connection was not dropped", what);
	/* its end is closed: EOF (or reset) on ours */
	ASSERT_EQ(-ECONNRESET, fake_read_all(self->sv[1], &b, 1,
					     REMOTE_HANG_MS))
		TH_LOG("%s: the module did not close the connection", what);
	close(self->sv[1]);
	ASSERT_EQ(0, stream_pair(nv));
	self->handle++;
	remote_connect_init(&c, nv[0], self->handle, SESSION);
	ASSERT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_CONNECT, &c));
	close(nv[0]);
	self->sv[1] = nv[1];
	EXPECT_FALSE(remote_disconnected_now(self->fd));
	ASSERT_EQ(0, fake_recv(self->sv[1], again, REMOTE_HANG_MS))
		TH_LOG("%s: no replay", what);
	EXPECT_EQ(r->h.req_id, again->h.req_id) TH_LOG("%s", what);
	EXPECT_EQ(KEEL_REMOTE_MSG_READ, again->h.type);
	EXPECT_EQ(self->handle, again->h.handle);
	EXPECT_EQ(r->io.offset, again->io.offset);
	EXPECT_EQ(r->io.len, again->io.len);
}

static long long info_or_skip(struct __test_metadata *_metadata,
			      unsigned int id, const char *key)
{
	long long v = remote_info(id, key);

	if (v < 0)
		TH_LOG("no info counter %s from keelctl: not checked", key);
	return v;
}

TEST_F_TIMEOUT(fuzz, malformed_replies_drop_and_replay, 600)
{
	unsigned int rounds = B_NCASES + 1 + NRANDOM, i, seed = 0x1f2e3d4c;
	long long disc0, bad0, disc1, bad1, rec1;
	struct fake_req r, again;
	struct ucall uc;
	int ret;

	plan_reads(blk_g(self->vm));
	self->vcpu = vm_vcpu_add(self->vm, guest_reads);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_EQ(0, vcpu_args_set(self->vcpu, rounds));
	ASSERT_UCALL(self->vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(0, uc.args[0]) TH_LOG("blk_init failed at step %lu",
					(unsigned long)uc.args[0]);
	disc0 = info_or_skip(_metadata, self->s.id, "disconnects");
	bad0 = info_or_skip(_metadata, self->s.id, "bad_replies");

	for (i = 0; i < rounds; i++) {
		const char *what = i < B_NCASES ? bad_names[i] :
				   i == B_NCASES ? "error_eio" : "random";

		fill_data(self->data, i);
		ASSERT_UCALL(self->vcpu, uc, UCALL_SYNC);
		ASSERT_EQ(1, uc.args[0]);
		ASSERT_EQ(0, fake_recv(self->sv[1], &r, REMOTE_HANG_MS))
			TH_LOG("%s: no request", what);
		ASSERT_EQ(KEEL_REMOTE_MSG_READ, r.h.type);
		ASSERT_EQ(self->handle, r.h.handle);
		ASSERT_EQ(i * 8 * 512, r.io.offset);
		ASSERT_EQ(IO_LEN, r.io.len);
		ASSERT_EQ(i + 1, r.h.req_id) TH_LOG("ids are 1, 2, 3, ...");

		if (i == B_NCASES) {
			/* a proper ERROR: IOERR for the guest, no fault */
			ASSERT_EQ(0, fake_error(self->sv[1], &r,
						KEEL_REMOTE_EIO));
			ASSERT_UCALL(self->vcpu, uc, UCALL_SYNC);
			EXPECT_EQ(VIRTIO_BLK_S_IOERR, uc.args[2]);
			EXPECT_FALSE(remote_disconnected_now(self->fd));
			fake_req_free(&r);
			continue;
		}
		if (i < B_NCASES) {
			ASSERT_EQ(0, send_bad(self->sv[1], i, &r, self->data))
				TH_LOG("%s", what);
		} else {
			uint8_t junk[256];
			unsigned int k, n;

			seed = seed * 1103515245 + 12345;
			n = 1 + (seed >> 8) % sizeof(junk);
			for (k = 0; k < n; k++) {
				seed = seed * 1103515245 + 12345;
				junk[k] = seed >> 16;
			}
			/* sometimes a good magic in front of the junk */
			if (seed & 0x100000 && n >= 4)
				memcpy(junk, &(uint32_t){ KEEL_REMOTE_MAGIC }, 4);
			ret = fake_write_all(self->sv[1], junk, n);
			ASSERT_TRUE(!ret || ret == -EPIPE || ret == -ECONNRESET);
			/* junk may be a partial message: end the stream */
			shutdown(self->sv[1], SHUT_WR);
		}
		reconnect_expect_replay(_metadata, self, &r, &again, what);
		ASSERT_EQ(0, fake_reply(self->sv[1], KEEL_REMOTE_MSG_READ |
					KEEL_REMOTE_MSG_REPLY, self->handle,
					again.h.req_id, 0, self->data, IO_LEN));
		ASSERT_UCALL(self->vcpu, uc, UCALL_SYNC);
		ASSERT_EQ(2, uc.args[0]);
		EXPECT_EQ(VIRTIO_BLK_S_OK, uc.args[2]) TH_LOG("%s", what);
		EXPECT_EQ(0, uc.args[3]) TH_LOG("%s: data not as sent", what);
		fake_req_free(&r);
		fake_req_free(&again);
	}
	ASSERT_UCALL(self->vcpu, uc, UCALL_DONE);

	disc1 = info_or_skip(_metadata, self->s.id, "disconnects");
	bad1 = info_or_skip(_metadata, self->s.id, "bad_replies");
	rec1 = info_or_skip(_metadata, self->s.id, "reconnects");
	if (disc0 >= 0 && disc1 >= 0)
		EXPECT_EQ(B_NCASES + NRANDOM, disc1 - disc0);
	if (rec1 >= 0)
		EXPECT_EQ(B_NCASES + NRANDOM, rec1);
	/* every malformed reply but the truncated ones is refused as such */
	if (bad0 >= 0 && bad1 >= 0)
		EXPECT_LE(B_NCASES - 1, bad1 - bad0);
}

/* Four requests in flight when the connection breaks: all four again. */
TEST_F_TIMEOUT(fuzz, replay_in_id_order, 300)
{
	struct keel_remote_connect c;
	struct fake_req r[4], again[4];
	uint8_t data[IO_LEN];
	struct ucall uc;
	int nv[2], k;

	plan_reads(blk_g(self->vm));
	self->vcpu = vm_vcpu_add(self->vm, guest_four);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_UCALL(self->vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(0, uc.args[0]);
	ASSERT_UCALL(self->vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(4, uc.args[1]);
	for (k = 0; k < 4; k++) {
		ASSERT_EQ(0, fake_recv(self->sv[1], &r[k], REMOTE_HANG_MS));
		ASSERT_EQ((uint64_t)k + 1, r[k].h.req_id);
	}
	/* answer the second one, then break the stream */
	fill_data(data, r[1].io.offset / 4096);
	ASSERT_EQ(0, fake_reply(self->sv[1], KEEL_REMOTE_MSG_READ |
				KEEL_REMOTE_MSG_REPLY, self->handle,
				r[1].h.req_id, 0, data, IO_LEN));
	ASSERT_EQ(0, fake_write_all(self->sv[1], "garbage!", 8));
	shutdown(self->sv[1], SHUT_WR);
	ASSERT_EQ(1, remote_wait_disconnected(self->fd, REMOTE_HANG_MS));
	close(self->sv[1]);

	ASSERT_EQ(0, stream_pair(nv));
	self->handle++;
	remote_connect_init(&c, nv[0], self->handle, SESSION);
	ASSERT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_CONNECT, &c));
	close(nv[0]);
	self->sv[1] = nv[1];
	/* the three without a reply, in id order, same ids */
	for (k = 0; k < 3; k++) {
		ASSERT_EQ(0, fake_recv(self->sv[1], &again[k], REMOTE_HANG_MS));
		EXPECT_EQ(self->handle, again[k].h.handle);
	}
	EXPECT_EQ(1, again[0].h.req_id);
	EXPECT_EQ(3, again[1].h.req_id);
	EXPECT_EQ(4, again[2].h.req_id);
	/* answered in reverse order */
	for (k = 2; k >= 0; k--) {
		fill_data(data, again[k].io.offset / 4096);
		ASSERT_EQ(0, fake_reply(self->sv[1], KEEL_REMOTE_MSG_READ |
					KEEL_REMOTE_MSG_REPLY, self->handle,
					again[k].h.req_id, 0, data, IO_LEN));
	}
	ASSERT_UCALL(self->vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(VIRTIO_BLK_S_OK, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);
	ASSERT_UCALL(self->vcpu, uc, UCALL_DONE);
	for (k = 0; k < 4; k++)
		fake_req_free(&r[k]);
	for (k = 0; k < 3; k++)
		fake_req_free(&again[k]);
	if (remote_info(self->s.id, "replays") >= 0)
		EXPECT_EQ(3, remote_info(self->s.id, "replays"));
}

TEST_HARNESS_MAIN
