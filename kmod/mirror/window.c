// SPDX-License-Identifier: GPL-2.0
/*
 * The guest-physical windows of a range that Keel places itself
 * (KEEL_MIRROR_IOC_WINDOWS), for a VMM that knows nothing of Keel: the
 * alias, a memslot over the VMM's own mapping of the range's guest memory
 * (KVM write-tracks per memslot, so a store through it does not trap),
 * and the mirror window, a memslot over a mapping of the range's mirror
 * pages (map.c) that Keel makes in the VMM's address space. Translated
 * code stores through them (Documentation/bt.rst). Both memslots and the
 * mapping are made in the VM's own context (keel_vm_call()), as the VMM's
 * KVM_SET_USER_MEMORY_REGION and mmap(2) would be.
 *
 * The mapping holds the range's file (map.c), so a range with windows
 * lives until they go: on KEEL_MIRROR_WINDOWS_DEL, when the range is
 * detached or its VMM ends (the feature's ->detached,
 * keel_mirror_windows_del()), or with the VMM's address space. Its
 * teardown deletes what is left.
 *
 * Locking: @win_lock of struct keel_mirror protects the window fields; it
 * is outside everything else (the calls in the VM's context take KVM's
 * slots_lock, and KVM's page-track callbacks @lock), and @lock is taken
 * inside it only to publish the addresses for the info.
 * keel_mirror_win_slots_lock, inside @win_lock, makes the choice of free
 * memslot numbers and their use one step for all ranges: two ranges of a
 * VM placing windows at once would otherwise pick the same numbers, and
 * the second's KVM_SET_USER_MEMORY_REGION would move the first's memslot.
 */
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/mman.h>

#include "mirror.h"

/* Serialises the choice of memslot numbers with their use (see above). */
static DEFINE_MUTEX(keel_mirror_win_slots_lock);

/* In the VM's context: @arg's windows go, as recorded in it. */
static int keel_mirror_win_del_fn(void *arg)
{
	struct keel_mirror *m = arg;
	u64 len = keel_mirror_len(m);
	struct vm_area_struct *vma;
	bool ours;

	keel_vm_ctx_memslot(m->win_vm, m->win_slot[1], m->window_gpa, 0,
			    m->win_hva);
	keel_vm_ctx_memslot(m->win_vm, m->win_slot[0], m->alias_gpa, 0,
			    m->win_alias_hva);
	/* Only Keel's own mapping, never what the VMM may have put there. */
	mmap_read_lock(current->mm);
	vma = find_vma(current->mm, m->win_hva);
	ours = vma && vma->vm_start == m->win_hva &&
	       vma->vm_end == m->win_hva + len &&
	       vma->vm_file == m->inst.file;
	mmap_read_unlock(current->mm);
	if (ours)
		vm_munmap(m->win_hva, len);
	return 0;
}

/*
 * In the VM's context: @arg's windows as recorded in it, and Keel's
 * mapping of the mirror, whose address it records in @win_hva.
 */
static int keel_mirror_win_add_fn(void *arg)
{
	struct keel_mirror *m = arg;
	u64 len = keel_mirror_len(m);
	unsigned long hva;
	int ret;

	hva = vm_mmap(m->inst.file, 0, len, PROT_READ | PROT_WRITE,
		      MAP_SHARED, 0);
	if (IS_ERR_VALUE(hva))
		return (int)hva;
	m->win_hva = hva;
	ret = keel_vm_ctx_memslot(m->win_vm, m->win_slot[0], m->alias_gpa,
				  len, m->win_alias_hva);
	if (ret)
		goto unmap;
	ret = keel_vm_ctx_memslot(m->win_vm, m->win_slot[1], m->window_gpa,
				  len, hva);
	if (!ret)
		return 0;
	keel_vm_ctx_memslot(m->win_vm, m->win_slot[0], m->alias_gpa, 0,
			    m->win_alias_hva);
unmap:
	vm_munmap(hva, len);
	return ret;
}

/*
 * The VMM's address of the range's first page, when the whole range is
 * one memslot (of address space 0); else 0.
 */
static u64 keel_mirror_win_alias_hva(struct keel_mirror *m)
{
	struct kvm *kvm = m->inst.kvm;
	struct kvm_memory_slot *first, *last;
	u64 hva = 0;
	int idx;

	idx = srcu_read_lock(&kvm->srcu);
	first = gfn_to_memslot(kvm, m->gfn);
	last = gfn_to_memslot(kvm, m->gfn + m->npages - 1);
	if (first && first == last && !(first->flags & KVM_MEM_READONLY))
		hva = gfn_to_hva_memslot(first, m->gfn);
	srcu_read_unlock(&kvm->srcu, idx);
	return hva;
}

