// SPDX-License-Identifier: GPL-2.0
/*
 * keel_guest.ko, the guest side of Keel's windows, on the test VM's own
 * kernel (the qemu suite's mirror_window_qemu_test runs it in a nested
 * Linux guest with real windows): its parameters refused at load, every
 * refusal of KEEL_GUEST_IOC_PIN and of the views' mmap(2), the caller's
 * page tables (KEEL_GUEST_IOC_ROOT), and a pin with
 * its views released with the file and the last view, the module held
 * until then. The windows here lie above the VM's RAM where nothing is:
 * the test maps them but does not touch them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/keel_guest.h>
#include "kselftest_harness.h"

/* Where the test VM has it (its modules.order's path under /keel/kmod). */
#define KO		"/keel/kmod/kmod/guest/keel_guest.ko"
#define PAGE		4096ul
#define PAGES		4
/* Above the test VM's RAM and its PCI holes, below 40 physical bits. */
#define ALIAS_OFF	"0x1000000000"
#define MIRROR_OFF	"0x2000000000"
#define VIEWS		(1ul << 40)	/* the views' distance, in the process */
/* The memory, low enough for its views within 47 bits of address. */
#define BUF_AT		(1ul << 33)

/* Load keel_guest.ko with @params (replacing a loaded one): 0 or -errno. */
static int load(const char *params)
{
	int fd, ret = 0;

	if (syscall(SYS_delete_module, "keel_guest", O_NONBLOCK) &&
	    errno != ENOENT)
		return -errno;
	fd = open(KO, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params, 0))
		ret = -errno;
	close(fd);
	return ret;
}

static int pin(int fd, void *addr, uint64_t len)
{
	struct keel_guest_pin p = {
		.size = sizeof(p), .addr = (uintptr_t)addr, .len = len,
	};

	return ioctl(fd, KEEL_GUEST_IOC_PIN, &p) ? -errno : 0;
}

static int view(int fd, void *at, uint64_t len, int prot, int flags,
		uint64_t off)
{
	void *p = mmap(at, len, prot, flags | MAP_FIXED_NOREPLACE, fd, off);

	if (p == MAP_FAILED)
		return -errno;
	return p == at ? 0 : -EFAULT;
}

FIXTURE(guest) {
	uint8_t *buf;
	int fd;
};

FIXTURE_SETUP(guest)
{
	self->fd = -1;
	self->buf = MAP_FAILED;
	if (access(KO, R_OK))
		SKIP(return, "no %s", KO);
	ASSERT_EQ(0, load("alias_off=" ALIAS_OFF " mirror_off=" MIRROR_OFF));
	self->buf = mmap((void *)BUF_AT, PAGES * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE |
			 MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	self->fd = open(KEEL_GUEST_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(guest)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, PAGES * PAGE);
	munmap(self->buf + VIEWS, PAGES * PAGE);
	munmap(self->buf + 2 * VIEWS, PAGES * PAGE);
	/* as the VM loaded it */
	if (!access(KO, R_OK))
		load("");
}

TEST_F(guest, load_refusals)
{
	static const char *const bad[] = {
		"alias_off=" ALIAS_OFF,				/* one of two */
		"mirror_off=" MIRROR_OFF,
		"alias_off=" ALIAS_OFF " mirror_off=" ALIAS_OFF,	/* equal */
		"alias_off=0x1000000800 mirror_off=" MIRROR_OFF,	/* unaligned */
		"alias_off=" ALIAS_OFF " mirror_off=0x8000000000000000", /* too far */
	};
	unsigned int i;

	/* 6.1's harness runs the test after a skip in the setup */
	if (_metadata->skip)
		return;

	close(self->fd);
	self->fd = -1;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, load(bad[i])) TH_LOG("%s", bad[i]);
		EXPECT_EQ(-1, access(KEEL_GUEST_DEVICE, F_OK));
	}
	/* none: loaded, but nothing pins */
	ASSERT_EQ(0, load(""));
	self->fd = open(KEEL_GUEST_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(-ENXIO, pin(self->fd, self->buf, PAGE));
	EXPECT_EQ(-ENXIO, view(self->fd, self->buf + VIEWS, PAGE,
			       PROT_READ | PROT_WRITE, MAP_SHARED,
			       KEEL_GUEST_VIEW_ALIAS));
}

