/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the keel_vdev tests (kselftest harness): a device on
 * /dev/keel-vdev, set up in one call, the 16550A's registers and bits,
 * and a guest that writes through the UART as a polling driver does.
 */
#ifndef VDEV_TEST_H
#define VDEV_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/keel_vdev.h>
#include <linux/serial_reg.h>

#include "kselftest_harness.h"
#include "keel_guest.h"

#define COM1		0x3f8
#define UART_LEN	8

/*
 * The 16550A's registers and bits are <linux/serial_reg.h>'s; these are
 * the tests' own combinations, and the IIR's FIFO bits, which the header
 * of an older kernel does not name (UART_IIR_FIFO_ENABLED in newer ones).
 */
#define IIR_FIFOS_ON	0xc0
#define LSR_IDLE	(UART_LSR_THRE | UART_LSR_TEMT)
/* FCR: FIFOs on, both emptied. */
#define FCR_FIFOS_CLEAR	(UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | \
			 UART_FCR_CLEAR_XMIT)

/* Guest: a register of the UART at COM1. */
static inline uint8_t uart_in(uint8_t reg)
{
	return inb(COM1 + reg);
}

static inline void uart_out(uint8_t reg, uint8_t val)
{
	outb(COM1 + reg, val);
}

/* Create a VM into @vm, or skip the test when there is no usable KVM. */
#define VM_CREATE_OR_SKIP(vm, mem_size, flags)				\
	do {								\
		(vm) = vm_create(mem_size, flags);			\
		if (!(vm) && (errno == ENOENT || errno == ENODEV ||	\
			      errno == EACCES))				\
			SKIP(return, "no usable /dev/kvm: %s",		\
			     strerror(errno));				\
		ASSERT_NE(NULL, (vm));					\
	} while (0)

/* Open /dev/keel-vdev, or skip when keel_vdev.ko is not loaded. */
#define VDEV_OPEN_OR_SKIP(fd)						\
	do {								\
		(fd) = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);	\
		if ((fd) < 0 && errno == ENOENT)			\
			SKIP(return, "keel_vdev.ko is not loaded");	\
		ASSERT_LE(0, (fd));					\
	} while (0)

#define ASSERT_UCALL(vcpu, uc, cmd)					\
	ASSERT_EQ((uint64_t)(cmd), guest_run(vcpu, &(uc)))		\
		TH_LOG("%s", ucall_str(vcpu, &(uc)))

/* No access to the UART at @port, in or out, reached the VMM. */
#define EXPECT_NO_UART_EXITS(vcpu, port)				\
	do {								\
		EXPECT_EQ(0, vcpu_exit_count_range(vcpu,		\
			KEEL_EXIT_IO_OUT, port, UART_LEN));		\
		EXPECT_EQ(0, vcpu_exit_count_range(vcpu,		\
			KEEL_EXIT_IO_IN, port, UART_LEN));		\
	} while (0)

static inline void vdev_setup_init(struct keel_vdev_setup *s, int vm_fd,
				   uint16_t port)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->vm_fd = vm_fd;
	s->model = KEEL_VDEV_MODEL_UART16550A;
	s->bus = KEEL_VDEV_BUS_PIO;
	s->len = UART_LEN;
	s->base = port;
	s->irq_fd = -1;
	s->resample_fd = -1;
}

/* ioctl() as 0 or -errno. */
static inline int vdev_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* A started UART at @port of @vm_fd: its fd, or -errno. */
static inline int vdev_uart_create(int vm_fd, uint16_t port)
{
	struct keel_vdev_setup s;
	int fd, ret;

	fd = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	vdev_setup_init(&s, vm_fd, port);
	ret = vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s);
	if (!ret)
		ret = vdev_ioctl(fd, KEEL_VDEV_IOC_START, NULL);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* Read exactly @len bytes (blocking fd), or -errno / short count. */
static inline ssize_t vdev_read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0)
			return -errno;
		if (!n)
			break;
		got += n;
	}
	return got;
}

/* Guest: send one byte through the UART at @port as a polling driver. */
static inline void guest_uart_putc(uint16_t port, uint8_t c)
{
	while (!(inb(port + UART_LSR) & UART_LSR_THRE))
		;
	outb(port + UART_TX, c);
}

/* The byte a guest sends at position @i of a test pattern. */
static inline uint8_t pattern_byte(uint64_t seed, uint64_t i)
{
	return (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

#endif /* VDEV_TEST_H */
