// SPDX-License-Identifier: GPL-2.0
/*
 * bench_mirror: what mirroring costs a guest's stores, and how long a
 * repair takes, in one guest:
 *   - N qword stores over a 256 KiB range, unprotected (no exit: the
 *     baseline) and protected (each store traps, KVM emulates it, Keel
 *     copies it to the mirror), REPS runs each, alternating;
 *   - N CPUIDs, the cost of a bare exit KVM handles in the kernel, so
 *     that the cost of a mirrored store splits into the exit and Keel's
 *     part;
 *   - P repairs: a protected page poisoned (MADV_HWPOISON), the guest
 *     reads it, KVM sends this VMM SIGBUS and its handler repairs the
 *     page: the repair call's own time, and the time from the failure
 *     to the repaired page. On 6.1 MADV_HWPOISON only poisons, and the
 *     guest's read brings the SIGBUS; 6.12 makes it an "action
 *     required" failure of the calling thread, which gets the SIGBUS
 *     before madvise() returns: the time then leaves out the guest's
 *     fault.
 *   - the check of a range's mirror pages for memory failures (scrub.c)
 *     over a 32 MiB range at scrub_ms 100 for 3 s: its time per pass and
 *     per GiB, against copying the same 32 MiB once in this process; then
 *     the same with KEEL_MIRROR_SETUP_COMPARE, whose pass also compares
 *     every guest page with its mirror (compare.c).
 * Prints each run, the medians, the ratio protected / unprotected and
 * the cost per mirrored store; medians and p99 of the repairs. These are
 * the figures binary translation of write hot spots must beat. Not a
 * test (no TAP): run it with
 *   make bench SUITE=mirror      or
 *   selftests/vm/vmtest.sh MODE=bench BENCH=mirror/bench_mirror \
 *           [BENCH_ARGS="-n N -r REPS -p P"]
 * Under the nested TCG VM of the harness absolute times mean little; the
 * ratios do.
 */
#include "mirror_test.h"

#include <signal.h>
#include <time.h>
#include <sys/mman.h>

#include "keel_test_file.h"
#include "keel_test_stats.h"
#include "keel_vm.h"

#define RANGE_LEN	(64 * 4096ULL)
#define SCRUB_LEN	(32ULL << 20)
#define SCRUB_MS	"/sys/module/keel_mirror/parameters/scrub_ms"
#define COMPARE_MS	"/sys/module/keel_mirror/parameters/compare_ms"

enum { G_STORES = 1, G_CPUID, G_READ };

static inline void cpuid(uint32_t leaf)
{
	uint32_t a = leaf, b, c = 0, d;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
}

/* Runs what the host asks, reports back, again. */
static void guest_main(uint64_t base)
{
	volatile uint64_t *p = (volatile uint64_t *)base;
	uint64_t op = G_STORES, n = 0, i, sum = 0;
	/* the host's request, on the page after the range */
	volatile uint64_t *req = (volatile uint64_t *)(base + RANGE_LEN);

	for (;;) {
		GUEST_SYNC(sum);
		op = req[0];
		n = req[1];
		switch (op) {
		case G_STORES:
			for (i = 0; i < n; i++)
				p[i % (RANGE_LEN / 8)] = i;
			break;
		case G_CPUID:
			for (i = 0; i < n; i++)
				cpuid(0);
			break;
		case G_READ:
			sum += p[0];
			break;
		}
	}
}

static struct keel_vm *vm;
static struct keel_vcpu *vcpu;
static uint64_t gpa;
static uint8_t *mem;
static uint64_t *req;
static int mfd = -1;
static double poisoned_at, repaired_at, repair_call;
static int sig_errors;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_mirror: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Run @op @n times in the guest: seconds. */
static double run(uint64_t op, uint64_t n)
{
	struct ucall uc;
	double t0;

	req[0] = op;
	req[1] = n;
	t0 = now();
	if (guest_run(vcpu, &uc) != UCALL_SYNC) {
		fprintf(stderr, "bench_mirror: %s\n", ucall_str(vcpu, &uc));
		exit(1);
	}
	return now() - t0;
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	struct keel_mirror_repair r = { .size = sizeof(r), .gpa = gpa };
	double t0 = now();

	(void)sig;
	(void)uc;
	if (si->si_code != BUS_MCEERR_AR || (uint8_t *)si->si_addr != mem ||
	    ioctl(mfd, KEEL_MIRROR_IOC_REPAIR, &r) ||
	    !(r.result & KEEL_MIRROR_REPAIRED))
		sig_errors++;
	repaired_at = now();
	repair_call = repaired_at - t0;
}

