/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ucalls: how guest code talks to the test on the host. The guest fills a
 * struct ucall in its memory and writes the struct's guest-physical address
 * with a 32-bit "out" to KEEL_UCALL_PORT; guest_run() on the host decodes it.
 * This header has the wire format, the guest-side GUEST_* macros and the
 * guest's tiny printf.
 */
#ifndef KEEL_UCALL_H
#define KEEL_UCALL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum ucall_cmd {
	UCALL_NONE,
	UCALL_SYNC,	/* guest waits for the host; values in args[] */
	UCALL_DONE,	/* guest finished */
	UCALL_ABORT,	/* guest assertion failed or exception: file, line, buf */
	UCALL_PRINTF,	/* text in buf; guest_run() prints it and goes on */
	UCALL_EXIT,	/* host side only: the run loop met an exit nobody
			 * handled (or KVM_RUN failed); buf says which */
};

#define UCALL_MAX_ARGS	6
#define UCALL_FILE_SIZE	64
#define UCALL_BUF_SIZE	256

/* Wire format, identical in guest and host (naturally aligned, no holes). */
struct ucall {
	uint64_t cmd;
	uint64_t args[UCALL_MAX_ARGS];
	uint64_t line;
	char file[UCALL_FILE_SIZE];
	char buf[UCALL_BUF_SIZE];
};

/* ---- guest side ---- */

void guest_ucall(uint64_t cmd, const uint64_t *args, size_t nargs);
__attribute__((noreturn, format(printf, 5, 6)))
void guest_assert_fail(const char *file, unsigned int line, uint64_t a,
		       uint64_t b, const char *fmt, ...);
__attribute__((format(printf, 1, 2)))
void guest_printf(const char *fmt, ...);
__attribute__((format(printf, 3, 0)))
int guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
__attribute__((format(printf, 3, 4)))
int guest_snprintf(char *buf, size_t size, const char *fmt, ...);
/* Where a guest function that returns ends up: reports UCALL_DONE. */
__attribute__((noreturn)) void guest_code_returned(void);

#define __UCALL_ARGS(...)	((const uint64_t[]){ __VA_ARGS__ })
#define __UCALL_NARGS(...)						\
	(sizeof(__UCALL_ARGS(__VA_ARGS__)) / sizeof(uint64_t) +		\
	 0 * sizeof(char[sizeof(__UCALL_ARGS(__VA_ARGS__)) <=		\
			 UCALL_MAX_ARGS * sizeof(uint64_t) ? 1 : -1]))

/* GUEST_SYNC(a [, b ... up to 6]): stop, hand the values to the host. */
#define GUEST_SYNC(...)							\
	guest_ucall(UCALL_SYNC, __UCALL_ARGS(__VA_ARGS__),		\
		    __UCALL_NARGS(__VA_ARGS__))

#define GUEST_DONE()	guest_ucall(UCALL_DONE, NULL, 0)

#define GUEST_PRINTF(...)	guest_printf(__VA_ARGS__)

#define GUEST_FAIL(...)							\
	guest_assert_fail(__FILE__, __LINE__, 0, 0, __VA_ARGS__)

#define GUEST_ASSERT(cond)						\
	do {								\
		if (!(cond))						\
			guest_assert_fail(__FILE__, __LINE__, 0, 0,	\
					  "%s", #cond);			\
	} while (0)

#define __GUEST_ASSERT_CMP(a, b, op)					\
	do {								\
		uint64_t __ga = (uint64_t)(a), __gb = (uint64_t)(b);	\
		if (!(__ga op __gb))					\
			guest_assert_fail(__FILE__, __LINE__, __ga, __gb, \
				"%s " #op " %s: 0x%lx vs 0x%lx",	\
				#a, #b, __ga, __gb);			\
	} while (0)

#define GUEST_ASSERT_EQ(a, b)	__GUEST_ASSERT_CMP(a, b, ==)
#define GUEST_ASSERT_NE(a, b)	__GUEST_ASSERT_CMP(a, b, !=)
#define GUEST_ASSERT_LT(a, b)	__GUEST_ASSERT_CMP(a, b, <)
#define GUEST_ASSERT_LE(a, b)	__GUEST_ASSERT_CMP(a, b, <=)

#endif /* KEEL_UCALL_H */
