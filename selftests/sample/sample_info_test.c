// SPDX-License-Identifier: GPL-2.0
/*
 * The sample feature module as operators see it: a "sample" object of
 * the keel netlink family whose info (rings, pending, irqs) follows the
 * doorbell, gone when the file is closed; and setups that fail change
 * nothing and leave no object behind.
 */
#include "sample_test.h"
#include <linux/kvm.h>

#include "libkeel.h"

static struct keel_sock *open_keel(struct __test_metadata *_metadata)
{
	struct keel_error err;
	struct keel_sock *s = keel_open(&err);

	ASSERT_NE(NULL, s) TH_LOG("keel_open: %s", err.msg);
	return s;
}

static int create_vm(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	if (kvm < 0)
		return -1;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	close(kvm);
	return vm;
}

/* The object's info attribute @attr, 0 when absent. */
static uint64_t info_of(struct keel_sock *k, uint32_t id, uint16_t attr)
{
	struct keel_obj o;
	uint64_t v;

	if (keel_obj_get(k, id, &o))
		return UINT64_MAX;
	v = keel_obj_info_uint(&o, attr);
	keel_obj_free(&o);
	return v;
}

/* Rings reach the object from a work item: wait for them. */
static uint64_t wait_info(struct keel_sock *k, uint32_t id, uint16_t attr,
			  uint64_t want)
{
	struct timespec pause = { 0, 2 * 1000 * 1000 };
	uint64_t v = 0;
	int i;

	for (i = 0; i < 10000; i++) {
		v = info_of(k, id, attr);
		if (v == want)
			break;
		nanosleep(&pause, NULL);
	}
	return v;
}

static size_t count_samples(struct __test_metadata *_metadata,
			    struct keel_sock *k)
{
	struct keel_objs list;
	size_t n;

	EXPECT_EQ(0, keel_obj_dump(k, "sample", &list));
	n = list.n;
	keel_objs_free(&list);
	return n;
}

TEST(info_follows_the_doorbell)
{
	struct keel_sample_setup s;
	struct keel_sock *k;
	struct keel_obj o;
	int fd, vm, bell;

	SAMPLE_OPEN_OR_SKIP(fd);
	vm = create_vm();
	if (vm < 0)
		SKIP(return, "no KVM");
	bell = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, bell);
	k = open_keel(_metadata);

	/* No interrupt line: the rings are only counted and forwarded. */
	sample_setup_init(&s, vm, bell, -1, "info-bell");
	ASSERT_EQ(0, sample_ioctl(fd, KEEL_SAMPLE_IOC_SETUP, &s));
	ASSERT_EQ(0, keel_obj_get(k, s.id, &o));
	EXPECT_STREQ("sample", o.type);
	EXPECT_STREQ("sample", o.part);
	EXPECT_STREQ("info-bell", o.label);
	EXPECT_EQ((uint32_t)getpid(), o.owner_pid);
	keel_obj_free(&o);

	ASSERT_EQ(0, ring_bell(bell, 5));
	EXPECT_EQ(5, wait_info(k, s.id, KEEL_SAMPLE_INFO_A_RINGS, 5));
	EXPECT_EQ(5, info_of(k, s.id, KEEL_SAMPLE_INFO_A_PENDING));
	EXPECT_EQ(0, info_of(k, s.id, KEEL_SAMPLE_INFO_A_IRQS));

	/* Running: the five go out as one batch. */
	ASSERT_EQ(0, state_simple(fd, KEEL_STATE_IOC_RESUME));
	EXPECT_EQ(0, wait_info(k, s.id, KEEL_SAMPLE_INFO_A_PENDING, 0));
	EXPECT_EQ(1, info_of(k, s.id, KEEL_SAMPLE_INFO_A_IRQS));
	ASSERT_EQ(0, ring_bell(bell, 2));
	EXPECT_EQ(7, wait_info(k, s.id, KEEL_SAMPLE_INFO_A_RINGS, 7));
	EXPECT_EQ(0, wait_info(k, s.id, KEEL_SAMPLE_INFO_A_PENDING, 0));
	EXPECT_EQ(2, info_of(k, s.id, KEEL_SAMPLE_INFO_A_IRQS));

	/* Closed: gone. */
	close(fd);
	EXPECT_NE(0, keel_obj_get(k, s.id, &o));
	EXPECT_EQ(ENOENT, keel_last_error(k)->errnum);
	keel_close(k);
	close(bell);
	close(vm);
}

TEST(bad_setups_change_nothing)
{
	struct keel_sample_setup s, bad;
	struct keel_sock *k;
	int fd, vm, bell;

	SAMPLE_OPEN_OR_SKIP(fd);
	vm = create_vm();
	if (vm < 0)
		SKIP(return, "no KVM");
	bell = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, bell);
	k = open_keel(_metadata);
	ASSERT_EQ(0, count_samples(_metadata, k));

	/* Not set up: state and unknown ioctls refuse. */
	EXPECT_EQ(-EBADFD, state_simple(fd, KEEL_STATE_IOC_RESUME));
	EXPECT_EQ(-ENOTTY, sample_ioctl(fd, _IO(KEEL_IOC_MAGIC, 0xf1), NULL));

	sample_setup_init(&s, vm, bell, -1, "bad");
#define SETUP_FAILS(field, value, err)					\
	do {								\
		bad = s;						\
		bad.field = value;					\
		EXPECT_EQ(-(err), sample_ioctl(fd, KEEL_SAMPLE_IOC_SETUP, \
					       &bad));			\
		EXPECT_EQ(0, count_samples(_metadata, k));		\
	} while (0)
	SETUP_FAILS(size, 8, EINVAL);
	SETUP_FAILS(flags, 1, EINVAL);
	SETUP_FAILS(label[0], '\n', EINVAL);
	SETUP_FAILS(vm_fd, -1, EBADF);
	SETUP_FAILS(vm_fd, bell, EINVAL);
	SETUP_FAILS(bell_fd, -1, EBADF);
	SETUP_FAILS(bell_fd, vm, EINVAL);
	SETUP_FAILS(irq_fd, vm, EINVAL);
	SETUP_FAILS(irq_fd, 1000, EBADF);
	/* The doorbell as its own irqfd would ring itself forever. */
	SETUP_FAILS(irq_fd, bell, EINVAL);
#undef SETUP_FAILS

	/* Nothing was half done: the good setup works, once. */
	ASSERT_EQ(0, sample_ioctl(fd, KEEL_SAMPLE_IOC_SETUP, &s));
	EXPECT_EQ(1, count_samples(_metadata, k));
	EXPECT_EQ(-EBUSY, sample_ioctl(fd, KEEL_SAMPLE_IOC_SETUP, &s));
	EXPECT_EQ(1, count_samples(_metadata, k));
	close(fd);
	EXPECT_EQ(0, count_samples(_metadata, k));
	keel_close(k);
	close(bell);
	close(vm);
}

TEST_HARNESS_MAIN
