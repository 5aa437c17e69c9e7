// SPDX-License-Identifier: GPL-2.0
/*
 * Claims per VM: a VM holds at most max_devices_per_vm devices (module
 * parameter, default 64); one more is refused with ENOSPC and changes
 * nothing (the refused file sets up on another VM, and on the full VM once
 * a device there is released). Claims on one VM never count against
 * another's. A full VM's guest reaches every one of its devices in the
 * kernel while the ports between them still exit to the VMM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "vdev_test.h"

#define LIMIT_PARAM	"/sys/module/keel_vdev/parameters/max_devices_per_vm"
#define LIMIT_DEFAULT	64
#define FIRST_PORT	0x1000
#define MAX_LIMIT	((0x10000 - FIRST_PORT) / UART_LEN - 1)

/* The parameter's value; -errno when it cannot be read. */
static long limit_read(void)
{
	char buf[32];
	long v = -ENOENT;
	FILE *f;

	f = fopen(LIMIT_PARAM, "r");
	if (!f)
		return -errno;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v;
}

static int limit_write(long v)
{
	FILE *f;
	int ret;

	f = fopen(LIMIT_PARAM, "w");
	if (!f)
		return -errno;
	ret = fprintf(f, "%ld\n", v) < 0 ? -EIO : 0;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

/* The UART of device @i of a VM. */
static uint16_t port_of(long i)
{
	return FIRST_PORT + i * UART_LEN;
}

/* An open /dev/keel-vdev file, set up (not started) as a UART at @port. */
static int uart_setup(int vm_fd, uint16_t port, bool start)
{
	struct keel_vdev_setup s;
	int fd, ret;

	fd = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	vdev_setup_init(&s, vm_fd, port);
	ret = vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s);
	if (!ret && start)
		ret = vdev_ioctl(fd, KEEL_VDEV_IOC_START, NULL);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

FIXTURE(claims) {
	struct keel_vm *vm, *vm2;
	long limit, saved_limit;
	int *fds;
	long nr_fds;
};

FIXTURE_SETUP(claims)
{
	struct rlimit rl;
	int probe;

	self->vm = NULL;
	self->vm2 = NULL;
	self->fds = NULL;
	self->nr_fds = 0;
	self->saved_limit = -1;
	VDEV_OPEN_OR_SKIP(probe);
	close(probe);
	self->limit = limit_read();
	if (self->limit < 0) {
		TH_LOG("%s: %s; expecting the default %d", LIMIT_PARAM,
		       strerror(-self->limit), LIMIT_DEFAULT);
		self->limit = LIMIT_DEFAULT;
	}
	if (self->limit < 1 || self->limit > MAX_LIMIT)
		SKIP(return, "limit %ld: not 1..%d", self->limit, MAX_LIMIT);
	/* One fd per device, and some to spare. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) &&
	    rl.rlim_cur < (rlim_t)self->limit + 64) {
		rl.rlim_cur = self->limit + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	self->fds = calloc(self->limit + 1, sizeof(*self->fds));
	ASSERT_NE(NULL, self->fds);
	VM_CREATE_OR_SKIP(self->vm, 0, 0);
	VM_CREATE_OR_SKIP(self->vm2, 0, 0);
}

FIXTURE_TEARDOWN(claims)
{
	long i;

	for (i = 0; i < self->nr_fds; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	free(self->fds);
	if (self->saved_limit >= 0)
		limit_write(self->saved_limit);
	if (self->vm2)
		vm_free(self->vm2);
	if (self->vm)
		vm_free(self->vm);
}

/* Fill self->vm with self->limit devices; @start: start them too. */
#define FILL_VM(start)							\
	do {								\
		for (; self->nr_fds < self->limit; self->nr_fds++) {	\
			self->fds[self->nr_fds] =			\
				uart_setup(self->vm->fd,		\
					   port_of(self->nr_fds),	\
					   start);			\
			ASSERT_LE(0, self->fds[self->nr_fds])		\
				TH_LOG("device %ld: %s", self->nr_fds,	\
				       strerror(-self->fds[self->nr_fds]));\
		}							\
	} while (0)

TEST_F(claims, limit_per_vm)
{
	struct keel_vdev_setup s;
	int fd, fd2;

	FILL_VM(false);

	/* One more on the full VM, port or MMIO: refused. */
	fd = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	vdev_setup_init(&s, self->vm->fd, port_of(self->limit));
	EXPECT_EQ(-ENOSPC, vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s))
		TH_LOG("device %ld of a VM with a limit of %ld",
		       self->limit + 1, self->limit);
	s.bus = KEEL_VDEV_BUS_MMIO;
	s.base = 0xd0000000;
	EXPECT_EQ(-ENOSPC, vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s));

	/* Nothing was half-applied: the same file sets up on another VM. */
	vdev_setup_init(&s, self->vm2->fd, port_of(self->limit));
	EXPECT_EQ(0, vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s));
	EXPECT_EQ(0, vdev_ioctl(fd, KEEL_VDEV_IOC_START, NULL));

	/* A released device makes room on the full VM, for its range too. */
	close(self->fds[0]);
	self->fds[0] = -1;
	fd2 = uart_setup(self->vm->fd, port_of(self->limit), true);
	EXPECT_LE(0, fd2) TH_LOG("after a release: %s", strerror(-fd2));
	EXPECT_EQ(-ENOSPC, uart_setup(self->vm->fd, port_of(0), false));
	if (fd2 >= 0)
		close(fd2);
	self->fds[0] = uart_setup(self->vm->fd, port_of(0), false);
	EXPECT_LE(0, self->fds[0]);
	close(fd);
}

