// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO from a long-mode guest to guest-physical space without a memslot
 * reaches the VMM's handler with the right address, size and data, and
 * reads return the VMM's value, for 1, 2, 4 and 8 byte accesses.
 */
#include "lib_test.h"

#define DEV_BASE	(KEEL_MMIO_BASE + 0x1000000)	/* 0xC1000000 */
#define DEV_SIZE	0x1000
#define HIGH_BASE	0xFEBFF000ULL	/* last page below the IOAPIC */
#define UNCLAIMED	(KEEL_MMIO_BASE + 0x2000000)

struct access {
	uint64_t gpa;
	bool write;
	unsigned int size;
	uint64_t value;
};

struct mmio_dev {
	struct access log[32];
	unsigned int nr;
	uint64_t replies[8];
	unsigned int nr_replies, next_reply;
};

static bool mmio_dev_handle(struct keel_vcpu *vcpu, uint64_t gpa, bool write,
			    void *data, unsigned int size, void *opaque)
{
	struct mmio_dev *dev = opaque;
	struct access *a;

	(void)vcpu;
	if (dev->nr == sizeof(dev->log) / sizeof(dev->log[0]) || size > 8)
		return false;
	a = &dev->log[dev->nr++];
	*a = (struct access) { .gpa = gpa, .write = write, .size = size };
	if (write) {
		memcpy(&a->value, data, size);
	} else {
		if (dev->next_reply == dev->nr_replies)
			return false;
		a->value = dev->replies[dev->next_reply++];
		memcpy(data, &a->value, size);
	}
	return true;
}

FIXTURE(mmio) {
	struct keel_vm *vm;
	struct keel_vcpu *vcpu;
	struct mmio_dev dev;
	struct ucall uc;
};

FIXTURE_SETUP(mmio)
{
	memset(&self->dev, 0, sizeof(self->dev));
	VM_CREATE_OR_SKIP(self->vm, 0, 0);
	ASSERT_EQ(0, vm_mmio_handler_add(self->vm, DEV_BASE, DEV_SIZE,
					 mmio_dev_handle, &self->dev));
	ASSERT_EQ(0, vm_mmio_handler_add(self->vm, HIGH_BASE, 0x1000,
					 mmio_dev_handle, &self->dev));
}

FIXTURE_TEARDOWN(mmio)
{
	vm_free(self->vm);
}

static void guest_writes(void)
{
	mmio_write8(DEV_BASE + 0x01, 0xa1);
	mmio_write16(DEV_BASE + 0x12, 0xb2c3);
	mmio_write32(DEV_BASE + 0x24, 0xd4e5f607);
	mmio_write64(DEV_BASE + 0x38, 0x0123456789abcdefULL);
	mmio_write32(HIGH_BASE + 0xffc, 0x600dcafe);
	GUEST_DONE();
}

TEST_F(mmio, writes_reach_vmm)
{
	const struct access want[] = {
		{ DEV_BASE + 0x01, true, 1, 0xa1 },
		{ DEV_BASE + 0x12, true, 2, 0xb2c3 },
		{ DEV_BASE + 0x24, true, 4, 0xd4e5f607 },
		{ DEV_BASE + 0x38, true, 8, 0x0123456789abcdefULL },
		{ HIGH_BASE + 0xffc, true, 4, 0x600dcafe },
	};
	unsigned int i;

	self->vcpu = vm_vcpu_add(self->vm, guest_writes);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);

	ASSERT_EQ(5, self->dev.nr);
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(want[i].gpa, self->dev.log[i].gpa);
		EXPECT_EQ(want[i].write, self->dev.log[i].write);
		EXPECT_EQ(want[i].size, self->dev.log[i].size);
		EXPECT_EQ(want[i].value, self->dev.log[i].value);
	}
	EXPECT_EQ(5, vcpu_exit_count_range(self->vcpu, KEEL_EXIT_MMIO_WRITE,
					   0, KEEL_IDENTITY_MAP_SIZE));
	EXPECT_EQ(0, vcpu_exit_count_range(self->vcpu, KEEL_EXIT_MMIO_READ,
					   0, KEEL_IDENTITY_MAP_SIZE));
}

