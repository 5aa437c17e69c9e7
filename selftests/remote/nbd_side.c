// SPDX-License-Identifier: GPL-2.0
/*
 * The remote benchmark's NBD baseline (nbd_side.h): nbd-server and
 * nbd-client run as child processes, and the load generator on the
 * attached device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/aio_abi.h>
#include <linux/fs.h>

#include "nbd_side.h"

#define NBD_DEV		"/dev/nbd0"
#define NBD_HANG_MS	10000		/* only to end a hang */
#define NBD_MAX_DEPTH	64u

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int nbd_err(int err, const char *what)
{
	printf("# nbd: %s: %s\n", what, strerror(err));
	fflush(stdout);
	return -err;
}

/* Run @argv here, its output appended to @log: its exit status or -errno. */
static int run_cmd(const char *const *argv, const char *log)
{
	int status, fd;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], (char **)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Whether @name is an executable in PATH. */
static bool in_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[512], *dir, *save = NULL, *copy;
	bool found = false;

	copy = strdup(path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/%s", dir, name);
		found = !access(buf, X_OK);
	}
	free(copy);
	return found;
}

int nbd_side_start(struct nbd_side *nb, struct rc_server *s,
		   const char *img, uint64_t size)
{
	char listen[48], port[8];
	uint64_t have = 0;
	int i, ret = -1;
	pid_t pid;

	memset(nb, 0, sizeof(*nb));
	nb->fd = -1;
	nb->dev = NBD_DEV;
	snprintf(nb->img, sizeof(nb->img), "%s", img);
	snprintf(nb->log, sizeof(nb->log), "%s/nbd.log", s->dir);
	if (!in_path("nbd-server") || !in_path("nbd-client"))
		return nbd_err(ENOENT, "nbd-server or nbd-client not in PATH");
	if (access(NBD_DEV, F_OK))
		return nbd_err(ENOENT, NBD_DEV " (the nbd module)");

	/* in the foreground (-d), no configuration file: the one export */
	snprintf(listen, sizeof(listen), "%s:%u", s->ip, NBD_SIDE_PORT);
	pid = rc_spawn(s, (const char *const[]){ "nbd-server", "-d", "-C",
			"/dev/null", listen, nb->img, NULL }, nb->log);
	if (pid < 0)
		return pid;
	nb->server = pid;

	/* nbd-client until it connects (nbd-server may not listen yet) */
	snprintf(port, sizeof(port), "%u", NBD_SIDE_PORT);
	for (i = 0; i < NBD_HANG_MS / 50; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			nb->server = 0;
			return nbd_err(ECHILD, "nbd-server exited at its start");
		}
		ret = run_cmd((const char *const[]){ "nbd-client", s->ip, port,
			      NBD_DEV, NULL }, nb->log);
		if (!ret)
			break;
		sleep_ms(50);
	}
	if (ret)
		return nbd_err(ECONNREFUSED, "nbd-client never connected");
	nb->attached = true;

	nb->fd = open(NBD_DEV, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (nb->fd < 0)
		return nbd_err(errno, "open " NBD_DEV " O_DIRECT");
	for (i = 0; i < NBD_HANG_MS / 10; i++) {
		if (ioctl(nb->fd, BLKGETSIZE64, &have))
			return nbd_err(errno, "BLKGETSIZE64");
		if (have)
			break;
		sleep_ms(10);
	}
	if (have != size) {
		printf("# nbd: %s has %llu bytes, the file %llu\n", NBD_DEV,
		       (unsigned long long)have, (unsigned long long)size);
		return -EIO;
	}
	return 0;
}

/* Depth 1: one pread()/pwrite() after the other. */
static void run_qd1(struct nbd_side *nb, const struct bio_phase *p,
		    const uint32_t *blocks, uint32_t n, uint64_t *lat_ns,
		    void *buf, struct bio_result *r)
{
	uint64_t t0;
	off_t off;
	ssize_t got;
	uint32_t i;

	for (i = 0; i < n; i++) {
		off = (off_t)blocks[i] * BIO_BLOCK;
		if (p->write)
			bio_stamp(buf, blocks[i], p->tag);
		t0 = now_ns();
		got = p->write ? pwrite(nb->fd, buf, BIO_BLOCK, off) :
				 pread(nb->fd, buf, BIO_BLOCK, off);
		lat_ns[i] = now_ns() - t0;
		if (got != BIO_BLOCK)
			r->errors++;
		else if (!p->write &&
			 !bio_check(buf, blocks[i], 0, i % BIO_FULL_EVERY == 0))
			r->bad++;
	}
}

