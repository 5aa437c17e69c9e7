/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What keeld's files share: the daemon's state, a connected client with
 * its kernel-verified credentials, and the entry points between the
 * server loop, the command handlers and the local inventory.
 */
#ifndef KEELD_H
#define KEELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "batch.h"
#include "cloud.h"
#include "outq.h"
#include "sockfile.h"

/* Connections at most: root may use them all, other uids all but 16. */
#define KEELD_MAX_CLIENTS	1024
#define KEELD_ROOT_RESERVE	16
/* Connections one uid other than root may hold (--max-per-user). */
#define KEELD_MAX_PER_USER	64
/* Seconds a client may go without progress (--idle-timeout). */
#define KEELD_IDLE_TIMEOUT	300
/* Unread replies a client may leave waiting when it sends a request. */
#define KEELD_OUT_MAX		(256 * 1024)

struct client;

/* The connected clients and their limits (clients.c). */
struct clients {
	struct client *head, *tail;	/* least recently active first */
	unsigned int n;			/* connected */
	unsigned int max;		/* KEELD_MAX_CLIENTS, or fewer fds */
	unsigned int max_per_uid;	/* 0: no limit */
	unsigned int idle_s;		/* 0: never close an idle client */
	uint64_t log_window;		/* rate limit of refusals and evictions */
	unsigned int logged, unlogged;
};

struct keeld {
	struct cloud cloud;
	const char *socket_path;
	struct sockfile sockfile;	/* the socket keeld made there */
	bool have_admin_gid;
	gid_t admin_gid;
	int listen_fd;
	int epoll_fd;
	int signal_fd;
	unsigned int refresh_s;		/* catch up with other keelds, 0: never */
	int refresh_fd;
	bool stop;
	struct batch batch;		/* group commit (batch.c) */
	/* The local host from keel.ko (local.c). */
	bool local;			/* registering the local host */
	uint32_t local_id;
	int local_fd;			/* its poll timer, or -1 */
	void *local_sock;		/* local.c's state */
	struct clients clients;
};

struct client {
	struct keeld *kd;
	int fd;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool admin;			/* may change the database */
	bool closing;			/* gone or evicted: dropped after this round */
	bool eof;			/* hung up: dropped once its replies are out */
	bool want_out;			/* waiting for room in its socket */
	struct outq out;		/* replies its socket did not take yet */
	uint64_t active_ms;		/* last progress, CLOCK_MONOTONIC */
	struct client *prev, *next;	/* in struct clients, by activity */
};

/* Handle one received packet and send every reply (handlers.c). */
void keeld_handle(struct keeld *kd, struct client *cl, const void *buf,
		  size_t len);
/*
 * Connected clients (clients.c). client_send() queues what the socket
 * does not take and never blocks; false when the client is gone.
 */
bool client_send(struct client *cl, const void *buf, size_t len);
/* Decide the client's rights from SO_PEERCRED and SO_PEERGROUPS. */
int client_credentials(struct keeld *kd, struct client *cl);
void clients_init(struct keeld *kd);
/* Accept one connection, within the limits; the others are closed. */
void client_accept(struct keeld *kd);
/* A request was read from @cl, or it hung up. */
void client_touch(struct client *cl);
void client_hangup(struct client *cl);
/* Before serving @cl's next request: false when it must be skipped. */
bool client_ready(struct client *cl);
/* Its socket has room again. */
void client_writable(struct client *cl);
/* After a round: drop @cl if it is done, else wait for what it needs. */
void client_settle(struct client *cl);
/* Close clients idle too long; the ms until the next may be, or -1. */
int clients_expire(struct keeld *kd);
void clients_close_all(struct keeld *kd);

/* Create the directory @path is in, if missing (server.c). */
void mkdir_parent(const char *path, mode_t mode);
int server_listen(struct keeld *kd);
int server_run(struct keeld *kd);
void server_close(struct keeld *kd);

/* The local host from the kernel family "keel" (local.c). */
void local_start(struct keeld *kd);
void local_event(struct keeld *kd);
void local_stop(struct keeld *kd);

#endif /* KEELD_H */
