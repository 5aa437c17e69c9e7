// SPDX-License-Identifier: GPL-2.0
/*
 * Keel's UART attached to an unmodified QEMU running an unmodified Linux
 * guest, as an operator does it: QEMU starts paused (its KVM VM exists),
 * "keelctl vdev add --pid" attaches a 16550A at COM2 (0x2f8, IRQ 3) with
 * its interrupt bound by Keel, and the guest boots. Its 8250 driver finds
 * the 16550A and a shell on ttyS1 runs the commands the host types in
 * through Keel's host side, interrupt-driven both ways (the guest's
 * /proc/interrupts and Keel's own counters say so). Detached while the
 * guest runs, the device is gone and the guest runs on; attached again
 * and given its saved state, the same shell answers again. QEMU killed
 * with SIGKILL takes its device with it; a console holding the device
 * either way sees it hang up. Refusals change nothing. On q35 and
 * microvm the guest finds and uses the UART the same way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "keel_qemu.h"
#include "keel_test_attach.h"
#include "keel_test_keelctl.h"

#define BOOT_MS		KEEL_QEMU_BOOT_TIMEOUT_MS
/* A command of the guest's shell: a liveness bound, not a measurement. */
#define CMD_MS		60000

static char out[65536];

/* keelctl with @args, @in on its stdin, its output in @buf. */
static int keelctl(const char *const *args, const char *in, char *buf,
		   size_t len, bool as_user)
{
	return keel_test_keelctl(args, in, buf, len, as_user);
}

/* "keelctl vdev add" for COM2 of @q's VM: the new id, or 0. */
static unsigned int attach_com2(struct __test_metadata *_metadata,
				struct keel_qemu *q, const char *label)
{
	char pid[16];
	unsigned long id;
	char *end;
	int rc;

