// SPDX-License-Identifier: GPL-2.0
/*
 * The translations of guest code whose stores to a range no longer trap
 * (KEEL_MIRROR_IOC_XLATE, Documentation/bt.rst): registered by whoever
 * places them in the guest, listed in the range's info with the stores
 * each made since - read from the counter the translated code keeps in
 * guest memory, each store a trap saved - and the trapped stores the
 * profile counted for its code. Keel neither translates nor places code
 * here: this is the record that shows what translation saves.
 *
 * A translation may name its region log (a full log), which a repair
 * reads (overlay.c); here it is only checked and kept.
 *
 * Counters are guest memory, read in the VMM's address space
 * (keel_vm_call()) and never under the range's lock: a snapshot copies
 * the list under it, reads, and takes it again to keep what it read for
 * the translations still there.
 */
#include <linux/kvm_host.h>
#include <linux/string.h>
#include <linux/keel_bt.h>

#include "mirror.h"

/* What keel_mirror_xl_read_fn() reads: the counters of @n translations. */
struct keel_mirror_xl_read {
	struct kvm *kvm;
	const struct keel_mirror_xl *xl;
	unsigned int n;
	u64 val[KEEL_MIRROR_XLATES_MAX];
	int ret[KEEL_MIRROR_XLATES_MAX];
	/* with @log: each log's first bytes read (its page is readable) */
	bool log;
	int log_ret[KEEL_MIRROR_XLATES_MAX];
};

static int keel_mirror_xl_read_fn(void *arg)
{
	struct keel_mirror_xl_read *r = arg;
	unsigned int i;
	__le64 v;
	int idx;

	idx = srcu_read_lock(&r->kvm->srcu);
	for (i = 0; i < r->n; i++) {
		r->log_ret[i] = -ENOENT;
		if (r->log && r->xl[i].log_gpa)
			r->log_ret[i] = kvm_read_guest(r->kvm,
						       r->xl[i].log_gpa, &v,
						       sizeof(v));
		if (r->log && r->xl[i].log_pt_gpa && !r->log_ret[i])
			r->log_ret[i] = kvm_read_guest(r->kvm,
						       r->xl[i].log_pt_gpa,
						       &v, sizeof(v));
		r->ret[i] = -ENOENT;
		if (!r->xl[i].counted)
			continue;
		r->ret[i] = kvm_read_guest(r->kvm, r->xl[i].count_gpa, &v,
					   sizeof(v));
		r->val[i] = le64_to_cpu(v);
	}
	srcu_read_unlock(&r->kvm->srcu, idx);
	return 0;
}

/*
 * The counters of @n translations @xl into @r (r->ret[i] 0 for each one
 * read). Not under @m->lock. Return: 0, -ESRCH (the VMM is exiting),
 * -ENOMEM.
 */
static int keel_mirror_xl_read(struct keel_mirror *m,
			       const struct keel_mirror_xl *xl, unsigned int n,
			       struct keel_mirror_xl_read *r)
{
	unsigned int i;
	int ret = 0;

	r->kvm = m->inst.kvm;
	r->xl = xl;
	r->n = n;
	if (n)
		ret = keel_vm_call(m->inst.kvm, keel_mirror_xl_read_fn, r);
	if (ret)
		for (i = 0; i < n; i++) {
			r->ret[i] = ret;
			r->log_ret[i] = ret;
		}
	return ret;
}

/* The index of the translation @x names in @m's list, or -1. */
static int keel_mirror_xl_find(struct keel_mirror *m,
			       const struct keel_mirror_xl *x)
{
	unsigned int i;

	lockdep_assert_held(&m->lock);
	for (i = 0; i < m->nr_xl; i++)
		if (m->xl[i].start == x->start &&
		    m->xl[i].count_gpa == x->count_gpa &&
		    m->xl[i].base == x->base)
			return i;
	return -1;
}

