// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting for an interrupt in safe_halt() ("sti; hlt") when it is already
 * pending at the STI or arrives around it: the host signals an irqfd
 * while the vCPU is out in the VMM with interrupts off, or up to 300 us
 * later from another thread, and the guest halts for it, thousands of
 * times. The STI shadow must hold the interrupt until after the HLT. The
 * guest records where each one was taken (its saved RIP as the handler
 * sees it), and a LAPIC timer armed before each halt wakes the vCPU if
 * the interrupt never comes, so a loss is classified instead of hanging:
 *
 * - taken after the HLT: correct;
 * - taken at the HLT, before it ran: the shadow was broken and the HLT
 *   then sleeps. The emulated CPU of the test VMs does break it (see
 *   guest_irq.c); the library returns past the HLT and counts it in
 *   guest_irq_shadow_fixups, so the handler must never see this;
 * - not taken when the watchdog fires: pending in the LAPIC's IRR (not
 *   delivered), in service in its ISR without the handler having run
 *   (the library dropped it), or in neither (never raised).
 *
 * On a CPU other than QEMU's TCG, the shadow must hold: no fixups.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>

#include "lib_test.h"

#define GSI		20
#define VEC_DEV		0x40
#define VEC_WATCHDOG	0x60
#define ROUNDS		2000

/* LAPIC timer: one-shot, divide by 16; KVM's APIC bus runs at 1 GHz. */
#define LAPIC_IRR	0x200
#define LAPIC_ISR	0x100
#define LAPIC_LVTT	0x320
#define LAPIC_TMICT	0x380
#define LAPIC_TDCR	0x3E0
#define LAPIC_TDCR_DIV16	0x3
/* A liveness bound for a lost interrupt, not a measurement. */
#define WATCHDOG_TICKS	(10000000000ull / 16)	/* 10 s */

static volatile uint64_t n_dev, n_after_hlt, n_at_hlt, n_elsewhere;
static volatile uint64_t n_watchdog, lost_irr, lost_isr, lost_none;

/* The HLT of safe_halt() (the guest library); one byte long. */
extern const char guest_safe_halt_hlt[];

static void dev_irq(struct guest_irq_frame *frame)
{
	n_dev++;
	if (frame->rip == (uintptr_t)guest_safe_halt_hlt + 1)
		n_after_hlt++;
	else if (frame->rip == (uintptr_t)guest_safe_halt_hlt)
		n_at_hlt++;
	else
		n_elsewhere++;
}

static void watchdog_irq(struct guest_irq_frame *frame)
{
	(void)frame;
	n_watchdog++;
}

static bool lapic_vector_set(uint32_t base, uint8_t vector)
{
	return lapic_read(base + 0x10 * (vector / 32)) & (1u << (vector % 32));
}

static void guest_halt_rounds(uint64_t rounds)
{
	uint64_t i;

	guest_irq_handler_set(VEC_DEV, dev_irq);
	guest_irq_handler_set(VEC_WATCHDOG, watchdog_irq);
	lapic_enable();
	ioapic_route(GSI, VEC_DEV, false, 0);
	lapic_write(LAPIC_TDCR, LAPIC_TDCR_DIV16);
	lapic_write(LAPIC_LVTT, VEC_WATCHDOG);

	for (i = 1; i <= rounds; i++) {
		/* Interrupts are off: the host signals while we are out. */
		GUEST_SYNC(i);
		lapic_write(LAPIC_TMICT, WATCHDOG_TICKS);
		while (n_dev < i) {
			uint64_t wd = n_watchdog;

			safe_halt();
			cli();
			if (n_dev >= i || n_watchdog == wd)
				continue;
			/* The watchdog, not the device, ended the halt. */
			if (lapic_vector_set(LAPIC_ISR, VEC_DEV))
				lost_isr++;
			else if (lapic_vector_set(LAPIC_IRR, VEC_DEV))
				lost_irr++;
			else
				lost_none++;
			GUEST_SYNC(0);		/* let the host see it */
			break;
		}
		lapic_write(LAPIC_TMICT, 0);
		if (n_dev < i)
			break;
	}
	GUEST_DONE();
}

FIXTURE(halt) {
	struct keel_vm *vm;
	struct keel_vcpu *vcpu;
	struct ucall uc;
};

FIXTURE_SETUP(halt)
{
	VM_CREATE_OR_SKIP(self->vm, 0, KEEL_VM_IRQCHIP);
	self->vcpu = vm_vcpu_add(self->vm, guest_halt_rounds);
	ASSERT_NE(NULL, self->vcpu);
}

FIXTURE_TEARDOWN(halt)
{
	vm_free(self->vm);
}

/* QEMU's TCG names its CPU model so; it breaks the STI shadow. */
static bool cpu_is_qemu_tcg(void)
{
	char line[256];
	bool tcg = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return false;
	while (!tcg && fgets(line, sizeof(line), f))
		tcg = !strncmp(line, "model name", 10) &&
		      strstr(line, "QEMU TCG CPU");
	fclose(f);
	return tcg;
}

