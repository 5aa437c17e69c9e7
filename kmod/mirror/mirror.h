/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel_mirror.ko's one object: a protected range of a VM's guest memory
 * and its mirror (uapi/linux/keel_mirror.h), and what its files share.
 *
 * Paths (Documentation/mirror.rst):
 *
 *	guest store --KVM emulates--> guest page --track_write--> mirror page
 *
 * Locks, outer to inner: @lock, the VMM's mmap lock (taken by the faults
 * of a copy from guest memory), KVM's own (srcu, mmu_lock). Nothing of
 * Keel is taken under a KVM lock except @lock in the page-track callbacks,
 * which KVM calls with only its track_srcu read lock held.
 */
#ifndef _KEEL_MIRROR_H
#define _KEEL_MIRROR_H

#include <linux/kvm_host.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>

#include <keel/core.h>
#include <linux/keel_mirror.h>

/**
 * struct keel_mirror_counts - statistics, the object's info snapshot
 * @gpa: the first byte of the range
 * @protected_bytes: the range's length
 * @mirror_bytes: mirror pages held
 * @guest_writes: guest writes KVM emulated and reported in the range
 * @guest_bytes: their bytes
 * @lost_pages: pages whose memslot was deleted or moved: no longer
 *	tracked, their mirror kept as it was
 * @repaired_pages: poisoned pages replaced from the mirror
 * @repair_ns: the time those repairs took, from the call to the
 *	replaced page
 * @repair_max_ns: the longest of them
 * @vmm_writes: writes of the VMM through Keel (KEEL_MIRROR_IOC_WRITE)
 * @vmm_bytes: their bytes
 * @hot_sites: code sites in the hot-spot profile (hot.c)
 * @hot_uncounted: guest writes of sites the profile has no room for
 * @repair: set up with %KEEL_MIRROR_SETUP_REPAIR (sigbus.c)
 * @signals_kept: memory-failure signals Keel did not send, the page
 *	repaired (sigbus.c)
 * @mirror_rebuilt: mirror pages lost to a memory failure and rebuilt
 *	from the guest page (scrub.c)
 * @scrub_passes: checks of every mirror page for a failure (scrub.c)
 * @scrub_ns: their time, rebuilds included
 * @log: a dirty log is set (log.c); the snapshot's, from @log_addr
 * @log_harvests: harvests of it
 * @log_pages: pages it said written, copied to the mirror
 * @compare: set up with %KEEL_MIRROR_SETUP_COMPARE (compare.c)
 * @compare_pages: guest pages the comparison found to differ from their
 *	mirror page, copied
 * @translated_stores: stores made by translations since removed
 *	(xlate.c); the snapshot's adds those registered
 * @alias_gpa: the alias Keel placed (window.c), or 0
 * @window_gpa: the mirror window Keel placed, or 0
 * @repair_entries: entries of open translated regions written over the
 *	mirror's bytes by repairs (overlay.c)
 * @repair_open: repairs refused: a translated store to the page under way
 */
struct keel_mirror_counts {
	u64 gpa;
	u64 protected_bytes;
	u64 mirror_bytes;
	u64 guest_writes;
	u64 guest_bytes;
	u64 lost_pages;
	u64 repaired_pages;
	u64 repair_ns;
	u64 repair_max_ns;
	u64 vmm_writes;
	u64 vmm_bytes;
	u32 hot_sites;
	u64 hot_uncounted;
	u8 repair;
	u64 signals_kept;
	u64 mirror_rebuilt;
	u64 scrub_passes;
	u64 scrub_ns;
	u8 log;
	u64 log_harvests;
	u64 log_pages;
	u8 compare;
	u64 compare_pages;
	u64 translated_stores;
	u64 alias_gpa;
	u64 window_gpa;
	u64 repair_entries;
	u64 repair_open;
};

/**
 * struct keel_mirror_hot - one code site of the hot-spot profile
 * @rip: the linear address of its store instruction (0: not known)
 * @writes: its stores KVM trapped and Keel mirrored (0: a free slot)
 * @gpa: the guest-physical address of the last of them
 */
