// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/keel-vdev ioctls: every malformed setup is rejected with a clear
 * errno and changes nothing (the same file then sets up fine); overlapping
 * claims on one VM are refused, the same range on another VM is not.
 */
#include <sys/eventfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "vdev_test.h"

FIXTURE(vdev) {
	struct keel_vm *vm;
	int fd;
	struct keel_vdev_setup s;
};

FIXTURE_SETUP(vdev)
{
	self->vm = NULL;
	VDEV_OPEN_OR_SKIP(self->fd);
	VM_CREATE_OR_SKIP(self->vm, 0, 0);
	vdev_setup_init(&self->s, self->vm->fd, COM1);
}

FIXTURE_TEARDOWN(vdev)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->vm)
		vm_free(self->vm);
}

/* Set up with @s; it must fail with @err. */
#define SETUP_FAILS(s, err)						\
	EXPECT_EQ(-(err), vdev_ioctl(self->fd, KEEL_VDEV_IOC_SETUP, &(s)))

TEST_F(vdev, malformed_setups_change_nothing)
{
	struct keel_vdev_setup s;
	int efd, big[64];

	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);

	/* Not set up yet: the other ioctls and the streams refuse. */
	EXPECT_EQ(-EBADFD, vdev_ioctl(self->fd, KEEL_VDEV_IOC_START, NULL));
	EXPECT_EQ(-EBADFD, vdev_ioctl(self->fd, KEEL_VDEV_IOC_RESET, NULL));
	EXPECT_EQ(-1, read(self->fd, big, 1));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-ENOTTY, vdev_ioctl(self->fd, _IO(KEEL_IOC_MAGIC, 0x1f),
				      NULL));
	EXPECT_EQ(-ENOTTY, vdev_ioctl(self->fd, _IO('x', 0x10), NULL));

	s = self->s; s.vm_fd = -1;		SETUP_FAILS(s, EBADF);
	s = self->s; s.vm_fd = 1000;		SETUP_FAILS(s, EBADF);
	s = self->s; s.vm_fd = efd;		SETUP_FAILS(s, EINVAL);
	s = self->s; s.vm_fd = self->vm->kvm_fd; SETUP_FAILS(s, EINVAL);
	s = self->s; s.flags = 0x80;		SETUP_FAILS(s, EINVAL);
	s = self->s; s.flags = KEEL_VDEV_SETUP_RESAMPLE;
	s.resample_fd = efd;			SETUP_FAILS(s, EINVAL);
	s = self->s; s.size = 4;		SETUP_FAILS(s, EINVAL);
	s = self->s; s.size = sizeof(s) + 8;	SETUP_FAILS(s, EINVAL);
	s = self->s; s.pad = 1;			SETUP_FAILS(s, EINVAL);
	s = self->s; s.model = 0;		SETUP_FAILS(s, EINVAL);
	s = self->s; s.model = 77;		SETUP_FAILS(s, EINVAL);
	s = self->s; s.len = 4;			SETUP_FAILS(s, EINVAL);
	s = self->s; s.len = 0;			SETUP_FAILS(s, EINVAL);
	s = self->s; s.bus = 2;			SETUP_FAILS(s, EINVAL);
	s = self->s; s.base = 0xfffc;		SETUP_FAILS(s, EINVAL);
	s = self->s; s.base = 0x10000;		SETUP_FAILS(s, EINVAL);
	s = self->s; s.bus = KEEL_VDEV_BUS_MMIO;
	s.base = ~0ull - 3;			SETUP_FAILS(s, EINVAL);
	s = self->s; memset(s.label, 'a', sizeof(s.label));
						SETUP_FAILS(s, EINVAL);
	s = self->s; strcpy(s.label, "bad\n");	SETUP_FAILS(s, EINVAL);
	s = self->s; s.flags = KEEL_VDEV_SETUP_IRQFD;
	s.irq_fd = -1;				SETUP_FAILS(s, EBADF);
	s = self->s; s.flags = KEEL_VDEV_SETUP_IRQFD;
	s.irq_fd = 1000;			SETUP_FAILS(s, EBADF);
	s = self->s; s.flags = KEEL_VDEV_SETUP_IRQFD;
	s.irq_fd = self->vm->fd;		SETUP_FAILS(s, EINVAL);
	s = self->s; s.flags = KEEL_VDEV_SETUP_IRQFD |
			       KEEL_VDEV_SETUP_RESAMPLE;
	s.irq_fd = efd; s.resample_fd = self->vm->fd;
						SETUP_FAILS(s, EINVAL);

	/* A newer, larger struct: zeros are fine, anything else is E2BIG. */
	memset(big, 0, sizeof(big));
	memcpy(big, &self->s, sizeof(self->s));
	((struct keel_vdev_setup *)big)->size = sizeof(self->s) + 8;
	big[sizeof(self->s) / sizeof(int)] = 1;
	EXPECT_EQ(-E2BIG, vdev_ioctl(self->fd,
				     _IOWR(KEEL_IOC_MAGIC, 0x10,
					   char[sizeof(self->s) + 8]), big));

	/* Nothing was half-applied: the file sets up and starts normally. */
	s = self->s;
	s.flags = KEEL_VDEV_SETUP_IRQFD;
	s.irq_fd = efd;
	strcpy(s.label, "com1");
	ASSERT_EQ(0, vdev_ioctl(self->fd, KEEL_VDEV_IOC_SETUP, &s));
	EXPECT_LT(0, s.id);
	EXPECT_EQ(0, vdev_ioctl(self->fd, KEEL_VDEV_IOC_START, NULL));
	EXPECT_EQ(0, vdev_ioctl(self->fd, KEEL_VDEV_IOC_START, NULL));
	EXPECT_EQ(0, vdev_ioctl(self->fd, KEEL_VDEV_IOC_RESET, NULL));
	/* Once per file. */
	s = self->s;
	SETUP_FAILS(s, EBUSY);
	close(efd);
}

