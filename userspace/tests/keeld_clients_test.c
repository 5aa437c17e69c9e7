// SPDX-License-Identifier: GPL-2.0
/*
 * keeld against hostile local users: a client that pipelines requests
 * and never reads its replies must not stall anyone else and is
 * disconnected; one unprivileged uid cannot take every connection (root
 * still gets in); an idle connection is closed after --idle-timeout.
 * Runs as root (the unprivileged side is a child that drops to nobody);
 * the timeouts here only detect hangs. Needs $KEELD; TAP on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keeld_wire.h"
#include "tap.h"

#define NOBODY		65534
#define HOG_HOSTS	20	/* so that each dump is a few KiB */
#define HANG_S		60	/* only to end a test that hangs */
#define TRY_CLIENTS	1100	/* more than keeld's MAX_CLIENTS */

static char dir[] = "/tmp/keeld-clients-XXXXXX";
static char sock_path[128], db[160];
static const char *keeld;
static pid_t pid = -1;
static uint32_t seq = 1;

/* Start keeld with @opts (NULL-terminated, may be empty); true when up. */
static bool start(const char *const *opts)
{
	const char *argv[16] = { keeld, "--db", db, "--socket", sock_path };
	char log[192];
	int i, n = 5;

	for (i = 0; opts[i] && n < 15; i++)
		argv[n++] = opts[i];
	argv[n] = NULL;
	unlink(sock_path);
	snprintf(log, sizeof(log), "%s/keeld.log", dir);
	pid = fork();
	if (!pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(fd, 2);
		execv(keeld, (char **)argv);
		_exit(127);
	}
	for (i = 0; i < 500 && access(sock_path, F_OK); i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			pid = -1;
			return false;
		}
		usleep(10000);
	}
	return !access(sock_path, F_OK);
}

static void stop(void)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	pid = -1;
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
	mnl_attr_put_strz(nlh, KEELD_HOST_A_FEATURE, "nic:sriov");
	mnl_attr_nest_end(nlh, h);
	return nlh->nlmsg_len;
}

static size_t host_dump(void *buf)
{
	return keeld_msg(buf, &seq, KEELD_CMD_HOST_GET, NLM_F_DUMP)->nlmsg_len;
}

/*
 * Send @len bytes and read replies up to the final NLMSG_ERROR. Returns
 * its error (0 or negative), or 1 when the connection was closed or the
 * reply did not come within keeld_connect()'s receive timeout.
 */
