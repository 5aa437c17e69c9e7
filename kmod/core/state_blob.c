// SPDX-License-Identifier: GPL-2.0
/*
 * The state blob (uapi/linux/keel_state.h): the writer that save() fills
 * section by section, and the parser that checks a blob's framing,
 * checksums, type and section versions before any object sees it. Pure
 * functions on memory; no locking.
 */
#include <linux/module.h>
#include <linux/crc32.h>
#include <linux/slab.h>
#include <linux/mm.h>

#include "core.h"

/* CRC-32 as zlib's crc32(): reflected, initial and final value ~0. */
u32 keel_state_crc(const void *data, size_t len)
{
	return crc32_le(~0u, data, len) ^ ~0u;
}
EXPORT_SYMBOL_IF_KEEL_KUNIT(keel_state_crc);

/* A section's CRC: its header with crc = 0, then its payload. */
u32 keel_state_sec_crc(const struct keel_state_section *sec, const void *data)
{
	struct keel_state_section h = *sec;
	u32 crc;

	h.crc = 0;
	crc = crc32_le(~0u, (const void *)&h, sizeof(h));
	return crc32_le(crc, data, le32_to_cpu(h.len)) ^ ~0u;
}
EXPORT_SYMBOL_IF_KEEL_KUNIT(keel_state_sec_crc);

int keel_state_writer_init(struct keel_state_writer *w, u32 type, size_t cap)
{
	memset(w, 0, sizeof(*w));
	if (cap < sizeof(struct keel_state_header) || cap > KEEL_STATE_MAX_BLOB)
		return -EINVAL;
	w->buf = kvzalloc(cap, GFP_KERNEL_ACCOUNT);
	if (!w->buf)
		return -ENOMEM;
	w->cap = cap;
	w->len = sizeof(struct keel_state_header);
	w->type = type;
	return 0;
}
EXPORT_SYMBOL_IF_KEEL_KUNIT(keel_state_writer_init);

void keel_state_writer_abort(struct keel_state_writer *w)
{
	kvfree(w->buf);
	w->buf = NULL;
}
EXPORT_SYMBOL_IF_KEEL_KUNIT(keel_state_writer_abort);

/**
 * keel_state_sec_begin() - begin a section filled in place
 * @w: the writer save() was given
 * @id: the section id, >= 1
 * @version: the version written, >= 1
 * @len: payload bytes
 *
 * Returns room for @len bytes, zeroed, that save() fills before it calls
 * keel_state_sec_end(); no other section may be begun or put meanwhile.
 * On an error, recorded in @w (the first one stays), it returns NULL and
 * keel_state_sec_end() returns the error.
 *
 * Context: in &keel_state_ops.save (the state mutex held); does not
 * sleep.
 *
 * Return: the payload, or NULL on an error: @id or @version 0 or a section
 * already begun (-EINVAL), %KEEL_STATE_MAX_SECTIONS written (-E2BIG), no
 * room left in the blob (-ENOSPC), or an earlier error.
 */
void *keel_state_sec_begin(struct keel_state_writer *w, u32 id, u16 version,
			   u32 len)
{
	struct keel_state_section *sec;
	size_t need = sizeof(*sec) + ALIGN((size_t)len, 8);

	if (w->err)
		return NULL;
	if (!id || !version || w->open)
		w->err = -EINVAL;
	else if (w->nr == KEEL_STATE_MAX_SECTIONS)
		w->err = -E2BIG;
	else if (need > w->cap - w->len)
		w->err = -ENOSPC;
	if (w->err)
		return NULL;

	sec = w->buf + w->len;
	sec->id = cpu_to_le32(id);
	sec->version = cpu_to_le16(version);
	sec->flags = 0;
	sec->len = cpu_to_le32(len);
	w->open = true;
	/* The buffer was zeroed: so are the payload and its pad. */
	return sec + 1;
}
EXPORT_SYMBOL_GPL(keel_state_sec_begin);

/**
 * keel_state_sec_end() - end the section keel_state_sec_begin() began
 * @w: the writer
 *
 * Checksums the section and appends it to the blob.
 *
 * Context: in &keel_state_ops.save (the state mutex held); does not
 * sleep.
 *
 * Return: 0; the writer's first error; or -EINVAL when no section was
 * begun.
 */
int keel_state_sec_end(struct keel_state_writer *w)
{
	struct keel_state_section *sec = w->buf + w->len;

	if (w->err)
		return w->err;
	if (!w->open)
		return w->err = -EINVAL;
	sec->crc = cpu_to_le32(keel_state_sec_crc(sec, sec + 1));
	w->len += sizeof(*sec) + ALIGN((size_t)le32_to_cpu(sec->len), 8);
	w->nr++;
	w->open = false;
	return 0;
}
EXPORT_SYMBOL_GPL(keel_state_sec_end);

