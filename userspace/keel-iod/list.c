// SPDX-License-Identifier: GPL-2.0
/*
 * keel-iod --list: the registry as a table, or with -j as a JSON array
 * of objects (json-c), one per device: id, name, type, model, capacity,
 * block_size, max_data, features, exclusive and the backing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "registry.h"

static const char *const feature_names[] = {
	"read", "write", "flush", "fua",
};

const char *features_str(uint64_t features, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++) {
		if (!(features & (1ull << i)))
			continue;
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
				off ? "," : "", feature_names[i]);
	}
	if (!off)
		snprintf(buf, len, "-");
	return buf;
}

static void backing(const struct iod_dev *d, char *buf, size_t len)
{
	switch (d->desc.type) {
	case KEEL_REMOTE_DEV_BLOCK:
		snprintf(buf, len, "%s%s", d->file, d->ro ? " (ro)" : "");
		break;
	case KEEL_REMOTE_DEV_CONSOLE:
		snprintf(buf, len, "%s%s%s%s", d->in ? "in=" : "",
			 d->in ? d->in : "", d->in && d->out ? " out=" :
			 d->out ? "out=" : "", d->out ? d->out : "");
		break;
	default:
		snprintf(buf, len, "getrandom");
		break;
	}
}

static struct json_object *dev_json(const struct iod_dev *d)
{
	struct json_object *o = json_object_new_object();
	struct json_object *f = json_object_new_array();
	size_t i;

	json_object_object_add(o, "id", json_object_new_int64(d->desc.id));
	json_object_object_add(o, "name", json_object_new_string(d->desc.name));
	json_object_object_add(o, "type", json_object_new_string(
				       dev_type_name(d->desc.type)));
	json_object_object_add(o, "model", json_object_new_string(d->desc.model));
	json_object_object_add(o, "capacity", json_object_new_int64(
				       (int64_t)d->desc.capacity));
	json_object_object_add(o, "block_size",
			       json_object_new_int64(d->desc.block_size));
	json_object_object_add(o, "max_data",
			       json_object_new_int64(d->desc.max_data));
	for (i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
		if (d->desc.features & (1ull << i))
			json_object_array_add(f,
				json_object_new_string(feature_names[i]));
	json_object_object_add(o, "features", f);
	json_object_object_add(o, "exclusive",
			       json_object_new_boolean(d->exclusive));
	if (d->file)
		json_object_object_add(o, "file", json_object_new_string(d->file));
	if (d->in)
		json_object_object_add(o, "in", json_object_new_string(d->in));
	if (d->out)
		json_object_object_add(o, "out", json_object_new_string(d->out));
	return o;
}

int registry_print(const struct iod_registry *r, FILE *f, bool json)
{
	char feat[64], back[512], cap[32];
	struct json_object *arr;
	unsigned int i;

	if (json) {
		arr = json_object_new_array();
		for (i = 0; i < r->n; i++)
			json_object_array_add(arr, dev_json(&r->devs[i]));
		fprintf(f, "%s\n", json_object_to_json_string_ext(arr,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
		return ferror(f) ? -EIO : 0;
	}
	fprintf(f, "%-3s %-12s %-8s %-12s %14s  %-21s %s\n", "ID", "NAME",
		"TYPE", "MODEL", "CAPACITY", "FEATURES", "BACKING");
	for (i = 0; i < r->n; i++) {
		const struct iod_dev *d = &r->devs[i];

		if (d->desc.type == KEEL_REMOTE_DEV_BLOCK)
			snprintf(cap, sizeof(cap), "%llu",
				 (unsigned long long)d->desc.capacity);
		else
			snprintf(cap, sizeof(cap), "-");
		backing(d, back, sizeof(back));
		fprintf(f, "%-3u %-12s %-8s %-12s %14s  %-21s %s\n", d->desc.id,
			d->desc.name, dev_type_name(d->desc.type),
			d->desc.model, cap,
			features_str(d->desc.features, feat, sizeof(feat)), back);
	}
	return ferror(f) ? -EIO : 0;
}
