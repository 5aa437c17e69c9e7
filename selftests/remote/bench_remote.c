// SPDX-License-Identifier: GPL-2.0
/*
 * bench_remote: 4 KiB random reads and writes at queue depth 1 and 32,
 * in one run over the same veth pair (remote_conn.h), on two paths:
 *   keel  a guest's virtio-blk driver (blk_guest.c, slots of one page so
 *         that 32 are in flight) on keel_remote.ko, which forwards its
 *         requests to keel-iod; the guest polls its used ring and times
 *         each request with its TSC (KVM_GET_TSC_KHZ turns ticks into ns);
 *   nbd   the baseline: O_DIRECT I/O on /dev/nbd0 of the kernel's nbd
 *         client to Debian's nbd-server (nbd_side.c), timed with
 *         CLOCK_MONOTONIC; no guest on this path.
 * Both serve a backing file of the same size in tmpfs with the same
 * initial image; each phase (randread, randwrite; depth 1, 32) makes the
 * same number of requests at the same distinct random blocks (the same
 * seed) on both, keel's run then nbd's, three times (-r): a phase's
 * figures pool its runs. Its IOPS are its requests over its time by this
 * process's CLOCK_MONOTONIC on both paths. Prints IOPS, p50 and p99
 * latency of each and the ratios keel / nbd, and how far the guest's TSC
 * timed keel's phases from that clock (a check of the ticks' conversion),
 * and how often keel_remote's two threads slept and were woken again per
 * request (their voluntary context switches, /proc/PID/status). The
 * scheduler places every task; -p places both paths alike instead: this
 * process (the vCPU's thread on keel's path, the thread doing the I/O on
 * nbd's) on CPU 0, the servers (keel-iod, nbd-server) and keel_remote's
 * threads on CPU 1, as a host keeps a polling vCPU's CPU to itself. No
 * thresholds: it fails (exit 1) only when a
 * request failed, a read returned other data than the image holds, or a
 * backing file after the writes is not block for block what they wrote
 * (checked whole). Not a test (no TAP): run it with
 *   make bench SUITE=remote      or
 *   selftests/vm/vmtest.sh MODE=bench BENCH=remote/bench_remote \
 *           [BENCH_ARGS="-n REQUESTS -r RUNS -m DISK_MIB -s SEED -i -p"]
 * (-i: the guest halts until the device's interrupt instead of polling
 * its used ring). Under the nested TCG VM of the harness absolute
 * figures mean little; the ratios do.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_blk.h>

#include "keel_guest.h"
#include "keel_test_kvm.h"
#include "blk_guest.h"
#include "bench_io.h"
#include "nbd_side.h"
#include "remote_conn.h"
#include "remote_vm.h"

#define DEPTH_MAX	32u
#define IDLE_CHECK	1024u	/* polls between reads of the device status */
/* Where the test VM has the selftests build (keel-iod, keel-remote-conn). */
#define VM_REMOTE_DIR	"/keel/selftests/remote"

/* What the host asks of the guest for one phase, and what it measured. */
struct bench_ctl {
	uint32_t type;		/* VIRTIO_BLK_T_IN or _OUT */
	uint32_t depth;
	uint32_t n;
	uint32_t tag;		/* a write's stamp */
	uint32_t halt;		/* wait for the interrupt, not polling */
	uint32_t pad;
	uint64_t blocks;	/* gpa: n uint32_t block numbers */
	uint64_t lat;		/* gpa: n uint64_t latencies in TSC ticks */
	uint64_t t0, t1;	/* ticks: first submission, last completion */
	uint64_t errors, bad;
};

static volatile struct bench_ctl ctl;

