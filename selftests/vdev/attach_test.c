// SPDX-License-Identifier: GPL-2.0
/*
 * Attaching a device to the VM of a VMM that knows nothing of Keel: an
 * operator process takes the VMM's VM fd with pidfd_getfd(2), sets a UART
 * up with Keel binding its interrupt to a GSI itself (KEEL_VDEV_SETUP_GSI:
 * the VMM registers no irqfd), attaches it (KEEL_IOC_ATTACH) and exits.
 * The device lives on: the guest takes its receive interrupts, the host
 * side is reached again with KEEL_IOC_OBJ_OPEN, and when the VMM is
 * killed the device goes away by itself (a descriptor still open sees it
 * hang up and holds it until closed). Refusals change nothing.
 */
#include <poll.h>
#include <signal.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "vdev_test.h"
#include "keel_test_attach.h"

#define GSI		20	/* IOAPIC only: below 16 the PIC would see it too */
#define VECTOR		0x45

static const char msg[] = "keel: attached, interrupt-driven";

static volatile uint64_t nirq, nrx;
static volatile uint8_t rxbuf[64];

static void uart_irq(struct guest_irq_frame *frame)
{
	(void)frame;
	nirq++;
	while (inb(COM1 + UART_LSR) & UART_LSR_DR)
		rxbuf[nrx++ & 63] = inb(COM1 + UART_RX);
}

/* The guest: interrupts on, then wait halted for @n received bytes. */
static void guest_rx(uint64_t n)
{
	guest_irq_handler_set(VECTOR, uart_irq);
	lapic_enable();
	ioapic_route(GSI, VECTOR, false, 0);
	GUEST_SYNC(0);		/* the device is attached now */
	outb(COM1 + UART_IER, UART_IER_RDI);
	outb(COM1 + UART_MCR, UART_MCR_OUT2);
	GUEST_SYNC(1);
	cli();
	while (nrx < n) {
		safe_halt();
		cli();
	}
	sti();
	GUEST_SYNC(nirq);
	GUEST_DONE();
}

