// SPDX-License-Identifier: GPL-2.0
/*
 * A small vsnprintf for guest code (no libc in the guest). Supports
 * %d %i %u %x %X %p %s %c %%, the flags '-' and '0', a width (number or *),
 * a precision for %s, and the length modifiers hh h l ll z j t.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keel_ucall.h"

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width,
		       bool left, char pad)
{
	int fill = width > (int)n ? width - (int)n : 0;

	if (!left && pad == '0' && n && (*s == '-')) {
		/* Zero padding goes after the sign. */
		put(o, *s++);
		n--;
	}
	while (!left && fill-- > 0)
		put(o, pad);
	while (n--)
		put(o, *s++);
	while (left && fill-- > 0)
		put(o, ' ');
}

static size_t format_number(char *tmp, uint64_t v, unsigned int base,
			    bool upper, bool negative)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char rev[24];
	size_t n = 0, i = 0;

	do {
		rev[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (negative)
		tmp[i++] = '-';
	while (n)
		tmp[i++] = rev[--n];
	return i;
}

int guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size };

	for (; *fmt; fmt++) {
		bool left = false, is_signed = false, upper = false;
		int width = 0, prec = -1, lng = 0;
		unsigned int base = 10;
		char pad = ' ', tmp[24];
		uint64_t v;
		const char *s;
		size_t n;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9')
				prec = prec * 10 + (*fmt++ - '0');
		}
		for (;; fmt++) {
			if (*fmt == 'l' || *fmt == 'z' || *fmt == 'j' ||
			    *fmt == 't')
				lng = 2;
			else if (*fmt == 'h')
				lng = lng > 0 ? 0 : lng - 1;
			else
				break;
		}

		switch (*fmt) {
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			put_padded(&o, tmp, 1, width, left, ' ');
			continue;
		case 's':
			s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			for (n = 0; s[n] && (prec < 0 || n < (size_t)prec); n++)
				;
			put_padded(&o, s, n, width, left, ' ');
			continue;
		case 'p':
			v = (uintptr_t)va_arg(ap, void *);
			tmp[0] = '0';
			tmp[1] = 'x';
			n = 2 + format_number(tmp + 2, v, 16, false, false);
			put_padded(&o, tmp, n, width, left, ' ');
			continue;
		case 'd':
		case 'i':
			is_signed = true;
			break;
		case 'u':
			break;
		case 'X':
			upper = true;
			/* fall through */
		case 'x':
			base = 16;
			break;
		case '%':
			put(&o, '%');
			continue;
		case '\0':
			fmt--;	/* trailing '%': stop at the terminator */
			continue;
		default:
			put(&o, '%');
			put(&o, *fmt);
			continue;
		}

		if (is_signed) {
			int64_t sv = lng == 2 ? va_arg(ap, int64_t)
					      : (int64_t)va_arg(ap, int);

			if (lng == -1)
				sv = (int16_t)sv;
			else if (lng == -2)
				sv = (int8_t)sv;
			v = sv < 0 ? -(uint64_t)sv : (uint64_t)sv;
			n = format_number(tmp, v, base, upper, sv < 0);
		} else {
			v = lng == 2 ? va_arg(ap, uint64_t)
				     : (uint64_t)va_arg(ap, unsigned int);
			if (lng == -1)
				v = (uint16_t)v;
			else if (lng == -2)
				v = (uint8_t)v;
			n = format_number(tmp, v, base, upper, false);
		}
		put_padded(&o, tmp, n, width, left, left ? ' ' : pad);
	}
	if (o.size)
		o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
	return (int)o.len;
}

int guest_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = guest_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
