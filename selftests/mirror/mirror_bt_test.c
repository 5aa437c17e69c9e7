// SPDX-License-Identifier: GPL-2.0
/*
 * Binary-translated write hot spots in a real KVM guest
 * (Documentation/bt.rst). The guest's store loop over a protected range
 * traps at every store, and keel_mirror's hot-spot profile names it;
 * keel-bt (the bt_xlate helper) translates it into a code cache in guest
 * memory, and its entry is patched with a jump there. The guest's stores
 * then reach the range through its alias memslot (not write-tracked) and
 * the mirror through the mirror window, a memslot over the range's mirror
 * pages mapped from keel_mirror's file: no store traps, and the mirror
 * equals the guest's memory, read through keel_mirror's own ioctl. With
 * the patch removed (the original bytes exactly) every store traps again.
 * Keel's own selection (bt_engine.h over keel-bt's policy): the profile's
 * hot site found, the loop around it translated and entered, the trap
 * rate gone to zero, the translation dropped after its cool-down once
 * the guest stops storing, and chosen again when it stores again;
 * keel_mirror lists each translation in place with the stores it made
 * (KEEL_MIRROR_IOC_XLATE, and its refusals), also when a tool registers
 * it with "keelctl mirror xlate" on an attached range, as for a guest of
 * an unmodified VMM (and keelctl's words for each refusal). A guest page
 * lost while
 * the vCPU is inside the translation with a region open, rebuilt from
 * the mirror and the region log with the vCPU's rollback. The
 * guest rewriting an instruction of the translated loop: the translation
 * is removed before the store is made, the new code runs (trapped), and
 * its own translation follows. A page fault in the translated loop, seen
 * by the guest's handler at the original store, with the original's
 * registers and the mirror equal to memory; one in a translation Keel
 * chose leaves its policy, which chooses the loop again. The translated
 * loop called on memory the range does not cover stores there as the
 * original does, and the policy, which sees it save no trap, drops it.
 * The protection removed: the translation goes first.
 * Also the refusals of the mirror's mmap(2).
 */
#include "bt_engine.h"
#include "keel_test_file.h"
#include "keel_test_kernel.h"
#include "poison.h"

#include <signal.h>

#define PASSES		2
#define STORES		(PASSES * BT_RANGE_LEN / 8)

FIXTURE(bt) {
	struct bt_vm b;
};

