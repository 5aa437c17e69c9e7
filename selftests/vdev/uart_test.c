// SPDX-License-Identifier: GPL-2.0
/*
 * keel_vdev with the 16550A UART: a guest's UART accesses are handled in
 * the host kernel (no exits reach the VMM for the claimed ports) while an
 * unclaimed port still exits; the host reads what the guest sent, intact
 * and in order; two VMs with a UART each at the same port do not see each
 * other; a stopped device lets accesses exit to the VMM again.
 */
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

#define OTHER_PORT	0x500
#define NBYTES		1000

/* The VMM's own handling of ports it was asked to handle. */
static bool user_io(struct keel_vcpu *vcpu, uint16_t port, bool write,
		    void *data, unsigned int size, void *opaque)
{
	(void)vcpu; (void)write; (void)opaque;
	if (!write) {
		memset(data, 0, size);
		if (port == COM1 + UART_LSR)
			*(uint8_t *)data = UART_LSR_THRE | 0x40;
	}
	return true;
}

/* Guest: @n pattern bytes to the UART, then one write to OTHER_PORT. */
static void guest_send(uint64_t port, uint64_t seed, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		guest_uart_putc(port, pattern_byte(seed, i));
	outb(OTHER_PORT, 1);
	GUEST_SYNC(n);
	/* Second phase (after the host may have stopped the device). */
	for (i = 0; i < n; i++)
		guest_uart_putc(port, pattern_byte(seed + 1, i));
	GUEST_DONE();
}

/* Read @n pattern bytes from the device; with @last, nothing follows. */
static void check_stream(struct __test_metadata *_metadata, int fd,
			 uint64_t seed, size_t n, bool last)
{
	uint8_t buf[NBYTES];
	size_t i;

	ASSERT_GE(sizeof(buf), n);
	ASSERT_EQ((ssize_t)n, vdev_read_all(fd, buf, n));
	for (i = 0; i < n; i++)
		ASSERT_EQ(pattern_byte(seed, i), buf[i])
			TH_LOG("byte %zu", i);
	if (!last)
		return;
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(-1, read(fd, buf, 1));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, 0));
}

TEST_F_TIMEOUT(t, guest_output_stays_in_kernel, 240)
{
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	struct ucall uc;
	int fd, probe;

	VDEV_OPEN_OR_SKIP(probe);
	close(probe);
	VM_CREATE_OR_SKIP(vm, 0, 0);
	ASSERT_EQ(0, vm_pio_handler_add(vm, OTHER_PORT, 1, user_io, NULL));
	ASSERT_EQ(0, vm_pio_handler_add(vm, COM1, UART_LEN, user_io, NULL));
	vcpu = vm_vcpu_add(vm, guest_send);
	ASSERT_NE(NULL, vcpu);
	ASSERT_EQ(0, vcpu_args_set(vcpu, COM1, 1, NBYTES));

	fd = vdev_uart_create(vm->fd, COM1);
	ASSERT_LE(0, fd) TH_LOG("setup: %s", strerror(-fd));

	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(NBYTES, uc.args[0]);
	/* Not one UART access reached userspace; the other port did. */
	EXPECT_NO_UART_EXITS(vcpu, COM1);
	EXPECT_EQ(1, vcpu_exit_count(vcpu, KEEL_EXIT_IO_OUT, OTHER_PORT));
	check_stream(_metadata, fd, 1, NBYTES, true);

	ASSERT_UCALL(vcpu, uc, UCALL_DONE);
	check_stream(_metadata, fd, 2, NBYTES, true);
	EXPECT_EQ(0, vcpu_exit_count_range(vcpu, KEEL_EXIT_IO_OUT, COM1,
					   UART_LEN));
	close(fd);
	vm_free(vm);
}

TEST_F_TIMEOUT(t, stop_lets_accesses_exit, 240)
{
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	struct ucall uc;
	uint8_t b;
	int fd, probe;

	VDEV_OPEN_OR_SKIP(probe);
	close(probe);
	VM_CREATE_OR_SKIP(vm, 0, 0);
	ASSERT_EQ(0, vm_pio_handler_add(vm, OTHER_PORT, 1, user_io, NULL));
	ASSERT_EQ(0, vm_pio_handler_add(vm, COM1, UART_LEN, user_io, NULL));
	vcpu = vm_vcpu_add(vm, guest_send);
	ASSERT_NE(NULL, vcpu);
	ASSERT_EQ(0, vcpu_args_set(vcpu, COM1, 5, 20));
	fd = vdev_uart_create(vm->fd, COM1);
	ASSERT_LE(0, fd);

	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	EXPECT_EQ(0, vcpu_exit_count_range(vcpu, KEEL_EXIT_IO_OUT, COM1,
					   UART_LEN));
	check_stream(_metadata, fd, 5, 20, true);

	/* Stopped (twice: idempotent): the VMM sees every access again. */
	ASSERT_EQ(0, vdev_ioctl(fd, KEEL_VDEV_IOC_STOP, NULL));
	ASSERT_EQ(0, vdev_ioctl(fd, KEEL_VDEV_IOC_STOP, NULL));
	ASSERT_UCALL(vcpu, uc, UCALL_DONE);
	EXPECT_EQ(20, vcpu_exit_count(vcpu, KEEL_EXIT_IO_OUT, COM1 + UART_TX));
	EXPECT_EQ(20, vcpu_exit_count(vcpu, KEEL_EXIT_IO_IN, COM1 + UART_LSR));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(fd, &b, 1));
	EXPECT_EQ(EAGAIN, errno);
	close(fd);
	vm_free(vm);
}

