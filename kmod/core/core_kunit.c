// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for keel.ko: parsers, label rules, parts, the object
 * registry and its references. Built as keel_core_kunit.ko when the
 * target has KUnit.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/module.h>

#include "core.h"

static void keel_test_label(struct kunit *test)
{
	char ok[KEEL_NAME_MAX] = "web-01";
	char full[KEEL_NAME_MAX];
	char ctl[KEEL_NAME_MAX] = "bad\tlabel";

	KUNIT_EXPECT_TRUE(test, keel_label_valid(ok, sizeof(ok)));
	KUNIT_EXPECT_TRUE(test, keel_label_valid("", 1));

	memset(full, 'a', sizeof(full));
	KUNIT_EXPECT_FALSE(test, keel_label_valid(full, sizeof(full)));
	full[sizeof(full) - 1] = '\0';
	KUNIT_EXPECT_TRUE(test, keel_label_valid(full, sizeof(full)));

	KUNIT_EXPECT_FALSE(test, keel_label_valid(ctl, sizeof(ctl)));
	ctl[3] = (char)0xc3;
	KUNIT_EXPECT_FALSE(test, keel_label_valid(ctl, sizeof(ctl)));
	KUNIT_EXPECT_FALSE(test, keel_label_valid(ok, 0));
}

static void keel_test_stats_pid(struct kunit *test)
{
	pid_t pid = 0;

	KUNIT_EXPECT_EQ(test, keel_parse_stats_pid("kvm-4242", &pid), 0);
	KUNIT_EXPECT_EQ(test, pid, 4242);
	KUNIT_EXPECT_EQ(test, keel_parse_stats_pid("kvm-", &pid), -EINVAL);
	KUNIT_EXPECT_EQ(test, keel_parse_stats_pid("kvm-12x", &pid), -EINVAL);
	KUNIT_EXPECT_EQ(test, keel_parse_stats_pid("kvm--3", &pid), -EINVAL);
	KUNIT_EXPECT_EQ(test, keel_parse_stats_pid("kvm-0", &pid), -EINVAL);
	KUNIT_EXPECT_EQ(test, keel_parse_stats_pid("vm-12", &pid), -EINVAL);
	KUNIT_EXPECT_EQ(test, keel_parse_stats_pid("", &pid), -EINVAL);
	KUNIT_EXPECT_EQ(test, pid, 4242);
}