static void set_param(const char *path, const char *value)
{
	int ret = write_text(path, value);

	if (ret) {
		errno = -ret;
		die(path);
	}
}

/*
 * The checks of a SCRUB_LEN range set up with @flags for 3 s at 100 ms
 * (with COMPARE, a comparison at every check: compare_ms 0), and as a
 * baseline the median of 5 copies of as many bytes in this process.
 */
static void scrub(uint32_t flags, const char *what)
{
	uint64_t sgpa = vm_alloc(vm, SCRUB_LEN);
	double copy[5], c, per_pass;
	long long passes, ns;
	uint8_t *buf, *src;
	uint32_t id = 0;
	int fd, i;

	src = vm_gpa2hva(vm, sgpa, SCRUB_LEN);
	buf = malloc(SCRUB_LEN);
	if (!sgpa || !src || !buf)
		die("scrub range");
	memset(src, 0x3c, SCRUB_LEN);
	for (i = 0; i < 5; i++) {
		c = now();
		memcpy(buf, src, SCRUB_LEN);
		copy[i] = now() - c;
		src[i] ^= buf[SCRUB_LEN - 1 - i];	/* not optimised away */
	}
	c = quantile(copy, 5, 0.5);
	set_param(SCRUB_MS, "100");
	set_param(COMPARE_MS, "0");
	fd = mirror_add_flags(vm->fd, sgpa, SCRUB_LEN, flags, &id);
	if (fd < 0) {
		errno = -fd;
		die("KEEL_MIRROR_IOC_SETUP");
	}
	sleep(3);
	passes = keel_test_obj_info("mirror", id, "scrub_passes");
	ns = keel_test_obj_info("mirror", id, "scrub_ns");
	close(fd);
	set_param(SCRUB_MS, "1000");
	set_param(COMPARE_MS, "1000");
	free(buf);
	if (passes <= 0 || ns <= 0) {
		fprintf(stderr, "bench_mirror: no scrub passes (%lld)\n",
			passes);
		exit(1);
	}
	per_pass = ns / 1e9 / passes;
	printf("bench_mirror: %s, %llu MiB at scrub_ms 100 for 3 s\n",
	       what, SCRUB_LEN >> 20);
	printf("  %lld passes, %8.1f us each, %6.2f ns per page\n", passes,
	       per_pass * 1e6, per_pass * 1e9 / (SCRUB_LEN / 4096));
	printf("  copying the same bytes once: %8.1f us, %.2fx a pass\n",
	       c * 1e6, c / per_pass);
	printf("  1 GiB at scrub_ms 1000 (the default): %.3f%% of a CPU\n",
	       per_pass * (1024 / (SCRUB_LEN >> 20)) * 100);
}

