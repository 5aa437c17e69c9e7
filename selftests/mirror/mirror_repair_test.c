// SPDX-License-Identifier: GPL-2.0
/*
 * Pages of a protected range poisoned (madvise(MADV_HWPOISON), a real
 * memory failure as far as the kernel knows) while a guest writes and
 * checks them, and repaired from the mirror by this VMM's answers:
 *
 * - a guest read of a poisoned page: KVM sends the vCPU thread SIGBUS
 *   (BUS_MCEERR_AR at the page's address); the handler calls
 *   KEEL_MIRROR_IOC_REPAIR and the vCPU goes on;
 * - a guest store to a poisoned page: KVM emulates it (the page is
 *   write-tracked), cannot write the page and exits with MMIO at its
 *   address; the handler repairs, then makes the store with
 *   KEEL_MIRROR_IOC_WRITE (guest page and mirror);
 * - the VMM's own read of a poisoned page: SIGBUS in its thread, the same
 *   handler;
 * - on 6.12, MADV_HWPOISON itself: an "action required" failure of the
 *   thread that poisons, which gets the SIGBUS at once (on 6.1 only the
 *   next access brings it), so there the guest meets a poisoned page
 *   only when the poisoning races with its access.
 *
 * The guest finds every value it wrote, round after round; memory equals
 * the mirror; every poisoned page was repaired, and not more.
 *
 * Then the same for a VMM that knows nothing of Keel, as QEMU: another
 * process sets the range up with KEEL_MIRROR_SETUP_REPAIR and attaches
 * it to the VM; the VMM must get no SIGBUS at all (Keel repairs when the
 * failure is signalled: to the vCPU thread, to the VMM's own access, to
 * an early-kill process at the failure) and answers an MMIO exit at a
 * RAM address as QEMU does, by writing its memory.
 */
#include "mirror_test.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "keel_test_kernel.h"
#include "keel_vm.h"
#include "rounds.h"

#define RANGE_PAGES	8
#define RANGE_LEN	(RANGE_PAGES * 4096ULL)
#define ROUNDS		24
/*
 * On the debug kernel a round takes about ten times as long, and the
 * poisoner (every 5 to 20 ms) fails about three times as many pages a
 * round: 8 rounds there fail about as many pages as 24 on the stock
 * kernels, or more.
 */
#define ROUNDS_DEBUG	8

static uint64_t rounds(void)
{
	return keel_test_debug_kernel() ? ROUNDS_DEBUG : ROUNDS;
}

/* What the handlers need: one range, of this process. */
static struct {
	int fd;
	uint64_t gpa;
	uint8_t *mem;
	volatile int bad_signals, repairs, repair_errors, mmio, mmio_errors;
	volatile int mmio_writes;
	volatile int repair_errno;	/* the first error's */
} g;

static int repair(uint64_t gpa)
{
	struct keel_mirror_repair r = {
		.size = sizeof(r), .gpa = gpa & ~4095ULL,
	};

	if (ioctl(g.fd, KEEL_MIRROR_IOC_REPAIR, &r))
		return -errno;
	return r.result & KEEL_MIRROR_REPAIRED;
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uint8_t *addr = si->si_addr;
	int ret;

	(void)sig;
	(void)uc;
	if (si->si_code != BUS_MCEERR_AR || addr < g.mem ||
	    addr >= g.mem + RANGE_LEN) {
		g.bad_signals++;
		signal(SIGBUS, SIG_DFL);	/* fail loudly, as without Keel */
		return;
	}
	ret = repair(g.gpa + (addr - g.mem));
	if (ret >= 0)
		g.repairs++;
	else if (!g.repair_errors++)
		g.repair_errno = -ret;
}

