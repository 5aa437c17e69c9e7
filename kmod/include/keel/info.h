/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Object info tables: one line per attribute an object type reports in
 * KEEL_OBJ_A_INFO. From the same table the core fills the attributes
 * from a snapshot of the object and describes them to tools
 * (KEEL_CMD_TYPE_GET: name, encoding, unit, format), as KVM's binary
 * statistics descriptors do. A new counter is one line here plus its
 * uapi attribute number; no tool needs to learn it.
 *
 *	struct keel_ring_info {
 *		u64 produced;
 *		...
 *	};
 *	static const struct keel_info_field keel_ring_fields[] = {
 *		KEEL_INFO_U64(struct keel_ring_info, produced,
 *			      KEEL_RING_INFO_A_PRODUCED, KEEL_INFO_COUNTER),
 *		...
 *	};
 *
 * The snapshot struct is the type's own; the type's snapshot() fills it
 * (struct keel_object_type, core.h), consistently, under whatever lock
 * the values need.
 */
#ifndef _KEEL_INFO_H
#define _KEEL_INFO_H

#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/keel.h>

struct sk_buff;

/**
 * struct keel_info_rows - the rows of a TABLE field, as a snapshot holds them
 * @nr: number of rows
 * @rows: @nr entries of the table's &keel_info_table.entry_size bytes
 */
struct keel_info_rows {
	u32 nr;
	const void *rows;
};

struct keel_info_field;

/**
 * struct keel_info_table - the entries of a TABLE field
 * @entry_attr: attribute type of one entry's nest
 * @pad_attr: pad attribute for the 64-bit values inside an entry
 * @entry_size: bytes of one entry in &keel_info_rows.rows
 * @fields: the fields of one entry
 * @nr_fields: entries of @fields
 */
struct keel_info_table {
	u16 entry_attr;
	u16 pad_attr;
	size_t entry_size;
	const struct keel_info_field *fields;
	unsigned int nr_fields;
};

/**
 * struct keel_info_field - one attribute an object type reports
 * @name: JSON member name for tools: [a-z0-9_]+
 * @attr: attribute type
 * @type: encoding, KEEL_FIELD_TYPE_*
 * @unit: the value's unit, KEEL_FIELD_UNIT_*
 * @format: how tools show it, KEEL_FIELD_FORMAT_*
 * @flags: KEEL_FIELD_F_* (a counter, in the brief view, ...)
 * @offset: of the value in the snapshot
 * @words: ENUM and FLAGS formats: the NULL-terminated names of the values
 *	or bits
 * @table: TABLE type only: what its entries hold
 *
 * Written with the KEEL_INFO_*() macros below, which check the member's
 * size against the encoding at build time.
 */
struct keel_info_field {
	const char *name;
	u16 attr;
	u8 type;
	u8 unit;
	u8 format;
	u8 flags;
	u16 offset;
	const char *const *words;
	const struct keel_info_table *table;
};

/* Options for the field macros, combined with commas. */
#define KEEL_INFO_COUNTER	.flags = KEEL_FIELD_F_COUNTER
#define KEEL_INFO_BRIEF		.flags = KEEL_FIELD_F_BRIEF
#define KEEL_INFO_BRIEF_COUNTER	.flags = KEEL_FIELD_F_BRIEF | KEEL_FIELD_F_COUNTER
#define KEEL_INFO_BYTES		.unit = KEEL_FIELD_UNIT_BYTES
#define KEEL_INFO_NS		.unit = KEEL_FIELD_UNIT_NS
#define KEEL_INFO_HEX		.format = KEEL_FIELD_FORMAT_HEX
#define KEEL_INFO_ERRNO		.format = KEEL_FIELD_FORMAT_ERRNO
#define KEEL_INFO_ENUM(...)	.format = KEEL_FIELD_FORMAT_ENUM,	\
				.words = (const char *const[]){ __VA_ARGS__, NULL }
#define KEEL_INFO_FLAGS(...)	.format = KEEL_FIELD_FORMAT_FLAGS,	\
				.words = (const char *const[]){ __VA_ARGS__, NULL }

/*
 * Offset of @member in @snap, checked to be @size bytes: a table line
 * cannot read a u32 member as a u64. (checkpatch sees @member used twice;
 * it is a name, with no side effects: the Makefile's checkpatch run
 * exempts this header from that one check.)
 */
#define __KEEL_INFO_OFF(snap, member, size)				\
	(offsetof(snap, member) +					\
	 BUILD_BUG_ON_ZERO(sizeof_field(snap, member) != (size)))

#define __KEEL_INFO(snap, member, _attr, _type, size, ...)		\
	{								\
		.name = #member,					\
		.attr = (_attr),					\
		.type = (_type),					\
		.offset = __KEEL_INFO_OFF(snap, member, size),		\
		__VA_ARGS__						\
	}

/* A u8 (shown as true/false), u32, u64, "const char *" member. */
#define KEEL_INFO_BOOL(snap, member, attr, ...)				\
	__KEEL_INFO(snap, member, attr, KEEL_FIELD_TYPE_U8, 1,		\
		    .format = KEEL_FIELD_FORMAT_BOOL, ##__VA_ARGS__)
#define KEEL_INFO_U32(snap, member, attr, ...)				\
	__KEEL_INFO(snap, member, attr, KEEL_FIELD_TYPE_U32, 4, ##__VA_ARGS__)
#define KEEL_INFO_U64(snap, member, attr, ...)				\
	__KEEL_INFO(snap, member, attr, KEEL_FIELD_TYPE_U64, 8, ##__VA_ARGS__)
#define KEEL_INFO_STR(snap, member, attr, ...)				\
	__KEEL_INFO(snap, member, attr, KEEL_FIELD_TYPE_STRING,		\
		    sizeof(const char *), ##__VA_ARGS__)
/* A struct keel_info_rows member whose entries @tbl describes. */
#define KEEL_INFO_TABLE(snap, member, attr, tbl, ...)			\
	__KEEL_INFO(snap, member, attr, KEEL_FIELD_TYPE_TABLE,		\
		    sizeof(struct keel_info_rows), .table = (tbl),	\
		    ##__VA_ARGS__)

/* Fill the attributes of a snapshot (info.c). */
int keel_info_put(struct sk_buff *skb, const struct keel_info_field *fields,
		  unsigned int nr, u16 pad_attr, const void *snap);

#endif /* _KEEL_INFO_H */
