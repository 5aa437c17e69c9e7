// SPDX-License-Identifier: GPL-2.0
/*
 * Human output: sizes in binary units, durations, ages, key/value lines,
 * wrapped word lists and aligned tables.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "keelctl.h"

#define KEY_WIDTH	16

void fmt_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	uint64_t unit = 1024;
	size_t i = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return;
	}
	while (i + 1 < sizeof(units) / sizeof(units[0]) &&
	       bytes / unit >= 1024) {
		unit *= 1024;
		i++;
	}
	if (bytes % unit == 0)
		snprintf(buf, len, "%llu %s",
			 (unsigned long long)(bytes / unit), units[i]);
	else
		snprintf(buf, len, "%.1f %s", (double)bytes / (double)unit,
			 units[i]);
}

/* @v / @unit with one decimal, without a trailing ".0". */
static void fmt_tenths(uint64_t v, uint64_t unit, const char *name,
		       char *buf, size_t len)
{
	uint64_t tenths = (v * 10 + unit / 2) / unit;

	if (tenths % 10)
		snprintf(buf, len, "%llu.%llu %s",
			 (unsigned long long)(tenths / 10),
			 (unsigned long long)(tenths % 10), name);
	else
		snprintf(buf, len, "%llu %s", (unsigned long long)(tenths / 10),
			 name);
}

void fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns && ns < 50000)
		snprintf(buf, len, "<0.1 ms");
	else if (ns < 999950000ull)
		fmt_tenths(ns, 1000000, "ms", buf, len);
	else if (ns < 100000000000ull)
		fmt_tenths(ns, 1000000000, "s", buf, len);
	else
		snprintf(buf, len, "%llu s",
			 (unsigned long long)((ns + 500000000) / 1000000000));
}

void fmt_age(uint64_t ns, char *buf, size_t len)
{
	unsigned long long s = ns / 1000000000ull;

	if (s < 60)
		snprintf(buf, len, "%llus", s);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%llud%02lluh", s / 86400, s % 86400 / 3600);
}

const char *fmt_bool(bool b)
{
	return b ? "yes" : "no";
}

const char *fmt_str(const char *s)
{
	return s && *s ? s : "-";
}

void print_kv(FILE *f, int indent, const char *key, const char *fmt, ...)
{
	va_list ap;

	/* A long key still gets two spaces before its value. */
	if (strlen(key) + 2 > KEY_WIDTH)
		fprintf(f, "%*s%s  ", indent, "", key);
	else
		fprintf(f, "%*s%-*s", indent, "", KEY_WIDTH, key);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

static int term_width(FILE *f)
{
	struct winsize ws;

	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return 80;
}

void print_kv_words(FILE *f, int indent, const char *key,
		    char *const *words, size_t n)
{
	int col0 = indent + KEY_WIDTH, width = term_width(f), col;
	size_t i;

	fprintf(f, "%*s%-*s", indent, "", KEY_WIDTH, key);
	col = col0;
	for (i = 0; i < n; i++) {
		int w = (int)strlen(words[i]);

		if (col > col0 && col + 1 + w > width) {
			fprintf(f, "\n%*s", col0, "");
			col = col0;
		}
		if (col > col0) {
			fputc(' ', f);
			col++;
		}
		fputs(words[i], f);
		col += w;
	}
	fputc('\n', f);
}

struct table {
	size_t ncols;
	size_t ncells;
	char **cells;		/* headers first, then rows */
};

struct table *table_new(size_t ncols, const char *const *headers)
{
	struct table *t = calloc(1, sizeof(*t));
	size_t i;

	if (!t)
		return NULL;
	t->ncols = ncols;
	for (i = 0; i < ncols; i++) {
		if (table_cell(t, "%s", headers[i])) {
			table_free(t);
			return NULL;
		}
	}
	return t;
}

int table_cell(struct table *t, const char *fmt, ...)
{
	char **cells, *cell;
	va_list ap;
	int ret;

	cells = realloc(t->cells, (t->ncells + 1) * sizeof(*cells));
	if (!cells)
		return -1;
	t->cells = cells;
	va_start(ap, fmt);
	ret = vasprintf(&cell, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return -1;
	t->cells[t->ncells++] = cell;
	return 0;
}

void table_print(const struct table *t, FILE *f, int indent)
{
	size_t *width = calloc(t->ncols, sizeof(*width));
	size_t i;

	if (!width)
		return;
	for (i = 0; i < t->ncells; i++) {
		size_t w = strlen(t->cells[i]);

		if (w > width[i % t->ncols])
			width[i % t->ncols] = w;
	}
	for (i = 0; i < t->ncells; i++) {
		size_t col = i % t->ncols;
		bool last = col + 1 == t->ncols || i + 1 == t->ncells;

		if (col == 0)
			fprintf(f, "%*s", indent, "");
		if (last)
			fprintf(f, "%s\n", t->cells[i]);
		else
			fprintf(f, "%-*s  ", (int)width[col], t->cells[i]);
	}
	free(width);
}

void table_free(struct table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
