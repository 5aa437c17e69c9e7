// SPDX-License-Identifier: GPL-2.0
/*
 * A state command whose result cannot be written back changes nothing.
 * The ioctl argument of SAVE, LOAD and SWAP is placed where the kernel
 * can read it but not write it (a read-only page, or its output half on
 * one): the command fails with EFAULT and the device keeps its state.
 * The guest reads its UART's scratch register to see which state the
 * device has; SAVE compares the whole device; a failed SWAP must still
 * hold the old state and must not leave a file descriptor behind.
 */
#include "state_test.h"

#define SCR_A		0x5a
#define SCR_B		0xa5

/* Sets the scratch register twice, then reports it each time it's asked. */
static void guest_scratch(void)
{
	uart_out(UART_SCR, SCR_A);
	GUEST_SYNC(uart_in(UART_SCR));
	uart_out(UART_SCR, SCR_B);
	for (;;)
		GUEST_SYNC(uart_in(UART_SCR));
}

/* Where the argument goes: all read-only, or only its output fields. */
enum placement { ARG_READ_ONLY, ARG_OUTPUT_READ_ONLY };

FIXTURE(efault) {
	struct keel_vm *vm;
	struct keel_vcpu *vcpu;
	int fd;
	struct blob a, b;	/* the device with SCR_A, then with SCR_B */
	uint8_t *pages;		/* two pages for the ioctl argument */
	long page;
};

/* The scratch register as the guest reads it, the device running. */
static uint64_t guest_scr(struct __test_metadata *_metadata,
			  FIXTURE_DATA(efault) *self)
{
	struct ucall uc;

	EXPECT_EQ(0, state_simple(self->fd, KEEL_STATE_IOC_RESUME));
	if (guest_run(self->vcpu, &uc) != UCALL_SYNC) {
		TH_LOG("%s", ucall_str(self->vcpu, &uc));
		return UINT64_MAX;
	}
	EXPECT_EQ(0, state_simple(self->fd, KEEL_STATE_IOC_STOP));
	return uc.args[0];
}

FIXTURE_SETUP(efault)
{
	struct ucall uc;

	self->fd = -1;
	self->vm = NULL;
	self->pages = MAP_FAILED;
	VDEV_OPEN_OR_SKIP(self->fd);
	close(self->fd);
	VM_CREATE_OR_SKIP(self->vm, 0, 0);
	self->vcpu = vm_vcpu_add(self->vm, guest_scratch);
	ASSERT_NE(NULL, self->vcpu);
	self->fd = state_uart_setup(self->vm->fd, -1);
	ASSERT_LE(0, self->fd);

	ASSERT_EQ(0, state_simple(self->fd, KEEL_STATE_IOC_RESUME));
	ASSERT_UCALL(self->vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(SCR_A, uc.args[0]);
	ASSERT_EQ(0, state_simple(self->fd, KEEL_STATE_IOC_STOP));
	ASSERT_EQ(0, state_save(self->fd, &self->a));
	/* The guest writes SCR_B and reads it back. */
	ASSERT_EQ(SCR_B, guest_scr(_metadata, self));
	ASSERT_EQ(0, state_save(self->fd, &self->b));
	ASSERT_FALSE(blob_eq(&self->a, &self->b));

	self->page = sysconf(_SC_PAGESIZE);
	self->pages = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->pages);
}

FIXTURE_TEARDOWN(efault)
{
	if (self->pages != MAP_FAILED)
		munmap(self->pages, 2 * self->page);
	blob_free(&self->a);
	blob_free(&self->b);
	if (self->fd >= 0)
		close(self->fd);
	if (self->vm)
		vm_free(self->vm);
}

/*
 * Issue @cmd with an argument filled as the helpers fill it, then made
 * unwritable as @where says: -errno or 0.
 */
static int xfer_unwritable(FIXTURE_DATA(efault) *self, unsigned long cmd,
			   int load_fd, enum placement where)
{
	struct keel_state_xfer *x;
	int ret;

	ret = mprotect(self->pages, 2 * self->page, PROT_READ | PROT_WRITE);
	if (ret)
		return -errno;
	if (where == ARG_READ_ONLY) {
		x = (void *)self->pages;
	} else {
		/* size, flags, load_fd, save_fd writable; the lengths not. */
		x = (void *)(self->pages + self->page -
			     offsetof(struct keel_state_xfer, load_len));
	}
	memset(x, 0, sizeof(*x));
	x->size = sizeof(*x);
	x->load_fd = load_fd;
	x->save_fd = -1;
	if (where == ARG_READ_ONLY)
		ret = mprotect(self->pages, self->page, PROT_READ);
	else
		ret = mprotect(self->pages + self->page, self->page, PROT_READ);
	if (ret)
		return -errno;
	return ioctl(self->fd, cmd, x) ? -errno : 0;
}

