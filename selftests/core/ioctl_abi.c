// SPDX-License-Identifier: GPL-2.0
/*
 * Every ioctl of Keel's device files, built twice: as ioctl_abi_test
 * (64-bit) and ioctl_abi32_test (-m32, static), which runs against the
 * 64-bit kernel through its compat ioctl path. Both must see the same
 * sizes, the same results and the same refusals: the uapi structs have
 * fixed-width fields, explicit padding and 8-byte alignment of every
 * 64-bit field, so a 32-bit VMM needs no translation.
 *
 * Uses only the uapi headers (no libkeel, which is 64-bit only).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>
#include <linux/keel.h>
#include <linux/keel_ring.h>
#include <linux/keel_state.h>
#include <linux/keel_vdev.h>

#include "state_blob.h"
#include "kselftest_harness.h"

/* The same layout in both builds: sizes and the offsets of 64-bit fields. */
_Static_assert(sizeof(struct keel_vm_bind) == 48, "keel_vm_bind");
_Static_assert(sizeof(struct keel_vdev_setup) == 88, "keel_vdev_setup");
_Static_assert(offsetof(struct keel_vdev_setup, base) == 24, "vdev base");
_Static_assert(offsetof(struct keel_vdev_setup, gsi) == 80, "vdev gsi");
_Static_assert(sizeof(struct keel_obj_open) == 16, "keel_obj_open");
_Static_assert(sizeof(struct keel_ring_setup) == 80, "keel_ring_setup");
_Static_assert(offsetof(struct keel_ring_setup, start) == 16, "ring start");
_Static_assert(offsetof(struct keel_ring_setup, ctrl_size) == 32, "ctrl_size");
_Static_assert(sizeof(struct keel_ring_commit) == 24, "keel_ring_commit");
_Static_assert(sizeof(struct keel_ring_fetch) == 16, "keel_ring_fetch");
_Static_assert(sizeof(struct keel_ring_repl) == 16, "keel_ring_repl");
_Static_assert(sizeof(struct keel_state_info) == 48, "keel_state_info");
_Static_assert(offsetof(struct keel_state_info, saves) == 24, "saves");
_Static_assert(sizeof(struct keel_state_xfer) == 32, "keel_state_xfer");
_Static_assert(offsetof(struct keel_state_xfer, load_len) == 16, "load_len");

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int vm_create(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	if (kvm < 0)
		return -errno;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	close(kvm);
	return vm < 0 ? -errno : vm;
}

