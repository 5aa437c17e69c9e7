// SPDX-License-Identifier: GPL-2.0
/*
 * A vdev device in the state framework: its keel_state_ops. STOPPED is
 * "not started": the claim stays, but guest accesses leave to the VMM as
 * ordinary exits and no interrupt is signalled. A blob has two sections,
 * the model's registers (the model's save/check/load) and the host-side
 * byte streams; RESUME settles the model against the streams and raises
 * a pending interrupt again.
 */
#include <linux/slab.h>
#include <linux/keel_state.h>

#include "vdev.h"
#include "uart16550.h"

/* Section ids of a vdev blob. */
#define KEEL_VDEV_SEC_MODEL	1	/* the model's own layout */
#define KEEL_VDEV_SEC_STREAMS	2	/* struct keel_vdev_saved_streams */
#define KEEL_VDEV_STREAMS_VERSION	1

/* Version 1: then tx_len bytes guest -> host, rx_len bytes host -> guest. */
struct keel_vdev_saved_streams {
	__le32 tx_len;		/* <= KEEL_VDEV_STREAM_SIZE */
	__le32 rx_len;		/* <= KEEL_VDEV_STREAM_SIZE */
};

#define KEEL_VDEV_STREAMS_MAX	(sizeof(struct keel_vdev_saved_streams) + \
				 2 * KEEL_VDEV_STREAM_SIZE)
#define KEEL_VDEV_BLOB_MAX(model_len)					\
	(sizeof(struct keel_state_header) +				\
	 2 * sizeof(struct keel_state_section) +			\
	 ALIGN(model_len, 8) + ALIGN(KEEL_VDEV_STREAMS_MAX, 8))

static struct keel_vdev_inst *keel_vdev_of(struct keel_state *st)
{
	return container_of(st, struct keel_vdev_inst, state);
}

static void keel_vdev_state_stop(struct keel_state *st)
{
	struct keel_vdev_inst *inst = keel_vdev_of(st);
	struct keel_vdev *dev = &inst->vdev;

	/* No vCPU is inside the device once this returns. */
	keel_vdev_stop(inst);
	spin_lock_irq(&dev->lock);
	dev->running = false;
	spin_unlock_irq(&dev->lock);
}

static int keel_vdev_state_resume(struct keel_state *st)
{
	struct keel_vdev_inst *inst = keel_vdev_of(st);
	struct keel_vdev *dev = &inst->vdev;
	bool pending;
	int ret;

	spin_lock_irq(&dev->lock);
	dev->running = true;
	pending = dev->irq_level;
	/* Catch up with what the VMM wrote and read while stopped. */
	dev->model->host_rx_ready(dev);
	dev->model->host_tx_space(dev);
	/* A line that was already high rose before: raise it again. */
	if (pending && dev->irq_level)
		keel_vdev_raise(dev);
	spin_unlock_irq(&dev->lock);
	keel_vdev_host_notify(dev);

	ret = keel_vdev_start(inst);
	if (ret) {
		spin_lock_irq(&dev->lock);
		dev->running = false;
		spin_unlock_irq(&dev->lock);
	}
	return ret;
}

static int keel_vdev_state_save(struct keel_state *st,
				struct keel_state_writer *w)
{
	struct keel_vdev *dev = &keel_vdev_of(st)->vdev;
	const struct keel_vdev_model *model = dev->model;
	struct keel_vdev_saved_streams *hs;
	unsigned int tx, rx;
	ssize_t mlen;
	u8 *mbuf;
	int ret;

	mbuf = kmalloc(model->state_len, GFP_KERNEL);
	hs = kmalloc(KEEL_VDEV_STREAMS_MAX, GFP_KERNEL);
	ret = -ENOMEM;
	if (!mbuf || !hs)
		goto out;

	/* One snapshot of the model and the streams together. */
	spin_lock_irq(&dev->lock);
	mlen = model->save(dev, mbuf, model->state_len);
	tx = kfifo_out_peek(&dev->tx, (u8 *)(hs + 1), KEEL_VDEV_STREAM_SIZE);
	rx = kfifo_out_peek(&dev->rx, (u8 *)(hs + 1) + tx,
			    KEEL_VDEV_STREAM_SIZE);
	spin_unlock_irq(&dev->lock);
	if (mlen < 0) {
		ret = mlen;
		goto out;
	}
	hs->tx_len = cpu_to_le32(tx);
	hs->rx_len = cpu_to_le32(rx);

