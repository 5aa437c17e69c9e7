/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host side of the Keel guest test library: VMs, guest memory, vCPUs, the
 * run loop, userspace port-I/O and MMIO handlers, exit accounting.
 *
 * Functions that create something return NULL (or -errno) on failure, with
 * errno set and a line on stderr saying what failed.
 */
#ifndef KEEL_VM_H
#define KEEL_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "keel_irq.h"
#include "keel_layout.h"
#include "keel_ucall.h"

/* vm_create() flags */
#define KEEL_VM_IRQCHIP		(1u << 0)	/* KVM_CREATE_IRQCHIP */

#define KEEL_VM_DEFAULT_MEM	(128ULL << 20)
#define KEEL_MAX_MEM_REGIONS	8
#define KEEL_MAX_IO_HANDLERS	16
#define KEEL_MAX_IRQFDS		24

/* What an exit counter is keyed by. */
enum keel_exit_kind {
	KEEL_EXIT_ANY,		/* all exits; the address is ignored */
	KEEL_EXIT_REASON,	/* address = KVM_EXIT_* reason */
	KEEL_EXIT_IO_OUT,	/* address = port */
	KEEL_EXIT_IO_IN,	/* address = port */
	KEEL_EXIT_MMIO_WRITE,	/* address = guest-physical address */
	KEEL_EXIT_MMIO_READ,	/* address = guest-physical address */
};

#define KEEL_EXIT_REASONS	64	/* reasons >= this count as the last */

struct keel_exit_counter {
	enum keel_exit_kind kind;
	uint64_t addr;
	uint64_t count;
};

/* Exits of one vCPU that reached userspace (see exits.c). */
struct keel_exit_stats {
	uint64_t total;
	uint64_t by_reason[KEEL_EXIT_REASONS];
	struct keel_exit_counter *counters;	/* IO and MMIO, by address */
	size_t nr_counters, cap_counters, last_hit;
};

struct keel_vcpu;

/*
 * Userspace device emulation. @data holds @size bytes: the value written,
 * or the buffer to fill for a read. Return false to stop the run loop
 * (guest_run() then returns UCALL_EXIT).
 */
typedef bool (*keel_pio_handler_t)(struct keel_vcpu *vcpu, uint16_t port,
				   bool write, void *data, unsigned int size,
				   void *opaque);
typedef bool (*keel_mmio_handler_t)(struct keel_vcpu *vcpu, uint64_t gpa,
				    bool write, void *data, unsigned int size,
				    void *opaque);

struct keel_io_handler {
	bool mmio;
	uint64_t first, len;
	keel_pio_handler_t pio;
	keel_mmio_handler_t mmio_fn;
	void *opaque;
};

struct keel_mem_region {
	uint32_t slot;
	uint64_t gpa, size;
	void *hva;
	uint64_t map_size;	/* bytes of the mapping at hva (a region
				 * split by vm_mem_region_readonly() keeps
				 * the whole mapping in its first piece)
				 */
	bool borrowed;		/* the caller's mapping: not unmapped here */
};

struct keel_vm {
	int kvm_fd;		/* /dev/kvm */
	int fd;			/* the VM fd: hand it to Keel modules */
	unsigned int flags;
	size_t run_size;
	struct kvm_cpuid2 *cpuid;
	struct keel_mem_region regions[KEEL_MAX_MEM_REGIONS];
	unsigned int nr_regions;
	uint64_t alloc_next, alloc_end;	/* vm_alloc() window in region 0 */
	struct keel_vcpu *vcpus[KEEL_MAX_VCPUS];
	unsigned int nr_vcpus;
	struct keel_io_handler handlers[KEEL_MAX_IO_HANDLERS];
	unsigned int nr_handlers;
	struct keel_irqfd irqfds[KEEL_MAX_IRQFDS];
	unsigned int nr_irqfds;
};

struct keel_vcpu {
	struct keel_vm *vm;
	uint32_t id;		/* also the LAPIC ID */
	int fd;			/* the vCPU fd */
	struct kvm_run *run;
	struct keel_exit_stats stats;
	char desc[UCALL_BUF_SIZE + UCALL_FILE_SIZE + 64];
};

/* ---- VMs and memory (kvm_vm.c) ---- */

/*
 * Create a VM with @mem_size bytes of RAM at guest-physical 0 (0 means
 * KEEL_VM_DEFAULT_MEM), the test binary loaded at its link addresses, and
 * page tables, GDT, IDT and TSSs ready for long mode. The guest sees the
 * binary's globals as they were at this call.
 */
struct keel_vm *vm_create(uint64_t mem_size, unsigned int flags);
/* Close every fd (vCPUs, irqfds, VM, /dev/kvm) and unmap all memory. */
void vm_free(struct keel_vm *vm);

/* Add a RAM memslot at @gpa (page aligned, below KEEL_RAM_LIMIT). */
void *vm_mem_region_add(struct keel_vm *vm, uint64_t gpa, uint64_t size);
/*
 * Add a memslot at @gpa over memory the caller mapped at @hva and keeps
 * mapped while the VM lives: a second guest-physical view of another
 * region (an alias), or a device's pages. 0 or -errno.
 */
int vm_mem_region_map(struct keel_vm *vm, uint64_t gpa, uint64_t size,
		      void *hva);
