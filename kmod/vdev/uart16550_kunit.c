// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the 16550A UART model, built as keel_vdev_kunit.ko when
 * the target has KUnit. The model is compiled into this module from its
 * source, with the framework's services (interrupt line, VMM wake-up)
 * renamed to the test doubles below, so the suite needs no framework and
 * exports nothing. Each case drives one device through the register
 * interface and the host streams, taking dev->lock as the framework does.
 */
#include <kunit/test.h>
#include <linux/module.h>

#define keel_vdev_set_irq	uart16550_test_set_irq
#define keel_vdev_host_notify	uart16550_test_host_notify
#define keel_vdev_uart16550	uart16550_test_model
/* The framework's state callbacks: the suite drives save/load directly. */
#define keel_vdev_state_stop	uart16550_test_state_stop
#define keel_vdev_state_resume	uart16550_test_state_resume
#define keel_vdev_state_save	uart16550_test_state_save
#define keel_vdev_state_check	uart16550_test_state_check
#define keel_vdev_state_load	uart16550_test_state_load
#include "uart16550.c"

void uart16550_test_state_stop(struct keel_state *st)
{
}

int uart16550_test_state_resume(struct keel_state *st)
{
	return -EOPNOTSUPP;
}

int uart16550_test_state_save(struct keel_state *st,
			      struct keel_state_writer *w)
{
	return -EOPNOTSUPP;
}

int uart16550_test_state_check(struct keel_state *st,
			       const struct keel_state_blob *b,
			       const char **why)
{
	return -EOPNOTSUPP;
}

void uart16550_test_state_load(struct keel_state *st,
			       const struct keel_state_blob *b)
{
}

/* One device under test with what the framework would see of it. */
struct uart_test {
	struct keel_vdev dev;
	struct uart16550 state;
	struct keel_vdev_streams io;
	struct keel_vdev_reg_stats regs[KEEL_UART_NR_REGS];
	bool irq_level;			/* the line as the model drives it */
	unsigned int irq_rises;		/* low -> high transitions */
	unsigned int notifies;		/* keel_vdev_host_notify() calls */
};

void uart16550_test_set_irq(struct keel_vdev *dev, bool level)
{
	struct uart_test *t = container_of(dev, struct uart_test, dev);

	if (level && !t->irq_level)
		t->irq_rises++;
	t->irq_level = level;
}

void uart16550_test_host_notify(struct keel_vdev *dev)
{
	struct uart_test *t = container_of(dev, struct uart_test, dev);

	t->notifies++;
}

static const struct keel_vdev_model *model = &uart16550_test_model;

/* The VMM writes @n bytes to its fd: they land in dev->rx. */
static unsigned int ut_host_send(struct uart_test *t, const u8 *buf,
				 unsigned int n)
{
	unsigned long flags;
	unsigned int done;

	spin_lock_irqsave(&t->dev.lock, flags);
	done = kfifo_in(&t->dev.io->rx, buf, n);
	model->host_rx_ready(&t->dev);
	spin_unlock_irqrestore(&t->dev.lock, flags);
	return done;
}

/* The VMM reads up to @n bytes from its fd, out of dev->tx. */
static unsigned int ut_host_recv(struct uart_test *t, u8 *buf,
				 unsigned int n)
{
	unsigned long flags;
	unsigned int done;

	spin_lock_irqsave(&t->dev.lock, flags);
	done = kfifo_out(&t->dev.io->tx, buf, n);
	model->host_tx_space(&t->dev);
	spin_unlock_irqrestore(&t->dev.lock, flags);
	return done;
}

/* Fill dev->tx completely behind the model's back (a VMM not reading). */
static void ut_fill_host_tx(struct uart_test *t)
{
	unsigned long flags;
	u8 c = 0xee;

	spin_lock_irqsave(&t->dev.lock, flags);
	while (kfifo_put(&t->dev.io->tx, c))
		;
	spin_unlock_irqrestore(&t->dev.lock, flags);
}

static void ut_reset(struct uart_test *t)
{
	unsigned long flags;

	spin_lock_irqsave(&t->dev.lock, flags);
	model->reset(&t->dev);
	spin_unlock_irqrestore(&t->dev.lock, flags);
}

/* One guest access of @len bytes; returns the model's result. */
static int ut_access(struct uart_test *t, bool write, u32 offset, u8 *buf,
		     int len)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&t->dev.lock, flags);
	if (write)
		ret = model->guest_write(&t->dev, offset, buf, len);
	else
		ret = model->guest_read(&t->dev, offset, buf, len);
	spin_unlock_irqrestore(&t->dev.lock, flags);
	return ret;
}

static u8 ut_rd(struct uart_test *t, u32 offset)
{
	u8 val = 0;

	ut_access(t, false, offset, &val, 1);
	return val;
}

