// SPDX-License-Identifier: GPL-2.0
/*
 * The run loop and everything about exits that reach userspace: counting
 * them (by reason, by port and direction, by MMIO address and direction),
 * dispatching port-I/O and MMIO exits to the handlers a test registered,
 * and stopping at ucalls and at exits nobody handles.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "keel_vm.h"
#include "internal.h"

/* ---- accounting ---- */

static void count_addr(struct keel_exit_stats *st, enum keel_exit_kind kind,
		       uint64_t addr)
{
	struct keel_exit_counter *c;
	size_t i;

	if (st->last_hit < st->nr_counters) {
		c = &st->counters[st->last_hit];
		if (c->kind == kind && c->addr == addr) {
			c->count++;
			return;
		}
	}
	for (i = 0; i < st->nr_counters; i++) {
		c = &st->counters[i];
		if (c->kind == kind && c->addr == addr) {
			c->count++;
			st->last_hit = i;
			return;
		}
	}
	if (st->nr_counters == st->cap_counters) {
		size_t cap = st->cap_counters ? 2 * st->cap_counters : 16;

		c = realloc(st->counters, cap * sizeof(*c));
		if (!c) {
			/* Counts must be exact; there is no way to go on. */
			fprintf(stderr,
				"# keel_guest: no memory for exit counters\n");
			abort();
		}
		st->counters = c;
		st->cap_counters = cap;
	}
	st->counters[st->nr_counters] = (struct keel_exit_counter) {
		.kind = kind, .addr = addr, .count = 1,
	};
	st->last_hit = st->nr_counters++;
}

static void account_exit(struct keel_vcpu *vcpu)
{
	struct keel_exit_stats *st = &vcpu->stats;
	struct kvm_run *run = vcpu->run;
	uint32_t reason = run->exit_reason;

	st->total++;
	st->by_reason[reason < KEEL_EXIT_REASONS ? reason :
		      KEEL_EXIT_REASONS - 1]++;
	if (reason == KVM_EXIT_IO)
		count_addr(st, run->io.direction == KVM_EXIT_IO_OUT ?
			   KEEL_EXIT_IO_OUT : KEEL_EXIT_IO_IN, run->io.port);
	else if (reason == KVM_EXIT_MMIO)
		count_addr(st, run->mmio.is_write ? KEEL_EXIT_MMIO_WRITE :
			   KEEL_EXIT_MMIO_READ, run->mmio.phys_addr);
}

uint64_t vcpu_exit_count_range(const struct keel_vcpu *vcpu,
			       enum keel_exit_kind kind, uint64_t first,
			       uint64_t len)
{
	const struct keel_exit_stats *st = &vcpu->stats;
	uint64_t sum = 0;
	size_t i;

	switch (kind) {
	case KEEL_EXIT_ANY:
		return st->total;
	case KEEL_EXIT_REASON:
		for (i = 0; i < KEEL_EXIT_REASONS; i++) {
			if (i - first < len)
				sum += st->by_reason[i];
		}
		return sum;
	default:
		for (i = 0; i < st->nr_counters; i++) {
			const struct keel_exit_counter *c = &st->counters[i];

			if (c->kind == kind && c->addr - first < len)
				sum += c->count;
		}
		return sum;
	}
}

uint64_t vcpu_exit_count(const struct keel_vcpu *vcpu,
			 enum keel_exit_kind kind, uint64_t addr)
{
	return vcpu_exit_count_range(vcpu, kind, addr, 1);
}

uint64_t vm_exit_count_range(const struct keel_vm *vm,
			     enum keel_exit_kind kind, uint64_t first,
			     uint64_t len)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		sum += vcpu_exit_count_range(vm->vcpus[i], kind, first, len);
	return sum;
}

uint64_t vm_exit_count(const struct keel_vm *vm, enum keel_exit_kind kind,
		       uint64_t addr)
{
	return vm_exit_count_range(vm, kind, addr, 1);
}

