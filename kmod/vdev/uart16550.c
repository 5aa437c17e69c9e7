// SPDX-License-Identifier: GPL-2.0
/*
 * The 16550A UART device model: registers, 16-byte RX/TX FIFOs, the
 * interrupt identification logic, loopback, and the saved-state format.
 * It owns dev->model_state (struct uart16550) and moves bytes between its
 * FIFOs and the host streams dev->io->tx / dev->io->rx. It is pure
 * logic: the framework owns the claimed I/O range, the streams, the irqfd
 * and the VMM's fd.
 *
 * Locking: every callback runs with dev->lock held and interrupts off
 * (asserted below); nothing here sleeps or allocates.
 *
 * Modelling choices:
 * - The transmitter is instant: a byte leaves the TX FIFO for dev->io->tx as
 *   soon as dev->io->tx has room. With dev->io->tx full it waits in the TX FIFO
 *   and LSR.THRE/TEMT stay clear. A THR write into a full TX FIFO is lost
 *   (the queued bytes are kept in order) and counted in tx_dropped.
 * - Bytes in dev->io->rx are never lost: they wait until the RX FIFO has room.
 *   OE is only set in loopback, where a byte looped into a full RX FIFO is
 *   lost as on the real chip.
 * - There is no time: with FIFOs on, data below the trigger level raises
 *   the character timeout interrupt (IIR 0xC) at once.
 * - The interrupt line is (an enabled source is pending) && MCR.OUT2, as
 *   on PCs where OUT2 gates the UART's IRQ; it is reported to the
 *   framework with keel_vdev_set_irq() after every callback.
 * - A 2- or 4-byte access is a run of byte accesses at offset, offset+1,
 *   ... as an 8-bit bus splits it; bytes past the last register read 0xff
 *   and ignore writes.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/string.h>
#include <linux/serial_reg.h>

#include "uart16550.h"

/* Register offsets. */
/*
 * Register offsets and bits are <linux/serial_reg.h>'s; these few are
 * the model's own masks.
 */
#define KEEL_UART_NR_REGS	8
#define KEEL_UART_IER_MASK	(UART_IER_RDI | UART_IER_THRI | \
				 UART_IER_RLSI | UART_IER_MSI)
/* IIR bits 7:6 with FIFOs on (UART_IIR_FIFO_ENABLED in newer headers) */
#define KEEL_UART_IIR_FIFOS	0xc0
/* The FCR bits a 16550A keeps: enable, DMA mode, trigger level */
#define KEEL_UART_FCR_KEPT	(UART_FCR_ENABLE_FIFO | UART_FCR_DMA_SELECT | \
				 UART_FCR_TRIGGER_MASK)
#define KEEL_UART_MCR_MASK	(UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT1 | \
				 UART_MCR_OUT2 | UART_MCR_LOOP)
#define KEEL_UART_LSR_ERR_MASK	UART_LSR_OE
/* MSR bits 7:4 of an idle, connected line: CTS, DSR and DCD asserted */
#define KEEL_UART_MSR_LINE_IDLE	(UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD)

/* Divisor latch after reset: 12 = 9600 baud at 1.8432 MHz, as firmware. */
#define KEEL_UART_RESET_DIVISOR	12

/* Model state, in dev->model_state. Only touched under dev->lock. */
struct uart16550 {
	u8 rx_fifo[KEEL_UART_FIFO_SIZE];	/* ring: received bytes */
	u8 tx_fifo[KEEL_UART_FIFO_SIZE];	/* ring: bytes to transmit */
	u8 rx_head;		/* index of the oldest RX byte */
	u8 rx_count;		/* RX bytes queued (<= capacity) */
	u8 tx_head;		/* index of the oldest TX byte */
	u8 tx_count;		/* TX bytes waiting for room in dev->io->tx */
	u8 ier;			/* interrupt enable, bits 3:0 */
	u8 lcr;			/* line control; bit 7 is DLAB */
	u8 mcr;			/* modem control, bits 4:0 */
	u8 lsr_err;		/* latched LSR error bits (OE) */
	u8 msr_delta;		/* latched MSR delta bits 3:0 */
	u8 scr;			/* scratch */
	u8 dll;			/* divisor latch, low byte */
	u8 dlm;			/* divisor latch, high byte */
	u8 fcr;			/* KEEL_UART_FCR_KEPT bits as written; 0 = FIFOs off */
	bool thr_ipending;	/* THRE interrupt latch */
	u32 tx_dropped;		/* THR writes lost to a full TX FIFO */
};

