/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-API difference Keel cares about, in one place. The
 * KEEL_HAVE_* macros come from keel_compat_gen.h, generated at build time
 * by compiling the probes in kmod/compat/probes/ against the target's own
 * headers (never from LINUX_VERSION_CODE: distributions backport).
 *
 * Keel's use of KVM's exports also goes through here, so that kernels
 * which narrow those exports need changes in one file only.
 */
#ifndef _KEEL_COMPAT_H
#define _KEEL_COMPAT_H

#include <linux/eventfd.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <net/genetlink.h>

#include "keel_compat_gen.h"

/* Attributes of a dump request, parsed by the genetlink core. */
static inline struct nlattr **keel_genl_dump_attrs(struct netlink_callback *cb)
{
#ifdef KEEL_HAVE_GENL_DUMPIT_INFO_INFO
	return genl_dumpit_info(cb)->info.attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/* Signal an eventfd once (the counter argument went away in 6.8). */
static inline void keel_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef KEEL_HAVE_EVENTFD_SIGNAL_1ARG
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/* Set VMA flags in ->mmap (a VMA's flags became write-protected in 6.3). */
static inline void keel_vm_flags_set(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
#ifdef KEEL_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static inline bool keel_file_is_kvm(struct file *file)
{
	return file_is_kvm(file);
}

static inline void keel_kvm_get(struct kvm *kvm)
{
	kvm_get_kvm(kvm);
}

static inline void keel_kvm_put(struct kvm *kvm)
{
	kvm_put_kvm(kvm);
}

#endif /* _KEEL_COMPAT_H */
