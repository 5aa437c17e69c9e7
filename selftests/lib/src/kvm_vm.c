// SPDX-License-Identifier: GPL-2.0
/*
 * VMs, guest memory and vCPUs: /dev/kvm, KVM_CREATE_VM, RAM memslots backed
 * by anonymous mmap, copying the test binary into guest memory at its link
 * addresses, vCPU creation (kvm_run mapping, CPUID) and teardown.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "keel_irq.h"
#include "keel_vm.h"
#include "internal.h"

int keel_err(int err, const char *what)
{
	fprintf(stderr, "# keel_guest: %s: %s\n", what, strerror(err));
	return -err;
}

static uint64_t align_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

static int ioctl_noeintr(int fd, unsigned long req, unsigned long arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret;
}

static struct kvm_cpuid2 *get_supported_cpuid(int kvm_fd)
{
	struct kvm_cpuid2 *cpuid;
	uint32_t nent;

	for (nent = 64; nent <= 4096; nent *= 2) {
		cpuid = calloc(1, sizeof(*cpuid) +
				  nent * sizeof(cpuid->entries[0]));
		if (!cpuid)
			return NULL;
		cpuid->nent = nent;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid))
			return cpuid;
		free(cpuid);
		if (errno != E2BIG)
			return NULL;
	}
	errno = E2BIG;
	return NULL;
}

void *vm_gpa2hva(const struct keel_vm *vm, uint64_t gpa, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < vm->nr_regions; i++) {
		const struct keel_mem_region *r = &vm->regions[i];

		if (gpa >= r->gpa && len <= r->size &&
		    gpa - r->gpa <= r->size - len)
			return (char *)r->hva + (gpa - r->gpa);
	}
	return NULL;
}

/* KVM_SET_USER_MEMORY_REGION: 0, or -1 with errno (a message printed). */
static int slot_set(struct keel_vm *vm, uint32_t slot, uint64_t gpa,
		    uint64_t size, void *hva, uint32_t flags)
{
	struct kvm_userspace_memory_region kr = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (!ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &kr))
		return 0;
	errno = -keel_err(errno, "KVM_SET_USER_MEMORY_REGION");
	return -1;
}

/* The lowest memslot number no region uses. */
static uint32_t free_slot(const struct keel_vm *vm)
{
	uint32_t s;
	unsigned int i;

	for (s = 0;; s++) {
		for (i = 0; i < vm->nr_regions; i++)
			if (vm->regions[i].slot == s)
				break;
		if (i == vm->nr_regions)
			return s;
	}
}

static void *region_add(struct keel_vm *vm, uint64_t gpa, uint64_t size,
			void *given)
{
	uint32_t slot = free_slot(vm);
	struct keel_mem_region *r;
	unsigned int i;
	void *hva = given;

	if (!size || (gpa | size) & (KEEL_PAGE_SIZE - 1) ||
	    size > KEEL_RAM_LIMIT || gpa > KEEL_RAM_LIMIT - size) {
		errno = -keel_err(EINVAL, "memory region outside guest RAM");
		return NULL;
	}
	for (i = 0; i < vm->nr_regions; i++) {
		r = &vm->regions[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size) {
			errno = -keel_err(EEXIST, "memory regions overlap");
			return NULL;
		}
	}
	if (vm->nr_regions == KEEL_MAX_MEM_REGIONS) {
		errno = -keel_err(ENOSPC, "too many memory regions");
		return NULL;
	}
	if (!hva)
		hva = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (hva == MAP_FAILED) {
		errno = -keel_err(errno, "mmap guest memory");
		return NULL;
	}
	if (slot_set(vm, slot, gpa, size, hva, 0)) {
		int err = errno;

		if (!given)
			munmap(hva, size);
		errno = err;
		return NULL;
	}
	vm->regions[vm->nr_regions] = (struct keel_mem_region) {
		.slot = slot, .gpa = gpa, .size = size, .hva = hva,
		.map_size = size, .borrowed = given != NULL,
	};
	vm->nr_regions++;
	return hva;
}

int vm_mem_region_readonly(struct keel_vm *vm, uint64_t gpa, uint64_t size)
{
	struct keel_mem_region *r = NULL, old;
	uint64_t end = gpa + size, piece[3][2];
	unsigned int i, n = 0;
	int p;

	if (!size || (gpa | size) & (KEEL_PAGE_SIZE - 1) || end < gpa)
		return -keel_err(EINVAL, "read-only range not page aligned");
	for (i = 0; i < vm->nr_regions; i++)
		if (gpa >= vm->regions[i].gpa &&
		    end <= vm->regions[i].gpa + vm->regions[i].size)
			r = &vm->regions[i];
	if (!r)
		return -keel_err(EINVAL, "read-only range not in one region");
	if (vm->nr_regions + 2 > KEEL_MAX_MEM_REGIONS)
		return -keel_err(ENOSPC, "too many memory regions");
	old = *r;
	piece[0][0] = old.gpa;
	piece[0][1] = gpa;
	piece[1][0] = gpa;
	piece[1][1] = end;
	piece[2][0] = end;
	piece[2][1] = old.gpa + old.size;
	/* KVM takes a memslot's new shape only through its deletion */
	if (slot_set(vm, old.slot, old.gpa, 0, old.hva, 0))
		return -errno;
	for (p = 0; p < 3; p++) {
		uint64_t at = piece[p][0], len = piece[p][1] - piece[p][0];
		void *hva = (char *)old.hva + (at - old.gpa);
		struct keel_mem_region *dst;

		if (!len)
			continue;
		dst = n ? &vm->regions[vm->nr_regions] : r;
		*dst = (struct keel_mem_region){
			.slot = n ? free_slot(vm) : old.slot, .gpa = at,
			.size = len, .hva = hva,
			.map_size = n ? 0 : old.map_size,
			.borrowed = n ? true : old.borrowed,
		};
		if (slot_set(vm, dst->slot, at, len, hva,
			     p == 1 ? KVM_MEM_READONLY : 0))
			return -errno;
		if (n++)
			vm->nr_regions++;
	}
	return 0;
}