TEST_F(guest, pin_refusals)
{
	struct keel_guest_pin p = {
		.size = sizeof(p), .addr = (uintptr_t)self->buf, .len = PAGE,
	};
	struct {
		struct keel_guest_pin p;
		uint64_t more;
	} big = { .p = p, .more = 1 };
	void *ro;

	/* 6.1's harness runs the test after a skip in the setup */
	if (_metadata->skip)
		return;

	p.size = 8;
	EXPECT_EQ(-1, ioctl(self->fd, KEEL_GUEST_IOC_PIN, &p));
	EXPECT_EQ(EINVAL, errno);
	p.size = sizeof(p);
	p.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, KEEL_GUEST_IOC_PIN, &p));
	EXPECT_EQ(EINVAL, errno);
	/* a struct larger than the ioctl's number says */
	big.p.size = sizeof(big);
	EXPECT_EQ(-1, ioctl(self->fd, KEEL_GUEST_IOC_PIN, &big));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO(KEEL_GUEST_IOC_MAGIC, 0xa2)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-EINVAL, pin(self->fd, self->buf + 8, PAGE));
	EXPECT_EQ(-EINVAL, pin(self->fd, self->buf, 0));
	EXPECT_EQ(-EINVAL, pin(self->fd, self->buf, PAGE + 8));
	EXPECT_EQ(-EINVAL, pin(self->fd, self->buf,
			       KEEL_GUEST_PIN_MAX + PAGE));
	/* not the caller's writable memory */
	EXPECT_EQ(-EFAULT, pin(self->fd, self->buf + VIEWS, PAGE));
	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		  MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-EFAULT, pin(self->fd, ro, PAGE));
	munmap(ro, PAGE);
	/* nothing was kept: the file still pins, once */
	EXPECT_EQ(0, pin(self->fd, self->buf, PAGES * PAGE));
	EXPECT_EQ(-EBUSY, pin(self->fd, self->buf, PAGE));
}

static int root(int fd, struct keel_guest_root *r)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	return ioctl(fd, KEEL_GUEST_IOC_ROOT, r) ? -errno : 0;
}

/*
 * KEEL_GUEST_IOC_ROOT: the caller's page tables, page aligned, of 4 or 5
 * levels, the same for each call of one process and another for another
 * process; a bad struct refused and nothing written.
 */
TEST_F(guest, root)
{
	struct keel_guest_root r, again, child, bad;
	int p[2], status;
	pid_t pid;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, root(self->fd, &r));
	EXPECT_NE(0, r.pt_gpa);
	EXPECT_EQ(0, r.pt_gpa % PAGE);
	EXPECT_TRUE(r.levels == 4 || r.levels == 5) TH_LOG("%u levels", r.levels);
	ASSERT_EQ(0, root(self->fd, &again));
	EXPECT_EQ(r.pt_gpa, again.pt_gpa);

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		_exit(root(self->fd, &child) ||
		      write(p[1], &child, sizeof(child)) != sizeof(child));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	ASSERT_EQ(sizeof(child), read(p[0], &child, sizeof(child)));
	close(p[0]);
	close(p[1]);
	EXPECT_NE(r.pt_gpa, child.pt_gpa);
	EXPECT_EQ(r.levels, child.levels);

	/* refusals: a short struct, a flag, an out field given */
	memset(&bad, 0, sizeof(bad));
	bad.size = 8;
	EXPECT_EQ(-1, ioctl(self->fd, KEEL_GUEST_IOC_ROOT, &bad));
	EXPECT_EQ(EINVAL, errno);
	bad.size = sizeof(bad);
	bad.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, KEEL_GUEST_IOC_ROOT, &bad));
	EXPECT_EQ(EINVAL, errno);
	bad.flags = 0;
	bad.levels = 4;
	EXPECT_EQ(-1, ioctl(self->fd, KEEL_GUEST_IOC_ROOT, &bad));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, bad.pt_gpa);
}

