// SPDX-License-Identifier: GPL-2.0
/*
 * Exit accounting is exact: every exit that reaches userspace is counted
 * once, by reason, by port and direction and by MMIO address and
 * direction; accesses KVM handles in the kernel are not counted.
 */
#include "lib_test.h"

#define PORT_X		0x510
#define PORT_Y		0x520
#define MMIO_A		(KEEL_MMIO_BASE + 0x100)
#define MMIO_B		(KEEL_MMIO_BASE + 0x208)
#define N_OUT		1000

static bool pio_ok(struct keel_vcpu *vcpu, uint16_t port, bool write,
		   void *data, unsigned int size, void *opaque)
{
	(void)vcpu; (void)port; (void)opaque;
	if (!write)
		memset(data, 0x11, size);
	return true;
}

static bool mmio_ok(struct keel_vcpu *vcpu, uint64_t gpa, bool write,
		    void *data, unsigned int size, void *opaque)
{
	(void)vcpu; (void)gpa; (void)opaque;
	if (!write)
		memset(data, 0x22, size);
	return true;
}

FIXTURE(exits) {
	struct keel_vm *vm;
	struct keel_vcpu *vcpu;
	struct ucall uc;
};

FIXTURE_SETUP(exits)
{
	VM_CREATE_OR_SKIP(self->vm, 0, KEEL_VM_IRQCHIP);
	ASSERT_EQ(0, vm_pio_handler_add(self->vm, PORT_X, 1, pio_ok, NULL));
	ASSERT_EQ(0, vm_pio_handler_add(self->vm, PORT_Y, 2, pio_ok, NULL));
	ASSERT_EQ(0, vm_mmio_handler_add(self->vm, KEEL_MMIO_BASE, 0x1000,
					 mmio_ok, NULL));
}

FIXTURE_TEARDOWN(exits)
{
	vm_free(self->vm);
}

static void guest_outs(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		outb(PORT_X, (uint8_t)i);
	GUEST_DONE();
}

TEST_F(exits, n_outs_are_n_exits)
{
	self->vcpu = vm_vcpu_add(self->vm, guest_outs);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_EQ(0, vcpu_args_set(self->vcpu, N_OUT));
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);

	EXPECT_EQ(N_OUT, vcpu_exit_count(self->vcpu, KEEL_EXIT_IO_OUT, PORT_X));
	EXPECT_EQ(0, vcpu_exit_count(self->vcpu, KEEL_EXIT_IO_IN, PORT_X));
	EXPECT_EQ(0, vcpu_exit_count(self->vcpu, KEEL_EXIT_IO_OUT, PORT_X + 1));
	/* The only other exit is the GUEST_DONE ucall. */
	EXPECT_EQ(1, vcpu_exit_count(self->vcpu, KEEL_EXIT_IO_OUT,
				     KEEL_UCALL_PORT));
	EXPECT_EQ(N_OUT + 1, vcpu_exit_count(self->vcpu, KEEL_EXIT_REASON,
					     KVM_EXIT_IO));
	EXPECT_EQ(N_OUT + 1, vcpu_exit_count(self->vcpu, KEEL_EXIT_ANY, 0));
	EXPECT_EQ(N_OUT + 1, vm_exit_count(self->vm, KEEL_EXIT_ANY, 0));
}

static void guest_mixed(void)
{
	uint64_t i;

	for (i = 0; i < 300; i++)
		outb(PORT_X, 1);
	for (i = 0; i < 200; i++)
		GUEST_ASSERT_EQ(inw(PORT_Y), 0x1111);
	for (i = 0; i < 100; i++)
		mmio_write32(MMIO_A, (uint32_t)i);
	for (i = 0; i < 50; i++)
		GUEST_ASSERT_EQ(mmio_read64(MMIO_B), 0x2222222222222222ULL);
	GUEST_SYNC(0);
	for (i = 0; i < 7; i++)
		outb(PORT_X, 2);
	GUEST_DONE();
}

