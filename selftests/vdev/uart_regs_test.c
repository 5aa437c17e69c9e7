// SPDX-License-Identifier: GPL-2.0
/*
 * The 16550A UART as a guest driver sees it, through the real exit hook:
 * every register after reset, the divisor latch, scratch, FCR and the
 * IIR FIFO bits, MCR loopback with the MSR status and delta bits, the
 * RX FIFO and overrun in loopback, IIR priorities; then each interrupt
 * condition (THRE, RX data, line status, modem status) raised through an
 * edge irqfd and cleared the way the 8250 driver clears it, and OUT2
 * gating the line. None of the UART accesses reaches the VMM.
 */
#include "vdev_test.h"

#define GSI		20	/* IOAPIC only: below 16 the PIC would see it too */
#define VECTOR		0x45

static void guest_registers(void)
{
	int i;

	/* After reset: nothing enabled, transmitter idle, line connected. */
	GUEST_ASSERT_EQ(uart_in(UART_IER), 0);
	GUEST_ASSERT_EQ(uart_in(UART_IIR), UART_IIR_NO_INT);
	GUEST_ASSERT_EQ(uart_in(UART_LCR), 0);
	GUEST_ASSERT_EQ(uart_in(UART_MCR), 0);
	GUEST_ASSERT_EQ(uart_in(UART_LSR), LSR_IDLE);
	GUEST_ASSERT_EQ(uart_in(UART_MSR),
			UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD);
	GUEST_ASSERT_EQ(uart_in(UART_SCR), 0);

	/* Divisor latch: behind DLAB, reset to 12 (9600 baud). */
	uart_out(UART_LCR, UART_LCR_DLAB);
	GUEST_ASSERT_EQ(uart_in(UART_DLL), 12);
	GUEST_ASSERT_EQ(uart_in(UART_DLM), 0);
	uart_out(UART_DLL, 0x01);
	uart_out(UART_DLM, 0x02);
	GUEST_ASSERT_EQ(uart_in(UART_DLL), 0x01);
	GUEST_ASSERT_EQ(uart_in(UART_DLM), 0x02);
	uart_out(UART_LCR, UART_LCR_WLEN8);
	GUEST_ASSERT_EQ(uart_in(UART_LCR), UART_LCR_WLEN8);
	GUEST_ASSERT_EQ(uart_in(UART_IER), 0);	/* IER again, not DLM */
	uart_out(UART_IER, 0xff);
	GUEST_ASSERT_EQ(uart_in(UART_IER), 0x0f);	/* bits 7:4 read 0 */
	uart_out(UART_IER, 0);
	uart_out(UART_LCR, UART_LCR_DLAB);
	GUEST_ASSERT_EQ(uart_in(UART_DLM), 0x02);	/* kept */
	uart_out(UART_LCR, UART_LCR_WLEN8);

	uart_out(UART_SCR, 0x5a);
	GUEST_ASSERT_EQ(uart_in(UART_SCR), 0x5a);

	/* FCR: the FIFO bits show in IIR. */
	uart_out(UART_FCR, FCR_FIFOS_CLEAR);
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFOS_ON | UART_IIR_NO_INT);

	/* Loopback: MSR follows MCR; entering it drops CTS, DSR, DCD. */
	uart_out(UART_MCR, UART_MCR_LOOP);
	GUEST_ASSERT_EQ(uart_in(UART_MSR),
			UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
	GUEST_ASSERT_EQ(uart_in(UART_MSR), 0);	/* deltas clear on read */
	uart_out(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_RTS |
		 UART_MCR_OUT1 | UART_MCR_OUT2);
	GUEST_ASSERT_EQ(uart_in(UART_MSR),
			UART_MSR_CTS | UART_MSR_DSR | UART_MSR_RI |
			UART_MSR_DCD | UART_MSR_DCTS | UART_MSR_DDSR |
			UART_MSR_DDCD);
	/* RI's trailing edge sets TERI. */
	uart_out(UART_MCR,
		 UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
	GUEST_ASSERT_EQ(uart_in(UART_MSR),
			UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD |
			UART_MSR_TERI);

	/* Loopback data: THR to the RX FIFO, in order. */
	for (i = 0; i < 3; i++)
		uart_out(UART_TX, 'a' + i);
	GUEST_ASSERT_EQ(uart_in(UART_LSR), LSR_IDLE | UART_LSR_DR);
	for (i = 0; i < 3; i++)
		GUEST_ASSERT_EQ(uart_in(UART_RX), 'a' + i);
	GUEST_ASSERT_EQ(uart_in(UART_LSR), LSR_IDLE);

	/* 17 bytes into a 16-byte FIFO: overrun, the first 16 kept. */
	for (i = 0; i < 17; i++)
		uart_out(UART_TX, i);
	GUEST_ASSERT_EQ(uart_in(UART_LSR),
			LSR_IDLE | UART_LSR_DR | UART_LSR_OE);
	/* OE read */
	GUEST_ASSERT_EQ(uart_in(UART_LSR), LSR_IDLE | UART_LSR_DR);
	for (i = 0; i < 16; i++)
		GUEST_ASSERT_EQ(uart_in(UART_RX), i);

	/* FIFOs off: one holding byte, the second overruns. */
	uart_out(UART_FCR, 0);
	GUEST_ASSERT_EQ(uart_in(UART_IIR), UART_IIR_NO_INT);
	uart_out(UART_TX, 'x');
	uart_out(UART_TX, 'y');
	GUEST_ASSERT_EQ(uart_in(UART_LSR),
			LSR_IDLE | UART_LSR_DR | UART_LSR_OE);
	GUEST_ASSERT_EQ(uart_in(UART_RX), 'x');
	GUEST_ASSERT_EQ(uart_in(UART_LSR), LSR_IDLE);

	/* IIR priority: line status > RX data > THRE > modem status. */
	uart_out(UART_FCR, FCR_FIFOS_CLEAR);
	uart_out(UART_MCR, UART_MCR_LOOP);		/* a modem delta */
	uart_out(UART_IER,
		 UART_IER_RDI | UART_IER_THRI | UART_IER_RLSI | UART_IER_MSI);
	for (i = 0; i < 17; i++)
		uart_out(UART_TX, i);		/* data + overrun */
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFOS_ON | UART_IIR_RLSI);
	uart_in(UART_LSR);
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFOS_ON | UART_IIR_RDI);
	for (i = 0; i < 16; i++)
		uart_in(UART_RX);
	/* THRE: reading IIR that reports it acknowledges it. */
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFOS_ON | UART_IIR_THRI);
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFOS_ON | UART_IIR_MSI);
	uart_in(UART_MSR);
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFOS_ON | UART_IIR_NO_INT);

	/* Below the RX trigger level (4) data reports a character timeout. */
	uart_out(UART_FCR, FCR_FIFOS_CLEAR | UART_FCR_TRIGGER_4);
	uart_out(UART_TX, 'z');
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFOS_ON | UART_IIR_RX_TIMEOUT);
	uart_out(UART_IER, 0);
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFOS_ON | UART_IIR_NO_INT);
	GUEST_ASSERT_EQ(uart_in(UART_RX), 'z');
	GUEST_DONE();
}

