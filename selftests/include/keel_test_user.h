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
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define KEEL_TEST_USER	"keeltest"
#define KEEL_TEST_GROUP	"kvm"

/*
 * The uid of @user in /etc/passwd, the gid of @group in /etc/group; the
 * files themselves (fgetpwent/fgetgrent), not NSS: the guest-code tests
 * are linked statically, where NSS would need glibc's shared modules.
 */
static inline int keel_test_file_ids(const char *user, const char *group,
				     uid_t *uid, gid_t *gid)
{
	struct passwd *pw;
	struct group *gr;
	int found = 0;
	FILE *f;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	f = fopen("/etc/passwd", "re");
	if (!f)
		return -errno;
	while ((pw = fgetpwent(f)))
		if (!strcmp(pw->pw_name, user)) {
			*uid = pw->pw_uid;
			found |= 1;
			break;
		}
	fclose(f);
	f = fopen("/etc/group", "re");
	if (!f)
		return -errno;
	while ((gr = fgetgrent(f)))
		if (!strcmp(gr->gr_name, group)) {
			*gid = gr->gr_gid;
			found |= 2;
			break;
		}
	fclose(f);
	return found == 3 ? 0 : -ENOENT;
}

/* The test user's uid and the kvm group's gid; -ENOENT when missing. */
static inline int keel_test_user_ids(uid_t *uid, gid_t *gid)
{
	return keel_test_file_ids(KEEL_TEST_USER, KEEL_TEST_GROUP, uid, gid);
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
