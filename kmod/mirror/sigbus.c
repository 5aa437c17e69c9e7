// SPDX-License-Identifier: GPL-2.0
/*
 * Repair before the VMM hears of it (KEEL_MIRROR_SETUP_REPAIR), for a
 * VMM that knows nothing of Keel. A VMM learns of a memory failure in
 * guest memory from SIGBUS:
 *
 *	BUS_MCEERR_AR  to the thread that touched the page: KVM's fault of
 *	               a vCPU (send_sig_mceerr()), the VMM's own access
 *	               (force_sig_mceerr(), from the page fault), a failure
 *	               the thread caused itself (force_sig_mceerr(), from
 *	               memory_failure() with MF_ACTION_REQUIRED);
 *	BUS_MCEERR_AO  from memory_failure() to a process that asked to be
 *	               told early (PR_MCE_KILL_EARLY, as QEMU does), at the
 *	               failure (send_sig_mceerr()).
 *
 * QEMU answers either by injecting a machine check into the guest, which
 * loses the page (and the process or kernel that used it), or exits. (A
 * guest store to a protected page, which KVM emulates, meets the failure
 * without a signal: write.c repairs it.)
 * Keel redirects both functions (the core's redirects): for an address
 * in a range set up with the flag, the page is repaired from the mirror
 * (repair.c) and the signal is not sent. The access that found the
 * failure runs again and finds the fresh page: KVM retries the guest's
 * fault, the VMM's instruction restarts. A page Keel cannot repair (its
 * memslot went, no memory) is signalled as before; force_sig_mceerr() is
 * not exported, so that signal goes with send_sig_mceerr() to the thread,
 * which differs only for a thread that blocks or ignores SIGBUS.
 *
 * The pick (atomic) tells only whether the signal's task has the address
 * space of a VM with such a range and the address is where the VMM mapped
 * the range at setup (@spans): the handler, in the caller's context (all
 * callers are tasks that may sleep; the pick checks for a task with
 * interrupts on), finds the page again and repairs it.
 *
 * Locking: keel_mirror_sigbus_lock protects keel_mirror_sigbus_ranges
 * and is held by the handler while it repairs, so a range's teardown
 * (keel_mirror_sigbus_del()) waits for it; the list is RCU for the pick.
 * Order: keel_mirror_sigbus_lock, then the range's lock (repair.c).
 */
#include <linux/kvm_host.h>
#include <linux/rculist.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include <keel/redirect.h>

#include "mirror.h"

static DEFINE_MUTEX(keel_mirror_sigbus_lock);
static LIST_HEAD(keel_mirror_sigbus_ranges);
/* the redirects could be prepared (module init) */
static bool keel_mirror_sigbus_ready;

/* The range of @mm, and its page, that the VMM maps at @hva. */
static struct keel_mirror *keel_mirror_sigbus_find(struct mm_struct *mm,
						   unsigned long hva,
						   gpa_t *gpa)
{
	struct keel_mirror *m;
	unsigned int i;

	list_for_each_entry_rcu(m, &keel_mirror_sigbus_ranges, repair_node,
				lockdep_is_held(&keel_mirror_sigbus_lock)) {
		if (m->inst.kvm->mm != mm)
			continue;
		for (i = 0; i < m->nr_spans; i++) {
			const struct keel_mirror_span *s = &m->spans[i];

			if (hva >= s->hva && hva < s->end) {
				*gpa = gfn_to_gpa(s->gfn +
						  ((hva - s->hva) >> PAGE_SHIFT));
				return m;
			}
		}
	}
	return NULL;
}

/*
 * Repair the page of @mm at @hva if it is a protected one: true when it
 * is healthy now (repaired, or by another call already).
 */
static bool keel_mirror_sigbus_repair(struct mm_struct *mm, unsigned long hva)
{
	struct keel_mirror *m;
	bool repaired, kept = false;
	gpa_t gpa;

	mutex_lock(&keel_mirror_sigbus_lock);
	m = keel_mirror_sigbus_find(mm, hva, &gpa);
	/* still where it was mapped at setup (memslots may have moved) */
	if (m && (keel_mirror_hva(m, gpa) & PAGE_MASK) == (hva & PAGE_MASK) &&
	    !keel_mirror_repair(m, gpa, &repaired)) {
		mutex_lock(&m->lock);
		m->c.signals_kept++;
		mutex_unlock(&m->lock);
		kept = true;
	}
	mutex_unlock(&keel_mirror_sigbus_lock);
	return kept;
}

/* Instead of send_sig_mceerr(), for the picked calls. */
static int keel_mirror_send_sig_mceerr(int code, void __user *addr, short lsb,
				       struct task_struct *t)
{
	struct mm_struct *mm = get_task_mm(t);
	bool kept = false;

	if (mm) {
		kept = keel_mirror_sigbus_repair(mm, (unsigned long)addr);
		mmput(mm);
	}
	return kept ? 0 : send_sig_mceerr(code, addr, lsb, t);
}

/* Instead of force_sig_mceerr(), for the picked calls: to current. */
static int keel_mirror_force_sig_mceerr(int code, void __user *addr, short lsb)
{
	if (keel_mirror_sigbus_repair(current->mm, (unsigned long)addr))
		return 0;
	return send_sig_mceerr(code, addr, lsb, current);
}

/* Whether @mm maps a repaired range's page at @hva; under RCU. */
static bool keel_mirror_sigbus_ours(struct mm_struct *mm, unsigned long hva)
{
	gpa_t gpa;

	return mm && keel_mirror_sigbus_find(mm, hva, &gpa);
}

