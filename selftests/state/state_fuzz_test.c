// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile blobs: thousands of truncated, extended, oversized, bit-flipped,
 * wrong-format, wrong-version and wrong-type blobs, and blobs whose
 * payload was changed with every checksum made right again, are loaded
 * into a stopped UART. Each refused one must leave the device exactly as
 * it was (its saved state compares equal) and stopped; an accepted one
 * must round-trip. Then the ioctl-level rejections: flags, sizes, file
 * descriptors, commands in the wrong state, unknown numbers.
 */
#include "state_test.h"

#define ITERATIONS	4000

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Offset and length of section @n's payload, or 0 length. */
static size_t section_at(const struct blob *b, unsigned int n, size_t *len)
{
	size_t off = sizeof(struct keel_state_header);
	unsigned int i;

	for (i = 0; i <= n; i++) {
		const struct keel_state_section *s = (void *)(b->buf + off);

		if (i == n) {
			*len = s->len;
			return off + sizeof(*s);
		}
		off += sizeof(*s) + ((s->len + 7) & ~(size_t)7);
	}
	return 0;
}

FIXTURE(fuzz) {
	struct keel_vm *vm;
	int fd;
	struct blob base;
};

FIXTURE_SETUP(fuzz)
{
	uint8_t rx[100];
	int i;

	self->fd = -1;
	self->vm = NULL;
	VDEV_OPEN_OR_SKIP(self->fd);
	close(self->fd);
	VM_CREATE_OR_SKIP(self->vm, 0, 0);
	self->fd = state_uart_setup(self->vm->fd, -1);
	ASSERT_LE(0, self->fd);
	/* Something in a host stream so that every section has content. */
	for (i = 0; i < (int)sizeof(rx); i++)
		rx[i] = i;
	ASSERT_EQ((ssize_t)sizeof(rx), write(self->fd, rx, sizeof(rx)));
	ASSERT_EQ(0, state_save(self->fd, &self->base));
}

FIXTURE_TEARDOWN(fuzz)
{
	blob_free(&self->base);
	if (self->fd >= 0)
		close(self->fd);
	if (self->vm)
		vm_free(self->vm);
}

enum mutation {
	M_TRUNCATE, M_EXTEND, M_OVERSIZE, M_FLIP, M_FORMAT, M_SEC_VERSION,
	M_TYPE, M_SEMANTIC, M_COUNT
};