#define GUEST_COUNT(self, var)	(*vm_guest_ptr((self)->vm, &(var)))

/*
 * A second thread signals the irqfd a while after the guest asked for
 * it, so the injection lands anywhere from before the vCPU re-enters to
 * the middle of its halt.
 */
struct signaller {
	const struct keel_irqfd *irqfd;
	sem_t go;
	unsigned int delay_us;
	bool stop;
};

static void *signal_later(void *arg)
{
	struct signaller *s = arg;
	struct timespec t0, t;

	for (;;) {
		while (sem_wait(&s->go) && errno == EINTR)
			;
		if (s->stop)
			return NULL;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			clock_gettime(CLOCK_MONOTONIC, &t);
		} while ((t.tv_sec - t0.tv_sec) * 1000000000ll +
			 (t.tv_nsec - t0.tv_nsec) < s->delay_us * 1000ll);
		if (irqfd_trigger(s->irqfd))
			return (void *)1;
	}
}

static void run_rounds(struct __test_metadata *_metadata,
		       FIXTURE_DATA(halt) *self, bool later)
{
	struct signaller s = {};
	struct keel_irqfd *irqfd;
	pthread_t thread;
	void *thread_ret;
	uint64_t i, n;

	irqfd = vm_irqfd_add(self->vm, GSI, false);
	ASSERT_NE(NULL, irqfd);
	ASSERT_EQ(0, vcpu_args_set(self->vcpu, ROUNDS));
	s.irqfd = irqfd;
	ASSERT_EQ(0, sem_init(&s.go, 0, 0));
	ASSERT_EQ(0, pthread_create(&thread, NULL, signal_later, &s));

	for (i = 1; i <= ROUNDS; i++) {
		ASSERT_UCALL(self->vcpu, self->uc, UCALL_SYNC);
		if (self->uc.args[0] == 0)
			break;		/* a loss, classified below */
		ASSERT_EQ(i, self->uc.args[0]);
		if (later) {
			/* 0 to 300 us, spread over the rounds. */
			s.delay_us = (i * 37) % 301;
			ASSERT_EQ(0, sem_post(&s.go));
		} else {
			ASSERT_EQ(0, irqfd_trigger(irqfd));
		}
	}
	n = i - 1;
	if (i > ROUNDS)
		ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);
	s.stop = true;
	ASSERT_EQ(0, sem_post(&s.go));
	ASSERT_EQ(0, pthread_join(thread, &thread_ret));
	EXPECT_EQ(NULL, thread_ret);

	TH_LOG("%llu rounds: %llu taken after the HLT, %llu at the HLT, %llu elsewhere; %llu broken STI shadows fixed up by the library; watchdog %llu; lost: %llu pending in IRR, %llu in ISR, %llu never raised; %llu duplicate deliveries dropped",
	       (unsigned long long)n,
	       (unsigned long long)GUEST_COUNT(self, n_after_hlt),
	       (unsigned long long)GUEST_COUNT(self, n_at_hlt),
	       (unsigned long long)GUEST_COUNT(self, n_elsewhere),
	       (unsigned long long)GUEST_COUNT(self, guest_irq_shadow_fixups),
	       (unsigned long long)GUEST_COUNT(self, n_watchdog),
	       (unsigned long long)GUEST_COUNT(self, lost_irr),
	       (unsigned long long)GUEST_COUNT(self, lost_isr),
	       (unsigned long long)GUEST_COUNT(self, lost_none),
	       (unsigned long long)GUEST_COUNT(self, guest_irq_duplicates));
	EXPECT_EQ(0, GUEST_COUNT(self, lost_isr));
	EXPECT_EQ(0, GUEST_COUNT(self, lost_none));
	EXPECT_EQ(0, GUEST_COUNT(self, lost_irr));
	EXPECT_EQ(0, GUEST_COUNT(self, n_elsewhere));
	EXPECT_EQ(0, GUEST_COUNT(self, n_at_hlt));
	if (!cpu_is_qemu_tcg())
		EXPECT_EQ(0, GUEST_COUNT(self, guest_irq_shadow_fixups));
	EXPECT_EQ(ROUNDS, n);
	EXPECT_EQ(n, GUEST_COUNT(self, n_dev));
	sem_destroy(&s.go);
}

/* Signalled while the vCPU is out: pending when the guest reaches STI. */
TEST_F_TIMEOUT(halt, pending_at_sti_wakes_the_halt, 280)
{
	run_rounds(_metadata, self, false);
}

/* Signalled from 0 to 300 us later: on the way in, at the STI, halted. */
TEST_F_TIMEOUT(halt, signalled_while_halting_wakes_it, 280)
{
	run_rounds(_metadata, self, true);
}

TEST_HARNESS_MAIN
