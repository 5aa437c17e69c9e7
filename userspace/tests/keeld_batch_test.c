// SPDX-License-Identifier: GPL-2.0
/*
 * keeld's group commit: requests that reach keeld together (keeld held
 * with SIGSTOP while two clients send) run in one transaction. Inside
 * it an allocation without room (-ESRCH: the only host without the
 * forbidden feature is full), a free of an unknown id, a second free
 * of the same allocation, a malformed request and a decision on a stale
 * view (another keeld allocated on the host since) each fail or retry
 * alone: every request gets its own right answer, in order, and the
 * others are committed. Needs $KEELD (keeld's binary); TAP on stdout.
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
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/keeld.h>

#include "keeld_wire.h"
#include "tap.h"

static char dir[] = "/tmp/keeld-batch-XXXXXX";
static char db[160];
static const char *keeld;
static uint32_t seq;

/* keeld NAME on the test's database, stderr to NAME.log; waits for it. */
static pid_t start(const char *name)
{
	char sock[160], log[160];
	char *argv[] = { (char *)keeld, "--db", db, "--socket", sock,
			 "--refresh", "0", NULL };
	pid_t pid;
	int i;

	snprintf(sock, sizeof(sock), "%s/%s.sock", dir, name);
	snprintf(log, sizeof(log), "%s/%s.log", dir, name);
	pid = fork();
	if (!pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 2);
		execv(keeld, argv);
		_exit(127);
	}
	for (i = 0; i < 500 && access(sock, F_OK); i++)
		usleep(10000);
	return pid;
}

static int connect_to(const char *name)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s.sock", dir, name);
	return keeld_connect(path);
}

static void put_res(struct nlmsghdr *nlh, uint16_t type, const char *dim,
		    uint64_t amount)
{
	struct nlattr *r = mnl_attr_nest_start(nlh, type);

	mnl_attr_put_strz(nlh, KEELD_RES_A_DIM, dim);
	mnl_attr_put_u64(nlh, KEELD_RES_A_AMOUNT, amount);
	mnl_attr_nest_end(nlh, r);
}

/* Host @id: @vcpus vCPUs, 64 GiB, with feature cpu:avx512f or not. */
static struct nlmsghdr *host_add(void *buf, uint32_t id, uint64_t vcpus,
				 bool avx)
{
	struct nlmsghdr *nlh = keeld_msg(buf, &seq, KEELD_CMD_HOST_ADD,
					  NLM_F_ACK);
	struct nlattr *h = mnl_attr_nest_start(nlh, KEELD_A_HOST);

	mnl_attr_put_u32(nlh, KEELD_HOST_A_ID, id);
	put_res(nlh, KEELD_HOST_A_RES, "vcpus", vcpus);
	put_res(nlh, KEELD_HOST_A_RES, "memory", 1ull << 36);
	if (avx)
		mnl_attr_put_strz(nlh, KEELD_HOST_A_FEATURE, "cpu:avx512f");
	mnl_attr_nest_end(nlh, h);
	return nlh;
}

/*
 * An allocation of @vcpus vCPUs and 1 GiB on a host with cpu:avx512f
 * (@avx) or without it; @service NULL leaves the service out.
 */
static struct nlmsghdr *alloc_req(void *buf, uint64_t vcpus, bool avx,
				  const char *service)
{
	struct nlmsghdr *nlh = keeld_msg(buf, &seq, KEELD_CMD_ALLOC,
					  NLM_F_ACK);
	struct nlattr *a, *s, *p;

	a = mnl_attr_nest_start(nlh, KEELD_A_ALLOC);
	if (service)
		mnl_attr_put_strz(nlh, KEELD_ALLOC_A_SERVICE, service);
	put_res(nlh, KEELD_ALLOC_A_RES, "vcpus", vcpus);
	put_res(nlh, KEELD_ALLOC_A_RES, "memory", 1ull << 30);
	s = mnl_attr_nest_start(nlh, KEELD_ALLOC_A_SOURCE);
	mnl_attr_put_u8(nlh, KEELD_SOURCE_A_KIND, KEELD_SOURCE_REQUEST);
	p = mnl_attr_nest_start(nlh, KEELD_SOURCE_A_PREF);
	mnl_attr_put_strz(nlh, KEELD_PREF_A_FEATURE, "cpu:avx512f");
	mnl_attr_put_u8(nlh, KEELD_PREF_A_KIND,
			avx ? KEELD_KIND_REQUIRED : KEELD_KIND_FORBIDDEN);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, s);
	mnl_attr_nest_end(nlh, a);
	return nlh;
}

static struct nlmsghdr *free_req(void *buf, uint64_t id)
{
	struct nlmsghdr *nlh = keeld_msg(buf, &seq, KEELD_CMD_FREE,
					  NLM_F_ACK);