FIXTURE(uart) {
	int unused;
};

FIXTURE_SETUP(uart)
{
}

FIXTURE_TEARDOWN(uart)
{
}

TEST_F_TIMEOUT(uart, registers, 120)
{
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	struct ucall uc;
	int fd;

	VDEV_OPEN_OR_SKIP(fd);
	close(fd);
	VM_CREATE_OR_SKIP(vm, 0, 0);
	vcpu = vm_vcpu_add(vm, guest_registers);
	ASSERT_NE(NULL, vcpu);
	fd = vdev_uart_create(vm->fd, COM1);
	ASSERT_LE(0, fd);

	ASSERT_UCALL(vcpu, uc, UCALL_DONE);
	EXPECT_NO_UART_EXITS(vcpu, COM1);
	close(fd);
	vm_free(vm);
}

/* ---- interrupt conditions through the irqfd ---- */

static volatile uint64_t nirq;
static volatile uint8_t last_iir, last_lsr, last_msr, last_rx;

/* What the 8250 driver does: read IIR, clear the source it names. */
static void uart_irq(struct guest_irq_frame *frame)
{
	uint8_t iir = uart_in(UART_IIR) & (UART_IIR_ID | UART_IIR_NO_INT);

	(void)frame;
	nirq++;
	last_iir = iir;
	switch (iir) {
	case UART_IIR_RLSI:
		last_lsr = uart_in(UART_LSR);
		break;
	case UART_IIR_RDI:
	case UART_IIR_RX_TIMEOUT:
		while (uart_in(UART_LSR) & UART_LSR_DR)
			last_rx = uart_in(UART_RX);
		break;
	case UART_IIR_THRI:
		break;		/* the IIR read acknowledged it */
	case UART_IIR_MSI:
		last_msr = uart_in(UART_MSR);
		break;
	}
}