static void ut_wr(struct uart_test *t, u32 offset, u8 val)
{
	ut_access(t, true, offset, &val, 1);
}

static u8 *ut_buf(struct kunit *test, size_t len)
{
	u8 *buf = kunit_kzalloc(test, len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	return buf;
}

static struct uart_test *ut_new(struct kunit *test)
{
	struct uart_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	spin_lock_init(&t->dev.lock);
	INIT_KFIFO(t->io.tx);
	INIT_KFIFO(t->io.rx);
	t->dev.io = &t->io;
	t->dev.regs = t->regs;
	t->dev.model = model;
	t->dev.model_state = &t->state;
	ut_reset(t);
	return t;
}

static ssize_t ut_save(struct uart_test *t, void *buf, size_t len)
{
	unsigned long flags;
	ssize_t ret;

	spin_lock_irqsave(&t->dev.lock, flags);
	ret = model->save(&t->dev, buf, len);
	spin_unlock_irqrestore(&t->dev.lock, flags);
	return ret;
}

static int ut_load(struct uart_test *t, const void *buf, size_t len)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&t->dev.lock, flags);
	ret = model->load(&t->dev, buf, len, KEEL_UART_STATE_VERSION);
	spin_unlock_irqrestore(&t->dev.lock, flags);
	return ret;
}

static void uart_test_reset_values(struct kunit *test)
{
	struct uart_test *t = ut_new(test);

	KUNIT_EXPECT_STREQ(test, model->name, "uart16550a");
	KUNIT_EXPECT_EQ(test, model->id, 1U);
	KUNIT_EXPECT_EQ(test, model->nr_regs, 8U);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IER), 0x00);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0x01);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LCR), 0x00);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_MCR), 0x00);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR), 0x60);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_MSR), 0xb0);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_SCR), 0x00);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_RX), 0x00);
	ut_wr(t, UART_LCR, UART_LCR_DLAB);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_RX), KEEL_UART_RESET_DIVISOR);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IER), 0x00);
	KUNIT_EXPECT_FALSE(test, t->irq_level);

	/* A second reset returns everything to the same values. */
	ut_wr(t, UART_SCR, 0x77);
	ut_wr(t, UART_MCR, 0x1f);
	ut_wr(t, UART_FCR, 0xc1);
	ut_reset(t);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LCR), 0x00);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_SCR), 0x00);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_MCR), 0x00);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0x01);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_MSR), 0xb0);
}

static void uart_test_scratch_lcr(struct kunit *test)
{
	struct uart_test *t = ut_new(test);
	unsigned int v;

	for (v = 0; v < 256; v++) {
		ut_wr(t, UART_SCR, v);
		KUNIT_EXPECT_EQ(test, ut_rd(t, UART_SCR), v);
		ut_wr(t, UART_LCR, v);
		KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LCR), v);
	}
	ut_wr(t, UART_LCR, 0);
	ut_wr(t, UART_IER, 0xff);	/* bits 7:4 are not implemented */
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IER), 0x0f);
	ut_wr(t, UART_MCR, 0xff);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_MCR), 0x1f);
}

static void uart_test_dlab(struct kunit *test)
{
	struct uart_test *t = ut_new(test);

	ut_wr(t, UART_IER, 0x05);
	ut_wr(t, UART_LCR, UART_LCR_DLAB | 0x03);
	ut_wr(t, UART_TX, 0x34);
	ut_wr(t, UART_IER, 0x12);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_RX), 0x34);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IER), 0x12);
	KUNIT_EXPECT_EQ(test, kfifo_len(&t->dev.io->tx), 0U);
	KUNIT_EXPECT_EQ(test, t->io.bytes_out, 0ULL);

	ut_wr(t, UART_LCR, 0x03);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IER), 0x05);
	ut_wr(t, UART_TX, 'x');
	KUNIT_EXPECT_EQ(test, kfifo_len(&t->dev.io->tx), 1U);
	KUNIT_EXPECT_EQ(test, t->io.bytes_out, 1ULL);

	/* IIR/FCR and the registers above are not banked by DLAB. */
	ut_wr(t, UART_LCR, UART_LCR_DLAB);
	ut_wr(t, UART_FCR, UART_FCR_ENABLE_FIFO);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0xc1);
	ut_wr(t, UART_LCR, 0);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IER), 0x05);
	ut_wr(t, UART_LCR, UART_LCR_DLAB);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_RX), 0x34);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IER), 0x12);
}

