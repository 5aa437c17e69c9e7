// SPDX-License-Identifier: GPL-2.0
/*
 * String functions usable in guest code. They replace libc's versions in
 * the (static) test binary: libc picks CPU-specific variants at startup
 * that the guest may not be able to run, and the compiler emits calls to
 * memcpy/memset on its own, so guest code must find these here.
 */
#include <stddef.h>
#include <string.h>

void *memcpy(void *dst, const void *src, size_t n)
{
	void *ret = dst;

	asm volatile("rep movsb"
		     : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	return ret;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	/* Overlapping with dst above src: copy backwards. */
	d += n - 1;
	s += n - 1;
	asm volatile("std; rep movsb; cld"
		     : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *ret = dst;

	asm volatile("rep stosb"
		     : "+D"(dst), "+c"(n) : "a"(c) : "memory");
	return ret;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++) {
		if (*x != *y)
			return *x - *y;
	}
	return 0;
}

size_t strlen(const char *s)
{
	size_t left = ~(size_t)0;
	const char *p = s;

	asm volatile("repne scasb"
		     : "+D"(p), "+c"(left) : "a"(0) : "memory");
	return (size_t)(p - s) - 1;
}
