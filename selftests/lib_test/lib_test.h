/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest library's own tests (kselftest harness).
 */
#ifndef LIB_TEST_H
#define LIB_TEST_H

#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "keel_guest.h"

/* Create a VM into @vm, or skip the test when there is no usable KVM. */
#define VM_CREATE_OR_SKIP(vm, mem_size, flags)				\
	do {								\
		(vm) = vm_create(mem_size, flags);			\
		if (!(vm) && (errno == ENOENT || errno == ENODEV ||	\
			      errno == EACCES))				\
			SKIP(return, "no usable /dev/kvm: %s",		\
			     strerror(errno));				\
		ASSERT_NE(NULL, (vm));					\
	} while (0)

/* Run the guest to its next ucall and require that it is @cmd. */
#define ASSERT_UCALL(vcpu, uc, cmd)					\
	ASSERT_EQ((uint64_t)(cmd), guest_run(vcpu, &(uc)))		\
		TH_LOG("%s", ucall_str(vcpu, &(uc)))

#endif /* LIB_TEST_H */
