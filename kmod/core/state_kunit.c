// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the state framework: the blob writer and parser (every
 * way a blob can be malformed) and the state machine (every command in
 * every state), driven through a fake object type. Built as
 * keel_state_kunit.ko when the target has KUnit.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/mm.h>

#include "core.h"

/* ---- a fake object type: one u64 register, sections 1 (req) and 2 ---- */

struct fake_obj {
	struct keel_state st;
	u64 value;
	bool running;
	int resume_err;
	unsigned int stops, resumes, loads;
};

static struct fake_obj *fake_of(struct keel_state *st)
{
	return container_of(st, struct fake_obj, st);
}

static void fake_stop(struct keel_state *st)
{
	fake_of(st)->running = false;
	fake_of(st)->stops++;
}

static int fake_resume(struct keel_state *st)
{
	struct fake_obj *f = fake_of(st);

	if (f->resume_err)
		return f->resume_err;
	f->running = true;
	f->resumes++;
	return 0;
}

static int fake_save(struct keel_state *st, struct keel_state_writer *w)
{
	__le64 v = cpu_to_le64(fake_of(st)->value);

	return keel_state_put(w, 1, 2, &v, sizeof(v));
}

static int fake_check(struct keel_state *st, const struct keel_state_blob *b,
		      const char **why)
{
	const struct keel_state_sec *s = keel_state_find(b, 1);
	__le64 v;

	if (s->len != sizeof(v)) {
		*why = "bad length";
		return -EINVAL;
	}
	memcpy(&v, s->data, sizeof(v));
	if (le64_to_cpu(v) == 0xdead) {
		*why = "bad value";
		return -EINVAL;
	}
	return 0;
}

static void fake_load(struct keel_state *st, const struct keel_state_blob *b)
{
	__le64 v;

	memcpy(&v, keel_state_find(b, 1)->data, sizeof(v));
	fake_of(st)->value = le64_to_cpu(v);
	fake_of(st)->loads++;
}

static const struct keel_state_sec_desc fake_secs[] = {
	{ .id = 1, .version = 2, .required = true },
	{ .id = 2, .version = 1 },
};

#define FAKE_TYPE	0x7e57
#define FAKE_MAX	256

static const struct keel_state_ops fake_ops = {
	.type = FAKE_TYPE,
	.max_len = FAKE_MAX,
	.secs = fake_secs,
	.nr_secs = ARRAY_SIZE(fake_secs),
	.stop = fake_stop,
	.resume = fake_resume,
	.save = fake_save,
	.check = fake_check,
	.load = fake_load,
};

static struct fake_obj *fake_new(struct kunit *test, u64 value)
{
	struct fake_obj *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	keel_state_init(&f->st, &fake_ops);
	f->value = value;
	return f;
}

/* ---- blob helpers ---- */

struct blob {
	u8 *buf;
	size_t len;
};

/* A blob of @type with section (id, version, flags, 8-byte value) list. */
static struct blob build(struct kunit *test, u32 type, const u32 (*secs)[3],
			 unsigned int nr, u64 value)
{
	struct keel_state_writer w;
	struct keel_state_section *sec;
	__le64 v = cpu_to_le64(value);
	struct blob b = {};
	void *out;
	size_t off;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, keel_state_writer_init(&w, type, 1024), 0);
	for (i = 0; i < nr; i++)
		KUNIT_ASSERT_EQ(test, keel_state_put(&w, secs[i][0], secs[i][1],
						     &v, sizeof(v)), 0);
	KUNIT_ASSERT_EQ(test, keel_state_writer_finish(&w, &out, &b.len), 0);
	b.buf = kunit_kmalloc(test, b.len + 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b.buf);
	memcpy(b.buf, out, b.len);
	kvfree(out);

	/* Section flags are not the writer's business: set them here. */
	off = sizeof(struct keel_state_header);
	for (i = 0; i < nr; i++) {
		sec = (void *)(b.buf + off);
		sec->flags = cpu_to_le16(secs[i][2]);
		sec->crc = cpu_to_le32(keel_state_sec_crc(sec, sec + 1));
		off += sizeof(*sec) + ALIGN(le32_to_cpu(sec->len), 8);
	}
	return b;
}