/* send_sig_mceerr(code = di, addr = si, lsb = dx, t = cx) */
static void keel_mirror_pick_send(struct pt_regs *regs)
{
	struct task_struct *t = (struct task_struct *)regs->cx;

	if (!keel_mirror_may_sleep(regs))
		return;
	rcu_read_lock();
	if (keel_mirror_sigbus_ours(READ_ONCE(t->mm), regs->si))
		regs->ip = (unsigned long)keel_mirror_send_sig_mceerr;
	rcu_read_unlock();
}

/* force_sig_mceerr(code = di, addr = si, lsb = dx), to current */
static void keel_mirror_pick_force(struct pt_regs *regs)
{
	if (!keel_mirror_may_sleep(regs))
		return;
	rcu_read_lock();
	if (keel_mirror_sigbus_ours(current->mm, regs->si))
		regs->ip = (unsigned long)keel_mirror_force_sig_mceerr;
	rcu_read_unlock();
}

static struct keel_redirect keel_mirror_send_hook = {
	.symbol = "send_sig_mceerr",
	.owner = THIS_MODULE,
	.pick = keel_mirror_pick_send,
};

static struct keel_redirect keel_mirror_force_hook = {
	.symbol = "force_sig_mceerr",
	.owner = THIS_MODULE,
	.pick = keel_mirror_pick_force,
};

static struct keel_redirect *const keel_mirror_hooks[] = {
	&keel_mirror_send_hook,
	&keel_mirror_force_hook,
};

/* Where the VMM maps @m's pages now: runs of consecutive addresses. */
static int keel_mirror_sigbus_spans(struct keel_mirror *m)
{
	unsigned long i, hva, prev_end = 0;
	struct keel_mirror_span *s = NULL;
	unsigned int n = 0;

	for (i = 0; i < m->npages; i++) {
		hva = keel_mirror_hva(m, gfn_to_gpa(m->gfn + i));
		if (kvm_is_error_hva(hva))
			return -ENOENT;
		if (!s || hva != prev_end) {
			s = krealloc_array(m->spans, n + 1, sizeof(*s),
					   GFP_KERNEL_ACCOUNT);
			if (!s)
				return -ENOMEM;
			m->spans = s;
			s = &m->spans[n++];
			m->nr_spans = n;
			s->hva = hva;
			s->gfn = m->gfn + i;
		}
		prev_end = hva + PAGE_SIZE;
		s->end = prev_end;
		cond_resched();
	}
	return 0;
}

/**
 * keel_mirror_sigbus_add() - repair @m's pages when their failure is
 *	signalled
 * @m: a range being set up with %KEEL_MIRROR_SETUP_REPAIR, mirror filled
 *
 * Return: 0; -EOPNOTSUPP when the kernel's signal functions could not be
 * traced; -EMEDIUMTYPE when a page is not private anonymous memory
 * (keel_mirror_repair_check()); ftrace's error; -ENOENT (a page without
 * mapping), -ENOMEM, -ESRCH.
 */
int keel_mirror_sigbus_add(struct keel_mirror *m)
{
	unsigned int i;
	int ret;

	if (!keel_mirror_sigbus_ready)
		return -EOPNOTSUPP;
	ret = keel_mirror_sigbus_spans(m);
	if (!ret)
		ret = keel_mirror_repair_check(m);
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(keel_mirror_hooks); i++) {
		ret = keel_redirect_get(keel_mirror_hooks[i]);
		if (ret) {
			while (i--)
				keel_redirect_put(keel_mirror_hooks[i]);
			return ret;
		}
	}
	mutex_lock(&keel_mirror_sigbus_lock);
	list_add_rcu(&m->repair_node, &keel_mirror_sigbus_ranges);
	mutex_unlock(&keel_mirror_sigbus_lock);
	mutex_lock(&m->lock);
	m->c.repair = true;
	mutex_unlock(&m->lock);
	return 0;
}

/**
 * keel_mirror_sigbus_del() - undo keel_mirror_sigbus_add(), also a
 *	partial one
 * @m: the range, being torn down
 *
 * Waits for a repair of the range in flight and for picks that may see
 * it; the redirects go with the last range.
 */
void keel_mirror_sigbus_del(struct keel_mirror *m)
{
	unsigned int i;
	bool added;

	mutex_lock(&keel_mirror_sigbus_lock);
	added = !list_empty(&m->repair_node);
	if (added)
		list_del_rcu(&m->repair_node);
	mutex_unlock(&keel_mirror_sigbus_lock);
	if (added) {
		synchronize_rcu();
		for (i = ARRAY_SIZE(keel_mirror_hooks); i--;)
			keel_redirect_put(keel_mirror_hooks[i]);
	}
	kfree(m->spans);
	m->spans = NULL;
	m->nr_spans = 0;
}

/* Without the redirects the module still works: SETUP_REPAIR fails. */
void keel_mirror_sigbus_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(keel_mirror_hooks); i++) {
		if (keel_redirect_init(keel_mirror_hooks[i])) {
			while (i--)
				keel_redirect_exit(keel_mirror_hooks[i]);
			return;
		}
	}
	keel_mirror_sigbus_ready = true;
}

void keel_mirror_sigbus_exit(void)
{
	unsigned int i;

	if (!keel_mirror_sigbus_ready)
		return;
	for (i = ARRAY_SIZE(keel_mirror_hooks); i--;)
		keel_redirect_exit(keel_mirror_hooks[i]);
}