void *vm_mem_region_add(struct keel_vm *vm, uint64_t gpa, uint64_t size)
{
	return region_add(vm, gpa, size, NULL);
}

int vm_mem_region_map(struct keel_vm *vm, uint64_t gpa, uint64_t size,
		      void *hva)
{
	if (!hva)
		return -keel_err(EINVAL, "no memory to map");
	return region_add(vm, gpa, size, hva) ? 0 : -errno;
}

int vm_mem_region_del(struct keel_vm *vm, uint64_t gpa)
{
	struct keel_mem_region *r;
	unsigned int i;

	for (i = 0; i < vm->nr_regions; i++) {
		r = &vm->regions[i];
		if (r->gpa != gpa || !r->borrowed || r->map_size != r->size)
			continue;
		if (slot_set(vm, r->slot, r->gpa, 0, r->hva, 0))
			return -errno;
		*r = vm->regions[--vm->nr_regions];
		return 0;
	}
	return -keel_err(ENOENT, "no mapped memory region there");
}

uint64_t vm_alloc(struct keel_vm *vm, uint64_t size)
{
	uint64_t gpa;

	size = align_up(size ? size : 1, KEEL_PAGE_SIZE);
	if (size > vm->alloc_end - vm->alloc_next) {
		errno = ENOMEM;
		return 0;
	}
	gpa = vm->alloc_next;
	vm->alloc_next += size;
	memset(vm_gpa2hva(vm, gpa, size), 0, size);
	return gpa;
}

/*
 * Copy every PT_LOAD segment of the running (non-PIE) test binary to the
 * same guest-physical address, so its code and data work in the guest.
 */
static int load_image(struct keel_vm *vm)
{
	const Elf64_Phdr *phdr = (const Elf64_Phdr *)getauxval(AT_PHDR);
	unsigned long phnum = getauxval(AT_PHNUM), i;
	uint64_t end = 0;

	if (!phdr)
		return keel_err(ENOEXEC, "no program headers");
	for (i = 0; i < phnum; i++) {
		if (phdr[i].p_type == PT_PHDR &&
		    phdr[i].p_vaddr != (uintptr_t)phdr)
			return keel_err(ENOEXEC,
					"test binary is relocated (link it -no-pie)");
	}
	for (i = 0; i < phnum; i++) {
		const Elf64_Phdr *p = &phdr[i];
		void *dst;

		if (p->p_type != PT_LOAD || !p->p_memsz)
			continue;
		if (p->p_vaddr < KEEL_GPA_IMAGE_MIN)
			return keel_err(ENOEXEC,
					"test binary linked below 0x400000");
		dst = vm_gpa2hva(vm, p->p_vaddr, p->p_memsz);
		if (!dst)
			return keel_err(ENOMEM,
					"guest memory too small for the test binary");
		memcpy(dst, (const void *)(uintptr_t)p->p_vaddr, p->p_memsz);
		if (p->p_vaddr + p->p_memsz > end)
			end = p->p_vaddr + p->p_memsz;
	}
	vm->alloc_next = align_up(end, KEEL_LARGE_PAGE_SIZE);
	vm->alloc_end = vm->regions[0].size;
	if (vm->alloc_next > vm->alloc_end)
		vm->alloc_next = vm->alloc_end;
	return 0;
}

struct keel_vm *vm_create(uint64_t mem_size, unsigned int flags)
{
	struct keel_vm *vm;
	int ret, err;

