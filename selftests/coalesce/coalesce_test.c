// SPDX-License-Identifier: GPL-2.0
/*
 * keel_coalesce with a real guest: notifications written to an irqfd's
 * eventfd, as vhost signals them, reach the guest as the parameters say.
 * A burst while the guest is active is one interrupt after the latency
 * interval; rx-frames held deliver at once; a halted guest's notification
 * waits for the overflow interval, which wakes it; a running guest's
 * does not; a cooperating VMM's separate call eventfd is consumed and
 * passed on; what is held survives stop, save and load to another queue,
 * and is delivered, never lost, when the object goes. Parameters change
 * through keelctl while it runs.
 */
#include "coalesce_test.h"
#include <pthread.h>

#include "keel_vm.h"
#include "keel_guest_io.h"
#include "keel_irq.h"
#include "state_blob.h"

#define GSI_A		20	/* IOAPIC only: below 16 the PIC sees it too */
#define GSI_B		21
#define VECTOR_A	0x44
#define VECTOR_B	0x45

static volatile uint64_t nirq_a, nirq_b, target, spin;

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

/*
 * Report the interrupts each time as many as the host asked for came:
 * spinning with interrupts on (the vCPU runs guest code: active) or
 * halted (inactive), as the host says.
 */
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
		if (spin) {
			sti();
			while (nirq_a + nirq_b < target)
				cpu_relax();
		} else {
			cli();
			while (nirq_a + nirq_b < target) {
				safe_halt();
				cli();
			}
			sti();
		}
		GUEST_SYNC(nirq_a, nirq_b);
	}
}

FIXTURE(c) {
	struct keel_vm *vm;
	struct keel_vcpu *vcpu;
	struct keel_irqfd *a, *b;
	uint64_t got;		/* interrupts the guest reported */
};

FIXTURE_SETUP(c)
{
	struct ucall uc;
	int fd;

	COAL_OPEN_OR_SKIP(fd);
	close(fd);
	self->vm = vm_create(0, KEEL_VM_IRQCHIP);
	if (!self->vm)
		SKIP(return, "no KVM VM with an in-kernel irqchip");
	self->vcpu = vm_vcpu_add(self->vm, guest_main);
	ASSERT_NE(NULL, self->vcpu);
	self->a = vm_irqfd_add(self->vm, GSI_A, false);
	self->b = vm_irqfd_add(self->vm, GSI_B, false);
	ASSERT_NE(NULL, self->a);
	ASSERT_NE(NULL, self->b);
	ASSERT_EQ(UCALL_SYNC, guest_run(self->vcpu, &uc));
}

FIXTURE_TEARDOWN(c)
{
	if (self->vm)
		vm_free(self->vm);
}

/* Run the guest until it has taken @more interrupts than before. */
static void expect_more(struct __test_metadata *_metadata,
			FIXTURE_DATA(c) *self, uint64_t more, bool spinning)
{
	struct ucall uc;

	*vm_guest_ptr(self->vm, &spin) = spinning;
	*vm_guest_ptr(self->vm, &target) = self->got + more;
	ASSERT_EQ(UCALL_SYNC, guest_run(self->vcpu, &uc))
		TH_LOG("%s", ucall_str(self->vcpu, &uc));
	EXPECT_LE(self->got + more, uc.args[0] + uc.args[1]);
	self->got = uc.args[0] + uc.args[1];
}

/* A new object on @irq_fd (call_fd -1 unless given), resumed. */
static int coal_new(struct __test_metadata *_metadata, FIXTURE_DATA(c) *self,
		    struct keel_coalesce_setup *s, bool resume)
{
	int fd;

	fd = open(KEEL_COALESCE_DEVICE, O_RDWR | O_CLOEXEC);
	EXPECT_LE(0, fd);
	if (fd < 0)
		return -1;
	EXPECT_EQ(0, coal_ioctl(fd, KEEL_COALESCE_IOC_SETUP, s));
	EXPECT_NE(0, s->id);
	EXPECT_EQ(KEEL_STATE_STOPPED, state_of(fd));
	if (resume)
		EXPECT_EQ(0, state_simple(fd, KEEL_STATE_IOC_RESUME));
	(void)self;
	return fd;
}

