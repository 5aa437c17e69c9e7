// SPDX-License-Identifier: GPL-2.0
/*
 * A FETCH_STOP while the engine is in the middle of an entry on a byte
 * stream (a SOCK_STREAM socket, a pipe): part of the entry is on the
 * stream. The next engine on the same stream must send only the rest, so
 * that the reader sees every entry exactly once, byte for byte. An engine
 * on another sink sends the cut entry whole: the old stream ended cut.
 */
#define _GNU_SOURCE
#include <sys/socket.h>

#include "ring_test.h"

#define ENTRY	16000u
#define NR	3

static void fill(uint8_t *e, int i)
{
	uint32_t k;

	for (k = 0; k < ENTRY; k++)
		e[k] = (uint8_t)(i * 131 + k * 7 + k / 251);
}

/* Read what is there without waiting; bytes read. */
static size_t drain(int fd, uint8_t *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got < cap) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 200) != 1)
			break;
		n = read(fd, buf + got, cap - got);
		if (n <= 0)
			break;
		got += n;
	}
	return got;
}

/* Read exactly @len bytes, waiting up to 10 s for each part. */
static bool read_all(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 10000) != 1)
			return false;
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			return false;
		got += n;
	}
	return true;
}

static int fetch_start(int fd, int sink)
{
	struct keel_ring_fetch f = { .size = sizeof(f), .sink_fd = sink };

	return ring_ioctl(fd, KEEL_RING_IOC_FETCH_START, &f);
}

FIXTURE(cut) {
	struct ring r;
	uint8_t want[NR * ENTRY];
	uint8_t got[NR * ENTRY + 1];
	int wr, rd;		/* the byte stream's ends */
};

FIXTURE_VARIANT(cut) {
	bool pipe;
};

FIXTURE_VARIANT_ADD(cut, unix_stream) { .pipe = false };
FIXTURE_VARIANT_ADD(cut, pipe) { .pipe = true };

FIXTURE_SETUP(cut)
{
	struct keel_ring_setup s;
	int i, fds[2], small = 4096;

	ring_setup_init(&s, 8, ENTRY + 8, KEEL_RING_SETUP_AUTOCOMMIT, 0);
	ASSERT_EQ(0, ring_create(&self->r, &s));
	for (i = 0; i < NR; i++) {
		fill(self->want + i * ENTRY, i);
		ASSERT_EQ(ENTRY, write(self->r.fd, self->want + i * ENTRY,
				       ENTRY));
	}
	if (variant->pipe) {
		ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
		/* One page: an entry never fits at once. */
		ASSERT_LT(0, fcntl(fds[1], F_SETPIPE_SZ, 4096));
		self->rd = fds[0];
		self->wr = fds[1];
	} else {
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
					fds));
		ASSERT_EQ(0, setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small,
					sizeof(small)));
		self->wr = fds[0];
		self->rd = fds[1];
	}
}

FIXTURE_TEARDOWN(cut)
{
	ring_destroy(&self->r);
	close(self->wr);
	close(self->rd);
}

/* Start, let the engine block inside entry 0, stop: bytes on the stream. */
static size_t cut_entry0(struct __test_metadata *_metadata,
			 FIXTURE_DATA(cut) *self)
{
	size_t n;

	EXPECT_EQ(0, fetch_start(self->r.fd, self->wr));
	usleep(300000);
	EXPECT_EQ(0, ring_ioctl(self->r.fd, KEEL_RING_IOC_FETCH_STOP, NULL));
	n = drain(self->rd, self->got, sizeof(self->got));
	EXPECT_LT(0, n);
	EXPECT_GT(ENTRY, n) TH_LOG("the stop did not cut entry 0 (%zu bytes out)", n);
	EXPECT_EQ(0, memcmp(self->got, self->want, n));
	return n;
}

/* Same stream: the rest of entry 0, then the others, nothing twice. */
TEST_F(cut, same_stream_goes_on)
{
	size_t n = cut_entry0(_metadata, self);

	ASSERT_EQ(0, fetch_start(self->r.fd, self->wr));
	ASSERT_TRUE(read_all(self->rd, self->got + n, NR * ENTRY - n));
	EXPECT_EQ(0, memcmp(self->got, self->want, NR * ENTRY))
		TH_LOG("the stream is not the entries, each once");
	EXPECT_EQ(0, drain(self->rd, self->got, sizeof(self->got)));
	EXPECT_EQ(0, ring_ioctl(self->r.fd, KEEL_RING_IOC_FETCH_STOP, NULL));
}

/* Another sink: entry 0 whole, then the others. */
TEST_F(cut, new_stream_gets_whole_entries)
{
	int fds[2];

	cut_entry0(_metadata, self);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
	ASSERT_EQ(0, fetch_start(self->r.fd, fds[0]));
	ASSERT_TRUE(read_all(fds[1], self->got, NR * ENTRY));
	EXPECT_EQ(0, memcmp(self->got, self->want, NR * ENTRY));
	EXPECT_EQ(0, ring_ioctl(self->r.fd, KEEL_RING_IOC_FETCH_STOP, NULL));
	close(fds[0]);
	close(fds[1]);
}

/* read() took the cut entry meanwhile: the engine starts at the next. */
TEST_F(cut, read_meanwhile_moves_on)
{
	uint8_t e[ENTRY];

	cut_entry0(_metadata, self);
	ASSERT_EQ(ENTRY, read(self->r.fd, e, sizeof(e)));
	EXPECT_EQ(0, memcmp(e, self->want, ENTRY));
	ASSERT_EQ(0, fetch_start(self->r.fd, self->wr));
	ASSERT_TRUE(read_all(self->rd, self->got, (NR - 1) * ENTRY));
	EXPECT_EQ(0, memcmp(self->got, self->want + ENTRY, (NR - 1) * ENTRY));
	EXPECT_EQ(0, ring_ioctl(self->r.fd, KEEL_RING_IOC_FETCH_STOP, NULL));
}

TEST_HARNESS_MAIN
