/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest code: random writes over a range of guest memory in every form a
 * guest stores with (Documentation/mirror.rst lists them): plain moves of
 * each width, string stores and moves, read-modify-write, locked
 * exchange and compare-exchange, bit operations, SSE and non-temporal
 * stores, pushes onto a stack inside the range, and writes that cross a
 * page. The same seed gives the same writes.
 */
#ifndef GUEST_WRITES_H
#define GUEST_WRITES_H

#include <stdint.h>

enum guest_write_form {
	GW_MOV8, GW_MOV16, GW_MOV32, GW_MOV64, GW_STOSB, GW_STOSQ, GW_MOVSB,
	GW_MOVSQ, GW_XCHG, GW_CMPXCHG, GW_XADD, GW_ADD, GW_OR, GW_INC, GW_NOT,
	GW_BTS, GW_SETCC, GW_SSE, GW_MOVNTI, GW_PUSH, GW_CROSS,
	GW_NR_FORMS
};

/* A source the string moves copy from, outside any protected range. */
static uint8_t gw_src[512] __attribute__((aligned(64)));

static inline uint64_t gw_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* One write of @form at @p (at least 64 bytes before the range's end). */
static inline void gw_write(enum guest_write_form form, uint8_t *p,
			    uint64_t v)
{
	uint64_t n = (v & 31) + 1, old;
	void *d, *s;

	switch (form) {
	case GW_MOV8:
		asm volatile("movb %b1, %0" : "=m"(*p) : "q"(v));
		break;
	case GW_MOV16:
		asm volatile("movw %w1, %0" : "=m"(*(uint16_t *)p) : "r"(v));
		break;
	case GW_MOV32:
		asm volatile("movl %k1, %0" : "=m"(*(uint32_t *)p) : "r"(v));
		break;
	case GW_MOV64:
		asm volatile("movq %1, %0" : "=m"(*(uint64_t *)p) : "r"(v));
		break;
	case GW_STOSB:
		d = p;
		asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(v) : "memory");
		break;
	case GW_STOSQ:
		d = p;
		n = (n + 7) / 8;
		asm volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(v) : "memory");
		break;
	case GW_MOVSB:
		d = p;
		s = gw_src + (v >> 8) % 256;
		asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
		break;
	case GW_MOVSQ:
		d = p;
		s = gw_src + (v >> 8) % 256;
		n = (n + 7) / 8;
		asm volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
		break;
	case GW_XCHG:
		asm volatile("xchgq %1, %0" : "+m"(*(uint64_t *)p), "+r"(v));
		break;
	case GW_CMPXCHG:
		old = *(volatile uint64_t *)p;
		asm volatile("lock cmpxchgq %2, %0"
			     : "+m"(*(uint64_t *)p), "+a"(old) : "r"(v) : "cc");
		break;
	case GW_XADD:
		asm volatile("lock xaddl %k1, %0"
			     : "+m"(*(uint32_t *)p), "+r"(v) : : "cc");
		break;
	case GW_ADD:
		asm volatile("addq %1, %0" : "+m"(*(uint64_t *)p) : "r"(v) : "cc");
		break;
	case GW_OR:
		asm volatile("orw %w1, %0" : "+m"(*(uint16_t *)p) : "r"(v) : "cc");
		break;
	case GW_INC:
		asm volatile("lock incl %0" : "+m"(*(uint32_t *)p) : : "cc");
		break;
	case GW_NOT:
		asm volatile("notb %0" : "+m"(*p));
		break;
	case GW_BTS:
		asm volatile("btsq %1, %0" : "+m"(*(uint64_t *)p) : "r"(v & 63)
			     : "cc");
		break;
	case GW_SETCC:
		asm volatile("cmpq $0x40, %1; setb %0" : "=m"(*p) : "r"(v & 0x7f)
			     : "cc");
		break;
	case GW_SSE:
		asm volatile("movq %1, %%xmm0; pinsrq $1, %1, %%xmm0;"
			     "movdqu %%xmm0, %0"
			     : "=m"(*(uint8_t (*)[16])p) : "r"(v) : "xmm0");
		break;
	case GW_MOVNTI:
		asm volatile("movntiq %1, %0; sfence"
			     : "=m"(*(uint64_t *)p) : "r"(v) : "memory");
		break;
	case GW_PUSH:
		/* a stack inside the range: its top is p + 16 */
		d = p + 16;
		asm volatile("xchgq %%rsp, %0; pushq %1; pushw %w1;"
			     "xchgq %%rsp, %0"
			     : "+r"(d) : "r"(v) : "memory");
		break;
	case GW_CROSS:
		/* the last 3 bytes of a page and the first 5 of the next */
		p = (uint8_t *)(((uintptr_t)p | 0xfff) - 2);
		asm volatile("movq %1, %0" : "=m"(*(uint64_t *)p) : "r"(v));
		break;
	default:
		break;
	}
}

/*
 * @count random writes over [base, base + len) (len at least two pages),
 * of every form or of @only (< GW_NR_FORMS).
 */
static inline void gw_run(uint8_t *base, uint64_t len, uint64_t seed,
			  uint64_t count, unsigned int only)
{
	uint64_t s = seed | 1, r, i;
	unsigned int form;

	for (i = 0; i < sizeof(gw_src); i++)
		gw_src[i] = gw_next(&s);
	for (i = 0; i < count; i++) {
		r = gw_next(&s);
		form = only < GW_NR_FORMS ? only : r % GW_NR_FORMS;
		/* room for the widest write (64 bytes) and the page cross */
		gw_write(form, base + (r >> 8) % (len - 4096 - 64),
			 gw_next(&s));
	}
}

#endif /* GUEST_WRITES_H */
