// SPDX-License-Identifier: GPL-2.0
/*
 * A protected range in the state framework: a range starts RUNNING; a
 * stopped range still mirrors every guest write; SAVE carries the range,
 * its counters and its hot-spot profile, and LOAD into a range at the
 * same addresses of another VM (the other side of a migration) gives it
 * the same profile and counters; a blob of another range, or one whose
 * profile is broken, is refused and changes nothing, with the reason.
 */
#include "mirror_test.h"

#include <endian.h>
#include <stddef.h>

#include "keel_vm.h"
#include "state_blob.h"

#define RANGE_PAGES	16
#define RANGE_LEN	(RANGE_PAGES * 4096ULL)
#define STORES_A	300
#define STORES_B	100

/* Two store sites, each one instruction at a known address. */
asm(".pushsection .text\n"
    ".globl state_store_a\n"
    "state_store_a: movq %rsi, (%rdi)\n"
    "ret\n"
    ".globl state_store_b\n"
    "state_store_b: movl %esi, (%rdi)\n"
    "ret\n"
    ".popsection");
void state_store_a(uint64_t *p, uint64_t v);
void state_store_b(uint64_t *p, uint64_t v);

/* Each round: STORES_A stores of site a, STORES_B of site b, a sync. */
static void guest_main(uint64_t base)
{
	uint64_t *p = (uint64_t *)base, i, round;

	for (round = 1;; round++) {
		for (i = 0; i < STORES_A; i++)
			state_store_a(p + i % 512, round << 32 | i);
		for (i = 0; i < STORES_B; i++)
			state_store_b(p + 512 + i % 512, round << 16 | i);
		GUEST_SYNC(round);
	}
}

/* A VM with one range of RANGE_LEN protected, and a vCPU that writes it. */
struct side {
	struct keel_vm *vm;
	struct keel_vcpu *vcpu;
	uint64_t gpa;
	uint8_t *mem;
	int fd;
	uint32_t id;
};

static int side_init(struct side *s)
{
	s->fd = -1;
	s->vm = vm_create(0, 0);
	if (!s->vm)
		return -ENOMEM;
	s->gpa = vm_alloc(s->vm, RANGE_LEN);
	s->mem = vm_gpa2hva(s->vm, s->gpa, RANGE_LEN);
	s->vcpu = vm_vcpu_add(s->vm, guest_main);
	if (!s->mem || !s->vcpu || vcpu_args_set(s->vcpu, s->gpa))
		return -EINVAL;
	s->fd = mirror_add(s->vm->fd, s->gpa, RANGE_LEN, &s->id);
	return s->fd < 0 ? s->fd : 0;
}

static void side_free(struct side *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->vm)
		vm_free(s->vm);
}

FIXTURE(mstate) {
	struct side a, b;
};

FIXTURE_SETUP(mstate)
{
	int fd;

	memset(self, 0, sizeof(*self));
	self->a.fd = self->b.fd = -1;
	MIRROR_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, side_init(&self->a));
}

FIXTURE_TEARDOWN(mstate)
{
	side_free(&self->b);
	side_free(&self->a);
}

/* One round of the guest's stores; the mirror equals memory after it. */
static void run_round(struct __test_metadata *_metadata, struct side *s,
		      uint64_t round)
{
	struct ucall uc;
	uint64_t first = 0;
	long n;

	ASSERT_EQ(UCALL_SYNC, guest_run(s->vcpu, &uc))
		TH_LOG("%s", ucall_str(s->vcpu, &uc));
	EXPECT_EQ(round, uc.args[0]);
	n = mirror_diff(s->fd, s->gpa, s->mem, RANGE_LEN, &first);
	EXPECT_EQ(0, n) TH_LOG("round %llu: %ld bytes differ, the first at +%#llx",
			       (unsigned long long)round, n,
			       (unsigned long long)first);
}

static long long info(struct side *s, const char *key)
{
	return keel_test_obj_info("mirror", s->id, key);
}

/* The profile of @s as keelctl shows it, most writes first. */
static void expect_profile(struct __test_metadata *_metadata, struct side *s,
			   uint64_t rounds)
{
	struct json_object *arr, *e, *v;
	char ids[16], out[16384];

	snprintf(ids, sizeof(ids), "%u", s->id);
	ASSERT_EQ(0, keel_test_keelctl((const char *[]){ "-j", "mirror",
					"hotspots", ids, NULL },
				       NULL, out, sizeof(out), false));
	arr = json_tokener_parse(out);
	ASSERT_NE(NULL, arr) TH_LOG("%s", out);
	ASSERT_EQ(2, json_object_array_length(arr)) TH_LOG("%s", out);
	e = json_object_array_get_idx(arr, 0);
	ASSERT_TRUE(json_object_object_get_ex(e, "rip", &v));
	EXPECT_EQ((uintptr_t)state_store_a,
		  strtoull(json_object_get_string(v), NULL, 0)) TH_LOG("%s", out);
	ASSERT_TRUE(json_object_object_get_ex(e, "writes", &v));
	EXPECT_EQ(rounds * STORES_A, json_object_get_uint64(v));
	e = json_object_array_get_idx(arr, 1);
	ASSERT_TRUE(json_object_object_get_ex(e, "rip", &v));
	EXPECT_EQ((uintptr_t)state_store_b,
		  strtoull(json_object_get_string(v), NULL, 0)) TH_LOG("%s", out);
	ASSERT_TRUE(json_object_object_get_ex(e, "writes", &v));
	EXPECT_EQ(rounds * STORES_B, json_object_get_uint64(v));
	json_object_put(arr);
}

