// SPDX-License-Identifier: GPL-2.0
/*
 * keel_coalesce on the real vhost-net, driven by Keel's test VMM: guest
 * code is a virtio-net receive driver (a split ring of 2 KiB buffers,
 * kicked through a KVM ioeventfd), vhost-net serves the ring from a tap,
 * and a peer in its own network namespace sends numbered frames into the
 * tap. Every frame arrives, in order, on every path:
 *
 *  - a stream unmoderated (about an interrupt a frame), moderated on the
 *    irqfd vhost signals (as for an unmodified QEMU), and unmoderated
 *    again after "keelctl coalesce del": far fewer interrupts while
 *    moderated, as many as before after;
 *  - the same with a cooperating VMM that gives vhost Keel's own call
 *    eventfd, and points vhost back at the irqfd when it is done;
 *  - a halted guest is woken by the overflow interval, not before;
 *  - a vCPU that shares its CPU with a busy hog is preempted: what comes
 *    then is held as inactive and delivered by the overflow interval;
 *  - frames held (the object stopped) reach the guest when the object
 *    resumes, is closed, or is deleted by an operator.
 */
#include "coalesce_test.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include "keel_vm.h"
#include "keel_guest_io.h"
#include "keel_irq.h"
#include "keel_test_kvm.h"
#include "state_blob.h"
#include "vnet.h"
#include "vnet_guest.h"

#define GSI_RX		20	/* the receive queue's interrupt */
#define GSI_POKE	21	/* the VMM wakes the guest to end it */

#define FRAMES		200
#define GAP_US		1000
#define GAP_US_MAX	16000

/* ---- host: the VMM ---- */

FIXTURE(vn) {
	struct keel_vm *vm;
	struct keel_vcpu *vcpu;
	struct keel_irqfd *rx, *poke;
	struct vnet net;
	pthread_t vcpu_thread;
	bool running;
	struct ucall uc;	/* how the guest ended */
};

static void *vcpu_main(void *arg)
{
	FIXTURE_DATA(vn) *self = arg;

	guest_run(self->vcpu, &self->uc);
	return NULL;
}

/* A counter or setting of the guest's driver, in its memory. */
#define GUEST(self, field)	(vnet_guest_of((self)->vm)->field)

FIXTURE_SETUP(vn)
{
	int fd, ret;

	COAL_OPEN_OR_SKIP(fd);
	close(fd);
	if (access("/dev/vhost-net", F_OK))
		SKIP(return, "no /dev/vhost-net");
	self->vm = vm_create(0, KEEL_VM_IRQCHIP);
	ASSERT_NE(NULL, self->vm);
	self->vcpu = vm_vcpu_add(self->vm, vnet_guest_main);
	ASSERT_NE(NULL, self->vcpu);
	self->rx = vm_irqfd_add(self->vm, GSI_RX, false);
	self->poke = vm_irqfd_add(self->vm, GSI_POKE, false);
	ASSERT_NE(NULL, self->rx);
	ASSERT_NE(NULL, self->poke);
	/* as QEMU with vhost=on: vhost signals the irqfd itself */
	ret = vnet_create(&self->net, self->vm, self->rx->fd);
	ASSERT_EQ(0, ret);
	vnet_guest_init(self->vm, GSI_RX, GSI_POKE);
	ASSERT_EQ(0, vcpu_args_set(self->vcpu, self->net.gpa.desc,
				   self->net.gpa.avail, self->net.gpa.used,
				   self->net.gpa.bufs));
	ASSERT_EQ(0, pthread_create(&self->vcpu_thread, NULL, vcpu_main,
				    self));
	self->running = true;
}

FIXTURE_TEARDOWN(vn)
{
	if (self->running) {
		GUEST(self, quit) = 1;
		irqfd_trigger(self->poke);
		pthread_join(self->vcpu_thread, NULL);
		EXPECT_EQ(UCALL_DONE, self->uc.cmd)
			TH_LOG("%s", ucall_str(self->vcpu, &self->uc));
	}
	if (self->net.vm)
		vnet_destroy(&self->net);
	if (self->vm)
		vm_free(self->vm);
}

/* What the guest counted. */
struct rx {
	uint64_t frames, irqs, bad, other;
};

static void rx_now(FIXTURE_DATA(vn) *self, struct rx *r)
{
	r->frames = GUEST(self, frames);
	r->irqs = GUEST(self, irqs);
	r->bad = GUEST(self, bad);
	r->other = GUEST(self, other);
}

/*
 * Wait until the guest received @frames in all (or no frame came for
 * 30 s: a liveness bound, far above any interval here), in @r.
 */