	snprintf(pid, sizeof(pid), "%d", keel_qemu_pid(q));
	rc = keelctl((const char *[]){ "vdev", "add", "--pid", pid,
				       "--port", "0x2f8", "--irq", "3",
				       "--label", label, NULL },
		     NULL, out, sizeof(out), false);
	EXPECT_EQ(0, rc) TH_LOG("keelctl vdev add: %s", out);
	id = strtoul(out, &end, 10);
	if (rc || end == out)
		return 0;
	return id;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

/*
 * Reads what comes back on @fd into @buf (from *@n on, NUL-terminated)
 * until @want appears: 0, or -ETIMEDOUT once @deadline_ms has passed or
 * @buf is full.
 */
static int read_until(int fd, char *buf, size_t len, size_t *n,
		      const char *want, long long deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t r;

	while (!strstr(buf, want)) {
		if (now_ms() > deadline_ms || *n + 1 >= len)
			return -ETIMEDOUT;
		if (poll(&p, 1, 200) <= 0)
			continue;
		r = read(fd, buf + *n, len - 1 - *n);
		if (r > 0)
			*n += r;
		buf[*n] = '\0';
	}
	return 0;
}

/*
 * Types @cmd into the guest's shell through Keel's host side @fd and
 * collects what comes back until @until appears; 0, or -ETIMEDOUT.
 */
static int shell(int fd, const char *cmd, const char *until, char *buf,
		 size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return -errno;
	return read_until(fd, buf, len, &n, until, now_ms() + CMD_MS);
}

/*
 * Waits until the guest's shell reads what comes in on @fd: the shell may
 * still be starting (the 8250 driver empties the FIFOs when it opens the
 * port), so a probe whose answer the shell computes goes in every 2 s.
 */
static int shell_sync(int fd, char *buf, size_t len)
{
	long long end = now_ms() + CMD_MS;
	char cmd[64], want[32];
	unsigned int i;
	size_t n = 0;

	buf[0] = '\0';
	for (i = 1; now_ms() < end; i++) {
		snprintf(cmd, sizeof(cmd), "echo sync-$((%u+1000))\n", i);
		snprintf(want, sizeof(want), "sync-%u", i + 1000);
		if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
			return -errno;
		if (!read_until(fd, buf, len, &n, want, now_ms() + 2000))
			return 0;
	}
	return -ETIMEDOUT;
}

/* The count of IRQ 3 on the guest's CPU 0, from its /proc/interrupts. */
static long long guest_irq3(const char *text)
{
	const char *p = strstr(text, "\n  3:");

	return p ? strtoll(p + 5, NULL, 10) : -1;
}

FIXTURE(uart) {
	struct keel_qemu *q;
	unsigned int id;
	int fd;
	int starts;		/* of QEMU, for the test so far */
	bool stuck;		/* the guest got stuck after its boot */
};

FIXTURE_VARIANT(uart) {
	const char *machine;
	/* more QEMU arguments */
	const char *const *extra;
	/* also the refusals and a detach and attach while the guest runs */
	bool full;
};

/* Everything an operator does, once. */
FIXTURE_VARIANT_ADD(uart, pc) {
	.machine = "pc",
	.full = true,
};

/* The guest finds and uses the UART on the other machines too. */
FIXTURE_VARIANT_ADD(uart, q35) {
	.machine = "q35",
};

/*
 * microvm without ACPI: the guest finds COM2 by legacy probing and its
 * IRQ 3 through the MP table, as on pc. With ACPI it only maps the
 * interrupts of the ports ACPI describes, and QEMU describes its own
 * (Documentation/attach.rst).
 */
FIXTURE_VARIANT_ADD(uart, microvm) {
	.machine = "microvm",
	.extra = (const char *const[]){ "-machine", "acpi=off", NULL },
};

static char sync_buf[16384];

/*
 * The device's file, and the guest's shell answering on it: 0, -EDEADLK
 * when the guest got stuck (keel_qemu.h) instead of answering, else
 * -errno.
 */
static int open_shell(struct __test_metadata *_metadata,
		      FIXTURE_DATA(uart) *self)
{
	int ret;

	self->fd = keel_test_obj_open(self->id);
	if (self->fd < 0) {
		TH_LOG("OBJ_OPEN: %s", strerror(-self->fd));
		return self->fd;
	}
	ret = shell_sync(self->fd, sync_buf, sizeof(sync_buf));
	if (ret && (keel_qemu_panicked(self->q) ||
		    keel_qemu_stuck(self->q) == 1)) {
		close(self->fd);
		self->fd = -1;
		return -EDEADLK;
	}
	return ret;
}

/*
 * QEMU paused, the UART attached, the guest booted to its shell and the
 * shell answering on the UART. A nested guest that the emulated CPU
 * leaves stuck on the way (keel_qemu.h) is killed, taking its device
 * along, and the whole start is made again: up to KEEL_QEMU_BOOT_TRIES
 * starts for the whole test, those after a stuck boot and after a guest
 * stuck later (see the test) alike.
 */
static void boot(struct __test_metadata *_metadata, FIXTURE_DATA(uart) *self,
		 const FIXTURE_VARIANT(uart) *variant)
{
	struct keel_qemu_opts o = {
		.machine = variant->machine,
		.append = "keel.role=shell-ttyS1",
		.paused = true,
		.extra_args = variant->extra,
	};
	int ret = -EDEADLK;

	while (ret == -EDEADLK) {
		if (self->q) {
			TH_LOG("the nested guest %s: again",
			       keel_qemu_fault(self->q));
			keel_qemu_free(self->q);
			self->q = NULL;
		}
		if (self->starts++ == KEEL_QEMU_BOOT_TRIES)
			KEEL_QEMU_SKIP_ALL_BROKEN(return, KEEL_QEMU_BOOT_TRIES);
		self->q = keel_qemu_start(&o);
		ASSERT_NE(NULL, self->q);
		/* Its monitor answers once the machine, and its VM, exist. */
		ASSERT_NE(NULL, keel_qemu_monitor(self->q, "info status"))
			keel_qemu_dump(self->q, 4000);
		self->id = attach_com2(_metadata, self->q, "console1");
		ASSERT_NE(0, self->id);
		ASSERT_NE(NULL, keel_qemu_monitor(self->q, "cont"));
		ret = keel_qemu_wait_boot(self->q, "KEEL-GUEST-READY", BOOT_MS);
		if (!ret)
			ret = open_shell(_metadata, self);
	}
	ASSERT_EQ(0, ret) {
		TH_LOG("got: %s", sync_buf);
		keel_qemu_dump(self->q, 4000);
	}
}

FIXTURE_SETUP(uart)
{
	self->fd = -1;
	self->q = NULL;
	self->starts = 0;
	if (keel_test_debug_kernel())
		SKIP(return, KEEL_QEMU_DEBUG_SKIP);
	if (access("/dev/keel-vdev", F_OK))
		SKIP(return, "keel_vdev.ko is not loaded");
	boot(_metadata, self, variant);
}

/*
 * After a wait for the guest that came to nothing: when the emulated CPU
 * left it stuck or it panicked in an interrupt (keel_qemu.h), notes that
 * (the test starts again) and returns true.
 */
static bool got_stuck(FIXTURE_DATA(uart) *self)
{
	self->stuck = keel_qemu_panicked(self->q) ||
		      keel_qemu_stuck(self->q) == 1;
	return self->stuck;
}

FIXTURE_TEARDOWN(uart)
{
	if (self->fd >= 0)
		close(self->fd);
	keel_qemu_free(self->q);
}

/* The guest's shell answers through Keel's UART, by interrupts. */
static void use_shell(struct __test_metadata *_metadata,
		      FIXTURE_DATA(uart) *self, const char *machine)
{
	static char buf[16384];
	long long irq3, irqs;
	char wait[16];
	int ret;

	/* The guest's 8250 driver probed COM2 and found Keel's UART. */
	EXPECT_NE(NULL, strstr(keel_qemu_console_log(self->q),
			       "KEEL-GUEST-SERIAL ttyS1 16550A port=0x2F8 irq=3"))
		keel_qemu_dump(self->q, 4000);
	/* The answer is computed by the guest, not an echo of the input. */
	ret = shell(self->fd, "echo keel-$((6*7))\n", "keel-42", buf,
		    sizeof(buf));
	if (ret && got_stuck(self))
		return;
	ASSERT_EQ(0, ret) {
		TH_LOG("got: %s", buf);
		keel_qemu_dump(self->q, 4000);
	}
	ret = shell(self->fd, "cat /proc/interrupts; echo END-OF-$((1+1))\n",
		    "END-OF-2", buf, sizeof(buf));
	if (ret && got_stuck(self))
		return;
	ASSERT_EQ(0, ret)
		TH_LOG("got: %s", buf);
	irq3 = guest_irq3(buf);
	EXPECT_LT(0, irq3) TH_LOG("/proc/interrupts: %s", buf);
	EXPECT_NE(NULL, strstr(buf, "ttyS1")) TH_LOG("%s", buf);

	/* Keel's side: the interrupts it raised, the bytes both ways. */
	irqs = keel_test_vdev_info(self->id, "irqs");
	EXPECT_LT(0, irqs);
	EXPECT_LT(0, keel_test_vdev_info(self->id, "bytes_in"));
	EXPECT_LT(0, keel_test_vdev_info(self->id, "bytes_out"));
	TH_LOG("%s: guest's IRQ 3 count %lld, Keel's interrupts %lld",
	       machine, irq3, irqs);

	/*
	 * The same through "keelctl vdev console", fed by a pipe: it ends as
	 * soon as the answer came, within the commands' time limit.
	 */
	snprintf(buf, sizeof(buf), "%u", self->id);
	snprintf(wait, sizeof(wait), "%d", CMD_MS);
	ret = keelctl((const char *[]){ "vdev", "console", "--wait", wait,
					"--until", "console-7", buf, NULL },
		      "echo console-$((3+4))\n", out, sizeof(out), false);
	if (ret && got_stuck(self))
		return;
	EXPECT_EQ(0, ret) {
		TH_LOG("keelctl: %s", out);
		keel_qemu_dump(self->q, 4000);
	}
	EXPECT_NE(NULL, strstr(out, "console-7")) TH_LOG("console: %s", out);
}

/* Refused attaches leave everything as it was. */
static void refusals(struct __test_metadata *_metadata,
		     FIXTURE_DATA(uart) *self)
{
	char pid[16];
	int before;

	snprintf(pid, sizeof(pid), "%d", keel_qemu_pid(self->q));
	before = keel_test_vdev_refcnt();
	/* The same range again: Keel's device holds it (refused, 1). */
	EXPECT_EQ(1, keelctl((const char *[]){ "vdev", "add", "--pid", pid,
					       "--port", "0x2f8", "--irq", "4",
					       NULL }, NULL, out, sizeof(out),
			     false));
	EXPECT_NE(NULL, strcasestr(out, "overlap")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "Address already in use")) TH_LOG("%s", out);
	/* Not a VMM: init has no VM. */
	EXPECT_EQ(1, keelctl((const char *[]){ "vdev", "add", "--pid", "1",
					       "--port", "0x3e8", "--irq", "4",
					       NULL }, NULL, out, sizeof(out),
			     false));
	EXPECT_NE(NULL, strcasestr(out, "not a KVM")) TH_LOG("%s", out);
	/* A user who may not ptrace QEMU (root's): permission denied, 4. */
	EXPECT_EQ(4, keelctl((const char *[]){ "vdev", "add", "--pid", pid,
					       "--port", "0x3e8", "--irq", "4",
					       NULL }, NULL, out, sizeof(out),
			     true));
	EXPECT_NE(NULL, strcasestr(out, "ptrace")) TH_LOG("%s", out);
	EXPECT_EQ(before, keel_test_vdev_refcnt());
}