/*
 * Stopped, a range still mirrors; its blob moves the counters and the
 * profile to a range at the same addresses of another VM, which runs on
 * from there.
 */
TEST_F(mstate, moves_profile_and_counts)
{
	struct keel_state_header *h;
	struct blob blob, again;
	struct json_object *j, *e, *v;
	char ids[16], out[4096];

	EXPECT_EQ(KEEL_STATE_RUNNING, state_of(self->a.fd));
	run_round(_metadata, &self->a, 1);
	ASSERT_EQ(0, state_simple(self->a.fd, KEEL_STATE_IOC_STOP));
	EXPECT_EQ(KEEL_STATE_STOPPED, state_of(self->a.fd));
	/* stopped: the guest's writes still reach the mirror, and count */
	run_round(_metadata, &self->a, 2);
	EXPECT_EQ(2 * (STORES_A + STORES_B), info(&self->a, "guest_writes"));
	ASSERT_EQ(0, state_save(self->a.fd, &blob));
	h = (void *)blob.buf;
	EXPECT_EQ(KEEL_STATE_TYPE_MIRROR, le32toh(h->type));
	/* keelctl names the type */
	snprintf(ids, sizeof(ids), "%u", self->a.id);
	ASSERT_EQ(0, keel_test_keelctl((const char *[]){ "-j", "state", "show",
					ids, NULL },
				       NULL, out, sizeof(out), false));
	j = json_tokener_parse(out);
	ASSERT_NE(NULL, j) TH_LOG("%s", out);
	if (json_object_is_type(j, json_type_array))
		e = json_object_array_get_idx(j, 0);
	else
		e = j;
	ASSERT_TRUE(json_object_object_get_ex(e, "type", &v)) TH_LOG("%s", out);
	EXPECT_STREQ("mirror", json_object_get_string(v)) TH_LOG("%s", out);
	ASSERT_TRUE(json_object_object_get_ex(e, "state", &v)) TH_LOG("%s", out);
	EXPECT_STREQ("stopped", json_object_get_string(v)) TH_LOG("%s", out);
	/* the largest blob: a profile of 256 sites (Documentation/mirror.rst) */
	ASSERT_TRUE(json_object_object_get_ex(e, "max_len", &v)) TH_LOG("%s", out);
	EXPECT_EQ(6368, json_object_get_int64(v)) TH_LOG("%s", out);
	json_object_put(j);

	/* the other side: the same guest layout, a range set up there */
	ASSERT_EQ(0, side_init(&self->b));
	ASSERT_EQ(self->a.gpa, self->b.gpa);
	EXPECT_EQ(0, info(&self->b, "guest_writes"));
	EXPECT_EQ(-EBUSY, state_load(self->b.fd, blob.buf, blob.len));
	ASSERT_EQ(0, state_simple(self->b.fd, KEEL_STATE_IOC_STOP));
	ASSERT_EQ(0, state_load(self->b.fd, blob.buf, blob.len));
	EXPECT_EQ(2 * (STORES_A + STORES_B), info(&self->b, "guest_writes"));
	EXPECT_EQ(2 * (STORES_A * 8 + STORES_B * 4),
		  info(&self->b, "guest_bytes"));
	EXPECT_EQ(2, info(&self->b, "hot_sites"));
	EXPECT_EQ(0, info(&self->b, "hot_uncounted"));
	expect_profile(_metadata, &self->b, 2);
	/* what was loaded is what is saved again */
	ASSERT_EQ(0, state_save(self->b.fd, &again));
	EXPECT_TRUE(blob_eq(&blob, &again));
	blob_free(&again);

	/* running on: the profile goes on from the loaded counts */
	ASSERT_EQ(0, state_simple(self->b.fd, KEEL_STATE_IOC_RESUME));
	run_round(_metadata, &self->b, 1);
	EXPECT_EQ(3 * (STORES_A + STORES_B), info(&self->b, "guest_writes"));
	expect_profile(_metadata, &self->b, 3);
	blob_free(&blob);
}

/* Offset of the first byte of section @id's payload in @b, or 0. */
static size_t sec_off(const struct blob *b, uint32_t id)
{
	const struct keel_state_header *h = (const void *)b->buf;
	size_t off = sizeof(*h);
	uint32_t i;

	for (i = 0; i < le32toh(h->nr_sections); i++) {
		const struct keel_state_section *s = (const void *)(b->buf + off);

		if (le32toh(s->id) == id)
			return off + sizeof(*s);
		off += sizeof(*s) + ((le32toh(s->len) + 7) & ~7u);
	}
	return 0;
}