void vcpu_exit_stats_reset(struct keel_vcpu *vcpu)
{
	struct keel_exit_stats *st = &vcpu->stats;

	st->total = 0;
	memset(st->by_reason, 0, sizeof(st->by_reason));
	st->nr_counters = 0;
	st->last_hit = 0;
}

void vm_exit_stats_reset(struct keel_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		vcpu_exit_stats_reset(vm->vcpus[i]);
}

void exit_stats_free(struct keel_exit_stats *stats)
{
	free(stats->counters);
	memset(stats, 0, sizeof(*stats));
}

const char *kvm_exit_reason_str(uint32_t reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN",
		[KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO",
		[KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG",
		[KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_SET_TPR] = "SET_TPR",
		[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
		[KVM_EXIT_NMI] = "NMI",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "other";
}

/* ---- handlers ---- */

static int handler_add(struct keel_vm *vm, const struct keel_io_handler *h)
{
	unsigned int i;

	if (!h->len || h->first + h->len < h->first)
		return keel_err(EINVAL, "empty or wrapping I/O handler range");
	for (i = 0; i < vm->nr_handlers; i++) {
		const struct keel_io_handler *o = &vm->handlers[i];

		if (o->mmio == h->mmio && h->first < o->first + o->len &&
		    o->first < h->first + h->len)
			return keel_err(EEXIST, "I/O handler ranges overlap");
	}
	if (vm->nr_handlers == KEEL_MAX_IO_HANDLERS)
		return keel_err(ENOSPC, "too many I/O handlers");
	vm->handlers[vm->nr_handlers++] = *h;
	return 0;
}

int vm_pio_handler_add(struct keel_vm *vm, uint16_t first, uint32_t count,
		       keel_pio_handler_t fn, void *opaque)
{
	struct keel_io_handler h = {
		.first = first, .len = count, .pio = fn, .opaque = opaque,
	};

	if (!fn || (uint64_t)first + count > 0x10000)
		return keel_err(EINVAL, "port handler range");
	if (first <= KEEL_UCALL_PORT &&
	    (uint32_t)(KEEL_UCALL_PORT - first) < count)
		return keel_err(EBUSY, "port range covers the ucall port");
	return handler_add(vm, &h);
}

int vm_mmio_handler_add(struct keel_vm *vm, uint64_t first, uint64_t len,
			keel_mmio_handler_t fn, void *opaque)
{
	struct keel_io_handler h = {
		.mmio = true, .first = first, .len = len, .mmio_fn = fn,
		.opaque = opaque,
	};
	unsigned int i;

	if (!fn)
		return keel_err(EINVAL, "MMIO handler");
	for (i = 0; i < vm->nr_regions; i++) {
		const struct keel_mem_region *r = &vm->regions[i];

		/* KVM never exits for accesses to RAM. */
		if (first < r->gpa + r->size && r->gpa < first + len)
			return keel_err(EINVAL, "MMIO handler range is RAM");
	}
	return handler_add(vm, &h);
}

int vm_ram_mmio_handler_add(struct keel_vm *vm, uint64_t first, uint64_t len,
			    keel_mmio_handler_t fn, void *opaque)
{
	struct keel_io_handler h = {
		.mmio = true, .first = first, .len = len, .mmio_fn = fn,
		.opaque = opaque,
	};

	if (!fn || !vm_gpa2hva(vm, first, len))
		return keel_err(EINVAL, "RAM MMIO handler");
	return handler_add(vm, &h);
}

static const struct keel_io_handler *find_handler(const struct keel_vm *vm,
						  bool mmio, uint64_t addr,
						  uint64_t size)
{
	unsigned int i;

	for (i = 0; i < vm->nr_handlers; i++) {
		const struct keel_io_handler *h = &vm->handlers[i];

		if (h->mmio == mmio && addr - h->first < h->len &&
		    size <= h->len - (addr - h->first))
			return h;
	}
	return NULL;
}

/* true if a handler took the exit */
static bool handle_pio(struct keel_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	const struct keel_io_handler *h;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;
	char *data = (char *)run + run->io.data_offset;
	uint32_t i;

	h = find_handler(vcpu->vm, false, run->io.port, run->io.size);
	if (!h)
		return false;
	/* String I/O ("rep outsb"): one exit, one call per element. */
	for (i = 0; i < run->io.count; i++) {
		if (!h->pio(vcpu, run->io.port, write, data + i * run->io.size,
			    run->io.size, h->opaque))
			return false;
	}
	return true;
}

static bool handle_mmio(struct keel_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	const struct keel_io_handler *h;

	h = find_handler(vcpu->vm, true, run->mmio.phys_addr, run->mmio.len);
	if (!h)
		return false;
	return h->mmio_fn(vcpu, run->mmio.phys_addr, run->mmio.is_write,
			  run->mmio.data, run->mmio.len, h->opaque);
}

/* ---- running ---- */

int vcpu_run(struct keel_vcpu *vcpu)
{
	int ret;

	do {
		ret = ioctl(vcpu->fd, KVM_RUN, 0);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	account_exit(vcpu);
	return 0;
}

static void describe_exit(struct keel_vcpu *vcpu, struct ucall *uc)
{
	struct kvm_run *run = vcpu->run;
	uint32_t reason = run->exit_reason;
	int n;

	uc->args[0] = reason;
	n = snprintf(uc->buf, sizeof(uc->buf), "unhandled exit %s (%u)",
		     kvm_exit_reason_str(reason), reason);
	if (n < 0 || (size_t)n >= sizeof(uc->buf))
		return;
	if (reason == KVM_EXIT_IO) {
		uc->args[1] = run->io.port;
		snprintf(uc->buf + n, sizeof(uc->buf) - n,
			 ": %s port 0x%x size %u count %u",
			 run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
			 run->io.port, run->io.size, run->io.count);
	} else if (reason == KVM_EXIT_MMIO) {
		uc->args[1] = run->mmio.phys_addr;
		snprintf(uc->buf + n, sizeof(uc->buf) - n,
			 ": %s gpa 0x%llx len %u",
			 run->mmio.is_write ? "write" : "read",
			 (unsigned long long)run->mmio.phys_addr,
			 run->mmio.len);
	} else if (reason == KVM_EXIT_FAIL_ENTRY) {
		snprintf(uc->buf + n, sizeof(uc->buf) - n,
			 ": hardware reason 0x%llx",
			 (unsigned long long)
			 run->fail_entry.hardware_entry_failure_reason);
	} else if (reason == KVM_EXIT_INTERNAL_ERROR) {
		snprintf(uc->buf + n, sizeof(uc->buf) - n,
			 ": suberror %u", run->internal.suberror);
	}
}

uint64_t guest_run(struct keel_vcpu *vcpu, struct ucall *uc)
{
	int ret;

	for (;;) {
		memset(uc, 0, sizeof(*uc));
		ret = vcpu_run(vcpu);
		if (ret) {
			uc->cmd = UCALL_EXIT;
			snprintf(uc->buf, sizeof(uc->buf), "KVM_RUN failed: %s",
				 strerror(-ret));
			return uc->cmd;
		}
		if (!ucall_decode(vcpu, uc)) {
			size_t len = strlen(uc->buf);

			if (uc->cmd != UCALL_PRINTF)
				return uc->cmd;
			while (len && uc->buf[len - 1] == '\n')
				uc->buf[--len] = '\0';
			printf("# %s\n", ucall_str(vcpu, uc));
			fflush(stdout);
			continue;
		}
		if (vcpu->run->exit_reason == KVM_EXIT_IO && handle_pio(vcpu))
			continue;
		if (vcpu->run->exit_reason == KVM_EXIT_MMIO &&
		    handle_mmio(vcpu))
			continue;
		uc->cmd = UCALL_EXIT;
		describe_exit(vcpu, uc);
		return uc->cmd;
	}
}
