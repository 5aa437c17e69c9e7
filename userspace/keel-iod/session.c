// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions and their completion records (session.h). Ids are random
 * 64-bit numbers, so that a restarted server never mistakes an old id
 * for one of its own. The record is a ring of KEEL_REMOTE_WINDOW slots
 * indexed by request id: the client issues id N only once every id up to
 * N - window is answered, so the slot a new id takes belongs to a
 * request the client will never send again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "log.h"
#include "registry.h"
#include "session.h"

static void unlink_free(struct iod_sessions *ss, struct iod_session *s)
{
	if (!s->closed)
		s->dev->sessions--;
	if (s->prev)
		s->prev->next = s->next;
	else
		ss->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	ss->n--;
	iod_log(LOG_DEBUG, "session %016llx on %s ends",
		(unsigned long long)s->id, s->dev->desc.name);
	free(s);
}

int session_new(struct iod_sessions *ss, struct iod_dev *dev,
		struct iod_session **out)
{
	struct iod_session *s;
	uint64_t id;

	if (ss->n >= ss->max)
		return -EMFILE;
	do {
		if (RAND_bytes((unsigned char *)&id, sizeof(id)) != 1)
			return -EIO;
	} while (!id || session_find(ss, id));
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->id = id;
	s->dev = dev;
	s->next = ss->head;
	if (ss->head)
		ss->head->prev = s;
	ss->head = s;
	ss->n++;
	dev->sessions++;
	*out = s;
	return 0;
}

struct iod_session *session_find(struct iod_sessions *ss, uint64_t id)
{
	struct iod_session *s;

	for (s = ss->head; s; s = s->next)
		if (s->id == id && !s->closed)
			return s;
	return NULL;
}

void session_get(struct iod_session *s)
{
	s->refs++;
}

void session_put(struct iod_sessions *ss, struct iod_session *s,
		 uint64_t now)
{
	if (--s->refs)
		return;
	if (s->closed)
		unlink_free(ss, s);
	else
		s->idle_since = now;
}

void session_close(struct iod_sessions *ss, struct iod_session *s)
{
	(void)ss;
	if (s->closed)
		return;
	s->closed = true;
	s->dev->sessions--;
}

int session_admit(struct iod_session *s, uint64_t id)
{
	if (!id)
		return -EINVAL;
	if (s->max_id >= KEEL_REMOTE_WINDOW &&
	    id <= s->max_id - KEEL_REMOTE_WINDOW)
		return -ESTALE;
	if (id > s->max_id)
		s->max_id = id;
	return 0;
}

const struct iod_record *session_lookup(const struct iod_session *s,
					uint64_t id)
{
	const struct iod_record *r = &s->rec[id % KEEL_REMOTE_WINDOW];

	return r->id == id ? r : NULL;
}

void session_record(struct iod_session *s, uint64_t id, uint8_t type,
		    uint32_t status)
{
	struct iod_record *r = &s->rec[id % KEEL_REMOTE_WINDOW];

	r->id = id;
	r->type = type;
	r->status = status;
}

unsigned int session_records(const struct iod_session *s,
			     struct keel_remote_record *out)
{
	uint64_t low = s->max_id >= KEEL_REMOTE_WINDOW ?
		       s->max_id - KEEL_REMOTE_WINDOW : 0;
	unsigned int i, n = 0;

	for (i = 0; i < KEEL_REMOTE_WINDOW; i++) {
		const struct iod_record *r = &s->rec[i];

		if (!r->id || r->id <= low)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].req_id = r->id;
		out[n].status = r->status;
		out[n].type = r->type;
		n++;
	}
	return n;
}

int session_expire(struct iod_sessions *ss, uint64_t now)
{
	struct iod_session *s, *next;
	uint64_t left, soonest = UINT64_MAX;

	for (s = ss->head; s; s = next) {
		next = s->next;
		if (s->refs)
			continue;
		if (now - s->idle_since >= ss->linger_ms) {
			iod_log(LOG_INFO, "session %016llx on %s: no connection for %llu ms, ended",
				(unsigned long long)s->id, s->dev->desc.name,
				(unsigned long long)ss->linger_ms);
			unlink_free(ss, s);
			continue;
		}
		left = ss->linger_ms - (now - s->idle_since);
		if (left < soonest)
			soonest = left;
	}
	return soonest == UINT64_MAX ? -1 :
	       soonest > 86400000 ? 86400000 : (int)soonest;
}

void session_free_all(struct iod_sessions *ss)
{
	struct iod_session *s;

	while ((s = ss->head)) {
		s->refs = 0;
		unlink_free(ss, s);
	}
}