/* The register sequence of Linux's 8250 autoconfig() and startup. */
static void uart_test_8250_probe(struct kunit *test)
{
	struct uart_test *t = ut_new(test);
	u8 iir1, iir2;

	ut_wr(t, UART_IER, 0);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IER) & 0x0f, 0);
	ut_wr(t, UART_IER, 0x0f);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IER) & 0x0f, 0x0f);
	ut_wr(t, UART_IER, 0);

	ut_wr(t, UART_MCR, UART_MCR_LOOP | 0x0a);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_MSR) & 0xf0, 0x90);
	ut_wr(t, UART_MCR, 0);

	ut_wr(t, UART_LCR, 0xbf);
	ut_wr(t, UART_FCR, 0);
	ut_wr(t, UART_LCR, 0);
	ut_wr(t, UART_FCR, UART_FCR_ENABLE_FIFO);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR) >> 6, 3);

	/* autoconfig_16550a(): no EFR, no 64-byte FIFO, no NatSemi bank. */
	ut_wr(t, UART_LCR, 0xbf);
	KUNIT_EXPECT_NE(test, ut_rd(t, UART_IIR), 0);
	ut_wr(t, UART_LCR, 0);
	ut_wr(t, UART_FCR, UART_FCR_ENABLE_FIFO | 0x20);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR) >> 5, 6);
	ut_wr(t, UART_LCR, 0xe0);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR) & UART_MCR_LOOP, 0);
	ut_wr(t, UART_LCR, 0);

	/* serial8250_do_startup(): THRE re-asserted when ETBEI is set. */
	ut_wr(t, UART_IER, UART_IER_THRI);
	iir1 = ut_rd(t, UART_IIR);
	ut_wr(t, UART_IER, 0);
	ut_wr(t, UART_IER, UART_IER_THRI);
	iir2 = ut_rd(t, UART_IIR);
	ut_wr(t, UART_IER, 0);
	KUNIT_EXPECT_EQ(test, iir1 & 0x0f, UART_IIR_THRI);
	KUNIT_EXPECT_EQ(test, iir2 & 0x0f, UART_IIR_THRI);
	KUNIT_EXPECT_NE(test, ut_rd(t, UART_LSR), 0xff);
}

static void uart_test_tx_order(struct kunit *test)
{
	struct uart_test *t = ut_new(test);
	const char *msg = "hello, 16550";
	u8 out[32];
	unsigned int i, n = strlen(msg);

	ut_wr(t, UART_FCR, UART_FCR_ENABLE_FIFO);
	for (i = 0; i < n; i++)
		ut_wr(t, UART_TX, msg[i]);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	KUNIT_EXPECT_EQ(test, t->io.bytes_out, (u64)n);
	KUNIT_EXPECT_EQ(test, t->notifies, n);
	KUNIT_ASSERT_EQ(test, ut_host_recv(t, out, sizeof(out)), n);
	KUNIT_EXPECT_EQ(test, memcmp(out, msg, n), 0);
}

/* dev->tx full: the guest sees a busy transmitter and nothing is lost. */
static void uart_test_tx_backpressure(struct kunit *test)
{
	struct uart_test *t = ut_new(test);
	u8 *out = ut_buf(test, KEEL_VDEV_STREAM_SIZE);
	unsigned int i, n;

	ut_wr(t, UART_FCR, UART_FCR_ENABLE_FIFO);
	ut_fill_host_tx(t);
	for (i = 0; i < KEEL_UART_FIFO_SIZE; i++) {
		ut_wr(t, UART_TX, i);
		KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR) & 0x60, 0);
	}
	ut_wr(t, UART_TX, 0xaa);	/* TX FIFO full: lost */
	KUNIT_EXPECT_EQ(test, t->state.tx_dropped, 1U);
	KUNIT_EXPECT_EQ(test, t->state.tx_count, KEEL_UART_FIFO_SIZE);
	KUNIT_EXPECT_EQ(test, t->io.bytes_out, 0ULL);

	/* The VMM reads 10 bytes: 10 queued bytes follow, THRE stays clear. */
	KUNIT_EXPECT_EQ(test, ut_host_recv(t, out, 10), 10U);
	KUNIT_EXPECT_EQ(test, t->state.tx_count, 6);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR) & 0x60, 0);
	KUNIT_EXPECT_EQ(test, t->io.bytes_out, 10ULL);

	/* Read everything: the model's bytes come last, in order. */
	n = ut_host_recv(t, out, KEEL_VDEV_STREAM_SIZE);
	KUNIT_ASSERT_EQ(test, n, (unsigned int)KEEL_VDEV_STREAM_SIZE);
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test, out[n - 10 + i], i);
	KUNIT_ASSERT_EQ(test, ut_host_recv(t, out, KEEL_VDEV_STREAM_SIZE), 6U);
	for (i = 0; i < 6; i++)
		KUNIT_EXPECT_EQ(test, out[i], 10 + i);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	KUNIT_EXPECT_EQ(test, t->io.bytes_out, 16ULL);

	/* FIFOs off: a 1-byte holding register. */
	ut_wr(t, UART_FCR, 0);
	ut_fill_host_tx(t);
	ut_wr(t, UART_TX, 'a');
	ut_wr(t, UART_TX, 'b');	/* lost: THR still full */
	KUNIT_EXPECT_EQ(test, t->state.tx_dropped, 2U);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR) & 0x60, 0);
	n = ut_host_recv(t, out, KEEL_VDEV_STREAM_SIZE);
	KUNIT_EXPECT_EQ(test, n, (unsigned int)KEEL_VDEV_STREAM_SIZE);
	KUNIT_EXPECT_EQ(test, ut_host_recv(t, out, KEEL_VDEV_STREAM_SIZE), 1U);
	KUNIT_EXPECT_EQ(test, out[0], 'a');
}