/*
 * A console holding the device (@fd, from KEEL_IOC_OBJ_OPEN) when the
 * core lets go of it: poll() says EPOLLHUP, read() gives end of file,
 * write() EPIPE, so the holder lets go too. Closes @fd.
 */
static void expect_hangup(struct __test_metadata *_metadata, int fd)
{
	char buf[256];
	ssize_t n;
	int revents;

	/* Reaping runs on a work item: a liveness bound of 10 s. */
	revents = keel_test_wait_hup(fd, 10000);
	EXPECT_TRUE(revents > 0 && (revents & POLLHUP))
		TH_LOG("revents 0x%x", revents);
	/* What the guest sent last comes first, then the end. */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	EXPECT_EQ(0, n) TH_LOG("read: %s", strerror(errno));
	EXPECT_EQ(-1, write(fd, "x", 1));
	EXPECT_EQ(EPIPE, errno);
	close(fd);
}

/*
 * Detached while the guest runs: gone, the guest runs on. Attached again
 * and given the state it had, the same shell answers again.
 */
static void detach_attach(struct __test_metadata *_metadata,
			  FIXTURE_DATA(uart) *self)
{
	static char buf[16384];
	unsigned int id2;
	char ids[16];
	const char *st;
	int ret;

	snprintf(ids, sizeof(ids), "%u", self->id);
	ASSERT_EQ(0, keelctl((const char *[]){ "state", "stop", ids, NULL },
			     NULL, out, sizeof(out), false)) TH_LOG("%s", out);
	unlink("/tmp/uart.state");
	ASSERT_EQ(0, keelctl((const char *[]){ "state", "save", ids,
					       "/tmp/uart.state", NULL },
			     NULL, out, sizeof(out), false)) TH_LOG("%s", out);
	/* Deleted while a console holds it: the console sees it hang up. */
	ASSERT_EQ(0, keelctl((const char *[]){ "vdev", "del", ids, NULL },
			     NULL, out, sizeof(out), false)) TH_LOG("%s", out);
	expect_hangup(_metadata, self->fd);
	self->fd = -1;
	EXPECT_EQ(-ENOENT, keel_test_obj_open(self->id));
	st = keel_qemu_monitor(self->q, "info status");
	ASSERT_NE(NULL, st);
	EXPECT_NE(NULL, strstr(st, "running")) TH_LOG("%s", st);

	id2 = attach_com2(_metadata, self->q, "console1b");
	ASSERT_NE(0, id2);
	self->id = id2;
	snprintf(ids, sizeof(ids), "%u", id2);
	ASSERT_EQ(0, keelctl((const char *[]){ "state", "stop", ids, NULL },
			     NULL, out, sizeof(out), false)) TH_LOG("%s", out);
	ASSERT_EQ(0, keelctl((const char *[]){ "state", "load", ids,
					       "/tmp/uart.state", NULL },
			     NULL, out, sizeof(out), false)) TH_LOG("%s", out);
	ASSERT_EQ(0, keelctl((const char *[]){ "state", "resume", ids, NULL },
			     NULL, out, sizeof(out), false)) TH_LOG("%s", out);
	unlink("/tmp/uart.state");
	self->fd = keel_test_obj_open(id2);
	ASSERT_LE(0, self->fd);
	ret = shell(self->fd, "echo after-$((2+2))\n", "after-4", buf,
		    sizeof(buf));
	if (ret && got_stuck(self))
		return;
	ASSERT_EQ(0, ret) {
		TH_LOG("got: %s", buf);
		keel_qemu_dump(self->q, 4000);
	}
}

