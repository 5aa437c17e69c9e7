// SPDX-License-Identifier: GPL-2.0
/*
 * keeld's allocation path end to end: REQUESTS allocation requests (the
 * resources and three preference sources of bench-keeld's requests) sent
 * over keeld's socket by CLIENTS processes at once, each sending its
 * share one request after another, each request timed from send to the
 * final NLMSG_ERROR. Prints p50/p99 round-trip latency and the sustained
 * rate over the wall-clock time. Meant for a keeld on the database
 * bench-keeld filled.
 *
 *   bench-keeld-client SOCKET [REQUESTS [CLIENTS]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/keeld.h>
#include "bench_util.h"

#define NNAMES	200

static uint64_t rng = 0x636c69656e74ull;

static void put_res(struct nlmsghdr *nlh, const char *dim, uint64_t amount)
{
	struct nlattr *r = mnl_attr_nest_start(nlh, KEELD_ALLOC_A_RES);

	mnl_attr_put_strz(nlh, KEELD_RES_A_DIM, dim);
	mnl_attr_put_u64(nlh, KEELD_RES_A_AMOUNT, amount);
	mnl_attr_nest_end(nlh, r);
}

static struct nlmsghdr *request(char *buf, uint32_t seq)
{
	static const uint8_t kinds[3][4] = {
		{ KEELD_KIND_REQUIRED, KEELD_KIND_PREFERRED, KEELD_KIND_PREFERRED,
		  KEELD_KIND_AVOIDED },
		{ KEELD_KIND_PREFERRED, KEELD_KIND_PREFERRED, KEELD_KIND_PREFERRED,
		  KEELD_KIND_PREFERRED },
		{ KEELD_KIND_FORBIDDEN, KEELD_KIND_PREFERRED, KEELD_KIND_AVOIDED,
		  KEELD_KIND_PREFERRED },
	};
	static const char *const ns[] = { "cpu", "mem", "acc", "nic", "keel" };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *a, *s, *p;
	struct genlmsghdr *g;
	char name[32];
	unsigned int i, j, n;

	nlh->nlmsg_type = KEELD_NLMSG_TYPE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = KEELD_CMD_ALLOC;
	g->version = KEELD_PROTO_VERSION;
	a = mnl_attr_nest_start(nlh, KEELD_A_ALLOC);
	mnl_attr_put_strz(nlh, KEELD_ALLOC_A_SERVICE, "bench-client");
	put_res(nlh, "vcpus", 1 + bench_rnd(&rng, 4));
	put_res(nlh, "memory", (uint64_t)(1 + bench_rnd(&rng, 8)) << 30);
	for (i = 0; i < 3; i++) {
		s = mnl_attr_nest_start(nlh, KEELD_ALLOC_A_SOURCE);
		mnl_attr_put_u8(nlh, KEELD_SOURCE_A_KIND, (uint8_t)i);
		for (j = 0; j < 4; j++) {
			n = bench_rnd(&rng, NNAMES);
			snprintf(name, sizeof(name), "%s:feature%u", ns[n % 5], n);
			p = mnl_attr_nest_start(nlh, KEELD_SOURCE_A_PREF);
			mnl_attr_put_strz(nlh, KEELD_PREF_A_FEATURE, name);
			mnl_attr_put_u8(nlh, KEELD_PREF_A_KIND, kinds[i][j]);
			mnl_attr_put_u32(nlh, KEELD_PREF_A_WEIGHT, bench_rnd(&rng, 100));
			mnl_attr_nest_end(nlh, p);
		}
		mnl_attr_nest_end(nlh, s);
	}
	mnl_attr_put_u8(nlh, KEELD_ALLOC_A_POLICY, (uint8_t)bench_rnd(&rng, 3));
	mnl_attr_put_u32(nlh, KEELD_ALLOC_A_MAX_CANDIDATES, 16);
	mnl_attr_nest_end(nlh, a);
	return nlh;
}

/*
 * One client: requests [@from, @to) on its own connection, up to @depth
 * of them in flight at once.
 */
