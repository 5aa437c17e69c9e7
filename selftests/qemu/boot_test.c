// SPDX-License-Identifier: GPL-2.0
/*
 * Debian's unmodified QEMU boots the test VM's own kernel as a nested KVM
 * guest on each machine type (pc, q35, microvm): the guest reports the
 * same release as the test VM, its console UART at 0x3f8 on IRQ 4 driven
 * by interrupts through KVM's in-kernel irqchip, and nothing at 0x2f8
 * unless asked. A guest started paused has its KVM VM and vCPU but runs
 * nothing until "cont". With QEMU's own UART at COM2, the shell-ttyS1 role
 * answers commands there, and the write-ttyS role's bytes arrive whole.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "kselftest_harness.h"
#include "keel_qemu.h"

#define BOOT_MS		KEEL_QEMU_BOOT_TIMEOUT_MS
/* A command of the guest's shell, or a few KB through a UART: liveness. */
#define CMD_MS		60000

FIXTURE(qemu) {
	struct keel_qemu *q;
	struct utsname uts;
};

FIXTURE_SETUP(qemu)
{
	self->q = NULL;
	if (keel_test_debug_kernel())
		SKIP(return, KEEL_QEMU_DEBUG_SKIP);
	ASSERT_EQ(0, uname(&self->uts));
}

/*
 * Older harnesses run the test after a skip in FIXTURE_SETUP: every test
 * starts with this.
 */
#define SKIPPED_IN_SETUP() do {		\
	if (_metadata->skip)		\
		return;			\
} while (0)

FIXTURE_TEARDOWN(qemu)
{
	if (!self->q)
		return;
	if (!_metadata->passed)
		keel_qemu_dump(self->q, 6000);
	keel_qemu_free(self->q);
}

/*
 * A wait that found the guest stuck (keel_qemu.h): in a loop over tries,
 * start the case again, and after the last a skip (KEEL_QEMU_ALL_BROKEN);
 * anything else must be 0.
 */
#define LIVE_OR_AGAIN(r, try) \
	if ((r) == -EDEADLK && (try) < KEEL_QEMU_BOOT_TRIES) { \
		fprintf(stderr, "# try %d: the guest %s; again\n", (try), \
			keel_qemu_fault(self->q)); \
		keel_qemu_free(self->q); \
		self->q = NULL; \
		continue; \
	} \
	if ((r) == -EDEADLK) \
		KEEL_QEMU_SKIP_ALL_BROKEN(return, KEEL_QEMU_BOOT_TRIES); \
	ASSERT_EQ(0, (r))

/*
 * The guest's boot markers, once KEEL-GUEST-READY has come: KEEL-GUEST-UP
 * with the test VM's release before it. Returns the console from UP on,
 * which holds the KEEL-GUEST-SERIAL and KEEL-GUEST-IRQ lines.
 */
static const char *booted(struct __test_metadata *_metadata,
			  FIXTURE_DATA(qemu) *self)
{
	const char *up = strstr(keel_qemu_console_log(self->q), "KEEL-GUEST-UP ");
	char want[256];
	size_t n;

	ASSERT_NE(NULL, up);
	n = snprintf(want, sizeof(want), "KEEL-GUEST-UP %s", self->uts.release);
	ASSERT_EQ(0, strncmp(up, want, n)) TH_LOG("%.*s", (int)strcspn(up, "\r\n"), up);
	ASSERT_TRUE(up[n] == '\r' || up[n] == '\n');
	ASSERT_NE(NULL, strstr(up, "KEEL-GUEST-READY"));
	return up;
}

/*
 * Starts QEMU (again while the guest gets stuck) until the guest is READY:
 * its boot markers, or NULL after a skip (KEEL_QEMU_ALL_BROKEN).
 */
static const char *boot(struct __test_metadata *_metadata,
			FIXTURE_DATA(qemu) *self, const struct keel_qemu_opts *o)
{
	int ret = keel_qemu_boot(&self->q, o, "KEEL-GUEST-READY", BOOT_MS);

	/* the "qemu" need packs QEMU and the guest: never a skip */
	ASSERT_NE(NULL, self->q);
	if (ret == -EDEADLK)
		KEEL_QEMU_SKIP_ALL_BROKEN(return NULL, KEEL_QEMU_BOOT_TRIES);
	ASSERT_EQ(0, ret);
	return booted(_metadata, self);
}

