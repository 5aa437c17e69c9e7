// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts through KVM_IRQFD and the in-kernel irqchip: the guest routes
 * a GSI through the IOAPIC to a vector, the host signals the eventfd, the
 * guest's IDT handler sees exactly one interrupt per signal, on the right
 * vector; level-triggered ones are in service (IOAPIC Remote IRR) until
 * the EOI, and their resample eventfd is signalled once per EOI;
 * LAPIC/IOAPIC accesses and HLT stay in the kernel; an interrupt that the
 * CPU delivers twice runs its handler once.
 */
#include "lib_test.h"

#define GSI_EDGE	20
#define GSI_OTHER	21
#define GSI_LEVEL	22
#define VEC_EDGE	0x40
#define VEC_OTHER	0x41
#define VEC_LEVEL	0x50
#define ROUNDS		100

static volatile uint64_t irq_total;
static volatile uint64_t irq_per_vector[256];
static volatile uint64_t irq_remote_irr;	/* taken with Remote IRR set */
static volatile uint32_t irq_gsi;

static void count_irq(struct guest_irq_frame *frame)
{
	irq_total++;
	irq_per_vector[frame->vector & 0xff]++;
	/* A level interrupt is in service until the EOI that follows. */
	if (ioapic_read(IOAPIC_REG_REDIR(irq_gsi)) & IOAPIC_REDIR_REMOTE_IRR)
		irq_remote_irr++;
}

/* Halt until @n interrupts have been taken in total. */
static void wait_for_irqs(uint64_t n)
{
	cli();
	while (irq_total < n) {
		safe_halt();
		cli();
	}
	sti();
}

/*
 * Guest: route @gsi to @vector (edge or level), then for each round tell
 * the host it is ready and wait for the interrupt that follows.
 */
static void guest_irq_rounds(uint64_t gsi, uint64_t vector, uint64_t level,
			     uint64_t rounds)
{
	uint64_t i;

	irq_gsi = gsi;
	guest_irq_handler_set(vector, count_irq);
	guest_irq_handler_set(VEC_OTHER, count_irq);
	lapic_enable();
	GUEST_ASSERT_EQ(lapic_id(), 0);
	GUEST_ASSERT(ioapic_nr_pins() > gsi);
	ioapic_route(gsi, vector, level, 0);
	ioapic_route(GSI_OTHER, VEC_OTHER, false, 0);
	sti();

	for (i = 1; i <= rounds; i++) {
		GUEST_SYNC(i);
		wait_for_irqs(i);
		GUEST_ASSERT_EQ(irq_total, i);
		GUEST_ASSERT_EQ(irq_per_vector[vector], i);
		GUEST_ASSERT_EQ(irq_remote_irr, level ? i : 0);
		GUEST_ASSERT(!(ioapic_read(IOAPIC_REG_REDIR(gsi)) &
			       IOAPIC_REDIR_REMOTE_IRR));
	}
	/* A few more round trips with interrupts on: nothing else arrives. */
	for (i = 0; i < 3; i++)
		GUEST_SYNC(0);
	GUEST_ASSERT_EQ(irq_total, rounds);
	GUEST_ASSERT_EQ(irq_per_vector[VEC_OTHER], 0);
	GUEST_DONE();
}

FIXTURE(irq) {
	struct keel_vm *vm;
	struct keel_vcpu *vcpu;
	struct ucall uc;
};

FIXTURE_SETUP(irq)
{
	VM_CREATE_OR_SKIP(self->vm, 0, KEEL_VM_IRQCHIP);
	self->vcpu = vm_vcpu_add(self->vm, guest_irq_rounds);
	ASSERT_NE(NULL, self->vcpu);
}

FIXTURE_TEARDOWN(irq)
{
	vm_free(self->vm);
}

TEST_F_TIMEOUT(irq, edge_irqfd_one_interrupt_per_signal, 120)
{
	struct keel_irqfd *irqfd, *other;
	uint64_t i, *total;

	irqfd = vm_irqfd_add(self->vm, GSI_EDGE, false);
	ASSERT_NE(NULL, irqfd);
	other = vm_irqfd_add(self->vm, GSI_OTHER, false);
	ASSERT_NE(NULL, other);
	ASSERT_EQ(-1, other->resample_fd);
	ASSERT_EQ(0, vcpu_args_set(self->vcpu, GSI_EDGE, VEC_EDGE, 0, ROUNDS));

	for (i = 1; i <= ROUNDS; i++) {
		ASSERT_UCALL(self->vcpu, self->uc, UCALL_SYNC);
		ASSERT_EQ(i, self->uc.args[0]);
		ASSERT_EQ(0, irqfd_trigger(irqfd));
	}
	for (i = 0; i < 3; i++) {
		ASSERT_UCALL(self->vcpu, self->uc, UCALL_SYNC);
		ASSERT_EQ(0, self->uc.args[0]);
	}
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);

	total = vm_guest_ptr(self->vm, (uint64_t *)&irq_total);
	ASSERT_NE(NULL, total);
	EXPECT_EQ(ROUNDS, *total);
	/* KVM consumed every signal: nothing is left in the eventfd. */
	EXPECT_EQ(0, eventfd_wait(irqfd->fd, 0));
	/* The irqchip and HLT were handled in the kernel. */
	EXPECT_EQ(0, vcpu_exit_count(self->vcpu, KEEL_EXIT_REASON,
				     KVM_EXIT_HLT));
	EXPECT_EQ(0, vcpu_exit_count_range(self->vcpu, KEEL_EXIT_MMIO_WRITE,
					   KEEL_IOAPIC_BASE, 0x1000));
	EXPECT_EQ(0, vcpu_exit_count_range(self->vcpu, KEEL_EXIT_MMIO_WRITE,
					   KEEL_LAPIC_BASE, 0x1000));
	EXPECT_EQ(0, vcpu_exit_count_range(self->vcpu, KEEL_EXIT_MMIO_READ,
					   KEEL_LAPIC_BASE, 0x1000));
}