static const u8 uart_trigger_levels[4] = { 1, 4, 8, 14 };

static struct uart16550 *uart_of(struct keel_vdev *dev)
{
	lockdep_assert_held(&dev->lock);
	return dev->model_state;
}

static bool uart_fifo_on(const struct uart16550 *u)
{
	return u->fcr & UART_FCR_ENABLE_FIFO;
}

/* With FIFOs off, RBR and THR are 1-byte holding registers. */
static unsigned int uart_capacity(const struct uart16550 *u)
{
	return uart_fifo_on(u) ? KEEL_UART_FIFO_SIZE : 1;
}

static bool uart_loopback(const struct uart16550 *u)
{
	return u->mcr & UART_MCR_LOOP;
}

/* MSR bits 7:4 as the line (or, in loopback, MCR) drives them. */
static u8 uart_msr_status(u8 mcr)
{
	u8 msr = 0;

	if (!(mcr & UART_MCR_LOOP))
		return KEEL_UART_MSR_LINE_IDLE;
	if (mcr & UART_MCR_RTS)
		msr |= UART_MSR_CTS;
	if (mcr & UART_MCR_DTR)
		msr |= UART_MSR_DSR;
	if (mcr & UART_MCR_OUT1)
		msr |= UART_MSR_RI;
	if (mcr & UART_MCR_OUT2)
		msr |= UART_MSR_DCD;
	return msr;
}

/* Delta bits for a status change; TERI is set on RI's trailing edge. */
static u8 uart_msr_deltas(u8 old, u8 new)
{
	u8 changed = old ^ new;
	u8 delta = 0;

	if (changed & UART_MSR_CTS)
		delta |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		delta |= UART_MSR_DDSR;
	if ((old & UART_MSR_RI) && !(new & UART_MSR_RI))
		delta |= UART_MSR_TERI;
	if (changed & UART_MSR_DCD)
		delta |= UART_MSR_DDCD;
	return delta;
}

static void uart_rx_push(struct uart16550 *u, u8 c)
{
	u->rx_fifo[(u->rx_head + u->rx_count) % KEEL_UART_FIFO_SIZE] = c;
	u->rx_count++;
}

static u8 uart_rx_pop(struct uart16550 *u)
{
	u8 c = u->rx_fifo[u->rx_head];

	u->rx_head = (u->rx_head + 1) % KEEL_UART_FIFO_SIZE;
	u->rx_count--;
	return c;
}

static void uart_tx_push(struct uart16550 *u, u8 c)
{
	u->tx_fifo[(u->tx_head + u->tx_count) % KEEL_UART_FIFO_SIZE] = c;
	u->tx_count++;
}

static u8 uart_tx_pop(struct uart16550 *u)
{
	u8 c = u->tx_fifo[u->tx_head];

	u->tx_head = (u->tx_head + 1) % KEEL_UART_FIFO_SIZE;
	u->tx_count--;
	return c;
}