/*
 * A line of the guest's /proc/interrupts at @p: the IOAPIC's @pin, named
 * @name, has fired.
 */
static void check_irq_line(struct __test_metadata *_metadata, const char *p,
			   unsigned int pin, const char *name)
{
	char chip[32], type[16], dev[32];
	unsigned int virq, line;
	unsigned long count;

	ASSERT_EQ(6, sscanf(p, "%u: %lu %31s %u-%15s %31s", &virq, &count,
			    chip, &line, type, dev)) TH_LOG("'%.80s'", p);
	EXPECT_STREQ("IO-APIC", chip);
	EXPECT_EQ(pin, line);
	EXPECT_STREQ(name, dev);
	EXPECT_LT(0, count) TH_LOG("%s's interrupt never fired", name);
}

/*
 * The console port as the guest sees it: a 16550A at 0x3f8 on IOAPIC pin
 * 4 whose interrupts arrive (the guest's tty output waits for them), and a
 * UART at 0x2f8 (pin 3) only with @com2.
 */
static void check_serial(struct __test_metadata *_metadata, const char *up,
			 bool com2)
{
	static const char com1_line[] = "KEEL-GUEST-SERIAL ttyS0 16550A port=0x3F8 irq=4 ";
	static const char com2_line[] = "KEEL-GUEST-SERIAL ttyS1 16550A port=0x2F8 irq=3 ";
	const char *p;

	ASSERT_NE(NULL, strstr(up, com1_line))
		TH_LOG("no 16550A at 0x3f8 on IRQ 4 in the guest");
	p = strstr(up, "KEEL-GUEST-SERIAL ttyS1 ");
	if (com2) {
		ASSERT_NE(NULL, p);
		ASSERT_EQ(0, strncmp(p, com2_line, strlen(com2_line)));
	} else {
		ASSERT_EQ(NULL, p) TH_LOG("a UART at 0x2f8 without COM2");
	}
	p = strstr(up, "KEEL-GUEST-IRQ ");
	ASSERT_NE(NULL, p);
	check_irq_line(_metadata, p + strlen("KEEL-GUEST-IRQ "), 4, "ttyS0");
}

/*
 * QEMU's IOAPIC is KVM's in-kernel one, and on pc and q35 (@pic) so is its
 * PIC. microvm models its PIC in QEMU even then (QEMU 7.2), but the guest's
 * accesses to the PIC's ports go to KVM's in-kernel PIC all the same.
 */
static void check_irqchip(struct __test_metadata *_metadata, struct keel_qemu *q,
			  bool pic)
{
	const char *r = keel_qemu_monitor(q, "info qtree");

	ASSERT_NE(NULL, r);
	if (!strstr(r, "dev: kvm-ioapic") || (pic && !strstr(r, "dev: kvm-i8259"))) {
		keel_qemu_comment(r);
		ASSERT_TRUE(false) TH_LOG("not KVM's in-kernel IOAPIC and PIC");
	}
}

static void idle_boot(struct __test_metadata *_metadata,
		      FIXTURE_DATA(qemu) *self, const char *machine)
{
	struct keel_qemu_opts o = {
		.machine = machine,
		.append = "keel.role=idle",
	};
	const char *up;

	up = boot(_metadata, self, &o);
	if (!up)
		return;
	check_serial(_metadata, up, false);
	check_irqchip(_metadata, self->q, strcmp(machine, "microvm"));
}

TEST_F_TIMEOUT(qemu, pc_idle, 600)
{
	SKIPPED_IN_SETUP();
	idle_boot(_metadata, self, "pc");
}

TEST_F_TIMEOUT(qemu, microvm_idle, 600)
{
	SKIPPED_IN_SETUP();
	idle_boot(_metadata, self, "microvm");
}

/* The vCPU is where a reset leaves it: f000:fff0, base ffff0000. */
static void at_reset_vector(struct __test_metadata *_metadata, struct keel_qemu *q)
{
	const char *r = keel_qemu_monitor(q, "info registers");

	ASSERT_NE(NULL, r);
	if (!strstr(r, "EIP=0000fff0") || !strstr(r, "CS =f000 ffff0000")) {
		keel_qemu_comment(r);
		ASSERT_TRUE(false) TH_LOG("the vCPU left the reset vector");
	}
}