static void uart_test_rx_fifo(struct kunit *test)
{
	struct uart_test *t = ut_new(test);
	u8 in[20];
	unsigned int i, notifies;

	for (i = 0; i < sizeof(in); i++)
		in[i] = 0x40 + i;
	ut_wr(t, UART_FCR, UART_FCR_ENABLE_FIFO);
	KUNIT_EXPECT_EQ(test, ut_host_send(t, in, sizeof(in)), 20U);
	KUNIT_EXPECT_EQ(test, t->state.rx_count, KEEL_UART_FIFO_SIZE);
	KUNIT_EXPECT_EQ(test, kfifo_len(&t->dev.io->rx), 4U);
	KUNIT_EXPECT_EQ(test, t->io.bytes_in, 16ULL);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR), UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT);

	notifies = t->notifies;
	for (i = 0; i < sizeof(in); i++)
		KUNIT_EXPECT_EQ(test, ut_rd(t, UART_RX), in[i]);
	KUNIT_EXPECT_EQ(test, t->notifies, notifies + 4);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	KUNIT_EXPECT_EQ(test, t->io.bytes_in, 20ULL);
	KUNIT_EXPECT_EQ(test, kfifo_len(&t->dev.io->rx), 0U);

	/* FIFOs off: one byte at a time, the rest waits in dev->rx. */
	ut_wr(t, UART_FCR, 0);
	ut_host_send(t, in, 3);
	KUNIT_EXPECT_EQ(test, t->state.rx_count, 1);
	KUNIT_EXPECT_EQ(test, kfifo_len(&t->dev.io->rx), 2U);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
		KUNIT_EXPECT_EQ(test, ut_rd(t, UART_RX), in[i]);
	}
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR) & UART_LSR_DR, 0);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR) & UART_LSR_OE, 0);
}

/* dev->rx full: the VMM can write no more, no byte is ever dropped. */
static void uart_test_rx_backpressure(struct kunit *test)
{
	struct uart_test *t = ut_new(test);
	unsigned int len = KEEL_VDEV_STREAM_SIZE + 100;
	u8 *in = ut_buf(test, len);
	unsigned int i, n;

	for (i = 0; i < len; i++)
		in[i] = i * 7;
	ut_wr(t, UART_FCR, UART_FCR_ENABLE_FIFO);
	n = ut_host_send(t, in, len);
	/* 16 went into the FIFO, which made room for 16 more. */
	KUNIT_EXPECT_EQ(test, n, (unsigned int)KEEL_VDEV_STREAM_SIZE);
	n += ut_host_send(t, in + n, len - n);
	KUNIT_EXPECT_EQ(test, n, KEEL_VDEV_STREAM_SIZE + 16U);
	for (i = 0; i < n; i++) {
		if (ut_rd(t, UART_RX) != in[i]) {
			KUNIT_FAIL(test, "byte %u out of order", i);
			break;
		}
	}
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR) & (UART_LSR_DR | UART_LSR_OE), 0);
	KUNIT_EXPECT_EQ(test, t->io.bytes_in, (u64)n);
}

static void uart_test_trigger_levels(struct kunit *test)
{
	static const u8 levels[4] = { 1, 4, 8, 14 };
	struct uart_test *t = ut_new(test);
	u8 in[16] = { 0 };
	unsigned int i;

	ut_wr(t, UART_MCR, UART_MCR_OUT2);
	ut_wr(t, UART_IER, UART_IER_RDI);
	for (i = 0; i < 4; i++) {
		ut_wr(t, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | (i << 6));
		KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0xc1);
		if (levels[i] > 1) {
			ut_host_send(t, in, levels[i] - 1);
			KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0xcc);
			KUNIT_EXPECT_TRUE(test, t->irq_level);
		}
		ut_host_send(t, in, 1);
		KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0xc4);
		KUNIT_EXPECT_TRUE(test, t->irq_level);
		/* Below the trigger again: the timeout interrupt. */
		ut_rd(t, UART_RX);
		if (levels[i] > 1)
			KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0xcc);
	}
	ut_wr(t, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0xc1);
	KUNIT_EXPECT_FALSE(test, t->irq_level);

	/* FIFOs off: plain RX data available, bits 7:6 clear. */
	ut_wr(t, UART_FCR, 0);
	ut_host_send(t, in, 1);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0x04);
}

