/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running part of a test as an unprivileged user: the user the test VM's
 * /init creates ("keeltest", in group "kvm"), the way an operator runs an
 * unprivileged VMM. A test forks, and the child calls
 * keel_test_become_user() before doing what a tenant could do.
 */
#ifndef KEEL_TEST_USER_H
#define KEEL_TEST_USER_H

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>

#define KEEL_TEST_USER	"keeltest"
#define KEEL_TEST_GROUP	"kvm"

/* The test user's uid and the kvm group's gid; -ENOENT when missing. */
static inline int keel_test_user_ids(uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(KEEL_TEST_USER);
	struct group *gr = getgrnam(KEEL_TEST_GROUP);

	if (!pw || !gr)
		return -ENOENT;
	*uid = pw->pw_uid;
	*gid = gr->gr_gid;
	return 0;
}

/*
 * Drop every privilege of a root process for good: the test user's uid,
 * the kvm group as the only group, no capabilities left (a setuid() from
 * root to a non-zero uid clears them all). 0 or -errno.
 */
static inline int keel_test_become_user(void)
{
	uid_t uid;
	gid_t gid;
	int ret;

	ret = keel_test_user_ids(&uid, &gid);
	if (ret)
		return ret;
	if (setgroups(1, &gid) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		return -errno;
	if (geteuid() != uid || getegid() != gid)
		return -EPERM;
	return 0;
}

#endif /* KEEL_TEST_USER_H */
