// SPDX-License-Identifier: GPL-2.0
/*
 * keel-iod over its sockets: the handshake with the right and a wrong key
 * (both ways: a server whose proof is wrong is not trusted), version
 * negotiation, discovery, OPEN choosing among several devices and
 * refusing with a reason, block I/O checked against the backing file
 * (FLUSH, FUA, every bound refused with nothing changed), console and
 * entropy, malformed messages answered while the server keeps serving,
 * eight clients writing at once, 3000 randomly mutated requests (the
 * same on every run), TCP, and --max-clients. Needs $KEEL_IOD; TAP on
 * stdout.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include "iod_harness.h"
#include "wire.h"

#define DISK0		(1u << 20)	/* flush|fua, virtio-blk */
#define DISK1		(4u << 20)	/* flush, virtio-blk */
#define NVME0		(2u << 20)	/* read-only, nvme */
#define CLIENTS		8
#define WRITES		32
#define BLK		4096

static char sock[256], addr[300];

static const char *err_of(struct iodc *c)
{
	return c->err_text;
}

static void test_handshake(void)
{
	struct iodc c = { .fd = -1 };
	int ret;

	ok(!iodc_connect(&c, addr) && !iodc_hello(&c, 1, 1, "t") &&
	   c.server.version == 1 && c.server.version_min == 1 &&
	   c.server.version_max == KEEL_REMOTE_VERSION &&
	   c.server.keepalive_ms == 30000 && c.server.linger_ms == 60000 &&
	   c.server.max_msg == KEEL_REMOTE_MSG_MAX &&
	   !strcmp(c.server.name, "testsrv"),
	   "HELLO: version 1, keepalive, limits and the server's name");
	ok(!iodc_auth(&c, &h_key), "AUTH with the shared key: both proofs pass");
	ok(!iodc_ping(&c), "PING after AUTH: PONG");
	iodc_disconnect(&c);

	ret = iodc_open_conn(&c, addr, &h_other);
	ok(ret == -EACCES, "a client with another key is refused: %s", strerror(-ret));
	ok(!iodc_connect(&c, addr) && !iodc_hello(&c, 1, 1, "t") &&
	   iodc_auth(&c, &h_other) == -EACCES && c.err_code == EACCES &&
	   h_closed(&c), "... with an ERROR EACCES, then the connection closes");
	iodc_disconnect(&c);

	ok(!iodc_connect(&c, addr) && !iodc_hello(&c, 1, 7, "t") &&
	   c.server.version == 1 && !iodc_auth(&c, &h_key),
	   "HELLO offering 1 to 7: version 1 agreed");
	iodc_disconnect(&c);
	ok(!iodc_connect(&c, addr) &&
	   iodc_hello(&c, 2, 9, "t") == -EPROTONOSUPPORT &&
	   c.server.version == 0 && c.server.version_min == 1 &&
	   c.server.version_max == 1 && h_closed(&c),
	   "HELLO offering only 2 to 9: EPROTONOSUPPORT with the server's range, closed");
	iodc_disconnect(&c);
	ok(!iodc_connect(&c, addr) && iodc_hello(&c, 3, 2, "t") == -EINVAL &&
	   h_closed(&c), "HELLO with min above max: EINVAL, closed");
	iodc_disconnect(&c);
	ok(!iodc_connect(&c, addr) &&
	   iodc_call(&c, KEEL_REMOTE_MSG_LIST, 0, 0, 1, NULL, 0, NULL, 0) ==
	   -EPROTO && h_closed(&c), "LIST before HELLO: EPROTO, closed");
	iodc_disconnect(&c);
	ok(!iodc_connect(&c, addr) && !iodc_hello(&c, 1, 1, "t") &&
	   iodc_call(&c, KEEL_REMOTE_MSG_LIST, 0, 0, 1, NULL, 0, NULL, 0) ==
	   -EACCES && h_closed(&c), "LIST before AUTH: EACCES, closed");
	iodc_disconnect(&c);
	ok(h_conn(&c, addr) &&
	   iodc_call(&c, KEEL_REMOTE_MSG_AUTH, 0, 0, 9,
		     &(struct keel_remote_auth){ { 0 } },
		     sizeof(struct keel_remote_auth), NULL, 0) == -EPROTO &&
	   iodc_hello(&c, 1, 1, "t") == -EPROTO && !iodc_ping(&c),
	   "a second HELLO or AUTH: refused, the connection stays");
	iodc_disconnect(&c);
}

/*
 * A server without the key: it takes any proof and answers with @mode 0
 * a proof made with another key, 1 the client's own proof sent back.
 */
