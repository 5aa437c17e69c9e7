// SPDX-License-Identifier: GPL-2.0
/*
 * The windows Keel places for a VMM that knows nothing of Keel
 * (KEEL_MIRROR_IOC_WINDOWS): the guest stores through the alias without a
 * trap and without reaching the mirror, reads and writes the mirror itself
 * through the mirror window, and the range's own stores still trap and
 * are mirrored. The windows go with DEL, with the range's detach
 * ("keelctl mirror del") and with its VMM's end; every refusal leaves
 * nothing behind (the same windows are placed afterwards); two ranges of
 * a VM have windows of their own.
 */
#include "mirror_test.h"

#include <time.h>

#include "keel_vm.h"

#define RANGE_PAGES	8
#define RANGE_LEN	(RANGE_PAGES * 4096ULL)
#define ALIAS_OFF	0x20000000ULL
#define MIRROR_OFF	0x40000000ULL
#define EXTRA_GPA	0x10000000ULL	/* another memslot, 256 MiB up */
#define EXTRA_LEN	(16 * 4096ULL)
#define PAT_A		0xa1a1a1a1a1a1a1a1ULL	/* through the alias */
#define PAT_B		0xb2b2b2b2b2b2b2b2ULL	/* the range's own, trapped */
#define PAT_C		0xc3c3c3c3c3c3c3c3ULL	/* the mirror window */
/* polls of 100 ms for a VMM's end to reap its ranges: 30 s */
#define POLLS		300

/*
 * Page 0 through the alias, page 1 through the range (trapped), page 2's
 * mirror through the mirror window; then what the mirror window shows of
 * page 1 and what the range shows of page 0.
 */
static void guest_main(uint64_t base)
{
	volatile uint64_t *range = (uint64_t *)base;
	volatile uint64_t *alias = (uint64_t *)(base + ALIAS_OFF);
	volatile uint64_t *mirror = (uint64_t *)(base + MIRROR_OFF);
	uint64_t i;

	for (i = 0; i < 512; i++)
		alias[i] = PAT_A ^ i;
	for (i = 0; i < 512; i++)
		range[512 + i] = PAT_B ^ i;
	for (i = 0; i < 512; i++)
		mirror[1024 + i] = PAT_C ^ i;
	GUEST_SYNC(mirror[512 + 7], range[7], mirror[7]);
}

FIXTURE(win) {
	struct keel_vm *vm;
	uint64_t gpa;
	uint64_t *mem;
	int fd;
	uint32_t id;
};

FIXTURE_SETUP(win)
{
	self->vm = NULL;
	MIRROR_OPEN_OR_SKIP(self->fd);
	close(self->fd);
	self->vm = vm_create(0, 0);
	ASSERT_NE(NULL, self->vm);
	self->gpa = vm_alloc(self->vm, RANGE_LEN);
	self->mem = vm_gpa2hva(self->vm, self->gpa, RANGE_LEN);
	ASSERT_NE(NULL, self->mem);
	memset(self->mem, 0, RANGE_LEN);
	self->fd = mirror_add(self->vm->fd, self->gpa, RANGE_LEN, &self->id);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(win)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->vm)
		vm_free(self->vm);
}

static long long info(uint32_t id, const char *key)
{
	return keel_test_obj_info("mirror", id, key);
}

/* Whether a memslot of the VM covers @gpa: KVM refuses a new one there. */
static bool slot_at(struct keel_vm *vm, uint64_t gpa)
{
	static uint8_t page[4096] __attribute__((aligned(4096)));
	struct kvm_userspace_memory_region r = {
		.slot = 300, .guest_phys_addr = gpa, .memory_size = 4096,
		.userspace_addr = (uintptr_t)page,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r))
		return errno == EEXIST;
	r.memory_size = 0;
	ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r);
	return false;
}

