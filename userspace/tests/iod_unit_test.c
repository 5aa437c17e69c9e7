// SPDX-License-Identifier: GPL-2.0
/*
 * keel-iod's parts without a server: the header checks of wire.c, the
 * key file's permission checks and parsing, the HMAC-SHA256 proofs
 * against values computed elsewhere (Python's hmac), device specs, the
 * registry's choice of a device and its refusals, and the session's
 * request-id window and records. TAP on stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "registry.h"
#include "session.h"
#include "tap.h"
#include "wire.h"

static char dir[] = "/tmp/keel-iod-unit-XXXXXX";

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void put_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	path_of(path, sizeof(path), name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	chmod(path, mode);
}

static void cleanup(void)
{
	const char *names[] = { "k600", "k640", "k604", "kbad", "kshort",
				"knobody", "d1", "d2", "d3", "d4", NULL };
	char path[256];
	int i;

	for (i = 0; names[i]; i++) {
		path_of(path, sizeof(path), names[i]);
		unlink(path);
	}
	path_of(path, sizeof(path), "kdir");
	rmdir(path);
	rmdir(dir);
}

static struct keel_remote_hdr hdr(uint8_t type, uint32_t body)
{
	struct keel_remote_hdr h;

	wire_hdr(&h, KEEL_REMOTE_VERSION, type, 0,
		 (uint32_t)WIRE_HDR_LEN + body, 0, 7, 0);
	return h;
}

static void test_wire(void)
{
	struct keel_remote_hdr h;
	char why[96];
	char s[8];

	h = hdr(KEEL_REMOTE_MSG_PING, 0);
	ok(!wire_frame(&h, KEEL_REMOTE_MSG_MAX, why, sizeof(why)) &&
	   !wire_check(&h, KEEL_REMOTE_VERSION, why, sizeof(why)),
	   "wire: a PING passes");
	h.magic ^= 1;
	ok(wire_frame(&h, KEEL_REMOTE_MSG_MAX, why, sizeof(why)) == -EBADMSG &&
	   strstr(why, "magic"), "wire: bad magic: EBADMSG (%s)", why);
	h = hdr(KEEL_REMOTE_MSG_PING, 0);
	h.length = 31;
	ok(wire_frame(&h, KEEL_REMOTE_MSG_MAX, why, sizeof(why)) == -EBADMSG,
	   "wire: length below the header: EBADMSG");
	h.length = KEEL_REMOTE_MSG_MAX + 1;
	ok(wire_frame(&h, KEEL_REMOTE_MSG_MAX, why, sizeof(why)) == -EMSGSIZE,
	   "wire: length over KEEL_REMOTE_MSG_MAX: EMSGSIZE");
	h.length = KEEL_REMOTE_MSG_MAX;
	ok(!wire_frame(&h, KEEL_REMOTE_MSG_MAX, why, sizeof(why)),
	   "wire: length of exactly KEEL_REMOTE_MSG_MAX frames");
	h = hdr(0x42, 0);
	ok(wire_check(&h, 1, why, sizeof(why)) == -EBADRQC,
	   "wire: unknown type: EBADRQC");
	h = hdr(KEEL_REMOTE_MSG_PONG, 0);
	ok(wire_check(&h, 1, why, sizeof(why)) == -EBADRQC,
	   "wire: a reply type as a request: EBADRQC");
	h = hdr(KEEL_REMOTE_MSG_OPEN, sizeof(struct keel_remote_open) - 1);
	ok(wire_check(&h, 1, why, sizeof(why)) == -EBADMSG,
	   "wire: OPEN one byte short: EBADMSG");
	h = hdr(KEEL_REMOTE_MSG_OPEN, sizeof(struct keel_remote_open) + 8);
	ok(wire_check(&h, 1, why, sizeof(why)) == -EBADMSG,
	   "wire: OPEN with trailing bytes: EBADMSG");
	h = hdr(KEEL_REMOTE_MSG_WRITE, sizeof(struct keel_remote_io) + 512);
	ok(!wire_check(&h, 1, why, sizeof(why)),
	   "wire: WRITE with data passes the header checks");
	h.flags = KEEL_REMOTE_WRITE_FUA;
	ok(!wire_check(&h, 1, why, sizeof(why)), "wire: WRITE with FUA passes");
	h.flags = 0x8000;
	ok(wire_check(&h, 1, why, sizeof(why)) == -EINVAL,
	   "wire: WRITE with an unknown flag: EINVAL");
	h = hdr(KEEL_REMOTE_MSG_FLUSH, 0);
	h.flags = KEEL_REMOTE_WRITE_FUA;
	ok(wire_check(&h, 1, why, sizeof(why)) == -EINVAL,
	   "wire: FUA on a FLUSH: EINVAL");
	h = hdr(KEEL_REMOTE_MSG_PING, 0);
	h.pad = 1;
	ok(wire_check(&h, 1, why, sizeof(why)) == -EINVAL,
	   "wire: nonzero pad: EINVAL");
	h = hdr(KEEL_REMOTE_MSG_PING, 0);
	h.status = 5;
	ok(wire_check(&h, 1, why, sizeof(why)) == -EINVAL,
	   "wire: nonzero status in a request: EINVAL");
	h = hdr(KEEL_REMOTE_MSG_LIST, 0);
	h.handle = 1;
	ok(wire_check(&h, 1, why, sizeof(why)) == -EINVAL,
	   "wire: a handle on LIST: EINVAL");
	h = hdr(KEEL_REMOTE_MSG_PING, 0);
	h.version = 9;
	ok(wire_check(&h, 1, why, sizeof(why)) == -EPROTO,
	   "wire: another version than agreed: EPROTO");

	memcpy(s, "abc\0\0\0\0", 8);
	ok(wire_str_ok(s, 8, false), "wire: NUL-padded string accepted");
	memcpy(s, "abc\0\0x\0", 8);
	ok(!wire_str_ok(s, 8, false), "wire: bytes after the NUL refused");
	memcpy(s, "abcdefgh", 8);
	ok(!wire_str_ok(s, 8, true), "wire: unterminated string refused");
	memcpy(s, "a\tb\0\0\0\0", 8);
	ok(!wire_str_ok(s, 8, false), "wire: control character refused");
	memset(s, 0, 8);
	ok(wire_str_ok(s, 8, true) && !wire_str_ok(s, 8, false),
	   "wire: empty string only where allowed");
}

static void test_keys(void)
{
	struct iod_key k;
	char path[256], msg[512];

	put_file("k600", "00112233445566778899aabbccddeeff\n", 0600);
	put_file("k640", "00112233445566778899aabbccddeeff\n", 0640);
	put_file("k604", "00112233445566778899aabbccddeeff\n", 0604);
	put_file("kbad", "0011223344556677zz99aabbccddeeff\n", 0600);
	put_file("kshort", "00112233445566778899aabbccddee\n", 0600);

	path_of(path, sizeof(path), "k600");
	ok(!key_load(path, &k, msg, sizeof(msg)) && k.len == 16 &&
	   k.bytes[0] == 0x00 && k.bytes[15] == 0xff,
	   "key: a 0600 file of 32 hex digits loads (16 bytes)");
	path_of(path, sizeof(path), "k640");
	ok(key_load(path, &k, msg, sizeof(msg)) == -EPERM &&
	   strstr(msg, "mode 0640") && strstr(msg, "chmod 600"),
	   "key: group-readable file refused: %s", msg);
	path_of(path, sizeof(path), "k604");
	ok(key_load(path, &k, msg, sizeof(msg)) == -EPERM &&
	   strstr(msg, "mode 0604"), "key: world-readable file refused");
	if (!geteuid()) {
		put_file("knobody", "00112233445566778899aabbccddeeff\n", 0600);
		path_of(path, sizeof(path), "knobody");
		ok(!chown(path, 65534, 65534) &&
		   key_load(path, &k, msg, sizeof(msg)) == -EPERM &&
		   strstr(msg, "chown root"),
		   "key: a file another user owns is refused: %s", msg);
	} else {
		ok(1, "key: a file another user owns # SKIP needs root");
	}
	path_of(path, sizeof(path), "kbad");
	ok(key_load(path, &k, msg, sizeof(msg)) == -EINVAL &&
	   strstr(msg, "openssl rand -hex 32"),
	   "key: a non-hex key refused with how to make one");
	path_of(path, sizeof(path), "kshort");
	ok(key_load(path, &k, msg, sizeof(msg)) == -EINVAL,
	   "key: fewer than 32 hex digits refused");
	path_of(path, sizeof(path), "kdir");
	mkdir(path, 0700);
	ok(key_load(path, &k, msg, sizeof(msg)) && strstr(msg, "regular file"),
	   "key: a directory refused");
	path_of(path, sizeof(path), "missing");
	ok(key_load(path, &k, msg, sizeof(msg)) == -ENOENT,
	   "key: a missing file: ENOENT");
	ok(key_parse("  0011223344556677 8899aabbccddeeff", &k) == -EINVAL,
	   "key: blanks inside the digits refused");
	ok(key_parse("0011223344556677889", &k) == -EINVAL,
	   "key: odd number of digits refused");
}

static void unhex(const char *hex, uint8_t *out, size_t n)
{
	size_t i;
	unsigned int b;

	for (i = 0; i < n; i++) {
		sscanf(hex + 2 * i, "%2x", &b);
		out[i] = (uint8_t)b;
	}
}

static void test_proofs(void)
{
	/* Python: hmac.new(b"\x0b" * 20, label + b"Hi" + b" There", sha256) */
	static const char client_hex[] =
		"8c31742dbbbe700e0ef3aa9bd06f6df1cbe505bec17447e43d6e101c9d12adf6";
	static const char server_hex[] =
		"e41fa260d3d21bf2fab3073503a3874d263ff85f25492cd119db669b278a34a6";
	uint8_t want[32], mac[32], mac2[32];
	struct iod_key k = { .len = 20 };
	uint8_t n1[KEEL_REMOTE_NONCE_LEN], n2[KEEL_REMOTE_NONCE_LEN];

	memset(k.bytes, 0x0b, 20);
	unhex(client_hex, want, 32);
	ok(!auth_proof(&k, false, "Hi", 2, " There", 6, mac) &&
	   !memcmp(mac, want, 32),
	   "proof: the client's is HMAC-SHA256(key, client label || hello || reply)");
	unhex(server_hex, want, 32);
	ok(!auth_proof(&k, true, "Hi", 2, " There", 6, mac) &&
	   !memcmp(mac, want, 32), "proof: the server's, with its own label");
	auth_proof(&k, false, "Hi", 2, " There", 6, mac2);
	ok(!auth_equal(mac, mac2),
	   "proof: a client proof never passes for a server proof");
	auth_proof(&k, true, "Hi", 2, " Therf", 6, mac2);
	ok(!auth_equal(mac, mac2), "proof: one byte of the transcript changes it");
	k.bytes[19] ^= 1;
	auth_proof(&k, true, "Hi", 2, " There", 6, mac2);
	ok(!auth_equal(mac, mac2), "proof: another key gives another proof");
	ok(!auth_nonce(n1) && !auth_nonce(n2) && memcmp(n1, n2, sizeof(n1)),
	   "nonce: two nonces differ");
}