/*
 * -S: QEMU has created the KVM VM and its vCPU (their fds are open in
 * QEMU), the vCPU sits at the reset vector and the console stays silent
 * until "cont"; then the guest boots, and "stop" pauses it again.
 */
TEST_F_TIMEOUT(qemu, q35_paused_then_cont, 600)
{
	struct keel_qemu_opts o = {
		.machine = "q35",
		.append = "keel.role=idle",
		.paused = true,
	};
	const char *r, *up;
	int try, ret;

	SKIPPED_IN_SETUP();

	for (try = 1; ; try++) {
		self->q = keel_qemu_start(&o);
		ASSERT_NE(NULL, self->q);
		r = keel_qemu_monitor(self->q, "info status");
		ASSERT_NE(NULL, r);
		ASSERT_NE(NULL, strstr(r, "paused")) TH_LOG("%.200s", r);
		EXPECT_LE(0, keel_qemu_find_fd(self->q, "anon_inode:kvm-vm"));
		EXPECT_LE(0, keel_qemu_find_fd(self->q, "anon_inode:kvm-vcpu:0"));
		at_reset_vector(_metadata, self->q);
		/* the vCPU has not moved 3 s later, and the console is silent */
		keel_qemu_poll(self->q, 3000);
		ASSERT_EQ(0, keel_qemu_console_len(self->q));
		at_reset_vector(_metadata, self->q);

		r = keel_qemu_monitor(self->q, "cont");
		ASSERT_NE(NULL, r);
		ret = keel_qemu_wait_boot(self->q, "KEEL-GUEST-READY", BOOT_MS);
		LIVE_OR_AGAIN(ret, try);
		break;
	}
	up = booted(_metadata, self);
	check_serial(_metadata, up, false);
	check_irqchip(_metadata, self->q, true);
	r = keel_qemu_monitor(self->q, "info status");
	ASSERT_NE(NULL, r);
	EXPECT_NE(NULL, strstr(r, "running")) TH_LOG("%.200s", r);
	r = keel_qemu_monitor(self->q, "stop");
	ASSERT_NE(NULL, r);
	r = keel_qemu_monitor(self->q, "info status");
	ASSERT_NE(NULL, r);
	EXPECT_NE(NULL, strstr(r, "paused")) TH_LOG("%.200s", r);
}

/*
 * Reads COM2 until @want has arrived (what came is in @buf), checking
 * that the guest is not stuck whenever nothing came for a while.
 */
static int com2_expect(struct keel_qemu *q, const char *want, char *buf,
		       size_t size, int timeout_ms)
{
	struct pollfd p = { .fd = keel_qemu_com2_fd(q), .events = POLLIN };
	int waited = 0, step = KEEL_QEMU_STUCK_CHECK_MS;
	size_t len = 0;
	ssize_t n;

	buf[0] = '\0';
	if (p.fd < 0)
		return -errno;
	while (!strstr(buf, want)) {
		if (len == size - 1)
			return -ENOSPC;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		if (poll(&p, 1, step) == 0) {
			waited += step;
			if (keel_qemu_stuck(q) == 1)
				return -EDEADLK;
			continue;
		}
		n = read(p.fd, buf + len, size - 1 - len);
		if (n <= 0 && keel_qemu_panicked(q))
			return -EDEADLK;
		if (n <= 0)
			return n ? -errno : -ECONNRESET;
		len += n;
		buf[len] = '\0';
	}
	return 0;
}

static int com2_send(struct keel_qemu *q, const char *cmd)
{
	int fd = keel_qemu_com2_fd(q);

	if (fd < 0)
		return -errno;
	return write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd) ? 0 : -EIO;
}

#define WRITE_BYTES	3000
#define PATTERN_LINE	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n"

/*
 * QEMU's own 16550A at COM2: the guest finds it at 0x2f8 on IRQ 3; the
 * shell-ttyS1 role answers there, without echo or prompt, and ttyS1's
 * interrupts arrive; from that shell the write-ttyS role sends
 * WRITE_BYTES pattern bytes to the console, which arrive whole; "exit"
 * ends the shell.
 */
