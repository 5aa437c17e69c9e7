// SPDX-License-Identifier: GPL-2.0
/*
 * Object info tables (include/keel/info.h): the INFO attributes of an
 * object filled from a snapshot, and the same tables described to tools
 * as KEEL_A_TYPE nests (KEEL_CMD_TYPE_GET).
 */
#include <linux/module.h>
#include <net/netlink.h>

#include "core.h"

static int keel_info_put_rows(struct sk_buff *skb,
			      const struct keel_info_field *f,
			      const struct keel_info_rows *rows)
{
	const struct keel_info_table *t = f->table;
	struct nlattr *nest, *entry;
	u32 i;

	nest = nla_nest_start(skb, f->attr);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < rows->nr; i++) {
		entry = nla_nest_start(skb, t->entry_attr);
		if (!entry ||
		    keel_info_put(skb, t->fields, t->nr_fields, t->pad_attr,
				  rows->rows + i * t->entry_size))
			return -EMSGSIZE;
		nla_nest_end(skb, entry);
	}
	nla_nest_end(skb, nest);
	return 0;
}

/**
 * keel_info_put() - put a snapshot's attributes into a message
 * @skb: the message, with the nest the attributes go in opened
 * @fields: the fields to put
 * @nr: entries of @fields
 * @pad_attr: the pad attribute for the 64-bit values
 * @snap: the snapshot the fields' offsets point into
 *
 * One attribute per field, TABLE fields as a nest of entry nests. On
 * failure the attributes already put stay: the caller cancels its nest.
 *
 * Context: any; does not sleep.
 *
 * Return: 0, -EMSGSIZE when they do not fit, -EINVAL (with a warning) on
 * a field of an unknown type.
 */
int keel_info_put(struct sk_buff *skb, const struct keel_info_field *fields,
		  unsigned int nr, u16 pad_attr, const void *snap)
{
	const struct keel_info_field *f;
	const void *v;
	int ret;

	for (f = fields; f < fields + nr; f++) {
		v = snap + f->offset;
		switch (f->type) {
		case KEEL_FIELD_TYPE_U8:
			ret = nla_put_u8(skb, f->attr, *(const u8 *)v);
			break;
		case KEEL_FIELD_TYPE_U32:
			ret = nla_put_u32(skb, f->attr, *(const u32 *)v);
			break;
		case KEEL_FIELD_TYPE_U64:
			ret = nla_put_u64_64bit(skb, f->attr, *(const u64 *)v,
						pad_attr);
			break;
		case KEEL_FIELD_TYPE_STRING:
			ret = nla_put_string(skb, f->attr,
					     *(const char *const *)v ?: "");
			break;
		case KEEL_FIELD_TYPE_TABLE:
			ret = keel_info_put_rows(skb, f, v);
			break;
		default:
			WARN_ON_ONCE(1);
			ret = -EINVAL;
		}
		if (ret)
			return ret;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(keel_info_put);

static int keel_fields_describe(struct sk_buff *skb, int nest_attr,
				const struct keel_info_field *fields,
				unsigned int nr);

/* One field as a nest of type @nest_attr (enum keel_field_attr inside). */
static int keel_field_describe(struct sk_buff *skb, int nest_attr,
			       const struct keel_info_field *f)
{
	const struct keel_info_table *t = f->table;
	const char *const *word;
	struct nlattr *nest;

	nest = nla_nest_start(skb, nest_attr);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, KEEL_FIELD_A_ATTR, f->attr) ||
	    nla_put_string(skb, KEEL_FIELD_A_NAME, f->name) ||
	    nla_put_u32(skb, KEEL_FIELD_A_TYPE, f->type) ||
	    nla_put_u32(skb, KEEL_FIELD_A_UNIT, f->unit) ||
	    nla_put_u32(skb, KEEL_FIELD_A_FORMAT, f->format) ||
	    nla_put_u32(skb, KEEL_FIELD_A_FLAGS, f->flags))
		goto cancel;
	for (word = f->words; word && *word; word++)
		if (nla_put_string(skb, KEEL_FIELD_A_WORD, *word))
			goto cancel;
	if (f->type == KEEL_FIELD_TYPE_TABLE) {
		if (nla_put_u32(skb, KEEL_FIELD_A_ENTRY, t->entry_attr))
			goto cancel;
		/* An entry's fields, described the same way. */
		if (keel_fields_describe(skb, KEEL_FIELD_A_FIELD, t->fields,
					 t->nr_fields))
			goto cancel;
	}
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* Each of @nr fields as a nest of type @nest_attr. */
static int keel_fields_describe(struct sk_buff *skb, int nest_attr,
				const struct keel_info_field *fields,
				unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (keel_field_describe(skb, nest_attr, &fields[i]))
			return -EMSGSIZE;
	return 0;
}

/* One KEEL_A_TYPE nest describing @type of @part. */
int keel_type_fill(struct sk_buff *skb, const struct keel_part *part,
		   const struct keel_object_type *type)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, KEEL_A_TYPE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, KEEL_TYPE_A_NAME, type->name) ||
	    nla_put_string(skb, KEEL_TYPE_A_PART, part->name))
		goto cancel;
	if (keel_fields_describe(skb, KEEL_TYPE_A_FIELD, type->info,
				 type->nr_info))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}
