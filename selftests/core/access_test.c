// SPDX-License-Identifier: GPL-2.0
/*
 * Who may do what (Documentation/security.rst), from the side of an
 * unprivileged user in group "kvm", as an operator runs a VMM:
 *
 * - the device nodes are the kvm group's (mode 0660), so the user needs
 *   no privilege to create Keel objects;
 * - the "keel" family shows the user its own objects and nothing of
 *   anyone else's (not its label, VM, pid or counters), by listing or by
 *   id; the counts per part stay public;
 * - STATE_SET works on the user's own objects and on nobody else's, also
 *   with CAP_NET_ADMIN: another tenant's state (a ring's payload, a
 *   device's registers) is CAP_SYS_ADMIN's alone;
 * - the "events" group, which describes every object, is CAP_SYS_ADMIN's.
 *
 * Each test forks (the harness does) and drops to the test user after
 * root has created what the test needs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/keel.h>
#include <linux/keel_ring.h>
#include <linux/keel_state.h>

#include "libkeel.h"
#include "keel_test_user.h"
#include "kselftest_harness.h"

/* A ring with @label, created by the calling process: its fd and id. */
static int ring_new(const char *label, uint32_t *id)
{
	struct keel_ring_setup s = {
		.size = sizeof(s), .slots = 8, .slot_size = 128,
		.event_fd = -1,
	};
	int fd;

	snprintf(s.label, sizeof(s.label), "%s", label);
	fd = open(KEEL_RING_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, KEEL_RING_IOC_SETUP, &s)) {
		int err = -errno;

		close(fd);
		return err;
	}
	*id = s.id;
	return fd;
}

/* Is object @id in a listing through @s? */
static bool listed(struct __test_metadata *_metadata, struct keel_sock *s,
		   uint32_t id)
{
	struct keel_objs list;
	bool found = false;
	size_t i;

	EXPECT_EQ(0, keel_obj_dump(s, NULL, &list));
	for (i = 0; i < list.n; i++)
		found |= list.v[i].id == id;
	keel_objs_free(&list);
	return found;
}

/* Become the test user, keeping CAP_NET_ADMIN and nothing else. */
static int become_user_with_net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { { 0 } };

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || keel_test_become_user())
		return -1;
	d[0].permitted = d[0].effective = 1u << CAP_NET_ADMIN;
	return syscall(SYS_capset, &h, d);
}

static void check_node(struct __test_metadata *_metadata, const char *path,
		       gid_t kvm)
{
	struct stat st;

	ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0660, st.st_mode & 07777) TH_LOG("%s mode %o", path,
						   st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(kvm, st.st_gid) TH_LOG("%s group %u", path, st.st_gid);
}

/* The nodes as the installed udev rule makes them: root:kvm 0660. */
TEST(device_nodes_belong_to_kvm)
{
	uid_t uid;
	gid_t kvm;

	ASSERT_EQ(0, keel_test_user_ids(&uid, &kvm));
	check_node(_metadata, "/dev/keel", kvm);
	check_node(_metadata, KEEL_RING_DEVICE, kvm);
	check_node(_metadata, "/dev/keel-vdev", kvm);
}

/* The user creates a ring, sees it, and sees nothing of root's. */
TEST(user_sees_only_its_own_objects)
{
	uint32_t mine, roots;
	struct keel_sock *s;
	struct keel_obj o;
	int rfd, ufd;

	rfd = ring_new("root-ring", &roots);
	ASSERT_LE(0, rfd);
	ASSERT_EQ(0, keel_test_become_user());

	ufd = ring_new("user-ring", &mine);
	ASSERT_LE(0, ufd) TH_LOG("the test user cannot create a ring: %s",
				 strerror(-ufd));
	s = keel_open(NULL);
	ASSERT_NE(NULL, s);
	EXPECT_TRUE(listed(_metadata, s, mine));
	EXPECT_FALSE(listed(_metadata, s, roots)) TH_LOG("root's ring is listed to the test user");
	ASSERT_EQ(0, keel_obj_get(s, mine, &o));
	EXPECT_STREQ("user-ring", o.label);
	keel_obj_free(&o);
	EXPECT_EQ(-ENOENT, keel_obj_get(s, roots, &o)) TH_LOG("root's ring is shown to the test user");
	keel_close(s);
	close(ufd);
	close(rfd);
}

