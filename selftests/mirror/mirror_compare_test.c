// SPDX-License-Identifier: GPL-2.0
/*
 * Writes that nobody declares (KEEL_MIRROR_SETUP_COMPARE): the VMM writes
 * guest memory through its own mapping, as QEMU's device emulation does,
 * without telling Keel. In a range set up with COMPARE the periodic check
 * finds each page so written and copies it, and only those: the mirror
 * equals the guest's memory again, and a page the guest itself wrote
 * (mirrored already) is not counted. A range without COMPARE, checked as
 * often, keeps the old bytes: the negative control.
 */
#include "mirror_test.h"

#include <time.h>

#include "keel_test_file.h"
#include "keel_vm.h"

#define RANGE_PAGES	8
#define RANGE_LEN	(RANGE_PAGES * 4096ULL)
#define SCRUB_MS	"/sys/module/keel_mirror/parameters/scrub_ms"
/* polls of 100 ms for the periodic work: 30 s, the debug kernel's slowest */
#define POLLS		300

static const unsigned int written[] = { 1, 3, 6 };

/* The guest stores to the first page of the range, then syncs. */
static void guest_main(uint64_t base)
{
	uint64_t *p = (uint64_t *)base, i;

	for (i = 0; i < 512; i++)
		p[i] = 0x5151515151515151ULL ^ i;
	GUEST_SYNC(0);
}

FIXTURE(cmp) {
	struct keel_vm *vm;
	uint64_t gpa[2];
	uint8_t *mem[2];
	int fd[2];
	uint32_t id[2];
	char scrub_ms[32];
};

FIXTURE_SETUP(cmp)
{
	int i, fd;

	self->vm = NULL;
	self->fd[0] = self->fd[1] = -1;
	self->scrub_ms[0] = 0;
	MIRROR_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_LT(0, read_text(SCRUB_MS, self->scrub_ms,
			       sizeof(self->scrub_ms)));
	ASSERT_EQ(0, write_text(SCRUB_MS, "50"));
	self->vm = vm_create(0, 0);
	ASSERT_NE(NULL, self->vm);
	for (i = 0; i < 2; i++) {
		self->gpa[i] = vm_alloc(self->vm, RANGE_LEN);
		self->mem[i] = vm_gpa2hva(self->vm, self->gpa[i], RANGE_LEN);
		ASSERT_NE(NULL, self->mem[i]);
		/* range 0 compares, range 1 does not */
		self->fd[i] = mirror_add_flags(self->vm->fd, self->gpa[i],
					       RANGE_LEN,
					       i ? 0 : KEEL_MIRROR_SETUP_COMPARE,
					       &self->id[i]);
		ASSERT_LE(0, self->fd[i]);
	}
}

FIXTURE_TEARDOWN(cmp)
{
	int i;

	for (i = 0; i < 2; i++)
		if (self->fd[i] >= 0)
			close(self->fd[i]);
	if (self->vm)
		vm_free(self->vm);
	if (self->scrub_ms[0])
		write_text(SCRUB_MS, self->scrub_ms);
}

static long long info(FIXTURE_DATA(cmp) *self, int i, const char *key)
{
	return keel_test_obj_info("mirror", self->id[i], key);
}

/* Until counter @key of range @i reaches @want: its value then. */
static long long wait_info(FIXTURE_DATA(cmp) *self, int i, const char *key,
			   long long want)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	long long v = info(self, i, key);
	int n;

	for (n = 0; n < POLLS && v < want; n++) {
		nanosleep(&ts, NULL);
		v = info(self, i, key);
	}
	return v;
}

/* Two whole passes of range @i's periodic work after now. */
static void two_passes(struct __test_metadata *_metadata,
		       FIXTURE_DATA(cmp) *self, int i)
{
	long long passes = info(self, i, "scrub_passes");

	ASSERT_LE(0, passes);
	ASSERT_LE(passes + 2, wait_info(self, i, "scrub_passes", passes + 2));
}

TEST_F_TIMEOUT(cmp, vmm_writes_found_by_comparing, 300)
{
	struct keel_vcpu *vcpu;
	struct ucall uc;
	uint64_t first = 0;
	unsigned int k;
	long n;
	int i;

	EXPECT_EQ(1, info(self, 0, "compare"));
	EXPECT_EQ(0, info(self, 1, "compare"));

	/* the guest's own stores are mirrored as they happen: not counted */
	vcpu = vm_vcpu_add(self->vm, guest_main);
	ASSERT_NE(NULL, vcpu);
	ASSERT_EQ(0, vcpu_args_set(vcpu, self->gpa[0]));
	ASSERT_EQ(UCALL_SYNC, guest_run(vcpu, &uc))
		TH_LOG("%s", ucall_str(vcpu, &uc));
	EXPECT_EQ(512, info(self, 0, "guest_writes"));
	two_passes(_metadata, self, 0);
	EXPECT_EQ(0, info(self, 0, "compare_pages"));

	/* the VMM writes three pages of each range behind Keel's back */
	for (i = 0; i < 2; i++)
		for (k = 0; k < ARRAY_SIZE(written); k++)
			memset(self->mem[i] + written[k] * 4096ULL, 0xa5 + i,
			       4096);
	n = mirror_diff(self->fd[0], self->gpa[0], self->mem[0], RANGE_LEN,
			NULL);
	EXPECT_EQ(3 * 4096, n) TH_LOG("before a comparison");

	EXPECT_EQ(3, wait_info(self, 0, "compare_pages", 3));
	n = mirror_diff(self->fd[0], self->gpa[0], self->mem[0], RANGE_LEN,
			&first);
	EXPECT_EQ(0, n) TH_LOG("%ld bytes differ, the first at +%#llx", n,
			       (unsigned long long)first);
	/* equal pages are not copied again */
	two_passes(_metadata, self, 0);
	EXPECT_EQ(3, info(self, 0, "compare_pages"));

	/* without COMPARE the same writes stay out of the mirror */
	two_passes(_metadata, self, 1);
	n = mirror_diff(self->fd[1], self->gpa[1], self->mem[1], RANGE_LEN,
			NULL);
	EXPECT_EQ(3 * 4096, n);
	EXPECT_EQ(0, info(self, 1, "compare_pages"));
}

TEST_HARNESS_MAIN
