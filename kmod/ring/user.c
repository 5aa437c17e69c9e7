// SPDX-License-Identifier: GPL-2.0
/*
 * How many rings each user holds, and the limit on it: a ring pins up to
 * 64 MiB and may run three kernel threads, so no unprivileged user gets
 * an unbounded number of them, whatever its file limit.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uidgid.h>

#include "ring.h"

static unsigned int max_rings_per_user = 64;
module_param(max_rings_per_user, uint, 0644);
MODULE_PARM_DESC(max_rings_per_user,
		 "Rings a user (real uid) may hold at once; CAP_SYS_ADMIN is not limited (default 64)");

/* One user's rings: in keel_ring_users while it holds any. */
struct keel_ring_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int rings;
};

/*
 * keel_ring_users_lock protects keel_ring_users and the count of every
 * user in it. Only setup and teardown take it; nothing else is held
 * under it.
 */
static DEFINE_MUTEX(keel_ring_users_lock);
static DEFINE_HASHTABLE(keel_ring_users, 6);

static struct keel_ring_user *keel_ring_user_find(kuid_t uid)
{
	struct keel_ring_user *u;

	lockdep_assert_held(&keel_ring_users_lock);
	hash_for_each_possible(keel_ring_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/**
 * keel_ring_user_charge() - count a new ring against the calling user
 * @r: the ring, in setup
 *
 * The user is the caller's real uid, as for RLIMIT_NPROC. Past
 * max_rings_per_user only a caller with CAP_SYS_ADMIN may have more
 * (capable() is asked only then, so only then audited). Lowering the
 * limit leaves existing rings alone.
 *
 * Context: process context; sleeps.
 *
 * Return: 0 (@r->user set, undone by keel_ring_user_uncharge()),
 * -EMFILE at the limit, or -ENOMEM; on failure nothing changed.
 */
int keel_ring_user_charge(struct keel_ring *r)
{
	kuid_t uid = current_uid();
	struct keel_ring_user *u, *new;
	int ret = 0;

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	mutex_lock(&keel_ring_users_lock);
	u = keel_ring_user_find(uid);
	if ((u ? u->rings : 0) >= READ_ONCE(max_rings_per_user) &&
	    !capable(CAP_SYS_ADMIN)) {
		ret = -EMFILE;
		goto unlock;
	}
	if (!u) {
		u = new;
		new = NULL;
		u->uid = uid;
		hash_add(keel_ring_users, &u->node, __kuid_val(uid));
	}
	u->rings++;
	r->user = u;
unlock:
	mutex_unlock(&keel_ring_users_lock);
	kfree(new);
	return ret;
}

/**
 * keel_ring_user_uncharge() - the ring is gone: give its place back
 * @r: the ring; nothing happens when it was not charged
 *
 * Context: process context; sleeps.
 */
void keel_ring_user_uncharge(struct keel_ring *r)
{
	struct keel_ring_user *u = r->user;

	if (!u)
		return;
	r->user = NULL;
	mutex_lock(&keel_ring_users_lock);
	if (--u->rings)
		u = NULL;
	else
		hash_del(&u->node);
	mutex_unlock(&keel_ring_users_lock);
	kfree(u);
}