	mnl_attr_put_u64(nlh, KEELD_A_ALLOC_ID, id);
	return nlh;
}

static bool send_msg(int fd, const struct nlmsghdr *nlh)
{
	return send(fd, nlh, nlh->nlmsg_len, MSG_NOSIGNAL) ==
	       (ssize_t)nlh->nlmsg_len;
}

/* What one request got: its NLMSG_ERROR and the allocation, if any. */
struct answer {
	uint32_t seq;
	int error;
	uint64_t alloc_id;
	uint32_t host_id;
};

static int alloc_attr_cb(const struct nlattr *a, void *data)
{
	struct answer *ans = data;

	if (mnl_attr_get_type(a) == KEELD_ALLOC_A_ID &&
	    mnl_attr_get_payload_len(a) == 8)
		ans->alloc_id = mnl_attr_get_u64(a);
	if (mnl_attr_get_type(a) == KEELD_ALLOC_A_HOST_ID &&
	    mnl_attr_get_payload_len(a) == 4)
		ans->host_id = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

/* Read the replies of one request. -1: none, or not well formed. */
static int answer(int fd, struct answer *ans)
{
	static char rbuf[KEELD_MSG_MAX];
	const struct nlmsghdr *nlh = (const void *)rbuf;
	const struct nlattr *a;
	ssize_t n;

	memset(ans, 0, sizeof(*ans));
	for (;;) {
		n = recv(fd, rbuf, sizeof(rbuf), 0);
		if (n <= 0 || !mnl_nlmsg_ok(nlh, (int)n))
			return -1;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			ans->seq = nlh->nlmsg_seq;
			ans->error = e->error;
			return 0;
		}
		mnl_attr_for_each(a, nlh, GENL_HDRLEN)
			if (mnl_attr_get_type(a) == KEELD_A_ALLOC)
				mnl_attr_parse_nested(a, alloc_attr_cb, ans);
	}
}

static bool check_db(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "'%s' --db '%s' --check >/dev/null", keeld, db);
	return system(cmd) == 0;
}

/* Hold keeld @pid with SIGSTOP and wait until it is stopped. */
static void pause_keeld(pid_t pid)
{
	char path[64], stat[256];
	const char *state;
	ssize_t n;
	int fd, i;

	kill(pid, SIGSTOP);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < 500; i++) {
		fd = open(path, O_RDONLY);
		n = fd >= 0 ? read(fd, stat, sizeof(stat) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			return;
		stat[n] = '\0';
		state = strrchr(stat, ')');
		if (state && state[1] == ' ' && state[2] == 'T')
			return;
		usleep(1000);
	}
}

/* Stop keeld @pid; true when it exited cleanly. */
static bool stop(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Whether keeld NAME's log has a line containing @what. */
static bool logged(const char *name, const char *what)
{
	char path[160], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.log", dir, name);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	fclose(f);
	return found;
}

/* One request of a batch: what is sent, what must come back. */
struct step {
	const char *what;
	int error;
	uint32_t host;			/* an allocation on this host, or 0 */
	uint32_t seq;
};

static void expect_all(int fd, struct step *st, unsigned int n)
{
	struct answer ans;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (answer(fd, &ans)) {
			ok(0, "%s: no answer", st[i].what);
			continue;
		}
		ok(ans.seq == st[i].seq && ans.error == st[i].error &&
		   (!st[i].host || ans.host_id == st[i].host),
		   "%s: %s (got %d for request %u, host %u)", st[i].what,
		   st[i].error ? strerror(-st[i].error) : "done", ans.error,
		   ans.seq, ans.host_id);
	}
}