static int pidfd_open(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_getfd(int pidfd, int fd)
{
	return syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

/* The VM fd of process @pid, taken as an operator's tool would: -errno. */
static int vm_fd_of(pid_t pid)
{
	struct dirent *de;
	char dir[64], path[64 + sizeof(de->d_name)], link[64];
	int pidfd, fd = -ENOENT;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return -errno;
	pidfd = pidfd_open(pid);
	if (pidfd < 0) {
		fd = -errno;
		goto out;
	}
	while ((de = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (strcmp(link, "anon_inode:kvm-vm"))
			continue;
		fd = pidfd_getfd(pidfd, atoi(de->d_name));
		if (fd < 0)
			fd = -errno;
		break;
	}
	close(pidfd);
out:
	closedir(d);
	return fd;
}

/*
 * What `keelctl vdev add --pid` does, in a child that then exits: a
 * started, attached UART at @port of @pid's VM with its interrupt on
 * @gsi. Returns the object id, or -errno.
 */
static long attach_uart(pid_t pid, uint16_t port, uint32_t gsi)
{
	struct keel_vdev_setup s;
	int vm_fd, fd, ev, ret;

	vm_fd = vm_fd_of(pid);
	if (vm_fd < 0)
		return vm_fd;
	fd = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	ev = eventfd(0, EFD_CLOEXEC);
	if (fd < 0 || ev < 0)
		return -errno;
	vdev_setup_init(&s, vm_fd, port);
	s.flags = KEEL_VDEV_SETUP_IRQFD | KEEL_VDEV_SETUP_GSI;
	s.irq_fd = ev;
	s.gsi = gsi;
	ret = vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s);
	if (!ret)
		ret = vdev_ioctl(fd, KEEL_VDEV_IOC_START, NULL);
	if (!ret)
		ret = vdev_ioctl(fd, KEEL_IOC_ATTACH, NULL);
	close(ev);
	close(fd);
	close(vm_fd);
	return ret ? ret : (long)s.id;
}

/* attach_uart() in a child process that exits: the operator's tool. */
static long attach_uart_child(pid_t pid, uint16_t port, uint32_t gsi)
{
	int p[2], status;
	long ret = -EIO;
	pid_t child;

	if (pipe(p))
		return -errno;
	child = fork();
	if (child < 0)
		return -errno;
	if (!child) {
		ret = attach_uart(pid, port, gsi);
		_exit(write(p[1], &ret, sizeof(ret)) == sizeof(ret) ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], &ret, sizeof(ret)) != sizeof(ret))
		ret = -EIO;
	close(p[0]);
	waitpid(child, &status, 0);
	return ret;
}

FIXTURE(attach) {
	int unused;
};

FIXTURE_SETUP(attach)
{
}

FIXTURE_TEARDOWN(attach)
{
}

TEST_F_TIMEOUT(attach, creator_gone_interrupts_work, 120)
{
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	struct pollfd pfd;
	struct ucall uc;
	size_t n = sizeof(msg) - 1;
	uint8_t *buf;
	long id;
	int fd, again;

	VDEV_OPEN_OR_SKIP(fd);
	close(fd);
	VM_CREATE_OR_SKIP(vm, 0, KEEL_VM_IRQCHIP);
	vcpu = vm_vcpu_add(vm, guest_rx);
	ASSERT_NE(NULL, vcpu);
	ASSERT_EQ(0, vcpu_args_set(vcpu, n));
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);

	/* This process is the VMM; a child that exits attaches. */
	id = attach_uart_child(getpid(), COM1, GSI);
	ASSERT_LT(0, id) TH_LOG("attach: %s", strerror((int)-id));
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);

	/* The host side, by id; a second descriptor works the same. */
	fd = keel_test_obj_open(id);
	ASSERT_LE(0, fd) TH_LOG("OBJ_OPEN: %s", strerror(-fd));
	again = keel_test_obj_open(id);
	ASSERT_LE(0, again);
	close(again);
	ASSERT_EQ((ssize_t)n, write(fd, msg, n));
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	EXPECT_LE(1, uc.args[0]);	/* received by interrupts */
	buf = (uint8_t *)vm_guest_ptr(vm, (uint8_t(*)[64])rxbuf);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(0, memcmp(buf, msg, n));
	ASSERT_UCALL(vcpu, uc, UCALL_DONE);
	EXPECT_NO_UART_EXITS(vcpu, COM1);

	/* Attached: the same file again is refused. */
	EXPECT_EQ(-EALREADY, vdev_ioctl(fd, KEEL_IOC_ATTACH, NULL));
	pfd.fd = fd;
	pfd.events = POLLOUT;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	close(fd);
	/* Closing our descriptor leaves it: the kernel holds it. */
	fd = keel_test_obj_open(id);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	vm_free(vm);
}

/* A VMM in a child: creates its VM, reports, then runs the guest. */
static void vmm_child(int report)
{
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	struct ucall uc;
	char c = 1;

	vm = vm_create(0, KEEL_VM_IRQCHIP);
	if (!vm)
		_exit(2);
	vcpu = vm_vcpu_add(vm, guest_rx);
	if (!vcpu || vcpu_args_set(vcpu, 1000))
		_exit(3);
	if (guest_run(vcpu, &uc) != UCALL_SYNC)
		_exit(4);
	if (write(report, &c, 1) != 1)
		_exit(5);
	pause();
	_exit(0);
}