struct keel_mirror_hot {
	u64 rip;
	u64 writes;
	u64 gpa;
};

/**
 * struct keel_mirror_xl - a translation of guest code (xlate.c)
 * @start: the first byte of the original code (guest linear)
 * @end: one past its last
 * @code: where the translation runs
 * @count_gpa: its counter, or 0 (@counted false)
 * @log_gpa: its full region log, or 0 (overlay.c)
 * @log_pt_gpa: the page tables of the log's linear addresses, or 0: they
 *	are guest-physical
 * @log_pt_levels: their levels, 4 or 5
 * @base: the counter's value when it was registered
 * @stores: the counter's last value read, less @base
 * @trapped: the snapshot's: the profile's trapped stores in [@start, @end)
 * @counted: registered with %KEEL_MIRROR_XLATE_COUNTED
 */
struct keel_mirror_xl {
	u64 start;
	u64 end;
	u64 code;
	u64 count_gpa;
	u64 log_gpa;
	u64 log_pt_gpa;
	u64 base;
	u64 stores;
	u64 trapped;
	u8 counted;
	u8 log_pt_levels;
};

/**
 * struct keel_mirror_track - Keel's page-track notifier of one object
 * @node: KVM's notifier node (registered while @registered)
 * @registered: set up and teardown only
 *
 * track.c owns it: KVM's callbacks differ between kernels, track.c turns
 * them into keel_mirror_written() and keel_mirror_slot_gone().
 */
struct keel_mirror_track {
	struct kvm_page_track_notifier_node node;
	bool registered;
};

/**
 * struct keel_mirror_span - guest pages at consecutive addresses of the
 *	VMM's mapping, at setup
 * @hva: the first page's address in the VMM
 * @end: past the last page
 * @gfn: the first page's frame
 */
struct keel_mirror_span {
	unsigned long hva;
	unsigned long end;
	gfn_t gfn;
};

/**
 * struct keel_mirror - one protected range (one open file)
 * @inst: the base: object, VM reference
 * @gfn: the range's first guest frame
 * @npages: its pages
 * @lock: protects @pages' content, @tracked, @lost, @c, @hot,
 *	@log_addr, @xl and @nr_xl
 * @pages: the mirror, one page per guest page (allocated at setup)
 * @tracked: pages Keel write-tracks (and must untrack)
 * @lost: pages whose memslot went: never tracked again
 * @c: statistics
 * @hot: the hot-spot profile's table (hot.c)
 * @track: the page-track notifier
 * @node: in the module's list of ranges, under keel_mirror_ranges_lock
 *	(RCU for the write redirect's pick)
 * @spans: where the VMM maps the range, at setup (sigbus.c)
 * @nr_spans: their number
 * @repair_node: in sigbus.c's list of ranges repaired on signals
 * @live: set up: its writes go through write.c (under
 *	keel_mirror_ranges_lock)
 * @scrub: the periodic check of the mirror pages for memory failures
 *	and harvest of the dirty log (scrub.c): queued from setup to
 *	teardown, the only writer of @pages' pointers after setup (under
 *	@lock)
 * @log_addr: the dirty log in the VMM's address space, or 0 (log.c)
 * @compare_next: jiffies when the next comparison is due, or 0 (compare.c,
 *	@scrub's own)
 * @map: the address space of the file whose mappings show the mirror
 *	pages (map.c), once mapped, or NULL: set by mmap (always the same
 *	value), read under @map_lock
 * @xl: the translations registered, in the order they were (xlate.c)
 * @nr_xl: how many
 * @map_lock: held by a fault of such a mapping (tried, never waited for)
 *	and by the replacement of a mirror page (map.c), which takes it
 *	inside @lock
 * @win_lock: protects the windows Keel placed (window.c): @win_vm,
 *	@win_slot, @alias_gpa, @window_gpa, @win_alias_hva, @win_hva;
 *	outside every other lock. The call in the VM's context that adds
 *	them writes @win_hva while the caller, holding it, waits
 * @win_vm: the VM file their memslots were added with, held while they
 *	exist; NULL: no windows
 * @win_slot: the memslot numbers of the alias and the mirror window
 * @alias_gpa: the alias's first guest-physical byte
 * @window_gpa: the mirror window's
 * @win_alias_hva: the VMM's address of the range's guest memory
 * @win_hva: Keel's mapping of the mirror pages in the VMM
 *
 * Set up once, constant afterwards but for what @lock protects; torn down
 * once, by the feature's teardown.
 */
