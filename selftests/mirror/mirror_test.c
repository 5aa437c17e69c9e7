// SPDX-License-Identifier: GPL-2.0
/*
 * keel_mirror with a real guest: a protected range starts as a copy of
 * the guest's memory, and after the guest's random writes in every form
 * (guest_writes.h), one vCPU or two racing over the same bytes, the
 * mirror equals the guest's memory byte for byte, each write counted;
 * memory outside the range is left alone. The hot-spot profile names
 * the store instructions that trapped, most first, with their counts.
 */
#include "mirror_test.h"

#include <pthread.h>

#include "keel_vm.h"
#include "guest_writes.h"

#define RANGE_PAGES	16
#define RANGE_LEN	(RANGE_PAGES * 4096ULL)
#define WRITES		4000

/* What each vCPU writes next, set by the host before it runs it. */
struct job {
	uint64_t base, len, seed, count, only;
};

static struct job jobs[2];

static void guest_main(uint64_t i)
{
	for (;;) {
		gw_run((uint8_t *)jobs[i].base, jobs[i].len, jobs[i].seed,
		       jobs[i].count, jobs[i].only);
		GUEST_SYNC(jobs[i].count);
	}
}

static struct keel_vcpu *writer_add(struct keel_vm *vm, unsigned int i)
{
	struct keel_vcpu *vcpu = vm_vcpu_add(vm, guest_main);

	if (vcpu && vcpu_args_set(vcpu, i))
		return NULL;
	return vcpu;
}

/* vCPU @i's next job: @count writes of @only (or all forms) from @seed. */
static void job_set(struct keel_vm *vm, unsigned int i, uint64_t base,
		    uint64_t seed, uint64_t count, unsigned int only)
{
	jobs[i] = (struct job){ base, RANGE_LEN, seed, count, only };
	sync_global_to_guest(vm, jobs);
}

/* Random bytes of the host's own, before the range is protected. */
static void fill_random(uint8_t *p, uint64_t len, uint64_t seed)
{
	uint64_t s = seed | 1, i;

	for (i = 0; i < len; i++)
		p[i] = gw_next(&s);
}

FIXTURE(mirror) {
	struct keel_vm *vm;
	uint64_t gpa;
	uint8_t *mem;
	int fd;
	uint32_t id;
};

FIXTURE_SETUP(mirror)
{
	struct keel_mirror_setup s;

	self->vm = NULL;
	MIRROR_OPEN_OR_SKIP(self->fd);
	self->vm = vm_create(0, 0);
	ASSERT_NE(NULL, self->vm);
	self->gpa = vm_alloc(self->vm, RANGE_LEN);
	self->mem = vm_gpa2hva(self->vm, self->gpa, RANGE_LEN);
	ASSERT_NE(NULL, self->mem);
	fill_random(self->mem, RANGE_LEN, 0x5eed);
	mirror_setup_init(&s, self->vm->fd, self->gpa, RANGE_LEN, "guest");
	ASSERT_EQ(0, mirror_ioctl(self->fd, KEEL_MIRROR_IOC_SETUP, &s));
	self->id = s.id;
	EXPECT_NE(0, s.id);
}

FIXTURE_TEARDOWN(mirror)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->vm)
		vm_free(self->vm);
}

static void expect_equal(struct __test_metadata *_metadata,
			 FIXTURE_DATA(mirror) *self, const char *when)
{
	uint64_t first = 0;
	long n;

	n = mirror_diff(self->fd, self->gpa, self->mem, RANGE_LEN, &first);
	EXPECT_EQ(0, n) TH_LOG("%s: %ld bytes differ, the first at +%#llx",
			       when, n, (unsigned long long)first);
}