TEST_F_TIMEOUT(fuzz, hostile_blobs, 600)
{
	struct keel_state_info info;
	unsigned int refused[M_COUNT] = {}, accepted = 0, counted = 0;
	struct blob m = {}, now = {};
	size_t cap = self->base.len + 256 * 1024;
	int i, ret;

	m.buf = malloc(cap);
	ASSERT_NE(NULL, m.buf);
	ASSERT_EQ(0, state_info(self->fd, &info));
	ASSERT_GT(info.max_len, self->base.len);

	for (i = 0; i < ITERATIONS; i++) {
		enum mutation kind = rnd() % M_COUNT;
		struct keel_state_header *h = (void *)m.buf;
		size_t off, len = 0, n, j;

		memcpy(m.buf, self->base.buf, self->base.len);
		m.len = self->base.len;
		switch (kind) {
		case M_TRUNCATE:
			m.len = rnd() % self->base.len;
			break;
		case M_EXTEND:
			n = 1 + rnd() % 64;
			for (j = 0; j < n; j++)
				m.buf[m.len + j] = rnd();
			m.len += n;
			if (rnd() & 1)
				fix_crcs(&m);
			break;
		case M_OVERSIZE:
			m.len = info.max_len + 1 + rnd() % (cap - info.max_len - 1);
			memset(m.buf + self->base.len, 0, m.len - self->base.len);
			break;
		case M_FLIP:
			n = 1 + rnd() % 4;
			for (j = 0; j < n; j++)
				m.buf[rnd() % m.len] ^= 1 << (rnd() % 8);
			break;
		case M_FORMAT:
			h->format = KEEL_STATE_FORMAT + 1 + rnd() % 100;
			fix_crcs(&m);
			break;
		case M_SEC_VERSION:
			off = section_at(&m, rnd() % h->nr_sections, &len) - 16;
			((struct keel_state_section *)(m.buf + off))->version +=
				1 + rnd() % 100;
			fix_crcs(&m);
			break;
		case M_TYPE:
			h->type = KEEL_STATE_TYPE_VDEV_UART16550A + 1 + rnd() % 1000;
			fix_crcs(&m);
			break;
		case M_SEMANTIC:
			off = section_at(&m, rnd() % h->nr_sections, &len);
			n = 1 + rnd() % 3;
			for (j = 0; j < n && len; j++)
				m.buf[off + rnd() % len] = rnd();
			fix_crcs(&m);
			break;
		default:
			break;
		}

		ret = state_load(self->fd, m.buf, m.len);
		if (!ret) {
			/* Only a changed payload with right checksums may pass. */
			ASSERT_EQ(M_SEMANTIC, kind) TH_LOG("iteration %d", i);
			accepted++;
			ASSERT_EQ(0, state_save(self->fd, &now));
			ASSERT_EQ(0, state_load(self->fd, self->base.buf,
						self->base.len));
			blob_free(&now);
			continue;
		}
		refused[kind]++;
		if (ret != -EFBIG)	/* too big is refused before reading */
			counted++;
		switch (kind) {
		case M_OVERSIZE:
			ASSERT_EQ(-EFBIG, ret);
			break;
		case M_FORMAT:
		case M_SEC_VERSION:
			ASSERT_EQ(-EPROTONOSUPPORT, ret);
			break;
		case M_TYPE:
			ASSERT_EQ(-EMEDIUMTYPE, ret);
			break;
		default:
			ASSERT_TRUE(ret == -EBADMSG || ret == -EINVAL ||
				    ret == -EPROTONOSUPPORT ||
				    ret == -EMEDIUMTYPE)
				TH_LOG("iteration %d: %s", i, strerror(-ret));
		}
		/* Refused: the device is exactly as it was, and stopped. */
		ASSERT_EQ(0, state_save(self->fd, &now));
		ASSERT_TRUE(blob_eq(&self->base, &now))
			TH_LOG("iteration %d changed the device", i);
		blob_free(&now);
		ASSERT_EQ(KEEL_STATE_STOPPED, state_of(self->fd));
	}
	for (i = 0; i < M_COUNT; i++)
		TH_LOG("mutation %d: %u refused", i, refused[i]);
	TH_LOG("%u semantic changes accepted", accepted);
	for (i = 0; i < M_SEMANTIC; i++)
		EXPECT_LT(0, refused[i]);
	EXPECT_LT(0, refused[M_SEMANTIC]);
	EXPECT_LT(0, accepted);

	ASSERT_EQ(0, state_info(self->fd, &info));
	EXPECT_EQ(counted, info.rejects);
	free(m.buf);
}