static int exchange(int fd, const void *buf, size_t len)
{
	static char rbuf[KEELD_MSG_MAX];
	const struct nlmsghdr *nlh = (const void *)rbuf;
	ssize_t n;

	if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
		return 1;
	for (;;) {
		n = recv(fd, rbuf, sizeof(rbuf), 0);
		if (n <= 0)
			return 1;
		if (nlh->nlmsg_type == NLMSG_ERROR)
			return ((const struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error;
	}
}

/* A new connection that keeld answers: its fd, or -1. */
static int served_connection(void)
{
	char buf[256];
	int fd = keeld_connect(sock_path);

	if (fd < 0)
		return -1;
	if (exchange(fd, buf, host_dump(buf))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * served_connection() with keeld's --idle-timeout 1: a client that a
 * loaded machine holds back for a second between its connect and its
 * request is idle to keeld and closed, rightly. A few tries.
 */
static int served_connection_idle(void)
{
	int i, fd = -1;

	for (i = 0; i < 5 && fd < 0; i++) {
		if (i)
			usleep(100000);
		fd = served_connection();
	}
	return fd;
}

/* Whether keeld closes @fd within HANG_S (reading what is left). */
static bool closed_by_keeld(int fd)
{
	struct timeval tv = { .tv_sec = HANG_S };
	char buf[KEELD_MSG_MAX];
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	do {
		n = recv(fd, buf, sizeof(buf), 0);
	} while (n > 0);
	return n == 0 || errno == ECONNRESET;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The hog: pipeline host dumps and never read a reply. It writes one
 * byte to @ready after 200 requests and exits 0 once keeld disconnects
 * it (a send fails), 1 if that has not happened within HANG_S.
 */
static void hog(int ready)
{
	struct timeval tv = { .tv_sec = 1 };
	double end = now_s() + HANG_S;
	unsigned long sent = 0;
	char buf[256];
	size_t len;
	ssize_t n;
	int fd;

	fd = keeld_connect(sock_path);
	if (fd < 0)
		_exit(2);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	len = host_dump(buf);
	while (now_s() < end) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			_exit(0);
		if (n == (ssize_t)len && ++sent == 200 &&
		    write(ready, "r", 1) != 1)
			_exit(2);
	}
	_exit(1);
}

static void test_hog(void)
{
	char buf[1024];
	int p[2], fd, st;
	uint32_t id;
	pid_t child;
	char c;

	fd = keeld_connect(sock_path);
	for (id = 1; fd >= 0 && id <= HOG_HOSTS; id++)
		if (exchange(fd, buf, host_add(buf, id)))
			break;
	ok(fd >= 0 && id > HOG_HOSTS, "%d hosts added", HOG_HOSTS);
	if (fd >= 0)
		close(fd);

	if (pipe(p))
		return;
	child = fork();
	if (!child) {
		close(p[0]);
		hog(p[1]);
	}
	close(p[1]);
	ok(read(p[0], &c, 1) == 1, "a client pipelines requests and reads nothing");
	close(p[0]);
	fd = served_connection();
	ok(fd >= 0, "another client is served meanwhile (within 10 s)");
	if (fd >= 0)
		close(fd);
	waitpid(child, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "keeld disconnects the client that never reads (status %d)",
	   WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	fd = served_connection();
	ok(fd >= 0, "keeld serves new clients after the hog");
	if (fd >= 0)
		close(fd);
}

/*
 * In a child running as nobody: open up to @max connections that keeld
 * serves, stopping at the first one it refuses. With @close_one, then
 * close one and check that a new one is served. Reports the number of
 * served connections (and 1 more if the reopen worked) through @out.
 */
static void nobody_connects(int out, unsigned int max, bool close_one,
			    int ready, int go)
{
	static int fds[TRY_CLIENTS];
	unsigned int n = 0, r[2];
	char c;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		_exit(2);
	while (n < max && (fds[n] = served_connection()) >= 0)
		n++;
	r[0] = n;
	r[1] = 0;
	if (close_one && n) {
		int tries = 0;

		/* keeld may see the new connection before the hang-up. */
		close(fds[--n]);
		while ((fds[n] = served_connection()) < 0 && ++tries < 100)
			usleep(100000);
		r[1] = fds[n] >= 0;
	}
	if (write(out, r, sizeof(r)) != sizeof(r) ||
	    write(ready, "r", 1) != 1 || read(go, &c, 1) < 0)
		_exit(2);
	_exit(0);	/* the connections close here */
}

/*
 * nobody opens as many connections as it can (at most @max); root must
 * still get in. Sets *@got to how many nobody was given.
 */
static void test_per_uid(unsigned int max, bool close_one, unsigned int *got,
			 bool *reopened, bool *root_in)
{
	unsigned int r[2] = { 0, 0 };
	int res[2], rdy[2], go[2], fd;
	pid_t child;
	char c;

	*got = 0;
	*reopened = *root_in = false;
	if (pipe(res) || pipe(rdy) || pipe(go))
		return;
	child = fork();
	if (!child) {
		close(res[0]);
		close(rdy[0]);
		close(go[1]);
		nobody_connects(res[1], max, close_one, rdy[1], go[0]);
	}
	close(res[1]);
	close(rdy[1]);
	close(go[0]);
	if (read(rdy[0], &c, 1) == 1 && read(res[0], r, sizeof(r)) == sizeof(r)) {
		*got = r[0];
		*reopened = r[1];
	}
	/* Root connects while nobody still holds every connection it got. */
	fd = served_connection();
	*root_in = fd >= 0;
	if (fd >= 0)
		close(fd);
	close(go[1]);
	waitpid(child, NULL, 0);
	close(res[0]);
	close(rdy[0]);
}

int main(void)
{
	static const char *const none[] = { NULL };
	static const char *const limits[] = { "--max-per-user", "3", NULL };
	static const char *const idle[] = { "--idle-timeout", "1", NULL };
	struct rlimit rl = { TRY_CLIENTS + 64, TRY_CLIENTS + 64 };
	unsigned int got;
	bool reopened, root_in;
	char buf[256];
	int fd, i, fds[5];

	keeld = getenv("KEELD");
	if (!keeld || access(keeld, X_OK)) {
		printf("1..0 # SKIP KEELD is not set to keeld\n");
		return 0;
	}
	if (geteuid()) {
		printf("1..0 # SKIP needs root (to act as another uid)\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir) || chmod(dir, 0755))
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/keeld.sock", dir);
	snprintf(db, sizeof(db), "sqlite:%s/keeld.db", dir);
	/* Enough descriptors for nobody to try more than keeld's maximum. */
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < TRY_CLIENTS + 64) {
		rl.rlim_cur = TRY_CLIENTS + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	/* The defaults. */
	ok(start(none), "keeld starts with the default limits");
	test_hog();
	test_per_uid(TRY_CLIENTS, false, &got, &reopened, &root_in);
	ok(got > 0 && got < TRY_CLIENTS && got <= 64,
	   "an unprivileged uid is refused beyond 64 connections (it got %u)", got);
	ok(root_in, "root connects while that uid holds all it could get");
	stop();

	/* --max-per-user 3 */
	ok(start(limits), "keeld starts with --max-per-user 3");
	test_per_uid(TRY_CLIENTS, true, &got, &reopened, &root_in);
	ok(got == 3, "nobody gets exactly 3 connections (got %u)", got);
	ok(reopened, "closing one lets nobody connect again");
	ok(root_in, "root connects meanwhile");
	for (i = 0; i < 5; i++)
		fds[i] = served_connection();
	for (i = 0; i < 5 && fds[i] >= 0; i++)
		;
	ok(i == 5, "root is not held to the per-user limit");
	while (i-- > 0)
		if (fds[i] >= 0)
			close(fds[i]);
	stop();

	/* --idle-timeout 1 */
	ok(start(idle), "keeld starts with --idle-timeout 1");
	fd = served_connection_idle();
	ok(fd >= 0 && closed_by_keeld(fd), "an idle connection is closed");
	if (fd >= 0)
		close(fd);
	fd = served_connection_idle();
	ok(fd >= 0, "a new connection is served after that");
	if (fd >= 0)
		close(fd);
	stop();

	snprintf(buf, sizeof(buf), "rm -rf '%s'", dir);
	if (system(buf))
		return 1;
	return tap_done();
}