/* The first copy: before any guest write, the mirror is the range. */
TEST_F(mirror, starts_as_a_copy)
{
	expect_equal(_metadata, self, "after setup");
	EXPECT_EQ(RANGE_LEN, keel_test_obj_info("mirror", self->id,
						"protected_bytes"));
	EXPECT_EQ(RANGE_LEN, keel_test_obj_info("mirror", self->id,
						"mirror_bytes"));
	EXPECT_EQ(0, keel_test_obj_info("mirror", self->id, "guest_writes"));
}

static void run_writes(struct __test_metadata *_metadata,
		       FIXTURE_DATA(mirror) *self, struct keel_vcpu *vcpu,
		       unsigned int only, uint64_t count, uint64_t seed)
{
	struct ucall uc;

	job_set(self->vm, 0, self->gpa, seed, count, only);
	ASSERT_EQ(UCALL_SYNC, guest_run(vcpu, &uc))
		TH_LOG("%s", ucall_str(vcpu, &uc));
}

/*
 * Each form alone, then all mixed: the mirror follows every one. Every
 * write is an exit KVM emulates: on the debug kernel, beside another VM,
 * the whole took more than the harness's default 30 s; the bound is for
 * liveness only.
 */
TEST_F_TIMEOUT(mirror, every_write_form, 180)
{
	static const char *const names[GW_NR_FORMS] = {
		"mov8", "mov16", "mov32", "mov64", "rep stosb", "rep stosq",
		"rep movsb", "rep movsq", "xchg", "lock cmpxchg", "lock xadd",
		"add", "or", "lock inc", "not", "bts", "setcc", "movdqu",
		"movnti", "push", "page cross",
	};
	struct keel_vcpu *vcpu = writer_add(self->vm, 0);
	long long before = 0, after;
	unsigned int form;

	ASSERT_NE(NULL, vcpu);
	for (form = 0; form < GW_NR_FORMS; form++) {
		run_writes(_metadata, self, vcpu, form, 64, 0x1000 + form);
		after = keel_test_obj_info("mirror", self->id, "guest_writes");
		EXPECT_LT(before, after) TH_LOG("%s: no write seen", names[form]);
		before = after;
		expect_equal(_metadata, self, names[form]);
	}
	run_writes(_metadata, self, vcpu, GW_NR_FORMS, WRITES, 0xfeed);
	expect_equal(_metadata, self, "all forms mixed");
	EXPECT_LE(WRITES, keel_test_obj_info("mirror", self->id,
					     "guest_writes") - before);
}

struct racer {
	struct keel_vcpu *vcpu;
	uint64_t cmd;
	struct ucall uc;
};

static void *race(void *arg)
{
	struct racer *r = arg;

	r->cmd = guest_run(r->vcpu, &r->uc);
	return NULL;
}

/*
 * Two vCPUs write the same bytes at once: KVM reports their writes in
 * either order, and the mirror still ends equal.
 */
TEST_F(mirror, two_vcpus_race)
{
	struct racer r[2];
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++) {
		r[i].vcpu = writer_add(self->vm, i);
		ASSERT_NE(NULL, r[i].vcpu);
		/* different writes over the same bytes */
		job_set(self->vm, i, self->gpa, 0x77 + i, WRITES, GW_NR_FORMS);
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, race, &r[i]));
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(UCALL_SYNC, r[i].cmd)
			TH_LOG("%s", ucall_str(r[i].vcpu, &r[i].uc));
	}
	expect_equal(_metadata, self, "after the race");
}

/* Writes outside the range are not the mirror's; the range is. */
TEST_F(mirror, outside_untouched)
{
	struct keel_vcpu *vcpu = writer_add(self->vm, 0);
	uint64_t other = vm_alloc(self->vm, RANGE_LEN);
	struct ucall uc;

	ASSERT_NE(NULL, vcpu);
	job_set(self->vm, 0, other, 3, WRITES, GW_NR_FORMS);
	ASSERT_EQ(UCALL_SYNC, guest_run(vcpu, &uc))
		TH_LOG("%s", ucall_str(vcpu, &uc));
	EXPECT_EQ(0, keel_test_obj_info("mirror", self->id, "guest_writes"));
	expect_equal(_metadata, self, "after writes elsewhere");
}