static void fix_hdr_crc(struct blob *b)
{
	struct keel_state_header *h = (void *)b->buf;

	h->hdr_crc = 0;
	h->hdr_crc = cpu_to_le32(keel_state_crc(h, sizeof(*h)));
}

static int parse(struct blob *b)
{
	struct keel_state_blob out;
	const char *why = NULL;
	int ret = keel_state_parse(b->buf, b->len, &fake_ops, FAKE_MAX, &out,
				   &why);

	WARN_ON(ret && !why);
	return ret;
}

static const u32 good_secs[][3] = { { 1, 2, 0 } };

static void state_test_crc(struct kunit *test)
{
	/* The CRC-32 check value, as zlib's crc32(0, "123456789", 9). */
	KUNIT_EXPECT_EQ(test, keel_state_crc("123456789", 9), 0xcbf43926u);
	KUNIT_EXPECT_EQ(test, keel_state_crc("", 0), 0u);
}

static void state_test_roundtrip(struct kunit *test)
{
	static const u32 secs[][3] = { { 1, 2, 0 }, { 2, 1, 0 } };
	struct blob b = build(test, FAKE_TYPE, secs, 2, 0x1122334455667788);
	const struct keel_state_header *h = (void *)b.buf;
	struct keel_state_blob out;
	const char *why;
	__le64 v;

	KUNIT_EXPECT_EQ(test, b.len, sizeof(*h) + 2 * (16 + 8));
	KUNIT_EXPECT_EQ(test, le32_to_cpu(h->magic), KEEL_STATE_MAGIC);
	KUNIT_EXPECT_EQ(test, memcmp(b.buf, "KEST", 4), 0);
	KUNIT_ASSERT_EQ(test, keel_state_parse(b.buf, b.len, &fake_ops,
					       FAKE_MAX, &out, &why), 0);
	KUNIT_EXPECT_EQ(test, out.nr, 2U);
	KUNIT_EXPECT_EQ(test, out.type, (u32)FAKE_TYPE);
	KUNIT_ASSERT_NOT_NULL(test, keel_state_find(&out, 1));
	KUNIT_EXPECT_EQ(test, keel_state_find(&out, 1)->version, 2);
	memcpy(&v, keel_state_find(&out, 2)->data, 8);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(v), 0x1122334455667788ull);
	KUNIT_EXPECT_NULL(test, keel_state_find(&out, 3));
}

static void state_test_truncated(struct kunit *test)
{
	struct blob b = build(test, FAKE_TYPE, good_secs, 1, 7);
	size_t full = b.len;

	KUNIT_ASSERT_EQ(test, parse(&b), 0);
	for (b.len = 0; b.len < full; b.len++)
		KUNIT_EXPECT_NE_MSG(test, parse(&b), 0, "len %zu", b.len);
	b.len = full + 8;
	memset(b.buf + full, 0, 8);
	KUNIT_EXPECT_EQ(test, parse(&b), -EBADMSG);
	b.len = FAKE_MAX + 1;
	KUNIT_EXPECT_EQ(test, parse(&b), -EFBIG);
}

static void state_test_corrupt(struct kunit *test)
{
	struct blob b = build(test, FAKE_TYPE, good_secs, 1, 7);
	size_t i;
	u8 bit;

	/* Every single-bit flip anywhere is caught. */
	for (i = 0; i < b.len; i++) {
		for (bit = 0; bit < 8; bit++) {
			b.buf[i] ^= 1 << bit;
			KUNIT_EXPECT_NE_MSG(test, parse(&b), 0, "byte %zu bit %u",
					    i, bit);
			b.buf[i] ^= 1 << bit;
		}
	}
	KUNIT_EXPECT_EQ(test, parse(&b), 0);
}

