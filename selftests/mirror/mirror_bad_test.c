// SPDX-License-Identifier: GPL-2.0
/*
 * keel_mirror refuses what it cannot protect, with the documented errno,
 * and a refused setup changes nothing (the same file then sets up a good
 * range): unknown flags and padding, empty, unaligned, oversized and
 * wrapping ranges, ranges outside the memslots, read-only memslots,
 * overlaps, a caller that is not the VMM, a second setup, reads, writes
 * and repairs outside the range or from another process (the VMM's
 * writes themselves reach memory and mirror), REPAIR of guest RAM that is
 * a shared file mapping (Keel cannot replace its pages; mirroring it
 * without REPAIR works). A range whose memslot is deleted under it keeps its mirror,
 * counts the pages lost and goes away cleanly, as does one that outlives
 * its VMM's VM fd.
 */
#include "mirror_test.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include "keel_vm.h"

#define EXTRA_GPA	0x10000000ULL	/* a second memslot, 256 MiB up */
#define EXTRA_LEN	(64 * 4096ULL)

FIXTURE(bad) {
	struct keel_vm *vm;
	uint64_t gpa;
	int fd;
};

FIXTURE_SETUP(bad)
{
	self->vm = NULL;
	MIRROR_OPEN_OR_SKIP(self->fd);
	self->vm = vm_create(0, 0);
	ASSERT_NE(NULL, self->vm);
	self->gpa = vm_alloc(self->vm, 8 * 4096);
}

FIXTURE_TEARDOWN(bad)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->vm)
		vm_free(self->vm);
}

static int setup(FIXTURE_DATA(bad) *self, int vm_fd, uint64_t gpa,
		 uint64_t len, uint32_t flags, uint32_t pad)
{
	struct keel_mirror_setup s;

	mirror_setup_init(&s, vm_fd, gpa, len, "bad");
	s.flags = flags;
	s.pad = pad;
	return mirror_ioctl(self->fd, KEEL_MIRROR_IOC_SETUP, &s);
}

/* Every refusal, then the same file sets up: nothing stuck. */
TEST_F(bad, refused_then_good)
{
	uint64_t ram_end = KEEL_VM_DEFAULT_MEM;
	int vmfd = self->vm->fd;

	EXPECT_EQ(-EINVAL, setup(self, vmfd, self->gpa, 4096,
				 ~KEEL_MIRROR_SETUP_FLAGS_ALL, 0));
	EXPECT_EQ(-EINVAL, setup(self, vmfd, self->gpa, 4096, 0x80000000u, 0));
	EXPECT_EQ(-EINVAL, setup(self, vmfd, self->gpa, 4096, 0, 1));
	EXPECT_EQ(-EINVAL, setup(self, vmfd, self->gpa, 0, 0, 0));
	EXPECT_EQ(-EINVAL, setup(self, vmfd, self->gpa + 8, 4096, 0, 0));
	EXPECT_EQ(-EINVAL, setup(self, vmfd, self->gpa, 4095, 0, 0));
	EXPECT_EQ(-EINVAL, setup(self, vmfd, self->gpa,
				 KEEL_MIRROR_MAX_LEN + 4096, 0, 0));
	EXPECT_EQ(-EINVAL, setup(self, vmfd, -4096ULL, 8192, 0, 0));
	/* no memslot: MMIO space, and a range running off the RAM's end */
	EXPECT_EQ(-ENOENT, setup(self, vmfd, KEEL_MMIO_BASE, 4096, 0, 0));
	EXPECT_EQ(-ENOENT, setup(self, vmfd, ram_end - 4096, 8192, 0, 0));
	/* not a VM */
	EXPECT_EQ(-EBADF, setup(self, -1, self->gpa, 4096, 0, 0));
	EXPECT_EQ(-EINVAL, setup(self, self->fd, self->gpa, 4096, 0, 0));
	/* a read before setup */
	EXPECT_EQ(-EBADFD, mirror_read(self->fd, self->gpa, &ram_end, 8));

	ASSERT_EQ(0, setup(self, vmfd, self->gpa, 4 * 4096, 0, 0));
	EXPECT_EQ(-EBUSY, setup(self, vmfd, self->gpa + 4 * 4096, 4096, 0, 0));
}

