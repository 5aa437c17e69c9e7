/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keeld's group commit: the allocations and frees read in one round of
 * the event loop run in one database transaction, each in a savepoint of
 * its own, and their replies are held back until that transaction has
 * committed. A batch that does not commit is rolled back whole and every
 * request of it is answered with the error.
 */
#ifndef KEELD_BATCH_H
#define KEELD_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

/* The most requests in one transaction (--batch). */
#define BATCH_MAX	64

struct client;
struct keeld;

/* A request of the batch: who sent it and its header, for the replies. */
struct batch_req {
	struct client *cl;
	struct nlmsghdr hdr;
};

/* A reply held back: @len bytes at @off in the batch's buffer. */
struct batch_msg {
	struct client *cl;
	size_t off, len;
};

struct batch {
	unsigned int max;		/* 1: no group commit */
	bool open;			/* a transaction is open */
	bool oom;			/* a reply could not be held */
	struct batch_req req[BATCH_MAX];
	unsigned int nreq;
	struct batch_msg *msg;
	size_t nmsg, msg_cap;
	char *out;
	size_t out_len, out_cap;
	uint64_t allocs_before;		/* the cache's count at the start */
	/* Totals, logged when keeld stops. */
	uint64_t commits, batched, largest;
};

/* Whether the packet @buf of @len bytes may join a batch. */
bool batch_wants(const struct keeld *kd, const void *buf, size_t len);
/*
 * Make @cl's request with header @hdr part of the batch, opening the
 * transaction first if needed. false: no batch now, handle it alone.
 */
bool batch_add(struct keeld *kd, struct client *cl, const struct nlmsghdr *hdr);
/* Whether the batch holds as many requests as it may. */
bool batch_full(const struct keeld *kd);
/* Commit the open batch, then send its replies (or its errors). */
void batch_finish(struct keeld *kd);
void batch_release(struct batch *b);

/*
 * Send one message to @cl: at once outside a batch, after the commit
 * inside one. false when the client is gone.
 */
bool keeld_send(struct keeld *kd, struct client *cl, const void *buf,
		size_t len);

#endif /* KEELD_BATCH_H */