	ret = keel_state_put(w, KEEL_VDEV_SEC_MODEL, model->state_version,
			     mbuf, mlen);
	if (!ret)
		ret = keel_state_put(w, KEEL_VDEV_SEC_STREAMS,
				     KEEL_VDEV_STREAMS_VERSION, hs,
				     sizeof(*hs) + tx + rx);
out:
	kfree(hs);
	kfree(mbuf);
	return ret;
}

static int keel_vdev_state_check(struct keel_state *st,
				 const struct keel_state_blob *b,
				 const char **why)
{
	const struct keel_vdev_model *model = keel_vdev_of(st)->vdev.model;
	const struct keel_state_sec *m = keel_state_find(b, KEEL_VDEV_SEC_MODEL);
	const struct keel_state_sec *s = keel_state_find(b, KEEL_VDEV_SEC_STREAMS);
	struct keel_vdev_saved_streams hs;

	if (model->check(m->data, m->len, m->version)) {
		*why = "device registers out of range or inconsistent";
		return -EINVAL;
	}
	if (s->len < sizeof(hs))
		goto bad_streams;
	memcpy(&hs, s->data, sizeof(hs));
	if (le32_to_cpu(hs.tx_len) > KEEL_VDEV_STREAM_SIZE ||
	    le32_to_cpu(hs.rx_len) > KEEL_VDEV_STREAM_SIZE ||
	    s->len != sizeof(hs) + le32_to_cpu(hs.tx_len) +
		      le32_to_cpu(hs.rx_len))
		goto bad_streams;
	return 0;

bad_streams:
	*why = "host stream lengths inconsistent";
	return -EINVAL;
}

static void keel_vdev_state_load(struct keel_state *st,
				 const struct keel_state_blob *b)
{
	struct keel_vdev *dev = &keel_vdev_of(st)->vdev;
	const struct keel_state_sec *m = keel_state_find(b, KEEL_VDEV_SEC_MODEL);
	const struct keel_state_sec *s = keel_state_find(b, KEEL_VDEV_SEC_STREAMS);
	struct keel_vdev_saved_streams hs;
	const u8 *bytes = s->data + sizeof(hs);
	u32 tx, rx;

	memcpy(&hs, s->data, sizeof(hs));
	tx = le32_to_cpu(hs.tx_len);
	rx = le32_to_cpu(hs.rx_len);

	spin_lock_irq(&dev->lock);
	kfifo_reset(&dev->tx);
	kfifo_reset(&dev->rx);
	kfifo_in(&dev->tx, bytes, tx);
	kfifo_in(&dev->rx, bytes + tx, rx);
	/* check() accepted it: the model cannot refuse it now. */
	WARN_ON(dev->model->load(dev, m->data, m->len, m->version));
	spin_unlock_irq(&dev->lock);
	keel_vdev_host_notify(dev);
}

#define KEEL_VDEV_STATE_SECS(model_version)				\
	{								\
		{ KEEL_VDEV_SEC_MODEL, model_version, true },		\
		{ KEEL_VDEV_SEC_STREAMS, KEEL_VDEV_STREAMS_VERSION, true }, \
	}

static const struct keel_state_sec_desc keel_vdev_uart_secs[] =
	KEEL_VDEV_STATE_SECS(KEEL_UART_STATE_VERSION);

static const struct keel_state_ops keel_vdev_uart_state_ops = {
	.type = KEEL_STATE_TYPE_VDEV_UART16550A,
	.max_len = KEEL_VDEV_BLOB_MAX(sizeof(struct keel_uart16550_saved)),
	.secs = keel_vdev_uart_secs,
	.nr_secs = ARRAY_SIZE(keel_vdev_uart_secs),
	.stop = keel_vdev_state_stop,
	.resume = keel_vdev_state_resume,
	.save = keel_vdev_state_save,
	.check = keel_vdev_state_check,
	.load = keel_vdev_state_load,
};

/* The state ops for a device of @model, or NULL if it has no state. */
const struct keel_state_ops *keel_vdev_state_ops(const struct keel_vdev_model *model)
{
	if (model->state_type == KEEL_STATE_TYPE_VDEV_UART16550A)
		return &keel_vdev_uart_state_ops;
	return NULL;
}