static void uart_test_fcr_clear(struct kunit *test)
{
	struct uart_test *t = ut_new(test);
	u8 in[] = "abcdefgh";

	ut_wr(t, UART_FCR, UART_FCR_ENABLE_FIFO);
	ut_wr(t, UART_IER, UART_IER_THRI);
	ut_rd(t, UART_IIR);		/* acknowledge THRE */
	ut_host_send(t, in, 5);
	KUNIT_EXPECT_EQ(test, t->state.rx_count, 5);
	ut_wr(t, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	KUNIT_EXPECT_EQ(test, t->state.rx_count, 0);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR) & UART_LSR_DR, 0);

	ut_fill_host_tx(t);
	ut_wr(t, UART_TX, '1');
	ut_wr(t, UART_TX, '2');
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0xc1);
	ut_wr(t, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_XMIT);
	KUNIT_EXPECT_EQ(test, t->state.tx_count, 0);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0xc2);

	/* Toggling the enable bit clears both FIFOs. */
	ut_host_send(t, in, 3);
	ut_wr(t, UART_TX, '3');
	ut_wr(t, UART_FCR, 0);
	KUNIT_EXPECT_EQ(test, t->state.tx_count, 0);
	KUNIT_EXPECT_EQ(test, t->state.rx_count, 0);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR) & 0xc0, 0);
	/* Trigger bits are only programmed with the enable bit. */
	ut_wr(t, UART_FCR, 0xc0);
	KUNIT_EXPECT_EQ(test, t->state.fcr, 0);
}

/* All four sources at once, reported and cleared in priority order. */
static void uart_test_iir_priority(struct kunit *test)
{
	struct uart_test *t = ut_new(test);
	unsigned int i;

	ut_wr(t, UART_FCR, UART_FCR_ENABLE_FIFO | 0xc0);	/* trigger 14 */
	ut_wr(t, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
	for (i = 0; i < KEEL_UART_FIFO_SIZE + 1; i++)
		ut_wr(t, UART_TX, i);		/* the 17th overruns */
	ut_wr(t, UART_IER, 0x0f);

	KUNIT_EXPECT_TRUE(test, t->irq_level);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0xc6);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR),
			UART_LSR_DR | UART_LSR_OE | UART_LSR_THRE | UART_LSR_TEMT);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0xc4);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, ut_rd(t, UART_RX), i);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0xcc);
	for (; i < KEEL_UART_FIFO_SIZE; i++)
		KUNIT_EXPECT_EQ(test, ut_rd(t, UART_RX), i);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0xc2);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0xc0);
	KUNIT_EXPECT_TRUE(test, t->irq_level);
	/* Entering loopback with RTS and OUT2 dropped DSR only. */
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_MSR) & UART_MSR_ANY_DELTA, UART_MSR_DDSR);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0xc1);
	KUNIT_EXPECT_FALSE(test, t->irq_level);
}

static void uart_test_thre_rules(struct kunit *test)
{
	struct uart_test *t = ut_new(test);
	u8 *out = ut_buf(test, KEEL_VDEV_STREAM_SIZE);

	ut_wr(t, UART_MCR, UART_MCR_OUT2);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0x01);
	ut_wr(t, UART_IER, UART_IER_THRI);		/* enabling raises */
	KUNIT_EXPECT_TRUE(test, t->irq_level);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0x02);
	KUNIT_EXPECT_FALSE(test, t->irq_level);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0x01);	/* IIR read cleared */

	ut_wr(t, UART_IER, UART_IER_THRI);		/* no 0 -> 1 change */
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0x01);
	ut_wr(t, UART_IER, 0);
	ut_wr(t, UART_IER, UART_IER_THRI);
	KUNIT_EXPECT_EQ(test, t->irq_rises, 2U);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0x02);

	/* A transmitted byte empties THR again: raised anew. */
	ut_wr(t, UART_TX, 'x');
	KUNIT_EXPECT_EQ(test, t->irq_rises, 3U);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0x02);

	/* Writing THR clears it; it stays clear while the byte waits. */
	ut_wr(t, UART_IER, 0);
	ut_wr(t, UART_IER, UART_IER_THRI);
	KUNIT_EXPECT_TRUE(test, t->irq_level);
	ut_fill_host_tx(t);
	ut_wr(t, UART_TX, 'y');
	KUNIT_EXPECT_FALSE(test, t->irq_level);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0x01);
	ut_host_recv(t, out, KEEL_VDEV_STREAM_SIZE);	/* 'y' leaves */
	KUNIT_EXPECT_TRUE(test, t->irq_level);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0x02);
	KUNIT_EXPECT_EQ(test, ut_host_recv(t, out, KEEL_VDEV_STREAM_SIZE), 1U);
	KUNIT_EXPECT_EQ(test, out[0], 'y');

	/* Masked while ETBEI is off, the latch still follows THR. */
	ut_wr(t, UART_IER, 0);
	ut_wr(t, UART_TX, 'z');
	KUNIT_EXPECT_FALSE(test, t->irq_level);
	KUNIT_EXPECT_TRUE(test, t->state.thr_ipending);
}