/* LOAD of @bad is refused with EINVAL and the range is as before. */
static void expect_refused(struct __test_metadata *_metadata, int fd,
			   const struct blob *before, struct blob *bad,
			   const char *what)
{
	struct keel_state_info si;
	struct blob after;
	uint64_t rejects;

	ASSERT_EQ(0, state_info(fd, &si));
	rejects = si.rejects;
	fix_crcs(bad);
	EXPECT_EQ(-EINVAL, state_load(fd, bad->buf, bad->len)) TH_LOG("%s", what);
	ASSERT_EQ(0, state_info(fd, &si));
	EXPECT_EQ(rejects + 1, si.rejects) TH_LOG("%s", what);
	ASSERT_EQ(0, state_save(fd, &after));
	EXPECT_TRUE(blob_eq(before, &after)) TH_LOG("%s changed the range", what);
	blob_free(&after);
}

/*
 * A blob of a range at other addresses, or with a site twice, a site
 * without writes, unknown setup flags or padding, is refused and changes
 * nothing; keelctl says why.
 */
TEST_F(mstate, bad_blobs_change_nothing)
{
	struct keel_mirror_saved_range *range;
	struct keel_mirror_saved_hot *hot;
	struct blob good, bad, other;
	char ids[16], path[] = "/tmp/mirror-state-XXXXXX", out[4096];
	uint64_t gpa2;
	size_t off;
	int fd2, tmp;
	uint32_t id2 = 0;

	run_round(_metadata, &self->a, 1);
	/* SAVE needs a stopped range */
	EXPECT_EQ(-EBUSY, state_save(self->a.fd, &good));
	ASSERT_EQ(0, state_simple(self->a.fd, KEEL_STATE_IOC_STOP));
	ASSERT_EQ(0, state_save(self->a.fd, &good));

	/* a second range of the same VM, at other addresses */
	gpa2 = vm_alloc(self->a.vm, RANGE_LEN);
	fd2 = mirror_add(self->a.vm->fd, gpa2, RANGE_LEN, &id2);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, state_simple(fd2, KEEL_STATE_IOC_STOP));
	ASSERT_EQ(0, state_save(fd2, &other));
	bad = (struct blob){ malloc(good.len), good.len };
	ASSERT_NE(NULL, bad.buf);
	memcpy(bad.buf, good.buf, good.len);
	expect_refused(_metadata, fd2, &other, &bad, "another range's blob");

	/* keelctl gives the kernel's reason */
	tmp = mkstemp(path);
	ASSERT_LE(0, tmp);
	ASSERT_EQ((ssize_t)good.len, write(tmp, good.buf, good.len));
	close(tmp);
	snprintf(ids, sizeof(ids), "%u", id2);
	EXPECT_NE(0, keel_test_keelctl((const char *[]){ "state", "load", ids,
					path, NULL },
				       NULL, out, sizeof(out), false));
	EXPECT_NE(NULL, strstr(out, "other addresses")) TH_LOG("%s", out);
	unlink(path);

	off = sec_off(&bad, KEEL_MIRROR_SEC_HOT);
	ASSERT_NE(0, off);
	hot = (void *)(bad.buf + off);
	memcpy(bad.buf, good.buf, good.len);
	hot[1].rip = hot[0].rip;
	expect_refused(_metadata, self->a.fd, &good, &bad, "a site twice");

	memcpy(bad.buf, good.buf, good.len);
	hot[1].writes = 0;
	expect_refused(_metadata, self->a.fd, &good, &bad,
		       "a site without writes");

	off = sec_off(&bad, KEEL_MIRROR_SEC_RANGE);
	ASSERT_NE(0, off);
	range = (void *)(bad.buf + off);
	memcpy(bad.buf, good.buf, good.len);
	range->setup_flags = htole32(0x80000000u);
	expect_refused(_metadata, self->a.fd, &good, &bad,
		       "an unknown setup flag");

	memcpy(bad.buf, good.buf, good.len);
	range->pad = htole32(1);
	expect_refused(_metadata, self->a.fd, &good, &bad, "padding");

	memcpy(bad.buf, good.buf, good.len);
	range->len = htole64(RANGE_LEN - 4096);
	expect_refused(_metadata, self->a.fd, &good, &bad, "another length");

	/* the range's own blob still loads, and it runs on */
	EXPECT_EQ(0, state_load(self->a.fd, good.buf, good.len));
	ASSERT_EQ(0, state_simple(self->a.fd, KEEL_STATE_IOC_RESUME));
	run_round(_metadata, &self->a, 2);
	expect_profile(_metadata, &self->a, 2);
	blob_free(&bad);
	blob_free(&other);
	blob_free(&good);
	close(fd2);
}

TEST_HARNESS_MAIN
