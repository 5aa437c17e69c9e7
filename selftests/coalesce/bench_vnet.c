// SPDX-License-Identifier: GPL-2.0
/*
 * keel_coalesce's benchmark on Keel's test VMM and the real vhost-net
 * (make bench SUITE=coalesce, the first of its two programs): the guest
 * is the test library's virtio-net receive driver (vnet_guest.h), halted
 * while it has nothing to do; vhost-net fills its ring from a tap; a peer
 * in its own network namespace sends numbered, time-stamped frames. The
 * same traffic under four moderations of the queue's interrupt:
 *
 *	none        no Keel object: vhost's signal is the interrupt
 *	latency     rx-usecs 200, overflow-usecs 200: the latency interval,
 *	            nothing held longer while the guest sleeps
 *	lat+ovf     rx-usecs 200, overflow-usecs 5000
 *	adaptive    adaptive-rx, rx-usecs up to 800, overflow-usecs 5000
 *	lat+ovf+f4  lat+ovf with rx-frames 4: four notifications held
 *	            deliver at once, a bound on how full a hold lets the
 *	            ring get (vhost-net signals once per batch of frames)
 *
 * Traffic: 64- and 1514-byte frames at a fixed 1,000/s and as a flood;
 * 64-byte frames at 5,000/s (the peer sleeps 200 us between frames, so
 * the rate it reaches is lower: frm/s tells).
 * Once with the vCPU alone on CPU 1, once overcommitted (a busy loop
 * shares CPU 1); the VMM, the peer and vhost's worker on CPU 0. Printed per run: interrupts per frame, frames/s
 * delivered, lost (the tap's queue overflowed), the VM's exits and halts
 * per frame (KVM's debugfs), frame latency p50/p99 (from the peer's send,
 * by the host's clock, to the guest's look at the frame, by its kvmclock,
 * which KVM counts from the same clock); and the ratios
 * against "none" measured in the same run. Under the nested emulation of
 * the test VM absolute figures mean little: compare the ratios.
 *
 * Usage: bench_vnet [-n FRAMES_FIXED] [-f FRAMES_FLOOD] [-m MODE]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/keel_coalesce.h>
#include <linux/keel_state.h>
#include "keel_test_kvm.h"
#include "keel_vm.h"
#include "vnet.h"
#include "vnet_guest.h"

#define GSI_RX		20
#define GSI_POKE	21
#define VCPU_CPU	1

static long n_fixed = 1000, n_flood = 5000;
static const char *only_mode;

struct mode {
	const char *name;
	bool moderated;
	struct keel_coalesce_params p;
};

static const struct mode modes[] = {
	{ "none", false, { 0 } },
	{ "latency", true, { .rx_usecs = 200, .overflow_usecs = 200 } },
	{ "lat+ovf", true, { .rx_usecs = 200, .overflow_usecs = 5000 } },
	{ "adaptive", true, { .rx_usecs = 800, .overflow_usecs = 5000,
			      .flags = KEEL_COALESCE_P_ADAPTIVE } },
	{ "lat+ovf+f4", true, { .rx_usecs = 200, .overflow_usecs = 5000,
				.rx_frames = 4 } },
};
#define NR_MODES	(sizeof(modes) / sizeof(modes[0]))

struct traffic {
	const char *name;
	uint32_t len;
	uint32_t gap_us;	/* 0: flood */
};

static const struct traffic traffics[] = {
	{ "1000/s 64B", VNET_FRAME_MIN, 1000 },
	{ "1000/s 1514B", VNET_FRAME_MAX, 1000 },
	{ "5000/s 64B", VNET_FRAME_MIN, 200 },
	{ "flood 64B", VNET_FRAME_MIN, 0 },
	{ "flood 1514B", VNET_FRAME_MAX, 0 },
};
#define NR_TRAFFICS	(sizeof(traffics) / sizeof(traffics[0]))

struct result {
	long sent, arrived;
	unsigned long long irqs, exits, halts;
	double secs;
	double p50, p99;	/* us; negative: unknown */
};

static struct result res[2][NR_MODES][NR_TRAFFICS];

struct bench {
	struct keel_vm *vm;
	struct keel_vcpu *vcpu;
	struct keel_irqfd *rx, *poke;
	struct vnet net;
	pthread_t thread;
	struct ucall uc;
	int64_t clock_offset;
};

#define GUEST(b, field)	(vnet_guest_of((b)->vm)->field)

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

static void *vcpu_main(void *arg)
{
	struct bench *b = arg;

	guest_run(b->vcpu, &b->uc);
	return NULL;
}