TEST_F(guest, window_on_ram)
{
	/* 6.1's harness runs the test after a skip in the setup */
	if (_metadata->skip)
		return;
	close(self->fd);
	self->fd = -1;
	/* the alias one page after each page: System RAM */
	ASSERT_EQ(0, load("alias_off=0x1000 mirror_off=" MIRROR_OFF));
	self->fd = open(KEEL_GUEST_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(-EEXIST, pin(self->fd, self->buf, PAGES * PAGE));
	EXPECT_EQ(-EEXIST, pin(self->fd, self->buf, PAGE));
	EXPECT_EQ(-ENXIO, view(self->fd, self->buf + VIEWS, PAGE,
			       PROT_READ | PROT_WRITE, MAP_SHARED,
			       KEEL_GUEST_VIEW_ALIAS));
}

TEST_F(guest, views)
{
	uint8_t *alias = self->buf + VIEWS, *mirror = self->buf + 2 * VIEWS;
	const int rw = PROT_READ | PROT_WRITE;

	/* 6.1's harness runs the test after a skip in the setup */
	if (_metadata->skip)
		return;

	EXPECT_EQ(-ENXIO, view(self->fd, alias, PAGES * PAGE, rw, MAP_SHARED,
			       KEEL_GUEST_VIEW_ALIAS));
	ASSERT_EQ(0, pin(self->fd, self->buf, PAGES * PAGE));
	/* the pinned length, an offset of a view, shared, not executable */
	EXPECT_EQ(-EINVAL, view(self->fd, alias, PAGE, rw, MAP_SHARED,
				KEEL_GUEST_VIEW_ALIAS));
	EXPECT_EQ(-EINVAL, view(self->fd, alias, PAGES * PAGE, rw,
				MAP_SHARED, PAGE));
	EXPECT_EQ(-EINVAL, view(self->fd, alias, PAGES * PAGE, rw,
				MAP_PRIVATE, KEEL_GUEST_VIEW_ALIAS));
	EXPECT_EQ(-EINVAL, view(self->fd, alias, PAGES * PAGE,
				rw | PROT_EXEC, MAP_SHARED,
				KEEL_GUEST_VIEW_ALIAS));
	ASSERT_EQ(0, view(self->fd, alias, PAGES * PAGE, rw, MAP_SHARED,
			  KEEL_GUEST_VIEW_ALIAS));
	ASSERT_EQ(0, view(self->fd, mirror, PAGES * PAGE, rw, MAP_SHARED,
			  KEEL_GUEST_VIEW_MIRROR));
	EXPECT_EQ(-1, mprotect(alias, PAGE, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);

	/* the views hold the file, and the file the module */
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(-1, syscall(SYS_delete_module, "keel_guest", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_EQ(0, munmap(alias, PAGES * PAGE));
	EXPECT_EQ(-1, syscall(SYS_delete_module, "keel_guest", O_NONBLOCK));
	EXPECT_EQ(0, munmap(mirror, PAGES * PAGE));
	/* the last view gone: the pages are unpinned and the module free */
	EXPECT_EQ(0, syscall(SYS_delete_module, "keel_guest", O_NONBLOCK));
	/* the memory is the process's as before */
	memset(self->buf, 0x5a, PAGES * PAGE);
	EXPECT_EQ(0x5a, self->buf[PAGES * PAGE - 1]);
}

TEST_HARNESS_MAIN
