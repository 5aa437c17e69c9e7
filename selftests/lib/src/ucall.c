// SPDX-License-Identifier: GPL-2.0
/*
 * ucalls, both ends. Guest side: fill a struct ucall on the guest stack and
 * write its address to KEEL_UCALL_PORT. Host side: turn such an exit into a
 * validated copy of the struct, and describe ucalls for test logs.
 */
#include <stdio.h>
#include <string.h>

#include "keel_guest_io.h"
#include "keel_ucall.h"
#include "keel_vm.h"
#include "internal.h"

/* ---- guest side ---- */

static void ucall_send(struct ucall *uc)
{
	/* The guest's memory is below 4 GiB, so a 32-bit address will do. */
	outl(KEEL_UCALL_PORT, (uint32_t)(uintptr_t)uc);
}

void guest_ucall(uint64_t cmd, const uint64_t *args, size_t nargs)
{
	struct ucall uc = { .cmd = cmd };
	size_t i;

	for (i = 0; i < nargs && i < UCALL_MAX_ARGS; i++)
		uc.args[i] = args[i];
	ucall_send(&uc);
}

void guest_printf(const char *fmt, ...)
{
	struct ucall uc = { .cmd = UCALL_PRINTF };
	va_list ap;

	va_start(ap, fmt);
	guest_vsnprintf(uc.buf, sizeof(uc.buf), fmt, ap);
	va_end(ap);
	ucall_send(&uc);
}

void guest_assert_fail(const char *file, unsigned int line, uint64_t a,
		       uint64_t b, const char *fmt, ...)
{
	struct ucall uc = { .cmd = UCALL_ABORT, .line = line };
	const char *base = file;
	va_list ap;

	for (; *file; file++) {
		if (*file == '/')
			base = file + 1;
	}
	guest_snprintf(uc.file, sizeof(uc.file), "%s", base);
	uc.args[0] = a;
	uc.args[1] = b;
	va_start(ap, fmt);
	guest_vsnprintf(uc.buf, sizeof(uc.buf), fmt, ap);
	va_end(ap);
	/* A guest that failed never goes on: report again if resumed. */
	for (;;)
		ucall_send(&uc);
}

void guest_code_returned(void)
{
	for (;;)
		GUEST_DONE();
}

/* ---- host side ---- */

int ucall_decode(struct keel_vcpu *vcpu, struct ucall *uc)
{
	struct kvm_run *run = vcpu->run;
	const struct ucall *guest;
	uint32_t gpa;

	if (run->exit_reason != KVM_EXIT_IO ||
	    run->io.port != KEEL_UCALL_PORT ||
	    run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 ||
	    run->io.count != 1)
		return -1;
	memcpy(&gpa, (char *)run + run->io.data_offset, sizeof(gpa));
	guest = vm_gpa2hva(vcpu->vm, gpa, sizeof(*guest));
	memset(uc, 0, sizeof(*uc));
	if (!guest || guest->cmd == UCALL_NONE || guest->cmd >= UCALL_EXIT) {
		uc->cmd = UCALL_ABORT;
		snprintf(uc->file, sizeof(uc->file), "(host)");
		snprintf(uc->buf, sizeof(uc->buf),
			 "malformed ucall at guest address 0x%x", gpa);
		return 0;
	}
	memcpy(uc, guest, sizeof(*uc));
	/* The guest's strings are not trusted to be terminated. */
	uc->file[sizeof(uc->file) - 1] = '\0';
	uc->buf[sizeof(uc->buf) - 1] = '\0';
	return 0;
}

const char *ucall_str(struct keel_vcpu *vcpu, const struct ucall *uc)
{
	char *d = vcpu->desc;
	size_t size = sizeof(vcpu->desc);

	switch (uc->cmd) {
	case UCALL_SYNC:
		snprintf(d, size, "vcpu%u: GUEST_SYNC(0x%lx, 0x%lx, ...)",
			 vcpu->id, (unsigned long)uc->args[0],
			 (unsigned long)uc->args[1]);
		break;
	case UCALL_DONE:
		snprintf(d, size, "vcpu%u: GUEST_DONE", vcpu->id);
		break;
	case UCALL_ABORT:
		snprintf(d, size, "vcpu%u: guest failure at %s:%lu: %s",
			 vcpu->id, uc->file, (unsigned long)uc->line, uc->buf);
		break;
	case UCALL_PRINTF:
		snprintf(d, size, "vcpu%u: %s", vcpu->id, uc->buf);
		break;
	case UCALL_EXIT:
		snprintf(d, size, "vcpu%u: stopped: %s", vcpu->id, uc->buf);
		break;
	default:
		snprintf(d, size, "vcpu%u: ucall %lu", vcpu->id,
			 (unsigned long)uc->cmd);
		break;
	}
	return d;
}
