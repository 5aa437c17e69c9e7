// SPDX-License-Identifier: GPL-2.0
/*
 * Long-mode boot state, built by the host: identity page tables (2 MiB
 * pages over the first 4 GiB), the GDT with 64-bit code and data segments
 * and one TSS per vCPU, the IDT pointing at the stubs of guest_idt.S, and
 * each vCPU's special and general registers so that it starts directly in
 * 64-bit mode at its guest function. Addresses: keel_layout.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "keel_vm.h"
#include "internal.h"

#define PTE_PRESENT	(1ULL << 0)
#define PTE_WRITE	(1ULL << 1)
#define PTE_PWT		(1ULL << 3)
#define PTE_PCD		(1ULL << 4)
#define PTE_LARGE	(1ULL << 7)

#define CR0_PE		(1ULL << 0)
#define CR0_MP		(1ULL << 1)
#define CR0_ET		(1ULL << 4)
#define CR0_NE		(1ULL << 5)
#define CR0_WP		(1ULL << 16)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define CR4_OSFXSR	(1ULL << 9)
#define CR4_OSXMMEXCPT	(1ULL << 10)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

#define IDT_ENTRIES	256
#define IDT_GATE_INTR	0x8E	/* present, DPL 0, 64-bit interrupt gate */
#define TSS_LIMIT	(sizeof(struct tss64) - 1)


struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS layout");
_Static_assert(sizeof(struct tss64) <= KEEL_TSS_STRIDE, "TSS stride");

