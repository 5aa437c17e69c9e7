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

void keel_state_init(struct keel_state *st, const struct keel_state_ops *ops)
{
	memset(st, 0, sizeof(*st));
	st->ops = ops;
	mutex_init(&st->lock);
	st->state = KEEL_STATE_STOPPED;
	st->max_len = ops->max_len ?: keel_state_fixed_len(ops);
	st->changed_ns = ktime_get_boottime_ns();
}
EXPORT_SYMBOL_GPL(keel_state_init);

void keel_state_set_max_len(struct keel_state *st, u32 max_len)
{
	st->max_len = min_t(u32, max_len, KEEL_STATE_MAX_BLOB);
}
EXPORT_SYMBOL_GPL(keel_state_set_max_len);

/* The owner calls it once the object can no longer be commanded. */
void keel_state_destroy(struct keel_state *st)
{
	mutex_destroy(&st->lock);
}
EXPORT_SYMBOL_GPL(keel_state_destroy);

u32 keel_state_get(struct keel_state *st)
{
	u32 state;

	mutex_lock(&st->lock);
	state = st->state;
	mutex_unlock(&st->lock);
	return state;
}
EXPORT_SYMBOL_GPL(keel_state_get);

static void keel_state_touch(struct keel_state *st)
{
	st->changed_ns = ktime_get_boottime_ns();
}

/* Callers hold st->lock. */
static int keel_state_do_stop(struct keel_state *st)
{
	if (st->state != KEEL_STATE_RUNNING)
		return -EALREADY;
	st->ops->stop(st);
	st->state = KEEL_STATE_STOPPED;
	keel_state_touch(st);
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
	st->state = KEEL_STATE_RUNNING;
	keel_state_touch(st);
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
		st->rejects++;
	return ret;
}

int keel_state_stop(struct keel_state *st)
{
	int ret;

	mutex_lock(&st->lock);
	ret = keel_state_do_stop(st);
	mutex_unlock(&st->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(keel_state_stop);

int keel_state_resume(struct keel_state *st)
{
	int ret;

	mutex_lock(&st->lock);
	ret = keel_state_do_resume(st);
	mutex_unlock(&st->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(keel_state_resume);

int keel_state_set_running(struct keel_state *st, bool running)
{
	int ret;

	mutex_lock(&st->lock);
	ret = running ? keel_state_do_resume(st) : keel_state_do_stop(st);
	mutex_unlock(&st->lock);
	return ret == -EALREADY ? 0 : ret;
}
EXPORT_SYMBOL_GPL(keel_state_set_running);

int keel_state_save(struct keel_state *st, void **blob, size_t *len)
{
	int ret;

	mutex_lock(&st->lock);
	ret = keel_state_do_save(st, blob, len);
	if (!ret) {
		st->saves++;
		keel_state_touch(st);
	}
	mutex_unlock(&st->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(keel_state_save);

/*
 * LOAD, and with @out SWAP: check the incoming blob, take the outgoing
 * snapshot when asked, then apply. Nothing changes unless all succeed.
 */
static int keel_state_replace(struct keel_state *st, const void *in,
			      size_t in_len, void **out, size_t *out_len,
			      const char **why)
{
	const char *reason = NULL;
	struct keel_state_blob *b;
	int ret;

	b = kmalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	mutex_lock(&st->lock);
	if (st->state != KEEL_STATE_STOPPED) {
		ret = -EBUSY;
		reason = "the object is running: stop it first";
		goto out;
	}
	/* Check the incoming state before taking the outgoing one. */
	ret = keel_state_do_check(st, in, in_len, b, &reason);
	if (ret)
		goto out;
	if (out) {
		ret = keel_state_do_save(st, out, out_len);
		if (ret)
			goto out;
		st->saves++;
	}
	st->ops->load(st, b);
	st->loads++;
	keel_state_touch(st);
out:
	mutex_unlock(&st->lock);
	kfree(b);
	if (why)
		*why = reason;
	return ret;
}

int keel_state_load(struct keel_state *st, const void *blob, size_t len,
		    const char **why)
{
	return keel_state_replace(st, blob, len, NULL, NULL, why);
}
EXPORT_SYMBOL_GPL(keel_state_load);

int keel_state_swap(struct keel_state *st, const void *in, size_t in_len,
		    void **out, size_t *out_len, const char **why)
{
	return keel_state_replace(st, in, in_len, out, out_len, why);
}
EXPORT_SYMBOL_GPL(keel_state_swap);

/* Counters and state for netlink, consistent with each other. */
void keel_state_snapshot(struct keel_state *st, struct keel_state_info *info)
{
	mutex_lock(&st->lock);
	info->state = st->state;
	info->type = st->ops->type;
	info->format = KEEL_STATE_FORMAT;
	info->max_len = st->max_len;
	info->saves = st->saves;
	info->loads = st->loads;
	info->rejects = st->rejects;
	mutex_unlock(&st->lock);
}
