// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-rng interface of a remote device (KEEL_REMOTE_IF_VIRTIO_RNG,
 * virtio device 4), on the worker and the queue of blk.c and vq.c: each
 * chain is device-writable buffers only, and becomes one READ of an
 * entropy session (offset 0, the chain's bytes up to max_data); the reply's
 * bytes go into the buffers and the used entry says how many. A chain no
 * driver may make (a device-readable or empty descriptor) is counted and
 * given back with nothing written; one whose buffers are not writable
 * guest RAM breaks the queue (DEVICE_NEEDS_RESET). Nothing of either is
 * sent.
 */
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "remote.h"

/* &keel_remote_iface.parse: the chain's buffers as one READ. */
static int keel_remote_rng_parse(struct keel_remote *rd, u16 head, u32 nr,
				 struct keel_remote_req *r)
{
	u32 i, n = 0, len = 0;
	int ret;

	for (i = 0; i < nr; i++)
		if (!rd->chain[i].write || !rd->chain[i].len)
			goto bad;
	for (i = 0; i < nr && n < rd->seg_cap && len < rd->max_data; i++) {
		r->segs[n].gpa = rd->chain[i].gpa;
		r->segs[n].len = min(rd->chain[i].len, rd->max_data - len);
		r->segs[n].write = true;
		if (!keel_remote_guest_writable(rd, r->segs[n].gpa,
						r->segs[n].len))
			return keel_remote_fault(rd, -EFAULT);
		len += r->segs[n].len;
		n++;
	}
	r->head = head;
	r->type = KEEL_REMOTE_MSG_READ;
	r->offset = 0;
	r->len = len;
	r->status_gpa = 0;
	r->nr_segs = n;
	if (!keel_remote_buf(r, len))
		return KEEL_REMOTE_CHAIN_SENT;
	/* No memory for the reply: an error, as the block device gives. */
	ret = keel_remote_vq_push(rd, head, 0);
	if (ret)
		return keel_remote_fault(rd, ret);
	keel_remote_count_done(rd, KEEL_REMOTE_MSG_READ, 0, VIRTIO_BLK_S_IOERR);
	return KEEL_REMOTE_CHAIN_LOCAL;

bad:
	/* Counted, and given back empty: the driver sees no bytes. */
	keel_remote_bad_desc(rd);
	ret = keel_remote_vq_push(rd, head, 0);
	if (ret)
		return keel_remote_fault(rd, ret);
	keel_remote_count_done(rd, 0, 0, VIRTIO_BLK_S_IOERR);
	return KEEL_REMOTE_CHAIN_LOCAL;
}

/* &keel_remote_iface.complete: the bytes read, or none after an error. */
static int keel_remote_rng_complete(struct keel_remote *rd,
				    struct keel_remote_req *r)
{
	u32 len = r->vstatus == VIRTIO_BLK_S_OK ? r->len : 0;
	int ret;

	ret = keel_remote_scatter(rd, r->segs, r->nr_segs, r->buf, len);
	if (!ret)
		ret = keel_remote_vq_push(rd, r->head, len);
	return ret ? keel_remote_fault(rd, ret) : 0;
}

const struct keel_remote_iface keel_remote_iface_rng = {
	.device_id = VIRTIO_ID_RNG,
	.parse = keel_remote_rng_parse,
	.complete = keel_remote_rng_complete,
};