TEST_F(vdev, overlapping_claims)
{
	struct keel_vdev_setup s;
	struct keel_vm *vm2;
	int fd2, fd3;

	ASSERT_EQ(0, vdev_ioctl(self->fd, KEEL_VDEV_IOC_SETUP, &self->s));

	fd2 = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	/* Same range, a partial overlap on either side: refused. */
	s = self->s;
	EXPECT_EQ(-EADDRINUSE, vdev_ioctl(fd2, KEEL_VDEV_IOC_SETUP, &s));
	s.base = COM1 + 7;
	EXPECT_EQ(-EADDRINUSE, vdev_ioctl(fd2, KEEL_VDEV_IOC_SETUP, &s));
	s.base = COM1 - 7;
	EXPECT_EQ(-EADDRINUSE, vdev_ioctl(fd2, KEEL_VDEV_IOC_SETUP, &s));
	/* Adjacent ones, and the same address on the MMIO bus, are fine. */
	s.base = COM1 + 8;
	EXPECT_EQ(0, vdev_ioctl(fd2, KEEL_VDEV_IOC_SETUP, &s));
	fd3 = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd3);
	s = self->s;
	s.bus = KEEL_VDEV_BUS_MMIO;
	EXPECT_EQ(0, vdev_ioctl(fd3, KEEL_VDEV_IOC_SETUP, &s));
	close(fd3);

	/* The same range on another VM is another device. */
	fd3 = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd3);
	vm2 = vm_create(0, 0);
	ASSERT_NE(NULL, vm2);
	s = self->s;
	s.vm_fd = vm2->fd;
	EXPECT_EQ(0, vdev_ioctl(fd3, KEEL_VDEV_IOC_SETUP, &s));
	close(fd3);
	vm_free(vm2);

	/* A released device frees its range. */
	close(self->fd);
	self->fd = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	s = self->s;
	EXPECT_EQ(0, vdev_ioctl(self->fd, KEEL_VDEV_IOC_SETUP, &s));
	close(fd2);
}

