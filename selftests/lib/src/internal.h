/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the library's source files; not for tests.
 */
#ifndef KEEL_GUEST_INTERNAL_H
#define KEEL_GUEST_INTERNAL_H

#include "keel_vm.h"

/* Print "# keel_guest: <what>: <strerror(err)>" to stderr; return -err. */
int keel_err(int err, const char *what);

/* guest_idt.S: the end of the stubs (keel_irq.h has the start). */
extern const char guest_idt_stubs_end[];

/* guest_boot.c */
int guest_boot_vm_setup(struct keel_vm *vm);
int guest_boot_vcpu_setup(struct keel_vcpu *vcpu, void *guest_code);

/* ucall.c: decode a ucall exit into @uc; -1 if the exit is not a ucall. */
int ucall_decode(struct keel_vcpu *vcpu, struct ucall *uc);

/* exits.c */
void exit_stats_free(struct keel_exit_stats *stats);

#endif /* KEEL_GUEST_INTERNAL_H */
