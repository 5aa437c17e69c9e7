// SPDX-License-Identifier: GPL-2.0
/*
 * keeld against hostile input: targeted malformed requests (bad lengths,
 * unknown commands, attributes and flags, oversized packets) get the
 * right error with a message, then a loop of random and mutated
 * messages; keeld must answer every one with a well-formed reply ending
 * in NLMSG_ERROR, stay up, and keep its database consistent.
 * Needs $KEELD (keeld's binary); TAP on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/keeld.h>

#include "keeld_wire.h"
#include "tap.h"

#define ROUNDS	20000

static char dir[] = "/tmp/keeld-fuzz-XXXXXX";
static char sock_path[128], db[160];
static const char *keeld;
static pid_t pid;
static uint32_t seq = 1;

static void start(void)
{
	char *argv[] = { (char *)keeld, "--db", db, "--socket", sock_path, NULL };
	int i;

	pid = fork();
	if (!pid) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		execv(keeld, argv);
		_exit(127);
	}
	for (i = 0; i < 500 && access(sock_path, F_OK); i++)
		usleep(10000);
}

struct result {
	int status;		/* the NLMSG_ERROR's error */
	int replies;		/* messages before it */
	bool has_msg;		/* an extack message came with it */
	bool bad;		/* a reply that breaks the protocol */
};

/*
 * Send @len bytes and read the replies. Returns 0 with @r filled, -1 if
 * the connection was closed or timed out.
 */
static int exchange(int fd, const void *buf, size_t len, struct result *r)
{
	static char rbuf[KEELD_MSG_MAX];
	const struct nlmsghdr *nlh = (const void *)rbuf;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	for (;;) {
		n = recv(fd, rbuf, sizeof(rbuf), 0);
		if (n <= 0)
			return -1;
		if (!mnl_nlmsg_ok(nlh, (int)n) || (size_t)n != nlh->nlmsg_len) {
			r->bad = true;
			return 0;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e) || e->error > 0) {
				r->bad = true;
				return 0;
			}
			r->status = e->error;
			r->has_msg = (nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
				     mnl_nlmsg_get_payload_len(nlh) > sizeof(*e);
			return 0;
		}
		if (nlh->nlmsg_type != KEELD_NLMSG_TYPE) {
			r->bad = true;
			return 0;
		}
		r->replies++;
	}
}

static size_t host_add(void *buf, uint32_t id)
{
	struct nlmsghdr *nlh = keeld_msg(buf, &seq, KEELD_CMD_HOST_ADD, NLM_F_ACK);
	struct nlattr *h, *r;

	h = mnl_attr_nest_start(nlh, KEELD_A_HOST);
	mnl_attr_put_u32(nlh, KEELD_HOST_A_ID, id);
	r = mnl_attr_nest_start(nlh, KEELD_HOST_A_RES);
	mnl_attr_put_strz(nlh, KEELD_RES_A_DIM, "vcpus");
	mnl_attr_put_u64(nlh, KEELD_RES_A_AMOUNT, 64);
	mnl_attr_nest_end(nlh, r);
	r = mnl_attr_nest_start(nlh, KEELD_HOST_A_RES);
	mnl_attr_put_strz(nlh, KEELD_RES_A_DIM, "memory");
	mnl_attr_put_u64(nlh, KEELD_RES_A_AMOUNT, 1ull << 36);
	mnl_attr_nest_end(nlh, r);
	mnl_attr_put_strz(nlh, KEELD_HOST_A_FEATURE, "cpu:avx512f");
	mnl_attr_nest_end(nlh, h);
	return nlh->nlmsg_len;
}

static size_t alloc_req(void *buf)
{
	struct nlmsghdr *nlh = keeld_msg(buf, &seq, KEELD_CMD_ALLOC, NLM_F_ACK);
	struct nlattr *a, *r, *s, *p;

	a = mnl_attr_nest_start(nlh, KEELD_A_ALLOC);
	mnl_attr_put_strz(nlh, KEELD_ALLOC_A_SERVICE, "fuzz");
	r = mnl_attr_nest_start(nlh, KEELD_ALLOC_A_RES);
	mnl_attr_put_strz(nlh, KEELD_RES_A_DIM, "vcpus");
	mnl_attr_put_u64(nlh, KEELD_RES_A_AMOUNT, 1);
	mnl_attr_nest_end(nlh, r);
	r = mnl_attr_nest_start(nlh, KEELD_ALLOC_A_RES);
	mnl_attr_put_strz(nlh, KEELD_RES_A_DIM, "memory");
	mnl_attr_put_u64(nlh, KEELD_RES_A_AMOUNT, 1 << 20);
	mnl_attr_nest_end(nlh, r);
	s = mnl_attr_nest_start(nlh, KEELD_ALLOC_A_SOURCE);
	mnl_attr_put_u8(nlh, KEELD_SOURCE_A_KIND, KEELD_SOURCE_REQUEST);
	p = mnl_attr_nest_start(nlh, KEELD_SOURCE_A_PREF);
	mnl_attr_put_strz(nlh, KEELD_PREF_A_FEATURE, "cpu:avx512f");
	mnl_attr_put_u8(nlh, KEELD_PREF_A_KIND, KEELD_KIND_PREFERRED);
	mnl_attr_put_u32(nlh, KEELD_PREF_A_WEIGHT, 3);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, s);
	mnl_attr_put_u8(nlh, KEELD_ALLOC_A_POLICY, KEELD_POLICY_SPREAD);
	mnl_attr_nest_end(nlh, a);
	mnl_attr_put_u32(nlh, KEELD_A_FLAGS, KEELD_F_EXPLAIN);
	return nlh->nlmsg_len;
}