static void rx_wait(FIXTURE_DATA(vn) *self, uint64_t frames, struct rx *r)
{
	struct timespec ms = { 0, 1000 * 1000 };
	uint64_t last = 0;
	int idle = 0;

	for (rx_now(self, r); r->frames < frames && idle < 30000;
	     rx_now(self, r)) {
		idle = r->frames == last ? idle + 1 : 0;
		last = r->frames;
		nanosleep(&ms, NULL);
	}
}

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/*
 * @n frames @gap_us apart: every one arrives, in order, nothing else.
 * The guest's interrupts meanwhile in @irqs; the time from the first
 * frame sent to the last one's arrival in @us (when not NULL).
 */
static void stream_timed(struct __test_metadata *_metadata,
			 FIXTURE_DATA(vn) *self, uint32_t n, uint32_t len,
			 uint32_t gap_us, uint64_t *irqs, uint64_t *us)
{
	struct rx before, after;
	uint64_t t0 = now_us();

	rx_now(self, &before);
	ASSERT_EQ(n, vnet_send(&self->net, n, len, gap_us));
	rx_wait(self, before.frames + n, &after);
	if (us)
		*us = now_us() - t0;
	EXPECT_EQ(before.frames + n, after.frames);
	EXPECT_EQ(0, after.bad);
	*irqs = after.irqs - before.irqs;
}

static void stream(struct __test_metadata *_metadata,
		   FIXTURE_DATA(vn) *self, uint32_t n, uint32_t len,
		   uint32_t gap_us, uint64_t *irqs)
{
	stream_timed(_metadata, self, n, len, gap_us, irqs, NULL);
}

/*
 * The most interrupts moderation with latency interval @rx_usecs lets
 * through in @us: the first held notification starts the interval and
 * the next can only come after a delivery, so deliveries are at least
 * @rx_usecs apart (overflow-usecs is longer), whatever the host's pace.
 */
static uint64_t moderated_max(uint64_t us, uint32_t rx_usecs)
{
	return us / rx_usecs + 2;	/* the first, and one at the end */
}

/*
 * That bound is what proves moderation; against the interrupts the same
 * stream took unmoderated only "fewer" holds whatever the pace: a guest
 * too slow to keep up (the debug kernel under load stretched 200 frames
 * 1 ms apart to 1.9 s) polls most frames without an interrupt anyway,
 * and each latency interval then holds only one or two.
 */

/* The slowest pace up to GAP_US_MAX at which the guest takes >n/2 irqs. */
static uint32_t direct_pace(struct __test_metadata *_metadata,
			    FIXTURE_DATA(vn) *self, uint64_t *irqs)
{
	uint32_t gap;

	for (gap = GAP_US;; gap *= 2) {
		stream(_metadata, self, FRAMES, VNET_FRAME_MIN, gap, irqs);
		if (*irqs > FRAMES / 2 || gap >= GAP_US_MAX)
			return gap;
		TH_LOG("%lu interrupts for %d frames %u us apart: slower",
		       (unsigned long)*irqs, FRAMES, gap);
	}
}

/* A moderated object on the receive queue, resumed; its fd. */
static int moderate(struct __test_metadata *_metadata,
		    FIXTURE_DATA(vn) *self, int call_fd, uint32_t rx_usecs,
		    uint32_t overflow_usecs, bool resume, uint32_t *id)
{
	struct keel_coalesce_setup s;
	int fd;

	coal_setup_init(&s, self->vm->fd, self->rx->fd, rx_usecs,
			overflow_usecs, "vhost-rx");
	s.call_fd = call_fd;
	fd = open(KEEL_COALESCE_DEVICE, O_RDWR | O_CLOEXEC);
	EXPECT_LE(0, fd);
	if (fd < 0)
		return -1;
	EXPECT_EQ(0, coal_ioctl(fd, KEEL_COALESCE_IOC_SETUP, &s));
	if (resume)
		EXPECT_EQ(0, state_simple(fd, KEEL_STATE_IOC_RESUME));
	*id = s.id;
	return fd;
}

static int coal_del(uint32_t id)
{
	char ids[16], out[4096];

	snprintf(ids, sizeof(ids), "%u", id);
	return keel_test_keelctl((const char *[]){ "coalesce", "del", ids,
						   NULL },
				 NULL, out, sizeof(out), false);
}