static inline uint64_t guest_tsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Guest: one phase, up to ctl.depth requests in flight. */
static void guest_phase(void)
{
	const uint32_t *blocks = (const uint32_t *)(uintptr_t)ctl.blocks;
	uint64_t *lat = (uint64_t *)(uintptr_t)ctl.lat, start[BLK_MAX_SLOTS];
	uint32_t n = ctl.n, depth = ctl.depth, next = 0, done = 0, tag, i;
	bool write = ctl.type == VIRTIO_BLK_T_OUT, halt = ctl.halt, queued;
	uint64_t idle = 0;
	uint8_t status;
	int s;

	ctl.errors = ctl.bad = 0;
	ctl.t0 = guest_tsc();
	while (done < n) {
		queued = false;
		while (next < n && blk_in_flight() < depth) {
			s = blk_free_slot();
			GUEST_ASSERT(s >= 0);
			if (write)
				bio_stamp(blk_wbuf(s), blocks[next], ctl.tag);
			start[s] = guest_tsc();
			GUEST_ASSERT_EQ(s, blk_submit(ctl.type,
						      blocks[next] * 8ull,
						      BIO_BLOCK, false,
						      BLK_PLAN_MAX + next));
			next++;
			queued = true;
		}
		if (queued)
			blk_kick();
		queued = false;
		if (halt)
			cli();
		while ((s = blk_reap_one(&tag, &status)) >= 0) {
			i = tag - BLK_PLAN_MAX;
			lat[i] = guest_tsc() - start[s];
			done++;
			queued = true;
			if (status != VIRTIO_BLK_S_OK)
				ctl.errors++;
			else if (!write &&
				 !bio_check(blk_rbuf(s), blocks[i], 0,
					    i % BIO_FULL_EVERY == 0))
				ctl.bad++;
		}
		if (queued) {
			if (halt)
				sti();
			continue;
		}
		/* the device's status is an exit away: read it now and then */
		if (++idle % IDLE_CHECK == 0 && blk_needs_reset())
			GUEST_FAIL("device needs reset");
		if (halt)
			safe_halt();	/* until the device's interrupt */
		else
			cpu_relax();
	}
	ctl.t1 = guest_tsc();
}

static void guest_main(void)
{
	int ret = blk_init();

	GUEST_SYNC(-ret, blk_guest.slots);
	if (ret)
		return;
	for (;;) {
		guest_phase();
		GUEST_SYNC(0);
	}
}

/* ---- host ---- */

struct keel_side {
	struct keel_vm *vm;
	struct keel_vcpu *vcpu;
	int fd;			/* /dev/keel-remote */
	uint64_t tsc_khz;
	uint64_t blocks_gpa, lat_gpa;
	uint32_t *blocks;	/* host pointers to those arrays */
	uint64_t *lat;
	double tsc_error;	/* largest |guest-timed / host-timed - 1| */
	bool irq;		/* the guest halts until the interrupt */
};

static void count_switches(long pid, const char *rest, void *arg)
{
	uint64_t *w = arg;
	unsigned long long v;
	char path[64], line[128];
	const char *c;
	FILE *f;

	for (c = rest; isdigit((unsigned char)*c); c++)
		;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1)
			w[*c == '-'] += v;
	fclose(f);
}

/*
 * The voluntary context switches of keel_remote's threads so far: the
 * worker ("keel-remote-<id>") into w[0], the receiver ("keel-remote-<id>-rx",
 * "keel-remote-<id>-r" as the kernel shortens it) into w[1].
 */
static void dev_switches(uint64_t w[2])
{
	w[0] = w[1] = 0;
	keel_test_for_each_comm("keel-remote-", count_switches, w);
}

/* Every thread of @pid on CPU 1, counted in *@arg. */
static void pin_cpu1(long pid, const char *rest __attribute__((unused)),
		     void *arg)
{
	keel_test_pin_task(pid, 1);
	(*(unsigned int *)arg)++;
}

/*
 * The placement both paths run with: this process on CPU 0, the servers
 * and the device's threads on CPU 1. What was placed is printed; a
 * process not there to place makes the benchmark fail, as a run with
 * another placement than the one it says would mislead.
 */
static int place_tasks(void)
{
	static const char *const on_cpu1[] = {
		"keel-remote-", "keel-iod", "nbd-server",	/* and its children */
	};
	unsigned int n[3] = { 0 }, i;

	keel_test_pin_task(getpid(), 0);
	for (i = 0; i < 3; i++)
		keel_test_for_each_comm(on_cpu1[i], pin_cpu1, &n[i]);
	printf("  placement: this process (keel's vCPU) on CPU 0; on CPU 1 keel_remote's %u threads, %u keel-iod, %u nbd-server\n",
	       n[0], n[1], n[2]);
	return n[0] == 2 && n[1] && n[2] ? 0 : -ESRCH;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_remote: %s: %s\n", what, strerror(err));
	exit(1);
}

/*
 * keel-iod and keel-remote-conn: $KEEL_IOD and $KEEL_REMOTE_CONN, beside
 * this program, else in the test VM's selftests build (the harness runs
 * a benchmark from a directory of its own).
 */