static int bench_start(struct bench *b)
{
	int ret;

	b->vm = vm_create(0, KEEL_VM_IRQCHIP);
	if (!b->vm)
		return -errno;
	b->vcpu = vm_vcpu_add(b->vm, vnet_guest_main);
	b->rx = vm_irqfd_add(b->vm, GSI_RX, false);
	b->poke = vm_irqfd_add(b->vm, GSI_POKE, false);
	if (!b->vcpu || !b->rx || !b->poke)
		return -errno;
	ret = vnet_create(&b->net, b->vm, b->rx->fd);
	if (ret)
		return ret;
	vnet_guest_init(b->vm, GSI_RX, GSI_POKE);
	b->clock_offset = vnet_clock_offset(b->vm);
	GUEST(b, clock_offset) = b->clock_offset;
	ret = vcpu_args_set(b->vcpu, b->net.gpa.desc, b->net.gpa.avail,
			    b->net.gpa.used, b->net.gpa.bufs);
	if (ret)
		return ret;
	return -pthread_create(&b->thread, NULL, vcpu_main, b);
}

static void bench_stop(struct bench *b)
{
	GUEST(b, quit) = 1;
	irqfd_trigger(b->poke);
	pthread_join(b->thread, NULL);
	if (b->uc.cmd != UCALL_DONE)
		fprintf(stderr, "bench: %s\n", ucall_str(b->vcpu, &b->uc));
	vnet_destroy(&b->net);
	vm_free(b->vm);
}