struct idt_gate {
	uint16_t offset0;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset1;
	uint32_t offset2;
	uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

static uint64_t tss_gpa(unsigned int vcpu_id)
{
	return KEEL_GPA_TSS + vcpu_id * KEEL_TSS_STRIDE;
}

static uint64_t stack_slot(unsigned int vcpu_id)
{
	return KEEL_GPA_STACKS + vcpu_id * KEEL_STACK_SLOT;
}

static void build_page_tables(struct keel_vm *vm)
{
	uint64_t *pml4 = vm_gpa2hva(vm, KEEL_GPA_PML4, KEEL_PAGE_SIZE);
	uint64_t *pdpt = vm_gpa2hva(vm, KEEL_GPA_PDPT, KEEL_PAGE_SIZE);
	uint64_t *pd = vm_gpa2hva(vm, KEEL_GPA_PD, KEEL_NR_PD * KEEL_PAGE_SIZE);
	uint64_t i, addr;

	memset(pml4, 0, KEEL_PAGE_SIZE);
	memset(pdpt, 0, KEEL_PAGE_SIZE);
	pml4[0] = KEEL_GPA_PDPT | PTE_PRESENT | PTE_WRITE;
	for (i = 0; i < KEEL_NR_PD; i++)
		pdpt[i] = (KEEL_GPA_PD + i * KEEL_PAGE_SIZE) |
			  PTE_PRESENT | PTE_WRITE;
	for (i = 0; i < KEEL_NR_PD * 512; i++) {
		addr = i * KEEL_LARGE_PAGE_SIZE;
		pd[i] = addr | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
		/* MMIO space: uncached. */
		if (addr >= KEEL_RAM_LIMIT)
			pd[i] |= PTE_PCD | PTE_PWT;
	}
}

static uint64_t seg_desc(uint8_t access, uint8_t flags)
{
	/* base 0, limit 0xfffff (with G: 4 GiB) */
	return 0xffffULL | (0xfULL << 48) | ((uint64_t)access << 40) |
	       ((uint64_t)flags << 52);
}

static void build_gdt_and_tss(struct keel_vm *vm)
{
	uint64_t *gdt = vm_gpa2hva(vm, KEEL_GPA_GDT, KEEL_GDT_SIZE);
	unsigned int i;

	memset(gdt, 0, KEEL_GDT_SIZE);
	/* present, DPL 0, code, execute/read, accessed; G, L */
	gdt[KEEL_SEL_CODE / 8] = seg_desc(0x9B, 0xA);
	/* present, DPL 0, data, read/write, accessed; G, D/B */
	gdt[KEEL_SEL_DATA / 8] = seg_desc(0x93, 0xC);

	for (i = 0; i < KEEL_MAX_VCPUS; i++) {
		struct tss64 *tss = vm_gpa2hva(vm, tss_gpa(i), sizeof(*tss));
		uint64_t base = tss_gpa(i);
		uint64_t *desc = &gdt[KEEL_SEL_TSS(i) / 8];

		memset(tss, 0, sizeof(*tss));
		/* Exceptions switch to IST1 (see build_idt()). */
		tss->ist[0] = stack_slot(i) + KEEL_IST_SIZE;
		tss->iomap_base = sizeof(*tss);	/* no I/O bitmap */
		/* present, 64-bit TSS (busy, as the TR of a running vCPU) */
		desc[0] = TSS_LIMIT | ((base & 0xffffff) << 16) |
			  (0x8BULL << 40) | ((base >> 24 & 0xff) << 56);
		desc[1] = base >> 32;
	}
}

/*
 * Exceptions (vectors 0-31) switch to IST1, so a fault on a broken stack
 * can still be reported. Interrupts (32-255) stay on the interrupted
 * code's stack, as Linux does it: a second delivery of the same interrupt
 * while its stub runs must push its own frame rather than overwrite the
 * first one on a shared IST stack (see guest_irq_dispatch()). Guest code
 * is built with -mno-red-zone, so nothing below rsp is live.
 */
static void build_idt(struct keel_vm *vm)
{
	struct idt_gate *idt = vm_gpa2hva(vm, KEEL_GPA_IDT,
					  IDT_ENTRIES * sizeof(*idt));
	unsigned int v;

	for (v = 0; v < IDT_ENTRIES; v++) {
		uint64_t stub = (uintptr_t)guest_idt_stubs + v * KEEL_IDT_STUB_SIZE;

		idt[v] = (struct idt_gate) {
			.offset0 = stub & 0xffff,
			.selector = KEEL_SEL_CODE,
			.ist = v < 32 ? 1 : 0,
			.type = IDT_GATE_INTR,
			.offset1 = stub >> 16 & 0xffff,
			.offset2 = stub >> 32,
		};
	}
}

int guest_boot_vm_setup(struct keel_vm *vm)
{
	if (vm->regions[0].size < KEEL_GPA_IMAGE_MIN)
		return keel_err(ENOMEM, "guest memory smaller than the layout");
	if (guest_idt_stubs_end - guest_idt_stubs != IDT_ENTRIES * KEEL_IDT_STUB_SIZE)
		return keel_err(EINVAL, "IDT stubs are not 16 bytes each");
	build_page_tables(vm);
	build_gdt_and_tss(vm);
	build_idt(vm);
	return 0;
}

static void set_flat_segment(struct kvm_segment *s, uint16_t selector,
			     uint8_t type, bool code)
{
	*s = (struct kvm_segment) {
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = !code,
		.s = 1,
		.l = code,
		.g = 1,
	};
}

int guest_boot_vcpu_setup(struct keel_vcpu *vcpu, void *guest_code)
{
	struct keel_vm *vm = vcpu->vm;
	uint64_t stack_top = stack_slot(vcpu->id) + KEEL_STACK_SLOT;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint64_t *ret_addr;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs))
		return keel_err(errno, "KVM_GET_SREGS");
	set_flat_segment(&sregs.cs, KEEL_SEL_CODE, 0xB, true);
	set_flat_segment(&sregs.ds, KEEL_SEL_DATA, 0x3, false);
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	sregs.tr = (struct kvm_segment) {
		.base = tss_gpa(vcpu->id),
		.limit = TSS_LIMIT,
		.selector = KEEL_SEL_TSS(vcpu->id),
		.type = 0xB,		/* busy 64-bit TSS */
		.present = 1,
	};
	sregs.ldt = (struct kvm_segment) { .type = 0x2, .unusable = 1 };
	sregs.gdt.base = KEEL_GPA_GDT;
	sregs.gdt.limit = KEEL_GDT_SIZE - 1;
	sregs.idt.base = KEEL_GPA_IDT;
	sregs.idt.limit = IDT_ENTRIES * sizeof(struct idt_gate) - 1;
	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs.cr3 = KEEL_GPA_PML4;
	sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	sregs.efer = EFER_LME | EFER_LMA;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs))
		return keel_err(errno, "KVM_SET_SREGS");

	/* guest_code is "called": a return lands in guest_code_returned. */
	ret_addr = vm_gpa2hva(vm, stack_top - 8, 8);
	*ret_addr = (uintptr_t)guest_code_returned;
	memset(&regs, 0, sizeof(regs));
	regs.rip = (uintptr_t)guest_code;
	regs.rsp = stack_top - 8;
	regs.rflags = 0x2;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs))
		return keel_err(errno, "KVM_SET_REGS");

	/*
	 * With the in-kernel LAPIC, every vCPU but the first would wait for
	 * INIT/SIPI; all of them start running at guest_code instead.
	 */
	if (vm->flags & KEEL_VM_IRQCHIP) {
		struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

		if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp))
			return keel_err(errno, "KVM_SET_MP_STATE");
	}
	return 0;
}
