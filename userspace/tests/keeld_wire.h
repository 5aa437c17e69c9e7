/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tests that talk to keeld in raw messages share: connecting to
 * its socket and starting a request in its netlink format.
 */
#ifndef KEELD_WIRE_H
#define KEELD_WIRE_H

#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/keeld.h>

/* A connection to keeld at @path with a 10 s receive timeout, or -1. */
static inline int keeld_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Start a request for @cmd in @buf; *@seq numbers it. */
static inline struct nlmsghdr *keeld_msg(void *buf, uint32_t *seq,
					 uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = KEELD_NLMSG_TYPE;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++*seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = KEELD_PROTO_VERSION;
	return nlh;
}

#endif /* KEELD_WIRE_H */
