// SPDX-License-Identifier: GPL-2.0
/*
 * keel_qemu: starts Debian's unmodified qemu-system-x86_64 inside the test
 * VM, keeps its console output, talks QMP to it and tears it down. See
 * keel_qemu.h; the guest it boots is selftests/qemu/guest.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "keel_qemu.h"

/* How long QEMU may take to open a socket or answer QMP: liveness only. */
#define SOCKET_TIMEOUT_MS	60000
#define QMP_TIMEOUT_MS		60000
/* Console output beyond this is dropped (and said so in the log). */
#define LOG_MAX			(64u << 20)

struct keel_qemu {
	pid_t pid;
	bool reaped;
	int status;
	int con_fd;
	bool con_eof;
	char *log;
	size_t len, cap, cursor;
	bool truncated;
	/* short enough for the sockets' paths (108 bytes) */
	char dir[88];
	char qmp_path[104];
	char com2_path[104];
	char err_path[104];
	bool com2;
	int qmp_fd;
	char *qbuf;
	size_t qlen, qcap;
	char *reply;
	char *err;
	int com2_fd;
	unsigned long long stuck_ip;
	/* the vCPU at the last look: halted, its interrupts on */
	bool halted, intr_on;
	/* a boot that never came up (keel_qemu_wait_boot()) */
	int hung_s;
	char fault[96];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int left_ms(long long deadline)
{
	long long left = deadline - now_ms();

	return left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

static void log_append(struct keel_qemu *q, const char *buf, size_t n)
{
	static const char cut[] = "\n[keel_qemu: console output beyond this was dropped]\n";
	size_t want;
	char *p;

	if (q->truncated)
		return;
	if (q->len + n > LOG_MAX) {
		n = sizeof(cut) - 1;
		buf = cut;
		q->truncated = true;
	}
	want = q->len + n + 1;
	if (want > q->cap) {
		size_t cap = q->cap ? q->cap : 65536;

		while (cap < want)
			cap *= 2;
		p = realloc(q->log, cap);
		if (!p) {
			q->truncated = true;
			return;
		}
		q->log = p;
		q->cap = cap;
	}
	memcpy(q->log + q->len, buf, n);
	q->len += n;
	q->log[q->len] = '\0';
}

static void log_printf(struct keel_qemu *q, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		log_append(q, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* Reads what the console pipe holds now; notes the end of file. */
static void drain(struct keel_qemu *q)
{
	char buf[16384];
	ssize_t n;

	while (!q->con_eof) {
		n = read(q->con_fd, buf, sizeof(buf));
		if (n > 0) {
			log_append(q, buf, n);
			continue;
		}
		if (n == 0)
			q->con_eof = true;
		else if (errno != EINTR)
			break;
	}
}

static void note_exit(struct keel_qemu *q, int status)
{
	const char *err;

	q->reaped = true;
	q->status = status;
	drain(q);
	if (WIFEXITED(status))
		log_printf(q, "\n[keel_qemu: QEMU (pid %d) exited with status %d]\n",
			   q->pid, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_printf(q, "\n[keel_qemu: QEMU (pid %d) was killed by signal %d]\n",
			   q->pid, WTERMSIG(status));
	err = keel_qemu_stderr(q);
	if (*err) {
		log_printf(q, "[keel_qemu: QEMU's stderr:]\n");
		log_append(q, err, strlen(err));
	}
}

/* Reaps QEMU if it has exited; with @wait_ms, waits that long for it. */
static bool check_exit(struct keel_qemu *q, int wait_ms)
{
	long long deadline = now_ms() + wait_ms;
	int status;
	pid_t r;

	while (!q->reaped) {
		r = waitpid(q->pid, &status, WNOHANG);
		if (r == q->pid) {
			note_exit(q, status);
			break;
		}
		if (r < 0 && errno != EINTR)
			break;
		if (r == 0 && left_ms(deadline) == 0)
			break;
		if (r == 0)
			usleep(10000);
	}
	return q->reaped;
}

void keel_qemu_poll(struct keel_qemu *q, int timeout_ms)
{
	struct pollfd p = { .fd = q->con_fd, .events = POLLIN };

	if (q->con_eof) {
		/* QEMU closed its end: it is exiting. */
		if (!check_exit(q, 10000)) {
			kill(q->pid, SIGKILL);
			check_exit(q, 10000);
		}
		return;
	}
	if (poll(&p, 1, timeout_ms) > 0)
		drain(q);
	if (q->con_eof)
		keel_qemu_poll(q, 0);
}

/* Finds @marker after the cursor; its offset in *at. */
static int wait_match(struct keel_qemu *q, const char *marker, long long deadline,
		      size_t *at)
{
	size_t mlen = strlen(marker);
	char *p;

	for (;;) {
		p = memmem(q->log + q->cursor, q->len - q->cursor, marker, mlen);
		if (p) {
			*at = p - q->log;
			q->cursor = *at + mlen;
			return 0;
		}
		if (q->reaped)
			return -ESRCH;
		if (left_ms(deadline) == 0)
			return -ETIMEDOUT;
		keel_qemu_poll(q, left_ms(deadline));
	}
}

int keel_qemu_wait_for(struct keel_qemu *q, const char *marker, int timeout_ms)
{
	size_t at;

	if (!q->log)
		log_append(q, "", 0);
	return wait_match(q, marker, now_ms() + timeout_ms, &at);
}

int keel_qemu_wait_line(struct keel_qemu *q, const char *marker, char *line,
			size_t size, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	size_t at, n;
	char *eol;
	int ret;

	if (size)
		line[0] = '\0';
	if (!q->log)
		log_append(q, "", 0);
	ret = wait_match(q, marker, deadline, &at);
	if (ret)
		return ret;
	while (!(eol = memchr(q->log + at, '\n', q->len - at))) {
		if (q->reaped)
			return -ESRCH;
		if (left_ms(deadline) == 0)
			return -ETIMEDOUT;
		keel_qemu_poll(q, left_ms(deadline));
	}
	q->cursor = eol + 1 - q->log;
	while (eol > q->log + at && (eol[-1] == '\r' || eol[-1] == '\n'))
		eol--;
	n = eol - (q->log + at);
	if (size) {
		if (n >= size)
			n = size - 1;
		memcpy(line, q->log + at, n);
		line[n] = '\0';
	}
	return 0;
}

const char *keel_qemu_console_log(struct keel_qemu *q)
{
	if (!q->log)
		log_append(q, "", 0);
	return q->log ? q->log : "";
}

size_t keel_qemu_console_len(struct keel_qemu *q)
{
	return q->len;
}

const char *keel_qemu_stderr(struct keel_qemu *q)
{
	char buf[4096], *p;
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(q->err_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "";
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p = realloc(q->err, len + n + 1);
		if (!p)
			break;
		q->err = p;
		memcpy(q->err + len, buf, n);
		len += n;
	}
	close(fd);
	if (!q->err)
		return "";
	q->err[len] = '\0';
	return q->err;
}

/* Connects to a unix socket QEMU creates, waiting for it to appear. */
static int connect_socket(struct keel_qemu *q, const char *path)
{
	long long deadline = now_ms() + SOCKET_TIMEOUT_MS;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		close(fd);
		if (errno != ENOENT && errno != ECONNREFUSED)
			return -1;
		if (check_exit(q, 0)) {
			errno = ESRCH;
			return -1;
		}
		if (left_ms(deadline) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		usleep(20000);
	}
}

/* One line from QMP (without its line end) into q->reply. */
static int qmp_line(struct keel_qemu *q, long long deadline)
{
	struct pollfd p = { .fd = q->qmp_fd, .events = POLLIN };
	char *nl, *s;
	ssize_t n;

	for (;;) {
		nl = q->qlen ? memchr(q->qbuf, '\n', q->qlen) : NULL;
		if (nl) {
			size_t len = nl - q->qbuf;

			s = strndup(q->qbuf, len);
			if (!s)
				return -ENOMEM;
			if (len && s[len - 1] == '\r')
				s[len - 1] = '\0';
			free(q->reply);
			q->reply = s;
			memmove(q->qbuf, nl + 1, q->qlen - len - 1);
			q->qlen -= len + 1;
			return 0;
		}
		if (q->qcap - q->qlen < 4096) {
			size_t cap = q->qcap ? q->qcap * 2 : 65536;

			s = realloc(q->qbuf, cap);
			if (!s)
				return -ENOMEM;
			q->qbuf = s;
			q->qcap = cap;
		}
		if (poll(&p, 1, left_ms(deadline)) == 0)
			return -ETIMEDOUT;
		n = read(q->qmp_fd, q->qbuf + q->qlen, q->qcap - q->qlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		q->qlen += n;
	}
}

/* Sends @json and reads lines until the reply (events are skipped). */
static int qmp_call(struct keel_qemu *q, const char *json)
{
	long long deadline = now_ms() + QMP_TIMEOUT_MS;
	size_t len = strlen(json), off = 0;
	ssize_t n;
	int ret;

	while (off < len) {
		n = send(q->qmp_fd, json + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += n;
	}
	if (send(q->qmp_fd, "\n", 1, MSG_NOSIGNAL) != 1)
		return -EIO;
	for (;;) {
		ret = qmp_line(q, deadline);
		if (ret)
			return ret;
		if (strstr(q->reply, "\"return\"") || strstr(q->reply, "\"error\""))
			return 0;
	}
}

static int qmp_connect(struct keel_qemu *q)
{
	long long deadline = now_ms() + QMP_TIMEOUT_MS;
	int ret;

	if (q->qmp_fd >= 0)
		return 0;
	q->qmp_fd = connect_socket(q, q->qmp_path);
	if (q->qmp_fd < 0)
		return -errno;
	/* the greeting, {"QMP": {...}} */
	ret = qmp_line(q, deadline);
	if (!ret && !strstr(q->reply, "\"QMP\""))
		ret = -EPROTO;
	if (!ret)
		ret = qmp_call(q, "{\"execute\": \"qmp_capabilities\"}");
	if (!ret && !strstr(q->reply, "\"return\""))
		ret = -EPROTO;
	if (ret) {
		close(q->qmp_fd);
		q->qmp_fd = -1;
	}
	return ret;
}

const char *keel_qemu_qmp(struct keel_qemu *q, const char *json)
{
	int ret;

	ret = qmp_connect(q);
	if (!ret)
		ret = qmp_call(q, json);
	if (ret) {
		fprintf(stderr, "# keel_qemu: QMP %s: %s\n", json, strerror(-ret));
		errno = -ret;
		return NULL;
	}
	return q->reply;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The JSON string at @s (after its opening quote), unescaped in place. */
static char *json_unescape(char *s)
{
	char *r = s, *w = s;

	while (*r && *r != '"') {
		if (*r != '\\') {
			*w++ = *r++;
			continue;
		}
		r++;
		switch (*r) {
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		case 't': *w++ = '\t'; break;
		case 'b': *w++ = '\b'; break;
		case 'f': *w++ = '\f'; break;
		case 'u': {
			int v = 0, i, h;

			for (i = 1; i <= 4; i++) {
				h = hexval(r[i]);
				if (h < 0)
					break;
				v = v * 16 + h;
			}
			if (i <= 4) {
				*w++ = '?';
				break;
			}
			*w++ = v < 0x80 ? (char)v : '?';
			r += 4;
			break;
		}
		case '\0': *w = '\0'; return s;
		default: *w++ = *r; break;
		}
		r++;
	}
	*w = '\0';
	return s;
}

const char *keel_qemu_monitor(struct keel_qemu *q, const char *cmd)
{
	static const char head[] = "{\"execute\": \"human-monitor-command\", "
				   "\"arguments\": {\"command-line\": \"";
	const char *reply;
	char *json, *w, *p;
	const char *c;

	json = malloc(sizeof(head) + strlen(cmd) * 6 + 8);
	if (!json)
		return NULL;
	w = stpcpy(json, head);
	for (c = cmd; *c; c++) {
		if (*c == '"' || *c == '\\') {
			*w++ = '\\';
			*w++ = *c;
		} else if ((unsigned char)*c < 0x20) {
			w += sprintf(w, "\\u%04x", (unsigned char)*c);
		} else {
			*w++ = *c;
		}
	}
	strcpy(w, "\"}}");
	reply = keel_qemu_qmp(q, json);
	free(json);
	if (!reply)
		return NULL;
	p = strstr(q->reply, "\"return\"");
	if (!p) {
		fprintf(stderr, "# keel_qemu: monitor '%s': %s\n", cmd, q->reply);
		errno = EPROTO;
		return NULL;
	}
	p += strlen("\"return\"");
	while (*p == ' ' || *p == ':')
		p++;
	if (*p != '"')
		return q->reply;
	return json_unescape(p + 1);
}

/*
 * One look at the vCPU: its general registers, RIP and RFLAGS as "info
 * registers" prints them (from RAX= or EAX= up to CPL=) into @regs, and
 * whether its interrupts are off and it is not halted.
 */
static int vcpu_sample(struct keel_qemu *q, char *regs, size_t size, bool *spinning)
{
	const char *r = keel_qemu_monitor(q, "info registers"), *a, *b, *p;
	unsigned long long flags;

	if (!r)
		return -1;
	a = strstr(r, "RAX=");
	if (!a)
		a = strstr(r, "EAX=");
	b = strstr(r, " CPL=");
	p = strstr(r, "RFL=");
	if (!p)
		p = strstr(r, "EFL=");
	if (!a || !b || !p || b < a) {
		errno = EPROTO;
		return -1;
	}
	flags = strtoull(p + 4, NULL, 16);
	p = strstr(r, "HLT=");
	q->halted = p && p[4] == '1';
	q->intr_on = flags & 0x200;
	*spinning = !q->intr_on && !q->halted;
	snprintf(regs, size, "%.*s", (int)(b - a), a);
	p = strstr(regs, "RIP=");
	if (!p)
		p = strstr(regs, "EIP=");
	q->stuck_ip = p ? strtoull(p + 4, NULL, 16) : 0;
	return 0;
}

/*
 * Stuck: three looks over a second find interrupts off, no HLT and every
 * general register and the instruction pointer unchanged. (A long loop
 * with interrupts off, such as a memset() of KASAN's shadow at boot, can
 * show the same instruction each time, but not the same registers.)
 */
int keel_qemu_stuck(struct keel_qemu *q)
{
	char first[1024], regs[1024];
	bool spinning;
	int i;

	for (i = 0; i < 3; i++) {
		if (i)
			usleep(500000);
		if (vcpu_sample(q, i ? regs : first, sizeof(regs), &spinning))
			return -errno;
		if (!spinning || (i && strcmp(regs, first)))
			return 0;
	}
	return 1;
}

bool keel_qemu_panicked(struct keel_qemu *q)
{
	keel_qemu_poll(q, 0);
	return strstr(keel_qemu_console_log(q),
		      "Kernel panic - not syncing: Fatal exception in interrupt");
}

const char *keel_qemu_fault(struct keel_qemu *q)
{
	if (keel_qemu_panicked(q))
		return "panicked in an interrupt";
	if (q->hung_s) {
		snprintf(q->fault, sizeof(q->fault),
			 "did not come up in %d s (vCPU %s at 0x%llx, interrupts %s)",
			 q->hung_s, q->halted ? "halted" : "running",
			 q->stuck_ip, q->intr_on ? "on" : "off");
		return q->fault;
	}
	snprintf(q->fault, sizeof(q->fault),
		 "is stuck at 0x%llx with interrupts off", q->stuck_ip);
	return q->fault;
}

int keel_qemu_wait_live(struct keel_qemu *q, const char *marker, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	size_t before;
	int ret, step;

	for (;;) {
		before = q->len;
		step = left_ms(deadline);
		if (step > KEEL_QEMU_STUCK_CHECK_MS)
			step = KEEL_QEMU_STUCK_CHECK_MS;
		ret = keel_qemu_wait_for(q, marker, step);
		/* A panicked guest may take minutes to reboot, and QEMU to exit. */
		if (ret && keel_qemu_panicked(q))
			return -EDEADLK;
		if (ret != -ETIMEDOUT)
			return ret;
		if (q->len == before && keel_qemu_stuck(q) == 1)
			return -EDEADLK;
		if (left_ms(deadline) == 0)
			return ret;
	}
}

/* keel_qemu_wait_boot()'s silent boots in this process */
static int silent_boots;

int keel_qemu_silent_boots(void)
{
	return silent_boots;
}

int keel_qemu_wait_boot(struct keel_qemu *q, const char *marker,
			int timeout_ms)
{
	char regs[1024];
	bool spinning;
	int ret = keel_qemu_wait_live(q, marker, timeout_ms);

	if (ret != -ETIMEDOUT)
		return ret;
	/* Where it is, for the message; QEMU may not answer any more. */
	q->stuck_ip = 0;
	q->halted = false;
	q->intr_on = false;
	vcpu_sample(q, regs, sizeof(regs), &spinning);
	q->hung_s = timeout_ms / 1000;
	silent_boots++;
	return -EDEADLK;
}

int keel_qemu_boot(struct keel_qemu **qp, const struct keel_qemu_opts *o,
		   const char *marker, int timeout_ms)
{
	struct keel_qemu_opts run = o ? *o : (struct keel_qemu_opts){ 0 };
	struct keel_qemu *q;
	int try, ret;

	run.paused = false;
	*qp = NULL;
	for (try = 1; ; try++) {
		q = keel_qemu_start(&run);
		if (!q)
			return -errno;
		ret = keel_qemu_wait_boot(q, marker, timeout_ms);
		if (ret != -EDEADLK || try == KEEL_QEMU_BOOT_TRIES) {
			*qp = q;
			return ret;
		}
		fprintf(stderr, "# keel_qemu: boot %d of %d: the guest %s; starting "
			"it again\n", try, KEEL_QEMU_BOOT_TRIES, keel_qemu_fault(q));
		keel_qemu_free(q);
	}
}

unsigned long long keel_qemu_stuck_ip(struct keel_qemu *q)
{
	return q->stuck_ip;
}

int keel_qemu_com2_fd(struct keel_qemu *q)
{
	if (!q->com2) {
		errno = ENODEV;
		return -1;
	}
	if (q->com2_fd < 0)
		q->com2_fd = connect_socket(q, q->com2_path);
	return q->com2_fd;
}

int keel_qemu_find_fd(struct keel_qemu *q, const char *target)
{
	char path[320], link[256];
	struct dirent *d;
	int fd = -ENOENT;
	ssize_t n;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", q->pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", q->pid, d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, target)) {
			fd = atoi(d->d_name);
			break;
		}
	}
	closedir(dir);
	return fd;
}

pid_t keel_qemu_pid(struct keel_qemu *q)
{
	return q->pid;
}

int keel_qemu_exit_status(struct keel_qemu *q)
{
	check_exit(q, 0);
	return q->reaped ? q->status : -1;
}

void keel_qemu_kill(struct keel_qemu *q)
{
	int status;

	if (q->reaped)
		return;
	kill(q->pid, SIGKILL);
	while (waitpid(q->pid, &status, 0) < 0 && errno == EINTR)
		;
	q->reaped = true;
	q->status = status;
	drain(q);
}

void keel_qemu_free(struct keel_qemu *q)
{
	if (!q)
		return;
	keel_qemu_kill(q);
	if (q->con_fd >= 0)
		close(q->con_fd);
	if (q->qmp_fd >= 0)
		close(q->qmp_fd);
	if (q->com2_fd >= 0)
		close(q->com2_fd);
	unlink(q->qmp_path);
	if (q->com2)
		unlink(q->com2_path);
	unlink(q->err_path);
	rmdir(q->dir);
	free(q->log);
	free(q->qbuf);
	free(q->reply);
	free(q->err);
	free(q);
}

static const char *first(const char *a, const char *env, const char *dflt)
{
	const char *e;

	if (a)
		return a;
	e = getenv(env);
	return e && *e ? e : dflt;
}

/*
 * -machine for each type: ISA serial ports on KVM's in-kernel PIC/IOAPIC;
 * pc and q35 without an HPET, one source of interrupts less for a boot
 * that the emulated CPU may break (Documentation/testing.rst).
 */
static const char *machine_arg(const char *m)
{
	if (!strcmp(m, "pc"))
		return "pc,kernel-irqchip=on,hpet=off";
	if (!strcmp(m, "q35"))
		return "q35,kernel-irqchip=on,hpet=off";
	if (!strcmp(m, "microvm"))
		return "microvm,kernel-irqchip=on,isa-serial=on,pic=on,pit=on,rtc=on";
	return NULL;
}

void keel_qemu_comment(const char *text)
{
	const char *p, *nl;

	for (p = text; *p; p = nl + 1) {
		nl = strchrnul(p, '\n');
		fprintf(stderr, "#   %.*s\n", (int)(nl - p), p);
		if (!*nl)
			break;
	}
}

void keel_qemu_dump(struct keel_qemu *q, size_t tail)
{
	const char *log = keel_qemu_console_log(q);
	size_t len = keel_qemu_console_len(q);
	size_t from = len > tail ? len - tail : 0;

	fprintf(stderr, "# ---- guest console (QEMU pid %d), last %zu of %zu bytes:\n",
		keel_qemu_pid(q), len - from, len);
	keel_qemu_comment(log + from);
	fprintf(stderr, "# ---- QEMU's stderr:\n");
	keel_qemu_comment(keel_qemu_stderr(q));
}

struct keel_qemu *keel_qemu_start(const struct keel_qemu_opts *o)
{
	static const struct keel_qemu_opts none;
	const char *qemu, *kernel, *initrd, *machine, *tmp;
	char mem[16], smp[16], qmp[PATH_MAX + 32], com2[PATH_MAX + 64];
	const char *argv[64 + 32];
	const char *const *x;
	char *append = NULL;
	struct keel_qemu *q;
	int con[2] = { -1, -1 }, err = -1, null, argc = 0, e;

	if (!o)
		o = &none;
	machine = machine_arg(o->machine ? o->machine : "microvm");
	if (!machine) {
		fprintf(stderr, "# keel_qemu: unknown machine '%s'\n", o->machine);
		errno = EINVAL;
		return NULL;
	}
	qemu = first(o->qemu, "KEEL_QEMU", "qemu-system-x86_64");
	kernel = first(o->kernel, "KEEL_GUEST_KERNEL", "/keel/guest/kernel");
	initrd = first(o->initrd, "KEEL_GUEST_INITRD", "/keel/guest/initramfs.cpio.gz");
	if (access(kernel, R_OK) || access(initrd, R_OK)) {
		e = errno;
		fprintf(stderr, "# keel_qemu: no nested guest (%s, %s): %s; "
			"does the test's .needs say qemu?\n", kernel, initrd, strerror(e));
		errno = e;
		return NULL;
	}

	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->con_fd = q->qmp_fd = q->com2_fd = -1;
	q->pid = -1;
	q->reaped = true;
	q->com2 = o->com2;
	tmp = getenv("TMPDIR");
	if (snprintf(q->dir, sizeof(q->dir), "%s/keel-qemu-XXXXXX",
		     tmp && *tmp ? tmp : "/tmp") >= (int)sizeof(q->dir))
		errno = ENAMETOOLONG;
	else if (mkdtemp(q->dir))
		errno = 0;
	if (errno) {
		e = errno;
		fprintf(stderr, "# keel_qemu: mkdtemp %s: %s\n", q->dir, strerror(e));
		free(q);
		errno = e;
		return NULL;
	}
	snprintf(q->qmp_path, sizeof(q->qmp_path), "%s/qmp.sock", q->dir);
	snprintf(q->com2_path, sizeof(q->com2_path), "%s/com2.sock", q->dir);
	snprintf(q->err_path, sizeof(q->err_path), "%s/stderr", q->dir);

	/*
	 * console=ttyS0 first: the role's markers and the kernel's console.
	 * pci=noearly: no early PCI quirks, whose scan of every slot by port
	 * I/O (each access an exit to QEMU) took 5 s of a nested boot; no
	 * chipset QEMU emulates needs one.
	 */
	if (asprintf(&append, "console=ttyS0 panic=-1 loglevel=4 pci=noearly %s",
		     o->append ? o->append : "") < 0) {
		append = NULL;
		goto fail;
	}
	snprintf(mem, sizeof(mem), "%u", o->mem_mib ? o->mem_mib : 256);
	snprintf(smp, sizeof(smp), "%u", o->smp ? o->smp : 1);
	snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=off", q->qmp_path);

	argv[argc++] = qemu;
	argv[argc++] = "-machine";
	argv[argc++] = machine;
	argv[argc++] = "-enable-kvm";
	argv[argc++] = "-cpu";
	argv[argc++] = "host";
	argv[argc++] = "-m";
	argv[argc++] = mem;
	argv[argc++] = "-smp";
	argv[argc++] = smp;
	argv[argc++] = "-nodefaults";
	argv[argc++] = "-no-user-config";
	argv[argc++] = "-display";
	argv[argc++] = "none";
	argv[argc++] = "-no-reboot";
	argv[argc++] = "-kernel";
	argv[argc++] = kernel;
	argv[argc++] = "-initrd";
	argv[argc++] = initrd;
	argv[argc++] = "-append";
	argv[argc++] = append;
	/* COM1 (0x3f8, IRQ 4): the console, to our pipe */
	argv[argc++] = "-chardev";
	argv[argc++] = "stdio,id=con,signal=off";
	argv[argc++] = "-serial";
	argv[argc++] = "chardev:con";
	argv[argc++] = "-qmp";
	argv[argc++] = qmp;
	if (o->com2) {
		snprintf(com2, sizeof(com2), "socket,id=com2,path=%s,server=on,wait=off",
			 q->com2_path);
		argv[argc++] = "-chardev";
		argv[argc++] = com2;
		argv[argc++] = "-device";
		argv[argc++] = "isa-serial,chardev=com2,iobase=0x2f8,irq=3";
	}
	if (o->paused)
		argv[argc++] = "-S";
	for (x = o->extra_args; x && *x; x++) {
		if (argc >= (int)(sizeof(argv) / sizeof(argv[0])) - 1) {
			fprintf(stderr, "# keel_qemu: too many extra arguments\n");
			errno = E2BIG;
			goto fail;
		}
		argv[argc++] = *x;
	}
	argv[argc] = NULL;

	if (pipe2(con, O_CLOEXEC))
		goto fail;
	err = open(q->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (err < 0 || null < 0) {
		if (null >= 0)
			close(null);
		goto fail;
	}
	q->pid = fork();
	if (q->pid < 0) {
		close(null);
		goto fail;
	}
	if (q->pid == 0) {
		/* QEMU dies with the test, whatever kills it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (dup2(null, 0) < 0 || dup2(con[1], 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		execvp(qemu, (char *const *)argv);
		dprintf(2, "keel_qemu: cannot run %s: %s\n", qemu, strerror(errno));
		_exit(127);
	}
	q->reaped = false;
	close(null);
	close(con[1]);
	close(err);
	q->con_fd = con[0];
	fcntl(q->con_fd, F_SETFL, O_NONBLOCK);
	log_append(q, "", 0);
	free(append);
	return q;

fail:
	e = errno;
	fprintf(stderr, "# keel_qemu: cannot start %s: %s\n", qemu, strerror(e));
	if (con[0] >= 0) {
		close(con[0]);
		close(con[1]);
	}
	if (err >= 0)
		close(err);
	free(append);
	unlink(q->err_path);
	rmdir(q->dir);
	free(q);
	errno = e;
	return NULL;
}

int keel_qemu_demo_fail(struct keel_qemu *q, const char *why)
{
	fprintf(stderr, "demo: %s\n", why);
	if (q) {
		fprintf(stderr, "---- guest console:\n%s\n---- QEMU:\n%s\n",
			keel_qemu_console_log(q), keel_qemu_stderr(q));
		keel_qemu_free(q);
	}
	return 1;
}
