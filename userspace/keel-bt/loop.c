// SPDX-License-Identifier: GPL-2.0
/*
 * keel-bt's loop finder: from a hot store's address, the innermost loop
 * around it, which is what gets translated and where the jump into the
 * translation goes (the loop's head, reached by its back edge).
 */
#include <errno.h>

#include "internal.h"

/*
 * Decode [@from, @to): 1 if an instruction starts exactly at @to, else 0;
 * with @patch, -1 at a branch into (patch, patch + KBT_PATCH_LEN).
 */
static int walk(const ZydisDecoder *dec, const uint8_t *code, size_t len,
		uint64_t base, uint64_t from, uint64_t to, uint64_t patch)
{
	struct kbt_insn in;
	uint64_t rip = from;

	while (rip < to) {
		if (kbt_decode(dec, code + (rip - base), len - (rip - base),
			       rip, &in))
			return patch ? -1 : 0;
		if (patch && (in.kind == KBT_JCC || in.kind == KBT_JMP) &&
		    in.target > patch && in.target < patch + KBT_PATCH_LEN)
			return -1;
		rip += in.di.length;
	}
	return rip == to;
}

int kbt_find_loop(const uint8_t *code, size_t len, uint64_t base,
		  uint64_t hot_rip, struct kbt_loop *lp)
{
	ZydisDecoder dec;
	struct kbt_insn in;
	uint64_t rip = hot_rip;
	unsigned int n;

	if (!code || !lp || hot_rip < base || hot_rip - base >= len)
		return -EINVAL;
	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
			 ZYDIS_STACK_WIDTH_64);
	for (n = 0; n < KBT_LOOP_SCAN && rip - base < len; n++) {
		if (kbt_decode(&dec, code + (rip - base), len - (rip - base),
			       rip, &in) && in.stop == KBT_STOP_UNDECODABLE)
			return -ENOENT;
		if (in.kind == KBT_LEAVE)
			return -ENOENT;
		rip += in.di.length;
		if ((in.kind != KBT_JCC && in.kind != KBT_JMP) ||
		    in.target > hot_rip || in.target < base)
			continue;
		/* a back edge over the hot store: is it the loop's? */
		if (walk(&dec, code, len, base, in.target, hot_rip, 0) != 1)
			continue;
		if (rip - in.target < KBT_PATCH_LEN)
			return -ERANGE;
		if (walk(&dec, code, len, base, in.target, rip, in.target) < 0)
			return -EBUSY;
		lp->head = in.target;
		lp->end = rip;
		return 0;
	}
	return -ENOENT;
}