TEST_F(bad, overlaps)
{
	int vmfd = self->vm->fd, a, b;

	ASSERT_EQ(0, setup(self, vmfd, self->gpa + 2 * 4096, 4 * 4096, 0, 0));
	/* over its start, over its end, inside it, around it */
	EXPECT_EQ(-EEXIST, mirror_add(vmfd, self->gpa, 3 * 4096, NULL));
	EXPECT_EQ(-EEXIST, mirror_add(vmfd, self->gpa + 5 * 4096, 2 * 4096,
				      NULL));
	EXPECT_EQ(-EEXIST, mirror_add(vmfd, self->gpa + 3 * 4096, 4096, NULL));
	EXPECT_EQ(-EEXIST, mirror_add(vmfd, self->gpa, 8 * 4096, NULL));
	/* right before and right after it */
	a = mirror_add(vmfd, self->gpa, 2 * 4096, NULL);
	EXPECT_LE(0, a);
	b = mirror_add(vmfd, self->gpa + 6 * 4096, 2 * 4096, NULL);
	EXPECT_LE(0, b);
	close(a);
	close(b);
	/* gone with its file: the place is free again */
	a = mirror_add(vmfd, self->gpa, 2 * 4096, NULL);
	EXPECT_LE(0, a);
	close(a);
}

/* Reads inside the protected range only. */
TEST_F(bad, reads)
{
	uint8_t buf[8192];

	ASSERT_EQ(0, setup(self, self->vm->fd, self->gpa + 4096, 4096, 0, 0));
	EXPECT_EQ(0, mirror_read(self->fd, self->gpa + 4096, buf, 4096));
	EXPECT_EQ(0, mirror_read(self->fd, self->gpa + 4096 + 100, buf, 7));
	EXPECT_EQ(-EINVAL, mirror_read(self->fd, self->gpa, buf, 4096));
	EXPECT_EQ(-EINVAL, mirror_read(self->fd, self->gpa + 4096, buf, 4097));
	EXPECT_EQ(-EINVAL, mirror_read(self->fd, self->gpa + 4096, buf, 0));
	EXPECT_EQ(-EFAULT, mirror_read(self->fd, self->gpa + 4096, NULL, 16));
}

static int vmm_write(int fd, uint64_t gpa, const void *buf, uint64_t len)
{
	struct keel_mirror_write w = {
		.size = sizeof(w), .gpa = gpa, .len = len,
		.buf = (uintptr_t)buf,
	};

	return mirror_ioctl(fd, KEEL_MIRROR_IOC_WRITE, &w);
}

static int repair_page(int fd, uint64_t gpa, uint32_t pad)
{
	struct keel_mirror_repair r = {
		.size = sizeof(r), .gpa = gpa, .pad = pad,
	};

	return mirror_ioctl(fd, KEEL_MIRROR_IOC_REPAIR, &r);
}

/*
 * The VMM's writes through Keel reach guest memory and the mirror, across
 * a page boundary; outside the range, from another process, or with bad
 * fields they are refused and change nothing.
 */