static void wait_irqs(uint64_t n)
{
	cli();
	while (nirq < n) {
		safe_halt();
		cli();
	}
	sti();
}

/* Wait for interrupt number @n; the handler saw IIR report @iid. */
#define EXPECT_IRQ(n, iid)						\
	do {								\
		wait_irqs(n);						\
		GUEST_ASSERT_EQ(nirq, (n));				\
		GUEST_ASSERT_EQ(last_iir, (iid));			\
	} while (0)

static void guest_interrupts(void)
{
	guest_irq_handler_set(VECTOR, uart_irq);
	lapic_enable();
	ioapic_route(GSI, VECTOR, false, 0);
	uart_out(UART_FCR, FCR_FIFOS_CLEAR);
	uart_out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	uart_in(UART_MSR);		/* the deltas of entering loop */
	sti();

	/* THR empty, as soon as it is enabled. */
	uart_out(UART_IER, UART_IER_THRI);
	EXPECT_IRQ(1, UART_IIR_THRI);

	/* RX data: a looped-back byte; the handler drains it. */
	uart_out(UART_IER, UART_IER_RDI);
	uart_out(UART_TX, 'k');
	EXPECT_IRQ(2, UART_IIR_RDI);
	GUEST_ASSERT_EQ(last_rx, 'k');

	/* Line status: an overrun with FIFOs off. */
	uart_out(UART_FCR, 0);
	uart_out(UART_IER, UART_IER_RLSI);
	uart_out(UART_TX, 1);
	uart_out(UART_TX, 2);
	EXPECT_IRQ(3, UART_IIR_RLSI);
	GUEST_ASSERT_EQ(last_lsr & UART_LSR_OE, UART_LSR_OE);
	GUEST_ASSERT_EQ(uart_in(UART_RX), 1);

	/* Modem status: RTS loops to CTS. */
	uart_out(UART_IER, UART_IER_MSI);
	uart_out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
	EXPECT_IRQ(4, UART_IIR_MSI);
	GUEST_ASSERT_EQ(last_msr & (UART_MSR_CTS | UART_MSR_DCTS),
			UART_MSR_CTS | UART_MSR_DCTS);

	/* OUT2 gates the line: a pending source without it raises nothing. */
	/* DCD falls: a delta */
	uart_out(UART_MCR, UART_MCR_LOOP | UART_MCR_RTS);
	GUEST_ASSERT_EQ(uart_in(UART_IIR), UART_IIR_MSI);
	GUEST_SYNC(nirq);
	GUEST_SYNC(nirq);
	GUEST_ASSERT_EQ(nirq, 4);
	uart_out(UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_OUT2);
	EXPECT_IRQ(5, UART_IIR_MSI);

	/* Nothing left pending, nothing else arrives. */
	GUEST_ASSERT_EQ(uart_in(UART_IIR), UART_IIR_NO_INT);
	GUEST_SYNC(nirq);
	GUEST_ASSERT_EQ(nirq, 5);
	GUEST_DONE();
}

TEST_F_TIMEOUT(uart, interrupts, 120)
{
	struct keel_vdev_setup s;
	struct keel_irqfd *irqfd;
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	struct ucall uc;
	int fd, i;

	VDEV_OPEN_OR_SKIP(fd);
	VM_CREATE_OR_SKIP(vm, 0, KEEL_VM_IRQCHIP);
	irqfd = vm_irqfd_add(vm, GSI, false);
	ASSERT_NE(NULL, irqfd);
	vcpu = vm_vcpu_add(vm, guest_interrupts);
	ASSERT_NE(NULL, vcpu);

	vdev_setup_init(&s, vm->fd, COM1);
	s.flags = KEEL_VDEV_SETUP_IRQFD;
	s.irq_fd = irqfd->fd;
	ASSERT_EQ(0, vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s));
	ASSERT_EQ(0, vdev_ioctl(fd, KEEL_VDEV_IOC_START, NULL));

	for (i = 0; i < 3; i++) {
		ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
		EXPECT_EQ(i < 2 ? 4 : 5, uc.args[0]);
	}
	ASSERT_UCALL(vcpu, uc, UCALL_DONE);
	EXPECT_NO_UART_EXITS(vcpu, COM1);
	close(fd);
	vm_free(vm);
}

TEST_HARNESS_MAIN
