// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-side interrupts: the per-vector C handler table that the IDT stubs
 * (guest_idt.S) dispatch to, the default report for unexpected exceptions
 * and interrupts, the local APIC and the IOAPIC. Everything here but
 * vm_irq_handler_set() runs in the guest.
 */
#include <errno.h>

#include "keel_guest_io.h"
#include "keel_irq.h"
#include "keel_ucall.h"
#include "keel_vm.h"
#include "internal.h"

#define IOAPIC_IOREGSEL	0x00
#define IOAPIC_IOWIN	0x10

/* Lives in guest memory: each VM has its own copy. */
guest_irq_handler_t guest_irq_handlers[256];
static guest_irq_handler_t guest_irq_exception_hook;
volatile uint64_t guest_irq_duplicates;
volatile uint64_t guest_irq_shadow_fixups;

/* The HLT of safe_halt() (guest_idt.S); one byte long. */
extern const char guest_safe_halt_hlt[];

static const char *const exception_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
	"#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

void guest_irq_dispatch(struct guest_irq_frame *frame);

/*
 * A maskable interrupt is only delivered with IF set, and an interrupt
 * gate clears IF until the handler returns. A vector >= 32 taken with IF
 * clear in the saved RFLAGS is therefore not an interrupt but the same
 * delivery made a second time, at the stub or early in the handler. QEMU
 * 7.2's TCG emulation of SVM does that: after VMRUN delivers an EVENTINJ
 * interrupt it leaves cs->exception_index set to the vector, and if the
 * CPU loop is kicked before the next exception replaces it, it delivers
 * the vector again, as an exception, ignoring IF. Drop the copy (no
 * handler, no EOI: the LAPIC has one in-service bit for the two) and count
 * it; the first delivery then runs its handler normally. The price: guest
 * code must not raise vectors >= 32 with "int $n" while IF is clear.
 */
static bool is_duplicate_delivery(const struct guest_irq_frame *frame)
{
	return frame->vector >= 32 && !(frame->rflags & KEEL_RFLAGS_IF);
}

/*
 * safe_halt() is "sti; hlt": the HLT runs in the STI shadow, so an
 * interrupt pending at the STI is taken after the HLT (the saved RIP
 * points past it) and wakes the vCPU instead of being handled before the
 * HLT, which would then sleep with nothing left to wake it. QEMU 7.2's
 * TCG emulation of SVM breaks the shadow: #VMEXIT saves it in the VMCB's
 * int_state, but VMRUN does not load it back, so when a host interrupt
 * exits the guest between the STI and the HLT, the guest resumes without
 * the shadow, KVM's interrupt-window exit comes at once and KVM injects
 * the interrupt before the HLT (a trace: Documentation/guestlib.rst).
 * An interrupt whose saved RIP is that HLT can only come from such a
 * broken shadow (nothing else reaches the HLT with IF set): return past
 * the HLT, where a correct CPU would have taken it, and count it.
 */
static void fix_broken_sti_shadow(struct guest_irq_frame *frame)
{
	if (frame->vector >= 32 &&
	    frame->rip == (uintptr_t)guest_safe_halt_hlt) {
		frame->rip++;
		guest_irq_shadow_fixups++;
	}
}

void guest_irq_dispatch(struct guest_irq_frame *frame)
{
	uint64_t vector = frame->vector;
	guest_irq_handler_t handler = guest_irq_handlers[vector & 0xff];

	if (is_duplicate_delivery(frame)) {
		guest_irq_duplicates++;
		return;
	}
	fix_broken_sti_shadow(frame);
	if (vector < 32 && guest_irq_exception_hook)
		guest_irq_exception_hook(frame);
	if (handler) {
		handler(frame);
	} else if (vector < 32) {
		guest_assert_fail(__FILE__, __LINE__, vector, frame->rip,
			"unexpected exception %s (vector %lu) at rip 0x%lx, "
			"error code 0x%lx, cr2 0x%lx",
			exception_names[vector], vector, frame->rip,
			frame->error_code, vector == 14 ? read_cr2() : 0);
	} else {
		guest_assert_fail(__FILE__, __LINE__, vector, frame->rip,
			"unexpected interrupt, vector %lu at rip 0x%lx",
			vector, frame->rip);
	}
	if (vector >= 32 && vector != KEEL_SPURIOUS_VECTOR)
		lapic_eoi();
}

void guest_irq_handler_set(uint8_t vector, guest_irq_handler_t handler)
{
	guest_irq_handlers[vector] = handler;
}

void guest_irq_exception_hook_set(guest_irq_handler_t hook)
{
	guest_irq_exception_hook = hook;
}

uint32_t lapic_read(uint32_t reg)
{
	return mmio_read32(KEEL_LAPIC_BASE + reg);
}

void lapic_write(uint32_t reg, uint32_t val)
{
	mmio_write32(KEEL_LAPIC_BASE + reg, val);
}

void lapic_enable(void)
{
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | KEEL_SPURIOUS_VECTOR);
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

uint32_t lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

uint32_t ioapic_read(uint32_t reg)
{
	mmio_write32(KEEL_IOAPIC_BASE + IOAPIC_IOREGSEL, reg);
	return mmio_read32(KEEL_IOAPIC_BASE + IOAPIC_IOWIN);
}

void ioapic_write(uint32_t reg, uint32_t val)
{
	mmio_write32(KEEL_IOAPIC_BASE + IOAPIC_IOREGSEL, reg);
	mmio_write32(KEEL_IOAPIC_BASE + IOAPIC_IOWIN, val);
}

unsigned int ioapic_nr_pins(void)
{
	return (ioapic_read(IOAPIC_REG_VERSION) >> 16 & 0xff) + 1;
}

void ioapic_route(uint32_t gsi, uint8_t vector, bool level, uint8_t dest)
{
	/* Destination first, so the entry is complete when it is unmasked. */
	ioapic_write(IOAPIC_REG_REDIR(gsi) + 1, (uint32_t)dest << 24);
	ioapic_write(IOAPIC_REG_REDIR(gsi),
		     vector | (level ? IOAPIC_REDIR_LEVEL : 0));
}

void ioapic_mask(uint32_t gsi, bool masked)
{
	uint32_t lo = ioapic_read(IOAPIC_REG_REDIR(gsi));

	if (masked)
		lo |= IOAPIC_REDIR_MASKED;
	else
		lo &= ~IOAPIC_REDIR_MASKED;
	ioapic_write(IOAPIC_REG_REDIR(gsi), lo);
}

/* ---- host side ---- */

int vm_irq_handler_set(struct keel_vm *vm, uint8_t vector,
		       guest_irq_handler_t handler)
{
	guest_irq_handler_t *slot = vm_guest_ptr(vm,
						 &guest_irq_handlers[vector]);

	if (!slot)
		return keel_err(EFAULT, "guest handler table");
	*slot = handler;
	return 0;
}