TEST_F(fuzz, ioctl_rejections)
{
	struct keel_state_xfer x;
	struct keel_state_info info;
	struct blob b = {}, ref = {};
	int fresh, pipefd[2], wfd;

	/* Flags and sizes. */
	memset(&x, 0, sizeof(x));
	x.size = sizeof(x);
	x.flags = 1;
	x.load_fd = -1;
	EXPECT_EQ(-1, ioctl(self->fd, KEEL_STATE_IOC_SAVE, &x));
	EXPECT_EQ(EINVAL, errno);
	x.flags = 0;
	x.size = 8;
	EXPECT_EQ(-1, ioctl(self->fd, KEEL_STATE_IOC_SAVE, &x));
	EXPECT_EQ(EINVAL, errno);
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.flags = 0x80;
	EXPECT_EQ(-1, ioctl(self->fd, KEEL_STATE_IOC_GET, &info));
	EXPECT_EQ(EINVAL, errno);

	/* Sources that are no blob source. */
	x.size = sizeof(x);
	x.load_fd = -1;
	EXPECT_EQ(-1, ioctl(self->fd, KEEL_STATE_IOC_LOAD, &x));
	EXPECT_EQ(EBADF, errno);
	wfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, wfd);
	x.load_fd = wfd;
	EXPECT_EQ(-1, ioctl(self->fd, KEEL_STATE_IOC_LOAD, &x));
	EXPECT_EQ(EBADF, errno);
	close(wfd);
	/* An empty pipe whose writer is gone: a blob of zero bytes. */
	ASSERT_EQ(0, pipe(pipefd));
	close(pipefd[1]);
	x.load_fd = pipefd[0];
	EXPECT_EQ(-1, ioctl(self->fd, KEEL_STATE_IOC_LOAD, &x));
	EXPECT_EQ(EBADMSG, errno);
	close(pipefd[0]);
	/* A pipe carries a good blob as well as a memfd does. */
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ((ssize_t)self->base.len,
		  write(pipefd[1], self->base.buf, self->base.len));
	close(pipefd[1]);
	x.load_fd = pipefd[0];
	EXPECT_EQ(0, ioctl(self->fd, KEEL_STATE_IOC_LOAD, &x));
	EXPECT_EQ(self->base.len, x.load_len);
	close(pipefd[0]);

	/*
	 * Running: SAVE, LOAD and SWAP refused, nothing changed. The first
	 * RESUME settles the host stream into the model, so the reference
	 * is taken after one run.
	 */
	ASSERT_EQ(0, state_simple(self->fd, KEEL_STATE_IOC_RESUME));
	ASSERT_EQ(0, state_simple(self->fd, KEEL_STATE_IOC_STOP));
	ASSERT_EQ(0, state_save(self->fd, &ref));
	EXPECT_FALSE(blob_eq(&self->base, &ref));	/* a byte moved in */
	ASSERT_EQ(0, state_simple(self->fd, KEEL_STATE_IOC_RESUME));
	EXPECT_EQ(-EBUSY, state_save(self->fd, &b));
	EXPECT_EQ(-EBUSY, state_load(self->fd, self->base.buf, self->base.len));
	EXPECT_EQ(-EBUSY, state_swap(self->fd, &self->base, &b));
	ASSERT_EQ(0, state_simple(self->fd, KEEL_STATE_IOC_STOP));
	ASSERT_EQ(0, state_save(self->fd, &b));
	EXPECT_TRUE(blob_eq(&ref, &b));
	blob_free(&b);
	blob_free(&ref);

	/* Numbers in the state range that mean nothing, wrong directions. */
	EXPECT_EQ(-1, ioctl(self->fd, _IO(KEEL_IOC_MAGIC, 0x9f)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOW(KEEL_IOC_MAGIC, 0x93,
					   struct keel_state_xfer), &x));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOR(KEEL_IOC_MAGIC, 0x91, int), &x));
	EXPECT_EQ(ENOTTY, errno);

	/* A device that is not set up has no state yet. */
	fresh = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fresh);
	EXPECT_EQ(-EBADFD, state_simple(fresh, KEEL_STATE_IOC_STOP));
	EXPECT_EQ(-EBADFD, state_info(fresh, &info));
	close(fresh);
}

TEST_F(fuzz, swap_and_rollback)
{
	struct blob other = {}, old = {}, back = {}, now = {};
	uint8_t byte = 0x77;

	/* A second state: one more byte in the host stream. */
	ASSERT_EQ(1, write(self->fd, &byte, 1));
	ASSERT_EQ(0, state_save(self->fd, &other));
	EXPECT_FALSE(blob_eq(&self->base, &other));

	/* SWAP to base hands out "other"; SWAP back hands out base. */
	ASSERT_EQ(0, state_swap(self->fd, &self->base, &old));
	EXPECT_TRUE(blob_eq(&other, &old));
	ASSERT_EQ(0, state_swap(self->fd, &other, &back));
	EXPECT_TRUE(blob_eq(&self->base, &back));
	ASSERT_EQ(0, state_save(self->fd, &now));
	EXPECT_TRUE(blob_eq(&other, &now));

	/* A bad incoming blob: no swap, no outgoing blob, no change. */
	back.buf[back.len / 2] ^= 0x10;
	blob_free(&old);
	EXPECT_EQ(-EBADMSG, state_swap(self->fd, &back, &old));
	EXPECT_EQ(NULL, old.buf);
	blob_free(&now);
	ASSERT_EQ(0, state_save(self->fd, &now));
	EXPECT_TRUE(blob_eq(&other, &now));

	blob_free(&other);
	blob_free(&back);
	blob_free(&now);
}

TEST_HARNESS_MAIN
