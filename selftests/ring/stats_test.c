// SPDX-License-Identifier: GPL-2.0
/*
 * A ring as the keel netlink family lists it: object type "ring" with its
 * geometry, the kernel's indices and counters; gone when the file is
 * closed; "keelctl ring list|show [-j]" print the same.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <json-c/json.h>

#include "libkeel.h"
#include "ring_test.h"

#ifndef KEELCTL_PATH
#define KEELCTL_PATH "/keel/bin/keelctl"
#endif

static uint64_t info(const struct keel_obj *o, uint16_t type)
{
	const struct keel_info_attr *a = keel_obj_info(o, type);
	uint64_t v = 0;
	uint32_t v32;

	if (a && a->len == 8) {
		memcpy(&v, a->data, 8);
	} else if (a && a->len == 4) {
		memcpy(&v32, a->data, 4);
		v = v32;
	}
	return v;
}

static struct keel_sock *open_keel(struct __test_metadata *_metadata)
{
	struct keel_error err;
	struct keel_sock *s = keel_open(&err);

	ASSERT_NE(NULL, s) TH_LOG("keel_open: %s", err.msg);
	return s;
}

/* Two full ring cycles of writes, commits and reads, with bad values. */
static void exercise(struct __test_metadata *_metadata, struct ring *r)
{
	char buf[64];
	int i;

	ASSERT_EQ(0, fcntl(r->fd, F_SETFL, O_NONBLOCK));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(10, write(r->fd, "0123456789", 10));
	/*
	 * Full from here to the first read: for longer than the coarsest
	 * clock a test kernel has (the debug kernel, without ACPI, keeps
	 * time in 4 ms jiffies), so that the time is seen.
	 */
	usleep(20 * 1000);
	ASSERT_EQ(0, ring_commit(r, (r->s.start + 3) & r->mask, 0, NULL));
	ASSERT_EQ(10, read(r->fd, buf, sizeof(buf)));
	ASSERT_EQ(10, read(r->fd, buf, sizeof(buf)));
	/* Two hostile values, each counted once however often it is seen. */
	r->ctrl->buf_tail = r->s.start + 100;
	ASSERT_EQ(0, ring_ioctl(r->fd, KEEL_RING_IOC_SYNC, NULL));
	ASSERT_EQ(0, ring_ioctl(r->fd, KEEL_RING_IOC_SYNC, NULL));
	r->ctrl->buf_tail = r->s.start + 4;
	r->ctrl->head = r->s.start + 50;
	ASSERT_EQ(0, ring_ioctl(r->fd, KEEL_RING_IOC_SYNC, NULL));
	r->ctrl->head = r->s.start + 2;
	/* A bad length: dropped */
	ring_slot(r, r->s.start + 2)->len = 1000;
	ASSERT_EQ(-1, read(r->fd, buf, sizeof(buf)));
	ASSERT_EQ(EBADMSG, errno);
}

TEST(object_and_counters)
{
	struct keel_ring_setup s;
	struct keel_objs list;
	struct keel_sock *k;
	struct keel_obj o;
	struct ring r;
	int fd;

	RING_OPEN_OR_SKIP(fd);
	close(fd);
	k = open_keel(_metadata);
	ring_setup_init(&s, 4, 64, KEEL_RING_SETUP_IDX64, 0xfffffffeull);
	strcpy(s.label, "stats-ring");
	ASSERT_EQ(0, ring_create(&r, &s));
	exercise(_metadata, &r);

	ASSERT_EQ(0, keel_obj_get(k, r.s.id, &o));
	EXPECT_STREQ("ring", o.type);
	EXPECT_STREQ("ring", o.part);
	EXPECT_STREQ("stats-ring", o.label);
	EXPECT_EQ((uint32_t)getpid(), o.owner_pid);
	EXPECT_EQ(4, info(&o, KEEL_RING_INFO_A_SLOTS));
	EXPECT_EQ(64, info(&o, KEEL_RING_INFO_A_SLOT_SIZE));
	EXPECT_EQ(KEEL_RING_SETUP_IDX64, info(&o, KEEL_RING_INFO_A_FLAGS));
	EXPECT_EQ(0xfffffffeull + 3, info(&o, KEEL_RING_INFO_A_HEAD));
	EXPECT_EQ(0xfffffffeull + 3, info(&o, KEEL_RING_INFO_A_OUT_TAIL));
	EXPECT_EQ(0xfffffffeull + 4, info(&o, KEEL_RING_INFO_A_BUF_TAIL));
	EXPECT_EQ(4, info(&o, KEEL_RING_INFO_A_PRODUCED));
	EXPECT_EQ(3, info(&o, KEEL_RING_INFO_A_COMMITTED));
	EXPECT_EQ(3, info(&o, KEEL_RING_INFO_A_FETCHED));
	EXPECT_EQ(40, info(&o, KEEL_RING_INFO_A_BYTES_IN));
	EXPECT_EQ(20, info(&o, KEEL_RING_INFO_A_BYTES_OUT));
	EXPECT_EQ(2, info(&o, KEEL_RING_INFO_A_BAD_INDEX));
	EXPECT_EQ(1, info(&o, KEEL_RING_INFO_A_BAD_ENTRY));
	/* It was full between the fourth write and the first read. */
	EXPECT_LT(0, info(&o, KEEL_RING_INFO_A_FULL_NS));
	EXPECT_EQ(0, info(&o, KEEL_RING_INFO_A_REPL_LAG));
	keel_obj_free(&o);

	ASSERT_EQ(0, keel_obj_dump(k, "ring", &list));
	EXPECT_NE(NULL, keel_objs_find(&list, r.s.id));
	keel_objs_free(&list);

	/* Closed (and unmapped): gone. */
	ring_destroy(&r);
	EXPECT_NE(0, keel_obj_get(k, r.s.id, &o));
	keel_close(k);
}

