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
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_NO_INT);
	GUEST_ASSERT_EQ(uart_in(UART_LCR), 0);
	GUEST_ASSERT_EQ(uart_in(UART_MCR), 0);
	GUEST_ASSERT_EQ(uart_in(UART_LSR), LSR_IDLE);
	GUEST_ASSERT_EQ(uart_in(UART_MSR), MSR_CTS | MSR_DSR | MSR_DCD);
	GUEST_ASSERT_EQ(uart_in(UART_SCR), 0);

	/* Divisor latch: behind DLAB, reset to 12 (9600 baud). */
	uart_out(UART_LCR, LCR_DLAB);
	GUEST_ASSERT_EQ(uart_in(UART_DLL), 12);
	GUEST_ASSERT_EQ(uart_in(UART_DLM), 0);
	uart_out(UART_DLL, 0x01);
	uart_out(UART_DLM, 0x02);
	GUEST_ASSERT_EQ(uart_in(UART_DLL), 0x01);
	GUEST_ASSERT_EQ(uart_in(UART_DLM), 0x02);
	uart_out(UART_LCR, LCR_8N1);
	GUEST_ASSERT_EQ(uart_in(UART_LCR), LCR_8N1);
	GUEST_ASSERT_EQ(uart_in(UART_IER), 0);	/* IER again, not DLM */
	uart_out(UART_IER, 0xff);
	GUEST_ASSERT_EQ(uart_in(UART_IER), 0x0f);	/* bits 7:4 read 0 */
	uart_out(UART_IER, 0);
	uart_out(UART_LCR, LCR_DLAB);
	GUEST_ASSERT_EQ(uart_in(UART_DLM), 0x02);	/* kept */
	uart_out(UART_LCR, LCR_8N1);

	uart_out(UART_SCR, 0x5a);
	GUEST_ASSERT_EQ(uart_in(UART_SCR), 0x5a);

	/* FCR: the FIFO bits show in IIR. */
	uart_out(UART_FCR, FCR_ENABLE | FCR_CLEAR);
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFO_ON | IIR_NO_INT);

	/* Loopback: MSR follows MCR; entering it drops CTS, DSR, DCD. */
	uart_out(UART_MCR, MCR_LOOP);
	GUEST_ASSERT_EQ(uart_in(UART_MSR), MSR_DCTS | MSR_DDSR | MSR_DDCD);
	GUEST_ASSERT_EQ(uart_in(UART_MSR), 0);	/* deltas clear on read */
	uart_out(UART_MCR, MCR_LOOP | MCR_DTR | MCR_RTS | MCR_OUT1 | MCR_OUT2);
	GUEST_ASSERT_EQ(uart_in(UART_MSR), MSR_CTS | MSR_DSR | MSR_RI |
			MSR_DCD | MSR_DCTS | MSR_DDSR | MSR_DDCD);
	/* RI's trailing edge sets TERI. */
	uart_out(UART_MCR, MCR_LOOP | MCR_DTR | MCR_RTS | MCR_OUT2);
	GUEST_ASSERT_EQ(uart_in(UART_MSR), MSR_CTS | MSR_DSR | MSR_DCD |
			MSR_TERI);

	/* Loopback data: THR to the RX FIFO, in order. */
	for (i = 0; i < 3; i++)
		uart_out(UART_THR, 'a' + i);
	GUEST_ASSERT_EQ(uart_in(UART_LSR), LSR_IDLE | LSR_DR);
	for (i = 0; i < 3; i++)
		GUEST_ASSERT_EQ(uart_in(UART_RBR), 'a' + i);
	GUEST_ASSERT_EQ(uart_in(UART_LSR), LSR_IDLE);

	/* 17 bytes into a 16-byte FIFO: overrun, the first 16 kept. */
	for (i = 0; i < 17; i++)
		uart_out(UART_THR, i);
	GUEST_ASSERT_EQ(uart_in(UART_LSR), LSR_IDLE | LSR_DR | LSR_OE);
	GUEST_ASSERT_EQ(uart_in(UART_LSR), LSR_IDLE | LSR_DR);	/* OE read */
	for (i = 0; i < 16; i++)
		GUEST_ASSERT_EQ(uart_in(UART_RBR), i);

	/* FIFOs off: one holding byte, the second overruns. */
	uart_out(UART_FCR, 0);
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_NO_INT);
	uart_out(UART_THR, 'x');
	uart_out(UART_THR, 'y');
	GUEST_ASSERT_EQ(uart_in(UART_LSR), LSR_IDLE | LSR_DR | LSR_OE);
	GUEST_ASSERT_EQ(uart_in(UART_RBR), 'x');
	GUEST_ASSERT_EQ(uart_in(UART_LSR), LSR_IDLE);

	/* IIR priority: line status > RX data > THRE > modem status. */
	uart_out(UART_FCR, FCR_ENABLE | FCR_CLEAR);
	uart_out(UART_MCR, MCR_LOOP);			/* a modem delta */
	uart_out(UART_IER, IER_ERBFI | IER_ETBEI | IER_ELSI | IER_EDSSI);
	for (i = 0; i < 17; i++)
		uart_out(UART_THR, i);			/* data + overrun */
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFO_ON | IIR_RLSI);
	uart_in(UART_LSR);
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFO_ON | IIR_RDI);
	for (i = 0; i < 16; i++)
		uart_in(UART_RBR);
	/* THRE: reading IIR that reports it acknowledges it. */
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFO_ON | IIR_THRI);
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFO_ON | IIR_MSI);
	uart_in(UART_MSR);
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFO_ON | IIR_NO_INT);

	/* Below the RX trigger level (4) data reports a character timeout. */
	uart_out(UART_FCR, FCR_ENABLE | FCR_CLEAR | FCR_TRIG_4);
	uart_out(UART_THR, 'z');
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFO_ON | IIR_CTI);
	uart_out(UART_IER, 0);
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFO_ON | IIR_NO_INT);
	GUEST_ASSERT_EQ(uart_in(UART_RBR), 'z');
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
	uint8_t iir = uart_in(UART_IIR) & IIR_ID;

	(void)frame;
	nirq++;
	last_iir = iir;
	switch (iir) {
	case IIR_RLSI:
		last_lsr = uart_in(UART_LSR);
		break;
	case IIR_RDI:
	case IIR_CTI:
		while (uart_in(UART_LSR) & LSR_DR)
			last_rx = uart_in(UART_RBR);
		break;
	case IIR_THRI:
		break;		/* the IIR read acknowledged it */
	case IIR_MSI:
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
	uart_out(UART_FCR, FCR_ENABLE | FCR_CLEAR);
	uart_out(UART_MCR, MCR_LOOP | MCR_OUT2);
	uart_in(UART_MSR);			/* the deltas of entering loop */
	sti();

	/* THR empty, as soon as it is enabled. */
	uart_out(UART_IER, IER_ETBEI);
	EXPECT_IRQ(1, IIR_THRI);

	/* RX data: a looped-back byte; the handler drains it. */
	uart_out(UART_IER, IER_ERBFI);
	uart_out(UART_THR, 'k');
	EXPECT_IRQ(2, IIR_RDI);
	GUEST_ASSERT_EQ(last_rx, 'k');

	/* Line status: an overrun with FIFOs off. */
	uart_out(UART_FCR, 0);
	uart_out(UART_IER, IER_ELSI);
	uart_out(UART_THR, 1);
	uart_out(UART_THR, 2);
	EXPECT_IRQ(3, IIR_RLSI);
	GUEST_ASSERT_EQ(last_lsr & LSR_OE, LSR_OE);
	GUEST_ASSERT_EQ(uart_in(UART_RBR), 1);

	/* Modem status: RTS loops to CTS. */
	uart_out(UART_IER, IER_EDSSI);
	uart_out(UART_MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS);
	EXPECT_IRQ(4, IIR_MSI);
	GUEST_ASSERT_EQ(last_msr & (MSR_CTS | MSR_DCTS), MSR_CTS | MSR_DCTS);

	/* OUT2 gates the line: a pending source without it raises nothing. */
	uart_out(UART_MCR, MCR_LOOP | MCR_RTS);	/* DCD falls: a delta */
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_MSI);
	GUEST_SYNC(nirq);
	GUEST_SYNC(nirq);
	GUEST_ASSERT_EQ(nirq, 4);
	uart_out(UART_MCR, MCR_LOOP | MCR_RTS | MCR_OUT2);
	EXPECT_IRQ(5, IIR_MSI);

	/* Nothing left pending, nothing else arrives. */
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_NO_INT);
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
