// SPDX-License-Identifier: GPL-2.0
/*
 * Host -> guest bytes and interrupts: the VMM writes bytes to the device
 * fd; the UART raises its receive interrupt through the irqfd, edge mode
 * (one signal per rising edge, the guest drains the FIFO) and level mode
 * (a resample eventfd: the guest takes one byte per interrupt, and Keel
 * re-asserts the line after each EOI while data is still pending). No UART
 * access and no interrupt needs the VMM.
 */
#include <poll.h>

#include "vdev_test.h"

#define GSI		20	/* IOAPIC only: below 16 the PIC would see it too */
#define VECTOR		0x44

static const char msg[] = "keel: bytes from the host";

static volatile uint64_t nirq, nrx, drain_all;
static volatile uint8_t rxbuf[64];

static void uart_irq(struct guest_irq_frame *frame)
{
	(void)frame;
	nirq++;
	do {
		if (!(inb(COM1 + UART_LSR) & UART_LSR_DR))
			break;
		rxbuf[nrx++ & 63] = inb(COM1 + UART_RX);
	} while (drain_all);
}

static void guest_rx(uint64_t level, uint64_t n, uint64_t drain)
{
	drain_all = drain;
	guest_irq_handler_set(VECTOR, uart_irq);
	lapic_enable();
	ioapic_route(GSI, VECTOR, level, 0);
	outb(COM1 + UART_IER, UART_IER_RDI);
	outb(COM1 + UART_MCR, UART_MCR_OUT2);
	sti();
	GUEST_SYNC(nirq);
	cli();
	while (nrx < n) {
		safe_halt();
		cli();
	}
	sti();
	GUEST_SYNC(nirq);
	GUEST_DONE();
}

static void rx_test(struct __test_metadata *_metadata, bool level, bool drain)
{
	struct keel_vdev_setup s;
	struct keel_irqfd *irqfd;
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	struct pollfd pfd;
	struct ucall uc;
	size_t n = sizeof(msg) - 1;
	uint8_t *buf;
	int fd;

	VDEV_OPEN_OR_SKIP(fd);
	VM_CREATE_OR_SKIP(vm, 0, KEEL_VM_IRQCHIP);
	irqfd = vm_irqfd_add(vm, GSI, level);
	ASSERT_NE(NULL, irqfd);
	vcpu = vm_vcpu_add(vm, guest_rx);
	ASSERT_NE(NULL, vcpu);
	ASSERT_EQ(0, vcpu_args_set(vcpu, level, n, drain));

	vdev_setup_init(&s, vm->fd, COM1);
	s.flags = KEEL_VDEV_SETUP_IRQFD;
	s.irq_fd = irqfd->fd;
	if (level) {
		s.flags |= KEEL_VDEV_SETUP_RESAMPLE;
		s.resample_fd = irqfd->resample_fd;
	}
	ASSERT_EQ(0, vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s));
	ASSERT_EQ(0, vdev_ioctl(fd, KEEL_VDEV_IOC_START, NULL));

	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);	/* no interrupt without data */
	/* Nothing for the host to read, room to write. */
	pfd.fd = fd;
	pfd.events = POLLIN | POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);

	ASSERT_EQ((ssize_t)n, write(fd, msg, n));
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	if (level) {
		EXPECT_EQ(n, uc.args[0]);	/* one byte per interrupt */
	} else {
		EXPECT_LE(1, uc.args[0]);
	}
	buf = (uint8_t *)vm_guest_ptr(vm, (uint8_t(*)[64])rxbuf);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(0, memcmp(buf, msg, n));
	ASSERT_UCALL(vcpu, uc, UCALL_DONE);

	/* The UART and the interrupts never needed the VMM. */
	EXPECT_NO_UART_EXITS(vcpu, COM1);
	close(fd);
	vm_free(vm);
}

FIXTURE(t) {
	int unused;
};

FIXTURE_SETUP(t)
{
}

FIXTURE_TEARDOWN(t)
{
}

TEST_F_TIMEOUT(t, edge_irqfd_rx, 120)
{
	rx_test(_metadata, false, true);
}

TEST_F_TIMEOUT(t, level_irqfd_rx_one_byte_per_eoi, 120)
{
	rx_test(_metadata, true, false);
}

TEST_HARNESS_MAIN
