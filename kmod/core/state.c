// SPDX-License-Identifier: GPL-2.0
/*
 * The state machine every Keel object with state goes through: RUNNING
 * and STOPPED, and the commands STOP, RESUME, SAVE, LOAD and SWAP (see
 * uapi/linux/keel_state.h for the table). One struct keel_state per
 * object; its mutex serialises the commands, which call the type's ops.
 */
#include <linux/module.h>
#include <linux/timekeeping.h>
#include <linux/mm.h>

#include "core.h"

/**
 * keel_state_init() - initialise an object's state
 * @st: the state, embedded in the object
 * @ops: the type's ops
 *
 * The object starts STOPPED; its blob limit is &keel_state_ops.max_len,
 * or with 0 there the size of a blob of all of &keel_state_ops.secs (which
 * then must have fixed lengths: it warns about one that has not).
 *
 * Context: any; before the object is added or commanded.
 */
void keel_state_init(struct keel_state *st, const struct keel_state_ops *ops)
{
	memset(st, 0, sizeof(*st));
	st->ops = ops;
	mutex_init(&st->lock);
	spin_lock_init(&st->info_lock);
	st->state = KEEL_STATE_STOPPED;
	st->max_len = ops->max_len ?: keel_state_fixed_len(ops);
	st->changed_ns = ktime_get_boottime_ns();
}
EXPORT_SYMBOL_GPL(keel_state_init);

/**
 * keel_state_set_max_len() - set this object's largest blob
 * @st: the state
 * @max_len: the largest blob this object saves or loads, framing included;
 *	at most %KEEL_STATE_MAX_BLOB (a larger value is cut to it)
 *
 * For a type whose objects differ in size.
 *
 * Context: any; after keel_state_init(), before the object is added: the
 * limit is constant afterwards.
 */
void keel_state_set_max_len(struct keel_state *st, u32 max_len)
{
	st->max_len = min_t(u32, max_len, KEEL_STATE_MAX_BLOB);
}
EXPORT_SYMBOL_GPL(keel_state_set_max_len);

/**
 * keel_state_destroy() - the end of an object's state
 * @st: the state
 *
 * The owner calls it once the object can no longer be commanded: out of
 * the registry (keel_object_del()) and with no file left to issue the
 * state ioctls.
 *
 * Context: any.
 */
/* The owner calls it once the object can no longer be commanded. */
void keel_state_destroy(struct keel_state *st)
{
	mutex_destroy(&st->lock);
}
EXPORT_SYMBOL_GPL(keel_state_destroy);

/**
 * keel_state_get() - where an object is
 * @st: the state
 *
 * Context: any but hard interrupt; does not wait for a command in
 * progress (it reports the state before it).
 *
 * Return: %KEEL_STATE_RUNNING or %KEEL_STATE_STOPPED.
 */
u32 keel_state_get(struct keel_state *st)
{
	u32 state;

	spin_lock(&st->info_lock);
	state = st->state;
	spin_unlock(&st->info_lock);
	return state;
}
EXPORT_SYMBOL_GPL(keel_state_get);

/*
 * Publish a command's outcome to readers: the new state, one more of
 * @counter (a field of @st, or NULL), and the time. Callers hold st->lock.
 */
static void keel_state_publish(struct keel_state *st, u32 state, u64 *counter,
			       bool touch)
{
	spin_lock(&st->info_lock);
	st->state = state;
	if (counter)
		(*counter)++;
	if (touch)
		st->changed_ns = ktime_get_boottime_ns();
	spin_unlock(&st->info_lock);
}

/* Callers hold st->lock. */
static int keel_state_do_stop(struct keel_state *st)
{
	if (st->state != KEEL_STATE_RUNNING)
		return -EALREADY;
	st->ops->stop(st);
	keel_state_publish(st, KEEL_STATE_STOPPED, NULL, true);
	return 0;
}

static int keel_state_do_resume(struct keel_state *st)
{
	int ret;

	if (st->state != KEEL_STATE_STOPPED)
		return -EALREADY;
	ret = st->ops->resume(st);
	if (ret)
		return ret;
	keel_state_publish(st, KEEL_STATE_RUNNING, NULL, true);
	return 0;
}

static int keel_state_do_save(struct keel_state *st, void **blob, size_t *len)
{
	struct keel_state_writer w;
	int ret;

	if (st->state != KEEL_STATE_STOPPED)
		return -EBUSY;
	ret = keel_state_writer_init(&w, st->ops->type,
				     st->ops->save_len ? st->ops->save_len(st) :
				     st->max_len);
	if (ret)
		return ret;
	ret = st->ops->save(st, &w);
	if (ret) {
		keel_state_writer_abort(&w);
		return ret;
	}
	return keel_state_writer_finish(&w, blob, len);
}