/* Two store sites, each one instruction at a known address. */
asm(".pushsection .text\n"
    ".globl hot_store_a\n"
    "hot_store_a: movq %rsi, (%rdi)\n"
    "ret\n"
    ".globl hot_store_b\n"
    "hot_store_b: movl %esi, (%rdi)\n"
    "ret\n"
    ".popsection");
void hot_store_a(uint64_t *p, uint64_t v);
void hot_store_b(uint64_t *p, uint64_t v);

#define HOT_A	300
#define HOT_B	100

static void guest_hot(uint64_t base)
{
	uint64_t *p = (uint64_t *)base, i;

	for (i = 0; i < HOT_A; i++)
		hot_store_a(p + i % 512, i);
	for (i = 0; i < HOT_B; i++)
		hot_store_b(p + 512 + i % 512, i);
	GUEST_SYNC(0);
}

/*
 * The hot-spot profile ("keelctl mirror hotspots") names the store
 * instructions that trapped, most first, with their counts and the last
 * address each stored to.
 */
TEST_F(mirror, hotspots)
{
	struct keel_vcpu *vcpu = vm_vcpu_add(self->vm, guest_hot);
	struct json_object *arr, *e;
	char ids[16], out[16384];
	struct ucall uc;

	ASSERT_NE(NULL, vcpu);
	ASSERT_EQ(0, vcpu_args_set(vcpu, self->gpa));
	ASSERT_EQ(UCALL_SYNC, guest_run(vcpu, &uc))
		TH_LOG("%s", ucall_str(vcpu, &uc));
	expect_equal(_metadata, self, "after the hot stores");

	EXPECT_EQ(2, keel_test_obj_info("mirror", self->id, "hot_sites"));
	EXPECT_EQ(0, keel_test_obj_info("mirror", self->id, "hot_uncounted"));
	snprintf(ids, sizeof(ids), "%u", self->id);
	ASSERT_EQ(0, keel_test_keelctl((const char *[]){ "-j", "mirror",
					"hotspots", ids, NULL },
				       NULL, out, sizeof(out), false));
	arr = json_tokener_parse(out);
	ASSERT_NE(NULL, arr) TH_LOG("%s", out);
	ASSERT_TRUE(json_object_is_type(arr, json_type_array)) TH_LOG("%s", out);
	ASSERT_EQ(2, json_object_array_length(arr)) TH_LOG("%s", out);
	e = json_object_array_get_idx(arr, 0);
	EXPECT_EQ((uintptr_t)hot_store_a, keel_test_json_u64(e, "rip")) TH_LOG("%s", out);
	EXPECT_EQ(HOT_A, keel_test_json_u64(e, "writes"));
	EXPECT_EQ(self->gpa + (HOT_A - 1) % 512 * 8, keel_test_json_u64(e, "gpa"));
	e = json_object_array_get_idx(arr, 1);
	EXPECT_EQ((uintptr_t)hot_store_b, keel_test_json_u64(e, "rip")) TH_LOG("%s", out);
	EXPECT_EQ(HOT_B, keel_test_json_u64(e, "writes"));
	EXPECT_EQ(self->gpa + (512 + (HOT_B - 1) % 512) * 8, keel_test_json_u64(e, "gpa"));
	json_object_put(arr);
	/* the text form names both sites; an id of no range is not found */
	ASSERT_EQ(0, keel_test_keelctl((const char *[]){ "mirror", "hotspots",
					ids, NULL },
				       NULL, out, sizeof(out), false));
	EXPECT_NE(NULL, strstr(out, "hotspots")) TH_LOG("%s", out);
	EXPECT_EQ(5, keel_test_keelctl((const char *[]){ "mirror", "hotspots",
					"999999", NULL },
				       NULL, out, sizeof(out), false));
}

TEST_HARNESS_MAIN
