/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest I/O claimed in the host kernel (io_claim.c, io_hook.c): a module
 * claims a range of a VM's port I/O or MMIO space, and while the claim is
 * started the guest's accesses to it are handled by the module's access()
 * on the vCPU thread, inside KVM's exit handling, without reaching the
 * VMM. The in-kernel devices (keel_vdev) and the remote devices
 * (keel_remote) are built on it.
 */
#ifndef _KEEL_IO_CLAIM_H
#define _KEEL_IO_CLAIM_H

#include <linux/types.h>
#include <linux/kvm_host.h>
#include <linux/moduleparam.h>

struct keel_io_claim;
struct keel_io_vm;

/**
 * struct keel_io_claim_ops - what a claimant does with its range's accesses
 * @access: one guest access of @len bytes (1, 2, 4 or 8) at @addr, wholly
 *	inside the range; @val is the value written or the buffer to fill.
 *	Called on the vCPU thread under rcu_read_lock(), kvm->srcu held,
 *	maybe with KVM's locks held: it must not sleep. Return 0 when
 *	handled; a negative errno sends the access to the VMM as an
 *	ordinary exit.
 */
struct keel_io_claim_ops {
	int (*access)(struct keel_io_claim *c, gpa_t addr, int len, void *val,
		      bool write);
};

/**
 * struct keel_io_claim - a claimed range of one VM's I/O space
 * @ops: the claimant's callbacks
 * @kvm: the VM (a reference the claimant holds for the claim's life)
 * @bus: KVM_PIO_BUS or KVM_MMIO_BUS
 * @base: first port or guest-physical address
 * @len: bytes, not zero; the range must not wrap
 *
 * The claimant fills these, then keel_io_claim_add(); the claim starts
 * stopped. keel_io_claim_start() and keel_io_claim_stop() switch the
 * vCPU path on and off without re-patching kernel text, and
 * keel_io_claim_del() (which stops first) removes it. After stop or del
 * returns, no vCPU is inside @ops->access() for this claim.
 */
struct keel_io_claim {
	const struct keel_io_claim_ops *ops;
	struct kvm *kvm;
	enum kvm_bus bus;
	u64 base;
	u32 len;

	/* private: to the core, under the VM entry's lock */
	struct keel_io_vm *vm;
	bool started;		/* also read without the lock (info) */
};

/*
 * The claims one VM may hold, all claimants together: keel.ko's parameter
 * max_claims_per_vm. A module gives the same value a parameter of its
 * own name with these as its ops (keel_vdev's max_devices_per_vm).
 */
int keel_io_claims_max_set(const char *val, const struct kernel_param *kp);
int keel_io_claims_max_get(char *buf, const struct kernel_param *kp);

int keel_io_claim_add(struct keel_io_claim *c);
void keel_io_claim_del(struct keel_io_claim *c);
int keel_io_claim_start(struct keel_io_claim *c);
void keel_io_claim_stop(struct keel_io_claim *c);

static inline bool keel_io_claim_started(const struct keel_io_claim *c)
{
	return READ_ONCE(c->started);
}

#endif /* _KEEL_IO_CLAIM_H */
