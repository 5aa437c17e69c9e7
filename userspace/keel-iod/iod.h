/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel-iod, the remote I/O server: the state of the daemon (its devices,
 * key, listeners, connections and sessions) and the calls between its
 * files. Everything runs on one thread, in the epoll loop of server.c.
 */
#ifndef IOD_IOD_H
#define IOD_IOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/keel_remote.h>

#include "auth.h"
#include "registry.h"
#include "session.h"

#define IOD_MAX_LISTEN		8
#define IOD_MAX_HANDLES		64	/* per connection */
#define IOD_MAX_CLIENTS		256	/* default --max-clients */
#define IOD_MAX_SESSIONS	1024
#define IOD_IDLE_S		30	/* default --idle-timeout */
#define IOD_LINGER_S		60	/* default --session-timeout */
#define IOD_STOP_S		10	/* graceful stop: to send replies */
/* Stop reading a connection's requests while this much is unsent. */
#define IOD_OUT_HIGH		(2u << 20)

/* What an epoll event belongs to: the first member of each owner. */
enum iod_ev { EV_LISTEN = 1, EV_SIGNAL, EV_CONN };

struct iod_listener {
	enum iod_ev ev;
	int fd;
	char addr[128];			/* as given: unix:PATH, tcp:HOST:PORT */
	char *path;			/* unix: the socket file we made */
	dev_t dev;
	ino_t ino;
};

enum conn_state { CONN_HELLO, CONN_AUTH, CONN_READY };

struct iod_conn {
	enum iod_ev ev;
	struct iod_conn *next, *prev;
	int fd;
	char peer[96];			/* for the log */
	enum conn_state state;
	bool closing;			/* close once the output is sent */
	bool eof;			/* the peer sends no more */
	uint32_t armed;			/* epoll events registered */
	size_t last_reply;		/* offset in out of the last reply */
	uint8_t version;		/* agreed in HELLO */
	uint64_t last_rx;		/* ms: last bytes received */
	char name[KEEL_REMOTE_NAME_LEN];	/* the client's, from HELLO */
	/* The handshake's transcript: both HELLO messages as sent. */
	unsigned char hello[sizeof(struct keel_remote_hdr) +
			    sizeof(struct keel_remote_hello)];
	unsigned char reply[sizeof(struct keel_remote_hdr) +
			    sizeof(struct keel_remote_hello_reply)];
	unsigned char *in;		/* received, [in_off, in_len) unread */
	size_t in_off, in_len, in_cap;
	unsigned char *out;		/* to send, [out_off, out_len) */
	size_t out_off, out_len, out_cap;
	struct iod_session *handles[IOD_MAX_HANDLES];	/* handle - 1 */
};

struct iod {
	struct iod_registry reg;
	struct iod_key key;
	struct iod_sessions sessions;
	struct iod_listener listeners[IOD_MAX_LISTEN];
	unsigned int nlisten;
	struct iod_conn *conns;
	unsigned int nconns, max_conns;
	unsigned int idle_ms;
	char name[KEEL_REMOTE_NAME_LEN];
	int epoll_fd, signal_fd;
	bool stopping;
};

uint64_t iod_now(void);

/* listen.c: --listen ADDR, unix:PATH or tcp:HOST:PORT. */
int listen_add(struct iod *iod, const char *addr);
void listen_close(struct iod *iod);

/* server.c */
int server_init(struct iod *iod);
int server_run(struct iod *iod);
void server_close(struct iod *iod);

/* A request as dispatched: its header and fixed body copied out. */
struct iod_msg {
	struct keel_remote_hdr h;
	union {
		struct keel_remote_hello hello;
		struct keel_remote_auth auth;
		struct keel_remote_open open;
		struct keel_remote_resume resume;
		struct keel_remote_io io;
	} body;
	const unsigned char *raw;	/* the message as received */
	const unsigned char *data;	/* what follows the fixed body */
	uint32_t data_len;
};

/* conn.c: a connection's buffers, replies and life. */
struct iod_conn *conn_new(struct iod *iod, int fd, const char *peer);
void conn_free(struct iod *iod, struct iod_conn *c);
/*
 * Read what the socket holds, up to the buffer's room: the bytes read,
 * 0 when there is nothing now (or no room), or at the end (c->eof).
 */
ssize_t conn_read(struct iod_conn *c);
/*
 * After an event: serve the complete requests read while the output has
 * room, send, and watch the socket for what comes next. Frees @c when it
 * is done (closed by either side, or failed) and returns false.
 */
bool conn_settle(struct iod *iod, struct iod_conn *c);
size_t conn_pending(const struct iod_conn *c);
/* Whether a whole message waits in the input. */
bool conn_has_request(const struct iod_conn *c);
/* Append @len bytes, a whole message, to the output. */
void conn_send(struct iod_conn *c, const void *msg, size_t len);
/*
 * Append the reply to @req: type @type, status @status, @body of
 * @body_len bytes, then room for @data_len bytes of data, whose address
 * it returns (NULL and the connection closing when out of memory).
 */
unsigned char *conn_reply(struct iod_conn *c, const struct keel_remote_hdr *req,
			  uint8_t type, uint32_t status, const void *body,
			  uint32_t body_len, uint32_t data_len);
/* Cut the last @cut bytes of the data of the last conn_reply(). */
void conn_trim(struct iod_conn *c, uint32_t cut);
/* Take the last conn_reply() back. */
void conn_unreply(struct iod_conn *c);
/* An ERROR reply to @req: code @err (a positive errno), a reason. */
__attribute__((format(printf, 5, 6)))
void conn_error(struct iod_conn *c, const struct keel_remote_hdr *req,
		int err, uint16_t detail, const char *fmt, ...);
/* The session of @handle, or NULL (also for a closed session). */
struct iod_session *conn_session(struct iod *iod, struct iod_conn *c,
				 uint32_t handle);
/* Whether @c has a free handle. */
bool conn_handle_free(const struct iod_conn *c);
/* A new handle for @s on @c, which takes a reference; 0 when full. */
uint32_t conn_attach(struct iod_conn *c, struct iod_session *s);
void conn_detach(struct iod *iod, struct iod_conn *c, uint32_t handle);

/* handshake.c: HELLO and AUTH. */
void handshake_hello(struct iod *iod, struct iod_conn *c,
		     const struct iod_msg *m);
void handshake_auth(struct iod *iod, struct iod_conn *c,
		    const struct iod_msg *m);

/* request.c: a complete message, checked and handed to its handler. */
void request_dispatch(struct iod *iod, struct iod_conn *c,
		      struct iod_msg *m);

/* io.c: READ, WRITE and FLUSH on a session. */
void io_request(struct iod *iod, struct iod_conn *c, const struct iod_msg *m);

#endif /* IOD_IOD_H */
