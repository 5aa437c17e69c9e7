// SPDX-License-Identifier: GPL-2.0
/*
 * HOST_GET answers from the host's own view, whatever the caller's mount
 * namespace holds. An unprivileged user can create a user and a mount
 * namespace and bind anything over the sysfs files the inventory comes
 * from: a FIFO, whose open never returns, must not block the command
 * (it runs while generic netlink holds cb_lock, so a blocked HOST_GET
 * stalls every generic netlink family's registration and, behind it,
 * every generic netlink request on the host), and a regular file must
 * not forge what the command reports.
 *
 * Runs as root; the namespace part runs as the VM's unprivileged test
 * user (keel_test_user.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "libkeel.h"
#include "keel_test_file.h"
#include "keel_test_user.h"
#include "kselftest_harness.h"

#define HPAGE_2M	"/sys/kernel/mm/hugepages/hugepages-2048kB"
#define HPAGE_2M_NR	HPAGE_2M "/nr_hugepages"
#define HPAGE_2M_FREE	HPAGE_2M "/free_hugepages"
#define NESTED_FMT	"/sys/module/%s/parameters/nested"
#define HOST_GET_WAIT_MS 20000

/* What the child saw; written to the result pipe in one piece. */
struct host_view {
	int rc;			/* keel_host_get(), or -errno of the setup */
	int have_2m;
	unsigned long long total_2m, free_2m;
	int nested;
	char vendor[16];
};

/* A number from a file, or ~0 when there is none. */
static unsigned long long read_num(const char *path)
{
	unsigned long long v;

	return read_ull(path, &v) ? ~0ull : v;
}

/* The loaded KVM vendor module's "nested" parameter file, or "". */
static void nested_path(char *path, size_t len, const char **vendor)
{
	static const char *const vendors[] = { "kvm_amd", "kvm_intel" };
	size_t i;

	path[0] = '\0';
	*vendor = NULL;
	for (i = 0; i < 2; i++) {
		snprintf(path, len, NESTED_FMT, vendors[i]);
		if (!access(path, F_OK)) {
			*vendor = vendors[i];
			return;
		}
	}
	path[0] = '\0';
}

static bool param_true(const char *path)
{
	char buf[8];

	return read_text(path, buf, sizeof(buf)) > 0 &&
	       (buf[0] == 'Y' || buf[0] == 'y' || buf[0] == '1');
}

/*
 * The child: become the unprivileged test user, enter a new user and
 * mount namespace, bind @src over each of @targets (a missing target is
 * skipped), tell the parent, then ask HOST_GET and report what it said.
 */
static void __attribute__((noreturn))
child(int ready_fd, int res_fd, const char *src, const char *const *targets)
{
	struct host_view v = { 0 };
	struct keel_sock *s;
	struct keel_host h;
	size_t i;
	int err = 0;

	if (keel_test_become_user())
		err = -EPERM;
	else if (unshare(CLONE_NEWUSER | CLONE_NEWNS) ||
		 mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		err = -errno;
	for (i = 0; !err && targets[i]; i++) {
		if (access(targets[i], F_OK))
			continue;
		if (mount(src, targets[i], NULL, MS_BIND, NULL))
			err = -errno;
	}
	if (write(ready_fd, &err, sizeof(err)) != sizeof(err) || err)
		_exit(1);
	close(ready_fd);

	s = keel_open(NULL);
	if (!s) {
		v.rc = -errno;
	} else {
		v.rc = keel_host_get(s, &h);
		if (!v.rc) {
			for (i = 0; i < h.nhpages; i++) {
				if (h.hpages[i].size != 2ull << 20)
					continue;
				v.have_2m = 1;
				v.total_2m = h.hpages[i].total;
				v.free_2m = h.hpages[i].free;
			}
			v.nested = h.kvm.nested;
			snprintf(v.vendor, sizeof(v.vendor), "%s",
				 h.kvm.vendor ? h.kvm.vendor : "");
			keel_host_free(&h);
		}
		keel_close(s);
	}
	if (write(res_fd, &v, sizeof(v)) != sizeof(v))
		_exit(1);
	_exit(0);
}

struct run {
	pid_t pid;
	int ready, res;
};

static void start(struct __test_metadata *_metadata, struct run *r,
		  const char *src, const char *const *targets)
{
	int ready[2], res[2], err = 0;

	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(res, O_CLOEXEC));
	r->pid = fork();
	ASSERT_LE(0, r->pid);
	if (!r->pid) {
		close(ready[0]);
		close(res[0]);
		child(ready[1], res[1], src, targets);
	}
	close(ready[1]);
	close(res[1]);
	r->ready = ready[0];
	r->res = res[0];
	ASSERT_EQ(sizeof(err), read(r->ready, &err, sizeof(err)))
		TH_LOG("the child died before its namespace was set up");
	ASSERT_EQ(0, err) TH_LOG("namespace setup as the test user: %s",
				 strerror(-err));
}

