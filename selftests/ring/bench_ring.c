// SPDX-License-Identifier: GPL-2.0
/*
 * bench_ring: 64-byte entries per second from a producer process to a
 * fetcher process on another CPU, through a keel ring's mmap fast path
 * (slots and indices in shared memory, one commit ioctl per batch),
 * through the ring's write()/read() (one entry per call, autocommit), a
 * pipe and an AF_UNIX SOCK_SEQPACKET socketpair (one 64-byte message per
 * call), all in the same run; then commit-to-fetch latency (median and
 * p99) with a fetcher spinning on the mapping, one blocked in read(), and
 * a pipe for comparison. Not a test (no TAP): run it with
 *   make bench SUITE=ring [BENCH_ARGS="-n N -r R -b BATCH"]
 * Under the nested TCG VM of the harness absolute rates mean little; the
 * ratios do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/keel_ring.h>

#include "keel_test_stats.h"

#define ENTRY		64
#define SLOT		(ENTRY + 8)
#define SLOTS		1024
#define MAX_REPS	15
#define LAT_SAMPLES	2000

struct ring {
	int fd;
	struct keel_ring_setup s;
	struct keel_ring_ctrl *ctrl;
	uint8_t *slots;
};

/* Shared between the two processes of one measurement. */
struct shared {
	uint64_t t_end;			/* fetcher: when the last entry came */
	uint64_t lat[LAT_SAMPLES];	/* fetcher: ns from commit to fetch */
	int failed;
	int producer_waiting;		/* mmap producer sleeps for space */
};

static uint64_t n_entries = 200000, batch = 64;
static unsigned int reps = 3;
static struct shared *sh;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_ring: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static uint64_t load_acquire(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release(__u64 *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void ring_open(struct ring *r, uint32_t flags)
{
	memset(r, 0, sizeof(*r));
	r->fd = open(KEEL_RING_DEVICE, O_RDWR | O_CLOEXEC);
	if (r->fd < 0)
		die(KEEL_RING_DEVICE);
	r->s.size = sizeof(r->s);
	r->s.flags = flags;
	r->s.slots = SLOTS;
	r->s.slot_size = SLOT;
	r->s.event_fd = -1;
	strcpy(r->s.label, "bench");
	if (ioctl(r->fd, KEEL_RING_IOC_SETUP, &r->s))
		die("setup");
	r->ctrl = mmap(NULL, r->s.ctrl_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED, r->fd, KEEL_RING_OFF_CTRL);
	r->slots = mmap(NULL, r->s.slots_size, PROT_READ | PROT_WRITE,
			MAP_SHARED, r->fd, KEEL_RING_OFF_SLOTS);
	if (r->ctrl == MAP_FAILED || r->slots == MAP_FAILED)
		die("mmap");
}

static void ring_close(struct ring *r)
{
	munmap(r->slots, r->s.slots_size);
	munmap(r->ctrl, r->s.ctrl_size);
	close(r->fd);
}

static struct keel_ring_slot *slot(struct ring *r, uint64_t i)
{
	return (struct keel_ring_slot *)(r->slots +
					 (i & (SLOTS - 1)) * (size_t)SLOT);
}

static void commit(struct ring *r, uint64_t idx)
{
	struct keel_ring_commit c = {
		.size = sizeof(c), .index = idx & 0xffffffffull,
	};

	if (ioctl(r->fd, KEEL_RING_IOC_COMMIT, &c))
		die("commit");
}

/* ---- throughput: the four transports ---- */

enum transport { T_MMAP, T_RW, T_PIPE, T_UNIX, T_NR };

static const char *const names[T_NR] = {
	"ring mmap (commit per batch)", "ring write/read", "pipe",
	"AF_UNIX seqpacket",
};

/*
 * The mmap fast path waits in poll() rather than spinning: under the
 * harness's single-threaded TCG a spinning vCPU takes time from the
 * other one. The producer sets @producer_waiting before it sleeps for
 * space; the fetcher, after publishing its head, kicks it with SYNC only
 * then (a store then a load on each side, with full fences: one of them
 * sees the other).
 */
static void fetch_mmap(struct ring *r)
{
	uint64_t head = 0, got = 0, sum = 0;
	struct pollfd p = { .fd = r->fd, .events = POLLIN };

	while (got < n_entries) {
		uint64_t out = load_acquire(&r->ctrl->out_tail);

		if (out == head) {
			poll(&p, 1, -1);
			continue;
		}
		for (; head != out; head = (head + 1) & 0xffffffffull, got++)
			sum += slot(r, head)->len;
		store_release(&r->ctrl->head, head);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&sh->producer_waiting, __ATOMIC_RELAXED))
			ioctl(r->fd, KEEL_RING_IOC_SYNC);
	}
	if (sum != got * ENTRY)
		sh->failed = 1;
}

