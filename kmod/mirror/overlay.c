// SPDX-License-Identifier: GPL-2.0
/*
 * The open regions of translated code written over a page that a repair
 * rebuilds from the mirror (KEEL_MIRROR_XLATE_LOGGED, Documentation/bt.rst
 * "Repair by keel_mirror"). Translated code's stores reach the mirror at
 * its region's commit; until then they are in the region log of the
 * context that runs it, in guest memory. A full log tells them without
 * the context's registers: every store's entry is published before the
 * store is made, a mov's with its bytes, any other store's open until the
 * bytes it left are recorded.
 *
 * A repair reads every log registered with the range, then copies the
 * mirror page, then writes over the copy the published entries that fall
 * in the page, in order. In that order: a commit that lands between the
 * read and the copy copied the same entries to the mirror, which writing
 * them again does not change; and no store to the lost page is made
 * meanwhile (the page is poisoned: a store faults and waits for the
 * repair). An open entry on the page means a store whose bytes nobody
 * knows: the page is not rebuilt.
 *
 * A log is read as its contract says: gen, count, the entries, gen again,
 * each read after the one before; read again when a commit came between.
 * Its entries' addresses are the ones the code stored to: guest-physical
 * in a guest whose code runs identity mapped, else linear ones, which
 * the page tables registered with the log map (a Linux guest process's:
 * walked here as the CPU walks them).
 * Reads are in the VMM's address space (keel_vm_call()), under the range's
 * lock (the registered logs stay as they are), before the repair takes
 * the VMM's mmap lock.
 */
#include <linux/highmem.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/keel_bt.h>

#include "mirror.h"

/* Reads of one log that a commit may interrupt before Keel gives up. */
#define KEEL_MIRROR_OV_TRIES	8

/* No guest-physical address: the linear one is not mapped. */
#define KEEL_MIRROR_OV_NONE	(~0ULL)

/*
 * A log as read: the published entries of its open region, and where
 * each entry's bytes are: @at[i][0] the guest-physical address of its
 * first byte, @at[i][1] that of the page after it, for bytes that cross
 * into it (KEEL_MIRROR_OV_NONE: not mapped).
 */
struct keel_mirror_ov_log {
	u64 count;
	struct keel_bt_log_entry e[KEEL_BT_LOG_ENTRIES];
	u64 at[KEEL_BT_LOG_ENTRIES][2];
};

/*
 * What keel_mirror_ov_read_fn() reads: the @n logs at @gpa, whose entries'
 * addresses are linear ones mapped by the page tables at @pt (with @levels
 * levels) or, with @pt 0, guest-physical.
 */
struct keel_mirror_ov_read {
	struct kvm *kvm;
	unsigned int n;
	gpa_t gpa[KEEL_MIRROR_XLATES_MAX];
	gpa_t pt[KEEL_MIRROR_XLATES_MAX];
	u8 levels[KEEL_MIRROR_XLATES_MAX];
	struct keel_mirror_ov_log log[KEEL_MIRROR_XLATES_MAX];
};

/* x86-64 paging entries: present, a large page, the frame's address */
#define KEEL_PTE_P	BIT_ULL(0)
#define KEEL_PTE_PS	BIT_ULL(7)
#define KEEL_PTE_ADDR	GENMASK_ULL(51, 12)

/*
 * The guest-physical address of linear address @lin in the page tables at
 * @root (@levels: 4 or 5), as the CPU walks them, large pages included;
 * KEEL_MIRROR_OV_NONE when it is not mapped or a table cannot be read.
 * In the VM's context.
 */