TEST_F(win, stores_through_the_windows)
{
	uint64_t buf[512], i;
	struct keel_vcpu *vcpu;
	struct ucall uc;

	ASSERT_EQ(0, mirror_windows(self->fd, self->vm->fd, 0, ALIAS_OFF,
				    MIRROR_OFF));
	EXPECT_EQ(self->gpa + ALIAS_OFF, info(self->id, "alias_gpa"));
	EXPECT_EQ(self->gpa + MIRROR_OFF, info(self->id, "window_gpa"));

	vcpu = vm_vcpu_add(self->vm, guest_main);
	ASSERT_NE(NULL, vcpu);
	ASSERT_EQ(0, vcpu_args_set(vcpu, self->gpa));
	ASSERT_EQ(UCALL_SYNC, guest_run(vcpu, &uc))
		TH_LOG("%s", ucall_str(vcpu, &uc));
	/* the mirror window shows the mirror the trapped stores made */
	EXPECT_EQ(PAT_B ^ 7, uc.args[0]);
	/* the alias is the range's memory */
	EXPECT_EQ(PAT_A ^ 7, uc.args[1]);
	/* ... and its stores did not reach the mirror */
	EXPECT_EQ(0, uc.args[2]);
	/* only page 1's stores trapped */
	EXPECT_EQ(512, info(self->id, "guest_writes"));

	for (i = 0; i < 512; i++) {
		ASSERT_EQ(PAT_A ^ i, self->mem[i]);
		ASSERT_EQ(0, self->mem[1024 + i]);
	}
	ASSERT_EQ(0, mirror_read(self->fd, self->gpa, buf, sizeof(buf)));
	for (i = 0; i < 512; i++)
		ASSERT_EQ(0, buf[i]);
	ASSERT_EQ(0, mirror_read(self->fd, self->gpa + 4096, buf,
				 sizeof(buf)));
	for (i = 0; i < 512; i++)
		ASSERT_EQ(PAT_B ^ i, buf[i]);
	ASSERT_EQ(0, mirror_read(self->fd, self->gpa + 8192, buf,
				 sizeof(buf)));
	for (i = 0; i < 512; i++)
		ASSERT_EQ(PAT_C ^ i, buf[i]);

	/* DEL: the memslots are gone, and the addresses free again */
	EXPECT_TRUE(slot_at(self->vm, self->gpa + ALIAS_OFF));
	EXPECT_EQ(0, mirror_windows(self->fd, self->vm->fd,
				    KEEL_MIRROR_WINDOWS_DEL, 0, 0));
	EXPECT_FALSE(slot_at(self->vm, self->gpa + ALIAS_OFF));
	EXPECT_FALSE(slot_at(self->vm, self->gpa + MIRROR_OFF));
	EXPECT_EQ(0, info(self->id, "alias_gpa"));
	EXPECT_EQ(-ENOENT, mirror_windows(self->fd, self->vm->fd,
					  KEEL_MIRROR_WINDOWS_DEL, 0, 0));
	/* the range goes on trapping */
	EXPECT_EQ(512, info(self->id, "guest_writes"));
}

/* Each refusal changes nothing: the same windows are placed after it. */
TEST_F(win, refusals)
{
	uint64_t extra = EXTRA_GPA - self->gpa;
	struct keel_vm *other;
	uint32_t id;
	int fd;

	ASSERT_NE(NULL, vm_mem_region_add(self->vm, EXTRA_GPA, EXTRA_LEN));
	ASSERT_NE(NULL, vm_mem_region_add(self->vm, EXTRA_GPA + EXTRA_LEN,
					  EXTRA_LEN));
	other = vm_create(0, 0);
	ASSERT_NE(NULL, other);

	EXPECT_EQ(-EINVAL, mirror_windows(self->fd, self->vm->fd, 0x2,
					  ALIAS_OFF, MIRROR_OFF));
	EXPECT_EQ(-EINVAL, mirror_windows(self->fd, self->vm->fd, 0, 0,
					  MIRROR_OFF));
	EXPECT_EQ(-EINVAL, mirror_windows(self->fd, self->vm->fd, 0, ALIAS_OFF,
					  0));
	EXPECT_EQ(-EINVAL, mirror_windows(self->fd, self->vm->fd, 0,
					  ALIAS_OFF + 8, MIRROR_OFF));
	/* on the range, on each other, wrapping */
	EXPECT_EQ(-EINVAL, mirror_windows(self->fd, self->vm->fd, 0, 4096,
					  MIRROR_OFF));
	EXPECT_EQ(-EINVAL, mirror_windows(self->fd, self->vm->fd, 0, ALIAS_OFF,
					  ALIAS_OFF + 4096));
	EXPECT_EQ(-EINVAL, mirror_windows(self->fd, self->vm->fd, 0, ALIAS_OFF,
					  -self->gpa - 4096));
	/* not the range's VM, not a VM, not open */
	EXPECT_EQ(-EINVAL, mirror_windows(self->fd, other->fd, 0, ALIAS_OFF,
					  MIRROR_OFF));
	EXPECT_EQ(-EINVAL, mirror_windows(self->fd, self->fd, 0, ALIAS_OFF,
					  MIRROR_OFF));
	EXPECT_EQ(-EBADF, mirror_windows(self->fd, 1000, 0, ALIAS_OFF,
					 MIRROR_OFF));
	/* on a memslot: the alias, then the mirror window (the alias undone) */
	EXPECT_EQ(-EEXIST, mirror_windows(self->fd, self->vm->fd, 0, extra,
					  MIRROR_OFF));
	EXPECT_EQ(-EEXIST, mirror_windows(self->fd, self->vm->fd, 0, ALIAS_OFF,
					  extra));
	EXPECT_FALSE(slot_at(self->vm, self->gpa + ALIAS_OFF));
	/* DEL with offsets, DEL of none */
	EXPECT_EQ(-EINVAL, mirror_windows(self->fd, self->vm->fd,
					  KEEL_MIRROR_WINDOWS_DEL, ALIAS_OFF,
					  0));
	EXPECT_EQ(-ENOENT, mirror_windows(self->fd, self->vm->fd,
					  KEEL_MIRROR_WINDOWS_DEL, 0, 0));
	EXPECT_EQ(0, info(self->id, "alias_gpa"));

	/* a range over two memslots has no alias */
	fd = mirror_add(self->vm->fd, EXTRA_GPA + EXTRA_LEN - 4096, 8192, &id);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EXDEV, mirror_windows(fd, self->vm->fd, 0, ALIAS_OFF,
					 MIRROR_OFF));
	close(fd);

	EXPECT_EQ(0, mirror_windows(self->fd, self->vm->fd, 0, ALIAS_OFF,
				    MIRROR_OFF));
	EXPECT_EQ(-EBUSY, mirror_windows(self->fd, self->vm->fd, 0, ALIAS_OFF,
					 MIRROR_OFF));
	EXPECT_EQ(0, mirror_windows(self->fd, self->vm->fd,
				    KEEL_MIRROR_WINDOWS_DEL, 0, 0));
	vm_free(other);
}

