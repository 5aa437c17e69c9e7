// SPDX-License-Identifier: GPL-2.0
/*
 * A ring user whose buffer never faults in must stall nobody but itself.
 * The buffer of a write() or read() sits on a userfaultfd page whose
 * fault is never answered (as a FUSE file nobody serves would be): while
 * that call waits, a STOP of the ring, a listing of every object and the
 * creation of another ring all complete. Once the fault is answered and
 * the ring resumed, the call completes with the right bytes.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <linux/userfaultfd.h>
#include <sys/syscall.h>

#include "ring_test.h"
#include "state_blob.h"

#define SLOT		256
#define LEN		100
#define WAIT_MS		10000
#define TIMEOUT_S	120

/* One anonymous page registered for missing faults nobody answers yet. */
struct trap {
	int uffd;
	long page;
	uint8_t *addr;
};

static int trap_init(struct trap *t)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	t->page = sysconf(_SC_PAGESIZE);
	t->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (t->uffd < 0)
		return -errno;
	t->addr = mmap(NULL, t->page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->addr == MAP_FAILED)
		return -errno;
	reg.range.start = (unsigned long)t->addr;
	reg.range.len = t->page;
	if (ioctl(t->uffd, UFFDIO_API, &api) ||
	    ioctl(t->uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	return 0;
}

/* Wait until a thread is blocked on the page: true if one is. */
static bool trap_sprung(struct trap *t, int ms)
{
	struct pollfd p = { .fd = t->uffd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* Answer the fault: the page appears, filled with @byte. */
static int trap_release(struct trap *t, uint8_t byte)
{
	struct uffd_msg msg;
	struct uffdio_copy copy = { 0 };
	uint8_t *src = malloc(t->page);
	int ret = 0;

	if (!src)
		return -ENOMEM;
	if (read(t->uffd, &msg, sizeof(msg)) != sizeof(msg) &&
	    errno != EAGAIN)
		ret = -errno;
	memset(src, byte, t->page);
	copy.dst = (unsigned long)t->addr;
	copy.src = (unsigned long)src;
	copy.len = t->page;
	if (!ret && ioctl(t->uffd, UFFDIO_COPY, &copy) && errno != EEXIST)
		ret = -errno;
	free(src);
	return ret;
}

static void trap_fini(struct trap *t)
{
	munmap(t->addr, t->page);
	close(t->uffd);
}

/* A call run in a thread, so the test can give up waiting on it. */
struct call {
	pthread_t thread;
	atomic_bool done;
	long ret;
	int fd;
	void *buf;
	size_t len;
	int (*fn)(struct call *c);
};

static void *call_thread(void *arg)
{
	struct call *c = arg;

	c->ret = c->fn(c);
	atomic_store(&c->done, true);
	return NULL;
}

static void call_start(struct call *c)
{
	atomic_store(&c->done, false);
	pthread_create(&c->thread, NULL, call_thread, c);
}

static bool call_wait(struct call *c, int ms)
{
	for (; ms > 0 && !atomic_load(&c->done); ms -= 10)
		usleep(10000);
	return atomic_load(&c->done);
}

static int do_write(struct call *c)
{
	return write(c->fd, c->buf, c->len) < 0 ? -errno : (int)c->len;
}

static int do_read(struct call *c)
{
	ssize_t n = read(c->fd, c->buf, c->len);

	return n < 0 ? -errno : (int)n;
}

static int do_stop(struct call *c)
{
	return state_simple(c->fd, KEEL_STATE_IOC_STOP);
}

static int do_list(struct call *c)
{
	struct keel_sock *s = keel_open(NULL);
	struct keel_objs list;
	int ret;

	(void)c;
	if (!s)
		return -errno;
	ret = keel_obj_dump(s, NULL, &list);
	if (!ret)
		keel_objs_free(&list);
	keel_close(s);
	return ret;
}

static int do_create(struct call *c)
{
	struct keel_ring_setup s;
	struct ring r;
	int ret;

	(void)c;
	ring_setup_init(&s, 8, SLOT, KEEL_RING_SETUP_AUTOCOMMIT, 0);
	ret = ring_create(&r, &s);
	if (!ret)
		ring_destroy(&r);
	return ret;
}

/*
 * With @blocked stuck on the trap: STOP @r, list every object and create
 * another ring, each within WAIT_MS; then answer the fault, RESUME and
 * collect @blocked. Whatever hangs is released before the test fails.
 */
static void others_go_on(struct __test_metadata *_metadata, struct ring *r,
			 struct trap *t, struct call *blocked)
{
	struct call stop = { .fd = r->fd, .fn = do_stop };
	struct call list = { .fn = do_list };
	struct call create = { .fn = do_create };
	bool stopped, listed, created;

	ASSERT_TRUE(trap_sprung(t, WAIT_MS)) TH_LOG("the call never touched its buffer");
	call_start(&stop);
	stopped = call_wait(&stop, WAIT_MS);
	call_start(&list);
	listed = call_wait(&list, WAIT_MS);
	call_start(&create);
	created = call_wait(&create, WAIT_MS);

	ASSERT_EQ(0, trap_release(t, 0x5a));
	ASSERT_TRUE(call_wait(&stop, WAIT_MS));
	ASSERT_TRUE(call_wait(&list, WAIT_MS));
	ASSERT_TRUE(call_wait(&create, WAIT_MS));
	pthread_join(stop.thread, NULL);
	pthread_join(list.thread, NULL);
	pthread_join(create.thread, NULL);

	EXPECT_TRUE(stopped) TH_LOG("STOP waited on another call's user memory");
	EXPECT_TRUE(listed) TH_LOG("listing objects waited on a ring's user memory");
	EXPECT_TRUE(created) TH_LOG("creating a ring waited on another ring's user memory");
	EXPECT_EQ(0, stop.ret);
	EXPECT_EQ(0, list.ret);
	EXPECT_EQ(0, create.ret);

	ASSERT_EQ(0, state_simple(r->fd, KEEL_STATE_IOC_RESUME));
	ASSERT_TRUE(call_wait(blocked, WAIT_MS)) TH_LOG("the call did not finish after RESUME");
	pthread_join(blocked->thread, NULL);
}

FIXTURE(stuck) {
	int unused;
};

FIXTURE_SETUP(stuck)
{
}

FIXTURE_TEARDOWN(stuck)
{
}

TEST_F_TIMEOUT(stuck, write_from_a_stuck_page, TIMEOUT_S)
{
	struct keel_ring_setup s;
	struct call w = { .fn = do_write, .len = LEN };
	uint8_t buf[SLOT];
	struct trap t;
	struct ring r;
	int ret, i;

	ret = trap_init(&t);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "no userfaultfd: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	ring_setup_init(&s, 8, SLOT, KEEL_RING_SETUP_AUTOCOMMIT, 0);
	ASSERT_EQ(0, ring_create(&r, &s));

	w.fd = r.fd;
	w.buf = t.addr;
	call_start(&w);
	others_go_on(_metadata, &r, &t, &w);
	EXPECT_EQ(LEN, w.ret);

	/* The entry holds what the page held once the fault was answered. */
	ASSERT_EQ(LEN, read(r.fd, buf, sizeof(buf)));
	for (i = 0; i < LEN; i++)
		ASSERT_EQ(0x5a, buf[i]);
	ring_destroy(&r);
	trap_fini(&t);
}

TEST_F_TIMEOUT(stuck, read_into_a_stuck_page, TIMEOUT_S)
{
	struct keel_ring_setup s;
	struct call rd = { .fn = do_read, .len = SLOT };
	uint8_t entry[LEN];
	struct trap t;
	struct ring r;
	int ret, i;

	ret = trap_init(&t);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "no userfaultfd: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	ring_setup_init(&s, 8, SLOT, KEEL_RING_SETUP_AUTOCOMMIT, 0);
	ASSERT_EQ(0, ring_create(&r, &s));
	for (i = 0; i < LEN; i++)
		entry[i] = i;
	ASSERT_EQ(LEN, write(r.fd, entry, LEN));

	rd.fd = r.fd;
	rd.buf = t.addr;
	call_start(&rd);
	others_go_on(_metadata, &r, &t, &rd);
	EXPECT_EQ(LEN, rd.ret);
	for (i = 0; i < LEN; i++)
		ASSERT_EQ(i, t.addr[i]);
	ring_destroy(&r);
	trap_fini(&t);
}

TEST_HARNESS_MAIN
