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

struct keeld {
	struct cloud cloud;
	const char *socket_path;
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
};

struct client {
	int fd;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool admin;			/* may change the database */
	bool closing;			/* hung up: dropped after this round */
};

/* Handle one received packet and send every reply (handlers.c). */
void keeld_handle(struct keeld *kd, struct client *cl, const void *buf,
		  size_t len);
/* Send one message; false when the client is gone (server.c). */
bool client_send(struct client *cl, const void *buf, size_t len);
/* Decide the client's rights from SO_PEERCRED and SO_PEERGROUPS. */
int client_credentials(struct keeld *kd, struct client *cl);

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