static uint32_t min_u32(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Unmodified-QEMU path: Keel moderates on the irqfd vhost signals. */
TEST_F_TIMEOUT(vn, stream_moderated_and_restored, 900)
{
	uint64_t direct, moderated, again, us;
	struct coal_snap c;
	uint32_t gap, id;
	int fd;

	gap = direct_pace(_metadata, self, &direct);
	fd = moderate(_metadata, self, -1, min_u32(10 * gap, 1000000),
		      min_u32(20 * gap, 1000000), true, &id);
	ASSERT_LE(0, fd);
	/* it stays with the VM, as "keelctl coalesce add" leaves it */
	ASSERT_EQ(0, coal_ioctl(fd, KEEL_IOC_ATTACH, NULL));
	close(fd);
	stream_timed(_metadata, self, FRAMES, VNET_FRAME_MAX, gap, &moderated,
		     &us);
	ASSERT_EQ(0, coal_snap(id, &c));
	EXPECT_EQ(1, c.direct_call);
	EXPECT_LE(moderated, c.irqs);
	EXPECT_LT(c.irqs, c.notifications);
	EXPECT_LT(0, c.latency + c.overflow);
	EXPECT_LE((uint64_t)(c.latency + c.overflow),
		  moderated_max(us, 10 * gap));
	/* an operator turns it off: direct delivery, nothing held lost */
	EXPECT_EQ(0, coal_del(id));
	EXPECT_EQ(-1, coal_snap(id, &c));
	stream(_metadata, self, FRAMES, VNET_FRAME_MIN, gap, &again);
	TH_LOG("%d frames %u us apart: %lu interrupts direct, %lu moderated (in %lu ms), %lu direct again",
	       FRAMES, gap, (unsigned long)direct, (unsigned long)moderated,
	       (unsigned long)(us / 1000), (unsigned long)again);
	EXPECT_LT(FRAMES / 2, direct);
	EXPECT_LT(moderated, direct);
	EXPECT_LT(moderated, again);
}

/*
 * A cooperating VMM: vhost signals Keel's call eventfd, Keel signals the
 * irqfd. Done, the VMM points vhost back at the irqfd and passes on what
 * came in between, as QEMU does when it unmasks a vector.
 */
TEST_F_TIMEOUT(vn, cooperating_vmm_call_eventfd, 900)
{
	uint64_t direct, moderated, v, us;
	struct coal_snap c;
	uint32_t gap, id;
	int fd, call;

	gap = direct_pace(_metadata, self, &direct);
	call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, call);
	fd = moderate(_metadata, self, call, min_u32(10 * gap, 1000000),
		      min_u32(20 * gap, 1000000), true, &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vnet_set_call(&self->net, call));
	stream_timed(_metadata, self, FRAMES, VNET_FRAME_MIN, gap, &moderated,
		     &us);
	ASSERT_EQ(0, coal_snap(id, &c));
	EXPECT_EQ(0, c.direct_call);
	EXPECT_LT(c.irqs, c.notifications);
	TH_LOG("%d frames %u us apart: %lu interrupts direct, %lu through Keel's call eventfd (%lld notifications in %lu ms)",
	       FRAMES, gap, (unsigned long)direct, (unsigned long)moderated,
	       c.notifications, (unsigned long)(us / 1000));
	EXPECT_LE((uint64_t)(c.latency + c.overflow),
		  moderated_max(us, 10 * gap));
	EXPECT_LT(moderated, direct);
	/* Keel consumed every signal: none left in its eventfd */
	EXPECT_EQ(-1, read(call, &v, sizeof(v)));

	ASSERT_EQ(0, vnet_set_call(&self->net, self->rx->fd));
	close(fd);
	if (read(call, &v, sizeof(v)) == sizeof(v))
		irqfd_trigger(self->rx);
	close(call);
	stream(_metadata, self, FRAMES / 4, VNET_FRAME_MIN, gap, &v);
	EXPECT_LT(0, v);
}

