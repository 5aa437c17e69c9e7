/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side instruction helpers: port I/O, MMIO, interrupt flag, halt,
 * MSRs. All inline, no libc: safe to call from guest code.
 */
#ifndef KEEL_GUEST_IO_H
#define KEEL_GUEST_IO_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

/* String I/O: one exit for the whole "rep outsb"/"rep insb". */
static inline void outsb(uint16_t port, const void *buf, uint64_t count)
{
	asm volatile("rep outsb"
		     : "+S"(buf), "+c"(count) : "d"(port) : "memory");
}

static inline void insb(uint16_t port, void *buf, uint64_t count)
{
	asm volatile("rep insb"
		     : "+D"(buf), "+c"(count) : "d"(port) : "memory");
}

/*
 * MMIO accessors: one mov of exactly the named width, so the access reaches
 * KVM (and the VMM) with that size.
 */
#define KEEL_MMIO_ACCESSORS(bits, suffix)				\
static inline uint##bits##_t mmio_read##bits(uint64_t gpa)		\
{									\
	uint##bits##_t v;						\
									\
	asm volatile("mov" suffix " %1, %0"				\
		     : "=r"(v)						\
		     : "m"(*(volatile uint##bits##_t *)gpa) : "memory");	\
	return v;							\
}									\
static inline void mmio_write##bits(uint64_t gpa, uint##bits##_t v)	\
{									\
	asm volatile("mov" suffix " %1, %0"				\
		     : "=m"(*(volatile uint##bits##_t *)gpa)		\
		     : "r"(v) : "memory");				\
}

KEEL_MMIO_ACCESSORS(8, "b")
KEEL_MMIO_ACCESSORS(16, "w")
KEEL_MMIO_ACCESSORS(32, "l")
KEEL_MMIO_ACCESSORS(64, "q")

static inline void cli(void)
{
	asm volatile("cli" : : : "memory");
}

static inline void sti(void)
{
	asm volatile("sti" : : : "memory");
}

static inline void hlt(void)
{
	asm volatile("hlt" : : : "memory");
}

/*
 * Enable interrupts and halt until one arrives ("sti; hlt", guest_idt.S).
 * The STI shadow guarantees that an interrupt pending at the STI is taken
 * after the HLT, not lost. One instance, out of line, so the interrupt
 * path can recognise its HLT: where the CPU breaks the shadow and
 * delivers the interrupt before the HLT, guest_irq_dispatch() moves the
 * return address past it, as the shadow would have (see guest_irq.c).
 */
void safe_halt(void);

static inline void cpu_relax(void)
{
	asm volatile("pause" : : : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr"
		     : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
		     : "memory");
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

#endif /* KEEL_GUEST_IO_H */
