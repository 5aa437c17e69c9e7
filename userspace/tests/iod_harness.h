/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the keel-iod tests: a private directory with key files and
 * backing files, starting keel-iod ($KEEL_IOD) on a socket there and
 * waiting until it accepts connections (a bounded poll that fails at
 * once when the server exits), stopping it, and removing everything at
 * exit (after printing the servers' log when a check failed). Timeouts
 * here only end a test that hangs.
 */
#ifndef KEEL_IOD_HARNESS_H
#define KEEL_IOD_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "tap.h"

#define HANG_MS		10000	/* only to end a test that hangs */
#define MAX_SERVERS	8

/* The test key and another one. */
#define KEY_HEX		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define OTHER_HEX	"ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

static char h_dir[] = "/tmp/keel-iod-test-XXXXXX";
static const char *h_iod;
static pid_t h_pids[MAX_SERVERS];
static struct iod_key h_key, h_other;

/* @dir/@name into @buf. */
static const char *h_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", h_dir, name);
	return buf;
}

static int h_rm(const char *path, const struct stat *st, int flag,
		struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* keel-iod's log as TAP comments, to see why a check failed. */
static void h_dump_log(void)
{
	char path[256], line[512];
	FILE *f = fopen(h_path(path, sizeof(path), "iod.log"), "r");

	while (f && fgets(line, sizeof(line), f))
		printf("# %s", line);
	if (f)
		fclose(f);
}

static void h_cleanup(void)
{
	int i;

	if (tap_failed)
		h_dump_log();

	for (i = 0; i < MAX_SERVERS; i++) {
		if (h_pids[i] <= 0)
			continue;
		kill(h_pids[i], SIGKILL);
		waitpid(h_pids[i], NULL, 0);
		h_pids[i] = 0;
	}
	nftw(h_dir, h_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void h_write_file(const char *name, const void *data, size_t len,
			 mode_t mode)
{
	char path[256];
	int fd;

	fd = open(h_path(path, sizeof(path), name),
		  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fchmod(fd, mode);
	close(fd);
}

/* A backing file of @len bytes, each block of 512 filled with @fill. */
static void h_make_disk(const char *name, size_t len, int fill)
{
	char *buf = malloc(len);

	memset(buf, fill, len);
	h_write_file(name, buf, len, 0600);
	free(buf);
}

/* @len bytes at @off of the file @name into @buf; false on failure. */
static bool h_read_file(const char *name, off_t off, void *buf, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	fd = open(h_path(path, sizeof(path), name), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = pread(fd, buf, len, off);
	close(fd);
	return n == (ssize_t)len;
}

/* Set up the directory and keys; skip everything without $KEEL_IOD. */
static void h_setup(void)
{
	h_iod = getenv("KEEL_IOD");
	if (!h_iod || access(h_iod, X_OK)) {
		printf("1..0 # SKIP KEEL_IOD is not set to keel-iod\n");
		exit(0);
	}
	if (!mkdtemp(h_dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		exit(1);
	}
	atexit(h_cleanup);
	signal(SIGPIPE, SIG_IGN);
	h_write_file("key", KEY_HEX "\n", strlen(KEY_HEX) + 1, 0600);
	h_write_file("other.key", OTHER_HEX "\n", strlen(OTHER_HEX) + 1, 0600);
	if (key_parse(KEY_HEX, &h_key) || key_parse(OTHER_HEX, &h_other)) {
		printf("Bail out! key_parse\n");
		exit(1);
	}
}

static void h_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void h_forget(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_SERVERS; i++)
		if (h_pids[i] == pid)
			h_pids[i] = 0;
}

/*
 * Start keel-iod with @argv (NULL-terminated; the program name is added),
 * its log appended to @dir/iod.log, and wait until @addr accepts a
 * connection. The pid, or -1 when it exited or never listened.
 */
static pid_t h_start(const char *addr, const char *const *argv)
{
	const char *args[48] = { h_iod };
	struct iodc probe;
	char log[256];
	pid_t pid;
	int i, n = 1, slot;

	for (slot = 0; slot < MAX_SERVERS && h_pids[slot] > 0; slot++)
		;
	if (slot == MAX_SERVERS)
		return -1;
	for (i = 0; argv[i] && n < 47; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	h_path(log, sizeof(log), "iod.log");
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		if (fd >= 0)
			dup2(fd, 2);
		execv(h_iod, (char **)args);
		_exit(127);
	}
	h_pids[slot] = pid;
	for (i = 0; i < HANG_MS / 10; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			h_pids[slot] = 0;
			return -1;
		}
		if (!iodc_connect(&probe, addr)) {
			iodc_disconnect(&probe);
			return pid;
		}
		h_sleep_ms(10);
	}
	return -1;
}

/* Signal @pid and wait for it (bounded); its exit status, or -1. */
static int h_stop(pid_t pid, int sig)
{
	int i, status;

	if (pid <= 0)
		return -1;
	kill(pid, sig);
	for (i = 0; i < HANG_MS / 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			h_forget(pid);
			return WIFEXITED(status) ? WEXITSTATUS(status) :
			       128 + WTERMSIG(status);
		}
		h_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	h_forget(pid);
	return -1;
}

/* Open a connection to @addr and authenticate with the test key. */
static bool h_conn(struct iodc *c, const char *addr)
{
	return !iodc_open_conn(c, addr, &h_key);
}

/* OPEN the device @name on @c; the handle, or 0. */
static uint32_t h_open_name(struct iodc *c, uint16_t type, const char *name,
			    struct keel_remote_open_reply *rep)
{
	struct keel_remote_open q;
	struct keel_remote_open_reply r;

	iodc_open_req(&q, type, NULL, name, 0, 0);
	if (iodc_open(c, &q, rep ? rep : &r))
		return 0;
	return rep ? rep->handle : r.handle;
}

/* Whether the next thing from the server on @c is the end of stream. */
static bool h_closed(struct iodc *c)
{
	int ret;

	do
		ret = iodc_recv(c);
	while (!ret);
	return ret == -ECONNRESET;
}

#endif /* KEEL_IOD_HARNESS_H */