int main(int argc, char **argv)
{
	unsigned long n = 20000, reps = 5, nrep = 200, i;
	double t_plain[16], t_prot[16], t_cpuid[16], *call, *total;
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO };
	double plain, prot, exit_cost;
	uint32_t id = 0;
	int opt;

	while ((opt = getopt(argc, argv, "n:r:p:")) != -1) {
		if (opt == 'n')
			n = strtoul(optarg, NULL, 0);
		else if (opt == 'r')
			reps = strtoul(optarg, NULL, 0);
		else if (opt == 'p')
			nrep = strtoul(optarg, NULL, 0);
		else
			return 2;
	}
	if (!n || !reps || reps > 16 || !nrep) {
		fprintf(stderr, "bench_mirror: bad -n, -r or -p\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	vm = vm_create(0, 0);
	if (!vm)
		die("vm_create");
	gpa = vm_alloc(vm, RANGE_LEN + 4096);
	mem = vm_gpa2hva(vm, gpa, RANGE_LEN + 4096);
	req = (uint64_t *)(mem + RANGE_LEN);
	vcpu = vm_vcpu_add(vm, guest_main);
	if (!vcpu || vcpu_args_set(vcpu, gpa))
		die("vCPU");
	run(G_CPUID, 1);	/* to the first GUEST_SYNC */
	run(G_STORES, RANGE_LEN / 8);	/* every page faulted in */

	printf("bench_mirror: %lu guest qword stores per run over %llu KiB, %lu runs\n",
	       n, RANGE_LEN >> 10, reps);
	for (i = 0; i < reps; i++) {
		t_plain[i] = run(G_STORES, n);
		mfd = mirror_add(vm->fd, gpa, RANGE_LEN, &id);
		if (mfd < 0) {
			errno = -mfd;
			die("KEEL_MIRROR_IOC_SETUP");
		}
		t_prot[i] = run(G_STORES, n);
		close(mfd);
		t_cpuid[i] = run(G_CPUID, n);
		printf("  run %lu: unprotected %.0f stores/s, protected %.0f stores/s, cpuid %.0f/s\n",
		       i + 1, n / t_plain[i], n / t_prot[i], n / t_cpuid[i]);
	}
	plain = quantile(t_plain, reps, 0.5) / n;
	prot = quantile(t_prot, reps, 0.5) / n;
	exit_cost = quantile(t_cpuid, reps, 0.5) / n;
	printf("  unprotected  %10.0f stores/s median, %8.3f us each\n",
	       1 / plain, plain * 1e6);
	printf("  protected    %10.0f stores/s median, %8.3f us each\n",
	       1 / prot, prot * 1e6);
	printf("  cpuid exit   %10.0f /s median, %8.3f us each\n",
	       1 / exit_cost, exit_cost * 1e6);
	printf("  ratio protected / unprotected: %.1fx slower\n", prot / plain);
	printf("  cost per mirrored store: %.2f us, %.2fx a bare exit\n",
	       (prot - plain) * 1e6, (prot - plain) / exit_cost);

	/* repairs: one protected page, poisoned, read by the guest */
	call = calloc(nrep, sizeof(*call));
	total = calloc(nrep, sizeof(*total));
	if (!call || !total || sigaction(SIGBUS, &sa, NULL))
		die("repairs");
	mfd = mirror_add(vm->fd, gpa, 4096, &id);
	if (mfd < 0) {
		errno = -mfd;
		die("KEEL_MIRROR_IOC_SETUP");
	}
	for (i = 0; i < nrep; i++) {
		repaired_at = 0;
		poisoned_at = now();
		/* on 6.12 this thread gets SIGBUS at once (the header) */
		if (madvise(mem, 4096, MADV_HWPOISON))
			die("madvise(MADV_HWPOISON)");
		run(G_READ, 1);
		if (!repaired_at)
			sig_errors++;
		call[i] = repair_call;
		total[i] = repaired_at - poisoned_at;
	}
	printf("bench_mirror: %lu repairs of a poisoned page the guest reads\n",
	       nrep);
	printf("  repair call          median %8.1f us, p99 %8.1f us\n",
	       quantile(call, nrep, 0.5) * 1e6, quantile(call, nrep, 0.99) * 1e6);
	printf("  failure to repaired  median %8.1f us, p99 %8.1f us\n",
	       quantile(total, nrep, 0.5) * 1e6,
	       quantile(total, nrep, 0.99) * 1e6);
	printf("  kernel: %lld repairs, %lld ns in all, %lld ns the longest; %d errors\n",
	       keel_test_obj_info("mirror", id, "repaired_pages"),
	       keel_test_obj_info("mirror", id, "repair_ns"),
	       keel_test_obj_info("mirror", id, "repair_max_ns"), sig_errors);
	close(mfd);
	scrub(0, "the check of mirror pages for memory failures");
	scrub(KEEL_MIRROR_SETUP_COMPARE,
	      "the check with every guest page compared with its mirror");
	vm_free(vm);
	return sig_errors ? 1 : 0;
}