static void test_specs(void)
{
	struct iod_dev d;
	char msg[512];

	ok(!spec_parse("block,file=/x,features=flush|fua,ro,name=d0,model=nvme",
		       &d, msg, sizeof(msg)) &&
	   d.desc.type == KEEL_REMOTE_DEV_BLOCK && d.ro &&
	   d.declared == (KEEL_REMOTE_FEAT_FLUSH | KEEL_REMOTE_FEAT_FUA) &&
	   !strcmp(d.desc.name, "d0") && !strcmp(d.desc.model, "nvme") &&
	   !strcmp(d.file, "/x"), "spec: a block device with every option");
	spec_free(&d);
	ok(!spec_parse("entropy", &d, msg, sizeof(msg)) &&
	   !strcmp(d.desc.model, "virtio-rng"), "spec: entropy, default model");
	spec_free(&d);
	ok(spec_parse("block,name=x", &d, msg, sizeof(msg)) == -EINVAL &&
	   strstr(msg, "file=PATH"), "spec: block without file refused");
	ok(spec_parse("console", &d, msg, sizeof(msg)) == -EINVAL &&
	   strstr(msg, "in=PATH"), "spec: console without in or out refused");
	ok(spec_parse("block,file=/x,features=trim", &d, msg, sizeof(msg)) ==
	   -EINVAL && strstr(msg, "flush|fua"), "spec: unknown feature refused");
	ok(spec_parse("entropy,ro", &d, msg, sizeof(msg)) == -EINVAL &&
	   strstr(msg, "unknown option 'ro'"), "spec: ro on entropy refused");
	ok(spec_parse("block,file=/x,file=/y", &d, msg, sizeof(msg)) == -EINVAL &&
	   strstr(msg, "twice"), "spec: a key given twice refused");
	ok(spec_parse("block,file=/x,name=a b", &d, msg, sizeof(msg)) == -EINVAL,
	   "spec: a name with a blank refused");
	ok(spec_parse("disk,file=/x", &d, msg, sizeof(msg)) == -EINVAL &&
	   strstr(msg, "the type first"), "spec: unknown type refused");
}

