// SPDX-License-Identifier: GPL-2.0
/*
 * A UART saved mid-transfer and resumed in a second VM: bytes in both
 * FIFOs and in both host streams, an interrupt pending, DLAB set. The
 * guest of the second VM takes the pending interrupt, reads the same
 * registers and the same received bytes, and the host reads the first
 * guest's output from the second device. Also: save -> load -> save
 * gives identical blobs, and a stopped device leaves accesses to the VMM.
 */
#include "state_test.h"

#define GSI		20
#define VECTOR		0x46
#define HOST_STREAM	4096	/* the device's host-side buffers */
#define TX_EXTRA	8	/* left in the TX FIFO once the stream is full */
#define RX_BYTES	20	/* 16 in the RX FIFO, 4 in the host stream */

/* The first VM: configure, receive, transmit until the stream is full. */
static void guest_source(void)
{
	int i;

	uart_out(UART_FCR, UART_FCR_ENABLE_FIFO);
	uart_out(UART_LCR, UART_LCR_DLAB);
	uart_out(UART_DLL, 0x34);
	uart_out(UART_DLM, 0x12);
	uart_out(UART_LCR, UART_LCR_WLEN8);
	uart_out(UART_SCR, 0x5a);
	uart_out(UART_MCR, UART_MCR_OUT2);
	uart_out(UART_IER, UART_IER_RDI);
	GUEST_SYNC(1);		/* the host sends RX_BYTES */

	for (i = 0; i < HOST_STREAM + TX_EXTRA; i++)
		outb(COM1 + UART_TX, pattern_byte(1, i));
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFOS_ON | UART_IIR_RDI);
	GUEST_ASSERT_EQ(uart_in(UART_LSR) & (UART_LSR_DR | UART_LSR_THRE),
			UART_LSR_DR);
	uart_out(UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8);
	GUEST_SYNC(2);		/* the host stops and saves the device */

	/* Stopped: this read leaves to the VMM, which answers 0xee. */
	GUEST_ASSERT_EQ(uart_in(UART_SCR), 0xee);
	GUEST_DONE();
}

static volatile uint64_t nirq;
static volatile uint8_t irq_iir;

static void dest_irq(struct guest_irq_frame *frame)
{
	(void)frame;
	nirq++;
	irq_iir = uart_in(UART_IIR);
}

