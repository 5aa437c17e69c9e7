// SPDX-License-Identifier: GPL-2.0
/*
 * keel_mirror on an unmodified QEMU running an unmodified Linux guest, as
 * an operator does it. The guest keeps a file of known pages in tmpfs
 * (its RAM) and checks it every second (role "mem-check"). The host finds
 * those pages in QEMU's memory, has "keelctl mirror add --pid" protect a
 * few of them, and makes each fail as a real memory failure does
 * (hwpoison-inject: memory_failure() on its host frame). QEMU, which asks
 * to be told of failures early, is never told: Keel rebuilds each page
 * from its mirror first, and the guest reads its file intact, with no
 * machine check in its log. Without Keel the same failures reach the
 * guest: a machine check, a lost file, or QEMU itself gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "keel_guestmem.h"
#include "keel_test_keelctl.h"

#define BOOT_MS		KEEL_QEMU_BOOT_TIMEOUT_MS
/* A round of the guest's check: a liveness bound, not a measurement. */
#define ROUND_MS	60000
#define FAILED_PAGES	8

static char out[65536];

FIXTURE(mq) {
	struct keel_qemu *q;
	struct keel_guestmem_page f[FAILED_PAGES];
	bool failed[FAILED_PAGES];	/* the kernel failed its frame */
	size_t n;
	uint64_t hva;
	char pid[16];
};

FIXTURE_VARIANT(mq) {
	bool keel;
};

/* Protected by Keel: the guest never knows. */
FIXTURE_VARIANT_ADD(mq, keel) {
	.keel = true,
};

/* The same failures without Keel reach the guest (or end QEMU). */
FIXTURE_VARIANT_ADD(mq, without_keel) {
	.keel = false,
};

/*
 * QEMU booted (again), the guest's first round done, the pages of its
 * file found: 0, or -EDEADLK when the emulated CPU broke the guest.
 */
static int start(struct __test_metadata *_metadata, FIXTURE_DATA(mq) *self)
{
	struct keel_qemu_opts o = {
		.machine = "pc",
		.mem_mib = KEEL_GUESTMEM_MIB,
		.append = KEEL_GUESTMEM_APPEND,
	};
	long ret;

	ret = keel_guestmem_boot(&self->q, &o, "KEEL-GUEST-MEM 1 ok 0",
				 ROUND_MS, &self->hva, self->f, FAILED_PAGES);
	if (ret == -EDEADLK)
		return ret;
	EXPECT_EQ(FAILED_PAGES, ret)
		TH_LOG("found %ld of the guest file's pages", ret);
	if (ret != FAILED_PAGES)
		return -ENOENT;
	self->n = ret;
	snprintf(self->pid, sizeof(self->pid), "%d", keel_qemu_pid(self->q));
	return 0;
}

FIXTURE_SETUP(mq)
{
	self->q = NULL;
	if (keel_test_debug_kernel())
		SKIP(return, KEEL_QEMU_DEBUG_SKIP);
	if (access("/dev/keel-mirror", F_OK))
		SKIP(return, "keel_mirror.ko is not loaded");
	if (access(KEEL_GUESTMEM_CORRUPT_PFN, W_OK))
		SKIP(return, "no hwpoison-inject (" KEEL_GUESTMEM_CORRUPT_PFN ")");
}

FIXTURE_TEARDOWN(mq)
{
	keel_qemu_free(self->q);
}

/*
 * Fails every chosen page's frame; then the guest's next rounds: the
 * number of rounds that read the file intact with no memory failure in
 * the guest's log, of @rounds (fewer when QEMU ended or a round says
 * otherwise), or -EDEADLK when the emulated CPU broke the guest.
 */
