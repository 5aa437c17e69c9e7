/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest interrupt entry: 256 stubs of 16 bytes each (the IDT points at
 * guest_idt_stubs + 16 * vector) and the common path that saves the
 * general-purpose registers (all of them, so that the frame is the
 * interrupted code's whole state: an exception hook may change any) and
 * the SSE state, calls the C dispatcher
 * guest_irq_dispatch(struct guest_irq_frame *) and returns with iretq;
 * and safe_halt(), whose HLT the dispatcher must be able to recognise.
 *
 * In long mode the CPU aligns the stack to 16 bytes before it pushes the
 * frame, with or without an IST switch. Exceptions run on IST1; interrupts
 * on the interrupted code's stack, which has no red zone: guest code is
 * built with -mno-red-zone (lib.mk).
 */
	.text
	.align 16
	.globl guest_idt_stubs
guest_idt_stubs:
	vector = 0
	.rept 256
	/* Vectors 8, 10-14, 17, 21, 29, 30 come with an error code. */
	errcode = vector == 8 || (vector >= 10 && vector <= 14)
	errcode = errcode || vector == 17 || vector == 21
	errcode = errcode || vector == 29 || vector == 30
	.if !errcode
	pushq $0
	.endif
	pushq $vector
	jmp guest_idt_common
	.align 16
	vector = vector + 1
	.endr
	/* The host checks that this is guest_idt_stubs + 256 * 16. */
	.globl guest_idt_stubs_end
guest_idt_stubs_end:

guest_idt_common:
	/* Frame so far: ss, rsp, rflags, cs, rip, error code, vector. */
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	/* 22 qwords pushed on a 16-byte aligned stack: still aligned. */
	movq %rsp, %rdi
	subq $512, %rsp
	fxsave64 (%rsp)
	cld
	call guest_irq_dispatch
	fxrstor64 (%rsp)
	addq $512, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $16, %rsp		/* vector and error code */
	iretq

/*
 * void safe_halt(void): enable interrupts and halt. The HLT is in the STI
 * shadow; guest_safe_halt_hlt marks it for guest_irq_dispatch().
 */
	.globl safe_halt
	.type safe_halt, @function
safe_halt:
	sti
	.globl guest_safe_halt_hlt
guest_safe_halt_hlt:
	hlt
	ret
	.size safe_halt, . - safe_halt

	.section .note.GNU-stack, "", @progbits