static void uart_test_out2_gate(struct kunit *test)
{
	struct uart_test *t = ut_new(test);

	ut_wr(t, UART_IER, UART_IER_THRI);
	KUNIT_EXPECT_FALSE(test, t->irq_level);
	KUNIT_EXPECT_EQ(test, t->irq_rises, 0U);
	ut_wr(t, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
	KUNIT_EXPECT_TRUE(test, t->irq_level);
	KUNIT_EXPECT_EQ(test, t->irq_rises, 1U);
	ut_wr(t, UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
	KUNIT_EXPECT_FALSE(test, t->irq_level);
	ut_wr(t, UART_MCR, UART_MCR_OUT2);
	KUNIT_EXPECT_EQ(test, t->irq_rises, 2U);
	ut_rd(t, UART_IIR);
	KUNIT_EXPECT_FALSE(test, t->irq_level);
}

static void uart_test_loopback(struct kunit *test)
{
	struct uart_test *t = ut_new(test);
	u8 in[2] = { 'h', 'i' };

	ut_rd(t, UART_MSR);
	ut_wr(t, UART_FCR, UART_FCR_ENABLE_FIFO);
	ut_wr(t, UART_MCR, UART_MCR_LOOP);
	/* Leaving the idle line: CTS, DSR, DCD all fell. */
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_MSR),
			UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_MSR), 0);

	ut_wr(t, UART_TX, 'A');
	ut_wr(t, UART_TX, 'B');
	KUNIT_EXPECT_EQ(test, kfifo_len(&t->dev.io->tx), 0U);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR), UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_RX), 'A');
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_RX), 'B');
	KUNIT_EXPECT_EQ(test, t->io.bytes_out, 0ULL);

	/* The line's bytes wait in dev->rx while the receiver loops. */
	ut_host_send(t, in, 2);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_LSR) & UART_LSR_DR, 0);
	KUNIT_EXPECT_EQ(test, kfifo_len(&t->dev.io->rx), 2U);

	ut_wr(t, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_MSR), UART_MSR_CTS | UART_MSR_DCTS);
	ut_wr(t, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_DTR);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_MSR), UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DDSR);
	ut_wr(t, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_MSR), UART_MSR_RI | UART_MSR_DCTS | UART_MSR_DDSR);
	ut_wr(t, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);	/* RI trailing edge */
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_MSR), UART_MSR_DCD | UART_MSR_TERI | UART_MSR_DDCD);

	/* Deltas raise the modem status interrupt; MSR read clears it. */
	ut_wr(t, UART_IER, UART_IER_MSI);
	ut_wr(t, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
	KUNIT_EXPECT_TRUE(test, t->irq_level);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0xc0);
	ut_rd(t, UART_MSR);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_IIR), 0xc1);
	KUNIT_EXPECT_FALSE(test, t->irq_level);

	ut_wr(t, UART_MCR, 0);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_MSR) & 0xf0, KEEL_UART_MSR_LINE_IDLE);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_RX), 'h');
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_RX), 'i');
}