static u64 keel_mirror_ov_walk(struct kvm *kvm, gpa_t root,
			       unsigned int levels, u64 lin)
{
	gpa_t table = root & KEEL_PTE_ADDR;
	unsigned int level, shift;
	u64 e;

	for (level = levels; level; level--) {
		shift = PAGE_SHIFT + 9 * (level - 1);
		if (kvm_read_guest(kvm, table + ((lin >> shift) & 511) * 8, &e,
				   sizeof(e)) || !(e & KEEL_PTE_P))
			return KEEL_MIRROR_OV_NONE;
		/* a 1 GiB or 2 MiB page, or the 4 KiB page's entry */
		if (level == 1 || (level <= 3 && (e & KEEL_PTE_PS)))
			return (e & KEEL_PTE_ADDR & ~(BIT_ULL(shift) - 1)) |
			       (lin & (BIT_ULL(shift) - 1));
		table = e & KEEL_PTE_ADDR;
	}
	return KEEL_MIRROR_OV_NONE;
}

/* The bytes an entry stores: 1, 2, 4 or 8 (len 0). */
static unsigned int keel_mirror_ov_len(const struct keel_bt_log_entry *e)
{
	u32 len = e->len & ~KEEL_BT_LEN_OPEN;

	return len ? min_t(u32, len, sizeof(e->val)) : sizeof(e->val);
}

/* Where each published entry of @log lies (struct keel_mirror_ov_log). */
static void keel_mirror_ov_place(struct kvm *kvm, gpa_t pt,
				 unsigned int levels,
				 struct keel_mirror_ov_log *log)
{
	unsigned int i;
	u64 addr, next;

	for (i = 0; i < log->count; i++) {
		addr = log->e[i].addr;
		next = (addr & PAGE_MASK) + PAGE_SIZE;
		if (!pt) {
			log->at[i][0] = addr;
			log->at[i][1] = next;
			continue;
		}
		log->at[i][0] = keel_mirror_ov_walk(kvm, pt, levels, addr);
		log->at[i][1] = addr + keel_mirror_ov_len(&log->e[i]) > next ?
				keel_mirror_ov_walk(kvm, pt, levels, next) :
				KEEL_MIRROR_OV_NONE;
	}
}

#define KEEL_BT_LOG_AT(gpa, f)	((gpa) + offsetof(struct keel_bt_log, f))

/*
 * One log: 0, -EFAULT (not readable), -EBADMSG (count past the entries),
 * -EAGAIN (commits kept interrupting the read).
 */
static int keel_mirror_ov_read_one(struct kvm *kvm, gpa_t gpa,
				   struct keel_mirror_ov_log *log)
{
	u64 gen, again;
	int tries;

	for (tries = 0; tries < KEEL_MIRROR_OV_TRIES; tries++) {
		if (kvm_read_guest(kvm, KEEL_BT_LOG_AT(gpa, gen), &gen,
				   sizeof(gen)))
			return -EFAULT;
		smp_rmb();	/* the writer's commit: count 0, then gen */
		if (kvm_read_guest(kvm, KEEL_BT_LOG_AT(gpa, count),
				   &log->count, sizeof(log->count)))
			return -EFAULT;
		if (log->count > KEEL_BT_LOG_ENTRIES)
			return -EBADMSG;
		smp_rmb();	/* entries are written before the count */
		if (log->count &&
		    kvm_read_guest(kvm, KEEL_BT_LOG_AT(gpa, e), log->e,
				   log->count * sizeof(log->e[0])))
			return -EFAULT;
		smp_rmb();	/* the entries before gen's second read */
		if (kvm_read_guest(kvm, KEEL_BT_LOG_AT(gpa, gen), &again,
				   sizeof(again)))
			return -EFAULT;
		if (again == gen)
			return 0;
	}
	return -EAGAIN;
}

static int keel_mirror_ov_read_fn(void *arg)
{
	struct keel_mirror_ov_read *r = arg;
	unsigned int i;
	int idx, ret = 0;

	idx = srcu_read_lock(&r->kvm->srcu);
	for (i = 0; i < r->n && !ret; i++) {
		ret = keel_mirror_ov_read_one(r->kvm, r->gpa[i], &r->log[i]);
		if (!ret)
			keel_mirror_ov_place(r->kvm, r->pt[i], r->levels[i],
					     &r->log[i]);
	}
	srcu_read_unlock(&r->kvm->srcu, idx);
	return ret;
}

