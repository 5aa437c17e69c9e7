// SPDX-License-Identifier: GPL-2.0
/*
 * The sample feature module with a real guest: a doorbell eventfd rung by
 * the host reaches the guest as interrupts through KVM irqfds. A stopped
 * doorbell holds its rings; resumed, it forwards them as one interrupt;
 * running, each ring is an interrupt; its state (the rings it holds)
 * moves by SAVE and LOAD to another doorbell, whose interrupt the guest
 * then takes on another vector. A hostile blob changes nothing.
 */
#include "sample_test.h"
#include "keel_vm.h"
#include "keel_guest_io.h"

#define GSI_A		20	/* IOAPIC only: below 16 the PIC sees it too */
#define GSI_B		21
#define VECTOR_A	0x44
#define VECTOR_B	0x45

static volatile uint64_t nirq_a, nirq_b, target;

static void irq_a(struct guest_irq_frame *frame)
{
	(void)frame;
	nirq_a++;
}

static void irq_b(struct guest_irq_frame *frame)
{
	(void)frame;
	nirq_b++;
}

/* Report the interrupts each time as many as the host asked have come. */
static void guest_main(void)
{
	guest_irq_handler_set(VECTOR_A, irq_a);
	guest_irq_handler_set(VECTOR_B, irq_b);
	lapic_enable();
	ioapic_route(GSI_A, VECTOR_A, false, 0);
	ioapic_route(GSI_B, VECTOR_B, false, 0);
	sti();
	GUEST_SYNC(0, 0);
	for (;;) {
		cli();
		while (nirq_a + nirq_b < target) {
			safe_halt();
			cli();
		}
		sti();
		GUEST_SYNC(nirq_a, nirq_b);
	}
}

struct doorbell {
	int fd, bell;
	struct keel_irqfd *irqfd;
	struct keel_sample_setup s;
};

static void doorbell_create(struct __test_metadata *_metadata,
			    struct keel_vm *vm, struct doorbell *d,
			    uint32_t gsi, const char *label)
{
	SAMPLE_OPEN_OR_SKIP(d->fd);
	d->bell = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, d->bell);
	d->irqfd = vm_irqfd_add(vm, gsi, false);
	ASSERT_NE(NULL, d->irqfd);
	sample_setup_init(&d->s, vm->fd, d->bell, d->irqfd->fd, label);
	ASSERT_EQ(0, sample_ioctl(d->fd, KEEL_SAMPLE_IOC_SETUP, &d->s));
	EXPECT_NE(0, d->s.id);
	/* A new doorbell is stopped. */
	EXPECT_EQ(KEEL_STATE_STOPPED, state_of(d->fd));
}

/* Let the guest run until it has taken @a + @b interrupts: exactly those. */
static void expect_irqs(struct __test_metadata *_metadata,
			struct keel_vcpu *vcpu, uint64_t a, uint64_t b)
{
	struct ucall uc;

	*vm_guest_ptr(vcpu->vm, &target) = a + b;
	ASSERT_EQ(UCALL_SYNC, guest_run(vcpu, &uc))
		TH_LOG("%s", ucall_str(vcpu, &uc));
	EXPECT_EQ(a, uc.args[0]);
	EXPECT_EQ(b, uc.args[1]);
}

/* @b's one 8-byte section cut to 4 bytes, framing and checksums kept. */
static void shrink_section(struct __test_metadata *_metadata, struct blob *b)
{
	size_t hdr = sizeof(struct keel_state_header);
	struct keel_state_section *s = (void *)(b->buf + hdr);

	ASSERT_EQ(hdr + sizeof(*s) + 8, b->len);
	s->len = htole32(4);
	/* The last 4 bytes are padding now: zero, as a writer leaves them. */
	memset(b->buf + b->len - 4, 0, 4);
	fix_crcs(b);
}

FIXTURE(t) {
	int unused;
};

FIXTURE_SETUP(t)
{
}

FIXTURE_TEARDOWN(t)
{
}

TEST_F_TIMEOUT(t, doorbell_to_guest_interrupts, 180)
{
	struct doorbell a, b;
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	struct blob blob;
	struct ucall uc;
	int i;

	vm = vm_create(0, KEEL_VM_IRQCHIP);
	if (!vm)
		SKIP(return, "no KVM VM with an in-kernel irqchip");
	vcpu = vm_vcpu_add(vm, guest_main);
	ASSERT_NE(NULL, vcpu);
	doorbell_create(_metadata, vm, &a, GSI_A, "bell-a");
	ASSERT_EQ(UCALL_SYNC, guest_run(vcpu, &uc));

	/* Stopped, it holds the rings; resumed, one interrupt for them. */
	ASSERT_EQ(0, ring_bell(a.bell, 3));
	ASSERT_EQ(3, sample_wait_pending(a.fd, 3));
	ASSERT_EQ(0, state_simple(a.fd, KEEL_STATE_IOC_RESUME));
	expect_irqs(_metadata, vcpu, 1, 0);

	/* Running, each ring the guest waits for is an interrupt. */
	for (i = 1; i <= 4; i++) {
		ASSERT_EQ(0, ring_bell(a.bell, 1));
		expect_irqs(_metadata, vcpu, 1 + i, 0);
	}

	/* Stopped again: two rings held, saved. */
	ASSERT_EQ(0, state_simple(a.fd, KEEL_STATE_IOC_STOP));
	ASSERT_EQ(0, ring_bell(a.bell, 1));
	ASSERT_EQ(0, ring_bell(a.bell, 1));
	ASSERT_EQ(2, sample_wait_pending(a.fd, 2));
	ASSERT_EQ(0, state_save(a.fd, &blob));

	/* Another doorbell takes them over and delivers them on its GSI. */
	doorbell_create(_metadata, vm, &b, GSI_B, "bell-b");
	ASSERT_EQ(0, sample_saved_pending(b.fd));
	ASSERT_EQ(0, state_load(b.fd, blob.buf, blob.len));
	EXPECT_EQ(2, sample_saved_pending(b.fd));
	ASSERT_EQ(0, state_simple(b.fd, KEEL_STATE_IOC_RESUME));
	expect_irqs(_metadata, vcpu, 5, 1);

	/* A well-framed blob whose section is not 8 bytes changes nothing. */
	ASSERT_EQ(0, state_simple(b.fd, KEEL_STATE_IOC_STOP));
	ASSERT_EQ(0, ring_bell(b.bell, 1));
	ASSERT_EQ(1, sample_wait_pending(b.fd, 1));
	shrink_section(_metadata, &blob);
	EXPECT_EQ(-EINVAL, state_load(b.fd, blob.buf, blob.len));
	EXPECT_EQ(1, sample_saved_pending(b.fd));
	blob_free(&blob);

	close(a.fd);
	close(b.fd);
	vm_free(vm);
}

TEST_HARNESS_MAIN
