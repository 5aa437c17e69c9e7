// SPDX-License-Identifier: GPL-2.0
/*
 * bench_vdev: guest port writes per second to a port handled in the host
 * kernel by keel_vdev (the 16550A UART's scratch register, offset 7, which
 * has no side effects) against the same writes to a port handled by this
 * VMM in userspace. One guest does both, N outs each, REPS times; the
 * median rate of each and their ratio are printed, with the exits that
 * reached userspace. Not a test (no TAP): run it with
 *   make bench SUITE=vdev      or
 *   selftests/vm/vmtest.sh MODE=bench BENCH=vdev/bench_vdev \
 *           [BENCH_ARGS="-n N -r R"]
 * Under the nested TCG VM of the harness absolute rates mean little; the
 * ratio does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/keel_vdev.h>
#include <linux/serial_reg.h>

#include "keel_guest.h"

#define COM1		0x3f8
#define UART_LEN	8
#define USER_PORT	0x500
#define MAX_REPS	15

static bool user_io(struct keel_vcpu *vcpu, uint16_t port, bool write,
		    void *data, unsigned int size, void *opaque)
{
	(void)vcpu; (void)port; (void)opaque;
	if (!write)
		memset(data, 0, size);
	return true;
}

/*
 * Guest: a sync, then per repetition @n outs to @kport, a sync, @n outs
 * to @uport, a sync. The host times from one sync to the next.
 */
static void guest_bench(uint64_t kport, uint64_t uport, uint64_t n,
			uint64_t reps)
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

static double median(double *v, int n)
{
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

int main(int argc, char **argv)
{
	double krate[MAX_REPS], urate[MAX_REPS], t0, kmed, umed;
	uint64_t kexits[MAX_REPS], uexits[MAX_REPS], before;
	unsigned long n = 200000, reps = 3, r;
	struct keel_vdev_setup s;
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	struct ucall uc;
	int opt, fd;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			reps = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n outs] [-r repetitions (1-%d)]\n",
				argv[0], MAX_REPS);
			return 2;
		}
	}
	if (!n || !reps || reps > MAX_REPS) {
		fprintf(stderr, "bench_vdev: bad -n or -r\n");
		return 2;
	}

	vm = vm_create(0, 0);
	if (!vm)
		die("vm_create");
	if (vm_pio_handler_add(vm, USER_PORT, 1, user_io, NULL) ||
	    vm_pio_handler_add(vm, COM1, UART_LEN, user_io, NULL))
		die("vm_pio_handler_add");
	vcpu = vm_vcpu_add(vm, guest_bench);
	if (!vcpu || vcpu_args_set(vcpu, COM1 + UART_SCR, USER_PORT, n, reps))
		die("vcpu");

	fd = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die(KEEL_VDEV_DEVICE);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.vm_fd = vm->fd;
	s.model = KEEL_VDEV_MODEL_UART16550A;
	s.bus = KEEL_VDEV_BUS_PIO;
	s.base = COM1;
	s.len = UART_LEN;
	s.irq_fd = -1;
	s.resample_fd = -1;
	if (ioctl(fd, KEEL_VDEV_IOC_SETUP, &s) ||
	    ioctl(fd, KEEL_VDEV_IOC_START, NULL))
		die("keel_vdev setup");

	printf("bench_vdev: %lu guest outb per case, %lu repetitions\n", n,
	       reps);
	run_to(vcpu, 0);
	for (r = 0; r < reps; r++) {
		before = vcpu_exit_count(vcpu, KEEL_EXIT_IO_OUT,
					 COM1 + UART_SCR);
		t0 = now();
		run_to(vcpu, 1);
		krate[r] = n / (now() - t0);
		kexits[r] = vcpu_exit_count(vcpu, KEEL_EXIT_IO_OUT,
					    COM1 + UART_SCR) - before;
		before = vcpu_exit_count(vcpu, KEEL_EXIT_IO_OUT, USER_PORT);
		t0 = now();
		run_to(vcpu, 2);
		urate[r] = n / (now() - t0);
		uexits[r] = vcpu_exit_count(vcpu, KEEL_EXIT_IO_OUT,
					    USER_PORT) - before;
		printf("  run %lu: in-kernel %.0f outs/s "
		       "(%llu exits to userspace), userspace %.0f outs/s "
		       "(%llu exits to userspace)\n",
		       r + 1, krate[r], (unsigned long long)kexits[r],
		       urate[r], (unsigned long long)uexits[r]);
		fflush(stdout);
	}
	if (guest_run(vcpu, &uc) != UCALL_DONE) {
		fprintf(stderr, "bench_vdev: no DONE: %s\n",
			ucall_str(vcpu, &uc));
		return 1;
	}
	kmed = median(krate, reps);
	umed = median(urate, reps);
	printf("in-kernel UART (port 0x%x, keel_vdev): %.0f outs/s median, "
	       "%llu exits to userspace per run\n", COM1 + UART_SCR, kmed,
	       (unsigned long long)kexits[0]);
	printf("userspace VMM   (port 0x%x):           %.0f outs/s median, "
	       "%llu exits to userspace per run\n", USER_PORT, umed,
	       (unsigned long long)uexits[0]);
	printf("ratio in-kernel / userspace: %.2fx\n", kmed / umed);
	close(fd);
	vm_free(vm);
	return 0;
}
