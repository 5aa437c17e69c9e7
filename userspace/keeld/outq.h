/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A client's output queue: the reply packets its socket did not take
 * yet, in order, and how much memory they hold. keeld never blocks on a
 * client; what does not fit the socket waits here (clients.c).
 */
#ifndef KEELD_OUTQ_H
#define KEELD_OUTQ_H

#include <stdbool.h>
#include <stddef.h>

struct outq_pkt;

struct outq {
	struct outq_pkt *head, *tail;
	size_t bytes;			/* packets and their bookkeeping */
};

static inline bool outq_empty(const struct outq *q)
{
	return !q->head;
}

/* Append a copy of the packet @buf of @len bytes; false: out of memory. */
bool outq_push(struct outq *q, const void *buf, size_t len);
/*
 * Send the waiting packets to @fd without blocking. Returns how many
 * were sent (>= 0) when the queue is empty or the socket is full, or a
 * negative errno when the socket failed.
 */
long outq_flush(struct outq *q, int fd);
/* Drop every waiting packet. */
void outq_clear(struct outq *q);

#endif /* KEELD_OUTQ_H */