static void fake_server(int lfd, int mode)
{
	unsigned char hello[WIRE_HDR_LEN + sizeof(struct keel_remote_hello)];
	unsigned char auth[WIRE_HDR_LEN + sizeof(struct keel_remote_auth)];
	struct {
		struct keel_remote_hdr h;
		struct keel_remote_hello_reply r;
	} rep = { .r = { .version = 1, .version_min = 1, .version_max = 1,
			 .keepalive_ms = 30000, .max_msg = KEEL_REMOTE_MSG_MAX,
			 .name = "fake" } };
	struct {
		struct keel_remote_hdr h;
		struct keel_remote_auth a;
	} ar;
	struct keel_remote_hdr h;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0 || recv(fd, hello, sizeof(hello), MSG_WAITALL) != sizeof(hello))
		_exit(1);
	memcpy(&h, hello, sizeof(h));
	wire_hdr(&rep.h, 1, KEEL_REMOTE_MSG_HELLO | KEEL_REMOTE_MSG_REPLY, 0,
		 sizeof(rep), 0, h.req_id, 0);
	auth_nonce(rep.r.nonce);
	if (send(fd, &rep, sizeof(rep), 0) != sizeof(rep) ||
	    recv(fd, auth, sizeof(auth), MSG_WAITALL) != sizeof(auth))
		_exit(1);
	memcpy(&h, auth, sizeof(h));
	wire_hdr(&ar.h, 1, KEEL_REMOTE_MSG_AUTH | KEEL_REMOTE_MSG_REPLY, 0,
		 sizeof(ar), 0, h.req_id, 0);
	if (mode)
		memcpy(&ar.a, auth + WIRE_HDR_LEN, sizeof(ar.a));
	else
		auth_proof(&h_other, true, hello, sizeof(hello), &rep,
			   sizeof(rep), ar.a.mac);
	if (send(fd, &ar, sizeof(ar), 0) != sizeof(ar))
		_exit(1);
	recv(fd, hello, 1, 0);		/* until the client hangs up */
	_exit(0);
}

static void test_untrusted_server(void)
{
	static const char *const what[] = {
		"a server that proves another key is not trusted",
		"a server that sends the client's own proof back is not trusted",
	};
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char fake_addr[300];
	struct iodc c = { .fd = -1 };
	int mode, lfd, ret, status;
	pid_t pid;

	h_path(sun.sun_path, sizeof(sun.sun_path), "fake.sock");
	snprintf(fake_addr, sizeof(fake_addr), "unix:%s", sun.sun_path);
	for (mode = 0; mode < 2; mode++) {
		unlink(sun.sun_path);
		lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) ||
		    listen(lfd, 1)) {
			ok(0, "%s (no socket: %s)", what[mode], strerror(errno));
			continue;
		}
		pid = fork();
		if (!pid)
			fake_server(lfd, mode);
		close(lfd);
		ret = iodc_open_conn(&c, fake_addr, &h_key);
		waitpid(pid, &status, 0);
		ok(ret == -EACCES && WIFEXITED(status) && !WEXITSTATUS(status),
		   "%s (%s)", what[mode], strerror(-ret));
	}
}

static void test_list(void)
{
	struct keel_remote_dev_desc d[KEEL_REMOTE_MAX_DEVICES];
	const uint64_t R = KEEL_REMOTE_FEAT_READ, W = KEEL_REMOTE_FEAT_WRITE;
	const uint64_t F = KEEL_REMOTE_FEAT_FLUSH, U = KEEL_REMOTE_FEAT_FUA;
	unsigned int n = 0;
	struct iodc c = { .fd = -1 };
	bool listed;

	listed = h_conn(&c, addr) &&
		 !iodc_list(&c, d, KEEL_REMOTE_MAX_DEVICES, &n);
	ok(listed && n == 5, "LIST: the five devices (got %u)", n);
	ok(n == 5 && d[0].id == 1 && !strcmp(d[0].name, "disk0") &&
	   d[0].type == KEEL_REMOTE_DEV_BLOCK && d[0].capacity == DISK0 &&
	   d[0].block_size == 512 && d[0].features == (R | W | F | U) &&
	   !strcmp(d[0].model, "virtio-blk") &&
	   d[0].max_data == KEEL_REMOTE_MAX_DATA,
	   "LIST: disk0 as configured");
	ok(n == 5 && !strcmp(d[1].name, "disk1") && d[1].capacity == DISK1 &&
	   d[1].features == (R | W | F) && !strcmp(d[2].name, "nvme0") &&
	   !strcmp(d[2].model, "nvme") && d[2].features == R &&
	   d[2].capacity == NVME0, "LIST: disk1 and the read-only nvme0");
	ok(n == 5 && d[3].type == KEEL_REMOTE_DEV_CONSOLE &&
	   d[3].features == (R | W) && !d[3].capacity &&
	   d[4].type == KEEL_REMOTE_DEV_ENTROPY && d[4].features == R &&
	   !strcmp(d[4].model, "virtio-rng"), "LIST: the console and entropy source");
	iodc_disconnect(&c);
}

/* OPEN @q on a new connection: the device's name, or "-ERR/DETAIL". */
static const char *open_on(struct keel_remote_open q)
{
	static char buf[64];
	struct keel_remote_open_reply r;
	struct iodc c = { .fd = -1 };
	int ret;

	if (!h_conn(&c, addr))
		return "no connection";
	ret = iodc_open(&c, &q, &r);
	if (ret)
		snprintf(buf, sizeof(buf), "%d/%u", ret, c.err_detail);
	else
		snprintf(buf, sizeof(buf), "%s", r.dev.name);
	iodc_disconnect(&c);
	return buf;
}