static void keel_test_bool_param(struct kunit *test)
{
	bool v = false;

	KUNIT_EXPECT_EQ(test, keel_parse_bool_param("Y\n", &v), 0);
	KUNIT_EXPECT_TRUE(test, v);
	KUNIT_EXPECT_EQ(test, keel_parse_bool_param("N\n", &v), 0);
	KUNIT_EXPECT_FALSE(test, v);
	KUNIT_EXPECT_EQ(test, keel_parse_bool_param("1\n", &v), 0);
	KUNIT_EXPECT_TRUE(test, v);
	KUNIT_EXPECT_EQ(test, keel_parse_bool_param("0", &v), 0);
	KUNIT_EXPECT_FALSE(test, v);
	KUNIT_EXPECT_EQ(test, keel_parse_bool_param("maybe", &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, keel_parse_bool_param("", &v), -EINVAL);
}

static void keel_test_u64_line(struct kunit *test)
{
	u64 v = 0;

	KUNIT_EXPECT_EQ(test, keel_parse_u64_line("512\n", &v), 0);
	KUNIT_EXPECT_EQ(test, v, 512ULL);
	KUNIT_EXPECT_EQ(test, keel_parse_u64_line("18446744073709551615", &v), 0);
	KUNIT_EXPECT_EQ(test, v, U64_MAX);
	KUNIT_EXPECT_NE(test, keel_parse_u64_line("-1", &v), 0);
	KUNIT_EXPECT_NE(test, keel_parse_u64_line("12 pages", &v), 0);
	KUNIT_EXPECT_NE(test, keel_parse_u64_line("18446744073709551616", &v), 0);
}

static struct keel_part keel_test_part = {
	.name = "kunit",
	.owner = THIS_MODULE,
};

static const struct keel_object_type keel_test_type = {
	.name = "kunit-obj",
	};

static void keel_test_parts(struct kunit *test)
{
	struct keel_part dup = { .name = "kunit", .owner = THIS_MODULE };
	struct keel_part empty = { .name = "", .owner = THIS_MODULE };
	struct keel_part longname = {
		.name = "a-part-name-that-is-far-too-long-to-fit",
		.owner = THIS_MODULE,
	};

	KUNIT_ASSERT_EQ(test, keel_part_register(&keel_test_part), 0);
	KUNIT_EXPECT_EQ(test, keel_part_register(&dup), -EEXIST);
	KUNIT_EXPECT_EQ(test, keel_part_register(&empty), -EINVAL);
	KUNIT_EXPECT_EQ(test, keel_part_register(&longname), -EINVAL);
	keel_part_unregister(&keel_test_part);

	/* Unregistered, the name is free again. */
	KUNIT_EXPECT_EQ(test, keel_part_register(&dup), 0);
	keel_part_unregister(&dup);
}

#define KEEL_TEST_NOBJ 8

static void keel_test_registry(struct kunit *test)
{
	struct keel_object *objs;
	int i, j;

	objs = kunit_kcalloc(test, KEEL_TEST_NOBJ, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_EQ(test, keel_part_register(&keel_test_part), 0);

	for (i = 0; i < KEEL_TEST_NOBJ; i++) {
		keel_object_init(&objs[i], &keel_test_part, &keel_test_type, NULL);
		/* A label is set before the object is visible. */
		if (!i) {
			KUNIT_EXPECT_EQ(test,
					keel_object_set_label(&objs[0], "db", 3),
					0);
			KUNIT_EXPECT_STREQ(test, objs[0].label, "db");
			KUNIT_EXPECT_EQ(test,
					keel_object_set_label(&objs[0], "a\nb", 4),
					-EINVAL);
			KUNIT_EXPECT_STREQ(test, objs[0].label, "db");
		}
		KUNIT_ASSERT_EQ(test, keel_object_add(&objs[i]), 0);
		KUNIT_EXPECT_NE(test, objs[i].id, 0U);
		KUNIT_EXPECT_NOT_NULL(test, objs[i].owner);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&keel_test_part.nr_objects),
			KEEL_TEST_NOBJ);

	for (i = 0; i < KEEL_TEST_NOBJ; i++)
		for (j = i + 1; j < KEEL_TEST_NOBJ; j++)
			KUNIT_EXPECT_NE(test, objs[i].id, objs[j].id);

	for (i = 0; i < KEEL_TEST_NOBJ; i++) {
		keel_object_del(&objs[i]);
		KUNIT_EXPECT_NULL(test, objs[i].owner);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&keel_test_part.nr_objects), 0);

	/* Ids are allocated cyclically: a new object never reuses at once. */
	keel_object_init(&objs[0], &keel_test_part, &keel_test_type, NULL);
	KUNIT_ASSERT_EQ(test, keel_object_add(&objs[0]), 0);
	KUNIT_EXPECT_GT(test, objs[0].id, objs[KEEL_TEST_NOBJ - 1].id);
	keel_object_del(&objs[0]);

	keel_part_unregister(&keel_test_part);
}

/* A reader that stays inside an object until told to leave. */
struct keel_test_reader {
	struct keel_object *obj;
	struct completion entered, release, done;
	int ret;
};

static int keel_test_reader_fn(struct keel_object *obj, void *arg)
{
	struct keel_test_reader *r = arg;

	complete(&r->entered);
	wait_for_completion(&r->release);
	return obj == r->obj ? 0 : -EINVAL;
}

