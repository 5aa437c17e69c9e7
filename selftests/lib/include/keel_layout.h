/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-physical memory layout of a Keel test VM. Shared by the host-side
 * boot code (which builds these structures) and guest code (which uses the
 * addresses). Guest-virtual equals guest-physical: the page tables are an
 * identity map. See Documentation/guestlib.rst.
 */
#ifndef KEEL_LAYOUT_H
#define KEEL_LAYOUT_H

#define KEEL_PAGE_SIZE		0x1000ULL
#define KEEL_LARGE_PAGE_SIZE	0x200000ULL

/* System structures, all in the first 2 MiB of the RAM memslot. */
#define KEEL_GPA_PML4		0x1000ULL
#define KEEL_GPA_PDPT		0x2000ULL
#define KEEL_GPA_PD		0x3000ULL	/* 4 page directories */
#define KEEL_NR_PD		4
#define KEEL_GPA_GDT		0x7000ULL
#define KEEL_GPA_IDT		0x8000ULL
#define KEEL_GPA_TSS		0x9000ULL	/* one per vCPU */
#define KEEL_TSS_STRIDE		0x80ULL

/*
 * Stacks: one slot per vCPU. The low KEEL_IST_SIZE bytes of a slot are the
 * interrupt stack (IST1), the rest is the vCPU's normal stack.
 */
#define KEEL_GPA_STACKS		0x200000ULL
#define KEEL_STACK_SLOT		0x40000ULL
#define KEEL_IST_SIZE		0x10000ULL
#define KEEL_MAX_VCPUS		8

/* The test binary is loaded at its link addresses, at or above this. */
#define KEEL_GPA_IMAGE_MIN	0x400000ULL

/* RAM memslots live below this; the rest of the 4 GiB map is MMIO space. */
#define KEEL_RAM_LIMIT		0xC0000000ULL
/* Free for test MMIO regions (no memslot): KEEL_MMIO_BASE..0xFEBFFFFF. */
#define KEEL_MMIO_BASE		0xC0000000ULL
#define KEEL_IOAPIC_BASE	0xFEC00000ULL
#define KEEL_LAPIC_BASE		0xFEE00000ULL
/* Size of the identity map built by the library. */
#define KEEL_IDENTITY_MAP_SIZE	0x100000000ULL

/* GDT selectors. */
#define KEEL_SEL_CODE		0x08
#define KEEL_SEL_DATA		0x10
#define KEEL_SEL_TSS(vcpu_id)	(0x18 + 16 * (vcpu_id))
#define KEEL_GDT_SIZE		(0x18 + 16 * KEEL_MAX_VCPUS)

/* The port a guest writes to for a ucall (guest-to-host call). */
#define KEEL_UCALL_PORT		0xE9F0

#endif /* KEEL_LAYOUT_H */
