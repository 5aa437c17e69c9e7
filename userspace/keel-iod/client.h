/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small client of keel-iod, for its tests and as the reference of how
 * a client speaks the protocol (keel_remote.ko follows the same steps):
 * connect, HELLO, AUTH with the server's proof checked, then LIST, OPEN,
 * RESUME, I/O, PING and CLOSE. Calls are synchronous, one request at a
 * time: each returns 0 or a negative errno (-code of an ERROR reply, whose
 * detail and text stay in the struct). iodc_send() and iodc_recv() give
 * the raw messages for pipelining and for malformed ones.
 */
#ifndef IOD_CLIENT_H
#define IOD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/keel_remote.h>

#include "auth.h"

struct iodc {
	int fd;
	int timeout_ms;			/* each wait for the server */
	uint8_t version;		/* agreed; VERSION_1 before */
	uint64_t ctl_id;		/* req_id of the last request
					   outside a session */
	struct keel_remote_hello_reply server;	/* its HELLO reply */
	unsigned char hello[sizeof(struct keel_remote_hdr) +
			    sizeof(struct keel_remote_hello)];
	unsigned char reply[sizeof(struct keel_remote_hdr) +
			    sizeof(struct keel_remote_hello_reply)];
	/* The last message received: header, then body in buf. */
	struct keel_remote_hdr rh;
	unsigned char *buf;
	size_t cap;
	/* The last ERROR. */
	uint32_t err_code;
	uint16_t err_detail;
	char err_text[KEEL_REMOTE_TEXT_LEN + 1];
};

/* Connect to unix:PATH or tcp:HOST:PORT; the struct is set up. */
int iodc_connect(struct iodc *c, const char *addr);
void iodc_disconnect(struct iodc *c);

/*
 * HELLO with versions @vmin to @vmax; the reply in c->server. A server
 * that speaks none of them: -EPROTONOSUPPORT, its range in c->server.
 */
int iodc_hello(struct iodc *c, uint16_t vmin, uint16_t vmax,
	       const char *name);
/*
 * AUTH with @key. -EACCES when the server refuses the proof, and also
 * when the server's own proof is wrong: such a server is not trusted.
 */
int iodc_auth(struct iodc *c, const struct iod_key *key);
/* Connect, HELLO (version 1) and AUTH. */
int iodc_open_conn(struct iodc *c, const char *addr, const struct iod_key *key);

/* Send one message: header fields, a body and data after it. */
int iodc_send(struct iodc *c, uint8_t type, uint16_t flags, uint32_t handle,
	      uint64_t req_id, const void *body, size_t body_len,
	      const void *data, size_t data_len);
/* Send @len raw bytes. */
int iodc_send_raw(struct iodc *c, const void *buf, size_t len);
/*
 * Receive one message into c->rh and c->buf (its body, c->rh.length -
 * header bytes). -ECONNRESET at the end of the stream, -ETIMEDOUT,
 * -EBADMSG for a malformed one.
 */
int iodc_recv(struct iodc *c);
/*
 * Send a request and receive its reply: 0 for the expected reply type
 * (body in c->buf), -code for an ERROR, -ESHUTDOWN for a SHUTDOWN,
 * -EPROTO for anything else.
 */
int iodc_call(struct iodc *c, uint8_t type, uint16_t flags, uint32_t handle,
	      uint64_t req_id, const void *body, size_t body_len,
	      const void *data, size_t data_len);
/* Whether c->rh/c->buf is the reply to (@type, @req_id); 0 or -errno. */
int iodc_reply_of(struct iodc *c, uint8_t type, uint64_t req_id);

int iodc_list(struct iodc *c, struct keel_remote_dev_desc *devs,
	      unsigned int max, unsigned int *n);
int iodc_open(struct iodc *c, const struct keel_remote_open *req,
	      struct keel_remote_open_reply *rep);
/* RESUME; up to KEEL_REMOTE_WINDOW records into @recs. */
int iodc_resume(struct iodc *c, uint64_t session,
		struct keel_remote_resume_reply *rep,
		struct keel_remote_record *recs);
int iodc_read(struct iodc *c, uint32_t handle, uint64_t id, uint64_t off,
	      void *buf, uint32_t len, uint32_t *got);
int iodc_write(struct iodc *c, uint32_t handle, uint64_t id, uint16_t flags,
	       uint64_t off, const void *buf, uint32_t len);
int iodc_flush(struct iodc *c, uint32_t handle, uint64_t id);
int iodc_close(struct iodc *c, uint32_t handle);
int iodc_ping(struct iodc *c);

/* An OPEN request for @type with a model, name (NULL: any) and needs. */
void iodc_open_req(struct keel_remote_open *q, uint16_t type,
		   const char *model, const char *name, uint64_t features,
		   uint64_t min_capacity);

#endif /* IOD_CLIENT_H */