/* The second VM: continue where the first one stopped. */
static void guest_dest(void)
{
	int i;

	guest_irq_handler_set(VECTOR, dest_irq);
	lapic_enable();
	ioapic_route(GSI, VECTOR, false, 0);
	/*
	 * The interrupt controller is ready (in a real migration it comes
	 * with the VM): now the host resumes the device, which raises the
	 * pending interrupt again.
	 */
	GUEST_SYNC(1);
	/*
	 * The interrupt was raised while this vCPU was out in the VMM, so it
	 * is pending when the guest reaches the STI: the shadow must hold it
	 * until the HLT (see lib_test/halt_wake_test).
	 */
	while (!nirq) {
		safe_halt();
		cli();
	}
	sti();
	GUEST_ASSERT_EQ(nirq, 1);
	GUEST_ASSERT_EQ(irq_iir, IIR_FIFOS_ON | UART_IIR_RDI);

	GUEST_ASSERT_EQ(uart_in(UART_LCR), UART_LCR_DLAB | UART_LCR_WLEN8);
	GUEST_ASSERT_EQ(uart_in(UART_DLL), 0x34);
	GUEST_ASSERT_EQ(uart_in(UART_DLM), 0x12);
	uart_out(UART_LCR, UART_LCR_WLEN8);
	GUEST_ASSERT_EQ(uart_in(UART_IER), UART_IER_RDI);
	GUEST_ASSERT_EQ(uart_in(UART_MCR), UART_MCR_OUT2);
	GUEST_ASSERT_EQ(uart_in(UART_SCR), 0x5a);
	for (i = 0; i < RX_BYTES; i++) {
		GUEST_ASSERT_EQ(uart_in(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
		GUEST_ASSERT_EQ(uart_in(UART_RX), pattern_byte(2, i));
	}
	GUEST_ASSERT_EQ(uart_in(UART_LSR) & UART_LSR_DR, 0);
	GUEST_ASSERT_EQ(uart_in(UART_IIR), IIR_FIFOS_ON | UART_IIR_NO_INT);
	GUEST_DONE();
}

static bool vmm_uart(struct keel_vcpu *vcpu, uint16_t port, bool write,
		     void *data, unsigned int size, void *opaque)
{
	(void)vcpu, (void)port, (void)opaque;
	if (!write)
		memset(data, 0xee, size);
	return true;
}

FIXTURE(migrate) {
	int unused;
};

FIXTURE_SETUP(migrate)
{
}

FIXTURE_TEARDOWN(migrate)
{
}

TEST_F_TIMEOUT(migrate, uart_mid_transfer, 180)
{
	struct blob saved = {}, again = {}, bad = {};
	struct keel_state_info info;
	struct keel_vcpu *va, *vb;
	struct keel_irqfd *irqfd;
	struct keel_vm *a, *b;
	uint8_t rx[RX_BYTES], *tx;
	struct ucall uc;
	int fa, fb, i;

	VDEV_OPEN_OR_SKIP(fa);
	close(fa);
	VM_CREATE_OR_SKIP(a, 0, 0);
	va = vm_vcpu_add(a, guest_source);
	ASSERT_NE(NULL, va);
	ASSERT_EQ(0, vm_pio_handler_add(a, COM1, UART_LEN, vmm_uart, NULL));
	fa = state_uart_setup(a->fd, -1);
	ASSERT_LE(0, fa);
	/* A new device is stopped; START is RESUME. */
	ASSERT_EQ(0, state_info(fa, &info));
	EXPECT_EQ(KEEL_STATE_STOPPED, info.state);
	EXPECT_EQ(KEEL_STATE_TYPE_VDEV_UART16550A, info.type);
	EXPECT_EQ(KEEL_STATE_FORMAT, info.format);
	ASSERT_EQ(0, state_simple(fa, KEEL_STATE_IOC_RESUME));
	EXPECT_EQ(-EALREADY, state_simple(fa, KEEL_STATE_IOC_RESUME));

	ASSERT_UCALL(va, uc, UCALL_SYNC);
	for (i = 0; i < RX_BYTES; i++)
		rx[i] = pattern_byte(2, i);
	ASSERT_EQ(RX_BYTES, write(fa, rx, RX_BYTES));
	ASSERT_UCALL(va, uc, UCALL_SYNC);
	EXPECT_NO_UART_EXITS(va, COM1);
	TH_LOG("first guest stopped mid-transfer");

	/* Running: no snapshot. */
	EXPECT_EQ(-EBUSY, state_save(fa, &saved));
	ASSERT_EQ(0, state_simple(fa, KEEL_STATE_IOC_STOP));
	EXPECT_EQ(-EALREADY, state_simple(fa, KEEL_STATE_IOC_STOP));
	ASSERT_EQ(0, state_save(fa, &saved));

	/* save -> load -> save: the same bytes. */
	ASSERT_EQ(0, state_load(fa, saved.buf, saved.len));
	ASSERT_EQ(0, state_save(fa, &again));
	EXPECT_TRUE(blob_eq(&saved, &again));
	blob_free(&again);
	ASSERT_EQ(0, state_info(fa, &info));
	EXPECT_EQ(2, info.saves);
	EXPECT_EQ(1, info.loads);

	/* The stopped device of the first VM: the access exits. */
	ASSERT_UCALL(va, uc, UCALL_DONE);
	EXPECT_EQ(1, vcpu_exit_count_range(va, KEEL_EXIT_IO_IN, COM1,
					   UART_LEN));

	/* The second VM, its device set up but never run. */
	VM_CREATE_OR_SKIP(b, 0, KEEL_VM_IRQCHIP);
	irqfd = vm_irqfd_add(b, GSI, false);
	ASSERT_NE(NULL, irqfd);
	vb = vm_vcpu_add(b, guest_dest);
	ASSERT_NE(NULL, vb);
	fb = state_uart_setup(b->fd, irqfd->fd);
	ASSERT_LE(0, fb);
	/* A blob of another length is refused and changes nothing. */
	bad = saved;
	bad.len--;
	ASSERT_EQ(0, state_save(fb, &again));
	EXPECT_NE(0, state_load(fb, bad.buf, bad.len));
	ASSERT_EQ(0, state_save(fb, &bad));
	EXPECT_TRUE(blob_eq(&again, &bad));
	blob_free(&again);
	blob_free(&bad);

	ASSERT_EQ(0, state_load(fb, saved.buf, saved.len));
	ASSERT_EQ(0, state_save(fb, &again));
	EXPECT_TRUE(blob_eq(&saved, &again));
	blob_free(&again);
	ASSERT_UCALL(vb, uc, UCALL_SYNC);
	TH_LOG("second guest ready, resuming its UART");
	ASSERT_EQ(0, state_simple(fb, KEEL_STATE_IOC_RESUME));
	ASSERT_UCALL(vb, uc, UCALL_DONE);
	EXPECT_NO_UART_EXITS(vb, COM1);

	/* What the first guest sent comes out of the second device. */
	tx = malloc(HOST_STREAM + TX_EXTRA);
	ASSERT_NE(NULL, tx);
	ASSERT_EQ(HOST_STREAM + TX_EXTRA,
		  vdev_read_all(fb, tx, HOST_STREAM + TX_EXTRA));
	for (i = 0; i < HOST_STREAM + TX_EXTRA; i++)
		ASSERT_EQ(pattern_byte(1, i), tx[i]) TH_LOG("byte %d", i);
	free(tx);

	blob_free(&saved);
	close(fa);
	close(fb);
	vm_free(a);
	vm_free(b);
}

TEST_HARNESS_MAIN
