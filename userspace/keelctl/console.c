// SPDX-License-Identifier: GPL-2.0
/*
 * A console's byte streams: one poll() loop that copies an input (a
 * terminal or a script's pipe) to a device and the device's output to
 * an output, ending at the input's end (after a grace period for the
 * guest's answer, or once an expected answer came), at the escape
 * character or when asked to stop. It
 * knows nothing of Keel: any descriptors do, which is how it is tested.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keelctl.h"

#define CHUNK		4096

static const char *const in_name = "standard input";
static const char *const out_name = "standard output";
static const char *const dev_name = "the device";

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * All of @len bytes to @fd, waiting while it is full. -EINTR when a stop
 * signal interrupted it (only those interrupt: see term.c).
 */
static int write_all(int fd, const char *p, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EAGAIN) {
			if (poll(&pfd, 1, -1) < 0 && errno == EINTR)
				return -EINTR;
			continue;
		}
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* After the escape character: hand over what came before it if there is room now. */
static void write_before_escape(int dev, const char *p, size_t len)
{
	struct pollfd pfd = { .fd = dev, .events = POLLOUT };
	ssize_t n;

	while (len && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT)) {
		n = write(dev, p, len);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

struct bridge {
	int in, out, dev;
	const struct console_opts *o;
	char inbuf[CHUNK];		/* read from @in, not yet on @dev */
	size_t off, len;
	bool in_open;
	bool stop;			/* escape character, signal, device end */
	bool dev_ended;			/* the device's end of file */
	const char *what;		/* the stream that failed */
	/* o->until: the device's last bytes that may begin it; seen yet */
	char tail[CONSOLE_UNTIL_MAX];
	size_t tail_len;
	bool until_seen;
};

/* Looks for o->until in the device's output: what came before, then @p. */
static void match_until(struct bridge *b, const char *p, size_t n)
{
	size_t ulen = strlen(b->o->until), keep;
	char win[CONSOLE_UNTIL_MAX + CHUNK];

	if (b->until_seen)
		return;
	memcpy(win, b->tail, b->tail_len);
	memcpy(win + b->tail_len, p, n);
	n += b->tail_len;
	if (memmem(win, n, b->o->until, ulen)) {
		b->until_seen = true;
		return;
	}
	keep = n < ulen - 1 ? n : ulen - 1;
	memcpy(b->tail, win + n - keep, keep);
	b->tail_len = keep;
}

/* Guest output waiting: to @out. */
static int dev_to_out(struct bridge *b)
{
	char buf[CHUNK];
	ssize_t n = read(b->dev, buf, sizeof(buf));
	int ret;

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		b->what = dev_name;
		return -errno;
	}
	if (!n) {
		/* no stream behind it any more */
		b->stop = b->dev_ended = true;
		return 0;
	}
	if (b->o->until)
		match_until(b, buf, (size_t)n);
	ret = write_all(b->out, buf, (size_t)n);
	if (ret == -EINTR) {
		b->stop = true;
		return 0;
	}
	if (ret)
		b->what = out_name;
	return ret;
}

/* Room on the device: the input read so far. */
static int in_to_dev(struct bridge *b)
{
	ssize_t n = write(b->dev, b->inbuf + b->off, b->len);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		b->what = dev_name;
		return -errno;
	}
	b->off += (size_t)n;
	b->len -= (size_t)n;
	return 0;
}

/* Input waiting (or its end). */
static int read_in(struct bridge *b)
{
	ssize_t n = read(b->in, b->inbuf, sizeof(b->inbuf));
	char *esc;

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		b->what = in_name;
		return -errno;
	}
	if (!n) {
		b->in_open = false;
		return 0;
	}
	esc = b->o->escape ? memchr(b->inbuf, CONSOLE_ESCAPE, (size_t)n) : NULL;
	if (esc) {
		write_before_escape(b->dev, b->inbuf, (size_t)(esc - b->inbuf));
		b->stop = true;
		return 0;
	}
	b->off = 0;
	b->len = (size_t)n;
	return 0;
}

int console_bridge(int in, int out, int dev, const struct console_opts *o,
		   const char **what)
{
	struct bridge b = {
		.in = in, .out = out, .dev = dev, .o = o, .in_open = true,
	};
	int64_t deadline = -1, left;
	struct pollfd p[3];
	bool missed = false;
	int timeout, ret = 0;

	if (o->until && (!o->until[0] ||
			 strlen(o->until) > CONSOLE_UNTIL_MAX)) {
		if (what)
			*what = "the expected answer";
		return -EINVAL;
	}
	while (!ret && !b.stop) {
		timeout = -1;
		if (!b.in_open && !b.len) {
			/* All of the input is the guest's: now its answer. */
			if (b.until_seen)
				break;
			if (deadline < 0)
				deadline = now_ms() + o->wait_ms;
			left = deadline - now_ms();
			if (left <= 0) {
				missed = o->until != NULL;
				break;
			}
			timeout = left > 0x7fffffff ? 0x7fffffff : (int)left;
		}
		p[0] = (struct pollfd) { .fd = dev,
					 .events = POLLIN | (b.len ? POLLOUT : 0) };
		p[1] = (struct pollfd) { .fd = b.in_open && !b.len ? in : -1,
					 .events = POLLIN };
		p[2] = (struct pollfd) { .fd = o->stop_fd, .events = POLLIN };
		if (poll(p, 3, timeout) < 0) {
			if (errno == EINTR)
				continue;
			b.what = "poll";
			ret = -errno;
			break;
		}
		if (p[2].revents)
			break;
		if (p[0].revents & (POLLERR | POLLNVAL)) {
			b.what = dev_name;
			ret = -EIO;
			break;
		}
		if (p[0].revents & POLLIN)
			ret = dev_to_out(&b);
		if (!ret && !b.stop && (p[0].revents & POLLOUT) && b.len)
			ret = in_to_dev(&b);
		if (!ret && !b.stop && p[1].revents)
			ret = read_in(&b);
	}
	if (ret && what)
		*what = b.what;
	if (ret)
		return ret;
	if (b.until_seen)
		return 0;
	return b.dev_ended ? CONSOLE_DEV_ENDED : missed ? CONSOLE_UNTIL_MISSED : 0;
}
