// SPDX-License-Identifier: GPL-2.0
/*
 * bench_vdev: what a guest port write costs, three ways, in one guest:
 *   - to a port handled in the host kernel by keel_vdev (the 16550A UART's
 *     scratch register, offset 7, which has no side effects);
 *   - to a port this VMM handles in userspace (an exit to the VMM);
 *   - to a port KVM handles in the kernel with an ioeventfd: an unclaimed
 *     access that keel_vdev's hook looks up and passes on to KVM, without
 *     an exit to userspace, so the lookup is a large part of its cost;
 *   - the same port with one REP OUTSB per 1024 bytes: KVM's emulator
 *     repeats it in the kernel, up to 1024 bytes per exit, each byte one
 *     kvm_io_bus_write() and so one lookup: the lookup's own cost, with
 *     most of the exit's shared out;
 * and, as the reference, a CPUID: an exit that KVM handles without its
 * I/O bus, so without the hook. N of each per run, REPS runs, first with
 * no device on any other VM, then with CLAIMS devices set up and started
 * on other VMs (up to max_devices_per_vm each, at most 64, so on many
 * VMs). Prints each run, the medians, the ratio in-kernel / userspace,
 * and for each case the ratio with CLAIMS claims elsewhere / with none:
 * the cost of an access must not depend on other VMs' claims (about
 * 1.00x). The harness machine is often shared, so each run's costs are
 * also divided by that run's CPUID cost, measured right after them: the
 * ratio of those medians cancels load that changes between runs. Not a
 * test (no TAP): run it with
 *   make bench SUITE=vdev      or
 *   selftests/vm/vmtest.sh MODE=bench BENCH=vdev/bench_vdev \
 *           [BENCH_ARGS="-n N -r R -c CLAIMS"]
 * Under the nested TCG VM of the harness absolute rates mean little; the
 * ratios do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <linux/keel_vdev.h>
#include <linux/kvm.h>
#include <linux/serial_reg.h>

#include "keel_guest.h"

#define COM1		0x3f8
#define UART_LEN	8
#define USER_PORT	0x500
#define IOEVENT_PORT	0x510
#define MAX_REPS	31
#define LIMIT_PARAM	"/sys/module/keel_vdev/parameters/max_devices_per_vm"
/* Devices per other VM: the per-VM limit, at most this. */
#define PER_VM_MAX	64
#define OTHER_PORT	0x1000

enum { K_VDEV, K_USER, K_IOEVENT, K_IOREP, K_CPUID, NR_KINDS };

/* Bytes per REP OUTSB: what KVM's emulator repeats in one exit at most. */
#define REP_CHUNK	1024

/* What the guest sends with REP OUTSB. */
static uint8_t rep_buf[REP_CHUNK];

static const char *const kind_name[NR_KINDS] = {
	[K_VDEV] = "in-kernel UART (keel_vdev, claimed)",
	[K_USER] = "unclaimed, userspace VMM",
	[K_IOEVENT] = "unclaimed, KVM ioeventfd",
	[K_IOREP] = "unclaimed, ioeventfd, REP OUTSB bytes",
	[K_CPUID] = "CPUID exit (reference, not hooked)",
};

static const char *const kind_short[NR_KINDS] = {
	[K_VDEV] = "in-kernel",
	[K_USER] = "userspace",
	[K_IOEVENT] = "ioeventfd",
	[K_IOREP] = "rep-outsb",
	[K_CPUID] = "cpuid",
};

static inline void guest_outsb(uint16_t port, const void *buf, uint64_t len)
{
	__asm__ volatile("rep outsb"
			 : "+S"(buf), "+c"(len) : "d"(port) : "memory");
}

static inline void guest_cpuid(uint32_t leaf)
{
	uint32_t a = leaf, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
}

static bool user_io(struct keel_vcpu *vcpu, uint16_t port, bool write,
		    void *data, unsigned int size, void *opaque)
{
	(void)vcpu; (void)port; (void)opaque;
	if (!write)
		memset(data, 0, size);
	return true;
}

/*
 * Guest: a sync, then per repetition (@reps of them: both phases) @n outs
 * to each port in turn and @n CPUIDs, each followed by a sync. The host
 * times from one sync to the next.
 */