/* Another VM's claims never count: a full VM leaves the next one free. */
TEST_F(claims, limit_counts_one_vm)
{
	long i;
	int fd;

	FILL_VM(true);
	for (i = 0; i < self->limit; i++) {
		fd = uart_setup(self->vm2->fd, port_of(i), true);
		ASSERT_LE(0, fd) TH_LOG("device %ld of the second VM: %s", i,
					strerror(-fd));
		close(fd);
	}
	EXPECT_EQ(-ENOSPC, uart_setup(self->vm->fd, port_of(self->limit),
				      false));
}

/*
 * The limit is read when a device is set up: lowering it refuses new
 * devices and leaves the existing ones alone.
 */
TEST_F(claims, limit_is_a_parameter)
{
	long old = limit_read();
	int fd[3], i;

	ASSERT_LE(0, old) TH_LOG("%s: %s", LIMIT_PARAM, strerror(-old));
	self->saved_limit = old;
	ASSERT_EQ(0, limit_write(2));
	EXPECT_EQ(2, limit_read());
	for (i = 0; i < 2; i++) {
		fd[i] = uart_setup(self->vm->fd, port_of(i), true);
		EXPECT_LE(0, fd[i]);
	}
	EXPECT_EQ(-ENOSPC, uart_setup(self->vm->fd, port_of(2), false));
	ASSERT_EQ(0, limit_write(1));
	/* Over the new limit: still there, still stops and starts. */
	EXPECT_EQ(0, vdev_ioctl(fd[1], KEEL_VDEV_IOC_STOP, NULL));
	EXPECT_EQ(0, vdev_ioctl(fd[1], KEEL_VDEV_IOC_START, NULL));
	close(fd[0]);
	EXPECT_EQ(-ENOSPC, uart_setup(self->vm->fd, port_of(0), false));
	ASSERT_EQ(0, limit_write(3));
	fd[0] = uart_setup(self->vm->fd, port_of(0), false);
	EXPECT_LE(0, fd[0]);
	fd[2] = uart_setup(self->vm->fd, port_of(2), false);
	EXPECT_LE(0, fd[2]);
	for (i = 0; i < 3; i++)
		if (fd[i] >= 0)
			close(fd[i]);
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
 * Guest: through the scratch register of each of @n UARTs from @first,
 * write a value and read it back; then one write to the port after the
 * last UART. Reports the first UART that read back wrong, or @n.
 */
static void guest_scratch(uint64_t first, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		outb(first + i * UART_LEN + UART_SCR, (uint8_t)(i * 37 + 1));
	for (i = 0; i < n; i++)
		if (inb(first + i * UART_LEN + UART_SCR) !=
		    (uint8_t)(i * 37 + 1))
			break;
	outb(first + n * UART_LEN, 1);
	GUEST_SYNC(i);
	GUEST_DONE();
}

/*
 * A full VM, with devices on other VMs at the same ports: the guest
 * reaches each of its own devices in the kernel, the port after them
 * exits to the VMM.
 */
TEST_F_TIMEOUT(claims, full_vm_reaches_every_device, 240)
{
	struct keel_vcpu *vcpu;
	struct ucall uc;
	int other[4];
	long i;

	for (i = 0; i < 4; i++) {
		other[i] = uart_setup(self->vm2->fd, port_of(i * 3), true);
		ASSERT_LE(0, other[i]);
	}
	FILL_VM(true);
	ASSERT_EQ(0, vm_pio_handler_add(self->vm, port_of(0),
					(self->limit + 1) * UART_LEN,
					user_io, NULL));
	vcpu = vm_vcpu_add(self->vm, guest_scratch);
	ASSERT_NE(NULL, vcpu);
	ASSERT_EQ(0, vcpu_args_set(vcpu, port_of(0), self->limit));
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	EXPECT_EQ((uint64_t)self->limit, uc.args[0]);
	EXPECT_EQ(0, vcpu_exit_count_range(vcpu, KEEL_EXIT_IO_OUT, port_of(0),
					   self->limit * UART_LEN));
	EXPECT_EQ(0, vcpu_exit_count_range(vcpu, KEEL_EXIT_IO_IN, port_of(0),
					   self->limit * UART_LEN));
	EXPECT_EQ(1, vcpu_exit_count(vcpu, KEEL_EXIT_IO_OUT,
				     port_of(self->limit)));
	ASSERT_UCALL(vcpu, uc, UCALL_DONE);
	for (i = 0; i < 4; i++)
		close(other[i]);
}

TEST_HARNESS_MAIN