/* 0 once Keel sees the object's vCPU halted (inactive), -1 if it never is. */
static int wait_halted(uint32_t id)
{
	struct coal_snap c;
	int i;

	for (i = 0; i < 3000; i++) {
		if (coal_snap(id, &c))
			return -1;
		if (!c.active)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* Halted: held for the overflow interval, which wakes the guest. */
TEST_F_TIMEOUT(vn, overflow_wakes_halted_guest, 900)
{
	const uint32_t ovf_us = 200000;
	struct timespec t0, t1;
	struct rx before, after;
	struct coal_snap c;
	uint64_t waited_us;
	uint32_t id;
	int fd, i;

	fd = moderate(_metadata, self, -1, 1000, ovf_us, true, &id);
	ASSERT_LE(0, fd);
	for (i = 0; i < 3; i++) {
		/*
		 * Sent only once KVM has the vCPU halted: after the previous
		 * frame the guest still runs (reposts, kicks) before its HLT,
		 * and a frame that meets it running is latency-moderated.
		 */
		ASSERT_EQ(0, wait_halted(id));
		rx_now(self, &before);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ASSERT_EQ(1, vnet_send(&self->net, 1, VNET_FRAME_MIN, 0));
		rx_wait(self, before.frames + 1, &after);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ASSERT_EQ(before.frames + 1, after.frames);
		waited_us = (t1.tv_sec - t0.tv_sec) * 1000000ull +
			    t1.tv_nsec / 1000 - t0.tv_nsec / 1000;
		TH_LOG("a frame into the halted guest arrived after %lu us (overflow interval %u us)",
		       (unsigned long)waited_us, ovf_us);
		/* held, not delivered at once: never before the interval */
		EXPECT_LE(ovf_us, waited_us);
	}
	ASSERT_EQ(0, coal_snap(id, &c));
	EXPECT_EQ(3, c.overflow);
	EXPECT_EQ(0, c.latency);
	EXPECT_EQ(3, c.held_inactive);
	close(fd);
}

static int pin(pthread_t t, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(t, sizeof(set), &set);
}

/*
 * The guest runs (spins) but shares its CPU with a hog: while the hog has
 * the CPU the vCPU is preempted, inactive; what arrives then waits for
 * the overflow interval. Every frame still arrives.
 */
TEST_F_TIMEOUT(vn, preempted_vcpu_overflow, 900)
{
	struct coal_snap c;
	uint64_t irqs;
	uint32_t id;
	pid_t hog;
	int fd;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU: vhost would share it too");
	GUEST(self, spin) = 1;
	fd = moderate(_metadata, self, -1, 0, 2000, true, &id);
	ASSERT_LE(0, fd);
	/* the peer and vhost's worker elsewhere */
	keel_test_pin_task(self->net.peer, 1);
	ASSERT_EQ(0, pin(pthread_self(), 1));
	ASSERT_EQ(0, pin(self->vcpu_thread, 0));
	hog = keel_test_hog(0);
	ASSERT_LT(0, hog);
	stream(_metadata, self, FRAMES, VNET_FRAME_MIN, GAP_US, &irqs);
	kill(hog, SIGKILL);
	waitpid(hog, NULL, 0);
	ASSERT_EQ(0, coal_snap(id, &c));
	TH_LOG("%d frames, vCPU sharing its CPU: %lld notifications, %lld direct, %lld held while preempted, %lld overflow wake-ups, %lu interrupts",
	       FRAMES, c.notifications, c.direct, c.held_inactive, c.overflow,
	       (unsigned long)irqs);
	EXPECT_LT(0, c.held_inactive);
	EXPECT_LT(0, c.overflow);
	EXPECT_LT(0, c.direct);
	close(fd);
}

/* Stopped, the object holds; @how ends that, the guest gets them all. */
enum release { BY_RESUME, BY_CLOSE, BY_DEL };

static void held_then(struct __test_metadata *_metadata,
		      FIXTURE_DATA(vn) *self, enum release how)
{
	struct rx before, after;
	struct coal_snap c;
	uint32_t id;
	int fd, i;

	fd = moderate(_metadata, self, -1, 1000, 1000, false, &id);
	ASSERT_LE(0, fd);
	/* the guest posted its buffers and sleeps */
	for (i = 0; i < 3000 && !GUEST(self, halts); i++)
		usleep(10000);
	ASSERT_LT(0, GUEST(self, halts));
	rx_now(self, &before);
	ASSERT_EQ(20, vnet_send(&self->net, 20, VNET_FRAME_MIN, 100));
	/* vhost used them and signalled; the guest, halted, saw nothing */
	for (i = 0; i < 3000; i++) {
		ASSERT_EQ(0, coal_snap(id, &c));
		if (c.notifications)
			break;
		usleep(10000);
	}
	ASSERT_LE(1, c.notifications);
	usleep(200000);
	ASSERT_EQ(0, coal_snap(id, &c));
	EXPECT_EQ(c.notifications, c.held);
	EXPECT_EQ(0, c.irqs);
	rx_now(self, &after);
	EXPECT_EQ(before.frames, after.frames);
	switch (how) {
	case BY_RESUME:
		EXPECT_EQ(0, state_simple(fd, KEEL_STATE_IOC_RESUME));
		break;
	case BY_CLOSE:
		close(fd);
		fd = -1;
		break;
	case BY_DEL:
		/* attached to the VM, the operator's to remove */
		EXPECT_EQ(0, coal_ioctl(fd, KEEL_IOC_ATTACH, NULL));
		close(fd);
		fd = -1;
		EXPECT_EQ(0, coal_del(id));
		break;
	}
	rx_wait(self, before.frames + 20, &after);
	EXPECT_EQ(before.frames + 20, after.frames);
	EXPECT_LT(before.irqs, after.irqs);
	if (fd >= 0)
		close(fd);
}

TEST_F_TIMEOUT(vn, held_frames_delivered_on_resume, 600)
{
	held_then(_metadata, self, BY_RESUME);
}

TEST_F_TIMEOUT(vn, held_frames_delivered_on_close, 600)
{
	held_then(_metadata, self, BY_CLOSE);
}

TEST_F_TIMEOUT(vn, held_frames_delivered_on_del, 600)
{
	held_then(_metadata, self, BY_DEL);
}

TEST_HARNESS_MAIN