TEST_F_TIMEOUT(attach, vmm_killed_device_goes_away, 120)
{
	int fd, p[2], refs0, revents, i;
	pid_t vmm;
	long id;
	char c;

	VDEV_OPEN_OR_SKIP(fd);
	close(fd);
	/* Devices the earlier tests' processes attached are reaped after them. */
	for (i = 0; i < 500 && keel_test_vdev_refcnt() > 0; i++)
		usleep(10000);
	refs0 = keel_test_vdev_refcnt();
	ASSERT_LE(0, refs0);
	ASSERT_EQ(0, pipe(p));
	vmm = fork();
	ASSERT_LE(0, vmm);
	if (!vmm) {
		close(p[0]);
		vmm_child(p[1]);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);

	id = attach_uart_child(vmm, COM1, GSI);
	ASSERT_LT(0, id) TH_LOG("attach: %s", strerror((int)-id));
	EXPECT_EQ(refs0 + 1, keel_test_vdev_refcnt());
	/* A console holding the device sees it hang up. */
	fd = keel_test_obj_open(id);
	ASSERT_LE(0, fd);

	ASSERT_EQ(0, kill(vmm, SIGKILL));
	ASSERT_EQ(vmm, waitpid(vmm, NULL, 0));
	revents = keel_test_wait_hup(fd, 5000);
	ASSERT_LE(0, revents) TH_LOG("poll: %s", strerror(-revents));
	EXPECT_TRUE(revents & POLLHUP) TH_LOG("revents 0x%x", revents);
	EXPECT_EQ(0, read(fd, &c, 1));
	EXPECT_EQ(-1, write(fd, "x", 1));
	EXPECT_EQ(EPIPE, errno);
	/* It holds the device: detached, but still there. */
	EXPECT_EQ(-ENOLINK, keel_test_obj_open(id));
	close(fd);
	/* Reaped by a work item after the VMM's exit: wait for it. */
	for (i = 0; i < 500 && (fd = keel_test_obj_open(id)) != -ENOENT; i++) {
		if (fd >= 0)
			close(fd);
		usleep(10000);
	}
	EXPECT_EQ(-ENOENT, fd);
	for (i = 0; i < 500 && keel_test_vdev_refcnt() != refs0; i++)
		usleep(10000);
	EXPECT_EQ(refs0, keel_test_vdev_refcnt());
}

TEST_F_TIMEOUT(attach, refusals_change_nothing, 120)
{
	struct keel_vdev_setup s;
	struct keel_irqfd *own;
	struct keel_vm *vm;
	int fd, ev;
	long id;

	VDEV_OPEN_OR_SKIP(fd);
	VM_CREATE_OR_SKIP(vm, 0, KEEL_VM_IRQCHIP);

	/* Not set up yet: nothing to attach. */
	EXPECT_EQ(-EBADFD, vdev_ioctl(fd, KEEL_IOC_ATTACH, NULL));
	ev = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, ev);
	/* GSI without IRQFD, the old struct with GSI, padding set. */
	vdev_setup_init(&s, vm->fd, COM1);
	s.flags = KEEL_VDEV_SETUP_GSI;
	s.gsi = GSI;
	EXPECT_EQ(-EINVAL, vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s));
	s.flags |= KEEL_VDEV_SETUP_IRQFD;
	s.irq_fd = ev;
	s.size = 80;
	EXPECT_EQ(-EINVAL, vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s));
	s.size = sizeof(s);
	s.pad2 = 1;
	EXPECT_EQ(-EINVAL, vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s));
	s.pad2 = 0;
	/* A GSI the VMM's own device drives. */
	own = vm_irqfd_add(vm, GSI, false);
	ASSERT_NE(NULL, own);
	EXPECT_EQ(-EBUSY, vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s));
	/* The VMM's own eventfd is already an irqfd of the VM. */
	s.irq_fd = own->fd;
	s.gsi = GSI + 1;
	EXPECT_EQ(-EBUSY, vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s));
	/* A GSI beyond what KVM routes. */
	s.irq_fd = ev;
	s.gsi = 100000;
	EXPECT_EQ(-EINVAL, vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s));
	/* Nothing was left set up: the same file sets up fine now. */
	s.gsi = GSI + 1;
	EXPECT_EQ(0, vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s));
	/* Its range is taken: an attach on it is refused. */
	id = attach_uart_child(getpid(), COM1, GSI + 2);
	EXPECT_EQ(-EADDRINUSE, id);
	/* Not attached: no descriptor by id; no such object at all. */
	EXPECT_EQ(-ENOLINK, keel_test_obj_open(s.id));
	EXPECT_EQ(-ENOENT, keel_test_obj_open(0x7fffffff));
	/* Not a VM fd. */
	close(fd);
	VDEV_OPEN_OR_SKIP(fd);
	vdev_setup_init(&s, ev, COM1 - 8);
	s.flags = KEEL_VDEV_SETUP_IRQFD | KEEL_VDEV_SETUP_GSI;
	s.irq_fd = ev;
	s.gsi = GSI + 3;
	EXPECT_EQ(-EINVAL, vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s));
	close(fd);
	close(ev);
	vm_free(vm);
}

TEST_HARNESS_MAIN
