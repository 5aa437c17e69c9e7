/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hot spot of the translation tests: bt_fill(buf, end, passes, seed)
 * stores seed + pass into every qword of [buf, end), passes times, eight
 * stores an iteration. Written in assembly so that the stores are what
 * the tests count (a compiler may make a loop rep stos). Guest code of
 * Keel's guest library (bt_vm.h) and code of a Linux guest's process
 * (selftests/qemu/keel_views.c) alike.
 *
 * bt_fill_x2(buf, end, passes, seed, off) is the same loop with each
 * iteration's eight stores made again at buf + off, as a commit makes
 * them: run over the alias with off the mirror's distance from it, the
 * floor of any mirror kept by duplicated stores (no log, no atomic
 * region), which the benchmarks measure beside the translation.
 */
#ifndef BT_FILL_H
#define BT_FILL_H

#include <stdint.h>

void bt_fill(uint64_t *buf, uint64_t *end, uint64_t passes, uint64_t seed);
void bt_fill_end(void);
void bt_fill_x2(uint64_t *buf, uint64_t *end, uint64_t passes, uint64_t seed,
		int64_t off);
/* the inner loop, which the selection translates; its last store */
extern const uint8_t bt_fill_inner[], bt_fill_inner_end[], bt_fill_last[];
__asm__(".text\n"
	".globl bt_fill, bt_fill_end, bt_fill_inner, bt_fill_inner_end\n"
	".globl bt_fill_last\n"
	"bt_fill:\n"
	"	mov %rcx, %rax\n"
	"1:	mov %rdi, %r8\n"
	"bt_fill_inner:\n"
	"2:	mov %rax, (%r8)\n"
	"	mov %rax, 8(%r8)\n"
	"	mov %rax, 16(%r8)\n"
	"	mov %rax, 24(%r8)\n"
	"	mov %rax, 32(%r8)\n"
	"	mov %rax, 40(%r8)\n"
	"	mov %rax, 48(%r8)\n"
	"bt_fill_last:\n"
	"	mov %rax, 56(%r8)\n"
	"	add $64, %r8\n"
	"	cmp %rsi, %r8\n"
	"	jb 2b\n"
	"bt_fill_inner_end:\n"
	"	inc %rax\n"
	"	dec %rdx\n"
	"	jnz 1b\n"
	"	ret\n"
	"bt_fill_end:\n"
	".globl bt_fill_x2\n"
	"bt_fill_x2:\n"
	"	mov %rcx, %rax\n"
	"1:	mov %rdi, %r9\n"
	"2:	.irp o, 0, 8, 16, 24, 32, 40, 48, 56\n"
	"	mov %rax, \\o(%r9)\n"
	"	.endr\n"
	"	.irp o, 0, 8, 16, 24, 32, 40, 48, 56\n"
	"	mov %rax, \\o(%r9,%r8)\n"
	"	.endr\n"
	"	add $64, %r9\n"
	"	cmp %rsi, %r9\n"
	"	jb 2b\n"
	"	inc %rax\n"
	"	dec %rdx\n"
	"	jnz 1b\n"
	"	ret\n");

#endif /* BT_FILL_H */