TEST_F_TIMEOUT(qemu, microvm_com2_shell, 600)
{
	struct keel_qemu_opts o = {
		.machine = "microvm",
		.append = "keel.role=shell-ttyS1",
		.com2 = true,
	};
	char buf[4096], line[256], irq_line[256];
	const char *up, *log, *p, *end;
	unsigned long bytes, ns;
	int try, ret;

	SKIPPED_IN_SETUP();

	for (try = 1; ; try++) {
		up = boot(_metadata, self, &o);
		if (!up)
			return;
		check_serial(_metadata, up, true);

		ASSERT_EQ(0, com2_send(self->q, "echo KEEL-SH-$((6 * 7))\n"));
		ret = com2_expect(self->q, "KEEL-SH-42\n", buf, sizeof(buf), CMD_MS);
		LIVE_OR_AGAIN(ret, try) TH_LOG("COM2 got: '%s'", buf);
		EXPECT_EQ(NULL, strstr(buf, "echo")) TH_LOG("echoed: '%s'", buf);

		/* ttyS1's IRQ 3 fired for what the guest read and sent */
		ASSERT_EQ(0, com2_send(self->q,
				       "echo \"KEEL-SH-IRQ $(grep ttyS1 /proc/interrupts)\"\n"));
		ret = com2_expect(self->q, "ttyS1\n", buf, sizeof(buf), CMD_MS);
		LIVE_OR_AGAIN(ret, try) TH_LOG("COM2 got: '%s'", buf);
		p = strstr(buf, "KEEL-SH-IRQ ");
		ASSERT_NE(NULL, p);
		snprintf(irq_line, sizeof(irq_line), "%s", p + strlen("KEEL-SH-IRQ "));

		snprintf(buf, sizeof(buf),
			 "KEEL_TTY=ttyS0 KEEL_BYTES=%d sh /roles/write-ttyS; echo KEEL-SH-RC $?\n",
			 WRITE_BYTES);
		ASSERT_EQ(0, com2_send(self->q, buf));
		ret = keel_qemu_wait_live(self->q, "KEEL-GUEST-WRITE-DONE", CMD_MS);
		LIVE_OR_AGAIN(ret, try);
		ret = keel_qemu_wait_live(self->q, "KEEL-GUEST-IRQ ", CMD_MS);
		LIVE_OR_AGAIN(ret, try);
		ret = com2_expect(self->q, "KEEL-SH-RC 0\n", buf, sizeof(buf), CMD_MS);
		LIVE_OR_AGAIN(ret, try) TH_LOG("COM2 got: '%s'", buf);

		ASSERT_EQ(0, com2_send(self->q, "exit\n"));
		ret = keel_qemu_wait_live(self->q, "KEEL-GUEST-SHELL-DONE", CMD_MS);
		LIVE_OR_AGAIN(ret, try);
		break;
	}
	check_irq_line(_metadata, irq_line, 3, "ttyS1");

	/* the role's lines: READY, the pattern bytes, DONE, its IRQ line */
	log = keel_qemu_console_log(self->q);
	p = strstr(strstr(log, "KEEL-GUEST-READY") + 1, "KEEL-GUEST-READY");
	ASSERT_NE(NULL, p);
	p = strchr(p, '\n');
	ASSERT_NE(NULL, p);
	p++;
	end = strstr(p, "KEEL-GUEST-WRITE-DONE ");
	ASSERT_NE(NULL, end);
	EXPECT_EQ(WRITE_BYTES, end - p);
	EXPECT_EQ(0, strncmp(p, PATTERN_LINE PATTERN_LINE, 2 * strlen(PATTERN_LINE)));
	ASSERT_EQ(2, sscanf(end, "KEEL-GUEST-WRITE-DONE %lu %lu", &bytes, &ns));
	EXPECT_EQ(WRITE_BYTES, bytes);
	EXPECT_LT(0, ns);
	p = strstr(end, "KEEL-GUEST-IRQ ");
	ASSERT_NE(NULL, p);
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\r\n"), p);
	check_irq_line(_metadata, line + strlen("KEEL-GUEST-IRQ "), 4, "ttyS0");
}

TEST_HARNESS_MAIN
