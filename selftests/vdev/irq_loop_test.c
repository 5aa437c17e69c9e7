// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt lines wired into themselves. A level line re-asserts after
 * each signal on its resample eventfd while it is high; if its own irqfd
 * is its resample eventfd, or two devices are cross-wired (A's irqfd is
 * B's resample eventfd and B's irqfd is A's), every signal comes back as
 * a resample and the line would be re-asserted forever by a work item.
 * Plain eventfds, no KVM_IRQFD and no guest: the UART's line is raised by
 * loading a state in which the transmitter-empty interrupt is pending
 * and enabled, and the signals are counted in the device's "irqs".
 *
 * The same eventfd for both is refused; cross-wired lines signal once
 * per rising edge and no more; a resample from outside (what KVM sends
 * after the guest's EOI) still re-asserts the line once per resample.
 */
#include "state_blob.h"

#include <fcntl.h>
#include <stddef.h>
#include <time.h>
#include <sys/eventfd.h>
#include <linux/kvm.h>
#include <linux/keel_vdev.h>
#include <linux/serial_reg.h>

#include "kselftest_harness.h"
#include "libkeel.h"

#define COM1		0x3f8
#define COM2		0x2f8
#define UART_LEN	8

/* Signals that count as bounded: the rising edge, and one to spare. */
#define MAX_SIGNALS	2
/* How long a loop gets to show itself. */
#define WINDOW_MS	300

/* The UART's register section: struct keel_uart16550_saved's bytes. */
#define SAVED_IER		8
#define SAVED_MCR		10
#define SAVED_THR_IPENDING	17

static int create_vm(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	if (kvm < 0)
		return -1;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	close(kvm);
	return vm;
}

/* A level-mode UART at @port of @vm, not started: 0 or -errno. */
static int uart_setup(int fd, int vm, uint16_t port, int irq_fd,
		      int resample_fd, uint32_t *id)
{
	struct keel_vdev_setup s;

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.vm_fd = vm;
	s.model = KEEL_VDEV_MODEL_UART16550A;
	s.bus = KEEL_VDEV_BUS_PIO;
	s.base = port;
	s.len = UART_LEN;
	s.flags = KEEL_VDEV_SETUP_IRQFD | KEEL_VDEV_SETUP_RESAMPLE;
	s.irq_fd = irq_fd;
	s.resample_fd = resample_fd;
	if (ioctl(fd, KEEL_VDEV_IOC_SETUP, &s))
		return -errno;
	*id = s.id;
	return 0;
}

/*
 * Raise the line of the stopped UART @fd: its state with THR-empty
 * pending, enabled in IER and let out by OUT2, then RESUME, which
 * signals the line once since it is high.
 */
static int raise_line(int fd)
{
	size_t off = sizeof(struct keel_state_header) +
		     sizeof(struct keel_state_section);
	struct blob b;
	int ret;

	ret = state_save(fd, &b);
	if (ret)
		return ret;
	if (b.len < off + SAVED_THR_IPENDING + 1) {
		blob_free(&b);
		return -EPROTO;
	}
	b.buf[off + SAVED_IER] |= UART_IER_THRI;
	b.buf[off + SAVED_MCR] |= UART_MCR_OUT2;
	b.buf[off + SAVED_THR_IPENDING] = 1;
	fix_crcs(&b);
	ret = state_load(fd, b.buf, b.len);
	blob_free(&b);
	if (!ret)
		ret = state_simple(fd, KEEL_STATE_IOC_RESUME);
	return ret;
}

static uint64_t info_of(struct keel_sock *k, uint32_t id, uint16_t attr)
{
	struct keel_obj o;
	uint64_t v;

	if (keel_obj_get(k, id, &o))
		return UINT64_MAX;
	v = keel_obj_info_uint(&o, attr);
	keel_obj_free(&o);
	return v;
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&t, NULL);
}

/*
 * The irqfd signals of device @id after the window, or as soon as they
 * pass @bound: a looping line passes it within milliseconds.
 */
static uint64_t signals_after_window(struct keel_sock *k, uint32_t id,
				     uint64_t bound)
{
	uint64_t v = 0;
	int ms;

	for (ms = 0; ms < WINDOW_MS; ms += 10) {
		v = info_of(k, id, KEEL_VDEV_INFO_A_IRQS);
		if (v > bound)
			break;
		sleep_ms(10);
	}
	return v;
}

/* Wait until device @id has signalled @want times; what it reached. */
static uint64_t wait_signals(struct keel_sock *k, uint32_t id, uint64_t want)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 2000; i++) {
		v = info_of(k, id, KEEL_VDEV_INFO_A_IRQS);
		if (v >= want)
			break;
		sleep_ms(2);
	}
	return v;
}

FIXTURE(loop) {
	struct keel_sock *k;
	int vm;
	int dev[2];
	int efd[2];
	uint32_t id[2];
};

FIXTURE_SETUP(loop)
{
	struct keel_error err;
	int i;

	self->vm = -1;
	self->k = NULL;
	for (i = 0; i < 2; i++) {
		self->dev[i] = -1;
		self->efd[i] = -1;
	}
	self->dev[0] = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	if (self->dev[0] < 0 && errno == ENOENT)
		SKIP(return, "keel_vdev.ko is not loaded");
	ASSERT_LE(0, self->dev[0]);
	self->dev[1] = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev[1]);
	self->vm = create_vm();
	if (self->vm < 0)
		SKIP(return, "no usable /dev/kvm: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		self->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		ASSERT_LE(0, self->efd[i]);
	}
	self->k = keel_open(&err);
	ASSERT_NE(NULL, self->k) TH_LOG("keel_open: %s", err.msg);
}

