// SPDX-License-Identifier: GPL-2.0
/*
 * Mirror pages poisoned with the kernel's own injector (hwpoison-inject's
 * corrupt-pfn: memory_failure() on the page frame, as a real failure
 * reported by the machine does) and rebuilt by Keel from the guest page:
 *
 * - while a guest writes and checks its pages, random mirror pages fail;
 *   every one is rebuilt (a new page frame, the old one gone from the
 *   range), the mirror equals the guest's memory, and the rebuilt mirror
 *   then repairs every guest page poisoned in turn: the guest's last
 *   values are all there, and the VMM (which knows nothing of Keel, as
 *   QEMU) gets no SIGBUS;
 * - with the checks off (scrub_ms=0) a poisoned mirror page reads as EIO,
 *   not as a machine check of the host; turned on again, it is rebuilt.
 *
 * The mirror's page frames come from debugfs keel_mirror/pages.
 */
#include "mirror_test.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>

#include "keel_test_file.h"
#include "keel_vm.h"
#include "poison.h"
#include "rounds.h"

#define RANGE_PAGES	8
#define RANGE_LEN	(RANGE_PAGES * 4096ULL)
#define ROUNDS		24

static volatile int bad_signals;

/* The range in the VMM, for the MMIO handler. */
static struct {
	uint8_t *mem;
	uint64_t gpa;
} ram;

/* Any SIGBUS: Keel should have kept it; die loudly, as without Keel. */
static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	bad_signals++;
	signal(SIGBUS, SIG_DFL);
}

/* An answer to an MMIO exit in RAM, as QEMU gives: its own access. */
static bool on_mmio(struct keel_vcpu *vcpu, uint64_t gpa, bool write,
		    void *data, unsigned int size, void *opaque)
{
	(void)vcpu;
	(void)opaque;
	if (write)
		memcpy(ram.mem + (gpa - ram.gpa), data, size);
	else
		memcpy(data, ram.mem + (gpa - ram.gpa), size);
	return true;
}

struct poisoner {
	volatile bool stop;
	long id;
	uint64_t gpa;
	int poisoned, again, failed, err;
	unsigned long pfns[16];
	unsigned int seed;
};

/* A random mirror page of the range every 20 to 50 ms. */
static void *poison_loop(void *arg)
{
	struct poisoner *p = arg;
	struct timespec ts;
	unsigned long pfn;
	int ret;

	while (!p->stop) {
		ts = (struct timespec){ 0, (20 + rand_r(&p->seed) % 31) * 1000000L };
		nanosleep(&ts, NULL);
		pfn = mirror_pfn(p->id, p->gpa + rand_r(&p->seed) % RANGE_PAGES *
				 4096);
		ret = pfn ? poison_pfn(pfn) : -ENOENT;
		if (ret > 0 && p->poisoned < 16)
			p->pfns[p->poisoned] = pfn;
		if (ret > 0)
			p->poisoned++;
		else if (!ret)
			p->again++;	/* failed, not rebuilt yet */
		else if (!p->failed++)
			p->err = -ret;
	}
	return NULL;
}

