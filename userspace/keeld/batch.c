// SPDX-License-Identifier: GPL-2.0
/*
 * keeld's group commit (batch.h): opening the batch's transaction,
 * holding back the replies of its requests, committing it once and then
 * sending every reply in the order the requests came; when the commit
 * fails, rebuilding the cache and answering every request with the
 * error instead, so that nothing is acknowledged that did not commit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/keeld.h>

#include "keeld.h"
#include "proto.h"
#include "log.h"

bool batch_wants(const struct keeld *kd, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	const struct genlmsghdr *g;

	if (kd->batch.max <= 1 || !store_can_batch(kd->cloud.store))
		return false;
	if (!buf || len < NLMSG_HDRLEN + GENL_HDRLEN ||
	    nlh->nlmsg_type != KEELD_NLMSG_TYPE ||
	    (nlh->nlmsg_flags & NLM_F_DUMP))
		return false;
	g = (const void *)((const char *)buf + NLMSG_HDRLEN);
	/* Malformed ones join as well: their error reply waits its turn. */
	return g->cmd == KEELD_CMD_ALLOC || g->cmd == KEELD_CMD_FREE;
}

bool batch_add(struct keeld *kd, struct client *cl, const struct nlmsghdr *hdr)
{
	struct batch *b = &kd->batch;

	if (!b->open) {
		if (store_batch_begin(kd->cloud.store)) {
			keeld_log(LOG_ERR, "starting a batch: %s",
				store_error(kd->cloud.store));
			return false;
		}
		b->open = true;
		b->oom = false;
		b->nreq = 0;
		b->nmsg = 0;
		b->out_len = 0;
		b->allocs_before = kd->cloud.allocs;
	}
	b->req[b->nreq].cl = cl;
	b->req[b->nreq].hdr = *hdr;
	b->nreq++;
	return true;
}

bool batch_full(const struct keeld *kd)
{
	return kd->batch.open && kd->batch.nreq >= kd->batch.max;
}

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

/* Hold a reply of the batch's last request until the commit. */
static bool hold(struct batch *b, struct client *cl, const void *buf,
		 size_t len)
{
	if (b->oom)
		return false;
	if (!grow((void **)&b->out, &b->out_cap, b->out_len + len, 1) ||
	    !grow((void **)&b->msg, &b->msg_cap, b->nmsg + 1, sizeof(*b->msg))) {
		b->oom = true;
		return false;
	}
	memcpy(b->out + b->out_len, buf, len);
	b->msg[b->nmsg].cl = cl;
	b->msg[b->nmsg].off = b->out_len;
	b->msg[b->nmsg].len = len;
	b->nmsg++;
	b->out_len += len;
	return true;
}

bool keeld_send(struct keeld *kd, struct client *cl, const void *buf,
		size_t len)
{
	if (kd->batch.open)
		return hold(&kd->batch, cl, buf, len);
	return client_send(cl, buf, len);
}

/* Clients that stopped reading during this flush get nothing more. */
static bool stuck(struct client *const *gone, size_t n, const struct client *cl)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (gone[i] == cl)
			return true;
	return false;
}

static void send_held(struct batch *b)
{
	struct client *gone[BATCH_MAX];
	size_t i, ngone = 0;

	for (i = 0; i < b->nmsg; i++) {
		struct client *cl = b->msg[i].cl;

		if (stuck(gone, ngone, cl))
			continue;
		if (!client_send(cl, b->out + b->msg[i].off, b->msg[i].len) &&
		    ngone < BATCH_MAX)
			gone[ngone++] = cl;
	}
}

/* The batch did not commit: each request gets the error, nothing else. */
static void send_failed(struct keeld *kd, int code, const char *why)
{
	struct batch *b = &kd->batch;
	struct keeld_err err = { 0 };
	char msg[256], ack[512];
	unsigned int i;
	size_t len;

	if (cloud_load(&kd->cloud, &err))
		keeld_log(LOG_ERR, "reloading after a failed batch: %s",
			err.msg);
	kd->cloud.allocs = b->allocs_before;
	snprintf(msg, sizeof(msg), "database: %s; nothing was done", why);
	keeld_log(LOG_ERR, "a batch of %u requests failed: %s", b->nreq,
		why);
	for (i = 0; i < b->nreq; i++) {
		len = proto_ack(ack, &b->req[i].hdr, code, msg, NULL);
		client_send(b->req[i].cl, ack, len);
	}
}

void batch_finish(struct keeld *kd)
{
	struct batch *b = &kd->batch;
	char why[256];
	int ret;

	if (!b->open)
		return;
	b->open = false;
	if (b->oom) {
		store_batch_abort(kd->cloud.store);
		send_failed(kd, -ENOMEM, "out of memory holding the replies");
		return;
	}
	ret = store_batch_commit(kd->cloud.store);
	if (ret) {
		snprintf(why, sizeof(why), "%s", store_error(kd->cloud.store));
		send_failed(kd, ret == -EAGAIN ? -EAGAIN : -EIO, why);
		return;
	}
	b->commits++;
	b->batched += b->nreq;
	if (b->nreq > b->largest)
		b->largest = b->nreq;
	send_held(b);
}

void batch_release(struct batch *b)
{
	free(b->out);
	free(b->msg);
	b->out = NULL;
	b->msg = NULL;
	b->out_cap = b->msg_cap = 0;
}