int main(void)
{
	static char buf[KEELD_MSG_MAX];
	struct answer ans;
	struct step st[8];
	uint64_t first;
	pid_t a, b;
	int fd1, fd2, fdb;
	char cmd[512];

	keeld = getenv("KEELD");
	if (!keeld || access(keeld, X_OK)) {
		printf("1..0 # SKIP KEELD is not set to keeld\n");
		return 0;
	}
	if (!mkdtemp(dir))
		return 1;
	snprintf(db, sizeof(db), "sqlite:%s/keeld.db", dir);
	a = start("a");
	fd1 = connect_to("a");
	fd2 = connect_to("a");
	ok(fd1 >= 0 && fd2 >= 0, "keeld is up, two clients connected");
	if (fd1 < 0 || fd2 < 0)
		goto out;
	send_msg(fd1, host_add(buf, 1, 4, false));
	ok(!answer(fd1, &ans) && !ans.error, "host 1: 4 vCPUs");
	send_msg(fd1, host_add(buf, 2, 8, true));
	ok(!answer(fd1, &ans) && !ans.error, "host 2: 8 vCPUs with cpu:avx512f");

	send_msg(fd1, alloc_req(buf, 2, false, "zero"));
	ok(!answer(fd1, &ans) && !ans.error && ans.host_id == 1 && ans.alloc_id,
	   "2 vCPUs on host 1 before the batch");
	first = ans.alloc_id;

	/* Everything below reaches keeld at once: one round, one batch. */
	pause_keeld(a);
	st[0] = (struct step){ "2 more vCPUs on host 1", 0, 1, 0 };
	st[0].seq = alloc_req(buf, 2, false, "one")->nlmsg_seq;
	send_msg(fd1, (void *)buf);
	st[1] = (struct step){ "3 more vCPUs on host 1: no room", -ESRCH, 0, 0 };
	st[1].seq = alloc_req(buf, 3, false, "two")->nlmsg_seq;
	send_msg(fd1, (void *)buf);
	st[2] = (struct step){ "free of an unknown allocation", -ENOENT, 0, 0 };
	st[2].seq = free_req(buf, 999)->nlmsg_seq;
	send_msg(fd1, (void *)buf);
	st[3] = (struct step){ "free of the allocation before the batch", 0, 0, 0 };
	st[3].seq = free_req(buf, first)->nlmsg_seq;
	send_msg(fd1, (void *)buf);
	st[4] = (struct step){ "the same free again", -ENOENT, 0, 0 };
	st[4].seq = free_req(buf, first)->nlmsg_seq;
	send_msg(fd1, (void *)buf);
	st[5] = (struct step){ "an allocation without a service", -EINVAL, 0, 0 };
	st[5].seq = alloc_req(buf, 1, false, NULL)->nlmsg_seq;
	send_msg(fd1, (void *)buf);
	st[6] = (struct step){ "2 vCPUs freed earlier in the batch", 0, 1, 0 };
	st[6].seq = alloc_req(buf, 2, false, "three")->nlmsg_seq;
	send_msg(fd1, (void *)buf);
	st[7] = (struct step){ "1 more vCPU on host 1: no room", -ESRCH, 0, 0 };
	st[7].seq = alloc_req(buf, 1, false, "four")->nlmsg_seq;
	send_msg(fd1, (void *)buf);
	send_msg(fd2, alloc_req(buf, 3, true, "other"));
	kill(a, SIGCONT);
	expect_all(fd1, st, 8);
	ok(!answer(fd2, &ans) && !ans.error && ans.host_id == 2,
	   "the other client's allocation in the same batch: host 2");

	/* Another keeld allocates on host 2: keeld a's view of it is stale. */
	b = start("b");
	fdb = connect_to("b");
	ok(fdb >= 0 && send_msg(fdb, alloc_req(buf, 1, true, "elsewhere")) &&
	   !answer(fdb, &ans) && !ans.error && ans.host_id == 2,
	   "a second keeld allocates on host 2");
	if (fdb >= 0)
		close(fdb);
	ok(stop(b), "the second keeld stops cleanly");
	pause_keeld(a);
	st[0] = (struct step){ "a decision on the stale host 2, retried", 0, 2, 0 };
	st[0].seq = alloc_req(buf, 2, true, "stale")->nlmsg_seq;
	send_msg(fd1, (void *)buf);
	st[1] = (struct step){ "host 1 has no room left", -ESRCH, 0, 0 };
	st[1].seq = alloc_req(buf, 1, false, "full")->nlmsg_seq;
	send_msg(fd1, (void *)buf);
	st[2] = (struct step){ "the last 2 vCPUs of host 2", 0, 2, 0 };
	st[2].seq = alloc_req(buf, 2, true, "last")->nlmsg_seq;
	send_msg(fd1, (void *)buf);
	st[3] = (struct step){ "host 2 is full too", -ENOSPC, 0, 0 };
	st[3].seq = alloc_req(buf, 1, true, "none")->nlmsg_seq;
	send_msg(fd1, (void *)buf);
	kill(a, SIGCONT);
	expect_all(fd1, st, 4);
	close(fd1);
	close(fd2);
out:
	ok(stop(a), "keeld exits cleanly on SIGTERM");
	ok(logged("a", "1 stale decisions retried"),
	   "the stale decision was retried inside its batch");
	ok(logged("a", "at most 9 in one"),
	   "the nine requests of the first round were one transaction");
	ok(check_db(), "the database is consistent");
	a = start("a");
	fd1 = connect_to("a");
	ok(fd1 >= 0 && send_msg(fd1, alloc_req(buf, 1, true, "after")) &&
	   !answer(fd1, &ans) && ans.error == -ENOSPC,
	   "after a restart every vCPU is still taken: the batches were durable");
	if (fd1 >= 0)
		close(fd1);
	stop(a);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	return tap_done();
}