FIXTURE_TEARDOWN(loop)
{
	int i;

	/* Closing the devices stops any line still signalling. */
	for (i = 0; i < 2; i++) {
		if (self->dev[i] >= 0)
			close(self->dev[i]);
		if (self->efd[i] >= 0)
			close(self->efd[i]);
	}
	if (self->k)
		keel_close(self->k);
	if (self->vm >= 0)
		close(self->vm);
}

TEST_F_TIMEOUT(loop, same_eventfd_refused, 60)
{
	uint64_t n;
	int other, ret;

	/* One eventfd as irqfd and as resample eventfd. */
	ret = uart_setup(self->dev[0], self->vm, COM1, self->efd[0],
			 self->efd[0], &self->id[0]);
	EXPECT_EQ(-EINVAL, ret);
	/* The same eventfd under another descriptor (another one's). */
	other = dup(self->efd[1]);
	ASSERT_LE(0, other);
	EXPECT_EQ(-EINVAL, uart_setup(self->dev[1], self->vm, COM2,
				      self->efd[1], other, &self->id[1]));
	close(other);

	if (!ret) {
		/* Accepted: show what a high line does with it. */
		ASSERT_EQ(0, raise_line(self->dev[0]));
		n = signals_after_window(self->k, self->id[0], MAX_SIGNALS);
		EXPECT_GE(MAX_SIGNALS, n)
			TH_LOG("a line on one eventfd signalled %llu times in %d ms",
			       (unsigned long long)n, WINDOW_MS);
		return;
	}

	/* Refused, and the device can still be set up properly. */
	ASSERT_EQ(0, uart_setup(self->dev[0], self->vm, COM1, self->efd[0],
				self->efd[1], &self->id[0]));
	ASSERT_EQ(0, raise_line(self->dev[0]));
	EXPECT_EQ(1, wait_signals(self->k, self->id[0], 1));
}

TEST_F_TIMEOUT(loop, cross_wired_bounded, 60)
{
	uint64_t n0, n1;

	/* A signals efd[0], B's resample; B signals efd[1], A's resample. */
	ASSERT_EQ(0, uart_setup(self->dev[0], self->vm, COM1, self->efd[0],
				self->efd[1], &self->id[0]));
	ASSERT_EQ(0, uart_setup(self->dev[1], self->vm, COM2, self->efd[1],
				self->efd[0], &self->id[1]));
	ASSERT_EQ(0, raise_line(self->dev[0]));
	ASSERT_EQ(0, raise_line(self->dev[1]));

	n0 = signals_after_window(self->k, self->id[0], MAX_SIGNALS);
	n1 = signals_after_window(self->k, self->id[1], MAX_SIGNALS);
	EXPECT_LE(1, n0);
	EXPECT_LE(1, n1);
	EXPECT_GE(MAX_SIGNALS, n0)
		TH_LOG("A signalled %llu times in %d ms",
		       (unsigned long long)n0, WINDOW_MS);
	EXPECT_GE(MAX_SIGNALS, n1)
		TH_LOG("B signalled %llu times in %d ms",
		       (unsigned long long)n1, WINDOW_MS);
	EXPECT_EQ(1, info_of(self->k, self->id[0], KEEL_VDEV_INFO_A_IRQ_LINE));
	EXPECT_EQ(1, info_of(self->k, self->id[1], KEEL_VDEV_INFO_A_IRQ_LINE));
	/* The operator sees the wiring: each resample a line sent. */
	EXPECT_LE(1, info_of(self->k, self->id[0], KEEL_VDEV_INFO_A_IRQ_LOOPS));
	EXPECT_LE(1, info_of(self->k, self->id[1], KEEL_VDEV_INFO_A_IRQ_LOOPS));
	EXPECT_GE(MAX_SIGNALS,
		  info_of(self->k, self->id[0], KEEL_VDEV_INFO_A_IRQ_LOOPS));
	EXPECT_GE(MAX_SIGNALS,
		  info_of(self->k, self->id[1], KEEL_VDEV_INFO_A_IRQ_LOOPS));
}

/* What KVM does after the guest's EOI: one re-assertion per resample. */
TEST_F_TIMEOUT(loop, resample_reasserts_once, 60)
{
	uint64_t one = 1, count = 0;
	int i;

	ASSERT_EQ(0, uart_setup(self->dev[0], self->vm, COM1, self->efd[0],
				self->efd[1], &self->id[0]));
	ASSERT_EQ(0, raise_line(self->dev[0]));
	ASSERT_EQ(1, wait_signals(self->k, self->id[0], 1));
	for (i = 2; i <= 4; i++) {
		ASSERT_EQ(sizeof(one), write(self->efd[1], &one, sizeof(one)));
		EXPECT_EQ(i, wait_signals(self->k, self->id[0], i));
	}
	/* No more without another resample. */
	EXPECT_EQ(4, signals_after_window(self->k, self->id[0], 4));
	ASSERT_EQ(sizeof(count), read(self->efd[0], &count, sizeof(count)));
	EXPECT_EQ(4, count);
	EXPECT_EQ(0, info_of(self->k, self->id[0], KEEL_VDEV_INFO_A_IRQ_LOOPS));
}

TEST_HARNESS_MAIN
