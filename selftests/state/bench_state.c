// SPDX-License-Identifier: GPL-2.0
/*
 * make bench SUITE=state: how long checkpointing a Keel UART takes. Two
 * cases on a running device that has bytes in a host stream: STOP + SAVE
 * (read out through the snapshot fd) + LOAD (from a memfd) + RESUME, and
 * STOP + SWAP + RESUME. The baseline, measured in the same run, is what a
 * VMM pays to checkpoint and restore one vCPU's registers with KVM's own
 * ioctls (GET/SET of REGS, SREGS, FPU, LAPIC and vCPU events). Prints
 * the median and p99 of each and the ratios.
 *
 *   bench_state [-n ITERATIONS]
 */
#include "state_test.h"

#include <time.h>
#include <linux/kvm.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct figures {
	double median_us, p99_us;
};

static struct figures summarize(uint64_t *t, size_t n)
{
	struct figures f;

	qsort(t, n, sizeof(*t), cmp_u64);
	f.median_us = t[n / 2] / 1000.0;
	f.p99_us = t[(n * 99) / 100] / 1000.0;
	return f;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_state: %s: %s\n", what, strerror(err));
	exit(1);
}

static int cycle(int fd)
{
	struct blob b;
	int ret;

	ret = state_simple(fd, KEEL_STATE_IOC_STOP);
	if (!ret)
		ret = state_save(fd, &b);
	if (!ret) {
		ret = state_load(fd, b.buf, b.len);
		blob_free(&b);
	}
	return ret ? ret : state_simple(fd, KEEL_STATE_IOC_RESUME);
}

static int swap_cycle(int fd, const struct blob *in)
{
	struct blob out;
	int ret;

	ret = state_simple(fd, KEEL_STATE_IOC_STOP);
	if (!ret) {
		ret = state_swap(fd, in, &out);
		blob_free(&out);
	}
	return ret ? ret : state_simple(fd, KEEL_STATE_IOC_RESUME);
}

/* KVM's own checkpoint of one vCPU: read everything, write it back. */
static int vcpu_cycle(int vcpu_fd)
{
	static struct kvm_regs regs;
	static struct kvm_sregs sregs;
	static struct kvm_fpu fpu;
	static struct kvm_lapic_state lapic;
	static struct kvm_vcpu_events ev;

	if (ioctl(vcpu_fd, KVM_GET_REGS, &regs) ||
	    ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) ||
	    ioctl(vcpu_fd, KVM_GET_FPU, &fpu) ||
	    ioctl(vcpu_fd, KVM_GET_LAPIC, &lapic) ||
	    ioctl(vcpu_fd, KVM_GET_VCPU_EVENTS, &ev) ||
	    ioctl(vcpu_fd, KVM_SET_REGS, &regs) ||
	    ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) ||
	    ioctl(vcpu_fd, KVM_SET_FPU, &fpu) ||
	    ioctl(vcpu_fd, KVM_SET_LAPIC, &lapic) ||
	    ioctl(vcpu_fd, KVM_SET_VCPU_EVENTS, &ev))
		return -errno;
	return 0;
}

static void guest_idle(void)
{
	GUEST_DONE();
}

int main(int argc, char **argv)
{
	struct figures keel, swp, kvm;
	unsigned long n = 2000;
	struct keel_vcpu *vcpu;
	struct blob base;
	uint8_t rx[100];
	struct keel_vm *vm;
	uint64_t *t, t0;
	unsigned long i;
	int c, fd, ret;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c != 'n')
			return 2;
		n = strtoul(optarg, NULL, 0);
	}
	if (n < 100) {
		fprintf(stderr, "bench_state: -n must be at least 100\n");
		return 2;
	}
	t = calloc(n, sizeof(*t));
	vm = vm_create(0, KEEL_VM_IRQCHIP);
	if (!t || !vm)
		die("setup", errno);
	vcpu = vm_vcpu_add(vm, guest_idle);
	if (!vcpu)
		die("vcpu", errno);
	fd = state_uart_setup(vm->fd, -1);
	if (fd < 0)
		die("uart", -fd);
	memset(rx, 'r', sizeof(rx));
	if (write(fd, rx, sizeof(rx)) != sizeof(rx))
		die("write", errno);
	ret = state_save(fd, &base);
	if (!ret)
		ret = state_simple(fd, KEEL_STATE_IOC_RESUME);
	if (ret)
		die("save", -ret);

	printf("bench_state: %lu iterations per case, blob %zu bytes\n", n,
	       base.len);
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		ret = cycle(fd);
		t[i] = now_ns() - t0;
		if (ret)
			die("stop+save+load+resume", -ret);
	}
	keel = summarize(t, n);
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		ret = swap_cycle(fd, &base);
		t[i] = now_ns() - t0;
		if (ret)
			die("stop+swap+resume", -ret);
	}
	swp = summarize(t, n);
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		ret = vcpu_cycle(vcpu->fd);
		t[i] = now_ns() - t0;
		if (ret)
			die("vCPU get+set", -ret);
	}
	kvm = summarize(t, n);

	printf("UART stop+save+load+resume: median %.1f us, p99 %.1f us\n",
	       keel.median_us, keel.p99_us);
	printf("UART stop+swap+resume:      median %.1f us, p99 %.1f us\n",
	       swp.median_us, swp.p99_us);
	printf("baseline, one vCPU's registers get+set (KVM ioctls): median %.1f us, p99 %.1f us\n",
	       kvm.median_us, kvm.p99_us);
	printf("ratio UART cycle / vCPU checkpoint: %.2fx (median)\n",
	       keel.median_us / kvm.median_us);
	printf("ratio UART swap cycle / vCPU checkpoint: %.2fx (median)\n",
	       swp.median_us / kvm.median_us);
	blob_free(&base);
	close(fd);
	vm_free(vm);
	free(t);
	return 0;
}
