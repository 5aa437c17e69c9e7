// SPDX-License-Identifier: GPL-2.0
/*
 * A vdev device in the state framework: the keel_state_ops callbacks every
 * model's KEEL_VDEV_STATE_OPS uses. STOPPED is "not started": the claim
 * stays, but guest accesses leave to the VMM as ordinary exits and no
 * interrupt is signalled. A blob has the model's section (its own save,
 * check and load) and, for a model with streams, the host-side byte
 * streams; RESUME settles the model against the streams and raises a
 * pending interrupt again.
 */
#include <linux/slab.h>
#include <linux/keel_state.h>

#include "vdev.h"

static struct keel_vdev_inst *keel_vdev_of(struct keel_state *st)
{
	return keel_vdev_of_inst(container_of(st, struct keel_inst, state));
}

void keel_vdev_state_stop(struct keel_state *st)
{
	struct keel_vdev_inst *vi = keel_vdev_of(st);
	struct keel_vdev *dev = &vi->vdev;

	/* No vCPU is inside the device once this returns. */
	keel_io_claim_stop(&vi->claim);
	spin_lock_irq(&dev->lock);
	dev->running = false;
	keel_irq_line_enable(&vi->irq, false);
	spin_unlock_irq(&dev->lock);
}

int keel_vdev_state_resume(struct keel_state *st)
{
	struct keel_vdev_inst *vi = keel_vdev_of(st);
	struct keel_vdev *dev = &vi->vdev;
	int ret;

	spin_lock_irq(&dev->lock);
	dev->running = true;
	/* Catch up with what the VMM wrote and read while stopped. */
	if (dev->io) {
		dev->model->host_rx_ready(dev);
		dev->model->host_tx_space(dev);
	}
	/* Signals again; a line that is high now rises once more. */
	keel_irq_line_enable(&vi->irq, true);
	spin_unlock_irq(&dev->lock);
	keel_vdev_host_notify(dev);

	ret = keel_io_claim_start(&vi->claim);
	if (ret) {
		spin_lock_irq(&dev->lock);
		dev->running = false;
		keel_irq_line_enable(&vi->irq, false);
		spin_unlock_irq(&dev->lock);
	}
	return ret;
}

int keel_vdev_state_save(struct keel_state *st, struct keel_state_writer *w)
{
	struct keel_vdev *dev = &keel_vdev_of(st)->vdev;
	const struct keel_vdev_model *model = dev->model;
	void *hs = NULL;
	u32 hs_len = 0;
	ssize_t mlen;
	u8 *mbuf;
	int ret;

	mbuf = kmalloc(model->state_len, GFP_KERNEL);
	if (!mbuf)
		return -ENOMEM;
	if (dev->io) {
		/* Allocated outside the lock, filled under it below. */
		hs = kmalloc(KEEL_VDEV_STREAMS_MAX, GFP_KERNEL);
		if (!hs) {
			ret = -ENOMEM;
			goto out;
		}
	}

	/* One snapshot of the model and the streams together. */
	spin_lock_irq(&dev->lock);
	mlen = model->save(dev, mbuf, model->state_len);
	if (hs) {
		struct keel_vdev_saved_streams *s = hs;
		unsigned int tx, rx;

		tx = kfifo_out_peek(&dev->io->tx, (u8 *)(s + 1),
				    KEEL_VDEV_STREAM_SIZE);
		rx = kfifo_out_peek(&dev->io->rx, (u8 *)(s + 1) + tx,
				    KEEL_VDEV_STREAM_SIZE);
		s->tx_len = cpu_to_le32(tx);
		s->rx_len = cpu_to_le32(rx);
		hs_len = sizeof(*s) + tx + rx;
	}
	spin_unlock_irq(&dev->lock);
	if (mlen < 0) {
		ret = mlen;
		goto out;
	}

	ret = keel_state_put(w, KEEL_VDEV_SEC_MODEL, model->state_version,
			     mbuf, mlen);
	if (!ret && hs)
		ret = keel_state_put(w, KEEL_VDEV_SEC_STREAMS,
				     KEEL_VDEV_STREAMS_VERSION, hs, hs_len);
out:
	kfree(hs);
	kfree(mbuf);
	return ret;
}

static bool keel_vdev_streams_valid(const struct keel_state_sec *s)
{
	struct keel_vdev_saved_streams hs;

	if (s->len < sizeof(hs))
		return false;
	memcpy(&hs, s->data, sizeof(hs));
	return le32_to_cpu(hs.tx_len) <= KEEL_VDEV_STREAM_SIZE &&
	       le32_to_cpu(hs.rx_len) <= KEEL_VDEV_STREAM_SIZE &&
	       s->len == sizeof(hs) + le32_to_cpu(hs.tx_len) +
			 le32_to_cpu(hs.rx_len);
}

int keel_vdev_state_check(struct keel_state *st,
			  const struct keel_state_blob *b, const char **why)
{
	const struct keel_vdev *dev = &keel_vdev_of(st)->vdev;
	const struct keel_state_sec *m = keel_state_find(b, KEEL_VDEV_SEC_MODEL);
	const struct keel_state_sec *s = keel_state_find(b, KEEL_VDEV_SEC_STREAMS);

	if (dev->model->check(m->data, m->len, m->version)) {
		*why = "device registers out of range or inconsistent";
		return -EINVAL;
	}
	if (dev->io && !keel_vdev_streams_valid(s)) {
		*why = "host stream lengths inconsistent";
		return -EINVAL;
	}
	return 0;
}

void keel_vdev_state_load(struct keel_state *st,
			  const struct keel_state_blob *b)
{
	struct keel_vdev *dev = &keel_vdev_of(st)->vdev;
	const struct keel_state_sec *m = keel_state_find(b, KEEL_VDEV_SEC_MODEL);
	const struct keel_state_sec *s = keel_state_find(b, KEEL_VDEV_SEC_STREAMS);
	struct keel_vdev_saved_streams hs;
	const u8 *bytes = NULL;
	u32 tx = 0, rx = 0;

	if (dev->io) {
		memcpy(&hs, s->data, sizeof(hs));
		bytes = s->data + sizeof(hs);
		tx = le32_to_cpu(hs.tx_len);
		rx = le32_to_cpu(hs.rx_len);
	}

	spin_lock_irq(&dev->lock);
	if (dev->io) {
		kfifo_reset(&dev->io->tx);
		kfifo_reset(&dev->io->rx);
		kfifo_in(&dev->io->tx, bytes, tx);
		kfifo_in(&dev->io->rx, bytes + tx, rx);
	}
	/* check() accepted it: the model cannot refuse it now. */
	WARN_ON(dev->model->load(dev, m->data, m->len, m->version));
	spin_unlock_irq(&dev->lock);
	keel_vdev_host_notify(dev);
}
