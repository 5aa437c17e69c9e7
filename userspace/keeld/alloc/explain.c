// SPDX-License-Identifier: GPL-2.0
/*
 * The human explanation of a decision: the ordered unified feature list
 * with the sources behind each entry, then the pool size after the
 * capacity filter and after every pruning step.
 */
#include "internal.h"

static void sources(FILE *f, uint8_t mask)
{
	const char *sep = "";
	unsigned int s;

	for (s = 0; s < KEELD_MAX_SOURCES; s++)
		if (mask & (1u << s)) {
			fprintf(f, "%s%s", sep, keeld_source_name((enum keeld_source)s));
			sep = ", ";
		}
}

static void entry(FILE *f, const struct keeld_uentry *e)
{
	fprintf(f, "%-9s %-24s", keeld_kind_name(e->kind), e->feature);
	if (e->kind == KEELD_PREFERRED || e->kind == KEELD_AVOIDED)
		fprintf(f, " weight %-6u", e->weight);
	fprintf(f, " from %s", keeld_source_name(e->source));
	if (e->sources & ~(1u << e->source)) {
		fprintf(f, " (named by ");
		sources(f, e->sources);
		fprintf(f, ")");
	}
	if (e->overruled) {
		fprintf(f, " (overrules ");
		sources(f, e->overruled);
		fprintf(f, ")");
	}
	if (e->fid < 0)
		fprintf(f, " [no host has it]");
	fputc('\n', f);
}

static const char *const results[] = {
	[KEELD_STEP_APPLIED] = "",
	[KEELD_STEP_SKIPPED] = "  skipped: would leave no host",
	[KEELD_STEP_NOT_REACHED] = "  not applied: candidate set small enough",
	[KEELD_STEP_EMPTIED] = "  failed: no host left",
};

void keeld_explain(FILE *f, const struct keeld_unified *u,
		   const struct keeld_trace *t)
{
	const struct keeld_step *s;
	size_t i;

	fprintf(f, "unified feature list (%zu entries, %zu hard):\n",
		u ? u->n : 0, u ? u->nhard : 0);
	for (i = 0; u && i < u->n; i++) {
		fprintf(f, "  %2zu. ", i + 1);
		entry(f, &u->e[i]);
	}
	if (!t)
		return;
	fprintf(f, "pool: %zu hosts, %zu with room\n", t->hosts, t->fit);
	for (i = 0; i < t->nsteps; i++) {
		s = &t->step[i];
		fprintf(f, "  %2zu. %-9s %-24s %6zu -> %zu%s\n", s->entry + 1,
			u && s->entry < u->n ? keeld_kind_name(u->e[s->entry].kind) : "?",
			u && s->entry < u->n ? u->e[s->entry].feature : "?",
			s->before, s->after,
			(unsigned int)s->result <= KEELD_STEP_EMPTIED ? results[s->result] : "");
	}
	fprintf(f, "candidates: %zu\n", t->candidates);
}