TEST_F_TIMEOUT(c, burst_is_one_interrupt_after_latency, 300)
{
	struct keel_coalesce_setup s;
	struct coal_snap c;
	char out[4096];
	int fd;

	/* 200 ms latency interval, 1 s overflow: 50 notifications, one irq */
	coal_setup_init(&s, self->vm->fd, self->a->fd, 200000, 1000000, "lat");
	fd = coal_new(_metadata, self, &s, true);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, notify(self->a->fd, 50));
	ASSERT_EQ(1, coal_wait(s.id, irqs, 1, &c));
	EXPECT_EQ(50, c.notifications);
	EXPECT_EQ(1, c.latency);
	EXPECT_EQ(0, c.direct);
	EXPECT_EQ(0, c.overflow);
	EXPECT_EQ(0, c.held);
	EXPECT_EQ(1, c.irqfd_bound);
	expect_more(_metadata, self, 1, false);

	/* rx-usecs 0 through keelctl: every notification is an interrupt */
	ASSERT_EQ(0, coal_set(s.id, "rx-usecs", "0", out, sizeof(out)))
		TH_LOG("%s", out);
	ASSERT_EQ(0, notify(self->a->fd, 3));
	EXPECT_EQ(3, coal_wait(s.id, direct, 3, &c));
	EXPECT_EQ(0, c.rx_usecs);
	EXPECT_EQ(4, c.irqs);
	expect_more(_metadata, self, 1, false);
	close(fd);
}

TEST_F_TIMEOUT(c, frames_bound_and_flush_on_close, 300)
{
	struct keel_coalesce_setup s;
	struct coal_snap c;
	long long held;
	int fd;

	coal_setup_init(&s, self->vm->fd, self->a->fd, 1000000, 1000000,
			"frames");
	s.params.rx_frames = 10;
	fd = coal_new(_metadata, self, &s, true);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, notify(self->a->fd, 25));
	ASSERT_EQ(2, coal_wait(s.id, frames, 2, &c));
	/*
	 * Stopped, it holds without deciding. The 5 left may have had their
	 * latency interval meanwhile on a slow kernel: then they went out.
	 */
	ASSERT_EQ(0, state_simple(fd, KEEL_STATE_IOC_STOP));
	ASSERT_EQ(0, coal_snap(s.id, &c));
	held = c.held;
	EXPECT_EQ(5, held + 5 * c.latency);
	EXPECT_EQ(2 + c.latency, c.irqs);
	ASSERT_EQ(0, notify(self->a->fd, 3));
	ASSERT_EQ(held + 3, coal_wait(s.id, held, held + 3, &c));
	expect_more(_metadata, self, 1, false);
	/* what is held is the guest's when the object goes: nothing lost */
	close(fd);
	expect_more(_metadata, self, 1, false);
}

struct notify_when {
	uint32_t id;
	int fd;
	bool halted;	/* notify once Keel sees the guest inactive */
	int ret;
};

/*
 * One notification while the guest runs: once Keel sees its vCPU halted,
 * or (a spinning guest) once it had a moment to enter guest mode.
 */
static void *notify_thread(void *arg)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	struct timespec moment = { 0, 300 * 1000 * 1000 };
	struct notify_when *w = arg;
	int i;

	w->ret = -ETIMEDOUT;
	if (!w->halted) {
		nanosleep(&moment, NULL);
		w->ret = notify(w->fd, 1);
		return NULL;
	}
	for (i = 0; i < 3000; i++) {
		if (coal_info(w->id, "active") == 0) {
			w->ret = notify(w->fd, 1);
			break;
		}
		nanosleep(&pause, NULL);
	}
	return NULL;
}

/* A halted vCPU is inactive: held for the overflow interval, which wakes it. */
TEST_F_TIMEOUT(c, overflow_wakes_halted_guest, 300)
{
	struct notify_when w;
	struct keel_coalesce_setup s;
	struct coal_snap c;
	pthread_t t;
	int fd;

	coal_setup_init(&s, self->vm->fd, self->a->fd, 1000, 300000, "ovf");
	fd = coal_new(_metadata, self, &s, true);
	ASSERT_LE(0, fd);
	w = (struct notify_when){ .id = s.id, .fd = self->a->fd, .halted = true };
	ASSERT_EQ(0, pthread_create(&t, NULL, notify_thread, &w));
	expect_more(_metadata, self, 1, false);
	pthread_join(t, NULL);
	ASSERT_EQ(0, w.ret);
	ASSERT_EQ(0, coal_snap(s.id, &c));
	EXPECT_EQ(1, c.overflow);
	EXPECT_EQ(0, c.latency);
	EXPECT_EQ(1, c.held_inactive);
	close(fd);
}