/* Run keelctl with @args; its stdout in @out (NUL-terminated). */
static int run_keelctl(const char *const *args, char *out, size_t len)
{
	const char *path = getenv("KEELCTL") ?: KEELCTL_PATH;
	const char *argv[8] = { path };
	int mfd, status;
	ssize_t n;
	pid_t pid;
	size_t i;

	for (i = 0; args[i] && i < 6; i++)
		argv[i + 1] = args[i];
	mfd = memfd_create("out", MFD_CLOEXEC);
	if (mfd < 0)
		return -1;
	pid = fork();
	if (!pid) {
		dup2(mfd, 1);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	n = pread(mfd, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(mfd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char out[65536];

TEST(keelctl_ring)
{
	const char *path = getenv("KEELCTL") ?: KEELCTL_PATH;
	struct json_object *j, *one = NULL, *info, *v;
	struct keel_ring_setup s;
	char id[16];
	struct ring r;
	size_t i;
	int fd;

	RING_OPEN_OR_SKIP(fd);
	close(fd);
	if (access(path, X_OK))
		SKIP(return, "%s: %s (set KEELCTL)", path, strerror(errno));
	ring_setup_init(&s, 4, 64, 0, 0xfffffffeull);
	strcpy(s.label, "cli-ring");
	ASSERT_EQ(0, ring_create(&r, &s));
	exercise(_metadata, &r);
	snprintf(id, sizeof(id), "%u", r.s.id);

	ASSERT_EQ(0, run_keelctl((const char *[]){ "ring", "-j", NULL }, out,
				 sizeof(out)));
	j = json_tokener_parse(out);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", out);
	for (i = 0; i < json_object_array_length(j); i++) {
		struct json_object *e = json_object_array_get_idx(j, i);

		if (json_object_object_get_ex(e, "id", &v) &&
		    json_object_get_uint64(v) == r.s.id)
			one = e;
	}
	ASSERT_NE(NULL, one) TH_LOG("ring %s not listed: %s", id, out);
#define JSON_EQ(obj, key, val)						\
	do {								\
		ASSERT_TRUE(json_object_object_get_ex(obj, key, &v));	\
		EXPECT_EQ((uint64_t)(val), json_object_get_uint64(v));	\
	} while (0)
	ASSERT_TRUE(json_object_object_get_ex(one, "info", &info));
	JSON_EQ(info, "slots", 4);
	JSON_EQ(info, "index_bits", 32);
	/* 0xfffffffe + 3 wrapped */
	JSON_EQ(info, "head", 1);
	JSON_EQ(info, "buf_tail", 2);
	JSON_EQ(info, "fetchable", 0);
	JSON_EQ(info, "uncommitted", 1);
	JSON_EQ(info, "produced", 4);
	JSON_EQ(info, "committed", 3);
	JSON_EQ(info, "fetched", 3);
	JSON_EQ(info, "bad_index", 2);
	JSON_EQ(info, "bad_entry", 1);
	json_object_put(j);

	ASSERT_EQ(0, run_keelctl((const char *[]){ "-j", "ring", "show", id,
						  NULL }, out, sizeof(out)));
	one = json_tokener_parse(out);
	ASSERT_NE(NULL, one) TH_LOG("not JSON: %s", out);
	JSON_EQ(one, "id", r.s.id);
	ASSERT_TRUE(json_object_object_get_ex(one, "info", &info));
	JSON_EQ(info, "committed", 3);
	ASSERT_TRUE(json_object_object_get_ex(one, "label", &v));
	EXPECT_STREQ("cli-ring", json_object_get_string(v));
	json_object_put(one);

	ASSERT_EQ(0, run_keelctl((const char *[]){ "ring", "show", id, NULL },
				 out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "cli-ring"));
	EXPECT_NE(NULL, strstr(out, "\nuncommitted     1\n"));
	ASSERT_EQ(0, run_keelctl((const char *[]){ "ring", "list", NULL },
				 out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "cli-ring"));
	/* No such ring: not found (5). */
	EXPECT_EQ(5, run_keelctl((const char *[]){ "ring", "show", "999999",
						  NULL }, out, sizeof(out)));
	EXPECT_EQ(2, run_keelctl((const char *[]){ "ring", "bogus", NULL },
				 out, sizeof(out)));
	ring_destroy(&r);
}

TEST_HARNESS_MAIN