TEST(vm_bind)
{
	struct keel_vm_bind b = { .size = sizeof(b) };
	int fd, vm;

	vm = vm_create();
	ASSERT_LE(0, vm);
	fd = open("/dev/keel", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	b.vm_fd = vm;
	b.flags = 0x80000000;
	EXPECT_EQ(-EINVAL, xioctl(fd, KEEL_IOC_VM_BIND, &b));
	b.flags = 0;
	strcpy(b.label, "abi");
	ASSERT_EQ(0, xioctl(fd, KEEL_IOC_VM_BIND, &b));
	EXPECT_NE(0, b.id);
	EXPECT_EQ(-ENOTTY, xioctl(fd, _IO(KEEL_IOC_MAGIC, 0x7f), NULL));
	close(fd);
	close(vm);
}

/* The core's attach ioctls, on a VM binding of this process. */
TEST(attach)
{
	struct keel_vm_bind b = { .size = sizeof(b) };
	struct keel_obj_open o = { .size = sizeof(o) };
	int fd, vm, again;

	vm = vm_create();
	ASSERT_LE(0, vm);
	fd = open("/dev/keel", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADFD, xioctl(fd, KEEL_IOC_ATTACH, NULL));
	b.vm_fd = vm;
	ASSERT_EQ(0, xioctl(fd, KEEL_IOC_VM_BIND, &b));
	o.id = b.id;
	EXPECT_EQ(-ENOLINK, xioctl(fd, KEEL_IOC_OBJ_OPEN, &o));
	ASSERT_EQ(0, xioctl(fd, KEEL_IOC_ATTACH, NULL));
	EXPECT_EQ(-EALREADY, xioctl(fd, KEEL_IOC_ATTACH, NULL));
	o.flags = 1;
	EXPECT_EQ(-EINVAL, xioctl(fd, KEEL_IOC_OBJ_OPEN, &o));
	o.flags = 0;
	o.fd = -1;
	ASSERT_EQ(0, xioctl(fd, KEEL_IOC_OBJ_OPEN, &o));
	EXPECT_LE(0, o.fd);
	/* The same open file, close-on-exec. */
	EXPECT_EQ(FD_CLOEXEC, fcntl(o.fd, F_GETFD));
	EXPECT_EQ(-EALREADY, xioctl(o.fd, KEEL_IOC_ATTACH, NULL));
	again = o.fd;
	o.id = 0x7fffffff;
	EXPECT_EQ(-ENOENT, xioctl(fd, KEEL_IOC_OBJ_OPEN, &o));
	close(again);
	close(fd);
	close(vm);
	/* Attached to this process's VM: it goes when this process does. */
}

TEST(vdev_setup_state)
{
	struct keel_vdev_setup s = { .size = sizeof(s), .irq_fd = -1,
				     .resample_fd = -1 };
	struct keel_state_info info = { .size = sizeof(info) };
	struct blob saved, again;
	int fd, vm;

	vm = vm_create();
	ASSERT_LE(0, vm);
	fd = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	s.vm_fd = vm;
	s.model = KEEL_VDEV_MODEL_UART16550A;
	s.bus = KEEL_VDEV_BUS_PIO;
	s.len = 8;
	s.base = 0x3f8;
	s.pad = 1;
	EXPECT_EQ(-EINVAL, xioctl(fd, KEEL_VDEV_IOC_SETUP, &s));
	s.pad = 0;
	strcpy(s.label, "abi-uart");
	ASSERT_EQ(0, xioctl(fd, KEEL_VDEV_IOC_SETUP, &s));
	EXPECT_NE(0, s.id);
	EXPECT_EQ(0, xioctl(fd, KEEL_VDEV_IOC_START, NULL));

	ASSERT_EQ(0, xioctl(fd, KEEL_STATE_IOC_GET, &info));
	EXPECT_EQ(KEEL_STATE_RUNNING, info.state);
	EXPECT_LT(0, info.max_len);
	EXPECT_EQ(0, state_simple(fd, KEEL_STATE_IOC_STOP));
	ASSERT_EQ(0, state_save(fd, &saved));
	ASSERT_EQ(0, state_load(fd, saved.buf, saved.len));
	ASSERT_EQ(0, state_save(fd, &again));
	EXPECT_TRUE(blob_eq(&saved, &again));
	ASSERT_EQ(0, xioctl(fd, KEEL_STATE_IOC_GET, &info));
	EXPECT_EQ(2, info.saves);
	EXPECT_EQ(1, info.loads);
	saved.buf[saved.len - 1] ^= 1;
	EXPECT_EQ(-EBADMSG, state_load(fd, saved.buf, saved.len));
	EXPECT_EQ(0, state_simple(fd, KEEL_STATE_IOC_RESUME));
	blob_free(&saved);
	blob_free(&again);
	close(fd);
	close(vm);
}

TEST(ring_setup_io_commit_fetch)
{
	struct keel_ring_setup s = { .size = sizeof(s), .slots = 8,
				     .slot_size = 64, .event_fd = -1 };
	struct keel_ring_commit c = { .size = sizeof(c) };
	struct keel_ring_fetch f = { .size = sizeof(f) };
	struct keel_ring_ctrl *ctrl;
	char buf[64];
	void *slots;
	int fd, p[2];

	fd = open(KEEL_RING_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	s.start = 0xfffffffeull;
	s.flags = 0x80;
	EXPECT_EQ(-EINVAL, xioctl(fd, KEEL_RING_IOC_SETUP, &s));
	s.flags = 0;
	ASSERT_EQ(0, xioctl(fd, KEEL_RING_IOC_SETUP, &s));
	EXPECT_NE(0, s.id);
	ASSERT_LT(0, s.ctrl_size);
	ASSERT_LT(0, s.slots_size);
	ctrl = mmap(NULL, s.ctrl_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    KEEL_RING_OFF_CTRL);
	ASSERT_NE(MAP_FAILED, ctrl);
	slots = mmap(NULL, s.slots_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		     fd, KEEL_RING_OFF_SLOTS);
	ASSERT_NE(MAP_FAILED, slots);
	EXPECT_EQ(0xffffffffull, ctrl->idx_mask);

	ASSERT_EQ(5, write(fd, "hello", 5));
	ASSERT_EQ(5, write(fd, "world", 5));
	c.flags = KEEL_RING_COMMIT_ALL;
	ASSERT_EQ(0, xioctl(fd, KEEL_RING_IOC_COMMIT, &c));
	EXPECT_EQ(0xfffffffeull + 2 - 0x100000000ull, c.out_tail);
	c.flags = 0x10;
	EXPECT_EQ(-EINVAL, xioctl(fd, KEEL_RING_IOC_COMMIT, &c));
	ASSERT_EQ(5, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(0, xioctl(fd, KEEL_RING_IOC_SYNC, NULL));

	/* The engine sends the other entry to a pipe. */
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	f.sink_fd = p[1];
	ASSERT_EQ(0, xioctl(fd, KEEL_RING_IOC_FETCH_START, &f));
	ASSERT_EQ(5, read(p[0], buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "world", 5));
	EXPECT_EQ(0, xioctl(fd, KEEL_RING_IOC_FETCH_STOP, NULL));
	EXPECT_EQ(-EBADF, xioctl(fd, KEEL_RING_IOC_REPL_START,
				 &(struct keel_ring_repl){
					.size = sizeof(struct keel_ring_repl),
					.role = KEEL_RING_REPL_PRIMARY,
					.sock_fd = -1 }));
	EXPECT_EQ(0, xioctl(fd, KEEL_RING_IOC_REPL_STOP, NULL));
	close(p[0]);
	close(p[1]);
	munmap(slots, s.slots_size);
	munmap(ctrl, s.ctrl_size);
	close(fd);
}

TEST_HARNESS_MAIN
