/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The remote tests' connection library: a real keel-iod in a network
 * namespace of its own, joined to the test's by a veth pair (made with
 * rtnetlink, as "ip netns add; ip link add ... type veth peer ..." would;
 * busybox's ip in the test VM knows no namespaces), serving one block
 * device on a sparse backing file and one entropy device, with a key
 * file of mode 0600, and the
 * client's side of the handshake (keel-iod's own client library:
 * HELLO, AUTH with both HMAC-SHA256 proofs, LIST, OPEN, RESUME) that
 * leaves a connected TCP socket for KEEL_REMOTE_IOC_SETUP/CONNECT.
 *
 * keel-iod is $KEEL_IOD, else "keel-iod" beside the test program (the
 * selftests build copies it there, so the test VM has it).
 */
#ifndef REMOTE_CONN_H
#define REMOTE_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/keel_remote.h>

#define RC_DEVICE_NAME	"rdisk0"
#define RC_RNG_NAME	"rrng0"	/* its entropy device */

/* What keel-remote-conn answers on its descriptor 3. */
struct rc_helper_reply {
	int32_t err;		/* 0 or -errno */
	uint32_t handle, window, max_data, keepalive_ms, linger_ms;
	uint32_t nrecords, pad;
	uint64_t session, capacity, last_id;
	char text[128];		/* why it failed */
};

struct rc_server {
	char dir[64];		/* private directory: key, disk, log */
	char iod[256];		/* keel-iod's path */
	char helper[256];	/* keel-remote-conn's path */
	char disk[128];		/* the backing file */
	char key[128];		/* the key file */
	char addr[64];		/* tcp:HOST:PORT it listens on */
	char ip[16];		/* HOST: the server's end of the veth pair */
	char veth[2][16];	/* test's end, server's end */
	uint64_t disk_size;
	int ns_self, ns_srv;	/* network namespaces, or -1 */
	pid_t pid;		/* keel-iod, or 0 */
};

/* What OPEN or RESUME gave, with the connected socket. */
struct rc_session {
	int fd;			/* the connection (blocking TCP socket) */
	uint64_t session;
	uint32_t handle, window, max_data, keepalive_ms, linger_ms;
	uint64_t capacity;
	uint64_t last_id;	/* RESUME: the highest id the server saw */
	uint32_t nrecords;	/* RESUME: completed WRITE/FLUSH records */
};

/*
 * Make the directory, the key and a sparse backing file of @disk_size
 * bytes, the namespace and the veth pair. 0, or -errno with a "#" line
 * on stdout saying what failed. -ENOENT: no keel-iod to run.
 */
int rc_server_init(struct rc_server *s, uint64_t disk_size);
/*
 * The same for the test's server number @nth (0: rc_server_init()'s):
 * a namespace, veth pair, subnet and directory of its own, the same key.
 */
int rc_server_init_nth(struct rc_server *s, uint64_t disk_size,
		       unsigned int nth);
/*
 * Start keel-iod (again) and wait until it accepts; 0 or -errno. Its
 * devices: block RC_DEVICE_NAME on the backing file, entropy RC_RNG_NAME.
 */
int rc_server_start(struct rc_server *s);
/* The same with the --device specs @devs (NULL-terminated, at most 8). */
int rc_server_start_devs(struct rc_server *s, const char *const *devs);
/*
 * Run @argv (argv[0] looked up in PATH) in the server's namespace, its
 * output appended to @log: its pid, or -errno.
 */
pid_t rc_spawn(const struct rc_server *s, const char *const *argv,
	       const char *log);
/*
 * Wait until TCP @port of the server's address accepts (bounded): 0, or
 * -ECHILD when @pid (when > 0) exited first, or -ETIMEDOUT.
 */
int rc_wait_port(struct rc_server *s, unsigned int port, pid_t pid);
/* Signal keel-iod with @sig and reap it (bounded); 0 or -errno. */
int rc_server_stop(struct rc_server *s, int sig);
/* Stop and unfreeze: SIGSTOP / SIGCONT without reaping. */
int rc_server_signal(struct rc_server *s, int sig);
/* Kill keel-iod, remove the namespace, the veth pair and the files. */
void rc_server_free(struct rc_server *s);
/* keel-iod's log as "#" lines. */
void rc_server_dump_log(const struct rc_server *s);

/*
 * A new connection: HELLO, AUTH (the server's proof checked), LIST (the
 * device must be there), OPEN of a block device of at least
 * @min_capacity bytes named RC_DEVICE_NAME. 0 or -errno.
 */
int rc_open(struct rc_server *s, uint64_t min_capacity,
	    struct rc_session *out);
/* The same, of the device @name (block, or entropy: no capacity). */
int rc_open_dev(struct rc_server *s, const char *name, uint64_t min_capacity,
		struct rc_session *out);
/* A new connection: HELLO, AUTH and RESUME of @session. 0 or -errno. */
int rc_resume(struct rc_server *s, uint64_t session, struct rc_session *out);
/* Close the session's socket (not the session). */
void rc_session_close(struct rc_session *c);

#endif /* REMOTE_CONN_H */
