// SPDX-License-Identifier: GPL-2.0
/*
 * keel_mirror.ko: /dev/keel-mirror, each open file one protected range of
 * a VM's guest memory and its mirror (uapi/linux/keel_mirror.h): setup
 * and the one path that undoes it, the ranges of all VMs (no two of a VM
 * overlap), the read, write and repair ioctls and the object's info; the
 * state commands are the core's (state.c has the range's side).
 */
#include <linux/debugfs.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "mirror.h"

/*
 * Every set-up range, to refuse overlaps and for the write redirect
 * (write.c); nests inside nothing. The list is RCU for the redirect's
 * pick; a range leaves it first when it is torn down.
 */
static DEFINE_MUTEX(keel_mirror_ranges_lock);
static LIST_HEAD(keel_mirror_ranges);

/* @m is set up and holds all of [gpa, gpa + len) of @kvm. */
static bool keel_mirror_holds(const struct keel_mirror *m, struct kvm *kvm,
			      gpa_t gpa, unsigned long len)
{
	return READ_ONCE(m->live) && m->inst.kvm == kvm &&
	       keel_mirror_covers(m, gpa) && keel_mirror_covers(m, gpa + len - 1);
}

/*
 * The range of @kvm that holds all of [gpa, gpa + len), with its lock
 * held, or NULL. Its teardown takes it off the list, then waits for that
 * lock.
 */
struct keel_mirror *keel_mirror_write_find(struct kvm *kvm, gpa_t gpa,
					   unsigned long len)
{
	struct keel_mirror *m, *hit = NULL;

	mutex_lock(&keel_mirror_ranges_lock);
	list_for_each_entry(m, &keel_mirror_ranges, node) {
		if (keel_mirror_holds(m, kvm, gpa, len)) {
			hit = m;
			mutex_lock(&hit->lock);
			break;
		}
	}
	mutex_unlock(&keel_mirror_ranges_lock);
	return hit;
}

/* Whether a range of @kvm holds all of [gpa, gpa + len); atomic. */
bool keel_mirror_write_ours(struct kvm *kvm, gpa_t gpa, unsigned long len)
{
	struct keel_mirror *m;
	bool ours = false;

	rcu_read_lock();
	list_for_each_entry_rcu(m, &keel_mirror_ranges, node) {
		if (keel_mirror_holds(m, kvm, gpa, len)) {
			ours = true;
			break;
		}
	}
	rcu_read_unlock();
	return ours;
}

/*
 * debugfs keel_mirror/pages, for CAP_SYS_ADMIN as debugfs is: a line
 * "<object id> <gpa> <mirror pfn>" for each page of each set-up range,
 * so that a test can poison a mirror page with the kernel's own
 * injector (hwpoison-inject's corrupt-pfn).
 */