static struct keel_remote_open q(uint16_t type, const char *model,
				 uint64_t feat, uint64_t cap)
{
	struct keel_remote_open r;

	iodc_open_req(&r, type, model, NULL, feat, cap);
	return r;
}

static void expect_open(struct keel_remote_open req, const char *want,
			const char *what)
{
	const char *got = open_on(req);

	ok(!strcmp(got, want), "%s (%s)", what, got);
}

static void test_open(void)
{
	const uint16_t B = KEEL_REMOTE_DEV_BLOCK;
	const uint64_t W = KEEL_REMOTE_FEAT_WRITE, U = KEEL_REMOTE_FEAT_FUA;
	struct keel_remote_open_reply r1, r2;
	char want[32];
	struct iodc c = { .fd = -1 }, c2 = { .fd = -1 };

	expect_open(q(B, NULL, 0, 0), "disk0",
		    "OPEN a block device: disk0, the smallest");
	expect_open(q(B, NULL, 0, DISK0 + 512), "nvme0",
		    "OPEN 1 MiB + 512: nvme0, the smallest large enough");
	expect_open(q(B, NULL, W, DISK0 + 512), "disk1",
		    "OPEN writable, 1 MiB + 512: disk1");
	expect_open(q(B, "virtio-blk", U, 0), "disk0",
		    "OPEN with FUA: disk0");
	expect_open(q(B, "nvme", 0, 0), "nvme0",
		    "OPEN model nvme: nvme0");
	expect_open(q(KEEL_REMOTE_DEV_ENTROPY, NULL, 0, 0), "rng0",
		    "OPEN an entropy source: rng0");
	snprintf(want, sizeof(want), "%d/%d", -ENODEV, KEEL_REMOTE_OPEN_NO_CAPACITY);
	expect_open(q(B, NULL, 0, DISK1 + 512), want,
		    "OPEN more than any holds: ENODEV, capacity");
	expect_open(q(B, NULL, U, NVME0), want,
		    "OPEN FUA and 2 MiB: ENODEV, capacity");
	snprintf(want, sizeof(want), "%d/%d", -ENODEV, KEEL_REMOTE_OPEN_NO_MODEL);
	expect_open(q(B, "ide", 0, 0), want,
		    "OPEN model ide: ENODEV, model");
	snprintf(want, sizeof(want), "%d/%d", -ENODEV, KEEL_REMOTE_OPEN_NO_FEATURES);
	expect_open(q(B, "nvme", W, 0), want,
		    "OPEN a writable nvme: ENODEV, features");
	snprintf(want, sizeof(want), "%d/%d", -ENODEV, KEEL_REMOTE_OPEN_NO_TYPE);
	expect_open(q(7, NULL, 0, 0), want,
		    "OPEN an unknown type: ENODEV, type");

	ok(h_conn(&c, addr) && h_conn(&c2, addr) &&
	   h_open_name(&c, KEEL_REMOTE_DEV_CONSOLE, NULL, &r1) &&
	   !strcmp(r1.dev.name, "con0") &&
	   !h_open_name(&c2, KEEL_REMOTE_DEV_CONSOLE, NULL, &r2) &&
	   c2.err_code == EBUSY,
	   "a second session on the console: EBUSY (%s)", err_of(&c2));
	ok(!iodc_close(&c, r1.handle) &&
	   h_open_name(&c2, KEEL_REMOTE_DEV_CONSOLE, NULL, &r2) &&
	   r2.session != r1.session,
	   "after CLOSE the console opens again, in a new session");
	ok(iodc_close(&c, r1.handle) == -EBADF,
	   "CLOSE of a closed handle: EBADF");
	ok(!iodc_close(&c2, r2.handle), "CLOSE frees the console again");
	iodc_disconnect(&c);
	iodc_disconnect(&c2);
}