struct keel_mirror {
	struct keel_inst inst;
	gfn_t gfn;
	unsigned long npages;
	/*
	 * protects @pages' content, @tracked, @lost, @c, @hot, @log_addr,
	 * @xl, @nr_xl
	 */
	struct mutex lock;
	struct page **pages;
	unsigned long *tracked;
	unsigned long *lost;
	struct keel_mirror_counts c;
	struct keel_mirror_hot *hot;
	struct keel_mirror_track track;
	struct list_head node;
	struct keel_mirror_span *spans;
	unsigned int nr_spans;
	struct list_head repair_node;
	bool live;
	struct delayed_work scrub;
	u64 log_addr;
	unsigned long compare_next;
	struct address_space *map;
	struct keel_mirror_xl xl[KEEL_MIRROR_XLATES_MAX];
	unsigned int nr_xl;
	/* serialises map faults with the replacement of a page (map.c) */
	struct mutex map_lock;
	/* protects the window fields below; outside every other lock */
	struct mutex win_lock;
	struct file *win_vm;
	u32 win_slot[2];
	u64 alias_gpa;
	u64 window_gpa;
	u64 win_alias_hva;
	unsigned long win_hva;
};

#define keel_mirror_of(i)	container_of(i, struct keel_mirror, inst)

/* The bytes of @m's range. */
static inline u64 keel_mirror_len(const struct keel_mirror *m)
{
	return (u64)m->npages << PAGE_SHIFT;
}

/* A guest-physical address in @m's range. */
static inline bool keel_mirror_covers(const struct keel_mirror *m, gpa_t gpa)
{
	return gpa_to_gfn(gpa) - m->gfn < m->npages;
}

/*
 * Running in the VMM's address space (its ioctl, its vCPU threads, a call
 * in the VM's context): where guest memory is read and written through
 * the VMM's mapping.
 */
static inline bool keel_mirror_in_vmm(const struct keel_mirror *m)
{
	return current->mm == m->inst.kvm->mm;
}

/* track.c: write tracking of the range's pages and KVM's callbacks */
int keel_mirror_track_start(struct keel_mirror *m);
int keel_mirror_track_pages(struct keel_mirror *m);
void keel_mirror_track_stop(struct keel_mirror *m);

/* store.c: the mirror pages */
int keel_mirror_store_alloc(struct keel_mirror *m);
void keel_mirror_store_free(struct keel_mirror *m);
int keel_mirror_store_fill(struct keel_mirror *m);
int keel_mirror_copy_page(struct keel_mirror *m, unsigned long idx,
			  void *dst);
void keel_mirror_take(struct keel_mirror *m, gpa_t gpa, const void *data,
		      unsigned int len);
void keel_mirror_written(struct keel_mirror *m, gpa_t gpa, const u8 *new,
			 int bytes, u64 rip);
void keel_mirror_slot_gone(struct keel_mirror *m, gfn_t gfn,
			   unsigned long npages);
int keel_mirror_store_read(struct keel_mirror *m, gpa_t gpa, u64 len,
			   void __user *buf);
int keel_mirror_store_write(struct keel_mirror *m, gpa_t gpa, u64 len,
			    const void __user *buf);
unsigned long keel_mirror_hva(struct keel_mirror *m, gpa_t gpa);

