// SPDX-License-Identifier: GPL-2.0
/*
 * keel-iod's sessions across connections and restarts: RESUME on a new
 * connection with the records of completed writes, the replay of a write
 * whose reply was lost answered from its record and not applied twice
 * (a later write to the same block survives it), the request-id window,
 * several connections on one session, CLOSE, an unknown session after an
 * ungraceful restart (re-OPEN by name, the acknowledged data there), the
 * keepalive (PONG; a silent connection closed, its session kept), the
 * linger of a session without connection, and a graceful SIGTERM with a
 * request in flight (answered, SHUTDOWN, closed). Needs $KEEL_IOD; TAP on
 * stdout.
 */
#include "iod_harness.h"
#include "wire.h"

#define DISK		(1u << 20)

static char key[256], disk_spec[320];

/* Start keel-iod on @sock_name with disk0 and a console, and @extra. */
static pid_t start(const char *sock_name, char *addr, size_t len,
		   const char *const *extra)
{
	const char *argv[32] = {
		"--key", key, "--listen", addr, "--device", disk_spec,
		"--device", "console,name=con0,out=/dev/null",
	};
	char path[256];
	int n = 8, i;

	snprintf(addr, len, "unix:%s", h_path(path, sizeof(path), sock_name));
	for (i = 0; extra && extra[i] && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	return h_start(addr, argv);
}

static bool block_is(off_t off, int byte, size_t len)
{
	char buf[4096];
	size_t i;

	if (len > sizeof(buf) || !h_read_file("disk0.img", off, buf, len))
		return false;
	for (i = 0; i < len; i++)
		if (buf[i] != (char)byte)
			return false;
	return true;
}

static bool has_record(const struct keel_remote_record *r, unsigned int n,
		       uint64_t id, uint8_t type, uint32_t status)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (r[i].req_id == id && r[i].type == type &&
		    r[i].status == status)
			return true;
	return false;
}

static void test_resume(void)
{
	static struct keel_remote_record recs[KEEL_REMOTE_WINDOW];
	struct keel_remote_resume_reply rr;
	struct keel_remote_open_reply o;
	struct iodc a = { .fd = -1 }, b = { .fd = -1 }, c = { .fd = -1 };
	char addr[300], A[512], B[512], C[512];
	uint32_t ha = 0, hb = 0, hc = 0;
	uint64_t id;
	pid_t pid;
	bool all;
	int ret;

	memset(A, 'A', sizeof(A));
	memset(B, 'B', sizeof(B));
	memset(C, 'C', sizeof(C));
	pid = start("resume.sock", addr, sizeof(addr), NULL);
	ok(pid > 0 && h_conn(&a, addr) &&
	   (ha = h_open_name(&a, KEEL_REMOTE_DEV_BLOCK, "disk0", &o)),
	   "a session on disk0");
	/* The reply to write 1 is "lost": received, then forgotten. */
	ok(ha && !iodc_write(&a, ha, 1, 0, 0, A, 512) && block_is(0, 'A', 512),
	   "write 1 (A to block 0) applied; its reply is lost");
	iodc_disconnect(&a);

	ok(h_conn(&b, addr) && !iodc_resume(&b, o.session, &rr, recs) &&
	   rr.session == o.session && rr.handle && rr.last_id == 1 &&
	   rr.window == KEEL_REMOTE_WINDOW && !strcmp(rr.dev.name, "disk0") &&
	   rr.count == 1 && has_record(recs, rr.count, 1, KEEL_REMOTE_MSG_WRITE, 0),
	   "RESUME on a new connection: write 1 is recorded as completed");
	hb = rr.handle;
	ok(!iodc_write(&b, hb, 2, 0, 0, B, 512) && block_is(0, 'B', 512),
	   "write 2 (B to block 0) applied");
	ok(!iodc_write(&b, hb, 1, 0, 0, A, 512),
	   "write 1 replayed: acknowledged");
	ok(block_is(0, 'B', 512),
	   "... from its record: block 0 still holds write 2's B");
	ok(!iodc_write(&b, hb, 3, 0, 512, C, 512) && block_is(512, 'C', 512),
	   "write 3, never sent before, is applied");
	ok(!iodc_flush(&b, hb, 4) && !iodc_flush(&b, hb, 4),
	   "FLUSH 4, and again from its record");
	ok(iodc_flush(&b, hb, 1) == -EINVAL,
	   "request id 1 again as a FLUSH: EINVAL (it was a WRITE)");

	ok(h_conn(&c, addr) && !iodc_resume(&c, o.session, &rr, recs) &&
	   (hc = rr.handle) && rr.last_id == 4 && rr.count == 4 &&
	   has_record(recs, rr.count, 1, KEEL_REMOTE_MSG_WRITE, 0) &&
	   has_record(recs, rr.count, 2, KEEL_REMOTE_MSG_WRITE, 0) &&
	   has_record(recs, rr.count, 3, KEEL_REMOTE_MSG_WRITE, 0) &&
	   has_record(recs, rr.count, 4, KEEL_REMOTE_MSG_FLUSH, 0),
	   "a second connection joins the session: writes 1 to 3, FLUSH 4 recorded");
	ok(hc && !iodc_write(&c, hc, 5, 0, 0, C, 512) &&
	   !iodc_write(&b, hb, 6, 0, 0, A, 512) && block_is(0, 'A', 512),
	   "both connections write to the session");
	ok(!iodc_write(&c, hc, 2, 0, 0, B, 512) && block_is(0, 'A', 512),
	   "write 2 replayed on the other connection: not applied again");

	/* Move the window past id 6: ids up to 6 + window. */
	all = true;
	for (id = 7; id <= 6 + KEEL_REMOTE_WINDOW; id++)
		all &= !iodc_write(&b, hb, id, 0, 1024, C, 512);
	ok(all, "%u more writes", KEEL_REMOTE_WINDOW);
	ret = iodc_write(&b, hb, 6, 0, 0, B, 512);
	ok(ret == -ESTALE && block_is(0, 'A', 512),
	   "write 6 again, now behind the window: ESTALE, not applied (%s)",
	   strerror(-ret));
	ret = iodc_write(&b, hb, 7, 0, 0, B, 512);
	ok(!ret && block_is(0, 'A', 512),
	   "write 7, the oldest in the window, answered from its record");

	ok(!iodc_close(&b, hb), "CLOSE ends the session");
	ok(iodc_write(&c, hc, 7 + KEEL_REMOTE_WINDOW, 0, 0, B, 512) == -EBADF &&
	   block_is(0, 'A', 512), "the other connection's handle: EBADF");
	ok(iodc_resume(&c, o.session, &rr, recs) == -ENOENT,
	   "RESUME of a closed session: ENOENT (%s)", c.err_text);
	iodc_disconnect(&b);
	iodc_disconnect(&c);
	ok(h_stop(pid, SIGTERM) == 0, "SIGTERM: exit status 0");
}