static int client(const char *path, size_t from, size_t to, size_t depth,
		  uint64_t *lat, size_t *placed)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	static char buf[KEELD_MSG_MAX], rbuf[KEELD_MSG_MAX];
	const struct nlmsghdr *r = (const void *)rbuf;
	struct nlmsghdr *nlh;
	size_t next = from, done = 0;
	uint64_t *sent;
	size_t i;
	ssize_t n;
	int fd;

	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		perror("bench-keeld-client");
		return 1;
	}
	/* lat[i] holds the send time until the reply replaces it. */
	sent = lat;
	rng ^= (uint64_t)from * 0x9e3779b97f4a7c15ull;
	while (done < to - from) {
		while (next < to && next - from - done < depth) {
			nlh = request(buf, (uint32_t)next + 1);
			sent[next] = bench_now_ns();
			if (send(fd, buf, nlh->nlmsg_len, 0) != (ssize_t)nlh->nlmsg_len)
				goto broken;
			next++;
		}
		n = recv(fd, rbuf, sizeof(rbuf), 0);
		if (n <= 0 || !mnl_nlmsg_ok(r, (int)n))
			goto broken;
		if (r->nlmsg_type != NLMSG_ERROR)
			continue;
		i = (size_t)r->nlmsg_seq - 1;
		if (i < from || i >= next)
			goto broken;
		lat[i] = bench_now_ns() - sent[i];
		*placed += ((const struct nlmsgerr *)mnl_nlmsg_get_payload(r))->error == 0;
		done++;
	}
	close(fd);
	return 0;
broken:
	fprintf(stderr, "bench-keeld-client: keeld stopped answering after %zu requests\n",
		done);
	return 1;
}

int main(int argc, char **argv)
{
	size_t nreq = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
	size_t nclients = argc > 3 ? strtoul(argv[3], NULL, 10) : 1;
	size_t depth = argc > 4 ? strtoul(argv[4], NULL, 10) : 1;
	size_t i, placed = 0, *done;
	uint64_t *lat, t0, wall;
	int st, bad = 0;
	pid_t pid;

	if (argc < 2 || !nreq || !nclients || nclients > 64 || nclients > nreq ||
	    strlen(argv[1]) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		fprintf(stderr, "usage: bench-keeld-client SOCKET [REQUESTS [CLIENTS [DEPTH]]]\n");
		return 2;
	}
	/* Latencies and counts shared with the client processes. */
	lat = mmap(NULL, nreq * sizeof(*lat) + nclients * sizeof(*done),
		   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (lat == MAP_FAILED)
		return 1;
	done = (size_t *)(lat + nreq);
	t0 = bench_now_ns();
	for (i = 0; i < nclients; i++) {
		pid = fork();
		if (pid < 0)
			return 1;
		if (!pid)
			_exit(client(argv[1], nreq * i / nclients,
				     nreq * (i + 1) / nclients, depth, lat,
				     &done[i]));
	}
	while (wait(&st) > 0)
		bad |= !WIFEXITED(st) || WEXITSTATUS(st);
	wall = bench_now_ns() - t0;
	if (bad)
		return 1;
	for (i = 0; i < nclients; i++)
		placed += done[i];
	qsort(lat, nreq, sizeof(*lat), bench_cmp_u64);
	printf("  through keeld's socket     p50 %8.1f us   p99 %8.1f us   max %8.1f us"
	       "   (%zu client%s, %zu in flight each)\n", lat[nreq / 2] / 1e3,
	       lat[nreq * 99 / 100] / 1e3, lat[nreq - 1] / 1e3, nclients,
	       nclients == 1 ? "" : "s", depth);
	printf("  sustained: %.0f requests/s through the socket (%zu of %zu placed)\n",
	       (double)nreq * 1e9 / (double)wall, placed, nreq);
	/* For bench-alloc.sh: the rate alone, to compare runs. */
	if (getenv("BENCH_RATE_FILE")) {
		FILE *f = fopen(getenv("BENCH_RATE_FILE"), "w");

		if (f) {
			fprintf(f, "%.0f\n", (double)nreq * 1e9 / (double)wall);
			fclose(f);
		}
	}
	return 0;
}
