// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl's console loop (console.c) with a socket pair as the device
 * and a child process as the guest: a script's command and the guest's
 * answer within the grace period, or as soon as an expected answer came
 * (--until), the end of input without one, input
 * larger than the device takes at once, the escape character, a stop
 * signal's pipe, a closed output and the device's end; and term.c's
 * raw mode on a pseudo-terminal and its signals. No Keel module is
 * needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "../keelctl/keelctl.h"
#include "tap.h"

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A pipe holding @s, its write end closed (or kept in *@keep). */
static int input(const char *s, size_t len, int *keep)
{
	int p[2];

	if (pipe(p) || write(p[1], s, len) != (ssize_t)len)
		return -1;
	if (keep)
		*keep = p[1];
	else
		close(p[1]);
	return p[0];
}

/* Everything readable on @fd now (non-blocking), up to @len - 1 bytes. */
static size_t drain(int fd, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (off + 1 < len && (n = read(fd, buf + off, len - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	return off;
}

/* The guest of a shell: reads a line, answers it after 50 ms. */
static void shell_guest(int dev)
{
	char line[64];
	size_t off = 0;

	while (off + 1 < sizeof(line) && read(dev, line + off, 1) == 1 &&
	       line[off++] != '\n')
		;
	line[off] = '\0';
	usleep(50000);
	if (strcmp(line, "echo hi\n") || write(dev, "hi\r\n$ ", 6) != 6)
		_exit(1);
	/* The line stays until the console closes it. */
	while (read(dev, line, sizeof(line)) > 0)
		;
	_exit(0);
}

static void test_script(void)
{
	struct console_opts o = { .wait_ms = 400, .stop_fd = -1 };
	char buf[64];
	struct timespec t0;
	int sv[2], out[2], in, st, ret;
	const char *what = NULL;
	pid_t guest;
	long ms;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(out))
		return;
	guest = fork();
	if (!guest) {
		close(sv[0]);
		shell_guest(sv[1]);
	}
	close(sv[1]);
	in = input("echo hi\n", 8, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = console_bridge(in, out[1], sv[0], &o, &what);
	ms = ms_since(&t0);
	close(out[1]);
	close(sv[0]);
	drain(out[0], buf, sizeof(buf));
	waitpid(guest, &st, 0);
	ok(ret == 0 && WIFEXITED(st) && !WEXITSTATUS(st),
	   "script: the guest got the line (%d)", ret);
	ok(!strcmp(buf, "hi\r\n$ "), "script: its answer on the output");
	ok(ms >= 390 && ms < 5000, "script: read for the grace period (%ld ms)",
	   ms);
	close(in);
	close(out[0]);
}

/* The guest of test_until(): its answer in two pieces, 100 ms apart. */
static void split_guest(int dev)
{
	char line[64];

	if (read(dev, line, sizeof(line)) <= 0 || write(dev, "answer: 4", 9) != 9)
		_exit(1);
	usleep(100000);
	if (write(dev, "2\r\n$ ", 6) != 6)
		_exit(1);
	while (read(dev, line, sizeof(line)) > 0)
		;
	_exit(0);
}

/* One console run against split_guest(): its result, time and output. */
static int run_until(const char *until, unsigned int wait_ms, long *ms,
		     char *buf, size_t len)
{
	struct console_opts o = { .wait_ms = wait_ms, .until = until,
				  .stop_fd = -1 };
	int sv[2], out[2], in, st, ret;
	struct timespec t0;
	pid_t guest;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(out))
		return -EBADF;
	guest = fork();
	if (!guest) {
		close(sv[0]);
		split_guest(sv[1]);
	}
	close(sv[1]);
	in = input("echo answer: $((6*7))\n", 22, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = console_bridge(in, out[1], sv[0], &o, NULL);
	*ms = ms_since(&t0);
	close(out[1]);
	close(sv[0]);
	drain(out[0], buf, len);
	waitpid(guest, &st, 0);
	close(in);
	close(out[0]);
	return ret;
}

/*
 * --until: the console ends as soon as the answer came, even split over
 * two reads; an answer that does not come is CONSOLE_UNTIL_MISSED after
 * the wait; an empty or too long one is refused before anything moves.
 */
static void test_until(void)
{
	struct console_opts o = { .wait_ms = 100, .until = "", .stop_fd = -1 };
	char buf[64], big[CONSOLE_UNTIL_MAX + 2];
	int sv[2], ret;
	long ms;

	ret = run_until("answer: 42", 10000, &ms, buf, sizeof(buf));
	ok(ret == 0 && ms >= 90 && ms < 5000,
	   "until: ended when the split answer came (%d, %ld ms)", ret, ms);
	ok(!strcmp(buf, "answer: 42\r\n$ ") || !strcmp(buf, "answer: 42"),
	   "until: the answer on the output ('%s')", buf);
	ret = run_until("answer: 43", 400, &ms, buf, sizeof(buf));
	ok(ret == CONSOLE_UNTIL_MISSED && ms >= 390,
	   "until: a wrong answer is missed after the wait (%d, %ld ms)", ret,
	   ms);
	ok(!strcmp(buf, "answer: 42\r\n$ "),
	   "until: what came is still on the output ('%s')", buf);

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return;
	ok(console_bridge(sv[0], sv[0], sv[1], &o, NULL) == -EINVAL,
	   "until: an empty text is refused");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	o.until = big;
	ok(console_bridge(sv[0], sv[0], sv[1], &o, NULL) == -EINVAL,
	   "until: a text over %d bytes is refused", CONSOLE_UNTIL_MAX);
	ok(drain(sv[1], buf, sizeof(buf)) == 0,
	   "until: nothing went to the device when refused");
	close(sv[0]);
	close(sv[1]);
}

static void test_no_wait(void)
{
	struct console_opts o = { .stop_fd = -1 };
	int sv[2], out[2], in, ret;
	struct timespec t0;
	char buf[64];
	long ms;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(out))
		return;
	in = input("uname\n", 6, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = console_bridge(in, out[1], sv[0], &o, NULL);
	ms = ms_since(&t0);
	ok(ret == 0 && ms < 1000, "no wait: ends with its input (%ld ms)", ms);
	ok(drain(sv[1], buf, sizeof(buf)) == 6 && !strcmp(buf, "uname\n"),
	   "no wait: the input was handed over first");
	close(in);
	close(out[0]);
	close(out[1]);
	close(sv[0]);
	close(sv[1]);
}

#define BIG	(512 * 1024)

/* Input far larger than the device's buffer: all of it, in order. */
static void test_big(void)
{
	struct console_opts o = { .stop_fd = -1 };
	int sv[2], out[2], in[2], sz = 4096, ret, st;
	unsigned char *data = malloc(BIG);
	pid_t feeder, guest;
	size_t i;

	if (!data || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(out) ||
	    pipe(in))
		return;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	for (i = 0; i < BIG; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	feeder = fork();
	if (!feeder) {
		close(in[0]);
		_exit(write(in[1], data, BIG) == BIG ? 0 : 1);
	}
	close(in[1]);
	guest = fork();
	if (!guest) {
		/* A slow guest: small reads; exit 0 if every byte is right. */
		unsigned char b[512];
		size_t got = 0;
		ssize_t n;

		close(sv[0]);
		while (got < BIG && (n = read(sv[1], b, sizeof(b))) > 0) {
			if (memcmp(b, data + got, (size_t)n))
				_exit(2);
			got += (size_t)n;
		}
		_exit(got == BIG ? 0 : 1);
	}
	close(sv[1]);
	ret = console_bridge(in[0], out[1], sv[0], &o, NULL);
	close(sv[0]);
	waitpid(guest, &st, 0);
	/* The guest may end (its socket closes) before the input does. */
	ok((ret == 0 || ret == CONSOLE_DEV_ENDED) && WIFEXITED(st) &&
	   !WEXITSTATUS(st),
	   "big: %d KiB through a 4 KiB device, in order (%d, %d)", BIG / 1024,
	   ret, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	waitpid(feeder, NULL, 0);
	close(in[0]);
	close(out[0]);
	close(out[1]);
	free(data);
}

static void test_escape(void)
{
	struct console_opts o = { .escape = true, .wait_ms = 5000,
				  .stop_fd = -1 };
	int sv[2], out[2], in, keep = -1, ret;
	struct timespec t0;
	char buf[64];
	long ms;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(out))
		return;
	in = input("ls\x1d" "rm -rf /\n", 12, &keep);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = console_bridge(in, out[1], sv[0], &o, NULL);
	ms = ms_since(&t0);
	ok(ret == 0 && ms < 1000, "escape: ^] ends it at once (%ld ms)", ms);
	drain(sv[1], buf, sizeof(buf));
	ok(!strcmp(buf, "ls"), "escape: what came before it only ('%s')", buf);

	/* Without the escape option ^] is one more byte for the guest. */
	close(in);
	close(keep);
	in = input("a\x1d" "b", 3, NULL);
	o.escape = false;
	o.wait_ms = 0;
	ret = console_bridge(in, out[1], sv[0], &o, NULL);
	ok(ret == 0 && drain(sv[1], buf, sizeof(buf)) == 3 &&
	   !memcmp(buf, "a\x1d" "b", 3), "no escape: ^] is passed on");
	close(in);
	close(out[0]);
	close(out[1]);
	close(sv[0]);
	close(sv[1]);
}

static void test_stop(void)
{
	struct console_opts o = { .stop_fd = -1 };
	int sv[2], out[2], stop[2], in, keep = -1, ret;
	struct timespec t0;
	long ms;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(out) || pipe(stop))
		return;
	in = input("", 0, &keep);
	o.stop_fd = stop[0];
	if (write(stop[1], "s", 1) != 1)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = console_bridge(in, out[1], sv[0], &o, NULL);
	ms = ms_since(&t0);
	ok(ret == 0 && ms < 1000, "stop: a signal's pipe ends it (%ld ms)", ms);
	close(in);
	close(keep);
	close(stop[0]);
	close(stop[1]);

	/* The device's end (a socket closed) ends it too. */
	in = input("", 0, &keep);
	close(sv[1]);
	o.stop_fd = -1;
	ret = console_bridge(in, out[1], sv[0], &o, NULL);
	ok(ret == CONSOLE_DEV_ENDED, "stop: the device's end ends it (%d)",
	   ret);
	close(in);
	close(keep);
	close(sv[0]);
	close(out[0]);
	close(out[1]);
}

static void test_closed_output(void)
{
	struct console_opts o = { .wait_ms = 2000, .stop_fd = -1 };
	int sv[2], out[2], in, ret;
	const char *what = NULL;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(out))
		return;
	close(out[0]);
	in = input("", 0, NULL);
	if (write(sv[1], "x", 1) != 1)
		return;
	ret = console_bridge(in, out[1], sv[0], &o, &what);
	ok(ret == -EPIPE && what && !strcmp(what, "standard output"),
	   "closed output: %d on %s", ret, what ? what : "?");
	close(in);
	close(out[1]);
	close(sv[0]);
	close(sv[1]);
}

/* term.c: raw mode on a pseudo-terminal and back; signals to a pipe. */
static void test_term(void)
{
	struct termios before, saved, now;
	struct pollfd p;
	int pty, tty, stop;
	char c = 0;

	pty = posix_openpt(O_RDWR | O_NOCTTY);
	if (pty < 0 || grantpt(pty) || unlockpt(pty) ||
	    (tty = open(ptsname(pty), O_RDWR | O_NOCTTY)) < 0) {
		printf("# no pseudo-terminal: raw mode not checked\n");
	} else {
		tcgetattr(tty, &before);
		ok(term_raw(tty, &saved) == 0 && !tcgetattr(tty, &now) &&
		   !(now.c_lflag & (ICANON | ECHO | ISIG)) &&
		   !(now.c_iflag & ICRNL) && now.c_cc[VMIN] == 1,
		   "term: raw: no line editing, echo or signal keys");
		term_restore(tty, &saved);
		ok(!tcgetattr(tty, &now) && now.c_lflag == before.c_lflag &&
		   now.c_iflag == before.c_iflag &&
		   now.c_oflag == before.c_oflag, "term: restored as it was");
		close(tty);
		close(pty);
	}
	ok(term_raw(STDIN_FILENO, &saved) == -ENOTTY || isatty(STDIN_FILENO),
	   "term: a pipe or file is no terminal");

	stop = stop_signals();
	ok(stop >= 0 && raise(SIGTERM) == 0, "signals: SIGTERM does not end it");
	p = (struct pollfd) { .fd = stop, .events = POLLIN };
	ok(poll(&p, 1, 1000) == 1 && read(stop, &c, 1) == 1 && c == SIGTERM,
	   "signals: its number on the pipe");
	stop_signals_end();
	ok(signal(SIGTERM, SIG_DFL) == SIG_DFL && signal(SIGPIPE, SIG_IGN) == SIG_IGN,
	   "signals: the actions before are back");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_script();
	test_no_wait();
	test_until();
	test_big();
	test_escape();
	test_stop();
	test_closed_output();
	test_term();
	return tap_done();
}