TEST_F_TIMEOUT(t, two_vms_same_port, 240)
{
	struct keel_vcpu *vcpu[2];
	struct keel_vm *vm[2];
	struct ucall uc;
	int fd[2], probe, i;

	VDEV_OPEN_OR_SKIP(probe);
	close(probe);
	for (i = 0; i < 2; i++) {
		VM_CREATE_OR_SKIP(vm[i], 0, 0);
		ASSERT_EQ(0, vm_pio_handler_add(vm[i], OTHER_PORT, 1, user_io,
						NULL));
		vcpu[i] = vm_vcpu_add(vm[i], guest_send);
		ASSERT_NE(NULL, vcpu[i]);
		ASSERT_EQ(0, vcpu_args_set(vcpu[i], COM1, 10 + 10 * i, 300));
		fd[i] = vdev_uart_create(vm[i]->fd, COM1);
		ASSERT_LE(0, fd[i]) TH_LOG("vm %d: %s", i, strerror(-fd[i]));
	}
	/* Interleave the two guests' phases. */
	ASSERT_UCALL(vcpu[0], uc, UCALL_SYNC);
	ASSERT_UCALL(vcpu[1], uc, UCALL_SYNC);
	ASSERT_UCALL(vcpu[1], uc, UCALL_DONE);
	ASSERT_UCALL(vcpu[0], uc, UCALL_DONE);
	for (i = 0; i < 2; i++) {
		check_stream(_metadata, fd[i], 10 + 10 * i, 300, false);
		check_stream(_metadata, fd[i], 11 + 10 * i, 300, true);
		EXPECT_EQ(0, vcpu_exit_count_range(vcpu[i], KEEL_EXIT_IO_OUT,
						   COM1, UART_LEN));
		close(fd[i]);
		vm_free(vm[i]);
	}
}

#define MMIO_UART	(KEEL_MMIO_BASE + 0x3000000)
#define MMIO_OTHER	(KEEL_MMIO_BASE + 0x3001000)

static bool user_mmio(struct keel_vcpu *vcpu, uint64_t gpa, bool write,
		      void *data, unsigned int size, void *opaque)
{
	(void)vcpu; (void)gpa; (void)opaque;
	if (!write)
		memset(data, 0, size);
	return true;
}

/* Guest: @n pattern bytes through a memory-mapped UART. */
static void guest_send_mmio(uint64_t seed, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		while (!(mmio_read8(MMIO_UART + UART_LSR) & UART_LSR_THRE))
			;
		mmio_write8(MMIO_UART + UART_TX, pattern_byte(seed, i));
	}
	mmio_write8(MMIO_OTHER, 1);
	GUEST_DONE();
}

TEST_F_TIMEOUT(t, mmio_uart, 240)
{
	struct keel_vdev_setup s;
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	struct ucall uc;
	int fd;

	VDEV_OPEN_OR_SKIP(fd);
	VM_CREATE_OR_SKIP(vm, 0, 0);
	ASSERT_EQ(0, vm_mmio_handler_add(vm, MMIO_OTHER, 1, user_mmio, NULL));
	vcpu = vm_vcpu_add(vm, guest_send_mmio);
	ASSERT_NE(NULL, vcpu);
	ASSERT_EQ(0, vcpu_args_set(vcpu, 3, 200));
	vdev_setup_init(&s, vm->fd, 0);
	s.bus = KEEL_VDEV_BUS_MMIO;
	s.base = MMIO_UART;
	ASSERT_EQ(0, vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s));
	ASSERT_EQ(0, vdev_ioctl(fd, KEEL_VDEV_IOC_START, NULL));

	ASSERT_UCALL(vcpu, uc, UCALL_DONE);
	EXPECT_EQ(0, vcpu_exit_count_range(vcpu, KEEL_EXIT_MMIO_WRITE,
					   MMIO_UART, UART_LEN));
	EXPECT_EQ(0, vcpu_exit_count_range(vcpu, KEEL_EXIT_MMIO_READ,
					   MMIO_UART, UART_LEN));
	EXPECT_EQ(1, vcpu_exit_count(vcpu, KEEL_EXIT_MMIO_WRITE, MMIO_OTHER));
	check_stream(_metadata, fd, 3, 200, true);
	close(fd);
	vm_free(vm);
}

TEST_HARNESS_MAIN