/* Deeper: native AIO, up to p->depth in flight, submitted in batches. */
static int run_aio(struct nbd_side *nb, const struct bio_phase *p,
		   const uint32_t *blocks, uint32_t n, uint64_t *lat_ns,
		   uint8_t *bufs, struct bio_result *r)
{
	struct iocb cbs[NBD_MAX_DEPTH], *list[NBD_MAX_DEPTH];
	struct io_event ev[NBD_MAX_DEPTH];
	uint64_t start[NBD_MAX_DEPTH], t;
	uint32_t free_slots[NBD_MAX_DEPTH], nfree = 0, next = 0, done = 0;
	uint32_t depth = p->depth, slot, i, k, sent, op;
	aio_context_t ctx = 0;
	long ret;

	if (syscall(SYS_io_setup, depth, &ctx))
		return nbd_err(errno, "io_setup");
	for (i = 0; i < depth; i++)
		free_slots[nfree++] = depth - 1 - i;
	while (done < n) {
		for (k = 0; next < n && nfree; k++, next++) {
			slot = free_slots[--nfree];
			memset(&cbs[slot], 0, sizeof(cbs[slot]));
			if (p->write)
				bio_stamp(bufs + slot * BIO_BLOCK, blocks[next],
					  p->tag);
			cbs[slot].aio_data = (uint64_t)slot << 32 | next;
			cbs[slot].aio_lio_opcode = p->write ? IOCB_CMD_PWRITE :
							      IOCB_CMD_PREAD;
			cbs[slot].aio_fildes = nb->fd;
			cbs[slot].aio_buf = (uintptr_t)(bufs + slot * BIO_BLOCK);
			cbs[slot].aio_nbytes = BIO_BLOCK;
			cbs[slot].aio_offset = (int64_t)blocks[next] * BIO_BLOCK;
			start[slot] = now_ns();
			list[k] = &cbs[slot];
		}
		for (sent = 0; sent < k; sent += ret) {
			ret = syscall(SYS_io_submit, ctx, (long)(k - sent),
				      list + sent);
			if (ret <= 0) {
				ret = nbd_err(ret ? errno : EAGAIN, "io_submit");
				syscall(SYS_io_destroy, ctx);
				return (int)ret;
			}
		}
		do
			ret = syscall(SYS_io_getevents, ctx, 1L, (long)depth,
				      ev, NULL);
		while (ret < 0 && errno == EINTR);
		if (ret < 0) {
			ret = nbd_err(errno, "io_getevents");
			syscall(SYS_io_destroy, ctx);
			return (int)ret;
		}
		t = now_ns();
		for (i = 0; i < (uint32_t)ret; i++) {
			slot = ev[i].data >> 32;
			op = (uint32_t)ev[i].data;
			lat_ns[op] = t - start[slot];
			if (ev[i].res != BIO_BLOCK)
				r->errors++;
			else if (!p->write &&
				 !bio_check(bufs + slot * BIO_BLOCK, blocks[op], 0,
					    op % BIO_FULL_EVERY == 0))
				r->bad++;
			free_slots[nfree++] = slot;
			done++;
		}
	}
	syscall(SYS_io_destroy, ctx);
	return 0;
}

int nbd_side_run(struct nbd_side *nb, const struct bio_phase *p,
		 const uint32_t *blocks, uint32_t n, uint64_t *lat_ns,
		 double *secs, struct bio_result *r)
{
	uint8_t *bufs;
	uint64_t t0;
	uint32_t i;
	int ret = 0;

	if (p->depth > NBD_MAX_DEPTH)
		return -EINVAL;
	if (posix_memalign((void **)&bufs, BIO_BLOCK,
			   (size_t)p->depth * BIO_BLOCK))
		return -ENOMEM;
	for (i = 0; i < p->depth; i++)
		bio_fill(bufs + i * BIO_BLOCK, 0, p->tag);
	t0 = now_ns();
	if (p->depth == 1)
		run_qd1(nb, p, blocks, n, lat_ns, bufs, r);
	else
		ret = run_aio(nb, p, blocks, n, lat_ns, bufs, r);
	*secs = (now_ns() - t0) / 1e9;
	free(bufs);
	return ret;
}

void nbd_side_stop(struct nbd_side *nb, bool dump)
{
	char line[512];
	FILE *f;
	int i;

	if (nb->fd >= 0)
		close(nb->fd);
	nb->fd = -1;
	if (nb->attached)
		run_cmd((const char *const[]){ "nbd-client", "-d", nb->dev,
			NULL }, nb->log);
	nb->attached = false;
	if (nb->server > 0) {
		kill(nb->server, SIGTERM);
		for (i = 0; i < NBD_HANG_MS / 10; i++) {
			if (waitpid(nb->server, NULL, WNOHANG) == nb->server)
				break;
			sleep_ms(10);
		}
		if (i == NBD_HANG_MS / 10) {
			kill(nb->server, SIGKILL);
			waitpid(nb->server, NULL, 0);
		}
		nb->server = 0;
	}
	f = dump && nb->log[0] ? fopen(nb->log, "r") : NULL;
	while (f && fgets(line, sizeof(line), f))
		printf("# nbd: %s", line);
	if (f)
		fclose(f);
}