static void find_tools(void)
{
	char self[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return;
	self[n] = 0;
	snprintf(path, sizeof(path), "%s/keel-iod", dirname(self));
	if (!access(path, X_OK))
		return;
	setenv("KEEL_IOD", VM_REMOTE_DIR "/keel-iod", 0);
	setenv("KEEL_REMOTE_CONN", VM_REMOTE_DIR "/keel-remote-conn", 0);
}

/* The VM, its device on keel-iod of @srv, the guest driver ready. */
static void keel_start(struct keel_side *k, struct rc_server *srv,
		       uint64_t disk, uint32_t nops, bool irq)
{
	volatile struct blk_guest *g;
	struct keel_remote_setup s;
	struct keel_irqfd *irqfd;
	struct rc_session sess;
	struct ucall uc;
	uint32_t i;
	int ret;
	long khz;

	memset(k, 0, sizeof(*k));
	k->irq = irq;
	k->fd = open(KEEL_REMOTE_DEVICE, O_RDWR | O_CLOEXEC);
	if (k->fd < 0)
		die(KEEL_REMOTE_DEVICE, errno);
	k->vm = vm_create(0, KEEL_VM_IRQCHIP);
	if (!k->vm)
		die("vm_create", errno);
	irqfd = vm_irqfd_add(k->vm, REMOTE_GSI, false);
	if (!irqfd)
		die("irqfd", errno);
	ret = rc_open(srv, disk, &sess);
	if (ret)
		die("OPEN on keel-iod", -ret);
	remote_setup_init(&s, k->vm->fd, irqfd->fd, sess.fd, sess.handle,
			  sess.session, sess.capacity);
	s.window = sess.window;
	s.max_data = sess.max_data < KEEL_REMOTE_MAX_DATA ?
		     sess.max_data : KEEL_REMOTE_MAX_DATA;
	s.keepalive_ms = sess.keepalive_ms;
	strcpy(s.label, "remote-bench");
	ret = remote_ioctl(k->fd, KEEL_REMOTE_IOC_SETUP, &s);
	if (ret)
		die("KEEL_REMOTE_IOC_SETUP", -ret);
	rc_session_close(&sess);	/* the module's own from now on */
	ret = remote_ioctl(k->fd, KEEL_REMOTE_IOC_START, NULL);
	if (ret)
		die("KEEL_REMOTE_IOC_START", -ret);

	if (blk_host_layout(k->vm, irq))
		die("guest layout", ENOMEM);
	g = blk_g(k->vm);
	g->slot_segs = 1;
	/* every slot's write buffer holds the reference block once */
	for (i = 0; i < BLK_MAX_SLOTS; i++)
		bio_fill(vm_gpa2hva(k->vm, g->l.wbuf +
				    (uint64_t)i * BLK_SLOT_DATA, BIO_BLOCK),
			 0, 0);
	k->blocks_gpa = vm_alloc(k->vm, (uint64_t)nops * 4 + KEEL_PAGE_SIZE);
	k->lat_gpa = vm_alloc(k->vm, (uint64_t)nops * 8 + KEEL_PAGE_SIZE);
	k->blocks = vm_gpa2hva(k->vm, k->blocks_gpa, (uint64_t)nops * 4);
	k->lat = vm_gpa2hva(k->vm, k->lat_gpa, (uint64_t)nops * 8);
	if (!k->blocks_gpa || !k->lat_gpa || !k->blocks || !k->lat)
		die("guest arrays", ENOMEM);

	k->vcpu = vm_vcpu_add(k->vm, guest_main);
	if (!k->vcpu)
		die("vCPU", errno);
	khz = ioctl(k->vcpu->fd, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0)
		die("KVM_GET_TSC_KHZ", khz < 0 ? errno : EINVAL);
	k->tsc_khz = khz;
	if (guest_run(k->vcpu, &uc) != UCALL_SYNC || uc.args[0]) {
		fprintf(stderr, "bench_remote: the guest driver: %s\n",
			ucall_str(k->vcpu, &uc));
		exit(1);
	}
	if (uc.args[1] < DEPTH_MAX) {
		fprintf(stderr, "bench_remote: the guest has %lu request slots, not %u\n",
			(unsigned long)uc.args[1], DEPTH_MAX);
		exit(1);
	}
}

/*
 * Phase @p in the guest: latencies in ns into @lat_ns, the phase's time
 * as this process sees it (CLOCK_MONOTONIC, as the nbd side's) in *@secs,
 * the device threads' sleeps (dev_switches()) added to @wakes.
 */
static void keel_run(struct keel_side *k, const struct bio_phase *p,
		     const uint32_t *blocks, uint32_t n, uint64_t *lat_ns,
		     double *secs, struct bio_result *r, uint64_t wakes[2])
{
	volatile struct bench_ctl *c = vm_guest_ptr(k->vm, &ctl);
	double t0, guest_secs, err;
	uint64_t w0[2], w1[2];
	struct ucall uc;
	uint32_t i;

	memcpy(k->blocks, blocks, (size_t)n * sizeof(*blocks));
	c->type = p->write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
	c->depth = p->depth;
	c->n = n;
	c->tag = p->tag;
	c->halt = k->irq;
	c->blocks = k->blocks_gpa;
	c->lat = k->lat_gpa;
	dev_switches(w0);
	t0 = now();
	if (guest_run(k->vcpu, &uc) != UCALL_SYNC) {
		fprintf(stderr, "bench_remote: %s\n", ucall_str(k->vcpu, &uc));
		exit(1);
	}
	*secs = now() - t0;
	dev_switches(w1);
	wakes[0] += w1[0] - w0[0];
	wakes[1] += w1[1] - w0[1];
	for (i = 0; i < n; i++)
		lat_ns[i] = k->lat[i] * 1000000 / k->tsc_khz;
	guest_secs = (double)(c->t1 - c->t0) / (k->tsc_khz * 1e3);
	err = guest_secs / *secs - 1;
	if (err < 0)
		err = -err;
	if (err > k->tsc_error)
		k->tsc_error = err;
	r->errors += c->errors;
	r->bad += c->bad;
}

static void keel_stop(struct keel_side *k)
{
	remote_ioctl(k->fd, KEEL_REMOTE_IOC_STOP, NULL);
	close(k->fd);
	vm_free(k->vm);
}

/* After a write phase: the blocks' tags, then the whole file checked. */
static int check_writes(const char *path, uint8_t *tags,
			const struct bio_phase *p, const uint32_t *blocks,
			uint32_t n, uint32_t nblocks)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		tags[blocks[i]] = p->tag;
	return bio_image_check(path, nblocks, tags) == -1 ? 0 : -1;
}

