// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-to-host calls: GUEST_SYNC values and guest arguments, GUEST_DONE
 * (also when the guest function returns), GUEST_ASSERT* failures reported
 * as UCALL_ABORT with file, line and values, guest exceptions reported the
 * same way or handled by a guest IDT handler (which leaves the guest's
 * SSE registers alone), and the guest's printf.
 */
#include <stdio.h>

#include "lib_test.h"

FIXTURE(ucall) {
	struct keel_vm *vm;
	struct keel_vcpu *vcpu;
	struct ucall uc;
};

FIXTURE_SETUP(ucall)
{
	VM_CREATE_OR_SKIP(self->vm, 0, 0);
}

FIXTURE_TEARDOWN(ucall)
{
	vm_free(self->vm);
}

static void guest_echo_args(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			    uint64_t e, uint64_t f)
{
	GUEST_SYNC(a, b, c, d, e, f);
	GUEST_SYNC(a + b + c + d + e + f);
	GUEST_DONE();
}

TEST_F(ucall, sync_carries_guest_values)
{
	unsigned int i;

	self->vcpu = vm_vcpu_add(self->vm, guest_echo_args);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_EQ(0, vcpu_args_set(self->vcpu, 1, 0x20, 0x300, 0x4000,
				   0x50000, 0xfff0000000000001ULL));
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_SYNC);
	EXPECT_EQ(1, self->uc.args[0]);
	EXPECT_EQ(0x20, self->uc.args[1]);
	EXPECT_EQ(0x300, self->uc.args[2]);
	EXPECT_EQ(0x4000, self->uc.args[3]);
	EXPECT_EQ(0x50000, self->uc.args[4]);
	EXPECT_EQ(0xfff0000000000001ULL, self->uc.args[5]);
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_SYNC);
	EXPECT_EQ(0xfff0000000054322ULL, self->uc.args[0]);
	for (i = 1; i < UCALL_MAX_ARGS; i++)
		EXPECT_EQ(0, self->uc.args[i]);
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);
}

static void guest_returns(void)
{
	GUEST_SYNC(7);
}

TEST_F(ucall, returning_guest_is_done)
{
	self->vcpu = vm_vcpu_add(self->vm, guest_returns);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_SYNC);
	EXPECT_EQ(7, self->uc.args[0]);
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);
}

/* The line of the GUEST_ASSERT below. */
static const unsigned int failing_assert_line = __LINE__ + 4;
static void guest_failing_assert(uint64_t v)
{
	GUEST_ASSERT(v != 3);
	GUEST_ASSERT(v == 2);
	GUEST_DONE();
}

TEST_F(ucall, failed_assert_reports_file_and_line)
{
	self->vcpu = vm_vcpu_add(self->vm, guest_failing_assert);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_EQ(0, vcpu_args_set(self->vcpu, 1));
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_ABORT);
	EXPECT_STREQ("ucall_test.c", self->uc.file);
	EXPECT_EQ(failing_assert_line, self->uc.line);
	EXPECT_STREQ("v == 2", self->uc.buf);
	/* A failed guest stays failed. */
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_ABORT);
	EXPECT_EQ(failing_assert_line, self->uc.line);
}

TEST_F(ucall, passing_assert_goes_on)
{
	self->vcpu = vm_vcpu_add(self->vm, guest_failing_assert);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_EQ(0, vcpu_args_set(self->vcpu, 2));
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);
}

static void guest_failing_assert_eq(uint64_t v)
{
	GUEST_ASSERT_EQ(v * 2, 0x1234);
	GUEST_DONE();
}

TEST_F(ucall, failed_assert_eq_reports_values)
{
	self->vcpu = vm_vcpu_add(self->vm, guest_failing_assert_eq);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_EQ(0, vcpu_args_set(self->vcpu, 0x100));
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_ABORT);
	EXPECT_EQ(0x200, self->uc.args[0]);
	EXPECT_EQ(0x1234, self->uc.args[1]);
	EXPECT_STREQ("v * 2 == 0x1234: 0x200 vs 0x1234", self->uc.buf);
	EXPECT_NE(NULL, strstr(ucall_str(self->vcpu, &self->uc),
			       "ucall_test.c:"));
}

static char formatted[128];

static void guest_format(int64_t neg, const char *s)
{
	guest_snprintf(formatted, sizeof(formatted),
		       "%d|%5u|%-4x|%08lx|%lld|%s|%.3s|%c|%p|%%|%hhu",
		       -42, 17u, 0xabu, 0xbeefUL, (long long)neg, s, s, 'k',
		       (void *)0x1000, 300);
	GUEST_PRINTF("guest says: %s\n", formatted);
	GUEST_SYNC(0);
}