static void test_restart(void)
{
	static struct keel_remote_record recs[KEEL_REMOTE_WINDOW];
	struct keel_remote_resume_reply rr;
	struct keel_remote_open_reply o, o2;
	struct iodc a = { .fd = -1 };
	char addr[300], R[512], buf[512];
	uint32_t h = 0, got = 0;
	pid_t pid;

	memset(R, 'R', sizeof(R));
	pid = start("restart.sock", addr, sizeof(addr), NULL);
	ok(pid > 0 && h_conn(&a, addr) &&
	   (h = h_open_name(&a, KEEL_REMOTE_DEV_BLOCK, "disk0", &o)) &&
	   !iodc_write(&a, h, 1, 0, 4096, R, 512),
	   "a write acknowledged, then keel-iod is killed");
	ok(h_stop(pid, SIGKILL) == 128 + SIGKILL, "SIGKILL");
	ok(h_closed(&a), "the client sees the connection end");
	iodc_disconnect(&a);
	pid = start("restart.sock", addr, sizeof(addr), NULL);
	ok(pid > 0 && h_conn(&a, addr),
	   "keel-iod restarts on the same socket (the dead one's file replaced)");
	ok(iodc_resume(&a, o.session, &rr, recs) == -ENOENT &&
	   a.err_code == ENOENT, "RESUME after the restart: unknown session (%s)",
	   a.err_text);
	ok((h = h_open_name(&a, KEEL_REMOTE_DEV_BLOCK, "disk0", &o2)) &&
	   o2.session != o.session && !strcmp(o2.dev.name, "disk0"),
	   "OPEN again by name: the same device, a new session");
	ok(h && !iodc_read(&a, h, 1, 4096, buf, 512, &got) && got == 512 &&
	   !memcmp(buf, R, 512), "the acknowledged write is there");
	ok(h && !iodc_write(&a, h, 2, 0, 4096, R, 512) && block_is(4096, 'R', 512),
	   "replaying it in the new session writes the same bytes again");
	iodc_disconnect(&a);
	ok(h_stop(pid, SIGTERM) == 0, "SIGTERM: exit status 0");
}

static void test_keepalive(void)
{
	static const char *const extra[] = { "--idle-timeout", "2", NULL };
	static struct keel_remote_record recs[KEEL_REMOTE_WINDOW];
	struct keel_remote_resume_reply rr;
	struct keel_remote_open_reply o;
	struct iodc a = { .fd = -1 };
	char addr[300];
	bool opened = false;
	int i, ret;
	pid_t pid;

	pid = start("idle.sock", addr, sizeof(addr), extra);
	/* A try ends early only if this process stalls for 2 s in between. */
	for (i = 0; pid > 0 && i < 5 && !opened; i++) {
		opened = h_conn(&a, addr) && a.server.keepalive_ms == 2000 &&
			 !iodc_ping(&a) &&
			 h_open_name(&a, KEEL_REMOTE_DEV_BLOCK, "disk0", &o);
		if (!opened)
			iodc_disconnect(&a);
	}
	ok(opened, "keepalive 2000 ms in HELLO, PING answered by PONG, a session opened");
	ret = iodc_recv(&a);
	ok(opened && ret == -ECONNRESET,
	   "silent for longer than the keepalive: the server closes the connection (%s)",
	   strerror(-ret));
	iodc_disconnect(&a);
	ok(opened && h_conn(&a, addr) && !iodc_resume(&a, o.session, &rr, recs),
	   "the session survives the closed connection: RESUME");
	iodc_disconnect(&a);
	ok(h_stop(pid, SIGTERM) == 0, "SIGTERM: exit status 0");
}