/* Publish the windows' addresses (0: none) for the info. */
static void keel_mirror_win_publish(struct keel_mirror *m, u64 alias,
				    u64 window)
{
	mutex_lock(&m->lock);
	m->c.alias_gpa = alias;
	m->c.window_gpa = window;
	mutex_unlock(&m->lock);
}

/* Delete @m's windows, if any. @win_lock held. */
static void keel_mirror_win_del(struct keel_mirror *m)
{
	lockdep_assert_held(&m->win_lock);
	if (!m->win_vm)
		return;
	keel_mirror_win_publish(m, 0, 0);
	/* -ESRCH: the VMM's address space, and all of it, is gone. */
	keel_vm_call(m->inst.kvm, keel_mirror_win_del_fn, m);
	fput(m->win_vm);
	m->win_vm = NULL;
}

/* The windows of @w for @m. @win_lock held. */
static long keel_mirror_win_add(struct keel_mirror *m,
				const struct keel_mirror_windows *w)
{
	u64 len = keel_mirror_len(m);
	u64 gpa = gfn_to_gpa(m->gfn);
	u64 alias, window, alias_hva;
	struct file *vm;
	long ret;

	lockdep_assert_held(&m->win_lock);
	if (!w->alias_off || !w->mirror_off ||
	    !PAGE_ALIGNED(w->alias_off) || !PAGE_ALIGNED(w->mirror_off) ||
	    check_add_overflow(gpa, w->alias_off, &alias) ||
	    check_add_overflow(gpa, w->mirror_off, &window) ||
	    alias + len < alias || window + len < window)
		return -EINVAL;
	/* Neither window on the range nor on the other. */
	if (alias < gpa + len && gpa < alias + len)
		return -EINVAL;
	if (window < gpa + len && gpa < window + len)
		return -EINVAL;
	if (alias < window + len && window < alias + len)
		return -EINVAL;
	if (m->win_vm)
		return -EBUSY;
	alias_hva = keel_mirror_win_alias_hva(m);
	if (!alias_hva)
		return -EXDEV;
	vm = keel_vm_file_get(m->inst.kvm, w->vm_fd);
	if (IS_ERR(vm))
		return PTR_ERR(vm);
	mutex_lock(&keel_mirror_win_slots_lock);
	ret = keel_vm_free_slots(m->inst.kvm, m->win_slot, 2);
	if (!ret) {
		m->win_vm = vm;
		m->alias_gpa = alias;
		m->window_gpa = window;
		m->win_alias_hva = alias_hva;
		ret = keel_vm_call(m->inst.kvm, keel_mirror_win_add_fn, m);
	}
	mutex_unlock(&keel_mirror_win_slots_lock);
	if (ret) {
		m->win_vm = NULL;
		goto put;
	}
	keel_mirror_win_publish(m, alias, window);
	return 0;
put:
	fput(vm);
	return ret;
}

long keel_mirror_windows_ioctl(struct keel_inst *inst, unsigned int cmd,
			       void __user *uarg)
{
	struct keel_mirror *m = keel_mirror_of(inst);
	struct keel_mirror_windows arg;
	struct file *vm;
	long ret;

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), sizeof(arg),
				  KEEL_MIRROR_WINDOWS_FLAGS_ALL, cmd, uarg);
	if (ret)
		return ret;
	if (arg.pad)
		return -EINVAL;
	mutex_lock(&m->win_lock);
	if (!(arg.flags & KEEL_MIRROR_WINDOWS_DEL)) {
		ret = keel_mirror_win_add(m, &arg);
		goto unlock;
	}
	if (arg.alias_off || arg.mirror_off) {
		ret = -EINVAL;
		goto unlock;
	}
	/* The caller must hold the VM, as to add them. */
	vm = keel_vm_file_get(inst->kvm, arg.vm_fd);
	if (IS_ERR(vm)) {
		ret = PTR_ERR(vm);
		goto unlock;
	}
	fput(vm);
	if (m->win_vm)
		keel_mirror_win_del(m);
	else
		ret = -ENOENT;
unlock:
	mutex_unlock(&m->win_lock);
	return ret;
}

/**
 * keel_mirror_windows_del() - delete a range's windows, if it has any
 * @m: the range
 *
 * On detach (the feature's ->detached) and teardown: the windows go with
 * the range. Deletes nothing in a VMM whose address space is gone, with
 * which they went.
 *
 * Context: process context, no lock of the range held; sleeps.
 */
void keel_mirror_windows_del(struct keel_mirror *m)
{
	mutex_lock(&m->win_lock);
	keel_mirror_win_del(m);
	mutex_unlock(&m->win_lock);
}