/* Wait up to @ms for the child's answer; false on timeout. */
static bool answered(struct run *r, int ms)
{
	struct pollfd p = { .fd = r->res, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

static void finish(struct __test_metadata *_metadata, struct run *r,
		   struct host_view *v)
{
	int status;

	ASSERT_EQ(sizeof(*v), read(r->res, v, sizeof(*v)));
	ASSERT_EQ(r->pid, waitpid(r->pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	close(r->ready);
	close(r->res);
}

FIXTURE(ns) {
	char saved_nr[32];
	char dir[64];
	char nested[96];
	const char *vendor;
};

FIXTURE_SETUP(ns)
{
	uid_t uid;
	gid_t gid;

	ASSERT_EQ(0, keel_test_user_ids(&uid, &gid))
		TH_LOG("the VM has no user " KEEL_TEST_USER);
	/* A pool of three pages: a value no forged file below has. */
	ASSERT_LT(0, read_text(HPAGE_2M_NR, self->saved_nr,
			       sizeof(self->saved_nr))) TH_LOG("no 2 MiB pool");
	ASSERT_EQ(0, write_text(HPAGE_2M_NR, "3\n"));
	ASSERT_EQ(3, read_num(HPAGE_2M_NR)) TH_LOG("no room for 3 huge pages");
	nested_path(self->nested, sizeof(self->nested), &self->vendor);
	ASSERT_NE(NULL, self->vendor) TH_LOG("no KVM vendor module");
	snprintf(self->dir, sizeof(self->dir), "/tmp/keel-ns.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, chown(self->dir, uid, gid));
}

FIXTURE_TEARDOWN(ns)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/file", self->dir);
	unlink(path);
	rmdir(self->dir);
	EXPECT_EQ(0, write_text(HPAGE_2M_NR, self->saved_nr));
}

/* A FIFO over nr_hugepages: HOST_GET neither blocks nor reads it. */
TEST_F(ns, fifo_does_not_block_host_get)
{
	const char *const targets[] = { HPAGE_2M_NR, NULL };
	struct host_view v;
	char fifo[128];
	struct run r;
	bool ok;

	snprintf(fifo, sizeof(fifo), "%s/file", self->dir);
	ASSERT_EQ(0, mkfifo(fifo, 0666));
	start(_metadata, &r, fifo, targets);

	ok = answered(&r, HOST_GET_WAIT_MS);
	if (!ok) {
		/* Let the blocked open go on: give it a writer and a value. */
		int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

		if (fd >= 0) {
			if (write(fd, "1\n", 2) != 2)
				TH_LOG("could not feed the FIFO");
			close(fd);
		}
		ASSERT_TRUE(answered(&r, HOST_GET_WAIT_MS))
			TH_LOG("HOST_GET still blocked after the FIFO was fed");
	}
	finish(_metadata, &r, &v);
	EXPECT_TRUE(ok) TH_LOG("HOST_GET blocked %d ms on a FIFO in the caller's mount namespace",
			       HOST_GET_WAIT_MS);
	ASSERT_EQ(0, v.rc);
	EXPECT_TRUE(v.have_2m);
	EXPECT_EQ(read_num(HPAGE_2M_NR), v.total_2m);
}

/* Files with forged values: HOST_GET reports the host's own. */
TEST_F(ns, forged_files_do_not_change_host_get)
{
	const char *const targets[] = {
		HPAGE_2M_NR, HPAGE_2M_FREE, self->nested, NULL
	};
	bool nested = param_true(self->nested);
	struct host_view v;
	char file[128];
	struct run r;
	int fd;

	/*
	 * One file for all three: a number no pool has, and for "nested"
	 * the opposite of the truth ("0" reads as false, "123457" as true).
	 */
	snprintf(file, sizeof(file), "%s/file", self->dir);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(7, write(fd, nested ? "0\n\n\n\n\n\n" : "123457\n", 7));
	close(fd);

	start(_metadata, &r, file, targets);
	ASSERT_TRUE(answered(&r, HOST_GET_WAIT_MS));
	finish(_metadata, &r, &v);
	ASSERT_EQ(0, v.rc);
	ASSERT_TRUE(v.have_2m);
	EXPECT_EQ(read_num(HPAGE_2M_NR), v.total_2m);
	EXPECT_EQ(read_num(HPAGE_2M_FREE), v.free_2m);
	EXPECT_EQ(nested, v.nested) TH_LOG("nested reported from a forged file");
	EXPECT_STREQ(self->vendor, v.vendor);
}

TEST_HARNESS_MAIN