TEST_F(vdev, module_pinned_by_open_device)
{
	ASSERT_EQ(0, vdev_ioctl(self->fd, KEEL_VDEV_IOC_SETUP, &self->s));
	ASSERT_EQ(0, vdev_ioctl(self->fd, KEEL_VDEV_IOC_START, NULL));
	EXPECT_EQ(-1, syscall(SYS_delete_module, "keel_vdev", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
}

/* Whether ftrace has a callback on @fn now; -1 if that cannot be seen. */
static int traced(const char *fn)
{
	static const char *const paths[] = {
		"/sys/kernel/tracing/enabled_functions",
		"/sys/kernel/debug/tracing/enabled_functions",
	};
	char line[256];
	size_t i, n = strlen(fn);
	int found = -1;
	FILE *f;

	for (i = 0; i < 2 && found < 0; i++) {
		f = fopen(paths[i], "r");
		if (!f)
			continue;
		found = 0;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, fn, n) && (line[n] == ' ' ||
						      line[n] == '\t'))
				found = 1;
		fclose(f);
	}
	return found;
}

/*
 * KVM's functions are hooked only while a device is set up, started or
 * not: a stopped device takes its accesses back by a flag, so state
 * checkpoints (stop, save, resume) never re-patch kernel text.
 */
TEST_F(vdev, hook_only_while_set_up)
{
	int fd2;

	if (traced("kvm_io_bus_write") < 0)
		SKIP(return, "no tracefs");
	ASSERT_EQ(0, traced("kvm_io_bus_write"));
	ASSERT_EQ(0, vdev_ioctl(self->fd, KEEL_VDEV_IOC_SETUP, &self->s));
	EXPECT_EQ(1, traced("kvm_io_bus_write"));
	EXPECT_EQ(1, traced("kvm_io_bus_read"));
	ASSERT_EQ(0, vdev_ioctl(self->fd, KEEL_VDEV_IOC_START, NULL));
	ASSERT_EQ(0, vdev_ioctl(self->fd, KEEL_VDEV_IOC_STOP, NULL));
	EXPECT_EQ(1, traced("kvm_io_bus_write"));

	/* A second device; the hook stays until the last is released. */
	fd2 = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	self->s.base = 0x2f8;
	ASSERT_EQ(0, vdev_ioctl(fd2, KEEL_VDEV_IOC_SETUP, &self->s));
	ASSERT_EQ(0, vdev_ioctl(fd2, KEEL_VDEV_IOC_START, NULL));
	close(fd2);
	EXPECT_EQ(1, traced("kvm_io_bus_write"));
	close(self->fd);
	self->fd = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(0, traced("kvm_io_bus_write"));
	EXPECT_EQ(0, traced("kvm_io_bus_read"));
}

/* keelctl's output for @args into @buf; its exit status or -1. */
static int keelctl(char *buf, size_t len, const char *args)
{
	const char *path = getenv("KEELCTL");
	char cmd[256];
	size_t n;
	FILE *f;

	if (!path || !*path)
		path = "/keel/bin/keelctl";
	if (access(path, X_OK))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", path, args);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	return WEXITSTATUS(pclose(f));
}

/* The device is a "vdev" object of the keel netlink family while open. */
TEST_F(vdev, listed_over_netlink)
{
	char out[4096], args[64];
	int ret;

	strcpy(self->s.label, "nl-check");
	ASSERT_EQ(0, vdev_ioctl(self->fd, KEEL_VDEV_IOC_SETUP, &self->s));
	ASSERT_EQ(0, vdev_ioctl(self->fd, KEEL_VDEV_IOC_START, NULL));
	snprintf(args, sizeof(args), "objects show %u", self->s.id);
	ret = keelctl(out, sizeof(out), args);
	if (ret < 0)
		SKIP(return, "no keelctl (set KEELCTL)");
	TH_LOG("%s", out);
	EXPECT_EQ(0, ret);
	EXPECT_NE(NULL, strstr(out, "vdev"));
	EXPECT_NE(NULL, strstr(out, "nl-check"));

	/* Closed, the device is gone: not found (5), the kernel's reason. */
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(5, keelctl(out, sizeof(out), args));
	EXPECT_STREQ("keelctl: objects show: no object with this id\n", out);
}

TEST_HARNESS_MAIN