/* Parse and check; on success the object may load @b. */
static int keel_state_do_check(struct keel_state *st, const void *in,
			       size_t len, struct keel_state_blob *b,
			       const char **why)
{
	int ret;

	ret = keel_state_parse(in, len, st->ops, st->max_len, b, why);
	if (!ret)
		ret = st->ops->check ? st->ops->check(st, b, why) : 0;
	if (ret)
		keel_state_publish(st, st->state, &st->rejects, false);
	return ret;
}

/**
 * keel_state_stop() - the STOP command: RUNNING -> STOPPED
 * @st: the state
 *
 * Calls &keel_state_ops.stop, which cannot fail.
 *
 * Context: process context; sleeps (the state mutex). Not from the state
 * ops (the mutex is held there), and not holding a lock the ops take.
 *
 * Return: 0, or -EALREADY when the object is STOPPED.
 */
int keel_state_stop(struct keel_state *st)
{
	int ret;

	mutex_lock(&st->lock);
	ret = keel_state_do_stop(st);
	mutex_unlock(&st->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(keel_state_stop);

/**
 * keel_state_resume() - the RESUME command: STOPPED -> RUNNING
 * @st: the state
 *
 * Calls &keel_state_ops.resume; on its failure the object stays STOPPED.
 *
 * Context: process context; sleeps (the state mutex). Not from the state
 * ops (the mutex is held there), and not holding a lock the ops take.
 *
 * Return: 0, -EALREADY when the object is RUNNING, or the error of
 * &keel_state_ops.resume.
 */
int keel_state_resume(struct keel_state *st)
{
	int ret;

	mutex_lock(&st->lock);
	ret = keel_state_do_resume(st);
	mutex_unlock(&st->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(keel_state_resume);

/**
 * keel_state_set_running() - RUNNING or STOPPED, whatever the state was
 * @st: the state
 * @running: RUNNING (resume) or STOPPED (stop)
 *
 * The idempotent START and STOP: the object already there is a success.
 *
 * Context: process context; sleeps (the state mutex). Not from the state
 * ops (the mutex is held there), and not holding a lock the ops take.
 *
 * Return: 0, or the error of &keel_state_ops.resume.
 */
int keel_state_set_running(struct keel_state *st, bool running)
{
	int ret;

	mutex_lock(&st->lock);
	ret = running ? keel_state_do_resume(st) : keel_state_do_stop(st);
	mutex_unlock(&st->lock);
	return ret == -EALREADY ? 0 : ret;
}
EXPORT_SYMBOL_GPL(keel_state_set_running);

/**
 * keel_state_save() - the SAVE command: a snapshot of a STOPPED object
 * @st: the state
 * @blob: on success, the blob (kvmalloc()ed: the caller kvfree()s it)
 * @len: on success, its length
 *
 * Calls &keel_state_ops.save into a buffer of &keel_state_ops.save_len
 * bytes, or of the object's limit, and frames the sections it wrote. The
 * object stays STOPPED.
 *
 * Context: process context; sleeps (the state mutex). Not from the state
 * ops (the mutex is held there), and not holding a lock the ops take.
 *
 * Return: 0; -EBUSY when the object is RUNNING; -ENOMEM; -EINVAL when the
 * buffer size is out of range, when save() wrote no section or left one
 * open; the first error of keel_state_put() (-EINVAL, -E2BIG, -ENOSPC);
 * or the error of &keel_state_ops.save.
 */
int keel_state_save(struct keel_state *st, void **blob, size_t *len)
{
	return keel_state_xfer(st, NULL, 0, blob, len, NULL, NULL, NULL);
}
EXPORT_SYMBOL_GPL(keel_state_save);

/**
 * keel_state_xfer() - SAVE, LOAD or SWAP, reporting before any change
 * @st: the state
 * @in: the blob to load, or NULL for SAVE
 * @in_len: its length
 * @out: for SAVE and SWAP, on success the saved blob (kvmalloc()ed: the
 *	caller kvfree()s it); NULL for LOAD
 * @out_len: on success, its length
 * @why: as for keel_state_load()
 * @report: if not NULL, called once the incoming blob is checked and the
 *	outgoing one taken, before anything changes (counters included)
 * @arg: passed to @report with the outgoing blob's length (0 for LOAD)
 *
 * The commands' one path: check the incoming blob, take the outgoing
 * snapshot, let @report hand the result to the caller (copy it to user
 * memory, check that a reply can carry it), and only when that worked
 * count and apply. Applying cannot fail (&keel_state_ops.load), so a
 * command either fails with the object unchanged or succeeds with its
 * result already delivered.
 *
 * Context: process context; sleeps. @report runs with the state mutex
 * held and may fault on user memory; it must not take a lock the ops
 * take nor issue commands on @st.
 *
 * Return: 0, an error of keel_state_load() or keel_state_save(), or the
 * error of @report.
 */
int keel_state_xfer(struct keel_state *st, const void *in, size_t in_len,
		    void **out, size_t *out_len, const char **why,
		    int (*report)(void *arg, size_t out_len), void *arg)
{
	const char *reason = NULL;
	struct keel_state_blob *b = NULL;
	int ret;

	if (why)
		*why = NULL;
	if (in) {
		b = kmalloc(sizeof(*b), GFP_KERNEL);
		if (!b)
			return -ENOMEM;
	}
	mutex_lock(&st->lock);
	if (st->state != KEEL_STATE_STOPPED) {
		ret = -EBUSY;
		reason = "the object is running: stop it first";
		goto out;
	}
	/* Check the incoming state before taking the outgoing one. */
	if (in) {
		ret = keel_state_do_check(st, in, in_len, b, &reason);
		if (ret)
			goto out;
	}
	if (out) {
		ret = keel_state_do_save(st, out, out_len);
		if (ret)
			goto out;
	}
	/* The last step that can fail: nothing has changed yet. */
	if (report) {
		ret = report(arg, out ? *out_len : 0);
		if (ret) {
			if (out) {
				kvfree(*out);
				*out = NULL;
			}
			goto out;
		}
	}
	if (out)
		keel_state_publish(st, st->state, &st->saves, !in);
	if (in) {
		st->ops->load(st, b);
		keel_state_publish(st, st->state, &st->loads, true);
	}
out:
	mutex_unlock(&st->lock);
	kfree(b);
	if (why)
		*why = reason;
	return ret;
}
EXPORT_SYMBOL_IF_KEEL_KUNIT(keel_state_xfer);

/**
 * keel_state_load() - the LOAD command: give a STOPPED object a blob's state
 * @st: the state
 * @blob: the blob
 * @len: its length
 * @why: if not NULL, set to why the blob was refused (a string literal),
 *	or to NULL; left alone on -ENOMEM
 *
 * Checks the whole blob (framing, checksums, type, sections and versions,
 * then &keel_state_ops.check) before &keel_state_ops.load applies it: on
 * any error the object is unchanged. It stays STOPPED.
 *
 * Context: process context; sleeps (the state mutex). Not from the state
 * ops (the mutex is held there), and not holding a lock the ops take.
 *
 * Return: 0; -ENOMEM; -EBUSY when the object is RUNNING; -EFBIG when the
 * blob is larger than the object's limit; -EBADMSG (bad framing or
 * checksum), -EPROTONOSUPPORT (unknown format, section or section
 * version), -EMEDIUMTYPE (another type's blob) or -EINVAL (a section of
 * the wrong size, a required one missing); or the error of
 * &keel_state_ops.check.
 */
int keel_state_load(struct keel_state *st, const void *blob, size_t len,
		    const char **why)
{
	if (!blob)
		return -EBADMSG;
	return keel_state_xfer(st, blob, len, NULL, NULL, why, NULL, NULL);
}
EXPORT_SYMBOL_GPL(keel_state_load);

/**
 * keel_state_swap() - the SWAP command: SAVE then LOAD, all or nothing
 * @st: the state
 * @in: the blob to load
 * @in_len: its length
 * @out: on success, the saved blob (kvmalloc()ed: the caller kvfree()s it)
 * @out_len: on success, its length
 * @why: as for keel_state_load()
 *
 * Checks the incoming blob, then saves the object's state, then loads the
 * blob; on any error the object is unchanged. It stays STOPPED.
 *
 * Context: process context; sleeps (the state mutex). Not from the state
 * ops (the mutex is held there), and not holding a lock the ops take.
 *
 * Return: 0, or an error of keel_state_load() or keel_state_save().
 */
int keel_state_swap(struct keel_state *st, const void *in, size_t in_len,
		    void **out, size_t *out_len, const char **why)
{
	if (!in)
		return -EBADMSG;
	return keel_state_xfer(st, in, in_len, out, out_len, why, NULL, NULL);
}
EXPORT_SYMBOL_GPL(keel_state_swap);

/*
 * Counters and state for netlink, consistent with each other, without
 * waiting for a command in progress.
 */
void keel_state_snapshot(struct keel_state *st, struct keel_state_info *info,
			 u64 *changed_ns)
{
	spin_lock(&st->info_lock);
	info->state = st->state;
	info->type = st->ops->type;
	info->format = KEEL_STATE_FORMAT;
	info->max_len = st->max_len;
	info->saves = st->saves;
	info->loads = st->loads;
	info->rejects = st->rejects;
	if (changed_ns)
		*changed_ns = st->changed_ns;
	spin_unlock(&st->info_lock);
}