static void guest_bench(uint64_t kport, uint64_t uport, uint64_t eport,
			uint64_t n, uint64_t reps)
{
	uint64_t r, i;

	GUEST_SYNC(0);
	for (r = 0; r < reps; r++) {
		for (i = 0; i < n; i++)
			outb(kport, i);
		GUEST_SYNC(1);
		for (i = 0; i < n; i++)
			outb(uport, i);
		GUEST_SYNC(2);
		for (i = 0; i < n; i++)
			outb(eport, i);
		GUEST_SYNC(3);
		for (i = 0; i < n; i += REP_CHUNK)
			guest_outsb(eport, rep_buf, REP_CHUNK);
		GUEST_SYNC(4);
		for (i = 0; i < n; i++)
			guest_cpuid(0);
		GUEST_SYNC(5);
	}
	GUEST_DONE();
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *in, int n)
{
	double v[MAX_REPS];

	memcpy(v, in, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_vdev: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Run the guest to its next ucall, which must be SYNC(@want). */
static void run_to(struct keel_vcpu *vcpu, uint64_t want)
{
	struct ucall uc;

	if (guest_run(vcpu, &uc) != UCALL_SYNC || uc.args[0] != want) {
		fprintf(stderr, "bench_vdev: unexpected ucall: %s\n",
			ucall_str(vcpu, &uc));
		exit(1);
	}
}

/* A set-up UART at @port of @vm_fd, started: its fd, or -1 (errno). */
static int uart_create(int vm_fd, uint16_t port)
{
	struct keel_vdev_setup s;
	int fd;

	fd = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.vm_fd = vm_fd;
	s.model = KEEL_VDEV_MODEL_UART16550A;
	s.bus = KEEL_VDEV_BUS_PIO;
	s.base = port;
	s.len = UART_LEN;
	s.irq_fd = -1;
	s.resample_fd = -1;
	if (ioctl(fd, KEEL_VDEV_IOC_SETUP, &s) ||
	    ioctl(fd, KEEL_VDEV_IOC_START, NULL)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Devices per other VM: the module's limit (if any), at most PER_VM_MAX. */
static long per_vm(void)
{
	char buf[32];
	long v = PER_VM_MAX;
	FILE *f;

	f = fopen(LIMIT_PARAM, "r");
	if (!f)
		return v;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v > 0 && v < PER_VM_MAX ? v : PER_VM_MAX;
}

struct others {
	int kvm_fd;
	int *vm_fds, nr_vms;
	int *fds, nr_fds;
};

/* @claims started UARTs on as many new VMs as the per-VM count needs. */
static void others_create(struct others *o, long claims)
{
	long each = per_vm(), vms = (claims + each - 1) / each, i;
	struct rlimit rl;
	double t0;

	memset(o, 0, sizeof(*o));
	rl.rlim_cur = rl.rlim_max = claims + vms + 256;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit(RLIMIT_NOFILE)");
	o->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	o->vm_fds = calloc(vms, sizeof(*o->vm_fds));
	o->fds = calloc(claims, sizeof(*o->fds));
	if (o->kvm_fd < 0 || !o->vm_fds || !o->fds)
		die("other VMs");
	t0 = now();
	for (; o->nr_vms < vms; o->nr_vms++) {
		o->vm_fds[o->nr_vms] = ioctl(o->kvm_fd, KVM_CREATE_VM, 0);
		if (o->vm_fds[o->nr_vms] < 0)
			die("KVM_CREATE_VM");
	}
	printf("  %ld other VMs created in %.2f s\n", vms, now() - t0);
	t0 = now();
	for (; o->nr_fds < claims; o->nr_fds++) {
		i = o->nr_fds;
		o->fds[i] = uart_create(o->vm_fds[i / each],
					OTHER_PORT + (i % each) * UART_LEN);
		if (o->fds[i] < 0)
			die("keel_vdev setup on another VM");
	}
	t0 = now() - t0;
	printf("  %ld devices set up and started on them (%ld per VM) "
	       "in %.2f s, %.1f us per device\n", claims, each, t0,
	       t0 * 1e6 / claims);
	fflush(stdout);
}

static void others_free(struct others *o)
{
	double t0 = now();
	int i;

	for (i = 0; i < o->nr_fds; i++)
		close(o->fds[i]);
	printf("  %d devices on other VMs released in %.2f s\n", o->nr_fds,
	       now() - t0);
	for (i = 0; i < o->nr_vms; i++)
		close(o->vm_fds[i]);
	close(o->kvm_fd);
	free(o->fds);
	free(o->vm_fds);
}

struct phase {
	double rate[NR_KINDS][MAX_REPS];
	/* cost per out / that run's cost per CPUID */
	double rel[NR_KINDS][MAX_REPS];
	uint64_t exits[NR_KINDS];
};

static const uint16_t kind_port[NR_KINDS] = {
	[K_VDEV] = COM1 + UART_SCR,
	[K_USER] = USER_PORT,
	[K_IOEVENT] = IOEVENT_PORT,
	[K_IOREP] = IOEVENT_PORT,
	[K_CPUID] = 0,
};

/* @reps repetitions of the three cases into @ph. */
static void run_phase(struct keel_vcpu *vcpu, struct phase *ph,
		      const char *what, unsigned long n, unsigned long reps)
{
	uint64_t before;
	unsigned long r;
	double t0;
	int k;

	printf("%s:\n", what);
	memset(ph->exits, 0, sizeof(ph->exits));
	for (r = 0; r < reps; r++) {
		printf("  run %lu:", r + 1);
		for (k = 0; k < NR_KINDS; k++) {
			before = vcpu_exit_count(vcpu, KEEL_EXIT_IO_OUT,
						 kind_port[k]);
			t0 = now();
			run_to(vcpu, k + 1);
			ph->rate[k][r] = (k == K_IOREP ?
					  (n + REP_CHUNK - 1) / REP_CHUNK *
					  REP_CHUNK : n) / (now() - t0);
			ph->exits[k] = vcpu_exit_count(vcpu, KEEL_EXIT_IO_OUT,
						       kind_port[k]) - before;
			printf(" %s %.0f/s", kind_short[k], ph->rate[k][r]);
			if (k != K_CPUID)
				printf(" (%llu exits to userspace)",
				       (unsigned long long)ph->exits[k]);
			printf("%s", k + 1 < NR_KINDS ? "," : "\n");
		}
		for (k = 0; k < NR_KINDS; k++)
			ph->rel[k][r] = ph->rate[K_CPUID][r] / ph->rate[k][r];
		fflush(stdout);
	}
	for (k = 0; k < NR_KINDS; k++)
		printf("  %-38s %8.0f/s median, %6.2f us each, "
		       "%5.3f CPUIDs each, %llu exits to userspace per run\n",
		       kind_name[k], median(ph->rate[k], reps),
		       1e6 / median(ph->rate[k], reps),
		       median(ph->rel[k], reps),
		       (unsigned long long)ph->exits[k]);
	printf("  ratio in-kernel / userspace: %.2fx\n",
	       median(ph->rate[K_VDEV], reps) / median(ph->rate[K_USER], reps));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	unsigned long n = 20000, reps = 9, claims = 10000;
	static struct phase none, many;
	struct kvm_ioeventfd ioev;
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	struct others o;
	struct ucall uc;
	char what[128];
	int opt, fd, k;

	while ((opt = getopt(argc, argv, "n:r:c:")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			reps = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			claims = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n outs] [-r repetitions (1-%d)] "
				"[-c claims on other VMs (0: none)]\n",
				argv[0], MAX_REPS);
			return 2;
		}
	}
	if (!n || !reps || reps > MAX_REPS || claims > 1000000) {
		fprintf(stderr, "bench_vdev: bad -n, -r or -c\n");
		return 2;
	}

	vm = vm_create(0, 0);
	if (!vm)
		die("vm_create");
	if (vm_pio_handler_add(vm, USER_PORT, 1, user_io, NULL) ||
	    vm_pio_handler_add(vm, COM1, UART_LEN, user_io, NULL))
		die("vm_pio_handler_add");
	memset(&ioev, 0, sizeof(ioev));
	ioev.addr = IOEVENT_PORT;
	ioev.len = 1;
	ioev.flags = KVM_IOEVENTFD_FLAG_PIO;
	ioev.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ioev.fd < 0 || ioctl(vm->fd, KVM_IOEVENTFD, &ioev))
		die("KVM_IOEVENTFD");
	vcpu = vm_vcpu_add(vm, guest_bench);
	if (!vcpu || vcpu_args_set(vcpu, COM1 + UART_SCR, USER_PORT,
				   IOEVENT_PORT, n, claims ? 2 * reps : reps))
		die("vcpu");

	fd = uart_create(vm->fd, COM1);
	if (fd < 0)
		die("keel_vdev setup");

	printf("bench_vdev: %lu guest outb per case, %lu repetitions\n", n,
	       reps);
	run_to(vcpu, 0);
	run_phase(vcpu, &none, "no devices on other VMs", n, reps);
	if (claims) {
		others_create(&o, claims);
		snprintf(what, sizeof(what), "%lu devices on %d other VMs",
			 claims, o.nr_vms);
		run_phase(vcpu, &many, what, n, reps);
		printf("cost with %lu claims on other VMs / with none "
		       "(1.00x: independent of them):\n"
		       "  %-38s %10s %18s\n", claims, "case", "per out",
		       "in CPUID exits");
		for (k = 0; k < NR_KINDS; k++)
			printf("  %-38s %9.2fx %17.2fx\n", kind_name[k],
			       median(none.rate[k], reps) /
			       median(many.rate[k], reps),
			       median(many.rel[k], reps) /
			       median(none.rel[k], reps));
		fflush(stdout);
		others_free(&o);
	}
	if (guest_run(vcpu, &uc) != UCALL_DONE) {
		fprintf(stderr, "bench_vdev: no DONE: %s\n",
			ucall_str(vcpu, &uc));
		return 1;
	}
	close(fd);
	close(ioev.fd);
	vm_free(vm);
	return 0;
}