static struct keel_remote_open req(uint16_t type, const char *model,
				   const char *name, uint64_t feat,
				   uint64_t cap)
{
	struct keel_remote_open q;

	memset(&q, 0, sizeof(q));
	q.type = type;
	q.features = feat;
	q.min_capacity = cap;
	wire_str_set(q.model, sizeof(q.model), model ? model : "");
	wire_str_set(q.name, sizeof(q.name), name ? name : "");
	return q;
}

/* The name of the device @q gets, or the refusal as "-ERR/DETAIL". */
static const char *pick(struct iod_registry *r, struct keel_remote_open q)
{
	static char buf[64];
	struct iod_dev *d;
	uint16_t detail;
	int ret = registry_match(r, &q, &d, &detail);

	if (ret) {
		snprintf(buf, sizeof(buf), "%d/%u", ret, detail);
		return buf;
	}
	return d->desc.name;
}

static void test_registry(void)
{
	static struct iod_registry r;
	struct keel_remote_open q;
	char spec[4][320], msg[512], path[256];
	const uint16_t B = KEEL_REMOTE_DEV_BLOCK;
	const uint64_t F = KEEL_REMOTE_FEAT_FLUSH, U = KEEL_REMOTE_FEAT_FUA;
	const uint64_t W = KEEL_REMOTE_FEAT_WRITE;
	FILE *f;
	int i;

	/* d1 1 MiB rw flush; d2 4 MiB rw flush|fua; d3 2 MiB ro; d4 8 MiB nvme */
	for (i = 0; i < 4; i++) {
		static const long sizes[] = { 1 << 20, 4 << 20, 2 << 20, 8 << 20 };
		char name[16];

		snprintf(name, sizeof(name), "d%d", i + 1);
		path_of(path, sizeof(path), name);
		f = fopen(path, "w");
		if (!f || ftruncate(fileno(f), sizes[i]) || fclose(f)) {
			printf("Bail out! cannot make %s\n", path);
			exit(1);
		}
	}
	snprintf(spec[0], sizeof(spec[0]), "block,name=small,file=%s/d1,features=flush", dir);
	snprintf(spec[1], sizeof(spec[1]), "block,name=fua,file=%s/d2,features=flush|fua", dir);
	snprintf(spec[2], sizeof(spec[2]), "block,name=ro,file=%s/d3,ro", dir);
	snprintf(spec[3], sizeof(spec[3]), "block,name=big,model=nvme,file=%s/d4,features=flush|fua", dir);
	for (i = 0; i < 4; i++)
		if (registry_add(&r, spec[i], msg, sizeof(msg)))
			break;
	ok(i == 4 && !registry_add(&r, "console,out=/dev/null", msg, sizeof(msg)) &&
	   !registry_add(&r, "entropy", msg, sizeof(msg)) &&
	   !registry_open(&r, false, msg, sizeof(msg)) && r.n == 6,
	   "registry: six devices added and opened for listing");
	ok(registry_add(&r, "entropy,name=small", msg, sizeof(msg)) == -EEXIST &&
	   strstr(msg, "taken"), "registry: a second device named small refused");
	ok(!strcmp(r.devs[4].desc.name, "console0") &&
	   !strcmp(r.devs[5].desc.name, "entropy0"),
	   "registry: default names by type and number");
	ok(r.devs[2].desc.features == KEEL_REMOTE_FEAT_READ,
	   "registry: a read-only device has neither write, flush nor FUA");

	ok(!strcmp(pick(&r, req(B, NULL, NULL, 0, 0)), "small"),
	   "match: any block: the smallest");
	ok(!strcmp(pick(&r, req(B, NULL, NULL, 0, 3 << 20)), "fua"),
	   "match: 3 MiB: the smallest that holds it");
	ok(!strcmp(pick(&r, req(B, NULL, NULL, W | U, 0)), "fua"),
	   "match: FUA: the smallest with FUA");
	ok(!strcmp(pick(&r, req(B, "nvme", NULL, 0, 0)), "big"),
	   "match: by model");
	ok(!strcmp(pick(&r, req(B, "virtio-blk", NULL, F, 2 << 20)), "fua"),
	   "match: model, feature and capacity together");
	ok(!strcmp(pick(&r, req(B, NULL, "ro", 0, 0)), "ro"),
	   "match: by name");
	ok(!strcmp(pick(&r, req(KEEL_REMOTE_DEV_ENTROPY, NULL, NULL,
				KEEL_REMOTE_FEAT_READ, 0)), "entropy0"),
	   "match: by type");
	snprintf(msg, sizeof(msg), "%d/%d", -ENODEV, KEEL_REMOTE_OPEN_NO_CAPACITY);
	ok(!strcmp(pick(&r, req(B, NULL, NULL, 0, 9 << 20)), msg),
	   "match: 9 MiB: refused, capacity");
	snprintf(msg, sizeof(msg), "%d/%d", -ENODEV, KEEL_REMOTE_OPEN_NO_MODEL);
	ok(!strcmp(pick(&r, req(B, "ide", NULL, 0, 0)), msg),
	   "match: unknown model: refused, model");
	snprintf(msg, sizeof(msg), "%d/%d", -ENODEV, KEEL_REMOTE_OPEN_NO_FEATURES);
	ok(!strcmp(pick(&r, req(B, NULL, "ro", W, 0)), msg),
	   "match: write on the read-only device: refused, features");
	ok(!strcmp(pick(&r, req(B, NULL, NULL, 1ull << 40, 0)), msg),
	   "match: a feature no device knows: refused, features");
	snprintf(msg, sizeof(msg), "%d/%d", -ENODEV, KEEL_REMOTE_OPEN_NO_NAME);
	ok(!strcmp(pick(&r, req(B, NULL, "nope", 0, 0)), msg),
	   "match: unknown name: refused, name");
	snprintf(msg, sizeof(msg), "%d/%d", -ENODEV, KEEL_REMOTE_OPEN_NO_TYPE);
	ok(!strcmp(pick(&r, req(B, NULL, "entropy0", 0, 0)), msg),
	   "match: a name of another type: refused, type");
	ok(!strcmp(pick(&r, req(9, NULL, NULL, 0, 0)), msg),
	   "match: unknown type: refused, type");
	r.devs[4].sessions = 1;
	snprintf(msg, sizeof(msg), "%d/0", -EBUSY);
	ok(!strcmp(pick(&r, req(KEEL_REMOTE_DEV_CONSOLE, NULL, NULL, 0, 0)), msg),
	   "match: the console has a session: EBUSY");
	r.devs[4].sessions = 0;
	q = req(B, NULL, NULL, 0, 0);
	q.pad1 = 1;
	snprintf(msg, sizeof(msg), "%d/0", -EINVAL);
	ok(!strcmp(pick(&r, q), msg), "match: nonzero pad: EINVAL");
	q = req(B, NULL, NULL, 0, 0);
	q.model[31] = 'x';
	ok(!strcmp(pick(&r, q), msg), "match: unterminated model: EINVAL");
	registry_close(&r);
}