static int keel_mirror_pages_show(struct seq_file *sf, void *unused)
{
	struct keel_mirror *m;
	unsigned long i;

	mutex_lock(&keel_mirror_ranges_lock);
	list_for_each_entry(m, &keel_mirror_ranges, node) {
		if (!READ_ONCE(m->live))
			continue;
		mutex_lock(&m->lock);
		for (i = 0; i < m->npages; i++)
			seq_printf(sf, "%u %#llx %#lx\n", m->inst.obj.id,
				   gfn_to_gpa(m->gfn + i),
				   page_to_pfn(m->pages[i]));
		mutex_unlock(&m->lock);
	}
	mutex_unlock(&keel_mirror_ranges_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(keel_mirror_pages);

static struct dentry *keel_mirror_debugfs;

static bool keel_mirror_overlaps(const struct keel_mirror *m)
{
	struct keel_mirror *o;

	lockdep_assert_held(&keel_mirror_ranges_lock);
	list_for_each_entry(o, &keel_mirror_ranges, node)
		if (o->inst.kvm == m->inst.kvm && o->gfn < m->gfn + m->npages &&
		    m->gfn < o->gfn + o->npages)
			return true;
	return false;
}

/*
 * Every page of the range in a memslot of the VM's default address space
 * that the guest may write: -ENOENT (a hole), -EROFS (read-only).
 */
static int keel_mirror_check_slots(struct keel_mirror *m)
{
	struct kvm *kvm = m->inst.kvm;
	struct kvm_memory_slot *slot;
	gfn_t gfn = m->gfn, end = m->gfn + m->npages;
	int idx, ret = 0;

	idx = srcu_read_lock(&kvm->srcu);
	while (gfn < end && !ret) {
		slot = gfn_to_memslot(kvm, gfn);
		if (!slot || (slot->flags & KVM_MEMSLOT_INVALID))
			ret = -ENOENT;
		else if (slot->flags & KVM_MEM_READONLY)
			ret = -EROFS;
		else
			gfn = slot->base_gfn + slot->npages;
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return ret;
}

static int keel_mirror_check_range(u64 gpa, u64 len)
{
	if (!len || len > KEEL_MIRROR_MAX_LEN || !PAGE_ALIGNED(gpa) ||
	    !PAGE_ALIGNED(len) || gpa + len < gpa)
		return -EINVAL;
	return 0;
}

/*
 * Track every page, then take the first copy: in the VMM's address space
 * (keel_vm_call()), where the mapping of guest memory is.
 */
static int keel_mirror_start(void *arg)
{
	struct keel_mirror *m = arg;
	int ret;

	ret = keel_mirror_track_start(m);
	if (!ret)
		ret = keel_mirror_track_pages(m);
	if (!ret)
		ret = keel_mirror_store_fill(m);
	return ret;
}

/*
 * The range's memory (its mirror pages first) is the VM's: charged to the
 * VMM's memory cgroup, also when keelctl sets it up for a running QEMU.
 */
static int keel_mirror_build(struct keel_mirror *m, u32 flags)
{
	struct keel_vm_charge charge;
	int ret;

	ret = keel_mirror_check_slots(m);
	if (ret)
		return ret;
	mutex_lock(&keel_mirror_ranges_lock);
	if (keel_mirror_overlaps(m))
		ret = -EEXIST;
	else
		list_add_rcu(&m->node, &keel_mirror_ranges);
	mutex_unlock(&keel_mirror_ranges_lock);
	keel_vm_charge_begin(m->inst.kvm, &charge);
	if (!ret)
		ret = keel_mirror_store_alloc(m);
	if (!ret)
		ret = keel_mirror_hot_alloc(m);
	if (!ret)
		ret = keel_vm_call(m->inst.kvm, keel_mirror_start, m);
	if (!ret && (flags & KEEL_MIRROR_SETUP_REPAIR))
		ret = keel_mirror_sigbus_add(m);
	m->c.compare = !!(flags & KEEL_MIRROR_SETUP_COMPARE);
	keel_vm_charge_end(&charge);
	if (!ret)
		ret = keel_mirror_write_get();
	if (!ret)
		WRITE_ONCE(m->live, true);
	return ret;
}

static long keel_mirror_setup(struct keel_inst *inst, unsigned int cmd,
			      void __user *uarg)
{
	struct keel_mirror_setup __user *usetup = uarg;
	struct keel_mirror *m = keel_mirror_of(inst);
	struct keel_mirror_setup arg;
	int ret;

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), sizeof(arg),
				  KEEL_MIRROR_SETUP_FLAGS_ALL, cmd, uarg);
	if (!ret && (arg.pad || arg.pad2))
		ret = -EINVAL;
	if (!ret)
		ret = keel_mirror_check_range(arg.gpa, arg.len);
	if (!ret)
		ret = keel_inst_setup_begin_vm(inst, arg.label,
					       sizeof(arg.label), arg.vm_fd);
	if (ret)
		return ret;
	m->gfn = gpa_to_gfn(arg.gpa);
	m->npages = arg.len >> PAGE_SHIFT;
	m->c.gpa = arg.gpa;
	m->c.protected_bytes = arg.len;
	ret = keel_mirror_build(m, arg.flags);
	/* A range runs from the start: its periodic work begins (state.c). */
	if (!ret)
		ret = keel_state_set_running(&inst->state, true);
	return keel_inst_setup_end(inst, ret, &usetup->id);
}

/* [gpa, gpa + len): not empty, inside the range. */
static bool keel_mirror_inside(const struct keel_mirror *m, u64 gpa, u64 len)
{
	return len && gpa >= gfn_to_gpa(m->gfn) && gpa + len > gpa &&
	       gpa + len <= gfn_to_gpa(m->gfn + m->npages);
}

/* KEEL_MIRROR_IOC_READ and _WRITE: the same argument. */
static long keel_mirror_rw(struct keel_inst *inst, unsigned int cmd,
			   void __user *uarg)
{
	struct keel_mirror *m = keel_mirror_of(inst);
	struct keel_mirror_read arg;
	int ret;

	BUILD_BUG_ON(sizeof(struct keel_mirror_read) !=
		     sizeof(struct keel_mirror_write));
	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), sizeof(arg), 0, cmd,
				  uarg);
	if (ret)
		return ret;
	if (!keel_mirror_inside(m, arg.gpa, arg.len))
		return -EINVAL;
	if (cmd == KEEL_MIRROR_IOC_WRITE)
		return keel_mirror_store_write(m, arg.gpa, arg.len,
					       u64_to_user_ptr(arg.buf));
	return keel_mirror_store_read(m, arg.gpa, arg.len,
				      u64_to_user_ptr(arg.buf));
}

