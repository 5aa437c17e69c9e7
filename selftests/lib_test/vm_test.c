// SPDX-License-Identifier: GPL-2.0
/*
 * VM and vCPU lifecycle: many VMs created and freed without leaking fds or
 * mappings, the VM fd usable by others, extra memslots, parameter checks,
 * and several vCPUs running at once, one thread each.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "lib_test.h"

#define CYCLES		40
#define NR_VCPUS	2
#define N_OUT		300
#define VCPU_PORT(id)	(0x700 + (id))

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int c, n = 0;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void guest_done(uint64_t v)
{
	GUEST_SYNC(v);
}

/* No state: a fixture only for the time limit of create_and_free_many_vms. */
FIXTURE(many) {
	int unused;
};

FIXTURE_SETUP(many)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(many)
{
}

/*
 * CYCLES VMs made and freed: a minute or more on the debug kernel's VM
 * when it shares the host's CPUs (the harness's default limit is 30 s).
 */
TEST_F_TIMEOUT(many, create_and_free_many_vms, 180)
{
	int fds_before, maps_before, i;
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	struct ucall uc;

	/* The first VM may set up process-wide state; count after it. */
	VM_CREATE_OR_SKIP(vm, 0, KEEL_VM_IRQCHIP);
	vm_free(vm);
	fds_before = count_fds();
	maps_before = count_lines("/proc/self/maps");
	ASSERT_LT(0, fds_before);
	ASSERT_LT(0, maps_before);

	for (i = 0; i < CYCLES; i++) {
		vm = vm_create(0, i % 2 ? KEEL_VM_IRQCHIP : 0);
		ASSERT_NE(NULL, vm);
		vcpu = vm_vcpu_add(vm, guest_done);
		ASSERT_NE(NULL, vcpu);
		ASSERT_EQ(0, vcpu_args_set(vcpu, i));
		if (i % 2)
			ASSERT_NE(NULL, vm_irqfd_add(vm, 16, true));
		ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
		ASSERT_EQ(i, uc.args[0]);
		vm_free(vm);
	}
	EXPECT_EQ(fds_before, count_fds());
	EXPECT_EQ(maps_before, count_lines("/proc/self/maps"));
}

static void guest_touch(uint64_t gpa)
{
	*(volatile uint64_t *)gpa = 0x1122334455667788ULL;
	GUEST_SYNC(*(volatile uint64_t *)(gpa + 8));
}

TEST(vm_fd_and_extra_memslot)
{
	const uint64_t gpa = 0x80000000ULL;
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	struct ucall uc;
	uint64_t *hva;

	VM_CREATE_OR_SKIP(vm, 0, 0);
	/* The VM fd is a real KVM VM fd. */
	EXPECT_LT(0, ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY));
	hva = vm_mem_region_add(vm, gpa, 0x200000);
	ASSERT_NE(NULL, hva);
	EXPECT_EQ((void *)hva, vm_gpa2hva(vm, gpa, 16));
	EXPECT_EQ(NULL, vm_gpa2hva(vm, gpa + 0x200000 - 8, 16));
	EXPECT_EQ(NULL, vm_mem_region_add(vm, gpa + 0x100000, 0x200000));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(NULL, vm_mem_region_add(vm, KEEL_RAM_LIMIT, 0x1000));
	EXPECT_EQ(EINVAL, errno);
	hva[1] = 0xabcdef;
	vcpu = vm_vcpu_add(vm, guest_touch);
	ASSERT_NE(NULL, vcpu);
	ASSERT_EQ(0, vcpu_args_set(vcpu, gpa));
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	EXPECT_EQ(0xabcdef, uc.args[0]);
	EXPECT_EQ(0x1122334455667788ULL, hva[0]);
	vm_free(vm);
}

TEST(too_small_memory_is_refused)
{
	struct keel_vm *vm = vm_create(0x200000, 0);

	if (!vm && (errno == ENOENT || errno == EACCES))
		SKIP(return, "no usable /dev/kvm");
	EXPECT_EQ(NULL, vm);
	EXPECT_EQ(ENOMEM, errno);
	vm_free(vm);
}

static volatile uint64_t shared_counter;

static void guest_per_vcpu(uint64_t id, uint64_t n)
{
	uint64_t i;

	GUEST_ASSERT_EQ(lapic_id(), id);
	for (i = 0; i < n; i++) {
		outb(VCPU_PORT(id), (uint8_t)id);
		__atomic_fetch_add(&shared_counter, 1, __ATOMIC_SEQ_CST);
	}
	GUEST_DONE();
}

struct vcpu_thread {
	struct keel_vcpu *vcpu;
	pthread_t thread;
	struct ucall uc;
	uint64_t cmd;
};

static void *run_vcpu(void *arg)
{
	struct vcpu_thread *t = arg;

	t->cmd = guest_run(t->vcpu, &t->uc);
	return NULL;
}

static bool port_sink(struct keel_vcpu *vcpu, uint16_t port, bool write,
		      void *data, unsigned int size, void *opaque)
{
	(void)size; (void)opaque;
	/* Each vCPU writes only its own port, with its own id. */
	return write && port == VCPU_PORT(vcpu->id) &&
	       *(uint8_t *)data == vcpu->id;
}

TEST(vcpus_run_in_parallel_threads)
{
	struct vcpu_thread t[NR_VCPUS];
	struct keel_vm *vm;
	uint64_t *counter;
	int i;

	VM_CREATE_OR_SKIP(vm, 0, KEEL_VM_IRQCHIP);
	ASSERT_EQ(0, vm_pio_handler_add(vm, VCPU_PORT(0), NR_VCPUS,
					port_sink, NULL));
	for (i = 0; i < NR_VCPUS; i++) {
		t[i].vcpu = vm_vcpu_add(vm, guest_per_vcpu);
		ASSERT_NE(NULL, t[i].vcpu);
		ASSERT_EQ(i, t[i].vcpu->id);
		ASSERT_EQ(0, vcpu_args_set(t[i].vcpu, i, N_OUT));
	}
	for (i = 0; i < NR_VCPUS; i++)
		ASSERT_EQ(0, pthread_create(&t[i].thread, NULL, run_vcpu, &t[i]));
	for (i = 0; i < NR_VCPUS; i++)
		ASSERT_EQ(0, pthread_join(t[i].thread, NULL));

	for (i = 0; i < NR_VCPUS; i++) {
		EXPECT_EQ(UCALL_DONE, t[i].cmd)
			TH_LOG("%s", ucall_str(t[i].vcpu, &t[i].uc));
		EXPECT_EQ(N_OUT, vcpu_exit_count(t[i].vcpu, KEEL_EXIT_IO_OUT,
						 VCPU_PORT(i)));
		EXPECT_EQ(0, vcpu_exit_count(t[i].vcpu, KEEL_EXIT_IO_OUT,
					     VCPU_PORT(1 - i)));
	}
	EXPECT_EQ(NR_VCPUS * N_OUT, vm_exit_count_range(vm, KEEL_EXIT_IO_OUT,
							VCPU_PORT(0), NR_VCPUS));
	counter = vm_guest_ptr(vm, (uint64_t *)&shared_counter);
	ASSERT_NE(NULL, counter);
	EXPECT_EQ(NR_VCPUS * N_OUT, *counter);
	vm_free(vm);
}

TEST_HARNESS_MAIN
