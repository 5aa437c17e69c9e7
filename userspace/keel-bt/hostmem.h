/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A host address space laid out for translated code, for keel-bt's tests
 * and its benchmark: a data buffer mapped twice (the second mapping, of
 * the same memfd, is the alias translated stores go through), a mirror,
 * two executable code areas and a region log, all inside one reservation
 * so that everything is within rel32 reach of the code.
 */
#ifndef KEEL_BT_HOSTMEM_H
#define KEEL_BT_HOSTMEM_H

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bt.h"

/*
 * The alias and the mirror at 2 MiB-aligned distances whose bits 21-27
 * differ from each other and from the buffer's: on AMD's cores the L1
 * data cache predicts a line's way from bits 12-27 of its linear address,
 * and three copies of a line that share those bits (distances that are
 * multiples of 256 MiB) evict one another at every access. bench-bt
 * measures both placements; Documentation/bt.rst has the figures.
 */
#define KBT_HOST_ALIAS_OFF	0x10200000l
#define KBT_HOST_MIRROR_OFF	0x20400000l
/* the same distances rounded down to 256 MiB */
#define KBT_HOST_ALIAS_FLAT	0x10000000l
#define KBT_HOST_MIRROR_FLAT	0x20000000l
#define KBT_HOST_CODE_AT	0x30000000ul
#define KBT_HOST_RESERVE	0x40000000ul

struct kbt_hostmem {
	uint8_t *data, *mirror;
	uint8_t *mirror_flat;	/* the mirror at KBT_HOST_MIRROR_FLAT */
	uint8_t *code[2];	/* each code_len bytes, read-write-execute */
	struct keel_bt_log *log;
	size_t data_len, code_len;
};

static inline void *kbt_host_map(uint8_t *at, size_t len, int prot,
				 int flags, int fd)
{
	void *p = mmap(at, len, prot, flags | MAP_FIXED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Lay it out: 0 or -errno. Not undone: the process keeps it. */
static inline int kbt_hostmem_init(struct kbt_hostmem *h, size_t data_len,
				   size_t code_len)
{
	const int rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
	int fd = memfd_create("keel-bt", 0);
	uint8_t *b;
	int err;

	/* the two placements' windows must not overlap */
	if (data_len > KBT_HOST_ALIAS_OFF - KBT_HOST_ALIAS_FLAT)
		return -EINVAL;
	h->data_len = data_len;
	h->code_len = code_len;
	b = mmap(NULL, KBT_HOST_RESERVE, PROT_NONE, anon | MAP_NORESERVE, -1,
		 0);
	if (fd < 0 || b == MAP_FAILED || ftruncate(fd, data_len))
		goto fail;
	h->data = kbt_host_map(b, data_len, rw, MAP_SHARED, fd);
	h->mirror = kbt_host_map(b + KBT_HOST_MIRROR_OFF, data_len, rw, anon,
				 -1);
	h->mirror_flat = kbt_host_map(b + KBT_HOST_MIRROR_FLAT, data_len, rw,
				      anon, -1);
	h->code[0] = kbt_host_map(b + KBT_HOST_CODE_AT, 2 * code_len,
				  rw | PROT_EXEC, anon, -1);
	h->code[1] = h->code[0] ? h->code[0] + code_len : NULL;
	h->log = kbt_host_map(b + KBT_HOST_CODE_AT + 2 * code_len, 4096, rw,
			      anon, -1);
	if (!h->data || !h->mirror || !h->mirror_flat || !h->code[0] ||
	    !h->log ||
	    !kbt_host_map(b + KBT_HOST_ALIAS_OFF, data_len, rw, MAP_SHARED, fd) ||
	    !kbt_host_map(b + KBT_HOST_ALIAS_FLAT, data_len, rw, MAP_SHARED, fd))
		goto fail;
	close(fd);
	return 0;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	return -err;
}

static inline struct kbt_config kbt_hostmem_config(const struct kbt_hostmem *h)
{
	return (struct kbt_config){ .alias_off = KBT_HOST_ALIAS_OFF,
				    .mirror_off = KBT_HOST_MIRROR_OFF,
				    .log_addr = (uint64_t)h->log };
}

/* The placement with the distances rounded to 256 MiB. */
static inline struct kbt_config
kbt_hostmem_config_flat(const struct kbt_hostmem *h)
{
	return (struct kbt_config){ .alias_off = KBT_HOST_ALIAS_FLAT,
				    .mirror_off = KBT_HOST_MIRROR_FLAT,
				    .log_addr = (uint64_t)h->log };
}

#endif /* KEEL_BT_HOSTMEM_H */