/* A vCPU running guest code is active: the latency interval applies. */
TEST_F_TIMEOUT(c, running_guest_gets_latency, 300)
{
	struct notify_when w;
	struct keel_coalesce_setup s;
	struct coal_snap c;
	pthread_t t;
	int fd;

	coal_setup_init(&s, self->vm->fd, self->a->fd, 1000, 1000000, "run");
	fd = coal_new(_metadata, self, &s, true);
	ASSERT_LE(0, fd);
	w = (struct notify_when){ .id = s.id, .fd = self->a->fd };
	ASSERT_EQ(0, pthread_create(&t, NULL, notify_thread, &w));
	expect_more(_metadata, self, 1, true);
	pthread_join(t, NULL);
	ASSERT_EQ(0, w.ret);
	ASSERT_EQ(0, coal_snap(s.id, &c));
	EXPECT_EQ(1, c.latency) TH_LOG("overflow %lld", c.overflow);
	EXPECT_EQ(0, c.overflow);
	close(fd);
}

/* A cooperating VMM's call eventfd: consumed, passed on to the irqfd. */
TEST_F_TIMEOUT(c, separate_call_eventfd, 300)
{
	struct keel_coalesce_setup s;
	struct coal_snap c;
	uint64_t v;
	int fd, call;

	call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, call);
	coal_setup_init(&s, self->vm->fd, self->b->fd, 0, 1000, "call");
	s.call_fd = call;
	fd = coal_new(_metadata, self, &s, true);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, notify(call, 3));
	EXPECT_EQ(3, coal_wait(s.id, direct, 3, &c));
	EXPECT_EQ(0, c.direct_call);
	EXPECT_EQ(-1, read(call, &v, sizeof(v)));
	EXPECT_EQ(EAGAIN, errno);
	expect_more(_metadata, self, 1, false);
	close(fd);
	close(call);
}

/* Held while stopped; saved, loaded into another queue's object, delivered. */
TEST_F_TIMEOUT(c, state_moves_held_notifications, 300)
{
	struct keel_coalesce_setup sa, sb;
	struct keel_state_header *h;
	struct coal_snap c;
	struct blob blob;
	int fa, fb;

	coal_setup_init(&sa, self->vm->fd, self->a->fd, 0, 777, "from");
	sa.params.rx_frames = 3;
	fa = coal_new(_metadata, self, &sa, false);
	ASSERT_LE(0, fa);
	ASSERT_EQ(0, notify(self->a->fd, 4));
	ASSERT_EQ(4, coal_wait(sa.id, held, 4, &c));
	EXPECT_EQ(0, c.irqs);
	ASSERT_EQ(0, state_save(fa, &blob));
	h = (void *)blob.buf;
	EXPECT_EQ(KEEL_STATE_TYPE_COALESCE, le32toh(h->type));

	coal_setup_init(&sb, self->vm->fd, self->b->fd, 100, 200, "to");
	fb = coal_new(_metadata, self, &sb, false);
	ASSERT_LE(0, fb);
	ASSERT_EQ(0, state_load(fb, blob.buf, blob.len));
	ASSERT_EQ(0, coal_snap(sb.id, &c));
	EXPECT_EQ(4, c.held);
	EXPECT_EQ(777, c.overflow_usecs);
	EXPECT_EQ(3, c.rx_frames);
	ASSERT_EQ(0, state_simple(fb, KEEL_STATE_IOC_RESUME));
	EXPECT_EQ(1, coal_wait(sb.id, irqs, 1, &c));
	EXPECT_EQ(0, c.held);
	expect_more(_metadata, self, 1, false);
	blob_free(&blob);
	close(fb);
	close(fa);
}

TEST_HARNESS_MAIN
