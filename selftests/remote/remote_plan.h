/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host side of the remote data tests: a plan of guest writes on distinct
 * ranges of the disk (random places and sizes, 512 bytes to 64 KiB,
 * some split over descriptors), overwrites of some of them, reads of
 * every range back and flushes; the image the disk must hold after it,
 * and the comparison of that image with a backing file.
 */
#ifndef REMOTE_PLAN_H
#define REMOTE_PLAN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_blk.h>

#include "blk_guest.h"

#define PLAN_CHUNK	(64u << 10)	/* each write in a chunk of its own */

struct plan {
	uint32_t nwrites1, nwrites2;	/* first writes, overwrites */
	uint32_t first_flush, first_read, nreads, last_flush, nops;
	struct blk_op ops[BLK_PLAN_MAX];
};

static inline uint32_t plan_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/*
 * @nw writes on distinct chunks of a @disk-byte disk, @nw2 overwrites
 * of the last @nw2 of them (same ranges, new seeds; @nw2 <= @nw), a
 * flush, reads of the @nw ranges, a flush.
 * Lengths up to @maxlen.
 */
static inline void plan_make(struct plan *p, uint64_t disk, uint32_t nw,
			     uint32_t nw2, uint32_t maxlen, uint64_t seed)
{
	static const uint32_t lens[] = { 4096, 512, 1536, 8192, 12288, 32768,
					 65536, 4096, 2560, 16384 };
	uint32_t nchunks = disk / PLAN_CHUNK, perm[1024], i, j, t, len;
	uint64_t s = seed;
	struct blk_op *o;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < nchunks && i < 1024; i++)
		perm[i] = i;
	for (i = nchunks - 1; i > 0; i--) {
		j = plan_rand(&s) % (i + 1);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (i = 0; i < nw; i++) {
		o = &p->ops[p->nops++];
		len = lens[plan_rand(&s) % (sizeof(lens) / sizeof(lens[0]))];
		if (len > maxlen)
			len = maxlen;
		o->type = VIRTIO_BLK_T_OUT;
		o->len = len;
		o->seed = 0x1000 + i;
		o->split = i % 3 == 0;
		o->sector = (uint64_t)perm[i] * (PLAN_CHUNK / 512) +
			    plan_rand(&s) % ((PLAN_CHUNK - len) / 512 + 1);
		if (len % 4096 == 0)	/* page-sized ones page-aligned */
			o->sector &= ~7ull;
	}
	p->nwrites1 = nw;
	for (i = 0; i < nw2; i++) {
		o = &p->ops[p->nops++];
		*o = p->ops[nw - nw2 + i];
		o->seed = 0x2000 + i;
		o->split = !o->split;
	}
	p->nwrites2 = nw2;
	p->first_flush = p->nops;
	p->ops[p->nops++].type = VIRTIO_BLK_T_FLUSH;
	p->first_read = p->nops;
	for (i = 0; i < nw; i++) {
		o = &p->ops[p->nops++];
		*o = p->ops[i];
		o->type = VIRTIO_BLK_T_IN;
		/* the last write of the range */
		if (i >= nw - nw2)
			o->seed = 0x2000 + i - (nw - nw2);
	}
	p->nreads = nw;
	p->last_flush = p->nops;
	p->ops[p->nops++].type = VIRTIO_BLK_T_FLUSH;
}

/* The disk after the plan's writes, in order, on a zeroed disk. */
static inline uint8_t *plan_image(const struct plan *p, uint64_t disk)
{
	uint8_t *img = calloc(1, disk);
	uint32_t i, off;

	for (i = 0; img && i < p->nops; i++) {
		const struct blk_op *o = &p->ops[i];

		if (o->type != VIRTIO_BLK_T_OUT)
			continue;
		for (off = 0; off < o->len; off++)
			img[o->sector * 512 + off] =
				blk_pattern(o->seed, o->sector + off / 512,
					    off % 512);
	}
	return img;
}

/* Bytes written by the plan, and how many writes. */
static inline uint64_t plan_bytes(const struct plan *p, uint32_t type,
				  uint32_t *count)
{
	uint64_t sum = 0;
	uint32_t i;

	*count = 0;
	for (i = 0; i < p->nops; i++)
		if (p->ops[i].type == type) {
			sum += p->ops[i].len;
			(*count)++;
		}
	return sum;
}

/*
 * Compare @img with @have (@disk bytes): -1 when equal, else the first
 * differing byte's offset, with a line about it.
 */
static inline long long plan_compare(const uint8_t *img, const uint8_t *have,
				     uint64_t disk)
{
	uint64_t i;

	for (i = 0; i < disk; i++)
		if (img[i] != have[i]) {
			printf("# disk differs at byte %llu (sector %llu): 0x%02x, expected 0x%02x\n",
			       (unsigned long long)i,
			       (unsigned long long)i / 512, have[i], img[i]);
			return (long long)i;
		}
	return -1;
}

/* The file @path read whole (@disk bytes), or NULL. */
static inline uint8_t *plan_read_file(const char *path, uint64_t disk)
{
	uint8_t *buf = malloc(disk);
	FILE *f = fopen(path, "rb");
	size_t n = 0;

	if (f && buf)
		n = fread(buf, 1, disk, f);
	if (f)
		fclose(f);
	if (n != disk) {
		free(buf);
		return NULL;
	}
	return buf;
}

#endif /* REMOTE_PLAN_H */
