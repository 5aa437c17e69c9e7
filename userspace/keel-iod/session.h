/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sessions: a device opened by a client, reachable from any number of
 * connections through handles, surviving its connections for a while
 * (linger), with the record of its completed writes and flushes over
 * the request-id window so that a replay is answered, not applied again.
 */
#ifndef IOD_SESSION_H
#define IOD_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/keel_remote.h>

struct iod_dev;

/* The result of a completed WRITE or FLUSH. */
struct iod_record {
	uint64_t id;			/* 0: empty */
	uint32_t status;
	uint8_t type;
};

struct iod_session {
	struct iod_session *next, *prev;
	uint64_t id;
	struct iod_dev *dev;
	unsigned int refs;		/* handles on connections */
	bool closed;			/* CLOSE: gone with its last handle */
	uint64_t max_id;		/* highest request id seen */
	uint64_t idle_since;		/* ms: when refs fell to zero */
	struct iod_record rec[KEEL_REMOTE_WINDOW];	/* by id % window */
};

struct iod_sessions {
	struct iod_session *head;
	unsigned int n, max;
	uint64_t linger_ms;
};

/*
 * A new session on @dev, without references (conn_attach() takes the
 * first); -EMFILE at the limit.
 */
int session_new(struct iod_sessions *ss, struct iod_dev *dev,
		struct iod_session **out);
/* The open session @id, or NULL. */
struct iod_session *session_find(struct iod_sessions *ss, uint64_t id);
void session_get(struct iod_session *s);
/* Drop a reference; the session starts to linger, or goes if closed. */
void session_put(struct iod_sessions *ss, struct iod_session *s,
		 uint64_t now);
/* CLOSE: the device is free at once, the session goes with its refs. */
void session_close(struct iod_sessions *ss, struct iod_session *s);
/*
 * Admit request id @id: -EINVAL for 0, -ESTALE at or behind the window
 * (highest id seen - KEEL_REMOTE_WINDOW); otherwise 0, and the window
 * moves up to @id.
 */
int session_admit(struct iod_session *s, uint64_t id);
/* The record of a completed WRITE or FLUSH @id, or NULL. */
const struct iod_record *session_lookup(const struct iod_session *s,
					uint64_t id);
void session_record(struct iod_session *s, uint64_t id, uint8_t type,
		    uint32_t status);
/* The records of the window into @out (KEEL_REMOTE_WINDOW); how many. */
unsigned int session_records(const struct iod_session *s,
			     struct keel_remote_record *out);
/*
 * End the sessions that lingered for linger_ms without a connection.
 * Returns the milliseconds until the next one would end, or -1.
 */
int session_expire(struct iod_sessions *ss, uint64_t now);
void session_free_all(struct iod_sessions *ss);

#endif /* IOD_SESSION_H */