TEST_F_TIMEOUT(irq, level_irqfd_resamples_on_eoi, 120)
{
	struct keel_irqfd *irqfd;
	uint64_t i;

	irqfd = vm_irqfd_add(self->vm, GSI_LEVEL, true);
	ASSERT_NE(NULL, irqfd);
	ASSERT_LE(0, irqfd->resample_fd);
	ASSERT_EQ(0, vcpu_args_set(self->vcpu, GSI_LEVEL, VEC_LEVEL, 1, ROUNDS));

	for (i = 1; i <= ROUNDS; i++) {
		ASSERT_UCALL(self->vcpu, self->uc, UCALL_SYNC);
		ASSERT_EQ(i, self->uc.args[0]);
		/* Each earlier interrupt was EOIed exactly once. */
		if (i > 1)
			ASSERT_EQ(1, eventfd_wait(irqfd->resample_fd, 5000));
		ASSERT_EQ(0, eventfd_wait(irqfd->resample_fd, 0));
		ASSERT_EQ(0, irqfd_trigger(irqfd));
	}
	for (i = 0; i < 3; i++)
		ASSERT_UCALL(self->vcpu, self->uc, UCALL_SYNC);
	ASSERT_EQ(1, eventfd_wait(irqfd->resample_fd, 5000));
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);
	EXPECT_EQ(0, eventfd_wait(irqfd->resample_fd, 0));
}

/*
 * Make, in software, what a CPU that delivers one interrupt twice leaves
 * on the stack: the real frame (IF set, returning to label 1), then a
 * second one pushed before the stub's first instruction ran (IF clear,
 * returning to the stub).
 */
static void guest_duplicate_delivery(void)
{
	uint64_t stub = (uintptr_t)guest_idt_stubs +
			VEC_EDGE * KEEL_IDT_STUB_SIZE;
	uint64_t rsp_before, rsp_after;

	guest_irq_handler_set(VEC_EDGE, count_irq);
	lapic_enable();
	irq_gsi = GSI_EDGE;
	cli();
	asm volatile("movq %%rsp, %0" : "=r"(rsp_before));
	asm volatile(
		"movq %%rsp, %%rax\n\t"
		"andq $-16, %%rsp\n\t"
		"movl %%ss, %%ecx\n\t"
		"pushq %%rcx\n\t"
		"pushq %%rax\n\t"
		"pushfq\n\t"
		"orq $0x200, (%%rsp)\n\t"
		"movl %%cs, %%ecx\n\t"
		"pushq %%rcx\n\t"
		"leaq 1f(%%rip), %%rcx\n\t"
		"pushq %%rcx\n\t"
		"movq %%rsp, %%rax\n\t"
		"andq $-16, %%rsp\n\t"
		"movl %%ss, %%ecx\n\t"
		"pushq %%rcx\n\t"
		"pushq %%rax\n\t"
		"pushfq\n\t"
		"movl %%cs, %%ecx\n\t"
		"pushq %%rcx\n\t"
		"pushq %0\n\t"
		"jmp *%0\n"
		"1:"
		: : "r"(stub) : "rax", "rcx", "memory", "cc");
	asm volatile("movq %%rsp, %0" : "=r"(rsp_after));
	cli();
	GUEST_ASSERT_EQ(rsp_after, rsp_before);
	GUEST_ASSERT_EQ(irq_total, 1);
	GUEST_ASSERT_EQ(irq_per_vector[VEC_EDGE], 1);
	GUEST_ASSERT_EQ(guest_irq_duplicates, 1);
	GUEST_DONE();
}

/* The library runs the handler once for an interrupt delivered twice. */
TEST(duplicate_delivery_is_handled_once)
{
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	struct ucall uc;

	VM_CREATE_OR_SKIP(vm, 0, KEEL_VM_IRQCHIP);
	vcpu = vm_vcpu_add(vm, guest_duplicate_delivery);
	ASSERT_NE(NULL, vcpu);
	ASSERT_UCALL(vcpu, uc, UCALL_DONE);
	*vm_guest_ptr(vm, &guest_irq_duplicates) = 0;	/* nothing to report */
	vm_free(vm);
}

TEST(irqfd_needs_irqchip)
{
	struct keel_vm *vm;

	VM_CREATE_OR_SKIP(vm, 0, 0);
	EXPECT_EQ(NULL, vm_irqfd_add(vm, GSI_EDGE, false));
	EXPECT_EQ(EINVAL, errno);
	vm_free(vm);
}

TEST_HARNESS_MAIN