static void bad_usage(void)
{
	fprintf(stderr, "usage: bench_remote [-n REQUESTS] [-r RUNS] [-m DISK_MIB] [-s SEED] [-i] [-p]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const char *const side_name[2] = { "keel", "nbd" };
	struct bio_result res[2][BIO_PHASES] = { 0 };
	uint32_t nops = 4000, mib = 64, reps = 3, nblocks, i, j, r;
	uint32_t *blocks[BIO_PHASES];
	uint8_t *tags[2];
	unsigned long long seed = 0x5eed;
	struct keel_side keel;
	struct nbd_side nbd;
	struct rc_server srv;
	char nbd_img[160];
	uint64_t *lat[2], disk, wakes[BIO_PHASES][2] = { { 0 } };
	bool irq = false, place = false;
	int opt, ret, status = 0;
	double secs;

	while ((opt = getopt(argc, argv, "n:r:m:s:ip")) != -1) {
		if (opt == 'n')
			nops = strtoul(optarg, NULL, 0);
		else if (opt == 'r')
			reps = strtoul(optarg, NULL, 0);
		else if (opt == 'm')
			mib = strtoul(optarg, NULL, 0);
		else if (opt == 's')
			seed = strtoull(optarg, NULL, 0);
		else if (opt == 'i')
			irq = true;
		else if (opt == 'p')
			place = true;
		else
			bad_usage();
	}
	disk = (uint64_t)mib << 20;
	nblocks = disk / BIO_BLOCK;
	if (!nops || !mib || mib > 1024 || nops > nblocks || !reps ||
	    reps > 100) {
		fprintf(stderr, "bench_remote: -n must be 1 to the disk's blocks, -r 1 to 100, -m 1 to 1024\n");
		bad_usage();
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	find_tools();
	lat[0] = calloc((size_t)reps * nops, sizeof(*lat[0]));
	lat[1] = calloc((size_t)reps * nops, sizeof(*lat[1]));
	tags[0] = calloc(nblocks, 1);
	tags[1] = calloc(nblocks, 1);
	if (!lat[0] || !lat[1] || !tags[0] || !tags[1])
		die("memory", ENOMEM);
	for (i = 0; i < BIO_PHASES; i++) {
		blocks[i] = malloc(sizeof(*blocks[i]) * nops);
		if (!blocks[i] || bio_blocks(blocks[i], nops, nblocks, seed, i))
			die("block numbers", ENOMEM);
	}

	ret = rc_server_init(&srv, disk);
	if (ret)
		die("keel-iod's namespace and files", -ret);
	snprintf(nbd_img, sizeof(nbd_img), "%s/nbd.img", srv.dir);
	if (bio_image_write(srv.disk, nblocks) ||
	    bio_image_write(nbd_img, nblocks))
		die("backing files", EIO);
	ret = rc_server_start(&srv);
	if (ret)
		die("keel-iod", -ret);

	printf("bench_remote: 4 KiB random I/O over a veth pair, %u runs of %u requests a phase, %u MiB backing files in tmpfs, seed 0x%llx\n",
	       reps, nops, mib, seed);
	printf("  keel: a guest's virtio-blk (%s) on keel_remote.ko to keel-iod\n",
	       irq ? "halting until its interrupt" : "polling its used ring");
	printf("  nbd:  O_DIRECT on /dev/nbd0 (nbd.ko, one connection) to nbd-server, no guest\n");

	keel_start(&keel, &srv, disk, nops, irq);
	ret = nbd_side_start(&nbd, &srv, nbd_img, disk);
	if (ret) {
		printf("# the nbd baseline does not run: %s\n", strerror(-ret));
		status = 1;
	}
	if (!place)
		printf("  placement: left to the scheduler (-p: placed)\n");
	else if (!ret && place_tasks())
		die("placement (keel_remote's threads, keel-iod, nbd-server)",
		    ESRCH);
	/*
	 * Phase by phase, keel then nbd, @reps times: both see the machine
	 * alike; the figures pool the runs of a phase.
	 */
	for (i = 0; i < BIO_PHASES; i++) {
		const struct bio_phase *p = &bio_phases[i];
		double total[2] = { 0, 0 };

		for (r = 0; r < reps; r++) {
			keel_run(&keel, p, blocks[i], nops, lat[0] + r * nops,
				 &secs, &res[0][i], wakes[i]);
			total[0] += secs;
			if (p->write &&
			    check_writes(srv.disk, tags[0], p, blocks[i], nops,
					 nblocks))
				status = 1;
			if (ret)
				continue;
			ret = nbd_side_run(&nbd, p, blocks[i], nops,
					   lat[1] + r * nops, &secs, &res[1][i]);
			if (ret) {
				printf("# the nbd baseline failed: %s\n",
				       strerror(-ret));
				status = 1;
				continue;
			}
			total[1] += secs;
			if (p->write &&
			    check_writes(nbd_img, tags[1], p, blocks[i], nops,
					 nblocks))
				status = 1;
		}
		bio_stats(&res[0][i], lat[0], reps * nops, total[0]);
		if (!ret)
			bio_stats(&res[1][i], lat[1], reps * nops, total[1]);
	}
	keel_stop(&keel);
	nbd_side_stop(&nbd, ret != 0);
	printf("  (keel's latencies by the guest's TSC at %llu kHz: its phase times within %.1f%% of this process's clock)\n",
	       (unsigned long long)keel.tsc_khz, keel.tsc_error * 100);

	printf("  phase      qd  path        IOPS     p50 us     p99 us   IOPS keel/nbd   p99 keel/nbd\n");
	for (i = 0; i < BIO_PHASES; i++) {
		for (j = 0; j < 2; j++) {
			const struct bio_result *r = &res[j][i];

			if (j && ret)
				continue;
			printf("  %-9s %3u  %-4s  %10.1f %10.1f %10.1f",
			       bio_phases[i].name, bio_phases[i].depth,
			       side_name[j], r->iops, r->p50_us, r->p99_us);
			if (!j && !ret && res[1][i].iops > 0 &&
			    res[1][i].p99_us > 0)
				printf(" %14.2fx %13.2fx",
				       r->iops / res[1][i].iops,
				       r->p99_us / res[1][i].p99_us);
			printf("\n");
			if (r->errors || r->bad) {
				printf("# %s %s qd%u: %llu failed requests, %llu reads with wrong data\n",
				       side_name[j], bio_phases[i].name,
				       bio_phases[i].depth,
				       (unsigned long long)r->errors,
				       (unsigned long long)r->bad);
				status = 1;
			}
		}
	}
	printf("  keel_remote's threads, sleeps per request (worker, receiver):");
	for (i = 0; i < BIO_PHASES; i++)
		printf("%s %s qd%u %.2f, %.2f", i ? ";" : "",
		       bio_phases[i].name, bio_phases[i].depth,
		       (double)wakes[i][0] / ((double)reps * nops),
		       (double)wakes[i][1] / ((double)reps * nops));
	printf("\n");
	if (status)
		rc_server_dump_log(&srv);
	rc_server_free(&srv);
	for (i = 0; i < BIO_PHASES; i++)
		free(blocks[i]);
	free(tags[0]);
	free(tags[1]);
	free(lat[0]);
	free(lat[1]);
	return status;
}