static void test_session(void)
{
	struct keel_remote_record recs[KEEL_REMOTE_WINDOW];
	struct iod_sessions ss = { .max = 2, .linger_ms = 100 };
	struct iod_dev dev = { .desc.name = "d" };
	struct iod_session *s, *s2, *s3;
	uint64_t id;
	unsigned int n;

	ok(!session_new(&ss, &dev, &s) && s->id && dev.sessions == 1 &&
	   session_find(&ss, s->id) == s, "session: a new one, found by id");
	session_get(s);
	ok(session_admit(s, 0) == -EINVAL, "window: request id 0 refused");
	ok(!session_admit(s, 1) && !session_lookup(s, 1),
	   "window: id 1 admitted, nothing recorded yet");
	session_record(s, 1, KEEL_REMOTE_MSG_WRITE, 0);
	ok(session_lookup(s, 1) && session_lookup(s, 1)->type ==
	   KEEL_REMOTE_MSG_WRITE, "window: id 1 recorded");
	for (id = 2; id <= KEEL_REMOTE_WINDOW + 5; id++) {
		session_admit(s, id);
		session_record(s, id, KEEL_REMOTE_MSG_WRITE, id == 9 ? EIO : 0);
	}
	ok(session_admit(s, 5) == -ESTALE,
	   "window: an id at highest - window is stale");
	ok(!session_admit(s, 6) && session_lookup(s, 6),
	   "window: the oldest id inside the window is still recorded");
	ok(!session_lookup(s, 1), "window: a record behind the window is gone");
	n = session_records(s, recs);
	ok(n == KEEL_REMOTE_WINDOW, "window: RESUME lists the %u records of the window (got %u)",
	   KEEL_REMOTE_WINDOW, n);
	ok(session_lookup(s, 9) && session_lookup(s, 9)->status == EIO,
	   "window: a failed write's status is kept");
	ok(!session_new(&ss, &dev, &s2) && session_new(&ss, &dev, &s3) == -EMFILE,
	   "session: the limit of sessions: EMFILE");
	session_get(s2);
	session_put(&ss, s2, 1000);
	ok(session_expire(&ss, 1050) == 50 && ss.n == 2,
	   "linger: a session without connection waits its time");
	ok(session_expire(&ss, 1100) == -1 && ss.n == 1 && dev.sessions == 1,
	   "linger: then it ends");
	session_close(&ss, s);
	ok(!session_find(&ss, s->id) && dev.sessions == 0 && ss.n == 1,
	   "close: the device is free at once, the session kept for its handle");
	session_put(&ss, s, 2000);
	ok(ss.n == 0 && !ss.head, "close: gone with its last handle");
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	atexit(cleanup);
	iod_log_level = LOG_WARNING;
	test_wire();
	test_keys();
	test_proofs();
	test_specs();
	test_registry();
	test_session();
	return tap_done();
}