static void uart_test_multibyte(struct kunit *test)
{
	struct uart_test *t = ut_new(test);
	u8 buf[4] = { 0x11, 0x22, 0x33, 0x44 };
	u8 out[4];

	ut_wr(t, UART_LCR, UART_LCR_DLAB);
	KUNIT_EXPECT_EQ(test, ut_access(t, true, UART_RX, buf, 2), 0);
	KUNIT_EXPECT_EQ(test, t->state.dll, 0x11);
	KUNIT_EXPECT_EQ(test, t->state.dlm, 0x22);

	KUNIT_EXPECT_EQ(test, ut_access(t, false, UART_RX, out, 4), 0);
	KUNIT_EXPECT_EQ(test, out[0], 0x11);
	KUNIT_EXPECT_EQ(test, out[1], 0x22);
	KUNIT_EXPECT_EQ(test, out[2], 0x01);
	KUNIT_EXPECT_EQ(test, out[3], UART_LCR_DLAB);

	/* Past the last register: writes ignored, reads float high. */
	KUNIT_EXPECT_EQ(test, ut_access(t, true, UART_SCR, buf, 4), 0);
	KUNIT_EXPECT_EQ(test, ut_rd(t, UART_SCR), 0x11);
	KUNIT_EXPECT_EQ(test, ut_access(t, false, UART_MSR, out, 4), 0);
	KUNIT_EXPECT_EQ(test, out[0], 0xb0);
	KUNIT_EXPECT_EQ(test, out[1], 0x11);
	KUNIT_EXPECT_EQ(test, out[2], 0xff);
	KUNIT_EXPECT_EQ(test, out[3], 0xff);

	KUNIT_EXPECT_EQ(test, ut_access(t, false, UART_RX, out, 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, ut_access(t, true, UART_RX, out, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, t->regs[UART_RX].writes, 1ULL);
	KUNIT_EXPECT_EQ(test, t->regs[UART_SCR].writes, 1ULL);
	KUNIT_EXPECT_EQ(test, t->regs[UART_LCR].reads, 1ULL);
	KUNIT_EXPECT_EQ(test, t->regs[UART_SCR].reads, 2ULL);
}

/* A device in a busy state: FIFOs wrapped, bytes waiting, latches set. */
static struct uart_test *ut_busy(struct kunit *test)
{
	struct uart_test *t = ut_new(test);
	u8 in[24];
	unsigned int i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = 0x80 + i;
	ut_wr(t, UART_FCR, UART_FCR_ENABLE_FIFO | 0x80 | UART_FCR_DMA_SELECT);
	ut_wr(t, UART_LCR, UART_LCR_DLAB);
	ut_wr(t, UART_TX, 0x01);
	ut_wr(t, UART_IER, 0x02);
	ut_wr(t, UART_LCR, 0x1b);
	ut_wr(t, UART_SCR, 0x5a);
	ut_wr(t, UART_IER, 0x0d);
	ut_host_send(t, in, 10);
	for (i = 0; i < 7; i++)
		ut_rd(t, UART_RX);
	ut_host_send(t, in + 10, 14);	/* rx ring wraps */
	ut_fill_host_tx(t);
	for (i = 0; i < 18; i++)
		ut_wr(t, UART_TX, 'a' + i);	/* 2 dropped */
	ut_wr(t, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR);
	return t;
}

static void uart_test_save_load(struct kunit *test)
{
	struct uart_test *t = ut_busy(test);
	struct uart_test *t2 = ut_new(test);
	struct keel_uart16550_saved a, b;
	u8 *out = ut_buf(test, KEEL_VDEV_STREAM_SIZE);
	unsigned int i;

	KUNIT_ASSERT_EQ(test, ut_save(t, &a, sizeof(a)), (ssize_t)sizeof(a));
	KUNIT_EXPECT_EQ(test, ut_save(t, &b, sizeof(b) - 1), (ssize_t)-ENOSPC);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(a.version), 1U);
	KUNIT_EXPECT_EQ(test, a.rx_count, KEEL_UART_FIFO_SIZE);
	KUNIT_EXPECT_EQ(test, a.tx_count, KEEL_UART_FIFO_SIZE);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(a.tx_dropped), 2U);
	KUNIT_EXPECT_EQ(test, a.rx_fifo[0], 0x87);
	KUNIT_EXPECT_EQ(test, a.tx_fifo[15], 'a' + 15);

	/* Into a fresh device whose dev->tx is full as well. */
	ut_fill_host_tx(t2);
	KUNIT_ASSERT_EQ(test, ut_load(t2, &a, sizeof(a)), 0);
	KUNIT_ASSERT_EQ(test, ut_save(t2, &b, sizeof(b)), (ssize_t)sizeof(b));
	KUNIT_EXPECT_EQ(test, memcmp(&a, &b, sizeof(a)), 0);

	/* Loaded, it behaves as the original. */
	KUNIT_EXPECT_EQ(test, ut_rd(t2, UART_SCR), 0x5a);
	KUNIT_EXPECT_EQ(test, ut_rd(t2, UART_LCR), 0x1b);
	KUNIT_EXPECT_EQ(test, ut_rd(t2, UART_IIR), 0xc4);
	KUNIT_EXPECT_TRUE(test, t2->irq_level);
	for (i = 0; i < KEEL_UART_FIFO_SIZE; i++)
		KUNIT_EXPECT_EQ(test, ut_rd(t2, UART_RX), 0x87 + i);
	ut_host_recv(t2, out, KEEL_VDEV_STREAM_SIZE);
	KUNIT_EXPECT_EQ(test, ut_host_recv(t2, out, KEEL_VDEV_STREAM_SIZE),
			(unsigned int)KEEL_UART_FIFO_SIZE);
	for (i = 0; i < KEEL_UART_FIFO_SIZE; i++)
		KUNIT_EXPECT_EQ(test, out[i], 'a' + i);
}