/* Two ranges of a VM, each with its windows: one goes, the other stays. */
TEST_F(win, two_ranges)
{
	uint64_t gpa = vm_alloc(self->vm, RANGE_LEN);
	uint32_t id;
	int fd;

	fd = mirror_add(self->vm->fd, gpa, RANGE_LEN, &id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mirror_windows(self->fd, self->vm->fd, 0, ALIAS_OFF,
				    MIRROR_OFF));
	ASSERT_EQ(0, mirror_windows(fd, self->vm->fd, 0, ALIAS_OFF,
				    MIRROR_OFF));
	EXPECT_EQ(gpa + ALIAS_OFF, info(id, "alias_gpa"));
	EXPECT_EQ(0, mirror_windows(self->fd, self->vm->fd,
				    KEEL_MIRROR_WINDOWS_DEL, 0, 0));
	EXPECT_FALSE(slot_at(self->vm, self->gpa + ALIAS_OFF));
	EXPECT_TRUE(slot_at(self->vm, gpa + ALIAS_OFF));
	EXPECT_TRUE(slot_at(self->vm, gpa + MIRROR_OFF));
	EXPECT_EQ(0, mirror_windows(fd, self->vm->fd, KEEL_MIRROR_WINDOWS_DEL,
				    0, 0));
	EXPECT_FALSE(slot_at(self->vm, gpa + ALIAS_OFF));
	close(fd);
}

/* Until range @id is gone (info -1): whether it went. */
static bool gone(uint32_t id)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	int n;

	for (n = 0; n < POLLS && info(id, "gpa") >= 0; n++)
		nanosleep(&ts, NULL);
	return info(id, "gpa") < 0;
}

/*
 * The windows go with the range: detached by "keelctl mirror del", or
 * reaped with its VMM, also one never attached whose only holder is
 * Keel's mapping in the VMM.
 */
TEST_F(win, go_with_the_range)
{
	char ids[16], out[4096];
	int p[2], status;
	uint32_t id[2];
	pid_t pid;

	ASSERT_EQ(0, mirror_windows(self->fd, self->vm->fd, 0, ALIAS_OFF,
				    MIRROR_OFF));
	ASSERT_EQ(0, mirror_ioctl(self->fd, KEEL_IOC_ATTACH, NULL));
	close(self->fd);
	self->fd = -1;
	/* Keel's mapping holds the range */
	EXPECT_EQ(self->gpa, info(self->id, "gpa"));
	snprintf(ids, sizeof(ids), "%u", self->id);
	EXPECT_EQ(0, keel_test_keelctl((const char *[]){ "mirror", "del", ids,
					NULL }, NULL, out, sizeof(out), false))
		TH_LOG("%s", out);
	EXPECT_TRUE(gone(self->id));
	EXPECT_FALSE(slot_at(self->vm, self->gpa + ALIAS_OFF));
	EXPECT_FALSE(slot_at(self->vm, self->gpa + MIRROR_OFF));

	/* a VMM that ends: one range attached, one only Keel's mapping holds */
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct keel_vm *vm = vm_create(0, 0);
		uint64_t gpa = vm ? vm_alloc(vm, 2 * RANGE_LEN) : 0;
		int fd[2], i;

		for (i = 0; i < 2 && vm; i++) {
			fd[i] = mirror_add(vm->fd, gpa + i * RANGE_LEN,
					   RANGE_LEN, &id[i]);
			if (fd[i] < 0 ||
			    mirror_windows(fd[i], vm->fd, 0, ALIAS_OFF,
					   MIRROR_OFF))
				_exit(1);
		}
		if (!vm || mirror_ioctl(fd[0], KEEL_IOC_ATTACH, NULL) ||
		    write(p[1], id, sizeof(id)) != sizeof(id))
			_exit(1);
		close(fd[0]);
		close(fd[1]);
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(sizeof(id), read(p[0], id, sizeof(id)));
	close(p[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_TRUE(gone(id[0]));
	EXPECT_TRUE(gone(id[1]));
}

TEST_HARNESS_MAIN