/*
 * Delete the memslot vm_mem_region_map() added at @gpa; the memory stays
 * the caller's. 0, -ENOENT (none there) or -errno of KVM.
 */
int vm_mem_region_del(struct keel_vm *vm, uint64_t gpa);
/*
 * Make guest-physical [gpa, gpa + size) (page aligned, within one region)
 * read-only for the guest: its memslot is split in up to three, the
 * middle one KVM_MEM_READONLY, over the same memory. A guest store there
 * exits as MMIO (vm_ram_mmio_handler_add() takes it; the handler makes
 * the store itself, through the host mapping, if it should happen). Call
 * it before anything else refers to the region's memslot (a Keel object
 * over it would see the memslot go). 0 or -errno.
 */
int vm_mem_region_readonly(struct keel_vm *vm, uint64_t gpa, uint64_t size);
/* Host pointer for guest-physical [gpa, gpa + len), or NULL. */
void *vm_gpa2hva(const struct keel_vm *vm, uint64_t gpa, uint64_t len);
/* Allocate page-aligned guest memory above the image; returns its gpa. */
uint64_t vm_alloc(struct keel_vm *vm, uint64_t size);

/* Host pointer to the guest's copy of the object *ptr (a global). */
#define vm_guest_ptr(vm, ptr)						\
	((__typeof__(ptr))vm_gpa2hva(vm, (uintptr_t)(ptr), sizeof(*(ptr))))
#define sync_global_to_guest(vm, g)					\
	__builtin_memcpy(vm_guest_ptr(vm, &(g)), &(g), sizeof(g))
#define sync_global_from_guest(vm, g)					\
	__builtin_memcpy(&(g), vm_guest_ptr(vm, &(g)), sizeof(g))

/* ---- vCPUs (kvm_vm.c, guest_boot.c) ---- */

/*
 * Add a vCPU (ID = number of vCPUs so far) that starts in 64-bit mode at
 * @guest_code with its own stack. If guest_code returns, the vCPU reports
 * UCALL_DONE. Each vCPU may be run from its own thread.
 */
struct keel_vcpu *vm_vcpu_add(struct keel_vm *vm, void *guest_code);
/*
 * vcpu_args_set(vcpu, a [, b ... up to 6]): the integer arguments guest_code
 * receives (in RDI, RSI, RDX, RCX, R8, R9). Returns 0 or -errno.
 */
int __vcpu_args_set(struct keel_vcpu *vcpu, const uint64_t *args, size_t n);
#define vcpu_args_set(vcpu, ...)					\
	__vcpu_args_set(vcpu, __UCALL_ARGS(__VA_ARGS__),		\
			__UCALL_NARGS(__VA_ARGS__))

/* ---- running (exits.c, ucall.c) ---- */

/* One KVM_RUN (retried on EINTR) and its exit accounted. 0 or -errno. */
int vcpu_run(struct keel_vcpu *vcpu);
/*
 * Run the guest until it makes a ucall other than UCALL_PRINTF, or until an
 * exit that no handler takes. Registered port-I/O and MMIO handlers are
 * called on the way; guest printf output goes to stdout as "# ..." lines.
 * Fills @uc and returns uc->cmd.
 */
uint64_t guest_run(struct keel_vcpu *vcpu, struct ucall *uc);
/* A one-line description of a ucall for test logs (valid until next use). */
const char *ucall_str(struct keel_vcpu *vcpu, const struct ucall *uc);

/* ---- userspace I/O handlers and exit accounting (exits.c) ---- */

/* Register before running vCPUs. -EINVAL/-EEXIST/-EBUSY/-ENOSPC on error. */
int vm_pio_handler_add(struct keel_vm *vm, uint16_t first, uint32_t count,
		       keel_pio_handler_t fn, void *opaque);
int vm_mmio_handler_add(struct keel_vm *vm, uint64_t first, uint64_t len,
			keel_mmio_handler_t fn, void *opaque);
/*
 * The same for RAM, which exits as MMIO only when KVM cannot access it:
 * a store KVM emulates (a write-tracked page) to a poisoned page.
 */
int vm_ram_mmio_handler_add(struct keel_vm *vm, uint64_t first, uint64_t len,
			    keel_mmio_handler_t fn, void *opaque);

/* Exits of @kind at exactly @addr / in [first, first + len). */
uint64_t vcpu_exit_count(const struct keel_vcpu *vcpu,
			 enum keel_exit_kind kind, uint64_t addr);
uint64_t vcpu_exit_count_range(const struct keel_vcpu *vcpu,
			       enum keel_exit_kind kind, uint64_t first,
			       uint64_t len);
/* The same, summed over all vCPUs of @vm. */
uint64_t vm_exit_count(const struct keel_vm *vm, enum keel_exit_kind kind,
		       uint64_t addr);
uint64_t vm_exit_count_range(const struct keel_vm *vm,
			     enum keel_exit_kind kind, uint64_t first,
			     uint64_t len);
void vcpu_exit_stats_reset(struct keel_vcpu *vcpu);
void vm_exit_stats_reset(struct keel_vm *vm);
/* Name of a KVM_EXIT_* reason, for logs. */
const char *kvm_exit_reason_str(uint32_t reason);

#endif /* KEEL_VM_H */