static size_t free_req(void *buf, uint64_t id)
{
	struct nlmsghdr *nlh = keeld_msg(buf, &seq, KEELD_CMD_FREE, 0);

	mnl_attr_put_u64(nlh, KEELD_A_ALLOC_ID, id);
	return nlh->nlmsg_len;
}

static size_t dump_req(void *buf, uint8_t cmd)
{
	return keeld_msg(buf, &seq, cmd, NLM_F_DUMP)->nlmsg_len;
}

/* One message to send: random bytes, or a valid one mutated. */
static size_t fuzz_message(char *buf, size_t max)
{
	size_t len, i, n;
	struct nlattr *a;
	struct nlmsghdr *nlh;

	switch (rand() % 6) {
	case 0:		/* random bytes */
		len = (size_t)rand() % 512;
		for (i = 0; i < len; i++)
			buf[i] = (char)rand();
		return len;
	case 1: {	/* a valid header, then a soup of attributes */
		nlh = keeld_msg(buf, &seq, (uint8_t)(rand() % (KEELD_CMD_MAX + 2)),
			  (uint16_t)(rand() % 2 ? NLM_F_DUMP : 0));
		n = (size_t)rand() % 8;
		for (i = 0; i < n; i++) {
			uint16_t type = (uint16_t)(rand() % 10);
			char val[64];
			size_t vl = (size_t)rand() % sizeof(val);

			memset(val, rand(), vl);
			if (rand() % 3 == 0) {
				a = mnl_attr_nest_start(nlh, type);
				mnl_attr_put(nlh, (uint16_t)(rand() % 8), vl, val);
				mnl_attr_nest_end(nlh, a);
			} else {
				mnl_attr_put(nlh, type, vl, val);
			}
		}
		return nlh->nlmsg_len;
	}
	default:	/* a valid request with bytes changed or cut */
		switch (rand() % 4) {
		case 0:
			len = alloc_req(buf);
			break;
		case 1:
			len = host_add(buf, (uint32_t)(rand() % 4));
			break;
		case 2:
			len = free_req(buf, (uint64_t)(rand() % 64));
			break;
		default:
			len = dump_req(buf, (uint8_t)(rand() % 2 ? KEELD_CMD_HOST_GET :
						      KEELD_CMD_ALLOC_GET));
			break;
		}
		n = 1 + (size_t)rand() % 4;
		for (i = 0; i < n; i++)
			buf[(size_t)rand() % len] ^= (char)(1 << (rand() % 8));
		if (rand() % 4 == 0)
			len = (size_t)rand() % (len + 1);
		if (rand() % 8 == 0 && len + 16 < max) {	/* trailing bytes */
			memset(buf + len, rand(), 16);
			len += 16;
		}
		return len;
	}
}

static void expect(int fd, const void *buf, size_t len, int status,
		   const char *what)
{
	struct result r;
	int ret = exchange(fd, buf, len, &r);

	ok(!ret && !r.bad && r.status == status && (!status || r.has_msg),
	   "%s: %s (got %d%s)", what, strerror(-status), r.status,
	   r.has_msg ? " with a message" : "");
}