/* map.c: the mirror pages mapped into a process */
int keel_mirror_mmap(struct file *file, struct vm_area_struct *vma);
void keel_mirror_map_begin(struct keel_mirror *m, unsigned long idx);
void keel_mirror_map_end(struct keel_mirror *m, unsigned long idx,
			 struct page *fresh);

/* scrub.c: a poisoned mirror page rebuilt from the guest page */
void keel_mirror_scrub_start(struct keel_mirror *m);
void keel_mirror_scrub_stop(struct keel_mirror *m);
void keel_mirror_scrub_work(struct work_struct *work);
int keel_mirror_scrub_read(struct page *page, unsigned int off, void *dst,
			   unsigned int len);

/* overlay.c: the open regions of translated code over a repaired page */
int keel_mirror_overlay(struct keel_mirror *m, gpa_t gpa, struct page **out);

/* compare.c: writes nobody declares, found by comparing */
void keel_mirror_compare(struct keel_mirror *m);

/* log.c: writes declared in a dirty log of vhost's format */
int keel_mirror_log_set(struct keel_mirror *m, u64 addr);
long keel_mirror_log_harvest(struct keel_mirror *m);

/* hot.c: the hot-spot profile */
int keel_mirror_hot_alloc(struct keel_mirror *m);
void keel_mirror_hot_free(struct keel_mirror *m);
void keel_mirror_hot_count(struct keel_mirror *m, u64 rip, gpa_t gpa);
u32 keel_mirror_hot_top(struct keel_mirror *m, struct keel_mirror_hot *top);
u64 keel_mirror_hot_within(struct keel_mirror *m, u64 start, u64 end);
void keel_mirror_hot_save(struct keel_mirror *m,
			  struct keel_mirror_saved_hot *out);
void keel_mirror_hot_load(struct keel_mirror *m,
			  const struct keel_mirror_saved_hot *in, u32 n);

/* xlate.c: translations of guest code that store without trapping */
long keel_mirror_xlate_ioctl(struct keel_inst *inst, unsigned int cmd,
			     void __user *uarg);
unsigned int keel_mirror_xlate_snapshot(struct keel_mirror *m,
					struct keel_mirror_xl *out,
					u64 *stores);

/* window.c: the alias and mirror window Keel places for the VMM */
long keel_mirror_windows_ioctl(struct keel_inst *inst, unsigned int cmd,
			       void __user *uarg);
void keel_mirror_windows_del(struct keel_mirror *m);

/* state.c: the range in the state framework */
extern const struct keel_state_ops keel_mirror_state_ops;

/* repair.c: a page lost to a memory failure */
int keel_mirror_repair(struct keel_mirror *m, gpa_t gpa, bool *repaired);
int keel_mirror_repair_locked(struct keel_mirror *m, gpa_t gpa,
			      bool *repaired);
int keel_mirror_repair_check(struct keel_mirror *m);

/*
 * A redirected function's caller may sleep: a task, interrupts on (all
 * callers of the functions Keel redirects; anything else keeps the
 * kernel's own function).
 */
static inline bool keel_mirror_may_sleep(struct pt_regs *regs)
{
	return in_task() && (regs->flags & X86_EFLAGS_IF);
}

/* main.c: the set-up ranges, for the write redirect */
struct keel_mirror *keel_mirror_write_find(struct kvm *kvm, gpa_t gpa,
					   unsigned long len);
bool keel_mirror_write_ours(struct kvm *kvm, gpa_t gpa, unsigned long len);

/* write.c: the writes KVM makes to protected pages */
int keel_mirror_write_get(void);
void keel_mirror_write_put(void);
int keel_mirror_write_init(void);
void keel_mirror_write_exit(void);

/* sigbus.c: repair when the failure is signalled (SETUP_REPAIR) */
int keel_mirror_sigbus_add(struct keel_mirror *m);
void keel_mirror_sigbus_del(struct keel_mirror *m);
void keel_mirror_sigbus_init(void);
void keel_mirror_sigbus_exit(void);

#endif /* _KEEL_MIRROR_H */