/* A moderating object on the receive queue, resumed; its fd. */
static int moderate(struct bench *b, const struct mode *m)
{
	struct keel_coalesce_setup s = {
		.size = sizeof(s),
		.vm_fd = b->vm->fd,
		.irq_fd = b->rx->fd,
		.call_fd = -1,
		.vcpu = KEEL_COALESCE_VCPU_AUTO,
		.params = m->p,
		.label = "bench",
	};
	int fd = open(KEEL_COALESCE_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, KEEL_COALESCE_IOC_SETUP, &s) ||
	    ioctl(fd, KEEL_STATE_IOC_RESUME)) {
		fprintf(stderr, "bench: keel_coalesce setup: %s\n",
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* p50 and p99 of the last @n frames' latencies, in us. */
static void latencies(struct bench *b, uint64_t last, long n,
		      struct result *r)
{
	int64_t *v;
	long i;

	r->p50 = r->p99 = -1;
	if (n > VNET_LAT_MAX)
		n = VNET_LAT_MAX;
	if (!b->clock_offset || n <= 0)
		return;
	v = malloc(n * sizeof(*v));
	if (!v)
		return;
	for (i = 0; i < n; i++)
		v[i] = GUEST(b, lat[(last - n + i) % VNET_LAT_MAX]);
	qsort(v, n, sizeof(*v), cmp_i64);
	r->p50 = v[n / 2] / 1000.0;
	r->p99 = v[(n * 99) / 100] / 1000.0;
	free(v);
}

/*
 * One run: the traffic sent, every frame that arrived waited for (until
 * none came for a second after the last was sent), counted.
 */
static int run(struct bench *b, const struct mode *m, const struct traffic *t,
	       struct result *r)
{
	long n = t->gap_us ? n_fixed : n_flood;
	uint64_t f0, i0, e0, h0, last, t0, t_last, idle_since;
	pid_t pid = getpid();
	int fd = -1;

	if (m->moderated) {
		fd = moderate(b, m);
		if (fd < 0)
			return -1;
	}
	f0 = GUEST(b, frames);
	i0 = GUEST(b, irqs);
	e0 = keel_test_kvm_stat(pid, "exits");
	h0 = keel_test_kvm_stat(pid, "halt_exits");
	t0 = now_ns();
	r->sent = vnet_send(&b->net, n, t->len, t->gap_us);
	if (r->sent < 0) {
		fprintf(stderr, "bench: the peer failed\n");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	last = f0;
	t_last = idle_since = now_ns();
	while (last < f0 + r->sent && now_ns() - idle_since < 1000000000ull) {
		uint64_t f = GUEST(b, frames);

		if (f != last) {
			last = f;
			t_last = idle_since = now_ns();
		}
		usleep(200);
	}
	r->arrived = last - f0;
	r->irqs = GUEST(b, irqs) - i0;
	r->exits = keel_test_kvm_stat(pid, "exits") - e0;
	r->halts = keel_test_kvm_stat(pid, "halt_exits") - h0;
	r->secs = (t_last - t0) / 1e9;
	latencies(b, last, r->arrived, r);
	if (fd >= 0)
		close(fd);	/* what it holds goes to the guest */
	/* nothing left in flight for the next run */
	usleep(100000);
	return 0;
}

static double per(unsigned long long a, long b)
{
	return b ? (double)a / b : 0;
}

static void print_cpu(int overcommit)
{
	size_t m, t;

	printf("\n== vCPU %s\n", overcommit ?
	       "overcommitted (shares CPU 1 with a busy loop)" :
	       "alone on CPU 1");
	printf("%-13s %-10s %8s %8s %9s %6s %9s %9s %9s %9s %9s\n", "traffic",
	       "mode", "irq/frm", "x fewer", "frm/s", "lost", "exits/frm",
	       "halts/frm", "p50 us", "p99 us", "p99-none");
	for (t = 0; t < NR_TRAFFICS; t++) {
		const struct result *none = &res[overcommit][0][t];
		double ipf0 = per(none->irqs, none->arrived);

		for (m = 0; m < NR_MODES; m++) {
			const struct result *r = &res[overcommit][m][t];
			double ipf = per(r->irqs, r->arrived);

			if (m && only_mode && strcmp(only_mode, modes[m].name))
				continue;
			printf("%-13s %-10s %8.3f %7.1fx %9.0f %6ld %9.2f %9.3f %9.0f %9.0f %+9.0f\n",
			       m ? "" : traffics[t].name, modes[m].name, ipf,
			       ipf ? ipf0 / ipf : 0,
			       r->secs ? r->arrived / r->secs : 0,
			       r->sent - r->arrived, per(r->exits, r->arrived),
			       per(r->halts, r->arrived), r->p50, r->p99,
			       r->p99 - none->p99);
		}
	}
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	int c, cpu, failed = 0;
	size_t m, t;
	pid_t hog = 0;

	while ((c = getopt(argc, argv, "n:f:m:")) != -1) {
		switch (c) {
		case 'n':
			n_fixed = atol(optarg);
			break;
		case 'f':
			n_flood = atol(optarg);
			break;
		case 'm':
			only_mode = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-n N] [-f N] [-m MODE]\n",
				argv[0]);
			return 2;
		}
	}
	if (n_fixed <= 0 || n_flood <= 0) {
		fprintf(stderr, "bench: counts must be positive\n");
		return 2;
	}
	if (access(KEEL_COALESCE_DEVICE, F_OK) || access("/dev/vhost-net", F_OK)) {
		fprintf(stderr, "bench: needs keel_coalesce.ko and vhost-net\n");
		return 1;
	}
	if (bench_start(&b)) {
		fprintf(stderr, "bench: no VM with vhost-net\n");
		return 1;
	}
	/* the vCPU on CPU 1; this process, the peer and vhost's worker on 0 */
	keel_test_pin_task(getpid(), 0);
	keel_test_pin_task(b.net.peer, 0);
	if (vnet_pin_worker(0) < 1)
		fprintf(stderr, "bench: vhost's worker not found, not pinned\n");
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(VCPU_CPU, &set);
		pthread_setaffinity_np(b.thread, sizeof(set), &set);
	}
	printf("keel_coalesce on vhost-net, Keel's test VMM: %ld frames at a fixed rate, %ld flooded, per run; latency %s\n",
	       n_fixed, n_flood, b.clock_offset ?
	       "by kvmclock" : "unknown (no KVM_GET_CLOCK)");
	for (cpu = 0; cpu < 2 && !failed; cpu++) {
		if (cpu)
			hog = keel_test_hog(VCPU_CPU);
		for (t = 0; t < NR_TRAFFICS && !failed; t++) {
			for (m = 0; m < NR_MODES && !failed; m++) {
				struct result *r = &res[cpu][m][t];

				if (m && only_mode &&
				    strcmp(only_mode, modes[m].name))
					continue;
				failed = run(&b, &modes[m], &traffics[t], r);
				printf("# %s, %s, %s: %ld of %ld arrived in %.2f s, %llu interrupts\n",
				       cpu ? "overcommitted" : "alone",
				       traffics[t].name, modes[m].name,
				       r->arrived, r->sent, r->secs, r->irqs);
				fflush(stdout);
			}
		}
		if (hog) {
			kill(hog, SIGKILL);
			waitpid(hog, NULL, 0);
			hog = 0;
		}
	}
	bench_stop(&b);
	if (failed)
		return 1;
	for (cpu = 0; cpu < 2; cpu++)
		print_cpu(cpu);
	return 0;
}