static bool on_mmio(struct keel_vcpu *vcpu, uint64_t gpa, bool write,
		    void *data, unsigned int size, void *opaque)
{
	struct keel_mirror_write w = {
		.size = sizeof(w), .gpa = gpa, .len = size,
		.buf = (uintptr_t)data,
	};

	(void)vcpu;
	(void)opaque;
	g.mmio++;
	if (repair(gpa) < 0) {
		g.mmio_errors++;
		return false;
	}
	if (write && ioctl(g.fd, KEEL_MIRROR_IOC_WRITE, &w))
		g.mmio_errors++;
	if (!write)
		memcpy(data, g.mem + (gpa - g.gpa), size);
	return true;
}

struct poisoner {
	volatile bool stop;
	int poisoned, again, busy, failed, err;
	unsigned int seed;
};

/* A random page of the range every 5 to 20 ms. */
static void *poison_loop(void *arg)
{
	struct poisoner *p = arg;
	struct timespec ts;

	while (!p->stop) {
		ts = (struct timespec){ 0, (5 + rand_r(&p->seed) % 16) * 1000000L };
		nanosleep(&ts, NULL);
		if (!madvise(g.mem + rand_r(&p->seed) % RANGE_PAGES * 4096,
			     4096, MADV_HWPOISON))
			p->poisoned++;
		else if (errno == EFAULT || errno == EHWPOISON)
			p->again++;	/* poisoned, not repaired yet */
		/*
		 * memory_failure() marks the page before it isolates it; when
		 * the isolation fails (an unmap raced by a fault of the guest's),
		 * it says EBUSY and the page stays marked, to be repaired.
		 */
		else if (errno == EBUSY)
			p->busy++;
		else if (!p->failed++)
			p->err = errno;
	}
	return NULL;
}

/* The guest's rounds while @p poisons: each finds every value. */
static void rounds_while_poisoned(struct __test_metadata *_metadata,
				  struct keel_vcpu *vcpu, struct poisoner *p)
{
	struct ucall uc;
	pthread_t t;
	uint64_t r;

	ASSERT_EQ(0, pthread_create(&t, NULL, poison_loop, p));
	for (r = 1; r <= rounds(); r++) {
		if (guest_run(vcpu, &uc) != UCALL_SYNC)
			break;
		EXPECT_EQ(r, uc.args[0]);
		EXPECT_EQ(0, uc.args[1]) TH_LOG("round %llu: %llu values lost",
						(unsigned long long)r,
						(unsigned long long)uc.args[1]);
	}
	p->stop = true;
	pthread_join(t, NULL);
	EXPECT_EQ(rounds() + 1, r) TH_LOG("the guest stopped: %s",
					ucall_str(vcpu, &uc));
}

FIXTURE(repair) {
	int unused;
};

FIXTURE_SETUP(repair)
{
}

FIXTURE_TEARDOWN(repair)
{
}