static long keel_mirror_repair_ioctl(struct keel_inst *inst, unsigned int cmd,
				     void __user *uarg)
{
	struct keel_mirror_repair __user *urep = uarg;
	struct keel_mirror *m = keel_mirror_of(inst);
	struct keel_mirror_repair arg;
	bool repaired;
	int ret;

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), sizeof(arg), 0, cmd,
				  uarg);
	if (ret)
		return ret;
	if (arg.pad || !keel_mirror_covers(m, arg.gpa))
		return -EINVAL;
	ret = keel_mirror_repair(m, arg.gpa, &repaired);
	if (ret)
		return ret;
	return put_user(repaired ? KEEL_MIRROR_REPAIRED : 0, &urep->result);
}

static long keel_mirror_log_ioctl(struct keel_inst *inst, unsigned int cmd,
				  void __user *uarg)
{
	struct keel_mirror_log __user *ulog = uarg;
	struct keel_mirror *m = keel_mirror_of(inst);
	struct keel_mirror_log arg;
	long ret;

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), sizeof(arg),
				  KEEL_MIRROR_LOG_FLAGS_ALL, cmd, uarg);
	if (ret)
		return ret;
	if (!(arg.flags & KEEL_MIRROR_LOG_SET) && arg.addr)
		return -EINVAL;
	/* Keel writes the log (clears bits): only the VMM may name it */
	if ((arg.flags & KEEL_MIRROR_LOG_SET) && !keel_mirror_in_vmm(m))
		return -EPERM;
	mutex_lock(&m->lock);
	if (arg.flags & KEEL_MIRROR_LOG_SET)
		ret = keel_mirror_log_set(m, arg.addr);
	if (!ret && (arg.flags & KEEL_MIRROR_LOG_SYNC))
		ret = keel_mirror_log_harvest(m);
	mutex_unlock(&m->lock);
	if (ret < 0)
		return ret;
	return put_user(ret, &ulog->pages);
}

static int keel_mirror_open(struct keel_inst *inst)
{
	struct keel_mirror *m = keel_mirror_of(inst);

	mutex_init(&m->lock);
	mutex_init(&m->map_lock);
	mutex_init(&m->win_lock);
	INIT_LIST_HEAD(&m->node);
	INIT_LIST_HEAD(&m->repair_node);
	INIT_DELAYED_WORK(&m->scrub, keel_mirror_scrub_work);
	return 0;
}

/*
 * Undo setup, also a partial one: off the list first, then wait for the
 * picks that may see it and for a write in flight (write.c), which holds
 * its lock.
 */
static void keel_mirror_teardown(struct keel_inst *inst)
{
	struct keel_mirror *m = keel_mirror_of(inst);
	bool listed;

	keel_mirror_windows_del(m);
	keel_mirror_scrub_stop(m);
	mutex_lock(&keel_mirror_ranges_lock);
	listed = !list_empty(&m->node);
	if (listed)
		list_del_rcu(&m->node);
	mutex_unlock(&keel_mirror_ranges_lock);
	if (listed) {
		synchronize_rcu();
		mutex_lock(&m->lock);
		mutex_unlock(&m->lock);
	}
	if (m->live)
		keel_mirror_write_put();
	keel_mirror_sigbus_del(m);
	keel_mirror_track_stop(m);
	keel_mirror_hot_free(m);
	keel_mirror_store_free(m);
}