/* The lowest free descriptor: a leaked one moves it. */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* The device still holds the state with SCR_B, and counted nothing. */
static void expect_state_b(struct __test_metadata *_metadata,
			   FIXTURE_DATA(efault) *self,
			   const struct keel_state_info *before)
{
	struct keel_state_info info;
	struct blob now = {};

	ASSERT_EQ(0, state_info(self->fd, &info));
	EXPECT_EQ(KEEL_STATE_STOPPED, info.state);
	EXPECT_EQ(before->loads, info.loads);
	EXPECT_EQ(before->saves, info.saves);
	ASSERT_EQ(0, state_save(self->fd, &now));
	EXPECT_TRUE(blob_eq(&self->b, &now));
	blob_free(&now);
	EXPECT_EQ(SCR_B, guest_scr(_metadata, self));
}

static void load_efault(struct __test_metadata *_metadata,
			FIXTURE_DATA(efault) *self, enum placement where)
{
	struct keel_state_info before;
	int in, fd0;

	fd0 = lowest_free_fd();
	in = blob_memfd(self->a.buf, self->a.len);
	ASSERT_LE(0, in);
	ASSERT_EQ(0, state_info(self->fd, &before));

	EXPECT_EQ(-EFAULT, xfer_unwritable(self, KEEL_STATE_IOC_LOAD, in,
					   where));
	close(in);
	EXPECT_EQ(fd0, lowest_free_fd());
	expect_state_b(_metadata, self, &before);

	/* The same LOAD with a writable argument does load. */
	ASSERT_EQ(0, state_load(self->fd, self->a.buf, self->a.len));
	EXPECT_EQ(SCR_A, guest_scr(_metadata, self));
}

static void swap_efault(struct __test_metadata *_metadata,
			FIXTURE_DATA(efault) *self, enum placement where)
{
	struct keel_state_info before;
	struct blob old = {};
	int in, fd0;

	fd0 = lowest_free_fd();
	in = blob_memfd(self->a.buf, self->a.len);
	ASSERT_LE(0, in);
	ASSERT_EQ(0, state_info(self->fd, &before));

	EXPECT_EQ(-EFAULT, xfer_unwritable(self, KEEL_STATE_IOC_SWAP, in,
					   where));
	close(in);
	/* No snapshot file was handed out. */
	EXPECT_EQ(fd0, lowest_free_fd());
	expect_state_b(_metadata, self, &before);

	/* The same SWAP with a writable argument hands the old state out. */
	ASSERT_EQ(0, state_swap(self->fd, &self->a, &old));
	EXPECT_TRUE(blob_eq(&self->b, &old));
	blob_free(&old);
	EXPECT_EQ(SCR_A, guest_scr(_metadata, self));
}

TEST_F_TIMEOUT(efault, load_arg_read_only, 120)
{
	load_efault(_metadata, self, ARG_READ_ONLY);
}

TEST_F_TIMEOUT(efault, load_output_read_only, 120)
{
	load_efault(_metadata, self, ARG_OUTPUT_READ_ONLY);
}

TEST_F_TIMEOUT(efault, swap_arg_read_only, 120)
{
	swap_efault(_metadata, self, ARG_READ_ONLY);
}

TEST_F_TIMEOUT(efault, swap_output_read_only, 120)
{
	swap_efault(_metadata, self, ARG_OUTPUT_READ_ONLY);
}

/* SAVE changes no state; a failed one is not counted and leaks no fd. */
TEST_F_TIMEOUT(efault, save_arg_read_only, 120)
{
	struct keel_state_info before, after;
	int fd0;

	ASSERT_EQ(0, state_info(self->fd, &before));
	fd0 = lowest_free_fd();
	EXPECT_EQ(-EFAULT, xfer_unwritable(self, KEEL_STATE_IOC_SAVE, -1,
					   ARG_READ_ONLY));
	EXPECT_EQ(-EFAULT, xfer_unwritable(self, KEEL_STATE_IOC_SAVE, -1,
					   ARG_OUTPUT_READ_ONLY));
	EXPECT_EQ(fd0, lowest_free_fd());
	ASSERT_EQ(0, state_info(self->fd, &after));
	EXPECT_EQ(before.saves, after.saves);
}

TEST_HARNESS_MAIN