static int fail_and_watch(struct __test_metadata *_metadata,
			  FIXTURE_DATA(mq) *self, int rounds)
{
	char line[128], want[64];
	unsigned int r0 = 0, fails;
	const char *log, *last;
	int i, ret, ok = 0;
	uint64_t pfn;
	size_t k;

	/* the round the guest is at */
	log = keel_qemu_console_log(self->q);
	last = log;
	while ((log = strstr(log, "KEEL-GUEST-MEM ")))
		last = log++;
	sscanf(last, "KEEL-GUEST-MEM %u", &r0);
	for (k = 0; k < self->n; k++) {
		pfn = keel_guestmem_pfn(keel_qemu_pid(self->q),
					self->hva + self->f[k].off);
		EXPECT_NE(0, pfn);
		ret = keel_guestmem_fail(pfn);
		self->failed[k] = !ret;
		/*
		 * A frame of a transparent huge page that the kernel could
		 * not split (Debian's THP "always" backs QEMU's RAM so) is
		 * left as it is: "unsplit thp: Ignored", no signal, nothing
		 * to repair. The kernel's limit; see Documentation/mirror.rst.
		 */
		if (ret == -EBUSY)
			TH_LOG("frame 0x%" PRIx64 " (page %u of the file): in a huge page the kernel did not split, not failed",
			       pfn, self->f[k].index);
		else
			EXPECT_EQ(0, ret);
	}
	for (i = 1; i <= rounds; i++) {
		snprintf(want, sizeof(want), "KEEL-GUEST-MEM %u ", r0 + 1 + i);
		ret = keel_qemu_wait_live(self->q, want, ROUND_MS);
		if (!ret)
			ret = keel_qemu_wait_line(self->q, "", line,
						  sizeof(line), ROUND_MS);
		if (ret == -EDEADLK) {
			TH_LOG("round %u: the guest %s: again", r0 + 1 + i,
			       keel_qemu_fault(self->q));
			return ret;
		}
		if (ret)
			break;
		if (sscanf(line, "ok %u", &fails) != 1 || fails)
			break;
		ok++;
	}
	return ok;
}

/* Protect the pages (keelctl mirror add --pid): their ids in @ids. */
static int protect(struct __test_metadata *_metadata, FIXTURE_DATA(mq) *self,
		   unsigned int *ids)
{
	char gpa[32], label[16];
	size_t k;
	int rc;

	for (k = 0; k < self->n; k++) {
		snprintf(gpa, sizeof(gpa), "0x%" PRIx64,
			 KEEL_GUESTMEM_GPA + self->f[k].off);
		snprintf(label, sizeof(label), "page%u", self->f[k].index);
		rc = keel_test_keelctl((const char *[]){
			"mirror", "add", "--pid", self->pid, "--gpa", gpa,
			"--len", "4096", "--label", label, NULL },
			NULL, out, sizeof(out), false);
		EXPECT_EQ(0, rc) TH_LOG("%s", out);
		if (rc)
			return -EIO;
		ids[k] = strtoul(out, NULL, 10);
	}
	return 0;
}

/*
 * Keel, or not, when pages of the guest's file fail. A guest the emulated
 * CPU breaks on the way is started again, the whole run with it.
 */
TEST_F_TIMEOUT(mq, pages_fail, 1800)
{
	unsigned int ids[FAILED_PAGES];
	long long failed = 0, repaired = 0, kept = 0;
	int tries, ok = -EDEADLK;
	char id[16];
	size_t k;

	/* 6.1's harness runs the test after a skip in the setup */
	if (_metadata->skip)
		return;
	for (tries = 0; tries < KEEL_QEMU_BOOT_TRIES && ok == -EDEADLK;
	     tries++) {
		ok = start(_metadata, self);
		if (!ok && variant->keel)
			ok = protect(_metadata, self, ids);
		if (!ok)
			ok = fail_and_watch(_metadata, self, 3);
	}
	if (ok == -EDEADLK)
		KEEL_QEMU_SKIP_ALL_BROKEN(return, KEEL_QEMU_BOOT_TRIES);
	ASSERT_LE(0, ok);
	if (!variant->keel) {
		TH_LOG("without Keel: %d of 3 rounds intact after the failures; QEMU %s",
		       ok, keel_qemu_exit_status(self->q) == -1 ? "runs" : "ended");
		EXPECT_GT(3, ok);
		return;
	}
	EXPECT_EQ(3, ok) keel_qemu_dump(self->q, 4000);
	for (k = 0; k < self->n; k++) {
		failed += self->failed[k];
		/* every failed page repaired, no other */
		EXPECT_EQ(self->failed[k] ? 1 : 0,
			  keel_test_obj_info("mirror", ids[k], "repaired_pages"));
		repaired += keel_test_obj_info("mirror", ids[k], "repaired_pages");
		kept += keel_test_obj_info("mirror", ids[k], "signals_kept");
	}
	TH_LOG("%lld of %zu pages of the guest's file failed: %lld repaired, %lld signals kept from QEMU",
	       failed, self->n, repaired, kept);
	/* most frames are not in a huge page the kernel cannot split */
	EXPECT_LE((long long)self->n / 2, failed);
	EXPECT_EQ(failed, repaired);
	EXPECT_LE(failed, kept);
	for (k = 0; k < self->n; k++) {
		snprintf(id, sizeof(id), "%u", ids[k]);
		EXPECT_EQ(0, keel_test_keelctl((const char *[]){
			"mirror", "del", id, NULL },
			NULL, out, sizeof(out), false)) TH_LOG("%s", out);
	}
}

TEST_HARNESS_MAIN
