/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interrupts. Guest side: per-vector C handlers behind the library's IDT,
 * the local APIC and the IOAPIC. Host side: KVM irqfds bound to GSIs.
 * Both need a VM created with KEEL_VM_IRQCHIP (in-kernel LAPIC/IOAPIC/PIC).
 */
#ifndef KEEL_IRQ_H
#define KEEL_IRQ_H

#include <stdbool.h>
#include <stdint.h>

/* ---- guest side ---- */

/*
 * What the IDT stubs push, lowest address first. The handler may change
 * the saved registers and rip; they are restored on return.
 */
struct guest_irq_frame {
	uint64_t r15, r14, r13, r12, rbp, rbx;
	uint64_t r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
	uint64_t vector;
	uint64_t error_code;	/* 0 for vectors without one */
	uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*guest_irq_handler_t)(struct guest_irq_frame *frame);

/* The IDT points vector v at guest_idt_stubs + v * KEEL_IDT_STUB_SIZE. */
#define KEEL_IDT_STUB_SIZE	16
extern const char guest_idt_stubs[];

#define KEEL_RFLAGS_IF		(1u << 9)

/* The vector the LAPIC uses for spurious interrupts; never EOIed. */
#define KEEL_SPURIOUS_VECTOR	0xFF

/*
 * Install (or, with NULL, remove) the handler for a vector. Vectors without
 * a handler report UCALL_ABORT when taken. After a handler for a vector
 * >= 32 returns, the library writes the LAPIC EOI (except for the spurious
 * vector). Handlers of interrupts run on the interrupted code's stack,
 * handlers of exceptions on the vCPU's IST stack, both with interrupts
 * off; the interrupted code's SSE state is saved around them.
 */
void guest_irq_handler_set(uint8_t vector, guest_irq_handler_t handler);

/*
 * Install (or, with NULL, remove) the hook that sees every exception
 * (vectors below 32) first, before its handler: it may change the frame,
 * every register of the interrupted code. A VMM that runs translated code
 * in the guest uses it to make a fault there the original instruction's
 * (Documentation/bt.rst, "Faults in translated code").
 */
void guest_irq_exception_hook_set(guest_irq_handler_t hook);

/*
 * Interrupt deliveries the library dropped because the CPU made the same
 * delivery twice (an emulator bug, see guest_irq.c); vm_free() reports a
 * non-zero count. Handlers never see these.
 */
extern volatile uint64_t guest_irq_duplicates;
/*
 * Interrupts the CPU delivered inside safe_halt()'s STI shadow, before its
 * HLT (an emulator bug, see guest_irq.c), which the library returned from
 * past the HLT, as if taken there; vm_free() reports a non-zero count.
 */
extern volatile uint64_t guest_irq_shadow_fixups;

/* Local APIC (xAPIC, MMIO at KEEL_LAPIC_BASE). */
#define LAPIC_ID	0x20
#define LAPIC_TPR	0x80
#define LAPIC_EOI	0xB0
#define LAPIC_SVR	0xF0
#define LAPIC_SVR_ENABLE	(1u << 8)

uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t val);
/* Software-enable the LAPIC (SVR) and accept all priorities (TPR 0). */
void lapic_enable(void);
void lapic_eoi(void);
uint32_t lapic_id(void);

/* IOAPIC (MMIO at KEEL_IOAPIC_BASE): IOREGSEL at +0x00, IOWIN at +0x10. */
#define IOAPIC_REG_VERSION	0x01
#define IOAPIC_REG_REDIR(pin)	(0x10 + 2 * (pin))
#define IOAPIC_REDIR_REMOTE_IRR	(1u << 14)	/* level: delivered, not EOIed */
#define IOAPIC_REDIR_LEVEL	(1u << 15)
#define IOAPIC_REDIR_MASKED	(1u << 16)

uint32_t ioapic_read(uint32_t reg);
void ioapic_write(uint32_t reg, uint32_t val);
/* Number of redirection entries (pins) the IOAPIC reports. */
unsigned int ioapic_nr_pins(void);
/*
 * Route IOAPIC pin @gsi to @vector on the APIC with ID @dest: fixed
 * delivery, physical destination, active high, edge or level, unmasked.
 */
void ioapic_route(uint32_t gsi, uint8_t vector, bool level, uint8_t dest);
void ioapic_mask(uint32_t gsi, bool masked);

/* ---- host side ---- */

struct keel_vm;

/* An eventfd bound to a GSI with KVM_IRQFD; owned by the VM. */
struct keel_irqfd {
	uint32_t gsi;
	int fd;			/* write to it to raise the GSI */
	int resample_fd;	/* level mode: signalled on guest EOI, else -1 */
};

/*
 * Bind a new eventfd to @gsi. With @resample the irqfd is level-triggered
 * (KVM_IRQFD_FLAG_RESAMPLE): the line stays asserted until the guest EOIs,
 * then KVM lowers it and signals resample_fd. Returns NULL with errno set.
 * The eventfds are closed by vm_free().
 */
struct keel_irqfd *vm_irqfd_add(struct keel_vm *vm, uint32_t gsi,
				bool resample);
/* Signal the irqfd once. Returns 0 or -errno. */
int irqfd_trigger(const struct keel_irqfd *irqfd);
/*
 * Wait up to @timeout_ms for @fd (an eventfd) to be signalled and consume
 * its count. Returns the count read, 0 on timeout, or -errno.
 */
int64_t eventfd_wait(int fd, int timeout_ms);

/* Host-side install of a guest handler, before the guest runs. */
int vm_irq_handler_set(struct keel_vm *vm, uint8_t vector,
		       guest_irq_handler_t handler);

#endif /* KEEL_IRQ_H */