/* STATE_SET: the user's own ring yes, root's no. */
TEST(user_commands_only_its_own_objects)
{
	uint32_t mine, roots;
	struct keel_sock *s;
	size_t len = 0;
	void *blob = NULL;
	int rfd, ufd;

	rfd = ring_new("root-ring", &roots);
	ASSERT_LE(0, rfd);
	ASSERT_EQ(0, keel_test_become_user());
	ufd = ring_new("user-ring", &mine);
	ASSERT_LE(0, ufd);
	s = keel_open(NULL);
	ASSERT_NE(NULL, s);

	EXPECT_EQ(0, keel_state_set(s, mine, KEEL_STATE_CMD_STOP, NULL, 0,
				    NULL, NULL, NULL))
		TH_LOG("the owner cannot stop its own ring");
	EXPECT_EQ(0, keel_state_set(s, mine, KEEL_STATE_CMD_SAVE, NULL, 0,
				    NULL, &blob, &len));
	free(blob);
	EXPECT_EQ(0, keel_state_set(s, mine, KEEL_STATE_CMD_RESUME, NULL, 0,
				    NULL, NULL, NULL));
	EXPECT_EQ(-ENOENT, keel_state_set(s, roots, KEEL_STATE_CMD_STOP, NULL,
					  0, NULL, NULL, NULL));
	keel_close(s);
	close(ufd);
	close(rfd);
}

/* CAP_NET_ADMIN is no licence to read another tenant's state. */
TEST(net_admin_cannot_save_others_objects)
{
	struct keel_sock *s;
	struct keel_obj o;
	void *blob = NULL;
	size_t len = 0;
	uint32_t roots;
	int rfd;

	rfd = ring_new("root-ring", &roots);
	ASSERT_LE(0, rfd);
	ASSERT_EQ(0, ioctl(rfd, KEEL_STATE_IOC_STOP));
	ASSERT_EQ(0, become_user_with_net_admin());
	s = keel_open(NULL);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(-ENOENT, keel_state_set(s, roots, KEEL_STATE_CMD_SAVE, NULL,
					  0, NULL, &blob, &len))
		TH_LOG("CAP_NET_ADMIN saved another user's ring (%zu bytes)", len);
	free(blob);
	EXPECT_EQ(-ENOENT, keel_obj_get(s, roots, &o));
	keel_close(s);
	close(rfd);
}

/* The events group describes every object: not for the test user. */
TEST(user_cannot_join_events)
{
	struct keel_sock *s;

	ASSERT_EQ(0, keel_test_become_user());
	s = keel_open(NULL);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(-EPERM, keel_join(s, KEEL_GENL_MCGRP_EVENTS));
	keel_close(s);
}

/* Root sees and commands everything, and the per-part counts stay public. */
TEST(root_sees_all_and_counts_are_public)
{
	struct keel_version v;
	struct keel_sock *s;
	uint32_t roots;
	size_t i;
	int rfd;

	rfd = ring_new("root-ring", &roots);
	ASSERT_LE(0, rfd);
	s = keel_open(NULL);
	ASSERT_NE(NULL, s);
	EXPECT_TRUE(listed(_metadata, s, roots));
	EXPECT_EQ(0, keel_join(s, KEEL_GENL_MCGRP_EVENTS));
	keel_close(s);

	ASSERT_EQ(0, keel_test_become_user());
	s = keel_open(NULL);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, keel_version_get(s, &v));
	for (i = 0; i < v.parts.n; i++) {
		if (!strcmp(v.parts.v[i].name, "ring"))
			EXPECT_LE(1, v.parts.v[i].objects);
	}
	keel_version_free(&v);
	keel_close(s);
	close(rfd);
}

TEST_HARNESS_MAIN