/* Seconds on the stock kernels; far more on the debug kernel. */
TEST_F_TIMEOUT(repair, poisoned_while_the_guest_works, 900)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO };
	struct poisoner p = { .seed = 42 };
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	uint64_t first = 0;
	uint32_t id = 0;
	long n;

	g.fd = open(KEEL_MIRROR_DEVICE, O_RDWR | O_CLOEXEC);
	if (g.fd < 0 && errno == ENOENT)
		SKIP(return, "keel_mirror.ko is not loaded");
	ASSERT_LE(0, g.fd);
	close(g.fd);
	vm = vm_create(0, 0);
	ASSERT_NE(NULL, vm);
	g.gpa = vm_alloc(vm, RANGE_LEN);
	g.mem = vm_gpa2hva(vm, g.gpa, RANGE_LEN);
	ASSERT_NE(NULL, g.mem);
	memset(g.mem, 0x5a, RANGE_LEN);
	g.fd = mirror_add(vm->fd, g.gpa, RANGE_LEN, &id);
	ASSERT_LE(0, g.fd);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	ASSERT_EQ(0, vm_ram_mmio_handler_add(vm, g.gpa, RANGE_LEN, on_mmio,
					     NULL));
	vcpu = vm_vcpu_add(vm, rounds_guest);
	ASSERT_NE(NULL, vcpu);
	ASSERT_EQ(0, vcpu_args_set(vcpu, g.gpa, RANGE_LEN, rounds()));

	rounds_while_poisoned(_metadata, vcpu, &p);

	/* the VMM reads every page: the last poisoned ones repaired too */
	n = mirror_diff(g.fd, g.gpa, g.mem, RANGE_LEN, &first);
	EXPECT_EQ(0, n) TH_LOG("%ld bytes differ, the first at +%#llx", n,
			       (unsigned long long)first);
	TH_LOG("%d pages poisoned (%d more times while poisoned, %d not isolated); repaired: %d on SIGBUS, %lld in all; %d MMIO exits",
	       p.poisoned, p.again, p.busy, g.repairs,
	       keel_test_obj_info("mirror", id, "repaired_pages"), g.mmio);
	EXPECT_LT(0, p.poisoned);
	EXPECT_EQ(0, p.failed) TH_LOG("madvise(MADV_HWPOISON): %s",
				      strerror(p.err));
	EXPECT_EQ(0, g.bad_signals);
	EXPECT_EQ(0, g.repair_errors) TH_LOG("the first: %s",
					     strerror(g.repair_errno));
	EXPECT_EQ(0, g.mmio_errors);
	/* a page poisoned again before its repair is one repair */
	EXPECT_GE(p.poisoned + p.busy, keel_test_obj_info("mirror", id,
							  "repaired_pages"));
	EXPECT_LT(0, keel_test_obj_info("mirror", id, "repaired_pages"));
	close(g.fd);
	vm_free(vm);
}

/* Any SIGBUS: Keel should have kept it; die loudly, as without Keel. */
static void on_sigbus_unexpected(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	g.bad_signals++;
	signal(SIGBUS, SIG_DFL);
}

/* QEMU's answer to an MMIO exit in RAM: its own access to the memory. */
static bool on_mmio_plain(struct keel_vcpu *vcpu, uint64_t gpa, bool write,
			  void *data, unsigned int size, void *opaque)
{
	(void)vcpu;
	(void)opaque;
	g.mmio++;
	g.mmio_writes += write;
	if (write)
		memcpy(g.mem + (gpa - g.gpa), data, size);
	else
		memcpy(data, g.mem + (gpa - g.gpa), size);
	return true;
}