int main(void)
{
	static char buf[KEELD_MSG_MAX + 1024];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	struct result r;
	unsigned int i, closed = 0, bad = 0, dead = 0;
	char cmd[512];
	int fd, st;

	keeld = getenv("KEELD");
	if (!keeld || access(keeld, X_OK)) {
		printf("1..0 # SKIP KEELD is not set to keeld\n");
		return 0;
	}
	if (!mkdtemp(dir))
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/keeld.sock", dir);
	snprintf(db, sizeof(db), "sqlite:%s/keeld.db", dir);
	srand((unsigned int)time(NULL));
	start();
	fd = keeld_connect(sock_path);
	ok(fd >= 0, "keeld is up");
	if (fd < 0)
		goto out;

	expect(fd, buf, host_add(buf, 1), 0, "a valid host add");
	expect(fd, buf, alloc_req(buf), 0, "a valid allocation");

	nlh = keeld_msg(buf, &seq, KEELD_CMD_HOST_GET, 0);
	nlh->nlmsg_len = 12;
	expect(fd, buf, 12, -EBADMSG, "a message shorter than its header");
	nlh = keeld_msg(buf, &seq, KEELD_CMD_HOST_GET, NLM_F_DUMP);
	nlh->nlmsg_len += 4;
	expect(fd, buf, nlh->nlmsg_len - 4, -EBADMSG, "a length beyond the packet");
	nlh = keeld_msg(buf, &seq, 99, 0);
	expect(fd, buf, nlh->nlmsg_len, -EOPNOTSUPP, "an unknown command");
	nlh = keeld_msg(buf, &seq, KEELD_CMD_HOST_GET, NLM_F_DUMP | NLM_F_ECHO);
	expect(fd, buf, nlh->nlmsg_len, -EINVAL, "an unknown flag");
	nlh = keeld_msg(buf, &seq, KEELD_CMD_HOST_GET, 0);
	nlh->nlmsg_type = NLMSG_MIN_TYPE;
	expect(fd, buf, nlh->nlmsg_len, -EOPNOTSUPP, "another message type");
	nlh = keeld_msg(buf, &seq, KEELD_CMD_HOST_GET, 0);
	g = mnl_nlmsg_get_payload(nlh);
	g->version = 7;
	expect(fd, buf, nlh->nlmsg_len, -EPROTONOSUPPORT, "another protocol version");
	nlh = keeld_msg(buf, &seq, KEELD_CMD_HOST_GET, 0);
	mnl_attr_put_u32(nlh, 77, 1);
	expect(fd, buf, nlh->nlmsg_len, -EINVAL, "an unknown attribute");
	nlh = keeld_msg(buf, &seq, KEELD_CMD_HOST_GET, 0);
	mnl_attr_put_u16(nlh, KEELD_A_HOST_ID, 1);
	expect(fd, buf, nlh->nlmsg_len, -EINVAL, "an attribute of the wrong size");
	nlh = keeld_msg(buf, &seq, KEELD_CMD_HOST_GET, 0);
	mnl_attr_put_u32(nlh, KEELD_A_HOST_ID, 1);
	mnl_attr_put_u32(nlh, KEELD_A_HOST_ID, 1);
	expect(fd, buf, nlh->nlmsg_len, -EINVAL, "an attribute given twice");
	nlh = keeld_msg(buf, &seq, KEELD_CMD_FREE, 0);
	mnl_attr_put_u32(nlh, KEELD_A_HOST_ID, 1);
	expect(fd, buf, nlh->nlmsg_len, -EINVAL, "an attribute the command does not use");
	nlh = keeld_msg(buf, &seq, KEELD_CMD_FREE, 0);
	expect(fd, buf, nlh->nlmsg_len, -EINVAL, "a missing attribute");
	nlh = keeld_msg(buf, &seq, KEELD_CMD_FREE, NLM_F_DUMP);
	expect(fd, buf, nlh->nlmsg_len, -EOPNOTSUPP, "a dump of a command that has none");
	nlh = keeld_msg(buf, &seq, KEELD_CMD_HOST_GET, NLM_F_DUMP);
	memset(buf + nlh->nlmsg_len, 0, KEELD_MSG_MAX);
	nlh->nlmsg_len += KEELD_MSG_MAX;
	expect(fd, buf, nlh->nlmsg_len, -EMSGSIZE, "a packet beyond the maximum");

	for (i = 0; i < ROUNDS; i++) {
		size_t len = fuzz_message(buf, sizeof(buf));

		if (exchange(fd, buf, len, &r)) {
			/* An empty packet reads as a hang-up: connect again. */
			close(fd);
			closed++;
			fd = keeld_connect(sock_path);
			if (fd < 0) {
				dead++;
				break;
			}
			continue;
		}
		if (r.bad)
			bad++;
		/* Keep capacity free so allocations keep being tried. */
		if (i % 500 == 0)
			for (uint64_t id = 1; id < 600; id++)
				exchange(fd, buf, free_req(buf, id), &r);
	}
	ok(!dead && kill(pid, 0) == 0, "keeld survived %u random and mutated messages",
	   ROUNDS);
	ok(!bad, "every reply was well-formed and ended in NLMSG_ERROR (%u bad)", bad);
	printf("# %u empty packets closed the connection\n", closed);
	if (fd >= 0)
		expect(fd, buf, dump_req(buf, KEELD_CMD_HOST_GET), 0,
		       "keeld still answers a host dump");
	if (fd >= 0)
		close(fd);
out:
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "keeld exits cleanly on SIGTERM");
	snprintf(cmd, sizeof(cmd), "'%s' --db '%s' --check >/dev/null", keeld, db);
	ok(system(cmd) == 0, "the database is consistent after the fuzzing");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	return tap_done();
}