static void state_test_header_fields(struct kunit *test)
{
	struct blob b = build(test, FAKE_TYPE, good_secs, 1, 7);
	struct keel_state_header *h = (void *)b.buf;

	h->type = cpu_to_le32(FAKE_TYPE + 1);
	fix_hdr_crc(&b);
	KUNIT_EXPECT_EQ(test, parse(&b), -EMEDIUMTYPE);
	h->type = cpu_to_le32(FAKE_TYPE);

	h->format = cpu_to_le16(KEEL_STATE_FORMAT + 1);
	fix_hdr_crc(&b);
	KUNIT_EXPECT_EQ(test, parse(&b), -EPROTONOSUPPORT);
	h->format = cpu_to_le16(KEEL_STATE_FORMAT);

	h->flags = cpu_to_le32(1);
	fix_hdr_crc(&b);
	KUNIT_EXPECT_EQ(test, parse(&b), -EBADMSG);
	h->flags = 0;

	h->nr_sections = cpu_to_le32(2);
	fix_hdr_crc(&b);
	KUNIT_EXPECT_EQ(test, parse(&b), -EBADMSG);
	h->nr_sections = 0;
	fix_hdr_crc(&b);
	KUNIT_EXPECT_EQ(test, parse(&b), -EBADMSG);
	h->nr_sections = cpu_to_le32(1);

	h->total_len = cpu_to_le64(b.len + 8);
	fix_hdr_crc(&b);
	KUNIT_EXPECT_EQ(test, parse(&b), -EBADMSG);
	h->total_len = cpu_to_le64(b.len);

	h->magic = 0;
	fix_hdr_crc(&b);
	KUNIT_EXPECT_EQ(test, parse(&b), -EBADMSG);
	h->magic = cpu_to_le32(KEEL_STATE_MAGIC);
	fix_hdr_crc(&b);
	KUNIT_EXPECT_EQ(test, parse(&b), 0);
}

static void state_test_sections(struct kunit *test)
{
	static const u32 older[][3] = { { 1, 1, 0 } };
	static const u32 newer[][3] = { { 1, 3, 0 } };
	static const u32 unknown[][3] = { { 1, 2, 0 }, { 9, 1, 0 } };
	static const u32 optional[][3] = { { 1, 2, 0 },
					   { 9, 1, KEEL_STATE_SEC_OPTIONAL } };
	static const u32 badflags[][3] = { { 1, 2, 0x8 } };
	static const u32 twice[][3] = { { 1, 2, 0 }, { 1, 2, 0 } };
	static const u32 missing[][3] = { { 2, 1, 0 } };
	struct blob b;

	b = build(test, FAKE_TYPE, older, 1, 7);
	KUNIT_EXPECT_EQ(test, parse(&b), 0);
	b = build(test, FAKE_TYPE, newer, 1, 7);
	KUNIT_EXPECT_EQ(test, parse(&b), -EPROTONOSUPPORT);
	b = build(test, FAKE_TYPE, unknown, 2, 7);
	KUNIT_EXPECT_EQ(test, parse(&b), -EPROTONOSUPPORT);
	b = build(test, FAKE_TYPE, optional, 2, 7);
	KUNIT_EXPECT_EQ(test, parse(&b), 0);
	b = build(test, FAKE_TYPE, badflags, 1, 7);
	KUNIT_EXPECT_EQ(test, parse(&b), -EBADMSG);
	b = build(test, FAKE_TYPE, twice, 2, 7);
	KUNIT_EXPECT_EQ(test, parse(&b), -EBADMSG);
	b = build(test, FAKE_TYPE, missing, 1, 7);
	KUNIT_EXPECT_EQ(test, parse(&b), -EINVAL);
}

