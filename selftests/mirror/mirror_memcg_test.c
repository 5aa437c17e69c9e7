// SPDX-License-Identifier: GPL-2.0
/*
 * A mirror is the VM's memory: its pages are charged to the memory cgroup
 * of the VMM, also when another process sets the range up (keelctl
 * mirror add --pid, for a running QEMU), and a VM whose cgroup cannot
 * hold the mirror gets ENOMEM, not a mirror charged elsewhere.
 */
#include "mirror_test.h"

#include "keel_vm.h"

#define MIB		(1024 * 1024LL)
#define LEN		(8 * MIB)	/* the range: 2048 mirror pages */

FIXTURE(memcg) {
	char vmm[64], tool[64];
	struct keel_vm *vm;
	uint64_t gpa;
};

FIXTURE_SETUP(memcg)
{
	int fd, ret;

	self->vm = NULL;
	self->vmm[0] = self->tool[0] = '\0';
	MIRROR_OPEN_OR_SKIP(fd);
	close(fd);
	ret = cg_prepare("memory");
	if (ret == -EOPNOTSUPP)
		SKIP(return, "no cgroup v2 memory controller");
	ASSERT_EQ(0, ret);
	snprintf(self->vmm, sizeof(self->vmm), "keel-mirror-vmm-%d", getpid());
	snprintf(self->tool, sizeof(self->tool), "keel-mirror-tool-%d",
		 getpid());
	ASSERT_EQ(0, cg_make(self->vmm));
	ASSERT_EQ(0, cg_make(self->tool));
	/* The VMM: this process, the owner of the VM's address space. */
	ASSERT_EQ(0, cg_enter(self->vmm));
	self->vm = vm_create(0, 0);
	ASSERT_NE(NULL, self->vm);
	self->gpa = vm_alloc(self->vm, LEN);
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->vm)
		vm_free(self->vm);
	if (self->tool[0])
		cg_remove(self->tool);
	if (self->vmm[0])
		cg_remove(self->vmm);
}

/* Remove attached range @id with keelctl mirror del: its exit status. */
static int del(long id)
{
	char ids[24], out[256];

	snprintf(ids, sizeof(ids), "%ld", id);
	return keel_test_keelctl((const char *[]){ "mirror", "del", ids, NULL },
				 NULL, out, sizeof(out), false);
}

TEST_F(memcg, set_up_by_another_process_charges_the_vmm)
{
	long long vmm0, tool0, vmm1, tool1;
	long id;

	vmm0 = cg_current(self->vmm);
	tool0 = cg_current(self->tool);
	ASSERT_LE(0, vmm0);
	ASSERT_LE(0, tool0);
	id = mirror_add_by_child(self->vm->fd, self->gpa, LEN, 0, self->tool);
	ASSERT_LT(0, id) TH_LOG("setup: %s", strerror(-id));
	vmm1 = cg_current(self->vmm);
	tool1 = cg_current(self->tool);
	TH_LOG("an %lld MiB range set up from another cgroup: the VMM's grew by %lld KiB, the setter's by %lld KiB",
	       LEN / MIB, (vmm1 - vmm0) / 1024, (tool1 - tool0) / 1024);
	/*
	 * memory.current moves by more than the mirror: charges are taken
	 * in per-CPU batches and other memory of the group comes and goes
	 * (the debug kernel: 8056 KiB for the 8 MiB). The setter's, the
	 * other candidate, holds none of it.
	 */
	EXPECT_LE(vmm0 + LEN * 3 / 4, vmm1);
	/* the child's own pages (its stack, page tables) are gone with it */
	EXPECT_GT(tool0 + LEN / 8, tool1);
	EXPECT_EQ(0, del(id));
	/* removed, the mirror's pages leave the VMM's charge */
	EXPECT_GT(vmm0 + LEN / 8, cg_current(self->vmm));
}

TEST_F(memcg, vmm_without_room_gets_enomem)
{
	char path[256], max[32];
	long long now;
	long id;

	/* room for what the VMM holds now and half the mirror */
	now = cg_current(self->vmm);
	ASSERT_LE(0, now);
	snprintf(path, sizeof(path), KEEL_CG_ROOT "/%s/memory.max", self->vmm);
	snprintf(max, sizeof(max), "%lld", now + LEN / 2);
	ASSERT_EQ(0, write_text(path, max));
	id = mirror_add_by_child(self->vm->fd, self->gpa, LEN, 0, self->tool);
	EXPECT_EQ(-ENOMEM, id < 0 ? id : 0)
		TH_LOG("an %lld MiB mirror for a VMM with %lld MiB of room: %s",
		       LEN / MIB, LEN / 2 / MIB,
		       id < 0 ? strerror(-id) : "set up");
	if (id > 0)
		del(id);
	/* nothing of the failed setup stays charged */
	EXPECT_GT(now + LEN / 8, cg_current(self->vmm));
	ASSERT_EQ(0, write_text(path, "max"));
	/* with room again, the same range sets up */
	id = mirror_add_by_child(self->vm->fd, self->gpa, LEN, 0, self->tool);
	EXPECT_LT(0, id);
	if (id > 0)
		EXPECT_EQ(0, del(id));
}

TEST_HARNESS_MAIN