static void guest_reads(void)
{
	uint8_t b = mmio_read8(DEV_BASE + 0x03);
	uint16_t w = mmio_read16(DEV_BASE + 0x16);
	uint32_t l = mmio_read32(DEV_BASE + 0x28);
	uint64_t q = mmio_read64(DEV_BASE + 0x40);

	GUEST_SYNC(b, w, l, q);
	GUEST_ASSERT_EQ(mmio_read64(HIGH_BASE), 0xfedcba9876543210ULL);
	GUEST_DONE();
}

TEST_F(mmio, reads_return_vmm_value)
{
	const uint64_t replies[] = {
		0x5c, 0x7e81, 0x92a3b4c5, 0xd6e7f80918273645ULL,
		0xfedcba9876543210ULL,
	};

	memcpy(self->dev.replies, replies, sizeof(replies));
	self->dev.nr_replies = 5;
	self->vcpu = vm_vcpu_add(self->vm, guest_reads);
	ASSERT_NE(NULL, self->vcpu);

	ASSERT_UCALL(self->vcpu, self->uc, UCALL_SYNC);
	EXPECT_EQ(replies[0], self->uc.args[0]);
	EXPECT_EQ(replies[1], self->uc.args[1]);
	EXPECT_EQ(replies[2], self->uc.args[2]);
	EXPECT_EQ(replies[3], self->uc.args[3]);
	ASSERT_EQ(4, self->dev.nr);
	EXPECT_EQ(DEV_BASE + 0x03, self->dev.log[0].gpa);
	EXPECT_EQ(1, self->dev.log[0].size);
	EXPECT_EQ(DEV_BASE + 0x16, self->dev.log[1].gpa);
	EXPECT_EQ(2, self->dev.log[1].size);
	EXPECT_EQ(DEV_BASE + 0x28, self->dev.log[2].gpa);
	EXPECT_EQ(4, self->dev.log[2].size);
	EXPECT_EQ(DEV_BASE + 0x40, self->dev.log[3].gpa);
	EXPECT_EQ(8, self->dev.log[3].size);
	EXPECT_FALSE(self->dev.log[3].write);

	ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);
	EXPECT_EQ(5, self->dev.nr);
	EXPECT_EQ(1, vcpu_exit_count(self->vcpu, KEEL_EXIT_MMIO_READ,
				     HIGH_BASE));
}

static void guest_unclaimed(void)
{
	mmio_write16(UNCLAIMED + 6, 0x1234);
	GUEST_DONE();
}

TEST_F(mmio, unclaimed_address_stops_the_run)
{
	self->vcpu = vm_vcpu_add(self->vm, guest_unclaimed);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_EXIT);
	EXPECT_EQ(KVM_EXIT_MMIO, self->uc.args[0]);
	EXPECT_EQ(UNCLAIMED + 6, self->uc.args[1]);
	EXPECT_EQ(2, self->vcpu->run->mmio.len);
	EXPECT_TRUE(self->vcpu->run->mmio.is_write);
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);
}

TEST_F(mmio, handler_registration_is_checked)
{
	/* RAM never exits; overlapping and empty ranges are refused. */
	EXPECT_EQ(-EINVAL, vm_mmio_handler_add(self->vm, 0x100000, 0x1000,
					       mmio_dev_handle, NULL));
	EXPECT_EQ(-EEXIST, vm_mmio_handler_add(self->vm, DEV_BASE + 0x800,
					       DEV_SIZE, mmio_dev_handle,
					       NULL));
	EXPECT_EQ(-EINVAL, vm_mmio_handler_add(self->vm, UNCLAIMED, 0,
					       mmio_dev_handle, NULL));
	EXPECT_EQ(0, vm_mmio_handler_add(self->vm, DEV_BASE + DEV_SIZE,
					 DEV_SIZE, mmio_dev_handle, NULL));
}

TEST_HARNESS_MAIN