static void test_linger(void)
{
	static const char *const extra[] = { "--session-timeout", "1", NULL };
	static struct keel_remote_record recs[KEEL_REMOTE_WINDOW];
	struct keel_remote_resume_reply rr;
	struct keel_remote_open_reply o, o2;
	struct iodc a = { .fd = -1 }, b = { .fd = -1 };
	char addr[300];
	uint32_t h = 0;
	int i;
	pid_t pid;

	pid = start("linger.sock", addr, sizeof(addr), extra);
	ok(pid > 0 && h_conn(&a, addr) &&
	   (h = h_open_name(&a, KEEL_REMOTE_DEV_CONSOLE, "con0", &o)) &&
	   a.server.linger_ms == 1000, "a session on the console; linger 1000 ms");
	iodc_disconnect(&a);
	ok(h_conn(&b, addr), "another client");
	/* The console takes one session: it is free once the old one ended. */
	for (i = 0; h && i < HANG_MS / 20; i++) {
		if (h_open_name(&b, KEEL_REMOTE_DEV_CONSOLE, "con0", &o2))
			break;
		if (b.err_code != EBUSY)
			break;
		h_sleep_ms(20);
	}
	ok(h && i < HANG_MS / 20 && o2.session != o.session,
	   "without a connection the session ends: the console opens for another");
	ok(iodc_resume(&b, o.session, &rr, recs) == -ENOENT,
	   "RESUME of the ended session: ENOENT");
	iodc_disconnect(&b);
	ok(h_stop(pid, SIGTERM) == 0, "SIGTERM: exit status 0");
}

static void test_graceful(void)
{
	static char data[65536];
	struct keel_remote_io io = { .offset = 65536, .len = sizeof(data) };
	struct iodc a = { .fd = -1 }, b = { .fd = -1 };
	char addr[300], path[256];
	uint32_t h = 0;
	bool sent;
	int status;
	pid_t pid;

	memset(data, 'G', sizeof(data));
	pid = start("stop.sock", addr, sizeof(addr), NULL);
	ok(pid > 0 && h_conn(&a, addr) && h_conn(&b, addr) &&
	   (h = h_open_name(&a, KEEL_REMOTE_DEV_BLOCK, "disk0", NULL)),
	   "two clients, one with a session");
	/* On a socket pair of AF_UNIX, sent means queued at the server. */
	sent = h && !iodc_send(&a, KEEL_REMOTE_MSG_WRITE, 0, h, 1, &io,
			       sizeof(io), data, sizeof(data)) &&
	       !iodc_send(&a, KEEL_REMOTE_MSG_PING, 0, 0, 77, NULL, 0, NULL, 0);
	ok(sent, "a 64 KiB WRITE and a PING sent, no reply read yet");
	kill(pid, SIGTERM);
	ok(sent && !iodc_recv(&a) && !iodc_reply_of(&a, KEEL_REMOTE_MSG_WRITE, 1),
	   "SIGTERM: the WRITE in flight is answered");
	ok(sent && !iodc_recv(&a) && !iodc_reply_of(&a, KEEL_REMOTE_MSG_PING, 77),
	   "... and the PING after it");
	ok(!iodc_recv(&a) && a.rh.type == KEEL_REMOTE_MSG_SHUTDOWN &&
	   !a.rh.req_id && a.rh.length == WIRE_HDR_LEN,
	   "then a SHUTDOWN");
	ok(h_closed(&a), "then the connection closes");
	ok(!iodc_recv(&b) && b.rh.type == KEEL_REMOTE_MSG_SHUTDOWN && h_closed(&b),
	   "the idle client gets a SHUTDOWN and is closed too");
	iodc_disconnect(&a);
	iodc_disconnect(&b);
	status = h_stop(pid, 0);
	ok(status == 0, "keel-iod exits with status 0");
	ok(block_is(65536, 'G', 4096) && block_is(65536 + 61440, 'G', 4096),
	   "the write is in the file");
	ok(access(h_path(path, sizeof(path), "stop.sock"), F_OK) && errno == ENOENT,
	   "the socket file is removed");
}

int main(void)
{
	char path[256];

	h_setup();
	h_path(key, sizeof(key), "key");
	h_make_disk("disk0.img", DISK, 0);
	snprintf(disk_spec, sizeof(disk_spec),
		 "block,name=disk0,file=%s,features=flush|fua",
		 h_path(path, sizeof(path), "disk0.img"));
	test_resume();
	test_restart();
	test_keepalive();
	test_linger();
	test_graceful();
	return tap_done();
}