FIXTURE_SETUP(bt)
{
	int ret = bt_vm_setup(&self->b);

	if (ret == -ENOENT) {
		bt_vm_free(&self->b);
		SKIP(return, "keel_mirror.ko is not loaded");
	}
	ASSERT_EQ(0, ret) TH_LOG("setup: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(bt)
{
	bt_vm_free(&self->b);
}

/* The guest's memory holds @seed + PASSES - 1 everywhere; mirror equal. */
static void expect_filled(struct __test_metadata *_metadata,
			  struct bt_vm *b, uint64_t seed, const char *when)
{
	uint64_t first = 0, i, bad = 0;

	for (i = 0; i < BT_RANGE_LEN / 8; i++)
		bad += ((uint64_t *)b->mem)[i] != seed + PASSES - 1;
	EXPECT_EQ(0, bad) TH_LOG("%s: qwords not stored", when);
	EXPECT_EQ(0, mirror_diff(b->mfd, b->gpa, b->mem, BT_RANGE_LEN, &first))
		TH_LOG("%s: the mirror differs from %#llx", when,
		       (unsigned long long)first);
	EXPECT_EQ(0, memcmp(b->mirror, b->mem, BT_RANGE_LEN))
		TH_LOG("%s: the mirror window differs", when);
}

/*
 * The range's translations as keelctl shows them (-j mirror
 * translations): how many; the first's start, end, stores and trapped
 * stores into @x (when there is one).
 */
static int translations(struct __test_metadata *_metadata, struct bt_vm *b,
			uint64_t x[4])
{
	char out[8192];
	int n = keel_test_mirror_translations(b->id, x, out, sizeof(out));

	if (n < 0)
		TH_LOG("keelctl -j mirror translations: %s", out);
	return n;
}

/*
 * A round trapped (the profile names the loop), the loop translated and
 * patched in (nothing traps, the mirror follows), the original bytes
 * back (every store traps again).
 */
static void hot_spot_rounds(struct __test_metadata *_metadata,
			    struct bt_vm *b)
{
	struct json_object *arr, *e;
	char ids[16], out[16384];
	uint8_t orig[5];
	long long before;
	double t[3];
	uint64_t rip;

	/* 1. trapped: every store exits, the profile names the loop */
	before = bt_vm_trapped(b);
	t[0] = bt_vm_round(b, PASSES, 100, false);
	ASSERT_LT(0, t[0]);
	EXPECT_EQ(STORES, bt_vm_trapped(b) - before);
	expect_filled(_metadata, b, 100, "trapped");
	snprintf(ids, sizeof(ids), "%u", b->id);
	ASSERT_EQ(0, keel_test_keelctl((const char *[]){ "-j", "mirror",
					"hotspots", ids, NULL },
				       NULL, out, sizeof(out), false));
	arr = json_tokener_parse(out);
	ASSERT_NE(NULL, arr) TH_LOG("%s", out);
	ASSERT_LT(0, json_object_array_length(arr)) TH_LOG("%s", out);
	e = json_object_array_get_idx(arr, 0);
	rip = keel_test_json_u64(e, "rip");
	EXPECT_LE((uintptr_t)bt_fill, rip) TH_LOG("%s", out);
	EXPECT_GT((uintptr_t)bt_fill_end, rip) TH_LOG("%s", out);
	EXPECT_EQ(STORES / 8, keel_test_json_u64(e, "writes")) TH_LOG("%s", out);
	json_object_put(arr);

	/* 2. translated and patched in: nothing traps, the mirror follows */
	ASSERT_EQ(0, bt_vm_translate(b)) TH_LOG("bt_xlate: %s", b->stats);
	EXPECT_NE(NULL, strstr(b->stats, "stop=end")) TH_LOG("%s", b->stats);
	EXPECT_NE(NULL, strstr(b->stats, "stores=8 ")) TH_LOG("%s", b->stats);
	memcpy(orig, vm_gpa2hva(b->vm, (uintptr_t)bt_fill, 5), 5);
	ASSERT_EQ(0, bt_vm_patch(b));
	before = bt_vm_trapped(b);
	t[1] = bt_vm_round(b, PASSES, 200, false);
	ASSERT_LT(0, t[1]);
	EXPECT_EQ(0, bt_vm_trapped(b) - before);
	expect_filled(_metadata, b, 200, "translated");
	EXPECT_EQ(0, b->log->count);

	/* 3. the original bytes back: every store traps again */
	ASSERT_EQ(0, bt_vm_unpatch(b));
	EXPECT_EQ(0, memcmp(orig, vm_gpa2hva(b->vm, (uintptr_t)bt_fill, 5), 5));
	before = bt_vm_trapped(b);
	t[2] = bt_vm_round(b, PASSES, 300, false);
	ASSERT_LT(0, t[2]);
	EXPECT_EQ(STORES, bt_vm_trapped(b) - before);
	expect_filled(_metadata, b, 300, "untranslated");
	ksft_print_msg("%llu stores: trapped %.3f s, translated %.6f s, "
		       "trapped again %.3f s; %s", (unsigned long long)STORES,
		       t[0], t[1], t[2], b->stats);
}

TEST_F_TIMEOUT(bt, translated_hot_spot, 90)
{
	if (self->b.vm)
		hot_spot_rounds(_metadata, &self->b);
}

/*
 * The same with the alias and the mirror window that Keel places for a
 * VMM that knows nothing of Keel (KEEL_MIRROR_IOC_WINDOWS), not the
 * VMM's own memslots.
 */
FIXTURE(keel_windows) {
	struct bt_vm b;
};

FIXTURE_SETUP(keel_windows)
{
	int ret = bt_vm_setup_windows(&self->b, true);

	if (ret == -ENOENT) {
		bt_vm_free(&self->b);
		SKIP(return, "keel_mirror.ko is not loaded");
	}
	ASSERT_EQ(0, ret) TH_LOG("setup: %s", strerror(-ret));
	ASSERT_TRUE(self->b.keel_windows);
}

FIXTURE_TEARDOWN(keel_windows)
{
	bt_vm_free(&self->b);
}

TEST_F_TIMEOUT(keel_windows, translated_hot_spot, 90)
{
	if (self->b.vm)
		hot_spot_rounds(_metadata, &self->b);
}

/*
 * Keel picks the hot spot itself: policy threshold one pass of a site's
 * stores, budget two, cool-down two intervals; an interval is a round of
 * the guest. The loop's eight sites are equally hot: the second one
 * proposed is in the loop the first one's translation covers.
 */
TEST_F_TIMEOUT(bt, selected_and_dropped, 90)
{
	static const struct kbt_sel_policy pol = {
		.threshold = BT_RANGE_LEN / 64, .budget = 2, .cool = 2,
	};
	struct bt_vm *b = &self->b;
	size_t flen = (uintptr_t)bt_fill_end - (uintptr_t)bt_fill;
	struct bt_engine e;
	long long before;
	uint64_t x[4];
	int n;

	if (!b->vm)
		return;
	ASSERT_EQ(0, bt_engine_init(&e, b, &pol));
	/* 1. trapped: the hot site found and its loop translated */
	before = bt_vm_trapped(b);
	ASSERT_LT(0, bt_vm_round(b, PASSES, 700, false));
	EXPECT_EQ(STORES, bt_vm_trapped(b) - before);
	n = bt_engine_step(&e);
	ASSERT_EQ(2, n);
	ASSERT_EQ(1, e.translated) TH_LOG("refused: %s", e.err);
	EXPECT_EQ(0, e.refused) TH_LOG("refused: %s", e.err);
	EXPECT_EQ((uintptr_t)bt_fill_inner, b->xl[0].head) TH_LOG("%s", e.why);
	EXPECT_EQ((uintptr_t)bt_fill_inner_end, b->xl[0].end) TH_LOG("%s", e.why);
	EXPECT_TRUE(b->xl[0].patched);

	/* 2. translated: nothing traps, the counter counts every store */
	before = bt_vm_trapped(b);
	ASSERT_LT(0, bt_vm_round(b, PASSES, 800, false));
	EXPECT_EQ(0, bt_vm_trapped(b) - before);
	EXPECT_EQ(STORES, bt_vm_count(b, 0));
	expect_filled(_metadata, b, 800, "selected");
	/* keel_mirror lists it: the traps it saved, those before it */
	ASSERT_EQ(1, translations(_metadata, b, x));
	EXPECT_EQ((uintptr_t)bt_fill_inner, x[0]);
	EXPECT_EQ((uintptr_t)bt_fill_inner_end, x[1]);
	EXPECT_EQ(STORES, x[2]);
	EXPECT_EQ(STORES, x[3]);
	EXPECT_EQ(STORES, keel_test_obj_info("mirror", b->id,
					     "translated_stores"));
	EXPECT_EQ(0, bt_engine_step(&e));
	EXPECT_EQ(0, e.dropped);

	/* 3. the guest stores nothing: dropped at the second cold interval */
	ASSERT_LT(0, bt_vm_round(b, 0, 0, false));
	EXPECT_EQ(0, bt_engine_step(&e));
	EXPECT_TRUE(b->xl[0].patched);
	ASSERT_LT(0, bt_vm_round(b, 0, 0, false));
	EXPECT_EQ(1, bt_engine_step(&e));
	EXPECT_EQ(1, e.dropped);
	EXPECT_FALSE(b->xl[0].patched);
	EXPECT_EQ(0, translations(_metadata, b, x));
	EXPECT_EQ(STORES, keel_test_obj_info("mirror", b->id,
					     "translated_stores"));
	EXPECT_EQ(0, memcmp(vm_gpa2hva(b->vm, (uintptr_t)bt_fill, flen),
			    (const void *)bt_fill, flen))
		TH_LOG("the guest's bt_fill is not the original");

	/* 4. trapped again, and chosen again */
	before = bt_vm_trapped(b);
	ASSERT_LT(0, bt_vm_round(b, PASSES, 900, false));
	EXPECT_EQ(STORES, bt_vm_trapped(b) - before);
	expect_filled(_metadata, b, 900, "dropped");
	EXPECT_EQ(2, bt_engine_step(&e));
	EXPECT_EQ(2, e.translated);
	EXPECT_EQ(0, e.refused) TH_LOG("refused: %s", e.err);
	before = bt_vm_trapped(b);
	ASSERT_LT(0, bt_vm_round(b, PASSES, 1000, false));
	EXPECT_EQ(0, bt_vm_trapped(b) - before);
	expect_filled(_metadata, b, 1000, "chosen again");
	ASSERT_EQ(1, translations(_metadata, b, x));
	EXPECT_EQ(STORES, x[2]);
	EXPECT_EQ(2 * STORES, keel_test_obj_info("mirror", b->id,
						 "translated_stores"));
	ksft_print_msg("selected: %s\n", e.why);
}

/* KEEL_MIRROR_IOC_XLATE, one call: 0 or errno. */
/* KEEL_MIRROR_IOC_XLATE with these fields: 0 or its errno. */
static int xlate_all(struct bt_vm *b, uint32_t flags, uint64_t start,
		     uint64_t end, uint64_t count_gpa, uint64_t log_gpa,
		     uint64_t pt_gpa)
{
	struct keel_mirror_xlate a = {
		.size = sizeof(a), .flags = flags, .start = start, .end = end,
		.count_gpa = count_gpa, .log_gpa = log_gpa,
		.log_pt_gpa = pt_gpa,
	};

	return ioctl(b->mfd, KEEL_MIRROR_IOC_XLATE, &a) ? errno : 0;
}

static int xlate_pt(struct bt_vm *b, uint32_t flags, uint64_t start,
		    uint64_t end, uint64_t log_gpa, uint64_t pt_gpa)
{
	return xlate_all(b, flags, start, end, 0, log_gpa, pt_gpa);
}

static int xlate_log(struct bt_vm *b, uint32_t flags, uint64_t start,
		     uint64_t end, uint64_t count_gpa, uint64_t log_gpa)
{
	return xlate_all(b, flags, start, end, count_gpa, log_gpa, 0);
}

static int xlate(struct bt_vm *b, uint32_t flags, uint64_t start,
		 uint64_t end, uint64_t count_gpa)
{
	return xlate_all(b, flags, start, end, count_gpa, 0, 0);
}

/*
 * What may be registered as a translation: each bad one a clear error
 * that leaves the list as it was; at most KEEL_MIRROR_XLATES_MAX.
 */
TEST_F(bt, xlate_refusals)
{
	const uint32_t C = KEEL_MIRROR_XLATE_COUNTED, D = KEEL_MIRROR_XLATE_DEL;
	const uint32_t L = KEEL_MIRROR_XLATE_LOGGED;
	struct bt_vm *b = &self->b;
	uint64_t code = 0x100000, cnt = bt_vm_count_gpa(b, 0), x[4];
	uint64_t log = b->log_gpa;
	struct keel_mirror_xlate a = { .size = 8, .start = code,
				       .end = code + 16 };
	unsigned int i;

	if (!b->vm)
		return;
	EXPECT_EQ(-1, ioctl(b->mfd, KEEL_MIRROR_IOC_XLATE, &a));
	EXPECT_EQ(EINVAL, errno) TH_LOG("a struct too small");
	EXPECT_EQ(EINVAL, xlate(b, 0x8, code, code + 16, 0));
	/* a log: given with LOGGED, aligned, in one page, not the range's */
	EXPECT_EQ(EINVAL, xlate_log(b, L, code, code + 16, 0, 0));
	EXPECT_EQ(EINVAL, xlate_log(b, 0, code, code + 16, 0, log));
	EXPECT_EQ(EINVAL, xlate_log(b, L, code, code + 16, 0, log + 4));
	EXPECT_EQ(EINVAL, xlate_log(b, L, code, code + 16, 0, log + 4088))
		TH_LOG("a log across a page boundary");
	EXPECT_EQ(EINVAL, xlate_log(b, L, code, code + 16, 0, b->gpa + 64))
		TH_LOG("a log inside the range");
	EXPECT_EQ(EFAULT, xlate_log(b, L, code, code + 16, 0, 1ULL << 45))
		TH_LOG("a log in no memslot");
	/* its page tables: with a log, page aligned, guest memory */
	EXPECT_EQ(EINVAL, xlate_pt(b, 0, code, code + 16, 0, 0x1000));
	EXPECT_EQ(EINVAL, xlate_pt(b, L, code, code + 16, log, 0x1008));
	EXPECT_EQ(EINVAL, xlate_pt(b, L | KEEL_MIRROR_XLATE_PT5, code,
				   code + 16, log, 0));
	EXPECT_EQ(EFAULT, xlate_pt(b, L, code, code + 16, log, 1ULL << 45))
		TH_LOG("page tables in no memslot");
	EXPECT_EQ(EINVAL, xlate_pt(b, D, code, 0, 0, 0x1000));
	EXPECT_EQ(0, translations(_metadata, b, x));
	/* the first version of the struct, without log_gpa, still serves */
	a.size = offsetof(struct keel_mirror_xlate, log_gpa);
	EXPECT_EQ(0, ioctl(b->mfd, KEEL_MIRROR_IOC_XLATE, &a));
	EXPECT_EQ(1, translations(_metadata, b, x));
	EXPECT_EQ(EINVAL, xlate_log(b, D, code, 0, 0, log));
	EXPECT_EQ(0, xlate(b, D, code, 0, 0));
	EXPECT_EQ(0, xlate_log(b, L, code, code + 16, 0, log));
	EXPECT_EQ(0, xlate(b, D, code, 0, 0));
	EXPECT_EQ(EINVAL, xlate(b, 0, code, code, 0));
	EXPECT_EQ(EINVAL, xlate(b, 0, code + 16, code, 0));
	EXPECT_EQ(EINVAL, xlate(b, 0, code,
				code + KEEL_MIRROR_XLATE_MAX_LEN + 1, 0));
	EXPECT_EQ(EINVAL, xlate(b, 0, code, code + 16, cnt));
	EXPECT_EQ(EINVAL, xlate(b, C, code, code + 16, cnt + 4));
	EXPECT_EQ(EINVAL, xlate(b, C, code, code + 16, b->gpa + 64))
		TH_LOG("a counter inside the range");
	EXPECT_EQ(EFAULT, xlate(b, C, code, code + 16, 1ULL << 45))
		TH_LOG("a counter in no memslot");
	EXPECT_EQ(0, translations(_metadata, b, x));

	*bt_vm_counter(b, 0) = 7;
	EXPECT_EQ(0, xlate(b, C, code, code + 16, cnt));
	EXPECT_EQ(EEXIST, xlate(b, 0, code + 8, code + 24, 0));
	EXPECT_EQ(EEXIST, xlate(b, 0, code - 8, code + 1, 0));
	for (i = 1; i < KEEL_MIRROR_XLATES_MAX; i++)
		EXPECT_EQ(0, xlate(b, 0, code + 16 * i, code + 16 * i + 16, 0));
	EXPECT_EQ(ENOSPC, xlate(b, 0, code + 0x1000, code + 0x1010, 0));
	EXPECT_EQ(KEEL_MIRROR_XLATES_MAX, translations(_metadata, b, x));
	/* stores counted from the registration on */
	EXPECT_EQ(code, x[0]);
	EXPECT_EQ(0, x[2]);
	*bt_vm_counter(b, 0) = 7 + 40;
	EXPECT_EQ(KEEL_MIRROR_XLATES_MAX, translations(_metadata, b, x));
	EXPECT_EQ(40, x[2]);

	EXPECT_EQ(EINVAL, xlate(b, D, code, code + 16, 0));
	EXPECT_EQ(EINVAL, xlate(b, D | C, code, 0, 0));
	EXPECT_EQ(EINVAL, xlate(b, D, code, 0, cnt));
	EXPECT_EQ(ENOENT, xlate(b, D, code + 8, 0, 0));
	*bt_vm_counter(b, 0) = 7 + 45;
	for (i = 0; i < KEEL_MIRROR_XLATES_MAX; i++)
		EXPECT_EQ(0, xlate(b, D, code + 16 * i, 0, 0));
	EXPECT_EQ(ENOENT, xlate(b, D, code, 0, 0));
	EXPECT_EQ(0, translations(_metadata, b, x));
	/* the last count kept when it went */
	EXPECT_EQ(45, keel_test_obj_info("mirror", b->id, "translated_stores"));
}

/*
 * keelctl @args on range @b (its id for "ID"): its exit status, and
 * whether what it printed has @words (NULL: anything).
 */
static int keelctl_says(struct bt_vm *b, const char *const *args,
			const char *words, bool *said)
{
	const char *argv[16];
	char ids[16];
	int i, ret;

	snprintf(ids, sizeof(ids), "%u", b->id);
	for (i = 0; args[i] && i < 15; i++)
		argv[i] = strcmp(args[i], "ID") ? args[i] : ids;
	argv[i] = NULL;
	ret = keel_test_keelctl(argv, NULL, b->keelctl_out,
				sizeof(b->keelctl_out), false);
	*said = !words || strstr(b->keelctl_out, words);
	return ret;
}

/*
 * What a tool that places code in the guest of an unmodified VMM does:
 * the range attached (as "keelctl mirror add" leaves it), the loop
 * translated with a counter and registered by "keelctl mirror xlate",
 * a round with no trap, "mirror translations" showing its stores; each
 * refusal in words with its exit status, the list as it was; "keelctl
 * mirror unxlate" as the patch goes, its stores in the total.
 */
TEST_F_TIMEOUT(bt, keelctl_xlate, 90)
{
	struct bt_vm *b = &self->b;
	const char *far = "0x700000", *far_end = "0x700010";
	char cnt[32], big[32];
	long long before;
	uint64_t x[4];
	bool said;

	if (!b->vm)
		return;
	ASSERT_EQ(0, ioctl(b->mfd, KEEL_IOC_ATTACH, NULL));
	b->by_keelctl = true;
	ASSERT_EQ(0, bt_vm_xlate(b, 0, (uintptr_t)bt_fill,
				 (uintptr_t)bt_fill_end - (uintptr_t)bt_fill,
				 0, true)) TH_LOG("bt_xlate: %s", b->stats);
	ASSERT_EQ(0, bt_vm_patch(b)) TH_LOG("%s", b->keelctl_out);
	ASSERT_EQ(1, translations(_metadata, b, x));
	EXPECT_EQ(b->xl[0].head, x[0]);
	EXPECT_EQ(b->xl[0].end, x[1]);
	EXPECT_EQ(0, x[2]);

	before = bt_vm_trapped(b);
	ASSERT_LT(0, bt_vm_round(b, PASSES, 200, false));
	EXPECT_EQ(0, bt_vm_trapped(b) - before);
	expect_filled(_metadata, b, 200, "translated");
	ASSERT_EQ(1, translations(_metadata, b, x));
	EXPECT_EQ(STORES, x[2]);

	/* each refusal: its words, its status, nothing registered */
	snprintf(cnt, sizeof(cnt), "%#llx", (unsigned long long)b->gpa + 64);
	snprintf(big, sizeof(big), "%#llx", 1ULL << 45);
	EXPECT_EQ(1, keelctl_says(b, (const char *[]){ "mirror", "xlate", "ID",
			"--start", far, "--end", far_end, "--code", far,
			"--count-gpa", cnt, NULL },
			"mirror xlate: the counter lies in the range", &said));
	EXPECT_TRUE(said) TH_LOG("%s", b->keelctl_out);
	EXPECT_EQ(1, keelctl_says(b, (const char *[]){ "mirror", "xlate", "ID",
			"--start", far, "--end", far_end, "--code", far,
			"--count-gpa", big, NULL },
			"is not guest memory of the VM", &said));
	EXPECT_TRUE(said) TH_LOG("%s", b->keelctl_out);
	snprintf(cnt, sizeof(cnt), "%#llx",
		 (unsigned long long)b->xl[0].head + 8);
	snprintf(big, sizeof(big), "%#llx",
		 (unsigned long long)b->xl[0].head + 16);
	EXPECT_EQ(1, keelctl_says(b, (const char *[]){ "mirror", "xlate", "ID",
			"--start", cnt, "--end", big, "--code", far, NULL },
			"overlaps a translation registered", &said));
	EXPECT_TRUE(said) TH_LOG("%s", b->keelctl_out);
	EXPECT_EQ(5, keelctl_says(b, (const char *[]){ "mirror", "unxlate",
			"ID", "--start", far, NULL },
			"no translation registered starts at --start", &said));
	EXPECT_TRUE(said) TH_LOG("%s", b->keelctl_out);
	EXPECT_EQ(5, keelctl_says(b, (const char *[]){ "mirror", "xlate",
			"999999", "--start", far, "--end", far_end,
			"--code", far, NULL }, NULL, &said));
	EXPECT_EQ(2, keelctl_says(b, (const char *[]){ "mirror", "xlate", "ID",
			"--start", far, "--end", far, "--code", far, NULL },
			"xlate needs --end ADDR, above --start", &said));
	EXPECT_TRUE(said) TH_LOG("%s", b->keelctl_out);
	ASSERT_EQ(1, translations(_metadata, b, x));
	EXPECT_EQ(b->xl[0].head, x[0]);
	EXPECT_EQ(STORES, x[2]);

	/* out again: the original code traps, its stores in the total */
	ASSERT_EQ(0, bt_vm_unpatch(b)) TH_LOG("%s", b->keelctl_out);
	EXPECT_EQ(0, translations(_metadata, b, x));
	EXPECT_EQ(STORES, keel_test_obj_info("mirror", b->id,
					     "translated_stores"));
	before = bt_vm_trapped(b);
	ASSERT_LT(0, bt_vm_round(b, PASSES, 300, false));
	EXPECT_EQ(STORES, bt_vm_trapped(b) - before);
	expect_filled(_metadata, b, 300, "untranslated");
	EXPECT_EQ(0, keelctl_says(b, (const char *[]){ "mirror", "del", "ID",
			NULL }, NULL, &said)) TH_LOG("%s", b->keelctl_out);
}

/* After a round of the rewritten loop: qword 7 of every 8 untouched. */
static void expect_rewritten(struct __test_metadata *_metadata,
			     struct bt_vm *b, uint64_t seed, uint64_t old,
			     const char *when)
{
	uint64_t first = 0, i, bad = 0;

	for (i = 0; i < BT_RANGE_LEN / 8; i++)
		bad += ((uint64_t *)b->mem)[i] !=
		       (i % 8 == 7 ? old : seed) + PASSES - 1;
	EXPECT_EQ(0, bad) TH_LOG("%s: qwords not as the new code stores", when);
	EXPECT_EQ(0, mirror_diff(b->mfd, b->gpa, b->mem, BT_RANGE_LEN, &first))
		TH_LOG("%s: the mirror differs from %#llx", when,
		       (unsigned long long)first);
}

/*
 * The guest rewrites the displacement of its loop's last store (56 to
 * 48) while the loop is translated: its code pages are read-only, the
 * store exits to the VMM, which removes the translation and makes the
 * store; the round's stores run the new code, trapped; the policy drops
 * the stale translation and translates the new loop.
 */
TEST_F_TIMEOUT(bt, rewritten_code_invalidates, 90)
{
	static const struct kbt_sel_policy pol = {
		.threshold = BT_RANGE_LEN / 64, .budget = 1, .cool = 4,
	};
	struct bt_vm *b = &self->b;
	uint64_t disp = (uintptr_t)bt_fill_last + 3;
	uint8_t *code = vm_gpa2hva(b->vm, disp, 1);
	struct bt_engine e;
	long long before;

	if (!b->vm)
		return;
	ASSERT_NE(NULL, code);
	ASSERT_EQ(0x38, *code) TH_LOG("mov %%rax, 56(%%r8): not where expected");
	ASSERT_EQ(0, bt_engine_init(&e, b, &pol));
	ASSERT_LT(0, bt_vm_round(b, PASSES, 100, false));
	ASSERT_EQ(1, bt_engine_step(&e));
	ASSERT_EQ(1, e.translated) TH_LOG("refused: %s", e.err);
	ASSERT_LT(0, bt_vm_round(b, PASSES, 200, false));
	expect_filled(_metadata, b, 200, "translated");

	/* the rewrite, then the round: trapped, the new code's stores */
	vm_guest_ptr(b->vm, &bt_req)->rewrite_at = disp;
	vm_guest_ptr(b->vm, &bt_req)->rewrite_byte = 0x30;
	before = bt_vm_trapped(b);
	ASSERT_LT(0, bt_vm_round(b, PASSES, 300, false));
	EXPECT_EQ(1, b->code_writes);
	EXPECT_EQ(0x30, *code);
	EXPECT_FALSE(b->xl[0].patched);
	EXPECT_TRUE(b->xl[0].invalidated);
	EXPECT_EQ(STORES, bt_vm_trapped(b) - before);
	expect_rewritten(_metadata, b, 300, 200, "rewritten");

	/* the stale translation leaves the policy, the new loop comes in */
	EXPECT_EQ(1, bt_engine_step(&e));
	EXPECT_EQ(1, e.invalidated);
	EXPECT_EQ(2, e.translated) TH_LOG("refused: %s", e.err);
	EXPECT_NE(NULL, strstr(b->stats, "stores=8 ")) TH_LOG("%s", b->stats);
	before = bt_vm_trapped(b);
	ASSERT_LT(0, bt_vm_round(b, PASSES, 400, false));
	EXPECT_EQ(0, bt_vm_trapped(b) - before);
	expect_rewritten(_metadata, b, 400, 200, "the new loop translated");
}

/* SIGBUS of MADV_HWPOISON itself (6.12 and later): the test repairs. */
static volatile int poison_signals;

static void on_poison_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	poison_signals++;
}

#define POISON_TRIALS	16

/*
 * After trial @trial's repair, the page at @page in memory must be
 * @want but for [@addr, @addr + @len) (a rolled-back store's bytes); the
 * round then runs on to its end, memory as the loop stores it with @seed
 * and the mirror equal.
 */
static void expect_page_then_run(struct __test_metadata *_metadata,
				 struct bt_vm *b, unsigned int trial,
				 uint64_t page, const uint8_t *want,
				 uint64_t addr, size_t len,
				 const struct kvm_regs *regs, uint64_t seed)
{
	uint64_t i, bad = 0;
	struct ucall uc;

	for (i = 0; i < 4096; i++)
		bad += b->mem[page - b->gpa + i] != want[i] &&
		       !(page + i >= addr && page + i < addr + len);
	EXPECT_EQ(0, bad)
		TH_LOG("trial %u: %llu bytes of the page at %#llx not as the vCPU left them (rip %#llx, %llu entries)",
		       trial, (unsigned long long)bad, (unsigned long long)page,
		       (unsigned long long)regs->rip,
		       (unsigned long long)b->log->count);
	ASSERT_EQ(UCALL_SYNC, guest_run(b->vcpu, &uc))
		TH_LOG("%s", ucall_str(b->vcpu, &uc));
	expect_filled(_metadata, b, seed, "after the repair");
}

/*
 * Start a round of @seed over the range and stop the vCPU a random number
 * of instructions into its first pass (single steps, *@rng): its
 * registers in *@regs; 1 if it stopped in the code cache, 0 if not, -1
 * on an error. The page to lose (*@page): that of the open region's last
 * store, or of the loop's pointer.
 */
static int stop_in_round(struct __test_metadata *_metadata, struct bt_vm *b,
			 uint64_t seed, unsigned int *rng,
			 struct kvm_regs *regs, uint64_t *page)
{
	struct kvm_guest_debug dbg = {
		.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP,
	};
	unsigned int step, steps = 40 + rand_r(rng) % 3000;
	struct ucall uc;

	vm_guest_ptr(b->vm, &bt_req)->idle = 0;
	vm_guest_ptr(b->vm, &bt_req)->passes = PASSES;
	vm_guest_ptr(b->vm, &bt_req)->seed = seed;
	EXPECT_EQ(0, ioctl(b->vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg));
	for (step = 0; step < steps; step++) {
		if (guest_run(b->vcpu, &uc) != UCALL_EXIT ||
		    uc.args[0] != KVM_EXIT_DEBUG) {
			TH_LOG("step %u: %s", step, ucall_str(b->vcpu, &uc));
			return -1;
		}
	}
	dbg.control = 0;
	if (ioctl(b->vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg) ||
	    ioctl(b->vcpu->fd, KVM_GET_REGS, regs))
		return -1;
	*page = b->log->count ? b->log->e[b->log->count - 1].addr : regs->r8;
	if (*page < b->gpa || *page >= b->gpa + BT_RANGE_LEN)
		*page = b->gpa;
	*page &= ~4095ULL;
	return regs->rip >= b->cache_gpa &&
	       regs->rip < b->cache_gpa + BT_SLOT_LEN;
}

/*
 * A guest page lost while the vCPU is inside the translation with a
 * region open: the vCPU single-stepped into the translated bt_fill and
 * stopped at a random instruction, the page of the open region's last
 * store (or of the loop's pointer) poisoned (madvise(MADV_HWPOISON)) and
 * replaced by keel_mirror with the mirror's page, which lacks the open
 * region's stores; the VMM rebuilds it from the mirror and the region
 * log, and rolls back a vCPU caught between a store to it and its log
 * entry (bt_vm_recover()). The page must be what the vCPU last wrote
 * (but the rolled-back store's bytes), and the round, run on, must leave
 * memory as the loop stores it and the mirror equal. Some trials must
 * have needed the log (the mirror's page alone was not the page).
 */
TEST_F_TIMEOUT(bt, poisoned_while_translated, 90)
{
	struct keel_mirror_repair rep = { .size = sizeof(rep) };
	struct sigaction sa = { .sa_sigaction = on_poison_signal,
				.sa_flags = SA_SIGINFO };
	static uint8_t before[4096];
	unsigned int trial, seed = 0x6b65656c;
	unsigned int needed_log = 0, rolled = 0, stopped_inside = 0;
	int ret;
	struct bt_vm *b = &self->b;
	struct kvm_regs regs;
	uint64_t page, addr = 0;
	size_t len = 0;

	if (!b->vm)
		return;
	ASSERT_EQ(0, bt_vm_translate(b)) TH_LOG("bt_xlate: %s", b->stats);
	ASSERT_LT(0, b->xl[0].nwin) TH_LOG("no window table");
	ASSERT_EQ(0, bt_vm_patch(b));
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	for (trial = 0; trial < POISON_TRIALS; trial++) {
		ret = stop_in_round(_metadata, b, 3000 + trial * 10, &seed,
				    &regs, &page);
		ASSERT_LE(0, ret);
		stopped_inside += ret;
		memcpy(before, b->mem + (page - b->gpa), 4096);
		needed_log += !!memcmp(before, b->mirror + (page - b->gpa), 4096);

		ASSERT_EQ(0, madvise(b->mem + (page - b->gpa), 4096,
				     MADV_HWPOISON)) TH_LOG("%s", strerror(errno));
		rep.gpa = page;
		ASSERT_EQ(0, ioctl(b->mfd, KEEL_MIRROR_IOC_REPAIR, &rep))
			TH_LOG("%s", strerror(errno));
		ASSERT_EQ(KEEL_MIRROR_REPAIRED, rep.result);
		if (bt_vm_recover(b, page, &regs, &addr, &len)) {
			rolled++;
			ASSERT_EQ(0, ioctl(b->vcpu->fd, KVM_SET_REGS, &regs));
		} else {
			len = 0;
		}
		expect_page_then_run(_metadata, b, trial, page, before, addr,
				     len, &regs, 3000 + trial * 10);
	}
	signal(SIGBUS, SIG_DFL);
	ksft_print_msg("%u pages lost in the translation, %u stopped in it, %u needed the log, %u rollbacks, %d signals of the poisoning\n",
		       POISON_TRIALS, stopped_inside, needed_log, rolled,
		       poison_signals);
	EXPECT_LT(POISON_TRIALS / 2, stopped_inside);
	EXPECT_LT(0, needed_log);
}

/*
 * keel_mirror's own repair, for a VMM that does not recover: translations
 * made with a full log (bt_xlate -F) registered with it
 * (KEEL_MIRROR_XLATE_LOGGED), the range set up to repair on a memory
 * failure's signal (KEEL_MIRROR_SETUP_REPAIR).
 */
FIXTURE(bt_full) {
	struct bt_vm b;
};

/*
 * The repair asked for (KEEL_MIRROR_IOC_REPAIR), or on the signal; with
 * @walked, the log registered with the guest's page tables (its CR3), as
 * a Linux guest process's is, which the repair walks (identity mapped
 * here: the same addresses, found through 2 MiB pages).
 */
FIXTURE_VARIANT(bt_full) {
	bool by_signal;
	bool walked;
};

FIXTURE_VARIANT_ADD(bt_full, ioctl) {
	.by_signal = false,
};

FIXTURE_VARIANT_ADD(bt_full, signal) {
	.by_signal = true,
};

FIXTURE_VARIANT_ADD(bt_full, walked) {
	.walked = true,
};

FIXTURE_SETUP(bt_full)
{
	int ret = bt_vm_setup_flags(&self->b, false, variant->by_signal ?
				    KEEL_MIRROR_SETUP_REPAIR : 0);

	if (ret == -ENOENT) {
		bt_vm_free(&self->b);
		SKIP(return, "keel_mirror.ko is not loaded");
	}
	ASSERT_EQ(0, ret) TH_LOG("setup: %s", strerror(-ret));
	self->b.full_log = true;
	if (variant->walked) {
		struct kvm_sregs sregs;

		ASSERT_EQ(0, ioctl(self->b.vcpu->fd, KVM_GET_SREGS, &sregs));
		self->b.log_pt = sregs.cr3 & ~0xfffULL;
		self->b.log_pt5 = sregs.cr4 & (1ULL << 12);	/* LA57 */
		ASSERT_NE(0, self->b.log_pt);
	}
}

FIXTURE_TEARDOWN(bt_full)
{
	bt_vm_free(&self->b);
}

/*
 * The page at @page as the vCPU last wrote it, or as it writes it with the
 * mov it stands at: @before (the page now) with the full log's published
 * entries written over it, in order. The open entries on the page.
 */
static unsigned int full_log_page(const struct keel_bt_log *log,
				  uint64_t page, const uint8_t *before,
				  uint8_t *want)
{
	unsigned int i, k, len, open = 0;
	uint64_t at, val;

	memcpy(want, before, 4096);
	for (i = 0; i < log->count && i < KEEL_BT_LOG_ENTRIES; i++) {
		len = log->e[i].len & ~KEEL_BT_LEN_OPEN;
		len = len ? len : 8;
		if (log->e[i].addr + len <= page || log->e[i].addr >= page + 4096)
			continue;
		if (log->e[i].len & KEEL_BT_LEN_OPEN) {
			open++;
			continue;
		}
		for (k = 0, val = log->e[i].val; k < len; k++, val >>= 8) {
			at = log->e[i].addr + k;
			if (at >= page && at < page + 4096)
				want[at - page] = (uint8_t)val;
		}
	}
	return open;
}

/*
 * As poisoned_while_translated, but the VMM does not recover: the page is
 * rebuilt by keel_mirror alone, from the mirror and the registered log,
 * with no registers and no rollback, at KEEL_MIRROR_IOC_REPAIR or, with
 * @by_signal, when the VMM's own read of the page meets the failure (the
 * signal Keel keeps from it). It must be the page as the vCPU left it,
 * but for the bytes of the mov it stands at, which are already there.
 */
static void poisoned_full_log(struct __test_metadata *_metadata,
			      struct bt_vm *b, bool by_signal)
{
	struct keel_mirror_repair rep = { .size = sizeof(rep) };
	struct sigaction sa = { .sa_sigaction = on_poison_signal,
				.sa_flags = SA_SIGINFO };
	static uint8_t before[4096], want[4096];
	unsigned int trial, seed = 0x66756c6c;
	unsigned int needed_log = 0, ahead = 0, stopped_inside = 0;
	int ret;
	long long entries, kept;
	struct kvm_regs regs;
	uint64_t page;

	if (!b->vm)
		return;
	ASSERT_EQ(0, bt_vm_translate(b)) TH_LOG("bt_xlate: %s", b->stats);
	EXPECT_EQ(0, b->xl[0].nwin) TH_LOG("a full log needs no window table");
	ASSERT_EQ(0, bt_vm_patch(b));
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	poison_signals = 0;
	for (trial = 0; trial < POISON_TRIALS; trial++) {
		ret = stop_in_round(_metadata, b, 5000 + trial * 10, &seed,
				    &regs, &page);
		ASSERT_LE(0, ret);
		stopped_inside += ret;
		memcpy(before, b->mem + (page - b->gpa), 4096);
		/* bt_fill's stores are movs: no entry is ever open */
		ASSERT_EQ(0, full_log_page(b->log, page, before, want));
		needed_log += !!memcmp(want, b->mirror + (page - b->gpa), 4096);
		ahead += !!memcmp(want, before, 4096);

		ASSERT_EQ(0, madvise(b->mem + (page - b->gpa), 4096,
				     MADV_HWPOISON)) TH_LOG("%s", strerror(errno));
		if (!by_signal) {
			rep.gpa = page;
			ASSERT_EQ(0, ioctl(b->mfd, KEEL_MIRROR_IOC_REPAIR, &rep))
				TH_LOG("%s", strerror(errno));
			ASSERT_EQ(KEEL_MIRROR_REPAIRED, rep.result);
		}
		/* with @by_signal, the read meets the failure: Keel repairs */
		expect_page_then_run(_metadata, b, trial, page, want, 0, 0,
				     &regs, 5000 + trial * 10);
	}
	signal(SIGBUS, SIG_DFL);
	entries = keel_test_obj_info("mirror", b->id, "repair_entries");
	kept = keel_test_obj_info("mirror", b->id, "signals_kept");
	ksft_print_msg("%u pages lost in the translation, %u stopped in it, %u needed the log, %u with a mov's bytes ahead of it, %lld entries written over the mirror, %lld signals kept, %d delivered\n",
		       POISON_TRIALS, stopped_inside, needed_log, ahead,
		       entries, kept, poison_signals);
	EXPECT_LT(POISON_TRIALS / 2, stopped_inside);
	EXPECT_LT(0, needed_log);
	EXPECT_LT(0, entries);
	EXPECT_EQ(0, keel_test_obj_info("mirror", b->id, "repair_open"));
	if (by_signal) {
		EXPECT_EQ(0, poison_signals);
		EXPECT_LE(POISON_TRIALS, kept);
	}
}

TEST_F_TIMEOUT(bt_full, repair_reads_the_log, 90)
{
	poisoned_full_log(_metadata, &self->b, variant->by_signal);
}

/*
 * The 2 MiB page of the guest's identity map around @addr made 512 4 KiB
 * pages (the same addresses); the host tells the guest to flush its TLB.
 * The page table's guest-physical address, or 0.
 */
#define BT_PDE_LARGE	(1ULL << 7)
static uint64_t split_large_page(struct bt_vm *b, uint64_t addr)
{
	uint64_t *pde = vm_gpa2hva(b->vm, KEEL_GPA_PD + 8 * (addr >> 21), 8);
	uint64_t pt, *pte, i;

	if (!pde || addr >= KEEL_IDENTITY_MAP_SIZE)
		return 0;
	if (!(*pde & BT_PDE_LARGE))
		return *pde & 0x000ffffffffff000ULL;
	pt = vm_alloc(b->vm, 4096);
	pte = vm_gpa2hva(b->vm, pt, 4096);
	if (!pt || !pte)
		return 0;
	for (i = 0; i < 512; i++)
		pte[i] = ((addr & ~0x1fffffULL) + i * 4096) | (*pde & 0x1f);
	*pde = pt | 0x3;
	vm_guest_ptr(b->vm, &bt_req)->flush_tlb = 1;
	return pt;
}

/*
 * The guest's page @page of the range and its alias page not present in
 * its page tables until its page fault handler makes them present again;
 * the next round starts @skew bytes into the range. 0 or -ENOMEM.
 */
static int arm_fault(struct bt_vm *b, uint64_t page, uint64_t skew)
{
	volatile typeof(bt_req) *req = vm_guest_ptr(b->vm, &bt_req);
	unsigned int i;

	for (i = 0; i < 2; i++) {
		uint64_t addr = page + (i ? BT_ALIAS_OFF : 0);
		uint64_t pt = split_large_page(b, addr);

		if (!pt)
			return -ENOMEM;
		req->pte[i] = pt + 8 * ((addr >> 12) & 511);
		req->pte_addr[i] = addr;
		*(uint64_t *)vm_gpa2hva(b->vm, req->pte[i], 8) &= ~1ULL;
	}
	req->flush_tlb = 1;
	req->skew = skew;
	memset((void *)&req->seen, 0, sizeof(req->seen));
	return 0;
}

/* The original store of the loop at @k * 8 bytes into an iteration. */
static uint64_t loop_store(unsigned int k)
{
	return (uintptr_t)bt_fill_inner + (k ? 3 + 4 * (k - 1) : 0);
}

/* one trial per skew; each traps up to 12 K stores, slow under KASAN */
#define FAULT_TRIALS		7
#define FAULT_TRIALS_DEBUG	3

/*
 * A page fault in translated code is the original instruction's (7
 * times, 3 on a debug kernel). The
 * guest's page of the range and its alias page are not present in its
 * page tables; the translated loop, started @skew bytes into the range so
 * that the page begins inside an iteration, faults at its store to the
 * alias with some of the iteration's stores made and logged. The guest's
 * handler sees the fault at the original store, with the address the
 * original uses, the original's registers (its scratch registers r10 and
 * r11 their own, not the region's), and the mirror equal to memory (the
 * open region completed); it makes both pages present and returns to the
 * original code (the translation's jump removed first: bt_fill's outer
 * loop branches into the bytes it replaced), which makes the rest of the
 * round's stores, trapped. Patched in again, the next round runs
 * translated.
 */
TEST_F_TIMEOUT(bt, fault_in_translation, 90)
{
	unsigned int trials = keel_test_debug_kernel() ? FAULT_TRIALS_DEBUG :
							 FAULT_TRIALS;
	unsigned int trial, k, seed = 0x6b65656c;
	struct bt_vm *b = &self->b;
	uint64_t page, buf, end, tseed, i, bad, translated;
	uint64_t translated_all = 0;
	struct bt_fault_seen seen;
	long long before;

	if (!b->vm)
		return;
	/* store k of the loop: 3 bytes for the first, 4 for the others */
	ASSERT_EQ(3 + 6 * 4, bt_fill_last - bt_fill_inner);
	ASSERT_EQ(0, bt_vm_translate(b)) TH_LOG("bt_xlate: %s", b->stats);
	ASSERT_LT(0, b->xl[0].nmap) TH_LOG("no map");
	for (trial = 0; trial < trials; trial++) {
		uint64_t skew = 8 * (1 + trial % 7);
		volatile struct bt_fault_seen *gs;

		ASSERT_EQ(0, bt_vm_patch(b));

		tseed = 5000 + trial * 10;
		page = b->gpa + 4096 * (8 + rand_r(&seed) % 8);
		buf = b->gpa + skew;
		end = b->gpa + BT_RANGE_LEN - 64 + skew;
		k = (64 - skew) / 8;	/* the loop's first store to the page */
		ASSERT_EQ(0, arm_fault(b, page, skew));
		gs = &vm_guest_ptr(b->vm, &bt_req)->seen;
		before = bt_vm_trapped(b);

		ASSERT_LT(0, bt_vm_round(b, PASSES, tseed, false));
		memcpy(&seen, (void *)gs, sizeof(seen));
		ASSERT_EQ(1, seen.faults);
		ASSERT_EQ(trial + 1, b->faults);
		EXPECT_EQ(loop_store(k), seen.rip)
			TH_LOG("trial %u: the handler's rip", trial);
		EXPECT_EQ(b->fault.orig, seen.rip);
		EXPECT_EQ(page, seen.cr2) TH_LOG("trial %u: CR2", trial);
		EXPECT_EQ(2, seen.error_code);	/* a write, not present */
		EXPECT_EQ(page, seen.r8 + 8 * k);
		EXPECT_EQ(tseed, seen.rax);
		EXPECT_EQ(tseed, seen.rcx);
		EXPECT_EQ(PASSES, seen.rdx);
		EXPECT_EQ(buf, seen.rdi);
		EXPECT_EQ(end, seen.rsi);
		EXPECT_EQ(BT_MARK10, seen.r10) TH_LOG("trial %u: r10", trial);
		EXPECT_EQ(BT_MARK11, seen.r11) TH_LOG("trial %u: r11", trial);
		EXPECT_EQ(k, b->fault.published);
		EXPECT_TRUE(b->fault.mirror_equal)
			TH_LOG("trial %u: the mirror when the guest saw the fault",
			       trial);
		EXPECT_EQ(0, b->log->count);
		/* the stores before the page translated, the rest trapped */
		translated = (page - buf) / 8;
		translated_all += translated;
		EXPECT_EQ(PASSES * (end - buf) / 8 - translated,
			  bt_vm_trapped(b) - before) TH_LOG("trial %u", trial);
		for (i = 0, bad = 0; i < BT_RANGE_LEN / 8; i++) {
			uint64_t a = b->gpa + 8 * i;

			if (a >= buf && a < end)
				bad += ((uint64_t *)b->mem)[i] !=
				       tseed + PASSES - 1;
		}
		EXPECT_EQ(0, bad)
			TH_LOG("trial %u: %llu qwords not stored (the page at %#llx holds %#llx)",
			       trial, (unsigned long long)bad,
			       (unsigned long long)page,
			       (unsigned long long)((uint64_t *)b->mem)[(page - b->gpa) / 8]);
		EXPECT_EQ(0, memcmp(b->mirror, b->mem, BT_RANGE_LEN))
			TH_LOG("trial %u: the mirror window differs", trial);
		/* the jump gone: the original code ran on, as it was */
		EXPECT_FALSE(b->xl[0].patched);
	}
	ASSERT_EQ(0, bt_vm_patch(b));
	vm_guest_ptr(b->vm, &bt_req)->skew = 0;
	before = bt_vm_trapped(b);
	ASSERT_LT(0, bt_vm_round(b, PASSES, 9000, false));
	EXPECT_EQ(0, bt_vm_trapped(b) - before);
	expect_filled(_metadata, b, 9000, "translated after the faults");
	ksft_print_msg("%llu page faults in the translation, each seen at the original store with its registers and address; %llu translated stores before them, the rest trapped\n",
		       (unsigned long long)b->faults,
		       (unsigned long long)translated_all);
}

/*
 * The translated function called on memory the range does not cover: its
 * stores (through the alias, where nothing is mapped for that memory)
 * exit to the VMM, which makes them where the original would; the
 * commit's stores to a mirror that memory does not have go nowhere. The
 * memory is as the original stores it, the range and its mirror are
 * untouched, and the translation goes on serving the range.
 */
TEST_F_TIMEOUT(bt, translated_store_elsewhere, 90)
{
	struct bt_vm *b = &self->b;
	const uint64_t *plain;
	static uint8_t range[BT_RANGE_LEN];
	uint64_t i, bad;
	long long before;

	if (!b->vm)
		return;
	plain = vm_gpa2hva(b->vm, b->plain_gpa, BT_RANGE_LEN);
	ASSERT_NE(NULL, plain);
	ASSERT_EQ(0, bt_vm_translate(b)) TH_LOG("bt_xlate: %s", b->stats);
	ASSERT_EQ(0, bt_vm_patch(b));
	memcpy(range, b->mem, BT_RANGE_LEN);
	before = bt_vm_trapped(b);
	ASSERT_LT(0, bt_vm_round(b, 1, 1400, true));
	for (i = 0, bad = 0; i < BT_RANGE_LEN / 8; i++)
		bad += plain[i] != 1400;
	EXPECT_EQ(0, bad) TH_LOG("qwords of the plain memory not stored");
	EXPECT_EQ(BT_RANGE_LEN / 8, b->elsewhere_stores);
	EXPECT_EQ(BT_RANGE_LEN / 8, b->elsewhere_mirror);
	EXPECT_EQ(0, bt_vm_trapped(b) - before);
	EXPECT_EQ(0, memcmp(range, b->mem, BT_RANGE_LEN));
	EXPECT_EQ(0, memcmp(b->mirror, b->mem, BT_RANGE_LEN));
	EXPECT_EQ(0, b->log->count);
	EXPECT_TRUE(b->xl[0].patched);

	/* the range again: translated, nothing traps */
	before = bt_vm_trapped(b);
	ASSERT_LT(0, bt_vm_round(b, PASSES, 1500, false));
	EXPECT_EQ(0, bt_vm_trapped(b) - before);
	EXPECT_EQ(BT_RANGE_LEN / 8, b->elsewhere_stores);
	expect_filled(_metadata, b, 1500, "translated after the plain memory");
}

/*
 * The loop Keel translated goes on storing, but to memory outside the
 * range: each store exits (bt_vm_alias_hole()), so it saves no trap and
 * the policy sees the translation cold and drops it after its cool-down,
 * although its counter grows.
 */
#define ELSEWHERE_LEN	(4 * 4096)	/* 2,048 stores: above the threshold */

TEST_F_TIMEOUT(bt, elsewhere_goes_cold, 90)
{
	static const struct kbt_sel_policy pol = {
		.threshold = BT_RANGE_LEN / 64, .budget = 2, .cool = 2,
	};
	struct bt_vm *b = &self->b;
	struct bt_engine e;
	uint64_t count;

	if (!b->vm)
		return;
	ASSERT_EQ(0, bt_engine_init(&e, b, &pol));
	ASSERT_LT(0, bt_vm_round(b, PASSES, 1800, false));
	ASSERT_EQ(2, bt_engine_step(&e));
	ASSERT_EQ(1, e.translated) TH_LOG("refused: %s", e.err);
	ASSERT_TRUE(b->xl[0].patched);

	count = bt_vm_count(b, 0);
	vm_guest_ptr(b->vm, &bt_req)->plain_len = ELSEWHERE_LEN;
	ASSERT_LT(0, bt_vm_round(b, 1, 1900, true));
	EXPECT_EQ(ELSEWHERE_LEN / 8, bt_vm_count(b, 0) - count);
	EXPECT_EQ(ELSEWHERE_LEN / 8, b->xl[0].elsewhere);
	EXPECT_LT(pol.threshold, ELSEWHERE_LEN / 8);
	EXPECT_EQ(0, bt_engine_step(&e));
	EXPECT_TRUE(b->xl[0].patched);
	ASSERT_LT(0, bt_vm_round(b, 1, 2000, true));
	EXPECT_EQ(1, bt_engine_step(&e));
	EXPECT_EQ(1, e.dropped);
	EXPECT_FALSE(b->xl[0].patched);
}

/*
 * The VMM removes the protection while the loop is translated: the
 * translation goes first, with the original bytes back, then the windows
 * and the range; the guest's stores then go to its memory alone, with no
 * exit, and keel_mirror no longer has the range.
 */
TEST_F_TIMEOUT(bt, unprotected_untranslates, 90)
{
	size_t flen = (uintptr_t)bt_fill_end - (uintptr_t)bt_fill;
	struct bt_vm *b = &self->b;
	uint64_t i, bad, exits;
	long long before;
	uint32_t id;

	if (!b->vm)
		return;
	ASSERT_EQ(0, bt_vm_translate(b)) TH_LOG("bt_xlate: %s", b->stats);
	ASSERT_EQ(0, bt_vm_patch(b));
	before = bt_vm_trapped(b);
	ASSERT_LT(0, bt_vm_round(b, PASSES, 1600, false));
	EXPECT_EQ(0, bt_vm_trapped(b) - before);

	id = b->id;
	ASSERT_EQ(0, bt_vm_unprotect(b));
	EXPECT_FALSE(b->xl[0].patched);
	EXPECT_EQ(0, memcmp(vm_gpa2hva(b->vm, (uintptr_t)bt_fill, flen),
			    (const void *)bt_fill, flen))
		TH_LOG("the guest's bt_fill is not the original");
	EXPECT_GT(0, keel_test_obj_info("mirror", id, "guest_writes"))
		TH_LOG("the range is still there");

	exits = b->vcpu->stats.total;
	ASSERT_LT(0, bt_vm_round(b, PASSES, 1700, false));
	for (i = 0, bad = 0; i < BT_RANGE_LEN / 8; i++)
		bad += ((uint64_t *)b->mem)[i] != 1700 + PASSES - 1;
	EXPECT_EQ(0, bad) TH_LOG("qwords not stored");
	EXPECT_EQ(0, b->elsewhere_stores);
	/* the round's own report, nothing for its stores */
	EXPECT_GE(4, b->vcpu->stats.total - exits);
}

/*
 * A fault in a translation Keel chose: the translation's jump goes, and
 * the policy hears of it at its next interval (bt_engine_step()) and
 * chooses the loop again, since its stores trap again.
 */
TEST_F_TIMEOUT(bt, fault_leaves_the_policy, 90)
{
	static const struct kbt_sel_policy pol = {
		.threshold = BT_RANGE_LEN / 64, .budget = 2, .cool = 2,
	};
	struct bt_vm *b = &self->b;
	uint64_t page, x[4];
	struct bt_engine e;
	long long before;

	if (!b->vm)
		return;
	ASSERT_EQ(0, bt_engine_init(&e, b, &pol));
	ASSERT_LT(0, bt_vm_round(b, PASSES, 1100, false));
	ASSERT_EQ(2, bt_engine_step(&e));
	ASSERT_EQ(1, e.translated) TH_LOG("refused: %s", e.err);
	ASSERT_TRUE(b->xl[0].patched);

	/* 24 bytes in: the page begins at the iteration's sixth store */
	page = b->gpa + 5 * 4096;
	ASSERT_EQ(0, arm_fault(b, page, 24));
	before = bt_vm_trapped(b);
	ASSERT_LT(0, bt_vm_round(b, PASSES, 1200, false));
	EXPECT_EQ(1, vm_guest_ptr(b->vm, &bt_req)->seen.faults);
	EXPECT_EQ(loop_store(5), vm_guest_ptr(b->vm, &bt_req)->seen.rip);
	EXPECT_EQ(page, vm_guest_ptr(b->vm, &bt_req)->seen.cr2);
	EXPECT_EQ(5, b->fault.published);
	EXPECT_TRUE(b->fault.mirror_equal);
	EXPECT_FALSE(b->xl[0].patched);
	EXPECT_TRUE(b->xl[0].faulted);
	EXPECT_EQ(0, translations(_metadata, b, x));
	EXPECT_LT(0, bt_vm_trapped(b) - before);
	EXPECT_EQ(0, memcmp(b->mirror, b->mem, BT_RANGE_LEN));

	/* the policy drops it, and takes the loop, hot again, once more */
	EXPECT_LE(1, bt_engine_step(&e));
	EXPECT_EQ(1, e.faulted);
	EXPECT_EQ(0, e.invalidated);
	EXPECT_EQ(2, e.translated) TH_LOG("refused: %s", e.err);
	vm_guest_ptr(b->vm, &bt_req)->skew = 0;
	before = bt_vm_trapped(b);
	ASSERT_LT(0, bt_vm_round(b, PASSES, 1300, false));
	EXPECT_EQ(0, bt_vm_trapped(b) - before);
	expect_filled(_metadata, b, 1300, "chosen again after the fault");
}

/*
 * A mirror page of the window fails (corrupt-pfn) while the translated
 * loop writes through it, and the scrub replaces it: the next translated
 * stores reach the new page (keel_mirror reads it equal to the guest's
 * memory), as the VMM's own mapping shows it; not the old page, which
 * KVM's and the VMM's mappings would still show had it not been unmapped.
 */
TEST_F_TIMEOUT(bt, mirror_page_replaced_while_mapped, 90)
{
	struct bt_vm *b = &self->b;
	uint64_t page = b->gpa + 3 * 4096;
	unsigned long pfn;
	const char *why;

	if (!b->vm)
		return;
	why = injector();
	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, write_text(SCRUB_MS, "100"));
	ASSERT_EQ(0, bt_vm_translate(b)) TH_LOG("bt_xlate: %s", b->stats);
	ASSERT_EQ(0, bt_vm_patch(b));
	ASSERT_LT(0, bt_vm_round(b, PASSES, 500, false));
	expect_filled(_metadata, b, 500, "translated");
	pfn = mirror_pfn(b->id, page);
	ASSERT_NE(0, pfn);
	ASSERT_EQ(1, poison_pfn(pfn));
	EXPECT_EQ(1, wait_rebuilt(b->id, 1));
	EXPECT_NE(pfn, mirror_pfn(b->id, page));
	ASSERT_LT(0, bt_vm_round(b, PASSES, 600, false));
	expect_filled(_metadata, b, 600, "after the rebuild");
	EXPECT_EQ(0, write_text(SCRUB_MS, "1000"));
}

/*
 * The mirror's mmap: shared and within the range only, once set up; a
 * store through it is the mirror's (keel_mirror's read sees it).
 */
TEST_F(bt, mmap)
{
	struct bt_vm *b = &self->b;
	uint64_t got = 0, v = 0x5a5a5a5a12345678ULL;
	void *p;
	int fd;

	if (!b->vm)
		return;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, b->mfd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, BT_RANGE_LEN + 4096, PROT_READ, MAP_SHARED, b->mfd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, b->mfd, BT_RANGE_LEN);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	fd = open(KEEL_MIRROR_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EBADFD, errno);
	close(fd);

	/* the last page alone, at its offset */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, b->mfd,
		 BT_RANGE_LEN - 4096);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p, b->mem + BT_RANGE_LEN - 4096, 4096));
	*(volatile uint64_t *)p = v;
	EXPECT_EQ(0, mirror_read(b->mfd, b->gpa + BT_RANGE_LEN - 4096, &got,
				 8));
	EXPECT_EQ(v, got);
	EXPECT_EQ(v, *(uint64_t *)(b->mirror + BT_RANGE_LEN - 4096));
	EXPECT_EQ(0, munmap(p, 4096));
}

TEST_HARNESS_MAIN