#define UT_POKE(field, v) \
	{ offsetof(struct keel_uart16550_saved, field), (v) }

/* Single-byte corruptions of a valid saved state, each one invalid. */
static const struct {
	size_t offset;
	u8 val;
} ut_pokes[] = {
	UT_POKE(version, 2),
	UT_POKE(version, 0),
	{ offsetof(struct keel_uart16550_saved, version) + 3, 1 },
	UT_POKE(ier, 0x10),
	UT_POKE(mcr, 0x20),
	UT_POKE(lsr_err, UART_LSR_DR),
	UT_POKE(msr_delta, 0x10),
	UT_POKE(fcr, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR),
	UT_POKE(fcr, UART_FCR_ENABLE_FIFO | 0x10),
	UT_POKE(fcr, UART_FCR_DMA_SELECT),
	UT_POKE(thr_ipending, 1),
	UT_POKE(thr_ipending, 2),
	UT_POKE(rx_count, 17),
	UT_POKE(tx_count, 0xff),
	UT_POKE(rx_count, 3),		/* then bytes past the count */
	UT_POKE(reserved[0], 1),
	UT_POKE(reserved[3], 0x80),
};

static void uart_test_load_rejects(struct kunit *test)
{
	struct uart_test *t = ut_busy(test);
	struct keel_uart16550_saved good, bad, after;
	u8 big[sizeof(good) + 1];
	unsigned int i;

	KUNIT_ASSERT_EQ(test, ut_save(t, &good, sizeof(good)),
			(ssize_t)sizeof(good));
	memcpy(big, &good, sizeof(good));
	big[sizeof(good)] = 0;
	KUNIT_EXPECT_EQ(test, ut_load(t, &good, sizeof(good) - 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, ut_load(t, big, sizeof(big)), -EINVAL);
	KUNIT_EXPECT_EQ(test, ut_load(t, &good, 0), -EINVAL);

	for (i = 0; i < ARRAY_SIZE(ut_pokes); i++) {
		bad = good;
		((u8 *)&bad)[ut_pokes[i].offset] = ut_pokes[i].val;
		KUNIT_EXPECT_EQ_MSG(test, ut_load(t, &bad, sizeof(bad)),
				    -EINVAL, "poke %u", i);
	}
	/* More than one byte with FIFOs off. */
	memset(&bad, 0, sizeof(bad));
	bad.version = cpu_to_le32(KEEL_UART_STATE_VERSION);
	bad.tx_count = 2;
	bad.tx_fifo[0] = 'a';
	bad.tx_fifo[1] = 'b';
	KUNIT_EXPECT_EQ(test, ut_load(t, &bad, sizeof(bad)), -EINVAL);
	/* The same with FIFOs on is valid (checked on another device). */
	bad.fcr = UART_FCR_ENABLE_FIFO;
	KUNIT_EXPECT_EQ(test, ut_load(ut_new(test), &bad, sizeof(bad)), 0);
	memset(&bad, 0xff, sizeof(bad));
	KUNIT_EXPECT_EQ(test, ut_load(t, &bad, sizeof(bad)), -EINVAL);

	KUNIT_ASSERT_EQ(test, ut_save(t, &after, sizeof(after)),
			(ssize_t)sizeof(after));
	KUNIT_EXPECT_EQ(test, memcmp(&good, &after, sizeof(good)), 0);
}

static struct kunit_case uart16550_cases[] = {
	KUNIT_CASE(uart_test_reset_values),
	KUNIT_CASE(uart_test_scratch_lcr),
	KUNIT_CASE(uart_test_dlab),
	KUNIT_CASE(uart_test_8250_probe),
	KUNIT_CASE(uart_test_tx_order),
	KUNIT_CASE(uart_test_tx_backpressure),
	KUNIT_CASE(uart_test_rx_fifo),
	KUNIT_CASE(uart_test_rx_backpressure),
	KUNIT_CASE(uart_test_trigger_levels),
	KUNIT_CASE(uart_test_fcr_clear),
	KUNIT_CASE(uart_test_iir_priority),
	KUNIT_CASE(uart_test_thre_rules),
	KUNIT_CASE(uart_test_out2_gate),
	KUNIT_CASE(uart_test_loopback),
	KUNIT_CASE(uart_test_multibyte),
	KUNIT_CASE(uart_test_save_load),
	KUNIT_CASE(uart_test_load_rejects),
	{}
};

static struct kunit_suite uart16550_suite = {
	.name = "keel_vdev_uart16550",
	.test_cases = uart16550_cases,
};

kunit_test_suite(uart16550_suite);

MODULE_DESCRIPTION("KUnit tests for the Keel 16550A UART model");
MODULE_LICENSE("GPL");