static void state_test_writer_limits(struct kunit *test)
{
	struct keel_state_writer w;
	u8 data[64] = {};
	void *out;
	size_t len;
	int i;

	KUNIT_EXPECT_EQ(test, keel_state_writer_init(&w, 1, 8), -EINVAL);
	KUNIT_ASSERT_EQ(test, keel_state_writer_init(&w, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, keel_state_put(&w, 1, 1, data, 64), -ENOSPC);
	/* The first error sticks and finish() reports it. */
	KUNIT_EXPECT_EQ(test, keel_state_put(&w, 1, 1, data, 1), -ENOSPC);
	KUNIT_EXPECT_EQ(test, keel_state_writer_finish(&w, &out, &len),
			-ENOSPC);

	KUNIT_ASSERT_EQ(test, keel_state_writer_init(&w, 1, 4096), 0);
	KUNIT_EXPECT_EQ(test, keel_state_put(&w, 0, 1, data, 1), -EINVAL);
	keel_state_writer_abort(&w);

	KUNIT_ASSERT_EQ(test, keel_state_writer_init(&w, 1, 4096), 0);
	for (i = 1; i <= KEEL_STATE_MAX_SECTIONS; i++)
		KUNIT_EXPECT_EQ(test, keel_state_put(&w, i, 1, data, 1), 0);
	KUNIT_EXPECT_EQ(test, keel_state_put(&w, 99, 1, data, 1), -E2BIG);
	keel_state_writer_abort(&w);

	KUNIT_ASSERT_EQ(test, keel_state_writer_init(&w, 1, 4096), 0);
	KUNIT_EXPECT_EQ(test, keel_state_writer_finish(&w, &out, &len),
			-EINVAL);
}

/* A section filled in place is the same bytes as one put whole. */
static void state_test_sec_in_place(struct kunit *test)
{
	struct keel_state_writer a, b;
	void *out_a, *out_b, *p;
	size_t len_a, len_b;
	u8 data[13];
	unsigned int i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = 0xa0 + i;
	KUNIT_ASSERT_EQ(test, keel_state_writer_init(&a, 1, 4096), 0);
	KUNIT_ASSERT_EQ(test, keel_state_writer_init(&b, 1, 4096), 0);
	KUNIT_EXPECT_EQ(test, keel_state_put(&a, 3, 2, data, sizeof(data)), 0);
	p = keel_state_sec_begin(&b, 3, 2, sizeof(data));
	KUNIT_ASSERT_NOT_NULL(test, p);
	memcpy(p, data, sizeof(data));
	KUNIT_EXPECT_EQ(test, keel_state_sec_end(&b), 0);
	KUNIT_ASSERT_EQ(test, keel_state_writer_finish(&a, &out_a, &len_a), 0);
	KUNIT_ASSERT_EQ(test, keel_state_writer_finish(&b, &out_b, &len_b), 0);
	KUNIT_EXPECT_EQ(test, len_a, len_b);
	KUNIT_EXPECT_EQ(test, memcmp(out_a, out_b, len_a), 0);
	kvfree(out_a);
	kvfree(out_b);

	/* End without begin, begin twice, finish with a section open. */
	KUNIT_ASSERT_EQ(test, keel_state_writer_init(&a, 1, 4096), 0);
	KUNIT_EXPECT_EQ(test, keel_state_sec_end(&a), -EINVAL);
	keel_state_writer_abort(&a);
	KUNIT_ASSERT_EQ(test, keel_state_writer_init(&a, 1, 4096), 0);
	KUNIT_EXPECT_NOT_NULL(test, keel_state_sec_begin(&a, 1, 1, 8));
	KUNIT_EXPECT_NULL(test, keel_state_sec_begin(&a, 2, 1, 8));
	KUNIT_EXPECT_EQ(test, keel_state_sec_end(&a), -EINVAL);
	keel_state_writer_abort(&a);
	KUNIT_ASSERT_EQ(test, keel_state_writer_init(&a, 1, 4096), 0);
	KUNIT_EXPECT_NOT_NULL(test, keel_state_sec_begin(&a, 1, 1, 8));
	KUNIT_EXPECT_EQ(test, keel_state_writer_finish(&a, &out_a, &len_a),
			-EINVAL);
	/* Too large: NULL, and end() reports why. */
	KUNIT_ASSERT_EQ(test, keel_state_writer_init(&a, 1, 64), 0);
	KUNIT_EXPECT_NULL(test, keel_state_sec_begin(&a, 1, 1, 64));
	KUNIT_EXPECT_EQ(test, keel_state_sec_end(&a), -ENOSPC);
	keel_state_writer_abort(&a);
}

/* Every command in every state: allowed ones work, others change nothing. */
static void state_test_transitions(struct kunit *test)
{
	struct fake_obj *f = fake_new(test, 42);
	struct blob b = build(test, FAKE_TYPE, good_secs, 1, 43);
	void *out;
	size_t len;

	/* A new object is STOPPED. */
	KUNIT_EXPECT_EQ(test, keel_state_get(&f->st), (u32)KEEL_STATE_STOPPED);
	KUNIT_EXPECT_EQ(test, keel_state_stop(&f->st), -EALREADY);
	KUNIT_EXPECT_EQ(test, f->stops, 0U);

	f->resume_err = -EIO;
	KUNIT_EXPECT_EQ(test, keel_state_resume(&f->st), -EIO);
	KUNIT_EXPECT_EQ(test, keel_state_get(&f->st), (u32)KEEL_STATE_STOPPED);
	f->resume_err = 0;
	KUNIT_EXPECT_EQ(test, keel_state_resume(&f->st), 0);
	KUNIT_EXPECT_TRUE(test, f->running);

	/* RUNNING refuses everything but STOP. */
	KUNIT_EXPECT_EQ(test, keel_state_resume(&f->st), -EALREADY);
	KUNIT_EXPECT_EQ(test, keel_state_save(&f->st, &out, &len), -EBUSY);
	KUNIT_EXPECT_EQ(test, keel_state_load(&f->st, b.buf, b.len, NULL),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, keel_state_swap(&f->st, b.buf, b.len, &out, &len,
					      NULL), -EBUSY);
	KUNIT_EXPECT_EQ(test, f->value, 42ull);
	KUNIT_EXPECT_EQ(test, f->resumes, 1U);
	KUNIT_EXPECT_EQ(test, f->loads, 0U);

	KUNIT_EXPECT_EQ(test, keel_state_stop(&f->st), 0);
	KUNIT_EXPECT_FALSE(test, f->running);
	KUNIT_EXPECT_EQ(test, keel_state_get(&f->st), (u32)KEEL_STATE_STOPPED);

	/* The idempotent form used by the older START/STOP ioctls. */
	KUNIT_EXPECT_EQ(test, keel_state_set_running(&f->st, false), 0);
	KUNIT_EXPECT_EQ(test, keel_state_set_running(&f->st, true), 0);
	KUNIT_EXPECT_EQ(test, keel_state_set_running(&f->st, true), 0);
	KUNIT_EXPECT_EQ(test, f->resumes, 2U);
	KUNIT_EXPECT_EQ(test, keel_state_set_running(&f->st, false), 0);
	keel_state_destroy(&f->st);
}

static void state_test_save_load_swap(struct kunit *test)
{
	struct fake_obj *f = fake_new(test, 42);
	struct blob b43 = build(test, FAKE_TYPE, good_secs, 1, 43);
	struct blob bad = build(test, FAKE_TYPE, good_secs, 1, 0xdead);
	struct blob other = build(test, FAKE_TYPE + 1, good_secs, 1, 44);
	void *out, *out2;
	size_t len, len2;
	const char *why;

	KUNIT_ASSERT_EQ(test, keel_state_save(&f->st, &out, &len), 0);
	KUNIT_ASSERT_EQ(test, keel_state_load(&f->st, out, len, &why), 0);
	KUNIT_ASSERT_EQ(test, keel_state_save(&f->st, &out2, &len2), 0);
	/* save -> load -> save gives the same bytes. */
	KUNIT_EXPECT_EQ(test, len, len2);
	KUNIT_EXPECT_EQ(test, memcmp(out, out2, len), 0);
	kvfree(out2);

	/* Refused blobs change nothing and count as rejects. */
	KUNIT_EXPECT_EQ(test, keel_state_load(&f->st, bad.buf, bad.len, &why),
			-EINVAL);
	KUNIT_EXPECT_STREQ(test, why, "bad value");
	KUNIT_EXPECT_EQ(test, keel_state_load(&f->st, other.buf, other.len,
					      &why), -EMEDIUMTYPE);
	KUNIT_EXPECT_EQ(test, keel_state_swap(&f->st, bad.buf, bad.len, &out2,
					      &len2, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, f->value, 42ull);
	KUNIT_EXPECT_EQ(test, f->st.rejects, 3ull);

	/* SWAP hands out the old state and takes the new one. */
	KUNIT_ASSERT_EQ(test, keel_state_swap(&f->st, b43.buf, b43.len, &out2,
					      &len2, NULL), 0);
	KUNIT_EXPECT_EQ(test, f->value, 43ull);
	KUNIT_EXPECT_EQ(test, len2, len);
	KUNIT_EXPECT_EQ(test, memcmp(out, out2, len), 0);
	/* ... and back: a rollback to the checkpoint. */
	KUNIT_EXPECT_EQ(test, keel_state_load(&f->st, out2, len2, NULL), 0);
	KUNIT_EXPECT_EQ(test, f->value, 42ull);
	KUNIT_EXPECT_EQ(test, f->st.saves, 3ull);
	KUNIT_EXPECT_EQ(test, f->st.loads, 3ull);
	kvfree(out);
	kvfree(out2);
	keel_state_destroy(&f->st);
}

/* A report that sees the outgoing length and fails or not. */
struct report_arg {
	int ret;
	unsigned int calls;
	size_t len;
};

static int report(void *arg, size_t out_len)
{
	struct report_arg *r = arg;

	r->calls++;
	r->len = out_len;
	return r->ret;
}

static void state_test_report_first(struct kunit *test)
{
	struct fake_obj *f = fake_new(test, 42);
	struct blob b43 = build(test, FAKE_TYPE, good_secs, 1, 43);
	struct blob bad = build(test, FAKE_TYPE, good_secs, 1, 0xdead);
	struct report_arg r = { .ret = -EFAULT };
	void *out = NULL;
	size_t len = 0;

	/* A failing report: nothing applied, counted or handed out. */
	KUNIT_EXPECT_EQ(test, keel_state_xfer(&f->st, b43.buf, b43.len, &out,
					      &len, NULL, report, &r), -EFAULT);
	KUNIT_EXPECT_EQ(test, r.calls, 1U);
	KUNIT_EXPECT_GT(test, r.len, (size_t)0);
	KUNIT_EXPECT_NULL(test, out);
	KUNIT_EXPECT_EQ(test, keel_state_xfer(&f->st, b43.buf, b43.len, NULL,
					      NULL, NULL, report, &r), -EFAULT);
	KUNIT_EXPECT_EQ(test, r.len, (size_t)0);
	KUNIT_EXPECT_EQ(test, keel_state_xfer(&f->st, NULL, 0, &out, &len,
					      NULL, report, &r), -EFAULT);
	KUNIT_EXPECT_NULL(test, out);
	KUNIT_EXPECT_EQ(test, f->value, 42ull);
	KUNIT_EXPECT_EQ(test, f->loads, 0U);
	KUNIT_EXPECT_EQ(test, f->st.saves, 0ull);
	KUNIT_EXPECT_EQ(test, f->st.loads, 0ull);

	/* A refused blob never reaches the report. */
	r.calls = 0;
	KUNIT_EXPECT_EQ(test, keel_state_xfer(&f->st, bad.buf, bad.len, &out,
					      &len, NULL, report, &r), -EINVAL);
	KUNIT_EXPECT_EQ(test, r.calls, 0U);

	/* A report that succeeds: the command takes effect after it. */
	r.ret = 0;
	KUNIT_ASSERT_EQ(test, keel_state_xfer(&f->st, b43.buf, b43.len, &out,
					      &len, NULL, report, &r), 0);
	KUNIT_EXPECT_EQ(test, r.calls, 1U);
	KUNIT_EXPECT_EQ(test, r.len, len);
	KUNIT_EXPECT_EQ(test, f->value, 43ull);
	KUNIT_EXPECT_EQ(test, f->st.saves, 1ull);
	KUNIT_EXPECT_EQ(test, f->st.loads, 1ull);
	kvfree(out);
	keel_state_destroy(&f->st);
}

static struct kunit_case keel_state_cases[] = {
	KUNIT_CASE(state_test_crc),
	KUNIT_CASE(state_test_roundtrip),
	KUNIT_CASE(state_test_truncated),
	KUNIT_CASE(state_test_corrupt),
	KUNIT_CASE(state_test_header_fields),
	KUNIT_CASE(state_test_sections),
	KUNIT_CASE(state_test_writer_limits),
	KUNIT_CASE(state_test_sec_in_place),
	KUNIT_CASE(state_test_transitions),
	KUNIT_CASE(state_test_save_load_swap),
	KUNIT_CASE(state_test_report_first),
	{}
};

static struct kunit_suite keel_state_suite = {
	.name = "keel_state",
	.test_cases = keel_state_cases,
};

kunit_test_suite(keel_state_suite);

MODULE_DESCRIPTION("KUnit tests for Keel's state framework");
MODULE_LICENSE("GPL");