static void produce_mmap(struct ring *r)
{
	uint64_t idx = 0, done = 0, committed = 0;
	struct pollfd p = { .fd = r->fd, .events = POLLOUT };

	while (done < n_entries) {
		if (((idx - load_acquire(&r->ctrl->head)) & 0xffffffffull) ==
		    SLOTS) {
			if (committed != idx) {
				commit(r, idx);
				committed = idx;
			}
			__atomic_store_n(&sh->producer_waiting, 1,
					 __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			/* poll() takes the head from the mapping itself. */
			poll(&p, 1, -1);
			__atomic_store_n(&sh->producer_waiting, 0,
					 __ATOMIC_RELAXED);
			continue;
		}
		memset(slot(r, idx) + 1, (int)done, ENTRY);
		slot(r, idx)->len = ENTRY;
		idx = (idx + 1) & 0xffffffffull;
		store_release(&r->ctrl->buf_tail, idx);
		if (++done % batch == 0) {
			commit(r, idx);
			committed = idx;
		}
	}
	commit(r, idx);
}

static void fetch_fd(int fd)
{
	uint8_t buf[ENTRY];
	uint64_t got;

	for (got = 0; got < n_entries; got++)
		if (read(fd, buf, sizeof(buf)) != ENTRY) {
			sh->failed = 1;
			return;
		}
}

static void produce_fd(int fd)
{
	uint8_t buf[ENTRY];
	uint64_t i;

	for (i = 0; i < n_entries; i++) {
		memset(buf, (int)i, sizeof(buf));
		if (write(fd, buf, sizeof(buf)) != ENTRY)
			die("write");
	}
}

/* One run of @t: entries per second. */
static double run_once(enum transport t)
{
	int fds[2] = { -1, -1 };
	struct ring r;
	uint64_t t0;
	pid_t pid;
	int status;

	if (t == T_MMAP)
		ring_open(&r, 0);
	else if (t == T_RW)
		ring_open(&r, KEEL_RING_SETUP_AUTOCOMMIT);
	else if (t == T_PIPE && pipe(fds))
		die("pipe");
	else if (t == T_UNIX && socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds))
		die("socketpair");
	sh->failed = 0;
	sh->producer_waiting = 0;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		pin(1);
		if (t == T_MMAP)
			fetch_mmap(&r);
		else if (t == T_RW)
			fetch_fd(r.fd);
		else
			fetch_fd(fds[0]);
		sh->t_end = now_ns();
		_exit(0);
	}
	pin(0);
	t0 = now_ns();
	if (t == T_MMAP)
		produce_mmap(&r);
	else if (t == T_RW)
		produce_fd(r.fd);
	else
		produce_fd(fds[1]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) || sh->failed) {
		fprintf(stderr, "bench_ring: %s: fetcher failed\n", names[t]);
		exit(1);
	}
	if (t == T_MMAP || t == T_RW) {
		ring_close(&r);
	} else {
		close(fds[0]);
		close(fds[1]);
	}
	return n_entries * 1e9 / (double)(sh->t_end - t0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- latency: commit (or write) to fetch ---- */

enum lat_kind { L_SPIN, L_READ, L_PIPE, L_NR };

static const char *const lat_names[L_NR] = {
	"ring, fetcher spinning on the mapping", "ring, fetcher in read()",
	"pipe, reader in read()",
};

static void lat_fetch(enum lat_kind k, struct ring *r, int fd)
{
	uint64_t head = 0, t;
	uint8_t buf[ENTRY];
	int i;

	for (i = 0; i < LAT_SAMPLES; i++) {
		if (k == L_SPIN) {
			while (load_acquire(&r->ctrl->out_tail) == head)
				;
			memcpy(&t, slot(r, head) + 1, 8);
			head++;
			store_release(&r->ctrl->head, head);
		} else {
			if (read(fd, buf, sizeof(buf)) != ENTRY) {
				sh->failed = 1;
				return;
			}
			memcpy(&t, buf, 8);
		}
		sh->lat[i] = now_ns() - t;
	}
}

static void lat_produce(enum lat_kind k, struct ring *r, int fd)
{
	uint8_t buf[ENTRY] = { 0 };
	uint64_t t;
	int i;

	for (i = 0; i < LAT_SAMPLES; i++) {
		/* Let the fetcher go idle (blocked or spinning) first. */
		usleep(500);
		if (k == L_PIPE) {
			t = now_ns();
			memcpy(buf, &t, 8);
			if (write(fd, buf, ENTRY) != ENTRY)
				die("write");
			continue;
		}
		slot(r, i)->len = ENTRY;
		store_release(&r->ctrl->buf_tail, i + 1);
		t = now_ns();
		memcpy(slot(r, i) + 1, &t, 8);
		commit(r, i + 1);
		/*
		 * The fetcher is done with it before the next sample; wait
		 * idle (a spinning vCPU would slow the other one down).
		 */
		while (load_acquire(&r->ctrl->head) != i + 1u)
			usleep(50);
	}
}

static void latency(enum lat_kind k, uint64_t *med, uint64_t *p99)
{
	int fds[2] = { -1, -1 };
	struct ring r;
	pid_t pid;
	int status;

	if (k == L_PIPE) {
		if (pipe(fds))
			die("pipe");
	} else {
		ring_open(&r, 0);
	}
	sh->failed = 0;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		pin(1);
		lat_fetch(k, &r, k == L_PIPE ? fds[0] : r.fd);
		_exit(0);
	}
	pin(0);
	lat_produce(k, &r, fds[1]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) || sh->failed) {
		fprintf(stderr, "bench_ring: %s: fetcher failed\n",
			lat_names[k]);
		exit(1);
	}
	if (k == L_PIPE) {
		close(fds[0]);
		close(fds[1]);
	} else {
		ring_close(&r);
	}
	qsort(sh->lat, LAT_SAMPLES, sizeof(sh->lat[0]), cmp_u64);
	*med = sh->lat[LAT_SAMPLES / 2];
	*p99 = sh->lat[LAT_SAMPLES * 99 / 100];
}