	if (!mem_size)
		mem_size = KEEL_VM_DEFAULT_MEM;
	mem_size = align_up(mem_size, KEEL_LARGE_PAGE_SIZE);
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return NULL;
	vm->kvm_fd = -1;
	vm->fd = -1;
	vm->flags = flags;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		ret = keel_err(errno, "open /dev/kvm");
		goto fail;
	}
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		ret = keel_err(EINVAL, "unexpected KVM API version");
		goto fail;
	}
	vm->fd = ioctl_noeintr(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		ret = keel_err(errno, "KVM_CREATE_VM");
		goto fail;
	}
	ret = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret < (int)sizeof(struct kvm_run)) {
		ret = keel_err(ret < 0 ? errno : EINVAL,
			       "KVM_GET_VCPU_MMAP_SIZE");
		goto fail;
	}
	vm->run_size = ret;
	if ((flags & KEEL_VM_IRQCHIP) &&
	    ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0)) {
		ret = keel_err(errno, "KVM_CREATE_IRQCHIP");
		goto fail;
	}
	vm->cpuid = get_supported_cpuid(vm->kvm_fd);
	if (!vm->cpuid) {
		ret = keel_err(errno, "KVM_GET_SUPPORTED_CPUID");
		goto fail;
	}
	if (!vm_mem_region_add(vm, 0, mem_size)) {
		ret = -errno;
		goto fail;
	}
	ret = load_image(vm);
	if (!ret)
		ret = guest_boot_vm_setup(vm);
	if (ret)
		goto fail;
	return vm;
fail:
	err = -ret;
	vm_free(vm);
	errno = err;
	return NULL;
}

static void vcpu_free(struct keel_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->vm->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	exit_stats_free(&vcpu->stats);
	free(vcpu);
}

/* Give each vCPU its own APIC ID in CPUID, as its LAPIC has. */
static int vcpu_set_cpuid(struct keel_vcpu *vcpu)
{
	const struct kvm_cpuid2 *src = vcpu->vm->cpuid;
	size_t size = sizeof(*src) + src->nent * sizeof(src->entries[0]);
	struct kvm_cpuid2 *cpuid = malloc(size);
	uint32_t i;
	int ret = 0;

	if (!cpuid)
		return keel_err(ENOMEM, "CPUID");
	memcpy(cpuid, src, size);
	for (i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffff) | (vcpu->id << 24);
		else if (e->function == 0xb || e->function == 0x1f)
			e->edx = vcpu->id;
	}
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid))
		ret = keel_err(errno, "KVM_SET_CPUID2");
	free(cpuid);
	return ret;
}

struct keel_vcpu *vm_vcpu_add(struct keel_vm *vm, void *guest_code)
{
	struct keel_vcpu *vcpu;
	void *run;
	int ret;

	if (vm->nr_vcpus == KEEL_MAX_VCPUS) {
		errno = -keel_err(ENOSPC, "too many vCPUs");
		return NULL;
	}
	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu)
		return NULL;
	vcpu->vm = vm;
	vcpu->id = vm->nr_vcpus;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, vcpu->id);
	if (vcpu->fd < 0) {
		ret = keel_err(errno, "KVM_CREATE_VCPU");
		goto fail;
	}
	run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu->fd, 0);
	if (run == MAP_FAILED) {
		ret = keel_err(errno, "mmap kvm_run");
		goto fail;
	}
	vcpu->run = run;
	ret = vcpu_set_cpuid(vcpu);
	if (!ret)
		ret = guest_boot_vcpu_setup(vcpu, guest_code);
	if (ret)
		goto fail;
	vm->vcpus[vm->nr_vcpus++] = vcpu;
	return vcpu;
fail:
	vcpu_free(vcpu);
	errno = -ret;
	return NULL;
}

int __vcpu_args_set(struct keel_vcpu *vcpu, const uint64_t *args, size_t n)
{
	struct kvm_regs regs;
	__u64 *slot[] = { &regs.rdi, &regs.rsi, &regs.rdx,
			  &regs.rcx, &regs.r8, &regs.r9 };
	size_t i;

	if (n > UCALL_MAX_ARGS)
		return keel_err(EINVAL, "more than 6 guest arguments");
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs))
		return keel_err(errno, "KVM_GET_REGS");
	for (i = 0; i < n; i++)
		*slot[i] = args[i];
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs))
		return keel_err(errno, "KVM_SET_REGS");
	return 0;
}

void vm_free(struct keel_vm *vm)
{
	volatile uint64_t *count;
	unsigned int i;

	if (!vm)
		return;
	count = vm_guest_ptr(vm, &guest_irq_duplicates);
	if (count && *count)
		fprintf(stderr,
			"# keel_guest: dropped %llu duplicate interrupt deliveries (emulator bug)\n",
			(unsigned long long)*count);
	count = vm_guest_ptr(vm, &guest_irq_shadow_fixups);
	if (count && *count)
		fprintf(stderr,
			"# keel_guest: %llu interrupts taken inside the STI shadow before safe_halt()'s HLT, moved past it (emulator bug)\n",
			(unsigned long long)*count);
	for (i = 0; i < vm->nr_vcpus; i++)
		vcpu_free(vm->vcpus[i]);
	for (i = 0; i < vm->nr_irqfds; i++) {
		close(vm->irqfds[i].fd);
		if (vm->irqfds[i].resample_fd >= 0)
			close(vm->irqfds[i].resample_fd);
	}
	if (vm->fd >= 0)
		close(vm->fd);
	for (i = 0; i < vm->nr_regions; i++)
		if (!vm->regions[i].borrowed)
			munmap(vm->regions[i].hva, vm->regions[i].map_size);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm->cpuid);
	free(vm);
}