static int keel_test_reader_thread(void *arg)
{
	struct keel_test_reader *r = arg;

	r->ret = keel_object_call(r->obj->id, keel_test_reader_fn, r);
	complete(&r->done);
	return 0;
}

/* Another object's whole life, or its owner's del, on a thread. */
struct keel_test_owner {
	struct keel_object *obj;
	bool add;
	struct completion done;
	int ret;
};

static int keel_test_owner_thread(void *arg)
{
	struct keel_test_owner *o = arg;

	if (o->add) {
		keel_object_init(o->obj, &keel_test_part, &keel_test_type,
				 NULL);
		o->ret = keel_object_add(o->obj);
		if (!o->ret)
			keel_object_del(o->obj);
	} else {
		keel_object_del(o->obj);
	}
	complete(&o->done);
	return 0;
}

static void keel_test_start(struct kunit *test, int (*fn)(void *), void *arg)
{
	struct task_struct *t = kthread_run(fn, arg, "keel-kunit");

	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
}

/*
 * A reader inside one object holds up nobody else's add or delete, and
 * that object's owner waits in keel_object_del() until the reader left.
 */
static void keel_test_registry_refs(struct kunit *test)
{
	struct keel_test_owner other = { .add = true }, del = {};
	unsigned long other_done, del_done;
	struct keel_test_reader r = {};
	struct keel_object *objs;

	objs = kunit_kcalloc(test, 2, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_EQ(test, keel_part_register(&keel_test_part), 0);
	keel_object_init(&objs[0], &keel_test_part, &keel_test_type, NULL);
	KUNIT_ASSERT_EQ(test, keel_object_add(&objs[0]), 0);

	r.obj = &objs[0];
	init_completion(&r.entered);
	init_completion(&r.release);
	init_completion(&r.done);
	keel_test_start(test, keel_test_reader_thread, &r);
	wait_for_completion(&r.entered);

	/* The reader is inside objs[0]: another object comes and goes. */
	other.obj = &objs[1];
	init_completion(&other.done);
	keel_test_start(test, keel_test_owner_thread, &other);
	other_done = wait_for_completion_timeout(&other.done, 30 * HZ);
	KUNIT_EXPECT_NE(test, other_done, 0UL);

	/* Its owner's delete waits for the reader... */
	del.obj = &objs[0];
	init_completion(&del.done);
	keel_test_start(test, keel_test_owner_thread, &del);
	del_done = wait_for_completion_timeout(&del.done, HZ / 5);
	KUNIT_EXPECT_EQ(test, del_done, 0UL);
	KUNIT_EXPECT_EQ(test, atomic_read(&keel_test_part.nr_objects), 0);
	/* ... and returns once it left. */
	complete(&r.release);
	wait_for_completion(&r.done);
	/* (A completion counts: wait again only for what did not come.) */
	if (!del_done)
		wait_for_completion(&del.done);
	if (!other_done)
		wait_for_completion(&other.done);
	KUNIT_EXPECT_EQ(test, other.ret, 0);
	KUNIT_EXPECT_EQ(test, r.ret, 0);

	/* Gone for new readers. */
	KUNIT_EXPECT_EQ(test, keel_object_call(objs[0].id, keel_test_reader_fn,
					       &r), -ENOENT);
	keel_part_unregister(&keel_test_part);
}

static struct kunit_case keel_core_cases[] = {
	KUNIT_CASE(keel_test_label),
	KUNIT_CASE(keel_test_stats_pid),
	KUNIT_CASE(keel_test_bool_param),
	KUNIT_CASE(keel_test_u64_line),
	KUNIT_CASE(keel_test_parts),
	KUNIT_CASE(keel_test_registry),
	KUNIT_CASE(keel_test_registry_refs),
	{}
};

static struct kunit_suite keel_core_suite = {
	.name = "keel_core",
	.test_cases = keel_core_cases,
};

kunit_test_suite(keel_core_suite);

MODULE_DESCRIPTION("KUnit tests for the Keel core");
MODULE_LICENSE("GPL");