/*
 * Writes the entries of @log that fall in the page at @page over @buf;
 * returns -EBUSY if one of them is open, else how many were written.
 */
static int keel_mirror_ov_apply(const struct keel_mirror_ov_log *log,
				gpa_t page, u8 *buf)
{
	unsigned int i, b, len, first, written;
	const struct keel_bt_log_entry *e;
	u64 val, at;
	int ret = 0;

	for (i = 0; i < log->count; i++) {
		e = &log->e[i];
		len = keel_mirror_ov_len(e);
		/* the bytes on the entry's first page, then on the next */
		first = min_t(u64, len, PAGE_SIZE - offset_in_page(e->addr));
		written = 0;
		for (b = 0, val = e->val; b < len; b++, val >>= 8) {
			at = b < first ? log->at[i][0] + b :
					 log->at[i][1] + (b - first);
			if (log->at[i][b >= first] == KEEL_MIRROR_OV_NONE ||
			    at < page || at >= page + PAGE_SIZE)
				continue;
			if (e->len & KEEL_BT_LEN_OPEN)
				return -EBUSY;
			buf[at - page] = (u8)val;
			written = 1;
		}
		ret += written;
	}
	return ret;
}

/**
 * keel_mirror_overlay() - the page a repair maps at @gpa, if not the mirror's
 * @m: the range, its lock held
 * @gpa: the lost page (page aligned)
 * @out: out: a fresh page holding the mirror's bytes with the open regions'
 *	entries over them, or NULL when no log is registered (the repair
 *	copies the mirror page itself); the caller puts it
 *
 * Context: process context; sleeps (a call in the VM's context). Under
 * @m->lock, not under the VMM's mmap lock.
 *
 * Return: 0; -EBUSY when a store to the page is under way (an open entry);
 * -EFAULT, -EBADMSG or -EAGAIN when a log cannot be read whole; -ESRCH
 * (the VMM is exiting); -ENOMEM; -EIO (the mirror page has failed).
 * Nothing is kept after an error.
 */
int keel_mirror_overlay(struct keel_mirror *m, gpa_t gpa, struct page **out)
{
	unsigned long idx = gpa_to_gfn(gpa) - m->gfn;
	struct keel_mirror_ov_read *r;
	unsigned int i, j, applied = 0;
	struct page *page;
	void *buf;
	int ret;

	lockdep_assert_held(&m->lock);
	*out = NULL;
	r = kvzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->kvm = m->inst.kvm;
	for (i = 0; i < m->nr_xl; i++) {
		if (!m->xl[i].log_gpa)
			continue;
		for (j = 0; j < r->n; j++)
			if (r->gpa[j] == m->xl[i].log_gpa)
				break;
		if (j < r->n)
			continue;
		r->gpa[j] = m->xl[i].log_gpa;
		r->pt[j] = m->xl[i].log_pt_gpa;
		r->levels[j] = m->xl[i].log_pt_levels;
		r->n++;
	}
	ret = 0;
	if (!r->n)
		goto out;
	ret = keel_vm_call(m->inst.kvm, keel_mirror_ov_read_fn, r);
	if (ret)
		goto out;

	/* only now the mirror's bytes: see the top of the file */
	ret = -ENOMEM;
	page = alloc_page(GFP_HIGHUSER);
	if (!page)
		goto out;
	buf = kmap_local_page(page);
	ret = keel_mirror_scrub_read(m->pages[idx], 0, buf, PAGE_SIZE);
	for (i = 0; i < r->n && !ret; i++) {
		ret = keel_mirror_ov_apply(&r->log[i], gpa, buf);
		if (ret >= 0) {
			applied += ret;
			ret = 0;
		}
	}
	kunmap_local(buf);
	if (ret) {
		__free_page(page);
		if (ret == -EBUSY)
			m->c.repair_open++;
		goto out;
	}
	m->c.repair_entries += applied;
	*out = page;
out:
	kvfree(r);
	return ret;
}