static void uart_rx_clear(struct uart16550 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/* Emptying a non-empty TX FIFO raises the THRE interrupt latch. */
static void uart_tx_clear(struct uart16550 *u)
{
	if (u->tx_count)
		u->thr_ipending = true;
	u->tx_head = 0;
	u->tx_count = 0;
}

/* Move bytes the VMM wrote into the RX FIFO while it has room. */
static void uart_fill_rx(struct keel_vdev *dev, struct uart16550 *u)
{
	unsigned int moved = 0;
	u8 c;

	if (uart_loopback(u))
		return;		/* the receiver hears the transmitter only */
	while (u->rx_count < uart_capacity(u) && kfifo_get(&dev->io->rx, &c)) {
		uart_rx_push(u, c);
		moved++;
	}
	if (moved) {
		dev->io->bytes_in += moved;
		keel_vdev_host_notify(dev);
	}
}

/* A transmitted byte in loopback: into the RX FIFO, or an overrun. */
static void uart_loop_byte(struct uart16550 *u, u8 c)
{
	if (u->rx_count < uart_capacity(u))
		uart_rx_push(u, c);
	else
		u->lsr_err |= UART_LSR_OE;
}

/*
 * The transmitter: move TX FIFO bytes out, in order, to dev->io->tx (or the
 * receiver in loopback) while there is room. The THRE latch is raised
 * when the FIFO becomes empty.
 */
static void uart_drain_tx(struct keel_vdev *dev, struct uart16550 *u)
{
	unsigned int sent = 0;

	if (!u->tx_count)
		return;
	while (u->tx_count) {
		if (uart_loopback(u)) {
			uart_loop_byte(u, uart_tx_pop(u));
			continue;
		}
		if (!kfifo_put(&dev->io->tx, u->tx_fifo[u->tx_head]))
			break;
		uart_tx_pop(u);
		sent++;
	}
	if (!u->tx_count)
		u->thr_ipending = true;
	if (sent) {
		dev->io->bytes_out += sent;
		keel_vdev_host_notify(dev);
	}
}

/* The highest-priority pending enabled interrupt, as IIR bits 3:0. */
static u8 uart_pending(const struct uart16550 *u)
{
	if ((u->ier & UART_IER_RLSI) && u->lsr_err)
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && u->rx_count) {
		if (uart_fifo_on(u) &&
		    u->rx_count < uart_trigger_levels[u->fcr >> 6])
			return UART_IIR_RX_TIMEOUT;
		return UART_IIR_RDI;
	}
	if ((u->ier & UART_IER_THRI) && u->thr_ipending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && u->msr_delta)
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

/* Report the interrupt line: an enabled source pending, gated by OUT2. */
static void uart_update_irq(struct keel_vdev *dev, struct uart16550 *u)
{
	bool level = uart_pending(u) != UART_IIR_NO_INT && (u->mcr & UART_MCR_OUT2);

	keel_vdev_set_irq(dev, level);
}

static u8 uart_read_iir(struct uart16550 *u)
{
	u8 iir = uart_pending(u);

	/* Reading IIR acknowledges a THRE interrupt it reports. */
	if (iir == UART_IIR_THRI)
		u->thr_ipending = false;
	if (uart_fifo_on(u))
		iir |= KEEL_UART_IIR_FIFOS;
	return iir;
}

static u8 uart_read_lsr(struct uart16550 *u)
{
	u8 lsr = u->lsr_err;

	if (u->rx_count)
		lsr |= UART_LSR_DR;
	if (!u->tx_count)
		lsr |= UART_LSR_THRE | UART_LSR_TEMT;
	u->lsr_err = 0;		/* reading LSR clears the error bits */
	return lsr;
}

static u8 uart_read_msr(struct uart16550 *u)
{
	u8 msr = uart_msr_status(u->mcr) | u->msr_delta;

	u->msr_delta = 0;
	return msr;
}

static u8 uart_read_rbr(struct keel_vdev *dev, struct uart16550 *u)
{
	u8 c;

	if (!u->rx_count)
		return 0;
	c = uart_rx_pop(u);
	uart_fill_rx(dev, u);
	return c;
}

static u8 uart_read_reg(struct keel_vdev *dev, struct uart16550 *u,
			u32 offset)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (offset) {
	case UART_RX:
		return dlab ? u->dll : uart_read_rbr(dev, u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		return uart_read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return uart_read_lsr(u);
	case UART_MSR:
		return uart_read_msr(u);
	case UART_SCR:
		return u->scr;
	}
	return 0xff;		/* past the registers: a floating bus */
}

static void uart_write_thr(struct keel_vdev *dev, struct uart16550 *u, u8 c)
{
	u->thr_ipending = false;	/* writing THR acknowledges THRE */
	if (u->tx_count < uart_capacity(u))
		uart_tx_push(u, c);
	else
		u->tx_dropped++;
	uart_drain_tx(dev, u);
}

static void uart_write_ier(struct uart16550 *u, u8 val)
{
	u8 ier = val & KEEL_UART_IER_MASK;

	/* Enabling ETBEI with THR empty raises the THRE interrupt. */
	if ((ier & ~u->ier & UART_IER_THRI) && !u->tx_count)
		u->thr_ipending = true;
	u->ier = ier;
}

static void uart_write_fcr(struct keel_vdev *dev, struct uart16550 *u,
			   u8 val)
{
	/* Changing the enable bit clears both FIFOs. */
	if ((val ^ u->fcr) & UART_FCR_ENABLE_FIFO) {
		uart_rx_clear(u);
		uart_tx_clear(u);
	}
	/* The other bits are only programmed together with UART_FCR_ENABLE_FIFO. */
	if (!(val & UART_FCR_ENABLE_FIFO)) {
		u->fcr = 0;
	} else {
		u->fcr = val & KEEL_UART_FCR_KEPT;
		if (val & UART_FCR_CLEAR_RCVR)
			uart_rx_clear(u);
		if (val & UART_FCR_CLEAR_XMIT)
			uart_tx_clear(u);
	}
	uart_fill_rx(dev, u);
}

static void uart_write_mcr(struct keel_vdev *dev, struct uart16550 *u,
			   u8 val)
{
	u8 old = uart_msr_status(u->mcr);

	u->mcr = val & KEEL_UART_MCR_MASK;
	u->msr_delta |= uart_msr_deltas(old, uart_msr_status(u->mcr));
	/* Leaving loopback reconnects the line; entering it the receiver. */
	uart_drain_tx(dev, u);
	uart_fill_rx(dev, u);
}

static void uart_write_reg(struct keel_vdev *dev, struct uart16550 *u,
			   u32 offset, u8 val)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (offset) {
	case UART_TX:
		if (dlab)
			u->dll = val;
		else
			uart_write_thr(dev, u, val);
		break;
	case UART_IER:
		if (dlab)
			u->dlm = val;
		else
			uart_write_ier(u, val);
		break;
	case UART_FCR:
		uart_write_fcr(dev, u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		uart_write_mcr(dev, u, val);
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default:
		break;		/* LSR, MSR (factory test) and past the end */
	}
}

static void uart16550_reset(struct keel_vdev *dev)
{
	struct uart16550 *u = uart_of(dev);

	memset(u, 0, sizeof(*u));
	u->dll = KEEL_UART_RESET_DIVISOR;
	uart_fill_rx(dev, u);
	uart_update_irq(dev, u);
}

static int uart16550_guest_read(struct keel_vdev *dev, u32 offset, void *val,
				int len)
{
	struct uart16550 *u = uart_of(dev);
	u8 *out = val;
	int i;

	if (len != 1 && len != 2 && len != 4)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		keel_vdev_count_read(dev, offset + i);
		out[i] = uart_read_reg(dev, u, offset + i);
	}
	uart_update_irq(dev, u);
	return 0;
}

