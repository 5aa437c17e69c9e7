/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The remote benchmark's baseline: Debian's nbd-server in the server's
 * network namespace (remote_conn.h) serving a backing file, the kernel's
 * nbd client (nbd-client, one connection) attaching it as /dev/nbd0 in
 * this one, and a load generator on that device: O_DIRECT, 4 KiB at the
 * phase's block numbers, pread()/pwrite() at depth 1 and Linux native
 * AIO (io_submit/io_getevents, raw system calls) deeper, each request
 * timed with CLOCK_MONOTONIC, reads checked as the guest checks its own.
 */
#ifndef REMOTE_NBD_SIDE_H
#define REMOTE_NBD_SIDE_H

#include <stdint.h>
#include <sys/types.h>

#include "bench_io.h"
#include "remote_conn.h"

#define NBD_SIDE_PORT	10809

struct nbd_side {
	char img[160];		/* the backing file */
	char log[160];		/* nbd-server's and nbd-client's output */
	const char *dev;	/* /dev/nbd0 */
	pid_t server;		/* nbd-server, or 0 */
	bool attached;		/* nbd-client connected dev */
	int fd;			/* dev, O_DIRECT, or -1 */
};

/*
 * Serve @img (already written) from the namespace of @s and attach it;
 * 0, or -errno with a "#" line saying what failed (-ENOENT: no
 * nbd-server, nbd-client or /dev/nbd0).
 */
int nbd_side_start(struct nbd_side *nb, struct rc_server *s,
		   const char *img, uint64_t size);
/*
 * Run phase @p: @n requests at @blocks; each one's latency into
 * @lat_ns, the whole phase's time into *@secs, failures and bad reads
 * into @r. 0, or -errno when the load could not run at all.
 */
int nbd_side_run(struct nbd_side *nb, const struct bio_phase *p,
		 const uint32_t *blocks, uint32_t n, uint64_t *lat_ns,
		 double *secs, struct bio_result *r);
/* Detach, stop nbd-server; its log as "#" lines when @dump. */
void nbd_side_stop(struct nbd_side *nb, bool dump);

#endif /* REMOTE_NBD_SIDE_H */