/**
 * keel_state_put() - append one section
 * @w: the writer save() was given
 * @id: the section id, >= 1
 * @version: the version written, >= 1
 * @data: the payload
 * @len: payload bytes
 *
 * keel_state_sec_begin(), a copy of @data and keel_state_sec_end(). The
 * first error is kept in @w: save() may return it, or go on and let the
 * framework fail the command.
 *
 * Context: in &keel_state_ops.save (the state mutex held); does not
 * sleep.
 *
 * Return: 0, or the writer's first error: -EINVAL (@id or @version 0, a
 * section begun and not ended), -E2BIG (too many sections), -ENOSPC (no
 * room left in the blob).
 */
int keel_state_put(struct keel_state_writer *w, u32 id, u16 version,
		   const void *data, u32 len)
{
	void *p = keel_state_sec_begin(w, id, version, len);

	if (!p)
		return w->err;
	memcpy(p, data, len);
	return keel_state_sec_end(w);
}
EXPORT_SYMBOL_GPL(keel_state_put);

/* Write the header; on success the caller owns *blob (kvfree). */
int keel_state_writer_finish(struct keel_state_writer *w, void **blob,
			     size_t *len)
{
	struct keel_state_header *h = w->buf;
	int ret = w->err;

	if (!ret && (!w->nr || w->open))
		ret = -EINVAL;
	if (ret) {
		keel_state_writer_abort(w);
		return ret;
	}
	h->magic = cpu_to_le32(KEEL_STATE_MAGIC);
	h->format = cpu_to_le16(KEEL_STATE_FORMAT);
	h->hdr_len = cpu_to_le16(sizeof(*h));
	h->type = cpu_to_le32(w->type);
	h->nr_sections = cpu_to_le32(w->nr);
	h->total_len = cpu_to_le64(w->len);
	h->flags = 0;
	h->hdr_crc = 0;
	h->hdr_crc = cpu_to_le32(keel_state_crc(h, sizeof(*h)));
	*blob = w->buf;
	*len = w->len;
	w->buf = NULL;
	return 0;
}
EXPORT_SYMBOL_IF_KEEL_KUNIT(keel_state_writer_finish);

/**
 * keel_state_find() - a section of a parsed blob
 * @b: the blob check() or load() was given
 * @id: the section id
 *
 * A section the type marks &keel_state_sec_desc.required is always there
 * when check() and load() run.
 *
 * Context: any.
 *
 * Return: the section, or NULL when the blob has none with @id.
 */
const struct keel_state_sec *keel_state_find(const struct keel_state_blob *b,
					     u32 id)
{
	unsigned int i;

	for (i = 0; i < b->nr; i++)
		if (b->sec[i].id == id)
			return &b->sec[i];
	return NULL;
}
EXPORT_SYMBOL_GPL(keel_state_find);

static const struct keel_state_sec_desc *
keel_state_desc(const struct keel_state_ops *ops, u32 id)
{
	unsigned int i;

	for (i = 0; i < ops->nr_secs; i++)
		if (ops->secs[i].id == id)
			return &ops->secs[i];
	return NULL;
}

#define KEEL_BAD(code, msg) ({ *why = (msg); (code); })

static int keel_state_parse_header(const void *buf, size_t len,
				   const struct keel_state_ops *ops,
				   const char **why)
{
	struct keel_state_header h;

	if (len < sizeof(h))
		return KEEL_BAD(-EBADMSG, "shorter than a state header");
	memcpy(&h, buf, sizeof(h));
	if (le32_to_cpu(h.magic) != KEEL_STATE_MAGIC)
		return KEEL_BAD(-EBADMSG, "not a Keel state blob (magic)");
	if (le16_to_cpu(h.hdr_len) != sizeof(h))
		return KEEL_BAD(-EBADMSG, "bad header length");
	h.hdr_crc = 0;
	if (keel_state_crc(&h, sizeof(h)) !=
	    le32_to_cpu(((const struct keel_state_header *)buf)->hdr_crc))
		return KEEL_BAD(-EBADMSG, "header checksum mismatch");
	if (le16_to_cpu(h.format) != KEEL_STATE_FORMAT)
		return KEEL_BAD(-EPROTONOSUPPORT, "unknown blob format");
	if (h.flags)
		return KEEL_BAD(-EBADMSG, "unknown header flags");
	if (le64_to_cpu(h.total_len) != len)
		return KEEL_BAD(-EBADMSG, "truncated, or bytes past the end");
	if (le32_to_cpu(h.type) != ops->type)
		return KEEL_BAD(-EMEDIUMTYPE, "state of another object type");
	if (!h.nr_sections ||
	    le32_to_cpu(h.nr_sections) > KEEL_STATE_MAX_SECTIONS)
		return KEEL_BAD(-EBADMSG, "bad section count");
	return le32_to_cpu(h.nr_sections);
}

