/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Keel guest test library: one header for test programs.
 *
 * A test is a normal (non-PIE, static) program whose guest functions run
 * inside a KVM VM at the same addresses as in the host process. Guest code
 * may use everything from keel_guest_io.h, keel_ucall.h (GUEST_* macros),
 * keel_irq.h (guest side) and the string functions below; it must not call
 * other libc functions, touch thread-local storage or use host pointers.
 * See Documentation/guestlib.rst.
 */
#ifndef KEEL_GUEST_H
#define KEEL_GUEST_H

#include "keel_layout.h"
#include "keel_guest_io.h"
#include "keel_ucall.h"
#include "keel_irq.h"
#include "keel_vm.h"

/*
 * The library defines memcpy, memmove, memset, memcmp and strlen itself
 * (guest_string.c), so calls to them, including those the compiler emits,
 * are safe in guest code.
 */
#include <string.h>

#endif /* KEEL_GUEST_H */