TEST_F(exits, counts_by_kind_and_address)
{
	self->vcpu = vm_vcpu_add(self->vm, guest_mixed);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_SYNC);

	EXPECT_EQ(300, vcpu_exit_count(self->vcpu, KEEL_EXIT_IO_OUT, PORT_X));
	EXPECT_EQ(200, vcpu_exit_count(self->vcpu, KEEL_EXIT_IO_IN, PORT_Y));
	EXPECT_EQ(0, vcpu_exit_count(self->vcpu, KEEL_EXIT_IO_OUT, PORT_Y));
	EXPECT_EQ(100, vcpu_exit_count(self->vcpu, KEEL_EXIT_MMIO_WRITE,
				       MMIO_A));
	EXPECT_EQ(0, vcpu_exit_count(self->vcpu, KEEL_EXIT_MMIO_READ, MMIO_A));
	EXPECT_EQ(50, vcpu_exit_count(self->vcpu, KEEL_EXIT_MMIO_READ, MMIO_B));
	EXPECT_EQ(0, vcpu_exit_count(self->vcpu, KEEL_EXIT_MMIO_READ,
				     MMIO_B + 1));
	EXPECT_EQ(150, vcpu_exit_count_range(self->vcpu, KEEL_EXIT_MMIO_WRITE,
					     KEEL_MMIO_BASE, 0x1000) +
		       vcpu_exit_count_range(self->vcpu, KEEL_EXIT_MMIO_READ,
					     KEEL_MMIO_BASE, 0x1000));
	EXPECT_EQ(500, vcpu_exit_count_range(self->vcpu, KEEL_EXIT_IO_OUT,
					     0x500, 0x100) +
		       vcpu_exit_count_range(self->vcpu, KEEL_EXIT_IO_IN,
					     0x500, 0x100));
	EXPECT_EQ(150, vcpu_exit_count(self->vcpu, KEEL_EXIT_REASON,
				       KVM_EXIT_MMIO));
	EXPECT_EQ(501, vcpu_exit_count(self->vcpu, KEEL_EXIT_REASON,
				       KVM_EXIT_IO));
	EXPECT_EQ(651, vcpu_exit_count(self->vcpu, KEEL_EXIT_ANY, 0));

	/* After a reset, counting starts from zero. */
	vcpu_exit_stats_reset(self->vcpu);
	EXPECT_EQ(0, vcpu_exit_count(self->vcpu, KEEL_EXIT_ANY, 0));
	EXPECT_EQ(0, vcpu_exit_count(self->vcpu, KEEL_EXIT_IO_OUT, PORT_X));
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);
	EXPECT_EQ(7, vcpu_exit_count(self->vcpu, KEEL_EXIT_IO_OUT, PORT_X));
	EXPECT_EQ(0, vcpu_exit_count(self->vcpu, KEEL_EXIT_IO_IN, PORT_Y));
	EXPECT_EQ(8, vcpu_exit_count(self->vcpu, KEEL_EXIT_ANY, 0));
}

static void guest_kernel_handled(void)
{
	uint64_t i;

	lapic_enable();
	for (i = 0; i < 200; i++) {
		lapic_write(LAPIC_TPR, (uint32_t)(i & 0xf) << 4);
		GUEST_ASSERT_EQ(lapic_read(LAPIC_TPR), (i & 0xf) << 4);
		GUEST_ASSERT_EQ(ioapic_read(IOAPIC_REG_VERSION) & 0xff, 0x11);
		outb(PORT_X, 3);
	}
	GUEST_DONE();
}

/* The in-kernel LAPIC and IOAPIC take their accesses: no exit for them. */
TEST_F(exits, kernel_handled_accesses_are_not_counted)
{
	self->vcpu = vm_vcpu_add(self->vm, guest_kernel_handled);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);
	EXPECT_EQ(200, vcpu_exit_count(self->vcpu, KEEL_EXIT_IO_OUT, PORT_X));
	EXPECT_EQ(0, vcpu_exit_count(self->vcpu, KEEL_EXIT_REASON,
				     KVM_EXIT_MMIO));
	EXPECT_EQ(201, vcpu_exit_count(self->vcpu, KEEL_EXIT_ANY, 0));
}

TEST_HARNESS_MAIN