int main(int argc, char **argv)
{
	double rate[T_NR][MAX_REPS], med[T_NR];
	uint64_t lmed[L_NR], lp99[L_NR];
	unsigned int i, t;
	int c;

	while ((c = getopt(argc, argv, "n:r:b:")) != -1) {
		switch (c) {
		case 'n':
			n_entries = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			reps = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			batch = strtoull(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr,
				"usage: bench_ring [-n entries] [-r reps] [-b batch]\n");
			return 2;
		}
	}
	if (!n_entries || !reps || reps > MAX_REPS || !batch ||
	    batch > SLOTS) {
		fprintf(stderr, "bench_ring: bad -n, -r (1..%d) or -b (1..%d)\n",
			MAX_REPS, SLOTS);
		return 2;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap");

	printf("bench_ring: %llu entries of %d bytes, %u runs each, producer on "
	       "CPU 0, fetcher on CPU 1, ring of %d slots, commit every %llu "
	       "entries on the mmap path\n",
	       (unsigned long long)n_entries, ENTRY, reps, SLOTS,
	       (unsigned long long)batch);
	for (i = 0; i < reps; i++) {
		for (t = 0; t < T_NR; t++) {
			rate[t][i] = run_once(t);
			printf("run %u: %-30s %12.0f entries/s\n", i + 1,
			       names[t], rate[t][i]);
		}
	}
	printf("\nmedian entries/s:\n");
	for (t = 0; t < T_NR; t++) {
		qsort(rate[t], reps, sizeof(double), cmp_double);
		med[t] = rate[t][reps / 2];
		printf("  %-30s %12.0f\n", names[t], med[t]);
	}
	printf("ratios:\n");
	printf("  ring mmap / pipe               %8.2fx\n",
	       med[T_MMAP] / med[T_PIPE]);
	printf("  ring mmap / AF_UNIX            %8.2fx\n",
	       med[T_MMAP] / med[T_UNIX]);
	printf("  ring write/read / pipe         %8.2fx\n",
	       med[T_RW] / med[T_PIPE]);
	printf("  ring write/read / AF_UNIX      %8.2fx\n",
	       med[T_RW] / med[T_UNIX]);
	printf("  AF_UNIX / pipe                 %8.2fx\n",
	       med[T_UNIX] / med[T_PIPE]);

	printf("\ncommit-to-fetch latency, %d samples (ns):\n", LAT_SAMPLES);
	for (t = 0; t < L_NR; t++) {
		latency(t, &lmed[t], &lp99[t]);
		printf("  %-40s median %9llu  p99 %9llu\n", lat_names[t],
		       (unsigned long long)lmed[t],
		       (unsigned long long)lp99[t]);
	}
	printf("  ring read() / pipe median      %8.2fx\n",
	       (double)lmed[L_READ] / lmed[L_PIPE]);
	return 0;
}