static int uart16550_guest_write(struct keel_vdev *dev, u32 offset,
				 const void *val, int len)
{
	struct uart16550 *u = uart_of(dev);
	const u8 *in = val;
	int i;

	if (len != 1 && len != 2 && len != 4)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		keel_vdev_count_write(dev, offset + i);
		uart_write_reg(dev, u, offset + i, in[i]);
	}
	uart_update_irq(dev, u);
	return 0;
}

static void uart16550_host_rx_ready(struct keel_vdev *dev)
{
	struct uart16550 *u = uart_of(dev);

	uart_fill_rx(dev, u);
	uart_update_irq(dev, u);
}

static void uart16550_host_tx_space(struct keel_vdev *dev)
{
	struct uart16550 *u = uart_of(dev);

	uart_drain_tx(dev, u);
	uart_update_irq(dev, u);
}

static ssize_t uart16550_save(struct keel_vdev *dev, void *buf, size_t len)
{
	struct uart16550 *u = uart_of(dev);
	struct keel_uart16550_saved s;
	unsigned int i;

	if (len < sizeof(s))
		return -ENOSPC;
	memset(&s, 0, sizeof(s));
	s.version = cpu_to_le32(KEEL_UART_STATE_VERSION);
	s.tx_dropped = cpu_to_le32(u->tx_dropped);
	s.ier = u->ier;
	s.lcr = u->lcr;
	s.mcr = u->mcr;
	s.lsr_err = u->lsr_err;
	s.msr_delta = u->msr_delta;
	s.scr = u->scr;
	s.dll = u->dll;
	s.dlm = u->dlm;
	s.fcr = u->fcr;
	s.thr_ipending = u->thr_ipending;
	s.rx_count = u->rx_count;
	s.tx_count = u->tx_count;
	for (i = 0; i < u->rx_count; i++)
		s.rx_fifo[i] = u->rx_fifo[(u->rx_head + i) % KEEL_UART_FIFO_SIZE];
	for (i = 0; i < u->tx_count; i++)
		s.tx_fifo[i] = u->tx_fifo[(u->tx_head + i) % KEEL_UART_FIFO_SIZE];
	memcpy(buf, &s, sizeof(s));
	return sizeof(s);
}