/* The whole backing file @name into a new buffer of @len bytes. */
static char *snapshot(const char *name, size_t len)
{
	char *buf = malloc(len);

	if (!h_read_file(name, 0, buf, len)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void fill(char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (char)(seed * 131 + i * 7 + (i >> 9));
}

static void test_block(void)
{
	static char buf[KEEL_REMOTE_MAX_DATA + 512], back[KEEL_REMOTE_MAX_DATA];
	struct keel_remote_open_reply r0, r1, rn;
	char *before, *after, file[BLK];
	uint32_t h0, h1, hn, got = 0;
	struct keel_remote_io io;
	uint64_t id = 0;
	struct iodc c = { .fd = -1 };

	if (!h_conn(&c, addr)) {
		ok(0, "block: no connection");
		return;
	}
	h0 = h_open_name(&c, KEEL_REMOTE_DEV_BLOCK, "disk0", &r0);
	h1 = h_open_name(&c, KEEL_REMOTE_DEV_BLOCK, "disk1", &r1);
	hn = h_open_name(&c, KEEL_REMOTE_DEV_BLOCK, "nvme0", &rn);
	ok(h0 && h1 && hn && h0 != h1 && h1 != hn,
	   "three devices opened on one connection, three handles");

	fill(buf, BLK, 1);
	ok(!iodc_write(&c, h0, ++id, 0, 8192, buf, BLK) &&
	   h_read_file("disk0.img", 8192, file, BLK) && !memcmp(file, buf, BLK),
	   "WRITE 4 KiB at 8 KiB: the file holds it once acknowledged");
	ok(!iodc_read(&c, h0, ++id, 8192, back, BLK, &got) && got == BLK &&
	   !memcmp(back, buf, BLK), "READ gives it back");
	ok(h_read_file("disk0.img", 4096, file, BLK) &&
	   !iodc_read(&c, h0, ++id, 4096, back, BLK, &got) &&
	   !memcmp(back, file, BLK), "READ of untouched blocks matches the file");
	ok(!iodc_flush(&c, h0, ++id), "FLUSH");
	fill(buf, 512, 2);
	ok(!iodc_write(&c, h0, ++id, KEEL_REMOTE_WRITE_FUA, DISK0 - 512, buf, 512) &&
	   h_read_file("disk0.img", DISK0 - 512, file, 512) &&
	   !memcmp(file, buf, 512), "WRITE with FUA of the last sector");
	fill(buf, KEEL_REMOTE_MAX_DATA, 3);
	ok(!iodc_write(&c, h1, ++id, 0, 512, buf, KEEL_REMOTE_MAX_DATA) &&
	   !iodc_read(&c, h1, ++id, 512, back, KEEL_REMOTE_MAX_DATA, &got) &&
	   got == KEEL_REMOTE_MAX_DATA && !memcmp(back, buf, got),
	   "1 MiB, the most one message carries, written and read back");
	after = snapshot("disk1.img", DISK1);
	ok(after && !memcmp(after + 512, buf, KEEL_REMOTE_MAX_DATA),
	   "... and it is in the file");
	free(after);

	/* Refusals: each with its code, none changes a byte. */
	before = snapshot("disk1.img", DISK1);
	fill(buf, sizeof(buf), 4);
	ok(iodc_write(&c, h1, ++id, 0, DISK1 - 512, buf, 1024) == -ERANGE,
	   "WRITE across the end: ERANGE (%s)", err_of(&c));
	ok(iodc_write(&c, h1, ++id, 0, DISK1, buf, 512) == -ERANGE,
	   "WRITE at the capacity: ERANGE");
	ok(iodc_write(&c, h1, ++id, 0, UINT64_MAX - 511, buf, 512) == -ERANGE,
	   "WRITE at an offset that wraps: ERANGE");
	ok(iodc_read(&c, h1, ++id, DISK1 - 512, back, 1024, &got) == -ERANGE,
	   "READ across the end: ERANGE");
	ok(iodc_write(&c, h1, ++id, 0, 100, buf, 512) == -EINVAL,
	   "WRITE at an offset inside a sector: EINVAL");
	ok(iodc_write(&c, h1, ++id, 0, 0, buf, 100) == -EINVAL,
	   "WRITE of part of a sector: EINVAL");
	io = (struct keel_remote_io){ .offset = 0, .len = 0 };
	ok(iodc_call(&c, KEEL_REMOTE_MSG_WRITE, 0, h1, ++id, &io, sizeof(io),
		     NULL, 0) == -EINVAL, "WRITE of 0 bytes: EINVAL");
	ok(iodc_write(&c, h1, ++id, 0, 0, buf, KEEL_REMOTE_MAX_DATA + 512) ==
	   -EMSGSIZE, "WRITE of 1 MiB + 512: EMSGSIZE");
	io = (struct keel_remote_io){ .offset = 0, .len = 1024 };
	ok(iodc_call(&c, KEEL_REMOTE_MSG_WRITE, 0, h1, ++id, &io, sizeof(io),
		     buf, 512) == -EBADMSG,
	   "WRITE with less data than its length: EBADMSG");
	io = (struct keel_remote_io){ .offset = 0, .len = 512, .pad = 1 };
	ok(iodc_call(&c, KEEL_REMOTE_MSG_WRITE, 0, h1, ++id, &io, sizeof(io),
		     buf, 512) == -EINVAL, "WRITE with a nonzero pad: EINVAL");
	ok(iodc_write(&c, h1, ++id, KEEL_REMOTE_WRITE_FUA, 0, buf, 512) ==
	   -EOPNOTSUPP, "FUA on disk1, which has no FUA: EOPNOTSUPP");
	ok(iodc_write(&c, h1, ++id, 0x2, 0, buf, 512) == -EINVAL,
	   "WRITE with an unknown flag: EINVAL");
	ok(iodc_write(&c, hn, ++id, 0, 0, buf, 512) == -EROFS,
	   "WRITE to the read-only nvme0: EROFS");
	ok(iodc_flush(&c, hn, ++id) == -EOPNOTSUPP,
	   "FLUSH on nvme0, which has none: EOPNOTSUPP");
	ok(iodc_write(&c, 99, ++id, 0, 0, buf, 512) == -EBADF,
	   "WRITE on an unknown handle: EBADF");
	ok(iodc_write(&c, h1, 0, 0, 0, buf, 512) == -EINVAL,
	   "WRITE with request id 0: EINVAL");
	after = snapshot("disk1.img", DISK1);
	ok(before && after && !memcmp(before, after, DISK1),
	   "after every refusal the file is unchanged");
	free(before);
	free(after);
	ok(!iodc_read(&c, h0, ++id, 0, back, 512, &got) && got == 512,
	   "the connection still serves");
	iodc_disconnect(&c);
}

static void test_console_entropy(void)
{
	struct keel_remote_open_reply r;
	char buf[256], out[16];
	uint8_t a[64], b[64];
	uint32_t h, got = 0, got2 = 1;
	struct iodc c = { .fd = -1 };

	if (!h_conn(&c, addr)) {
		ok(0, "console: no connection");
		return;
	}
	h = h_open_name(&c, KEEL_REMOTE_DEV_CONSOLE, NULL, &r);
	ok(h && !iodc_write(&c, h, 1, 0, 0, "hello\n", 6) &&
	   h_read_file("con.out", 0, out, 6) && !memcmp(out, "hello\n", 6),
	   "console WRITE: appended to the output file");
	ok(!iodc_read(&c, h, 2, 0, buf, sizeof(buf), &got) && got == 11 &&
	   !memcmp(buf, "typed keys\n", 11) &&
	   !iodc_read(&c, h, 3, 0, buf, sizeof(buf), &got2) && !got2,
	   "console READ: the input waiting, then nothing (never blocks)");
	ok(iodc_write(&c, h, 4, 0, 512, "x", 1) == -EINVAL,
	   "console WRITE with an offset: EINVAL");
	ok(iodc_flush(&c, h, 5) == -EOPNOTSUPP, "console FLUSH: EOPNOTSUPP");
	h = h_open_name(&c, KEEL_REMOTE_DEV_ENTROPY, NULL, &r);
	ok(h && !iodc_read(&c, h, 1, 0, a, sizeof(a), &got) && got == 64 &&
	   !iodc_read(&c, h, 2, 0, b, sizeof(b), &got2) && got2 == 64 &&
	   memcmp(a, b, sizeof(a)), "entropy READ: 64 bytes, different each time");
	ok(iodc_write(&c, h, 3, 0, 0, a, 8) == -EOPNOTSUPP,
	   "entropy WRITE: EOPNOTSUPP");
	iodc_disconnect(&c);
}

/* Another client can still open disk0 and read. */
static bool others_served(void)
{
	char buf[512];
	uint32_t h, got = 0;
	struct iodc c = { .fd = -1 };
	bool ret;

	if (!h_conn(&c, addr))
		return false;
	h = h_open_name(&c, KEEL_REMOTE_DEV_BLOCK, "disk0", NULL);
	ret = h && !iodc_read(&c, h, 1, 0, buf, sizeof(buf), &got) && got == 512;
	iodc_disconnect(&c);
	return ret;
}

/* Send @hdr (and @body) raw on @c; the ERROR code that comes back, or -1. */
static int raw_error(struct iodc *c, struct keel_remote_hdr *h,
		     const void *body, size_t len)
{
	if (iodc_send_raw(c, h, sizeof(*h)) || (len && iodc_send_raw(c, body, len)) ||
	    iodc_recv(c) || c->rh.type != KEEL_REMOTE_MSG_ERROR)
		return -1;
	return (int)c->err_code;
}

static void test_malformed(void)
{
	struct keel_remote_open oq;
	struct keel_remote_io io;
	struct keel_remote_hdr h;
	char junk[64];
	struct iodc c = { .fd = -1 };
	uint32_t hd;
	int code;

	if (!h_conn(&c, addr)) {
		ok(0, "malformed: no connection");
		return;
	}
	hd = h_open_name(&c, KEEL_REMOTE_DEV_BLOCK, "disk1", NULL);
	wire_hdr(&h, 1, KEEL_REMOTE_MSG_PING, 0, sizeof(h), 0, 11, 0);
	h.pad = 0x100;
	code = raw_error(&c, &h, NULL, 0);
	ok(code == EINVAL && c.rh.req_id == 11 && !iodc_ping(&c),
	   "nonzero pad in the header: ERROR EINVAL for that request, the connection stays");
	wire_hdr(&h, 1, KEEL_REMOTE_MSG_PING, 0x1, sizeof(h), 0, 12, 0);
	ok(raw_error(&c, &h, NULL, 0) == EINVAL && !iodc_ping(&c),
	   "unknown flags: ERROR EINVAL, the connection stays");
	wire_hdr(&h, 1, 0x6a, 0, sizeof(h) + 8, 0, 13, 0);
	ok(raw_error(&c, &h, "12345678", 8) == EBADRQC && !iodc_ping(&c),
	   "unknown type with a body: ERROR EBADRQC, skipped, the connection stays");
	iodc_open_req(&oq, KEEL_REMOTE_DEV_BLOCK, NULL, NULL, 0, 0);
	wire_hdr(&h, 1, KEEL_REMOTE_MSG_OPEN, 0, sizeof(h) + sizeof(oq) - 8, 0, 14, 0);
	ok(raw_error(&c, &h, &oq, sizeof(oq) - 8) == EBADMSG && !iodc_ping(&c),
	   "OPEN with a short body: ERROR EBADMSG, the connection stays");
	oq.pad0 = 1;
	ok(iodc_open(&c, &oq, &(struct keel_remote_open_reply){ 0 }) == -EINVAL,
	   "OPEN with a nonzero pad: EINVAL");
	io = (struct keel_remote_io){ .len = 512 };
	wire_hdr(&h, 1, KEEL_REMOTE_MSG_READ, 0, sizeof(h) + sizeof(io), hd, 15, 0);
	h.status = 3;
	ok(raw_error(&c, &h, &io, sizeof(io)) == EINVAL && !iodc_ping(&c),
	   "nonzero status in a request: ERROR EINVAL");
	wire_hdr(&h, 2, KEEL_REMOTE_MSG_PING, 0, sizeof(h), 0, 16, 0);
	ok(raw_error(&c, &h, NULL, 0) == EPROTO && !iodc_ping(&c),
	   "a message in another version than agreed: ERROR EPROTO");
	wire_hdr(&h, 1, KEEL_REMOTE_MSG_PING, 0, sizeof(h), 0, 17, 0);
	h.magic = 0x12345678;
	code = raw_error(&c, &h, NULL, 0);
	ok(code == EBADMSG && h_closed(&c),
	   "bad magic: ERROR EBADMSG, then the connection closes");
	iodc_disconnect(&c);
	ok(others_served(), "... and the server serves others");

	ok(h_conn(&c, addr), "connected again");
	wire_hdr(&h, 1, KEEL_REMOTE_MSG_PING, 0, 8, 0, 18, 0);
	ok(raw_error(&c, &h, NULL, 0) == EBADMSG && h_closed(&c),
	   "length shorter than a header: ERROR EBADMSG, closed");
	iodc_disconnect(&c);
	ok(h_conn(&c, addr), "connected again");
	wire_hdr(&h, 1, KEEL_REMOTE_MSG_WRITE, 0, 0xffffffffu, 1, 19, 0);
	ok(raw_error(&c, &h, NULL, 0) == EMSGSIZE && h_closed(&c),
	   "length of 4 GiB: ERROR EMSGSIZE at once, closed");
	iodc_disconnect(&c);
	ok(!iodc_connect(&c, addr), "connected again, no handshake");
	wire_hdr(&h, 1, KEEL_REMOTE_MSG_HELLO, 0, 4096, 0, 21, 0);
	ok(raw_error(&c, &h, NULL, 0) == EMSGSIZE && h_closed(&c),
	   "4 KiB before AUTH, more than a HELLO: ERROR EMSGSIZE, closed");
	iodc_disconnect(&c);
	ok(!iodc_connect(&c, addr), "connected again, no handshake");
	memset(junk, 0xa5, sizeof(junk));
	ok(!iodc_send_raw(&c, junk, sizeof(junk)) && !iodc_recv(&c) &&
	   c.rh.type == KEEL_REMOTE_MSG_ERROR && h_closed(&c),
	   "garbage instead of HELLO: ERROR, closed");
	iodc_disconnect(&c);
	ok(h_conn(&c, addr), "connected again");
	wire_hdr(&h, 1, KEEL_REMOTE_MSG_WRITE, 0, sizeof(h) + 4096, 1, 20, 0);
	ok(!iodc_send_raw(&c, &h, sizeof(h)) && !iodc_send_raw(&c, junk, 10),
	   "half a WRITE sent, then the client hangs up");
	iodc_disconnect(&c);
	ok(others_served(), "the server serves others after all of it");
}

/* One of CLIENTS clients: WRITES blocks of its own, pipelined by 8. */
static int writer(int me)
{
	struct keel_remote_io io = { .len = BLK };
	char buf[BLK];
	uint32_t h;
	struct iodc c = { .fd = -1 };
	int k, j;

	if (!h_conn(&c, addr))
		return 1;
	h = h_open_name(&c, KEEL_REMOTE_DEV_BLOCK, "disk1", NULL);
	if (!h)
		return 2;
	for (k = 0; k < WRITES; k += 8) {
		for (j = k; j < k + 8; j++) {
			io.offset = (uint64_t)(me + CLIENTS * j) * BLK;
			fill(buf, BLK, 100 + me * WRITES + j);
			if (iodc_send(&c, KEEL_REMOTE_MSG_WRITE, 0, h, (uint64_t)j + 1,
				      &io, sizeof(io), buf, BLK))
				return 3;
		}
		for (j = k; j < k + 8; j++)
			if (iodc_recv(&c) ||
			    iodc_reply_of(&c, KEEL_REMOTE_MSG_WRITE, (uint64_t)j + 1))
				return 4;
	}
	iodc_disconnect(&c);
	return 0;
}

static void test_many(void)
{
	pid_t pids[CLIENTS];
	char want[BLK], *file;
	int i, j, status, failed = 0, wrong = 0;

	for (i = 0; i < CLIENTS; i++) {
		pids[i] = fork();
		if (!pids[i])
			_exit(writer(i));
	}
	for (i = 0; i < CLIENTS; i++) {
		if (pids[i] < 0 || waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	ok(!failed, "%d clients at once, %d pipelined writes each: all acknowledged (%d failed)",
	   CLIENTS, WRITES, failed);
	file = snapshot("disk1.img", DISK1);
	for (i = 0; file && i < CLIENTS; i++) {
		for (j = 0; j < WRITES; j++) {
			fill(want, BLK, 100 + i * WRITES + j);
			wrong += !!memcmp(file + (size_t)(i + CLIENTS * j) * BLK,
					  want, BLK);
		}
	}
	ok(file && !wrong, "every client's blocks are in the file (%d wrong)", wrong);
	free(file);
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

/* xorshift64: the same sequence on every run. */
static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % n);
}

/*
 * A valid request of a random type on handle @h, with 1 to 3 random
 * mutations; its bytes in @buf (KEEL_REMOTE_MSG_MAX), the length to send
 * returned: all the header says when the server would wait for that
 * much, so that the next request is read as one.
 */
static size_t mutant(unsigned char *buf, uint32_t h, uint64_t id)
{
	static const uint8_t types[] = {
		KEEL_REMOTE_MSG_PING, KEEL_REMOTE_MSG_LIST, KEEL_REMOTE_MSG_OPEN,
		KEEL_REMOTE_MSG_RESUME, KEEL_REMOTE_MSG_READ,
		KEEL_REMOTE_MSG_WRITE, KEEL_REMOTE_MSG_FLUSH,
		KEEL_REMOTE_MSG_CLOSE, KEEL_REMOTE_MSG_HELLO, KEEL_REMOTE_MSG_AUTH,
	};
	uint8_t type = types[rnd(sizeof(types))];
	const struct wire_type *t = wire_request(type);
	struct keel_remote_io io = { .offset = rnd(8) * 512, .len = 512 };
	struct keel_remote_open oq;
	struct keel_remote_hdr hd;
	size_t len = WIRE_HDR_LEN + t->body + (t->data ? 512 : 0);
	unsigned int i, n = 1 + rnd(3);

	memset(buf, 0, 4096 + 1024);
	iodc_open_req(&oq, (uint16_t)(1 + rnd(3)), NULL, NULL, 0, 0);
	if (type == KEEL_REMOTE_MSG_OPEN)
		memcpy(buf + WIRE_HDR_LEN, &oq, sizeof(oq));
	if (type == KEEL_REMOTE_MSG_READ || type == KEEL_REMOTE_MSG_WRITE)
		memcpy(buf + WIRE_HDR_LEN, &io, sizeof(io));
	wire_hdr(&hd, 1, type, 0, (uint32_t)len, t->session ? h : 0, id, 0);
	memcpy(buf, &hd, sizeof(hd));
	for (i = 0; i < n; i++) {
		switch (rnd(4)) {
		case 0:		/* a random byte anywhere */
			buf[rnd((uint32_t)len)] = (unsigned char)rnd(256);
			break;
		case 1:		/* a flipped bit in the header */
			buf[rnd(WIRE_HDR_LEN)] ^= (unsigned char)(1 << rnd(8));
			break;
		case 2:		/* another type */
			buf[5] = (unsigned char)rnd(256);
			break;
		default:	/* another length, and that many bytes */
			len = rnd(2) ? rnd(WIRE_HDR_LEN) : WIRE_HDR_LEN + rnd(4096);
			memcpy(&hd, buf, sizeof(hd));
			hd.length = (uint32_t)len;
			memcpy(buf, &hd, sizeof(hd));
			if (len < WIRE_HDR_LEN)
				len = WIRE_HDR_LEN;
			break;
		}
	}
	memcpy(&hd, buf, sizeof(hd));
	if (hd.length > len && hd.length <= KEEL_REMOTE_MSG_MAX) {
		memset(buf + len, 0, hd.length - len);
		len = hd.length;
	} else if (hd.length >= WIRE_HDR_LEN && hd.length < len) {
		len = hd.length;
	}
	return len;
}

static void test_fuzz(void)
{
	static unsigned char buf[KEEL_REMOTE_MSG_MAX];
	int i, errors = 0, closed = 0, lost = 0;
	uint64_t marker = 1ull << 40;
	struct iodc c = { .fd = -1 };
	uint32_t h = 0;
	size_t len;
	int ret;

	for (i = 0; i < 3000 && lost < 3; i++) {
		if (c.fd < 0) {
			if (!h_conn(&c, addr)) {
				lost++;
				continue;
			}
			h = h_open_name(&c, KEEL_REMOTE_DEV_BLOCK, "disk1", NULL);
		}
		len = mutant(buf, h, 1 + (uint64_t)i);
		ret = iodc_send_raw(&c, buf, len);
		if (!ret)
			ret = iodc_send(&c, KEEL_REMOTE_MSG_PING, 0, 0, ++marker,
					NULL, 0, NULL, 0);
		/* Everything up to the PONG of the marker, or the end. */
		while (!ret && !(ret = iodc_recv(&c))) {
			errors += c.rh.type == KEEL_REMOTE_MSG_ERROR;
			if (c.rh.type == KEEL_REMOTE_MSG_PONG &&
			    c.rh.req_id == marker)
				break;
		}
		if (ret == -ETIMEDOUT)
			lost++;
		if (ret) {
			closed++;
			iodc_disconnect(&c);
			c.fd = -1;
		}
	}
	iodc_disconnect(&c);
	ok(!lost && i == 3000,
	   "3000 mutated requests: %d ERROR replies, %d connections closed, none hung",
	   errors, closed);
	ok(others_served(), "the server serves others after them");
}

/* The TCP port keel-iod logged for 127.0.0.1, or 0. */
static unsigned int tcp_port(void)
{
	char path[256], line[512];
	unsigned int port = 0;
	FILE *f = fopen(h_path(path, sizeof(path), "iod.log"), "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "listening on tcp:127.0.0.1:");

		if (p)
			port = (unsigned int)atoi(p + strlen("listening on tcp:127.0.0.1:"));
	}
	if (f)
		fclose(f);
	return port;
}

static void test_tcp(void)
{
	char tcp[64], buf[512];
	uint32_t h = 0, got = 0;
	unsigned int port = tcp_port();
	struct iodc c = { .fd = -1 };

	snprintf(tcp, sizeof(tcp), "tcp:127.0.0.1:%u", port);
	ok(port && !iodc_open_conn(&c, tcp, &h_key) &&
	   (h = h_open_name(&c, KEEL_REMOTE_DEV_BLOCK, "disk0", NULL)) &&
	   !iodc_read(&c, h, 1, 0, buf, sizeof(buf), &got) && got == 512,
	   "over TCP (port %u): handshake, OPEN and READ", port);
	if (port)
		iodc_disconnect(&c);
	ok(port && iodc_open_conn(&c, tcp, &h_other) == -EACCES,
	   "over TCP a wrong key is refused too");
}

static void test_max_clients(void)
{
	static const char *const argv[] = {
		"--key", NULL, "--listen", NULL, "--max-clients", "2",
		"--device", "entropy", NULL,
	};
	char key[256], path[256], a2[300];
	const char *args[sizeof(argv) / sizeof(argv[0])];
	struct iodc c1 = { .fd = -1 }, c2 = { .fd = -1 }, c3 = { .fd = -1 };
	pid_t pid;
	int i;

	memcpy(args, argv, sizeof(argv));
	args[1] = h_path(key, sizeof(key), "key");
	snprintf(a2, sizeof(a2), "unix:%s", h_path(path, sizeof(path), "max.sock"));
	args[3] = a2;
	pid = h_start(a2, args);
	ok(pid > 0 && h_conn(&c1, a2) && h_conn(&c2, a2),
	   "--max-clients 2: two clients served");
	ok(pid > 0 && !iodc_connect(&c3, a2) && h_closed(&c3),
	   "a third connection is closed at once");
	if (pid > 0) {
		iodc_disconnect(&c3);
		iodc_disconnect(&c2);
	}
	/* The server sees the hang-ups in its own time. */
	for (i = 0; pid > 0 && i < HANG_MS / 10; i++) {
		if (h_conn(&c2, a2))
			break;
		h_sleep_ms(10);
	}
	ok(pid > 0 && !iodc_ping(&c1) && i < HANG_MS / 10,
	   "the first still served; after one leaves another gets in");
	if (pid > 0) {
		iodc_disconnect(&c1);
		iodc_disconnect(&c2);
	}
	ok(h_stop(pid, SIGTERM) == 0, "SIGTERM: exit status 0");
}

int main(void)
{
	static char dev[5][320];
	char key[256], path[256];
	const char *argv[] = {
		"--key", NULL, "--listen", addr,
		"--listen", "tcp:127.0.0.1:0", "--name", "testsrv",
		"--device", dev[0], "--device", dev[1], "--device", dev[2],
		"--device", dev[3], "--device", dev[4], NULL,
	};
	pid_t pid;

	h_setup();
	argv[1] = h_path(key, sizeof(key), "key");
	snprintf(sock, sizeof(sock), "%s/iod.sock", h_dir);
	snprintf(addr, sizeof(addr), "unix:%s", sock);
	h_make_disk("disk0.img", DISK0, 0x11);
	h_make_disk("disk1.img", DISK1, 0x22);
	h_make_disk("nvme.img", NVME0, 0x33);
	h_write_file("con.in", "typed keys\n", 11, 0600);
	snprintf(dev[0], sizeof(dev[0]), "block,name=disk0,file=%s,features=flush|fua",
		 h_path(path, sizeof(path), "disk0.img"));
	snprintf(dev[1], sizeof(dev[1]), "block,name=disk1,file=%s,features=flush",
		 h_path(path, sizeof(path), "disk1.img"));
	snprintf(dev[2], sizeof(dev[2]), "block,name=nvme0,model=nvme,ro,file=%s",
		 h_path(path, sizeof(path), "nvme.img"));
	snprintf(dev[3], sizeof(dev[3]), "console,name=con0,in=%s/con.in,out=%s/con.out",
		 h_dir, h_dir);
	snprintf(dev[4], sizeof(dev[4]), "entropy,name=rng0");

	pid = h_start(addr, argv);
	ok(pid > 0, "keel-iod starts with five devices on a socket and TCP");
	if (pid <= 0)
		return tap_done();
	test_handshake();
	test_untrusted_server();
	test_list();
	test_open();
	test_block();
	test_console_entropy();
	test_malformed();
	test_many();
	test_fuzz();
	test_tcp();
	ok(kill(pid, 0) == 0, "keel-iod is still running after all of it");
	ok(h_stop(pid, SIGTERM) == 0, "SIGTERM: exit status 0");
	test_max_clients();
	return tap_done();
}