static int keel_mirror_xl_add(struct keel_mirror *m,
			      const struct keel_mirror_xlate *a)
{
	struct keel_mirror_xl x = {
		.start = a->start, .end = a->end, .code = a->code,
		.count_gpa = a->count_gpa, .log_gpa = a->log_gpa,
		.log_pt_gpa = a->log_pt_gpa,
		.counted = !!(a->flags & KEEL_MIRROR_XLATE_COUNTED),
		.log_pt_levels = a->flags & KEEL_MIRROR_XLATE_PT5 ? 5 : 4,
	};
	bool logged = a->flags & KEEL_MIRROR_XLATE_LOGGED;
	struct keel_mirror_xl_read r = { .log = logged };
	unsigned int i;
	int ret;

	if (a->start >= a->end ||
	    a->end - a->start > KEEL_MIRROR_XLATE_MAX_LEN)
		return -EINVAL;
	if (!x.counted && a->count_gpa)
		return -EINVAL;
	/* a counter in the range would trap at every commit */
	if (x.counted && (!IS_ALIGNED(a->count_gpa, sizeof(u64)) ||
			  keel_mirror_covers(m, a->count_gpa)))
		return -EINVAL;
	/* a log is read whole from one page; in the range it would trap */
	if (logged != !!a->log_gpa)
		return -EINVAL;
	if (logged && (!IS_ALIGNED(a->log_gpa, sizeof(u64)) ||
		       offset_in_page(a->log_gpa) +
		       sizeof(struct keel_bt_log) > PAGE_SIZE ||
		       keel_mirror_covers(m, a->log_gpa)))
		return -EINVAL;
	/* the page tables of its linear addresses: a root, page aligned */
	if ((a->log_pt_gpa && (!logged || !PAGE_ALIGNED(a->log_pt_gpa))) ||
	    ((a->flags & KEEL_MIRROR_XLATE_PT5) && !a->log_pt_gpa))
		return -EINVAL;
	if (x.counted || logged) {
		ret = keel_mirror_xl_read(m, &x, 1, &r);
		if (ret)
			return ret;
		if ((x.counted && r.ret[0]) || (logged && r.log_ret[0]))
			return -EFAULT;
		x.base = x.counted ? r.val[0] : 0;
	}

	mutex_lock(&m->lock);
	ret = -ENOSPC;
	if (m->nr_xl == KEEL_MIRROR_XLATES_MAX)
		goto out;
	ret = -EEXIST;
	for (i = 0; i < m->nr_xl; i++)
		if (x.start < m->xl[i].end && m->xl[i].start < x.end)
			goto out;
	m->xl[m->nr_xl++] = x;
	ret = 0;
out:
	mutex_unlock(&m->lock);
	return ret;
}

static int keel_mirror_xl_del(struct keel_mirror *m,
			      const struct keel_mirror_xlate *a)
{
	struct keel_mirror_xl_read r = { };
	struct keel_mirror_xl x;
	unsigned int i;
	int ret = -ENOENT;

	if (a->flags != KEEL_MIRROR_XLATE_DEL || a->end || a->code ||
	    a->count_gpa || a->log_gpa || a->log_pt_gpa)
		return -EINVAL;
	mutex_lock(&m->lock);
	for (i = 0; i < m->nr_xl; i++)
		if (m->xl[i].start == a->start)
			break;
	if (i < m->nr_xl) {
		x = m->xl[i];
		ret = 0;
	}
	mutex_unlock(&m->lock);
	if (ret)
		return ret;

	/* its last count; what was read before if the VMM is exiting */
	keel_mirror_xl_read(m, &x, 1, &r);
	mutex_lock(&m->lock);
	ret = keel_mirror_xl_find(m, &x);
	if (ret >= 0) {
		i = ret;
		if (!r.ret[0])
			m->xl[i].stores = r.val[0] - m->xl[i].base;
		m->c.translated_stores += m->xl[i].stores;
		m->nr_xl--;
		memmove(&m->xl[i], &m->xl[i + 1],
			(m->nr_xl - i) * sizeof(m->xl[0]));
		ret = 0;
	} else {
		/* a DEL of the same translation got there first */
		ret = -ENOENT;
	}
	mutex_unlock(&m->lock);
	return ret;
}

long keel_mirror_xlate_ioctl(struct keel_inst *inst, unsigned int cmd,
			     void __user *uarg)
{
	struct keel_mirror *m = keel_mirror_of(inst);
	struct keel_mirror_xlate arg;
	long ret;

	/* the first version ended at count_gpa */
	ret = keel_copy_ioctl_arg(&arg, sizeof(arg),
				  offsetofend(struct keel_mirror_xlate,
					      count_gpa),
				  KEEL_MIRROR_XLATE_FLAGS_ALL, cmd, uarg);
	if (ret)
		return ret;
	if (arg.flags & KEEL_MIRROR_XLATE_DEL)
		return keel_mirror_xl_del(m, &arg);
	return keel_mirror_xl_add(m, &arg);
}

/**
 * keel_mirror_xlate_snapshot() - the translations for the range's info
 * @m: the range
 * @out: room for KEEL_MIRROR_XLATES_MAX
 * @stores: out: the stores of every translation, removed ones included
 *
 * Reads each counter in the VMM's address space; a translation whose
 * counter cannot be read (the VMM exiting, its memslot gone) shows what
 * was read last.
 *
 * Context: process context; sleeps. Not under @m->lock.
 *
 * Return: how many translations are in @out.
 */
unsigned int keel_mirror_xlate_snapshot(struct keel_mirror *m,
					struct keel_mirror_xl *out,
					u64 *stores)
{
	struct keel_mirror_xl_read r = { };
	unsigned int i, n;
	int at;

	mutex_lock(&m->lock);
	n = m->nr_xl;
	memcpy(out, m->xl, n * sizeof(*out));
	mutex_unlock(&m->lock);

	keel_mirror_xl_read(m, out, n, &r);
	mutex_lock(&m->lock);
	for (i = 0; i < n; i++) {
		at = keel_mirror_xl_find(m, &out[i]);
		if (at >= 0 && !r.ret[i])
			m->xl[at].stores = r.val[i] - m->xl[at].base;
	}
	n = m->nr_xl;
	*stores = m->c.translated_stores;
	for (i = 0; i < n; i++) {
		out[i] = m->xl[i];
		out[i].trapped = keel_mirror_hot_within(m, out[i].start,
							out[i].end);
		*stores += out[i].stores;
	}
	mutex_unlock(&m->lock);
	return n;
}
