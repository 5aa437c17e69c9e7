// SPDX-License-Identifier: GPL-2.0
/*
 * The packets waiting for a client's socket: a FIFO of copies, sent
 * without blocking as the socket drains. SOCK_SEQPACKET sends a packet
 * whole or not at all, so a packet is either sent or still queued.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "outq.h"

struct outq_pkt {
	struct outq_pkt *next;
	size_t len;
	char data[];
};

bool outq_push(struct outq *q, const void *buf, size_t len)
{
	struct outq_pkt *p = malloc(sizeof(*p) + len);

	if (!p)
		return false;
	p->next = NULL;
	p->len = len;
	memcpy(p->data, buf, len);
	if (q->tail)
		q->tail->next = p;
	else
		q->head = p;
	q->tail = p;
	q->bytes += sizeof(*p) + len;
	return true;
}

static void pop(struct outq *q)
{
	struct outq_pkt *p = q->head;

	q->head = p->next;
	if (!q->head)
		q->tail = NULL;
	q->bytes -= sizeof(*p) + p->len;
	free(p);
}

long outq_flush(struct outq *q, int fd)
{
	long sent = 0;
	ssize_t n;

	while (q->head) {
		n = send(fd, q->head->data, q->head->len,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return -errno;
		pop(q);
		sent++;
	}
	return sent;
}

void outq_clear(struct outq *q)
{
	while (q->head)
		pop(q);
}
