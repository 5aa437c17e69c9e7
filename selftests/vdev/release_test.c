// SPDX-License-Identifier: GPL-2.0
/*
 * Tearing a device down under a running guest: while a vCPU thread
 * hammers the UART's ports, the host closes the device (or stops it). The
 * guest keeps running, its later accesses reach the VMM, and nothing in
 * the kernel breaks (the VM harness fails the run on any WARN, KASAN or
 * lockdep report).
 */
#include <pthread.h>
#include <time.h>

#include "vdev_test.h"

/* Tests without state of their own, with a longer timeout. */
FIXTURE(t) {
	int unused;
};

FIXTURE_SETUP(t)
{
}

FIXTURE_TEARDOWN(t)
{
}

static volatile uint64_t stop_flag;
static volatile uint64_t loops;

static bool user_io(struct keel_vcpu *vcpu, uint16_t port, bool write,
		    void *data, unsigned int size, void *opaque)
{
	(void)vcpu; (void)port; (void)opaque;
	if (!write)
		memset(data, 0xff, size);
	return true;
}

/* Guest: THR writes and LSR reads until the host raises stop_flag. */
static void guest_hammer(uint64_t port)
{
	uint64_t n = 0;

	while (!stop_flag) {
		outb(port + UART_TX, (uint8_t)n);
		(void)inb(port + UART_LSR);
		loops = ++n;
	}
	GUEST_DONE();
}

struct runner {
	struct keel_vcpu *vcpu;
	uint64_t cmd;
	struct ucall uc;
};

static void *run_vcpu(void *arg)
{
	struct runner *r = arg;

	r->cmd = guest_run(r->vcpu, &r->uc);
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait until the guest made progress beyond @from; false on timeout. */
static bool wait_loops(volatile uint64_t *loops_p, uint64_t from)
{
	int i;

	for (i = 0; i < 3000 && *loops_p <= from + 100; i++)
		sleep_ms(10);
	return *loops_p > from + 100;
}

static void hammer(struct __test_metadata *_metadata, bool stop_only,
		   int rounds)
{
	volatile uint64_t *gstop, *gloops;
	struct keel_vm *vm;
	struct runner r;
	pthread_t thr;
	uint64_t seen;
	int fd, i;

	VM_CREATE_OR_SKIP(vm, 0, 0);
	ASSERT_EQ(0, vm_pio_handler_add(vm, COM1, UART_LEN, user_io, NULL));
	r.vcpu = vm_vcpu_add(vm, guest_hammer);
	ASSERT_NE(NULL, r.vcpu);
	ASSERT_EQ(0, vcpu_args_set(r.vcpu, COM1));
	gstop = vm_guest_ptr(vm, (uint64_t *)&stop_flag);
	gloops = vm_guest_ptr(vm, (uint64_t *)&loops);
	ASSERT_NE(NULL, gstop);
	ASSERT_NE(NULL, gloops);

	fd = vdev_uart_create(vm->fd, COM1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pthread_create(&thr, NULL, run_vcpu, &r));

	for (i = 0; i < rounds; i++) {
		/* In the kernel, then torn down under the running vCPU. */
		seen = *gloops;
		ASSERT_TRUE(wait_loops(gloops, seen));
		if (stop_only) {
			ASSERT_EQ(0, vdev_ioctl(fd, KEEL_VDEV_IOC_STOP, NULL));
			seen = *gloops;
			ASSERT_TRUE(wait_loops(gloops, seen));
			ASSERT_EQ(0, vdev_ioctl(fd, KEEL_VDEV_IOC_START,
						NULL));
		} else {
			ASSERT_EQ(0, close(fd));
			seen = *gloops;
			ASSERT_TRUE(wait_loops(gloops, seen));
			fd = vdev_uart_create(vm->fd, COM1);
			ASSERT_LE(0, fd);
		}
	}
	seen = *gloops;
	ASSERT_TRUE(wait_loops(gloops, seen));
	ASSERT_EQ(0, close(fd));
	seen = *gloops;
	ASSERT_TRUE(wait_loops(gloops, seen));

	*gstop = 1;
	ASSERT_EQ(0, pthread_join(thr, NULL));
	EXPECT_EQ(UCALL_DONE, r.cmd) TH_LOG("%s", ucall_str(r.vcpu, &r.uc));
	/* The VMM saw accesses while no device was there. */
	EXPECT_LT(0, vcpu_exit_count(r.vcpu, KEEL_EXIT_IO_OUT, COM1));
	vm_free(vm);
}

TEST_F_TIMEOUT(t, close_under_running_vcpu, 280)
{
	int probe;

	VDEV_OPEN_OR_SKIP(probe);
	close(probe);
	hammer(_metadata, false, 5);
}

TEST_F_TIMEOUT(t, stop_start_under_running_vcpu, 280)
{
	int probe;

	VDEV_OPEN_OR_SKIP(probe);
	close(probe);
	hammer(_metadata, true, 5);
}

TEST_HARNESS_MAIN