static void unaware_vmm(struct __test_metadata *_metadata, bool early_kill)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus_unexpected,
				.sa_flags = SA_SIGINFO };
	struct poisoner p = { .seed = 7 };
	struct keel_obj_open op = { .size = sizeof(op) };
	uint64_t first = 0;
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	char ids[24], out[256];
	uint64_t i, wrong = 0;
	long id, kept, repaired, n;
	int fd;

	fd = open(KEEL_MIRROR_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		SKIP(return, "keel_mirror.ko is not loaded");
	ASSERT_LE(0, fd);
	close(fd);
	memset(&g, 0, sizeof(g));
	g.fd = -1;
	/* QEMU asks for the early signal (qemu_init_sigbus()) */
	if (early_kill)
		ASSERT_EQ(0, prctl(PR_MCE_KILL, PR_MCE_KILL_SET,
				   PR_MCE_KILL_EARLY, 0, 0));
	vm = vm_create(0, 0);
	ASSERT_NE(NULL, vm);
	g.gpa = vm_alloc(vm, RANGE_LEN);
	g.mem = vm_gpa2hva(vm, g.gpa, RANGE_LEN);
	ASSERT_NE(NULL, g.mem);
	memset(g.mem, 0x5a, RANGE_LEN);
	id = mirror_add_by_child(vm->fd, g.gpa, RANGE_LEN,
				 KEEL_MIRROR_SETUP_REPAIR, NULL);
	ASSERT_LT(0, id) TH_LOG("setup: %s", strerror((int)-id));
	op.id = id;
	EXPECT_EQ(1, keel_test_obj_info("mirror", id, "repair"));
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	ASSERT_EQ(0, vm_ram_mmio_handler_add(vm, g.gpa, RANGE_LEN,
					     on_mmio_plain, NULL));
	vcpu = vm_vcpu_add(vm, rounds_guest);
	ASSERT_NE(NULL, vcpu);
	ASSERT_EQ(0, vcpu_args_set(vcpu, g.gpa, RANGE_LEN, rounds()));

	rounds_while_poisoned(_metadata, vcpu, &p);
	/* the VMM reads every page: the last poisoned ones repaired too */
	for (i = 0; i < RANGE_LEN / 8; i++)
		wrong += ((uint64_t *)g.mem)[i] != rounds_value(rounds(), i);
	EXPECT_EQ(0, wrong);
	/* and the mirror is the same: no store went past it */
	fd = open(KEEL_MIRROR_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mirror_ioctl(fd, KEEL_IOC_OBJ_OPEN, &op));
	close(fd);
	n = mirror_diff(op.fd, g.gpa, g.mem, RANGE_LEN, &first);
	EXPECT_EQ(0, n) TH_LOG("%ld bytes differ, the first at +%#llx", n,
			       (unsigned long long)first);
	close(op.fd);
	EXPECT_EQ(0, g.bad_signals);
	kept = keel_test_obj_info("mirror", id, "signals_kept");
	repaired = keel_test_obj_info("mirror", id, "repaired_pages");
	TH_LOG("%d pages poisoned (%d more times while poisoned, %d not isolated); repaired %ld, %ld signals kept from the VMM; %d MMIO exits, %d writes",
	       p.poisoned, p.again, p.busy, repaired, kept, g.mmio,
	       g.mmio_writes);
	EXPECT_LT(0, p.poisoned);
	EXPECT_EQ(0, p.failed) TH_LOG("madvise(MADV_HWPOISON): %s",
				      strerror(p.err));
	EXPECT_LT(0, repaired);
	EXPECT_GE(p.poisoned + p.busy, repaired);
	/* some found by a guest load or the VMM, the others by a store */
	EXPECT_LT(0, kept);
	/* Keel made every failed store itself: none reached the VMM */
	EXPECT_EQ(0, g.mmio_writes);

	/* the operator's to remove; attached, it would go with the VMM */
	snprintf(ids, sizeof(ids), "%ld", id);
	EXPECT_EQ(0, keel_test_keelctl((const char *[]){ "mirror", "del", ids,
							NULL },
				       NULL, out, sizeof(out), false))
		TH_LOG("%s", out);
	EXPECT_EQ(-1, keel_test_obj_info("mirror", id, "gpa"));
	vm_free(vm);
}

/* The failure found by the guest, the VMM, or the poisoning thread. */
TEST_F_TIMEOUT(repair, unaware_vmm, 900)
{
	unaware_vmm(_metadata, false);
}

/* QEMU's way: told at the failure (BUS_MCEERR_AO), before any access. */
TEST_F_TIMEOUT(repair, unaware_vmm_early_kill, 900)
{
	unaware_vmm(_metadata, true);
}

/* A page that is not poisoned is left alone; outside the range, EINVAL. */
TEST_F(repair, healthy_and_outside)
{
	struct keel_vm *vm = vm_create(0, 0);
	uint32_t id = 0;

	ASSERT_NE(NULL, vm);
	g.gpa = vm_alloc(vm, RANGE_LEN);
	g.fd = mirror_add(vm->fd, g.gpa, RANGE_LEN, &id);
	if (g.fd == -ENOENT)
		SKIP(return, "keel_mirror.ko is not loaded");
	ASSERT_LE(0, g.fd);
	EXPECT_EQ(0, repair(g.gpa + 4096));
	EXPECT_EQ(-EINVAL, repair(g.gpa + RANGE_LEN));
	EXPECT_EQ(-EINVAL, repair(g.gpa - 4096));
	EXPECT_EQ(0, keel_test_obj_info("mirror", id, "repaired_pages"));
	close(g.fd);
	vm_free(vm);
}

TEST_HARNESS_MAIN
