// SPDX-License-Identifier: GPL-2.0
/*
 * A ring is its user's: its memory is charged to the memory cgroup of the
 * process that sets it up, a user has at most max_rings_per_user rings
 * (a module parameter), and its kernel threads run in the cgroups of the
 * process that started them. A memory-limited tenant gets ENOMEM, not a
 * ring beyond its limit; nobody gets unbounded rings; the threads' work
 * is accounted where the tenant's is.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "keel_test_cgroup.h"
#include "keel_test_file.h"
#include "keel_test_user.h"
#include "ring_test.h"

#define LIMIT_PARAM	"/sys/module/keel_ring/parameters/max_rings_per_user"
/* The documented default, for a module that has no parameter. */
#define LIMIT_DEFAULT	64
#define MIB		(1024 * 1024)

/* The first line of @path into @buf: its length or -errno. */
static int read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return n;
}

/* Set up (not map) a ring of @slots slots of @slot_size on @fd. */
static int ring_setup_on(int fd, uint32_t slots, uint32_t slot_size)
{
	struct keel_ring_setup s;

	ring_setup_init(&s, slots, slot_size, 0, 0);
	return ring_ioctl(fd, KEEL_RING_IOC_SETUP, &s);
}

/* The same on a new fd: the fd, or -errno. */
static int ring_setup_fd(uint32_t slots, uint32_t slot_size)
{
	int fd, ret;

	fd = open(KEEL_RING_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = ring_setup_on(fd, slots, slot_size);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

FIXTURE(memcg) {
	char dir[64];
};

FIXTURE_SETUP(memcg)
{
	char path[256];
	int ret, fd;

	fd = open(KEEL_RING_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		SKIP(return, "keel_ring.ko is not loaded");
	close(fd);
	ret = cg_prepare("memory");
	if (ret == -EOPNOTSUPP)
		SKIP(return, "no cgroup v2 memory controller");
	ASSERT_EQ(0, ret);
	snprintf(self->dir, sizeof(self->dir), "keel-ring-memcg-%d", getpid());
	snprintf(path, sizeof(path), KEEL_CG_ROOT "/%s", self->dir);
	ASSERT_EQ(0, mkdir(path, 0755));
	snprintf(path, sizeof(path), KEEL_CG_ROOT "/%s/memory.max", self->dir);
	ASSERT_EQ(0, write_text(path, "33554432"));	/* 32 MiB */
	ASSERT_EQ(0, cg_enter(self->dir));
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->dir[0])
		cg_remove(self->dir);
}

/*
 * 64 MiB of slots do not fit in a group limited to 32 MiB: ENOMEM, and
 * nothing stays charged.
 */
TEST_F(memcg, ring_beyond_limit_fails)
{
	long long before, after;
	int fd;

	before = cg_current(self->dir);
	ASSERT_LE(0, before);
	/* 2^20 slots of 64 bytes: the largest area, 64 MiB. */
	fd = ring_setup_fd(1u << 20, 64);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-ENOMEM, fd < 0 ? fd : 0)
		TH_LOG("a 64 MiB ring in a group limited to 32 MiB: %s",
		       fd < 0 ? strerror(-fd) : "set up");
	after = cg_current(self->dir);
	EXPECT_GT(before + MIB, after)
		TH_LOG("%lld bytes still charged after the failed setup",
		       after - before);
}

/* A ring that fits is set up, and its memory is the group's. */
TEST_F(memcg, ring_is_charged)
{
	long long before, after;
	struct ring r;
	struct keel_ring_setup s;

	before = cg_current(self->dir);
	ASSERT_LE(0, before);
	/* 4096 slots of 1 KiB: 4 MiB. */
	ring_setup_init(&s, 4096, 1024, 0, 0);
	ASSERT_EQ(0, ring_create(&r, &s));
	after = cg_current(self->dir);
	EXPECT_LE(before + (long long)r.s.slots_size / 2, after)
		TH_LOG("memory.current grew by %lld bytes for a %llu-byte ring",
		       after - before, (unsigned long long)r.s.slots_size);
	/* The mapping is the ring: what the kernel wrote is there. */
	EXPECT_EQ(4096u, r.ctrl->slots);
	EXPECT_EQ(1024u, r.ctrl->slot_size);
	/* Every slot is writable through the mapping. */
	memset(r.slots, 0xa5, r.s.slots_size);
	ring_destroy(&r);
}

/* The limit in force, and whether it could be lowered for the test. */
FIXTURE(limit) {
	char saved[32];
	int max;
};

FIXTURE_SETUP(limit)
{
	int fd;

	fd = open(KEEL_RING_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		SKIP(return, "keel_ring.ko is not loaded");
	close(fd);
	self->max = LIMIT_DEFAULT;
	if (read_str(LIMIT_PARAM, self->saved, sizeof(self->saved)) > 0 &&
	    !write_text(LIMIT_PARAM, "8"))
		self->max = 8;
	else
		self->saved[0] = 0;
	TH_LOG("max_rings_per_user: %d", self->max);
}

FIXTURE_TEARDOWN(limit)
{
	if (self->saved[0])
		write_text(LIMIT_PARAM, self->saved);
}

/*
 * As the test user: @max rings, then one more fails with EMFILE and
 * leaves its file as it was (a later setup of the same file works once a
 * ring is gone). The child's exit status: 0, or a line number.
 */
static int user_rings(int max)
{
	int fds[LIMIT_DEFAULT + 1], i, fd, ret, extra;

	if (keel_test_become_user())
		return __LINE__;
	for (i = 0; i < max; i++) {
		fds[i] = ring_setup_fd(16, 64);
		if (fds[i] < 0) {
			printf("# ring %d of %d: %s\n", i + 1, max,
			       strerror(-fds[i]));
			return __LINE__;
		}
	}
	extra = open(KEEL_RING_DEVICE, O_RDWR | O_CLOEXEC);
	if (extra < 0)
		return __LINE__;
	ret = ring_setup_on(extra, 16, 64);
	if (ret != -EMFILE) {
		printf("# ring %d of %d: %s, not EMFILE\n", max + 1, max,
		       ret ? strerror(-ret) : "set up");
		return __LINE__;
	}
	/* Nothing changed: the file is not set up. */
	if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, extra,
		 KEEL_RING_OFF_CTRL) != MAP_FAILED || errno != EBADFD)
		return __LINE__;
	/* A freed ring gives its place back. */
	close(fds[0]);
	ret = ring_setup_on(extra, 16, 64);
	if (ret) {
		printf("# setup after a ring was freed: %s\n", strerror(-ret));
		return __LINE__;
	}
	fd = ring_setup_fd(16, 64);
	if (fd != -EMFILE) {
		printf("# one more again: %s\n",
		       fd < 0 ? strerror(-fd) : "set up");
		return __LINE__;
	}
	return 0;
}