static bool uart_tail_zero(const u8 *fifo, unsigned int count)
{
	return !memchr_inv(fifo + count, 0, KEEL_UART_FIFO_SIZE - count);
}

/* Every field of a saved state in range and consistent with the others. */
static bool uart_saved_valid(const struct keel_uart16550_saved *s)
{
	unsigned int cap = (s->fcr & UART_FCR_ENABLE_FIFO) ? KEEL_UART_FIFO_SIZE : 1;

	if (le32_to_cpu(s->version) != KEEL_UART_STATE_VERSION)
		return false;
	if ((s->ier & ~KEEL_UART_IER_MASK) || (s->mcr & ~KEEL_UART_MCR_MASK) ||
	    (s->lsr_err & ~KEEL_UART_LSR_ERR_MASK) || (s->msr_delta & ~UART_MSR_ANY_DELTA))
		return false;
	if ((s->fcr & ~KEEL_UART_FCR_KEPT) || (s->fcr && !(s->fcr & UART_FCR_ENABLE_FIFO)))
		return false;
	if (s->thr_ipending > 1 || (s->thr_ipending && s->tx_count))
		return false;
	if (s->rx_count > cap || s->tx_count > cap)
		return false;
	if (memchr_inv(s->reserved, 0, sizeof(s->reserved)))
		return false;
	return uart_tail_zero(s->rx_fifo, s->rx_count) &&
	       uart_tail_zero(s->tx_fifo, s->tx_count);
}

static int uart16550_check(const void *buf, size_t len, u16 version)
{
	struct keel_uart16550_saved s;

	if (version != KEEL_UART_STATE_VERSION || len != sizeof(s))
		return -EINVAL;
	memcpy(&s, buf, sizeof(s));
	return uart_saved_valid(&s) ? 0 : -EINVAL;
}

static int uart16550_load(struct keel_vdev *dev, const void *buf, size_t len,
			  u16 version)
{
	struct uart16550 *u = uart_of(dev);
	struct keel_uart16550_saved s;

	if (uart16550_check(buf, len, version))
		return -EINVAL;
	memcpy(&s, buf, sizeof(s));

	memset(u, 0, sizeof(*u));
	u->tx_dropped = le32_to_cpu(s.tx_dropped);
	u->ier = s.ier;
	u->lcr = s.lcr;
	u->mcr = s.mcr;
	u->lsr_err = s.lsr_err;
	u->msr_delta = s.msr_delta;
	u->scr = s.scr;
	u->dll = s.dll;
	u->dlm = s.dlm;
	u->fcr = s.fcr;
	u->thr_ipending = s.thr_ipending;
	u->rx_count = s.rx_count;
	u->tx_count = s.tx_count;
	memcpy(u->rx_fifo, s.rx_fifo, sizeof(u->rx_fifo));
	memcpy(u->tx_fifo, s.tx_fifo, sizeof(u->tx_fifo));

	/*
	 * Only the line follows the registers now. Moving bytes between the
	 * FIFOs and the host streams waits for RESUME (host_rx_ready and
	 * host_tx_space), so that save -> load -> save is the identity.
	 */
	uart_update_irq(dev, u);
	return 0;
}

static const struct keel_state_ops uart16550_state_ops =
	KEEL_VDEV_STATE_OPS(KEEL_STATE_TYPE_VDEV_UART16550A,
			    KEEL_UART_STATE_VERSION,
			    sizeof(struct keel_uart16550_saved), 2);

const struct keel_vdev_model keel_vdev_uart16550 = {
	.name		= "uart16550a",
	.id		= KEEL_VDEV_MODEL_UART16550A,
	.nr_regs	= KEEL_UART_NR_REGS,
	.state_size	= sizeof(struct uart16550),
	.streams	= true,
	.reset		= uart16550_reset,
	.guest_read	= uart16550_guest_read,
	.guest_write	= uart16550_guest_write,
	.host_rx_ready	= uart16550_host_rx_ready,
	.host_tx_space	= uart16550_host_tx_space,
	.state_ops	= &uart16550_state_ops,
	.state_version	= KEEL_UART_STATE_VERSION,
	.state_len	= sizeof(struct keel_uart16550_saved),
	.save		= uart16550_save,
	.check		= uart16550_check,
	.load		= uart16550_load,
};