static void keel_mirror_release(struct keel_inst *inst)
{
	mutex_destroy(&keel_mirror_of(inst)->lock);
	mutex_destroy(&keel_mirror_of(inst)->map_lock);
	mutex_destroy(&keel_mirror_of(inst)->win_lock);
}

/* Let go of the VMM's address space: the windows go with the range. */
static void keel_mirror_detached(struct keel_inst *inst)
{
	keel_mirror_windows_del(keel_mirror_of(inst));
}

/*
 * The object's info: its counters, the top of its hot-spot profile, the
 * translations registered.
 */
struct keel_mirror_info {
	struct keel_mirror_counts c;	/* first: the fields below use C */
	struct keel_info_rows hotspots;
	struct keel_mirror_hot top[KEEL_MIRROR_HOTSPOTS_MAX];
	struct keel_info_rows translations;
	struct keel_mirror_xl xl[KEEL_MIRROR_XLATES_MAX];
};

static const struct keel_info_field keel_mirror_hot_fields[] = {
	KEEL_INFO_U64(struct keel_mirror_hot, rip, KEEL_MIRROR_HOT_A_RIP,
		      KEEL_INFO_HEX),
	KEEL_INFO_U64(struct keel_mirror_hot, writes, KEEL_MIRROR_HOT_A_WRITES,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(struct keel_mirror_hot, gpa, KEEL_MIRROR_HOT_A_GPA,
		      KEEL_INFO_HEX),
};

static const struct keel_info_table keel_mirror_hot_table = {
	.entry_attr = KEEL_MIRROR_INFO_A_HOTSPOT,
	.pad_attr = KEEL_MIRROR_HOT_A_PAD,
	.entry_size = sizeof(struct keel_mirror_hot),
	.fields = keel_mirror_hot_fields,
	.nr_fields = ARRAY_SIZE(keel_mirror_hot_fields),
};

#define X struct keel_mirror_xl
static const struct keel_info_field keel_mirror_xl_fields[] = {
	KEEL_INFO_U64(X, start, KEEL_MIRROR_XLATE_A_START, KEEL_INFO_HEX),
	KEEL_INFO_U64(X, end, KEEL_MIRROR_XLATE_A_END, KEEL_INFO_HEX),
	KEEL_INFO_U64(X, code, KEEL_MIRROR_XLATE_A_CODE, KEEL_INFO_HEX),
	KEEL_INFO_BOOL(X, counted, KEEL_MIRROR_XLATE_A_COUNTED),
	KEEL_INFO_U64(X, stores, KEEL_MIRROR_XLATE_A_STORES,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(X, trapped, KEEL_MIRROR_XLATE_A_TRAPPED,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(X, log_gpa, KEEL_MIRROR_XLATE_A_LOG_GPA, KEEL_INFO_HEX),
	KEEL_INFO_U64(X, log_pt_gpa, KEEL_MIRROR_XLATE_A_LOG_PT_GPA,
		      KEEL_INFO_HEX),
};

#undef X

static const struct keel_info_table keel_mirror_xl_table = {
	.entry_attr = KEEL_MIRROR_INFO_A_TRANSLATION,
	.pad_attr = KEEL_MIRROR_XLATE_A_PAD,
	.entry_size = sizeof(struct keel_mirror_xl),
	.fields = keel_mirror_xl_fields,
	.nr_fields = ARRAY_SIZE(keel_mirror_xl_fields),
};

#define C struct keel_mirror_counts
static const struct keel_info_field keel_mirror_fields[] = {
	KEEL_INFO_U64(C, gpa, KEEL_MIRROR_INFO_A_GPA, KEEL_INFO_HEX,
		      KEEL_INFO_BRIEF),
	KEEL_INFO_U64(C, protected_bytes, KEEL_MIRROR_INFO_A_PROTECTED_BYTES,
		      KEEL_INFO_BYTES, KEEL_INFO_BRIEF),
	KEEL_INFO_U64(C, mirror_bytes, KEEL_MIRROR_INFO_A_MIRROR_BYTES,
		      KEEL_INFO_BYTES),
	KEEL_INFO_U64(C, guest_writes, KEEL_MIRROR_INFO_A_GUEST_WRITES,
		      KEEL_INFO_BRIEF_COUNTER),
	KEEL_INFO_U64(C, guest_bytes, KEEL_MIRROR_INFO_A_GUEST_BYTES,
		      KEEL_INFO_BYTES, KEEL_INFO_COUNTER),
	KEEL_INFO_U64(C, lost_pages, KEEL_MIRROR_INFO_A_LOST_PAGES),
	KEEL_INFO_U64(C, repaired_pages, KEEL_MIRROR_INFO_A_REPAIRED_PAGES,
		      KEEL_INFO_BRIEF_COUNTER),
	KEEL_INFO_U64(C, repair_ns, KEEL_MIRROR_INFO_A_REPAIR_NS,
		      KEEL_INFO_NS, KEEL_INFO_COUNTER),
	KEEL_INFO_U64(C, repair_max_ns, KEEL_MIRROR_INFO_A_REPAIR_MAX_NS,
		      KEEL_INFO_NS),
	KEEL_INFO_U64(C, vmm_writes, KEEL_MIRROR_INFO_A_VMM_WRITES,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(C, vmm_bytes, KEEL_MIRROR_INFO_A_VMM_BYTES,
		      KEEL_INFO_BYTES, KEEL_INFO_COUNTER),
	KEEL_INFO_U32(C, hot_sites, KEEL_MIRROR_INFO_A_HOT_SITES),
	KEEL_INFO_U64(C, hot_uncounted, KEEL_MIRROR_INFO_A_HOT_UNCOUNTED,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_BOOL(C, repair, KEEL_MIRROR_INFO_A_REPAIR, KEEL_INFO_BRIEF),
	KEEL_INFO_U64(C, signals_kept, KEEL_MIRROR_INFO_A_SIGNALS_KEPT,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(C, mirror_rebuilt, KEEL_MIRROR_INFO_A_MIRROR_REBUILT,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(C, scrub_passes, KEEL_MIRROR_INFO_A_SCRUB_PASSES,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(C, scrub_ns, KEEL_MIRROR_INFO_A_SCRUB_NS,
		      KEEL_INFO_NS, KEEL_INFO_COUNTER),
	KEEL_INFO_BOOL(C, log, KEEL_MIRROR_INFO_A_LOG),
	KEEL_INFO_U64(C, log_harvests, KEEL_MIRROR_INFO_A_LOG_HARVESTS,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(C, log_pages, KEEL_MIRROR_INFO_A_LOG_PAGES,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_BOOL(C, compare, KEEL_MIRROR_INFO_A_COMPARE),
	KEEL_INFO_U64(C, compare_pages, KEEL_MIRROR_INFO_A_COMPARE_PAGES,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_TABLE(struct keel_mirror_info, hotspots,
			KEEL_MIRROR_INFO_A_HOTSPOTS, &keel_mirror_hot_table),
	KEEL_INFO_TABLE(struct keel_mirror_info, translations,
			KEEL_MIRROR_INFO_A_TRANSLATIONS, &keel_mirror_xl_table),
	KEEL_INFO_U64(C, translated_stores,
		      KEEL_MIRROR_INFO_A_TRANSLATED_STORES, KEEL_INFO_COUNTER),
	KEEL_INFO_U64(C, alias_gpa, KEEL_MIRROR_INFO_A_ALIAS_GPA,
		      KEEL_INFO_HEX),
	KEEL_INFO_U64(C, window_gpa, KEEL_MIRROR_INFO_A_WINDOW_GPA,
		      KEEL_INFO_HEX),
	KEEL_INFO_U64(C, repair_entries, KEEL_MIRROR_INFO_A_REPAIR_ENTRIES,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(C, repair_open, KEEL_MIRROR_INFO_A_REPAIR_OPEN,
		      KEEL_INFO_COUNTER),
};

#undef C

static int keel_mirror_snapshot(struct keel_object *obj, void *snap)
{
	struct keel_mirror *m = keel_mirror_of(keel_inst_of_obj(obj));
	struct keel_mirror_info *info = snap;
	u64 translated;

	BUILD_BUG_ON(offsetof(struct keel_mirror_info, c));
	/* first: it reads the counters in guest memory, not under the lock */
	info->translations.nr = keel_mirror_xlate_snapshot(m, info->xl,
							   &translated);
	info->translations.rows = info->xl;
	mutex_lock(&m->lock);
	info->c = m->c;
	info->c.translated_stores = translated;
	info->c.log = !!m->log_addr;
	info->hotspots.nr = keel_mirror_hot_top(m, info->top);
	info->hotspots.rows = info->top;
	mutex_unlock(&m->lock);
	return 0;
}

static const struct keel_object_type keel_mirror_type = {
	.name = "mirror",
	.info = keel_mirror_fields,
	.nr_info = ARRAY_SIZE(keel_mirror_fields),
	.info_pad = KEEL_MIRROR_INFO_A_PAD,
	.info_size = sizeof(struct keel_mirror_info),
	.snapshot = keel_mirror_snapshot,
};

static const struct keel_ioctl keel_mirror_ioctls[] = {
	{ KEEL_MIRROR_IOC_SETUP, keel_mirror_setup, KEEL_IOCTL_SETUP },
	{ KEEL_MIRROR_IOC_READ, keel_mirror_rw, 0 },
	{ KEEL_MIRROR_IOC_WRITE, keel_mirror_rw, 0 },
	{ KEEL_MIRROR_IOC_REPAIR, keel_mirror_repair_ioctl, 0 },
	{ KEEL_MIRROR_IOC_LOG, keel_mirror_log_ioctl, 0 },
	{ KEEL_MIRROR_IOC_XLATE, keel_mirror_xlate_ioctl, 0 },
	{ KEEL_MIRROR_IOC_WINDOWS, keel_mirror_windows_ioctl, 0 },
};

/* The mirror pages, mapped for the guest's mirror window (map.c). */
static const struct file_operations keel_mirror_fops = {
	.mmap = keel_mirror_mmap,
};

static struct keel_feature keel_mirror_feature = {
	KEEL_FEATURE_NAME(mirror),
	.fops = &keel_mirror_fops,
	.type = &keel_mirror_type,
	.ops = {
		KEEL_FEATURE_INST(struct keel_mirror, inst),
		KEEL_FEATURE_IOCTLS(keel_mirror_ioctls),
		.state = &keel_mirror_state_ops,
		.open = keel_mirror_open,
		.teardown = keel_mirror_teardown,
		.release = keel_mirror_release,
		.detached = keel_mirror_detached,
	},
};

static int __init keel_mirror_init(void)
{
	int ret;

	/* Without it KVM tracks nothing for modules, and says nothing. */
	if (!IS_ENABLED(CONFIG_KVM_EXTERNAL_WRITE_TRACKING)) {
		pr_err("keel_mirror: the kernel lacks CONFIG_KVM_EXTERNAL_WRITE_TRACKING\n");
		return -EOPNOTSUPP;
	}
	ret = keel_mirror_write_init();
	if (ret)
		return ret;
	keel_mirror_sigbus_init();
	ret = keel_feature_register(&keel_mirror_feature);
	if (ret) {
		keel_mirror_sigbus_exit();
		keel_mirror_write_exit();
		return ret;
	}
	/* optional: without debugfs, the tests that need it skip */
	keel_mirror_debugfs = debugfs_create_dir("keel_mirror", NULL);
	debugfs_create_file("pages", 0400, keel_mirror_debugfs, NULL,
			    &keel_mirror_pages_fops);
	return 0;
}

static void __exit keel_mirror_exit(void)
{
	debugfs_remove(keel_mirror_debugfs);
	keel_feature_unregister(&keel_mirror_feature);
	keel_mirror_sigbus_exit();
	keel_mirror_write_exit();
}

module_init(keel_mirror_init);
module_exit(keel_mirror_exit);
MODULE_DESCRIPTION("Keel: mirrored guest memory, restored after memory failures");
MODULE_LICENSE("GPL");
MODULE_VERSION(KEEL_RELEASE);