/* The size of a blob of only fixed-length sections (max_len 0). */
u32 keel_state_fixed_len(const struct keel_state_ops *ops)
{
	size_t len = sizeof(struct keel_state_header);
	unsigned int i;

	for (i = 0; i < ops->nr_secs; i++) {
		WARN_ON(!ops->secs[i].len);
		len += sizeof(struct keel_state_section) +
		       ALIGN(ops->secs[i].len, 8);
	}
	return len;
}

/*
 * Check @buf as a blob for objects of @ops: framing, checksums, type,
 * known sections and versions, required sections. On success @b lists
 * the sections a reader must look at (optional unknown ones are left
 * out); on failure *why says what is wrong.
 */
int keel_state_parse(const void *buf, size_t len,
		     const struct keel_state_ops *ops, size_t max_len,
		     struct keel_state_blob *b, const char **why)
{
	const struct keel_state_sec_desc *desc;
	size_t off = sizeof(struct keel_state_header);
	unsigned int i, j, nr;
	int ret;

	memset(b, 0, sizeof(*b));
	if (len > max_len || len > KEEL_STATE_MAX_BLOB)
		return KEEL_BAD(-EFBIG, "larger than this object's state");
	ret = keel_state_parse_header(buf, len, ops, why);
	if (ret < 0)
		return ret;
	nr = ret;
	b->type = ops->type;

	for (i = 0; i < nr; i++) {
		struct keel_state_section s;
		struct keel_state_sec *out;
		const void *data;
		u32 slen;

		if (len - off < sizeof(s))
			return KEEL_BAD(-EBADMSG, "section header past the end");
		memcpy(&s, buf + off, sizeof(s));
		off += sizeof(s);
		slen = le32_to_cpu(s.len);
		if (ALIGN((size_t)slen, 8) > len - off)
			return KEEL_BAD(-EBADMSG, "section payload past the end");
		data = buf + off;
		if (keel_state_sec_crc(&s, data) != le32_to_cpu(s.crc))
			return KEEL_BAD(-EBADMSG, "section checksum mismatch");
		if (memchr_inv(data + slen, 0, ALIGN((size_t)slen, 8) - slen))
			return KEEL_BAD(-EBADMSG, "section padding not zero");
		off += ALIGN((size_t)slen, 8);

		if (!s.id || !s.version)
			return KEEL_BAD(-EBADMSG, "section id or version zero");
		if (le16_to_cpu(s.flags) & ~KEEL_STATE_SEC_FLAGS_ALL)
			return KEEL_BAD(-EBADMSG, "unknown section flags");
		for (j = 0; j < b->nr; j++)
			if (b->sec[j].id == le32_to_cpu(s.id))
				return KEEL_BAD(-EBADMSG, "section appears twice");

		desc = keel_state_desc(ops, le32_to_cpu(s.id));
		if (!desc) {
			if (le16_to_cpu(s.flags) & KEEL_STATE_SEC_OPTIONAL)
				continue;
			return KEEL_BAD(-EPROTONOSUPPORT, "unknown section");
		}
		if (le16_to_cpu(s.version) > desc->version)
			return KEEL_BAD(-EPROTONOSUPPORT, "section version newer than this module");
		if (desc->len && slen != desc->len)
			return KEEL_BAD(-EINVAL, "section of the wrong size");

		out = &b->sec[b->nr++];
		out->id = le32_to_cpu(s.id);
		out->version = le16_to_cpu(s.version);
		out->flags = le16_to_cpu(s.flags);
		out->len = slen;
		out->data = data;
	}
	if (off != len)
		return KEEL_BAD(-EBADMSG, "bytes after the last section");

	for (i = 0; i < ops->nr_secs; i++)
		if (ops->secs[i].required &&
		    !keel_state_find(b, ops->secs[i].id))
			return KEEL_BAD(-EINVAL, "a required section is missing");
	return 0;
}
EXPORT_SYMBOL_IF_KEEL_KUNIT(keel_state_parse);