TEST_F(ucall, guest_printf_formats_like_libc)
{
	static const char str[] = "keel";
	char want[128], *got;

	self->vcpu = vm_vcpu_add(self->vm, guest_format);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_EQ(0, vcpu_args_set(self->vcpu, (uint64_t)-1234567890123LL,
				   (uintptr_t)str));
	/* The GUEST_PRINTF ucall is printed by guest_run, which goes on. */
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_SYNC);
	EXPECT_EQ(2, vcpu_exit_count(self->vcpu, KEEL_EXIT_IO_OUT,
				     KEEL_UCALL_PORT));
	snprintf(want, sizeof(want),
		 "%d|%5u|%-4x|%08lx|%lld|%s|%.3s|%c|%p|%%|%hhu",
		 -42, 17u, 0xabu, 0xbeefUL, -1234567890123LL, str, str, 'k',
		 (void *)0x1000, (unsigned char)300);
	got = vm_guest_ptr(self->vm, &formatted[0]);
	ASSERT_NE(NULL, got);
	EXPECT_STREQ(want, got);
}

static void guest_ud2(void)
{
	asm volatile("ud2");
	GUEST_DONE();
}

TEST_F(ucall, guest_exception_is_reported)
{
	self->vcpu = vm_vcpu_add(self->vm, guest_ud2);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_ABORT);
	EXPECT_EQ(6, self->uc.args[0]);		/* vector: #UD */
	EXPECT_NE(NULL, strstr(self->uc.buf, "#UD"));
	EXPECT_STREQ("guest_irq.c", self->uc.file);
}

static volatile uint64_t ud_count;

static void skip_ud2(struct guest_irq_frame *frame)
{
	ud_count++;
	frame->rip += 2;	/* length of ud2 */
}

static void guest_handles_ud(void)
{
	guest_irq_handler_set(6, skip_ud2);
	asm volatile("ud2");
	asm volatile("ud2");
	GUEST_SYNC(ud_count);
}

TEST_F(ucall, guest_idt_handler_runs)
{
	self->vcpu = vm_vcpu_add(self->vm, guest_handles_ud);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_SYNC);
	EXPECT_EQ(2, self->uc.args[0]);
}

static void guest_sse_probe(void)
{
	uint64_t v = 3, r;

	asm volatile("movq %1, %%xmm0; paddq %%xmm0, %%xmm0; movq %%xmm0, %0"
		     : "=r"(r) : "r"(v) : "xmm0");
	GUEST_SYNC(r);
}

static void clobber_xmm(struct guest_irq_frame *frame)
{
	ud_count++;
	frame->rip += 2;
	asm volatile("pcmpeqd %%xmm0, %%xmm0; pcmpeqd %%xmm1, %%xmm1"
		     : : : "xmm0", "xmm1");
}

static void guest_sse_across_handler(void)
{
	volatile double x = 1.5;
	uint64_t after;

	guest_irq_handler_set(6, clobber_xmm);
	asm volatile("movq %1, %%xmm0; ud2; movq %%xmm0, %0"
		     : "=r"(after) : "r"(0x1234ULL) : "xmm0");
	x *= (double)ud_count + 0.5;
	GUEST_SYNC(after, (uint64_t)(x * 4));
}

TEST_F(ucall, guest_sse_survives_handlers)
{
	struct keel_vcpu *probe = vm_vcpu_add(self->vm, guest_sse_probe);

	ASSERT_NE(NULL, probe);
	if (guest_run(probe, &self->uc) == UCALL_EXIT &&
	    self->uc.args[0] == KVM_EXIT_INTERNAL_ERROR)
		SKIP(return, "this KVM cannot run guest SSE code");
	ASSERT_EQ(UCALL_SYNC, self->uc.cmd);
	ASSERT_EQ(6, self->uc.args[0]);

	self->vcpu = vm_vcpu_add(self->vm, guest_sse_across_handler);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_SYNC);
	/* xmm0 as the guest left it, not as the handler did. */
	EXPECT_EQ(0x1234, self->uc.args[0]);
	EXPECT_EQ(9, self->uc.args[1]);		/* 1.5 * 1.5 * 4 */
}

static void guest_fill(uint64_t gpa, uint64_t len)
{
	uint8_t *p = (uint8_t *)gpa;
	uint64_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7);
	GUEST_DONE();
}

TEST_F(ucall, vm_alloc_memory_is_shared)
{
	uint64_t gpa = vm_alloc(self->vm, 3 * KEEL_PAGE_SIZE);
	uint8_t *hva;
	uint64_t i;

	ASSERT_NE(0, gpa);
	EXPECT_EQ(0, gpa % KEEL_PAGE_SIZE);
	hva = vm_gpa2hva(self->vm, gpa, 3 * KEEL_PAGE_SIZE);
	ASSERT_NE(NULL, hva);
	self->vcpu = vm_vcpu_add(self->vm, guest_fill);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_EQ(0, vcpu_args_set(self->vcpu, gpa, 3 * KEEL_PAGE_SIZE));
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);
	for (i = 0; i < 3 * KEEL_PAGE_SIZE; i++)
		ASSERT_EQ((uint8_t)(i * 7), hva[i]);
}

TEST_HARNESS_MAIN