/*
 * QEMU killed with SIGKILL takes its device with it; a console holding
 * the device sees it hang up.
 */
static void kill_qemu(struct __test_metadata *_metadata,
		      FIXTURE_DATA(uart) *self)
{
	int fd = -1, i;

	keel_qemu_kill(self->q);
	expect_hangup(_metadata, self->fd);
	self->fd = -1;
	/* Reaped by a work item once QEMU's address space is gone. */
	for (i = 0; i < 1000 && (fd = keel_test_obj_open(self->id)) != -ENOENT; i++) {
		if (fd >= 0)
			close(fd);
		usleep(10000);
	}
	EXPECT_EQ(-ENOENT, fd);
	for (i = 0; i < 1000 && keel_test_vdev_refcnt() != 0; i++)
		usleep(10000);
	EXPECT_EQ(0, keel_test_vdev_refcnt());
}

/*
 * One boot per machine: what an operator does, in order. A guest that
 * got stuck on the way is started again and the steps made again.
 */
TEST_F_TIMEOUT(uart, attach_use_detach_kill, 1200)
{
	/* 6.1's harness runs the test after a skip in the setup */
	if (_metadata->skip)
		return;
	for (;;) {
		self->stuck = false;
		use_shell(_metadata, self, variant->machine);
		if (!self->stuck && variant->full) {
			refusals(_metadata, self);
			detach_attach(_metadata, self);
		}
		if (!self->stuck)
			break;
		TH_LOG("the nested guest %s after its boot: again",
		       keel_qemu_fault(self->q));
		if (self->fd >= 0)
			close(self->fd);
		self->fd = -1;
		keel_qemu_free(self->q);
		self->q = NULL;
		boot(_metadata, self, variant);
		if (_metadata->skip)
			return;
	}
	kill_qemu(_metadata, self);
}

TEST_HARNESS_MAIN