TEST_F(bad, vmm_writes)
{
	uint8_t *mem = vm_gpa2hva(self->vm, self->gpa, 8 * 4096);
	uint8_t buf[100], back[100];
	uint32_t id = 0;
	int status, fd;
	pid_t pid;

	ASSERT_NE(NULL, mem);
	fd = mirror_add(self->vm->fd, self->gpa + 4096, 2 * 4096, &id);
	ASSERT_LE(0, fd);
	memset(buf, 0xa5, sizeof(buf));
	EXPECT_EQ(0, vmm_write(fd, self->gpa + 2 * 4096 - 50, buf, 100));
	EXPECT_EQ(0, memcmp(mem + 2 * 4096 - 50, buf, 100));
	EXPECT_EQ(0, mirror_read(fd, self->gpa + 2 * 4096 - 50, back, 100));
	EXPECT_EQ(0, memcmp(back, buf, 100));
	EXPECT_EQ(2, keel_test_obj_info("mirror", id, "vmm_writes"));
	EXPECT_EQ(100, keel_test_obj_info("mirror", id, "vmm_bytes"));

	memset(buf, 0x3c, sizeof(buf));
	EXPECT_EQ(-EINVAL, vmm_write(fd, self->gpa + 4096 - 50, buf, 100));
	EXPECT_EQ(-EINVAL, vmm_write(fd, self->gpa + 3 * 4096 - 50, buf, 100));
	EXPECT_EQ(-EINVAL, vmm_write(fd, self->gpa + 4096, buf, 0));
	EXPECT_EQ(-EFAULT, vmm_write(fd, self->gpa + 4096, NULL, 16));
	EXPECT_EQ(-EINVAL, repair_page(fd, self->gpa, 0));
	EXPECT_EQ(-EINVAL, repair_page(fd, self->gpa + 4096, 1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(vmm_write(fd, self->gpa + 4096, buf, 100) == -EPERM ?
		      0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* nothing of the refused writes anywhere */
	EXPECT_EQ(0, mirror_read(fd, self->gpa + 4096, back, 100));
	EXPECT_NE(0x3c, back[0]);
	EXPECT_NE(0x3c, mem[4096]);
	EXPECT_EQ(2, keel_test_obj_info("mirror", id, "vmm_writes"));
	close(fd);
}

/*
 * Another process with the VM fd (a forked child here, keelctl with
 * pidfd_getfd(2) for QEMU) sets a range up: the mirror holds the VMM's
 * guest memory, not what the same addresses hold in the other process;
 * it repairs (a healthy page: nothing to do) but may not write.
 */
TEST_F(bad, set_up_by_another_process)
{
	uint8_t *mem = vm_gpa2hva(self->vm, self->gpa, 4096);
	uint8_t buf[4096];
	int status, p[2];
	uint32_t id = 0;
	pid_t pid;

	ASSERT_NE(NULL, mem);
	memset(mem, 0x11, 4096);
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		/* the child's copy of guest memory differs from the VMM's */
		memset(mem, 0x22, 4096);
		fd = mirror_add(self->vm->fd, self->gpa, 4096, &id);
		if (fd < 0 || mirror_read(fd, self->gpa, buf, sizeof(buf)) ||
		    repair_page(fd, self->gpa, 0) ||
		    vmm_write(fd, self->gpa, buf, 16) != -EPERM ||
		    write(p[1], &id, sizeof(id)) != sizeof(id))
			_exit(2);
		_exit(buf[0] == 0x11 && buf[4095] == 0x11 ? 0 : 1);
	}
	close(p[1]);
	ASSERT_EQ(sizeof(id), read(p[0], &id, sizeof(id)));
	close(p[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the mirror %s", WEXITSTATUS(status) == 1 ?
		       "holds the child's memory" : "could not be set up");
	/* gone with the child's file */
	EXPECT_EQ(-1, keel_test_obj_info("mirror", id, "gpa"));
	EXPECT_EQ(0x11, mem[0]);
	EXPECT_EQ(0, setup(self, self->vm->fd, self->gpa, 4096, 0, 0));
}

static int slot_of(struct keel_vm *vm, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < vm->nr_regions; i++)
		if (vm->regions[i].gpa == gpa)
			return vm->regions[i].slot;
	return -1;
}

/*
 * A read-only memslot is refused; the memslot of a protected range
 * deleted: its pages are lost, the mirror stays readable and the range
 * goes away cleanly.
 */
TEST_F(bad, memslots)
{
	struct kvm_userspace_memory_region r;
	uint8_t *ro, buf[4096];
	uint32_t id = 0;
	int slot, fd;

	ro = mmap(NULL, 4 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	r = (struct kvm_userspace_memory_region){
		.slot = 7, .flags = KVM_MEM_READONLY,
		.guest_phys_addr = EXTRA_GPA + EXTRA_LEN,
		.memory_size = 4 * 4096, .userspace_addr = (uintptr_t)ro,
	};
	ASSERT_EQ(0, ioctl(self->vm->fd, KVM_SET_USER_MEMORY_REGION, &r));
	EXPECT_EQ(-EROFS, setup(self, self->vm->fd, EXTRA_GPA + EXTRA_LEN,
				4096, 0, 0));

	ASSERT_NE(NULL, vm_mem_region_add(self->vm, EXTRA_GPA, EXTRA_LEN));
	slot = slot_of(self->vm, EXTRA_GPA);
	ASSERT_LE(0, slot);
	fd = mirror_add(self->vm->fd, EXTRA_GPA, 16 * 4096, &id);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, keel_test_obj_info("mirror", id, "lost_pages"));
	r = (struct kvm_userspace_memory_region){ .slot = slot };
	ASSERT_EQ(0, ioctl(self->vm->fd, KVM_SET_USER_MEMORY_REGION, &r));
	EXPECT_EQ(16, keel_test_obj_info("mirror", id, "lost_pages"));
	EXPECT_EQ(0, mirror_read(fd, EXTRA_GPA, buf, sizeof(buf)));
	close(fd);
	EXPECT_EQ(-1, keel_test_obj_info("mirror", id, "lost_pages"));
	munmap(ro, 4 * 4096);
}

/*
 * Guest RAM that is a shared memfd mapping (QEMU's memory-backend-memfd):
 * REPAIR is refused with EMEDIUMTYPE, and keelctl says why; the same
 * range without REPAIR is mirrored.
 */
TEST_F(bad, shared_ram_not_repairable)
{
	const uint64_t gpa = EXTRA_GPA + 2 * EXTRA_LEN, len = 4 * 4096;
	struct kvm_userspace_memory_region r;
	char gpas[32], pids[16], out[4096];
	uint8_t buf[4 * 4096];
	uint32_t id = 0;
	uint8_t *mem;
	int mfd, fd;

	mfd = memfd_create("guest-ram", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, len));
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, mem);
	memset(mem, 0x6b, len);
	r = (struct kvm_userspace_memory_region){
		.slot = 9, .guest_phys_addr = gpa, .memory_size = len,
		.userspace_addr = (uintptr_t)mem,
	};
	ASSERT_EQ(0, ioctl(self->vm->fd, KVM_SET_USER_MEMORY_REGION, &r));

	EXPECT_EQ(-EMEDIUMTYPE, setup(self, self->vm->fd, gpa, len,
				      KEEL_MIRROR_SETUP_REPAIR, 0));
	snprintf(pids, sizeof(pids), "%d", getpid());
	snprintf(gpas, sizeof(gpas), "%#llx", (unsigned long long)gpa);
	EXPECT_EQ(1, keel_test_keelctl((const char *[]){ "mirror", "add",
					"--pid", pids, "--gpa", gpas,
					"--len", "4096", NULL },
				       NULL, out, sizeof(out), false));
	EXPECT_NE(NULL, strstr(out, "shared or hugetlbfs")) TH_LOG("%s", out);

	/* the refused setup changed nothing: mirroring alone is fine */
	fd = mirror_add(self->vm->fd, gpa, len, &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mirror_read(fd, gpa, buf, len));
	EXPECT_EQ(0, memcmp(buf, mem, len));
	EXPECT_EQ(0, keel_test_obj_info("mirror", id, "repair"));
	close(fd);
	munmap(mem, len);
	close(mfd);
}

/* The VMM closes its VM fd first: the range keeps the VM until it goes. */
TEST_F(bad, outlives_vm_fd)
{
	uint32_t id = 0;
	int fd;

	fd = mirror_add(self->vm->fd, self->gpa, 4 * 4096, &id);
	ASSERT_LE(0, fd);
	vm_free(self->vm);
	self->vm = NULL;
	EXPECT_EQ(4 * 4096, keel_test_obj_info("mirror", id,
					       "protected_bytes"));
	close(fd);
	EXPECT_EQ(-1, keel_test_obj_info("mirror", id, "protected_bytes"));
}

TEST_HARNESS_MAIN
