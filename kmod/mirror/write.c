// SPDX-License-Identifier: GPL-2.0
/*
 * The writes KVM makes to protected pages: kvm_vcpu_write_guest(), which
 * makes every guest store KVM emulates (and KVM's own writes into guest
 * memory), redirected with the core's redirects while any range exists,
 * so that the write and its mirroring happen under the range's lock.
 *
 * Why: KVM reports an emulated store (track_write, store.c) only after it
 * wrote guest memory. A repair between the two (a fault of another vCPU,
 * a failure signalled early, sigbus.c) would rebuild the page from a
 * mirror without the store, and the report, which copies from guest
 * memory, would not bring it back: the store would be lost though the
 * vCPU went past it. Under the lock a repair comes either before the
 * write, which then lands on the fresh page, or after the mirror has it.
 *
 * A write that fails on a poisoned page of a range set up with
 * KEEL_MIRROR_SETUP_REPAIR is made again once the page is repaired, so
 * the store lands and is mirrored; without the flag it fails as before
 * and KVM hands it to the VMM as an MMIO exit (which repairs and writes
 * through Keel).
 *
 * Lock order: keel_mirror_ranges_lock (the lookup, main.c), the range's
 * lock, the VMM's mmap lock (a fault of the write, a repair).
 */
#include <linux/kvm_host.h>

#include <keel/redirect.h>

#include "mirror.h"

/* [gpa, gpa + len) of @m written with @data: the mirror takes it. */
static void keel_mirror_write_mirror(struct keel_mirror *m, gpa_t gpa,
				     const u8 *data, unsigned long len)
{
	unsigned int n;

	for (; len; gpa += n, data += n, len -= n) {
		n = min_t(unsigned long, len, PAGE_SIZE - offset_in_page(gpa));
		if (!test_bit(gpa_to_gfn(gpa) - m->gfn, m->lost))
			keel_mirror_take(m, gpa, data, n);
	}
}

/* Instead of kvm_vcpu_write_guest(), for the picked calls. */
static int keel_mirror_vcpu_write_guest(struct kvm_vcpu *vcpu, gpa_t gpa,
					const void *data, unsigned long len)
{
	struct keel_mirror *m = keel_mirror_write_find(vcpu->kvm, gpa, len);
	gpa_t page, end = gpa + len;
	bool repaired;
	int ret;

	ret = kvm_vcpu_write_guest(vcpu, gpa, data, len);
	if (!m)
		return ret;
	if (ret == -EFAULT && m->c.repair) {
		for (page = gpa & PAGE_MASK; page < end; page += PAGE_SIZE)
			if (keel_mirror_repair_locked(m, page, &repaired))
				break;
		ret = kvm_vcpu_write_guest(vcpu, gpa, data, len);
	}
	if (!ret)
		keel_mirror_write_mirror(m, gpa, data, len);
	mutex_unlock(&m->lock);
	return ret;
}

/* kvm_vcpu_write_guest(vcpu = di, gpa = si, data = dx, len = cx) */
static void keel_mirror_write_pick(struct pt_regs *regs)
{
	struct kvm_vcpu *vcpu = (struct kvm_vcpu *)regs->di;

	if (regs->cx && keel_mirror_may_sleep(regs) &&
	    keel_mirror_write_ours(vcpu->kvm, regs->si, regs->cx))
		regs->ip = (unsigned long)keel_mirror_vcpu_write_guest;
}

static struct keel_redirect keel_mirror_write_hook = {
	.symbol = "kvm_vcpu_write_guest",
	.owner = THIS_MODULE,
	.pick = keel_mirror_write_pick,
};

/* One more range: the redirect is installed from the first on. */
int keel_mirror_write_get(void)
{
	return keel_redirect_get(&keel_mirror_write_hook);
}

void keel_mirror_write_put(void)
{
	keel_redirect_put(&keel_mirror_write_hook);
}

int keel_mirror_write_init(void)
{
	return keel_redirect_init(&keel_mirror_write_hook);
}

void keel_mirror_write_exit(void)
{
	keel_redirect_exit(&keel_mirror_write_hook);
}