/* The range's mirror as the VMM's memory: 0, or bytes that differ. */
static long diff_mirror(long id, uint64_t gpa, const void *mem)
{
	struct keel_obj_open op = { .size = sizeof(op), .id = id };
	uint64_t first = 0;
	long n;
	int fd;

	fd = open(KEEL_MIRROR_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = mirror_ioctl(fd, KEEL_IOC_OBJ_OPEN, &op);
	close(fd);
	if (n)
		return n;
	n = mirror_diff(op.fd, gpa, mem, RANGE_LEN, &first);
	close(op.fd);
	return n;
}

FIXTURE(scrub) {
	struct keel_vm *vm;
	uint64_t gpa;
	uint8_t *mem;
	long id;
};

FIXTURE_SETUP(scrub)
{
	const char *why;
	int fd;

	fd = open(KEEL_MIRROR_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		SKIP(return, "keel_mirror.ko is not loaded");
	ASSERT_LE(0, fd);
	close(fd);
	why = injector();
	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, write_text(SCRUB_MS, "100"));
	self->vm = vm_create(0, 0);
	ASSERT_NE(NULL, self->vm);
	self->gpa = vm_alloc(self->vm, RANGE_LEN);
	self->mem = vm_gpa2hva(self->vm, self->gpa, RANGE_LEN);
	ASSERT_NE(NULL, self->mem);
	memset(self->mem, 0x5a, RANGE_LEN);
	/* Keel repairs the guest's pages on its own, as for QEMU */
	self->id = mirror_add_by_child(self->vm->fd, self->gpa, RANGE_LEN,
				       KEEL_MIRROR_SETUP_REPAIR, NULL);
	ASSERT_LT(0, self->id) TH_LOG("setup: %s",
				      strerror((int)-self->id));
}

FIXTURE_TEARDOWN(scrub)
{
	char ids[24], out[256];

	write_text(SCRUB_MS, "1000");
	if (self->id > 0) {
		snprintf(ids, sizeof(ids), "%ld", self->id);
		keel_test_keelctl((const char *[]){ "mirror", "del", ids, NULL },
				  NULL, out, sizeof(out), false);
	}
	if (self->vm)
		vm_free(self->vm);
}

TEST_F_TIMEOUT(scrub, mirror_pages_poisoned_while_the_guest_works, 900)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO };
	struct poisoner p = { .seed = 11, .id = self->id, .gpa = self->gpa };
	long long rebuilt, repaired;
	uint64_t r, i, wrong = 0;
	struct keel_vcpu *vcpu;
	struct ucall uc;
	pthread_t t;
	int k;

	ram.mem = self->mem;
	ram.gpa = self->gpa;
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	ASSERT_EQ(0, vm_ram_mmio_handler_add(self->vm, self->gpa, RANGE_LEN,
					     on_mmio, NULL));
	vcpu = vm_vcpu_add(self->vm, rounds_guest);
	ASSERT_NE(NULL, vcpu);
	ASSERT_EQ(0, vcpu_args_set(vcpu, self->gpa, RANGE_LEN, ROUNDS));

	ASSERT_EQ(0, pthread_create(&t, NULL, poison_loop, &p));
	for (r = 1; r <= ROUNDS; r++) {
		if (guest_run(vcpu, &uc) != UCALL_SYNC)
			break;
		EXPECT_EQ(r, uc.args[0]);
		EXPECT_EQ(0, uc.args[1]) TH_LOG("round %llu: %llu values lost",
						(unsigned long long)r,
						(unsigned long long)uc.args[1]);
		/* rounds take a few ms: poisonings spread over them */
		usleep(20000);
	}
	p.stop = true;
	pthread_join(t, NULL);
	ASSERT_EQ(ROUNDS + 1, r) TH_LOG("the guest stopped: %s",
					ucall_str(vcpu, &uc));
	EXPECT_EQ(0, p.failed) TH_LOG("corrupt-pfn: %s", strerror(p.err));
	ASSERT_LT(0, p.poisoned);

	/* every failed mirror page rebuilt: a new frame, the same content */
	rebuilt = wait_rebuilt(self->id, p.poisoned);
	EXPECT_EQ(p.poisoned, rebuilt);
	for (k = 0; k < p.poisoned && k < 16; k++)
		for (i = 0; i < RANGE_PAGES; i++)
			EXPECT_NE(p.pfns[k], mirror_pfn(self->id,
							self->gpa + i * 4096));
	EXPECT_EQ(0, diff_mirror(self->id, self->gpa, self->mem));

	/* the rebuilt mirror repairs every guest page that fails now */
	for (i = 0; i < RANGE_PAGES; i++)
		EXPECT_EQ(0, madvise(self->mem + i * 4096, 4096,
				     MADV_HWPOISON));
	for (i = 0; i < RANGE_LEN / 8; i++)
		wrong += ((uint64_t *)self->mem)[i] != rounds_value(ROUNDS, i);
	EXPECT_EQ(0, wrong);
	EXPECT_EQ(0, bad_signals);
	repaired = keel_test_obj_info("mirror", self->id, "repaired_pages");
	EXPECT_EQ(RANGE_PAGES, repaired);
	TH_LOG("%d mirror pages poisoned (%d more times before their rebuild), %lld rebuilt; %lld guest pages repaired from the rebuilt mirror",
	       p.poisoned, p.again, rebuilt, repaired);
}

TEST_F_TIMEOUT(scrub, poisoned_mirror_reads_eio_until_rebuilt, 300)
{
	uint64_t gpa = self->gpa + 3 * 4096;
	struct keel_obj_open op = { .size = sizeof(op), .id = self->id };
	unsigned long pfn;
	uint8_t buf[4096];
	int fd;

	fd = open(KEEL_MIRROR_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mirror_ioctl(fd, KEEL_IOC_OBJ_OPEN, &op));
	close(fd);
	ASSERT_EQ(0, write_text(SCRUB_MS, "0"));
	/* a check under way with the old setting ends first */
	usleep(300000);
	pfn = mirror_pfn(self->id, gpa);
	ASSERT_NE(0, pfn);
	ASSERT_EQ(1, poison_pfn(pfn));
	EXPECT_EQ(0, poison_pfn(pfn));		/* failed already */
	EXPECT_EQ(-EIO, mirror_read(op.fd, gpa, buf, 8));
	EXPECT_EQ(0, mirror_read(op.fd, gpa - 4096, buf, 4096));
	sleep(2);
	EXPECT_EQ(0, keel_test_obj_info("mirror", self->id, "mirror_rebuilt"));
	EXPECT_EQ(pfn, mirror_pfn(self->id, gpa));

	ASSERT_EQ(0, write_text(SCRUB_MS, "100"));
	EXPECT_EQ(1, wait_rebuilt(self->id, 1));
	EXPECT_NE(pfn, mirror_pfn(self->id, gpa));
	EXPECT_EQ(0, mirror_read(op.fd, gpa, buf, 4096));
	EXPECT_EQ(0, memcmp(buf, self->mem + 3 * 4096, 4096));
	close(op.fd);
}

TEST_HARNESS_MAIN