TEST_F(limit, user_gets_emfile_beyond_max)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fflush(stdout);
		_exit(user_rings(self->max));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("failed at line %d", WEXITSTATUS(status));
}

/* Another user's rings do not count against the test user. */
TEST_F(limit, users_are_counted_apart)
{
	int fds[LIMIT_DEFAULT], i, status;
	pid_t pid;

	/* Root (exempt, but counted apart anyway) holds max rings. */
	for (i = 0; i < self->max; i++) {
		fds[i] = ring_setup_fd(16, 64);
		ASSERT_LE(0, fds[i]);
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (keel_test_become_user())
			_exit(1);
		_exit(ring_setup_fd(16, 64) < 0 ? 2 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (i = 0; i < self->max; i++)
		close(fds[i]);
}

/* CAP_SYS_ADMIN is not limited: the admin's tools may hold many rings. */
TEST_F(limit, admin_is_exempt)
{
	int fds[LIMIT_DEFAULT + 1], i;

	for (i = 0; i <= self->max; i++) {
		fds[i] = ring_setup_fd(16, 64);
		EXPECT_LE(0, fds[i]) TH_LOG("root's ring %d: %s", i + 1,
					    strerror(-fds[i]));
	}
	for (i = 0; i <= self->max; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

FIXTURE(threads) {
	char dir[64];
	char want[128];		/* our /proc/self/cgroup line */
	struct ring r;
};

FIXTURE_SETUP(threads)
{
	struct keel_ring_setup s;
	char path[256];
	int ret;

	self->r.fd = -1;
	ret = cg_prepare(NULL);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "no cgroup v2");
	ASSERT_EQ(0, ret);
	snprintf(self->dir, sizeof(self->dir), "keel-ring-threads-%d",
		 getpid());
	snprintf(path, sizeof(path), KEEL_CG_ROOT "/%s", self->dir);
	ASSERT_EQ(0, mkdir(path, 0755));
	ASSERT_EQ(0, cg_enter(self->dir));
	ASSERT_LT(0, read_str("/proc/self/cgroup", self->want,
			      sizeof(self->want)));
	ASSERT_NE(NULL, strstr(self->want, self->dir));
	ring_setup_init(&s, 16, 128, KEEL_RING_SETUP_AUTOCOMMIT, 0);
	ret = ring_create(&self->r, &s);
	if (ret == -ENOENT)
		SKIP(return, "keel_ring.ko is not loaded");
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(threads)
{
	ring_destroy(&self->r);
	if (self->dir[0])
		cg_remove(self->dir);
}

/*
 * Does a task's /proc comm @got name @comm? A kthread's is its whole
 * name on kernels that keep it, or cut to TASK_COMM_LEN - 1 characters.
 */
static bool comm_is(const char *got, const char *comm)
{
	size_t n = strlen(got);

	return !strcmp(got, comm) ||
	       (n == 15 && strlen(comm) > n && !strncmp(got, comm, n));
}

/* The pid of the task named @comm, or -1. */
static pid_t find_comm(const char *comm)
{
	char path[300], buf[64];
	struct dirent *d;
	pid_t pid = -1;
	DIR *proc;

	proc = opendir("/proc");
	if (!proc)
		return -1;
	while ((d = readdir(proc))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		if (read_str(path, buf, sizeof(buf)) > 0 &&
		    comm_is(buf, comm)) {
			pid = atoi(d->d_name);
			break;
		}
	}
	closedir(proc);
	return pid;
}

/* Is the thread named @comm in our cgroup? Logs where it is. */
static bool thread_in_our_cgroup(struct __test_metadata *_metadata,
				 const char *comm, const char *want)
{
	char path[64], got[128];
	pid_t pid = find_comm(comm);

	if (pid < 0) {
		TH_LOG("no task named %s", comm);
		return false;
	}
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (read_str(path, got, sizeof(got)) <= 0)
		return false;
	if (strcmp(got, want))
		TH_LOG("%s (pid %d) is in \"%s\", its starter in \"%s\"", comm,
		       pid, got, want);
	return !strcmp(got, want);
}

TEST_F(threads, fetch_thread_in_starters_cgroup)
{
	struct keel_ring_fetch f = { .size = sizeof(f) };
	char comm[32];
	int sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				sv));
	f.sink_fd = sv[0];
	ASSERT_EQ(0, ring_ioctl(self->r.fd, KEEL_RING_IOC_FETCH_START, &f));
	snprintf(comm, sizeof(comm), "keel-ring-%u", self->r.s.id);
	EXPECT_TRUE(thread_in_our_cgroup(_metadata, comm, self->want));
	EXPECT_EQ(0, ring_ioctl(self->r.fd, KEEL_RING_IOC_FETCH_STOP, NULL));
	close(sv[0]);
	close(sv[1]);
}

TEST_F(threads, repl_threads_in_starters_cgroup)
{
	struct keel_ring_repl a = {
		.size = sizeof(a), .role = KEEL_RING_REPL_PRIMARY,
	};
	char comm[32];
	int sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	a.sock_fd = sv[0];
	ASSERT_EQ(0, ring_ioctl(self->r.fd, KEEL_RING_IOC_REPL_START, &a));
	snprintf(comm, sizeof(comm), "keel-ring-%u-tx", self->r.s.id);
	EXPECT_TRUE(thread_in_our_cgroup(_metadata, comm, self->want));
	snprintf(comm, sizeof(comm), "keel-ring-%u-rx", self->r.s.id);
	EXPECT_TRUE(thread_in_our_cgroup(_metadata, comm, self->want));
	EXPECT_EQ(0, ring_ioctl(self->r.fd, KEEL_RING_IOC_REPL_STOP, NULL));
	close(sv[0]);
	close(sv[1]);
}

TEST_HARNESS_MAIN
