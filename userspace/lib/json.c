// SPDX-License-Identifier: GPL-2.0
/*
 * JSON renderings of decoded replies (json-c): the one definition of the
 * schema that keelctl -j prints and scripts read; an object's "info"
 * comes from infojson.c.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "internal.h"

/* json-c takes NULL as JSON null; new_string(NULL) would crash. */
static struct json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static struct json_object *parts_json(const struct keel_parts *p)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < p->n; i++) {
		struct json_object *o = json_object_new_object();

		add(o, "name", jstr(p->v[i].name));
		add(o, "objects", json_object_new_uint64(p->v[i].objects));
		json_object_array_add(arr, o);
	}
	return arr;
}

struct json_object *keel_version_json(const struct keel_version *v)
{
	struct json_object *o = json_object_new_object();
	struct json_object *build = json_object_new_object();

	add(o, "version", jstr(v->version));
	add(o, "api_version", json_object_new_uint64(v->api_version));
	add(build, "kernel", jstr(v->build_kernel));
	add(build, "compiler", jstr(v->build_compiler));
	add(build, "commit", jstr(v->build_commit));
	add(o, "build", build);
	add(o, "running_kernel", jstr(v->running_kernel));
	add(o, "parts", parts_json(&v->parts));
	return o;
}

static struct json_object *cpu_json(const struct keel_cpu *cpu)
{
	struct json_object *o = json_object_new_object();
	struct json_object *flags = json_object_new_array();
	size_t i;

	add(o, "vendor", jstr(cpu->vendor));
	add(o, "model_name", jstr(cpu->model_name));
	add(o, "family", json_object_new_uint64(cpu->family));
	add(o, "model", json_object_new_uint64(cpu->model));
	add(o, "stepping", json_object_new_uint64(cpu->stepping));
	add(o, "online", json_object_new_uint64(cpu->online));
	add(o, "possible", json_object_new_uint64(cpu->possible));
	for (i = 0; i < cpu->nflags; i++)
		json_object_array_add(flags, jstr(cpu->flags[i]));
	add(o, "flags", flags);
	return o;
}

struct json_object *keel_host_json(const struct keel_host *h)
{
	struct json_object *o = json_object_new_object();
	struct json_object *numa = json_object_new_array();
	struct json_object *hpages = json_object_new_array();
	struct json_object *kvm = json_object_new_object();
	size_t i;

	add(o, "cpu", cpu_json(&h->cpu));

	for (i = 0; i < h->nnodes; i++) {
		const struct keel_node *n = &h->nodes[i];
		struct json_object *node = json_object_new_object();

		add(node, "id", json_object_new_uint64(n->id));
		add(node, "mem_total", json_object_new_uint64(n->mem_total));
		add(node, "mem_free", json_object_new_uint64(n->mem_free));
		add(node, "cpus", json_object_new_uint64(n->cpus));
		json_object_array_add(numa, node);
	}
	add(o, "numa", numa);

	for (i = 0; i < h->nhpages; i++) {
		const struct keel_hpage *p = &h->hpages[i];
		struct json_object *pool = json_object_new_object();

		add(pool, "size", json_object_new_uint64(p->size));
		add(pool, "total", json_object_new_uint64(p->total));
		add(pool, "free", json_object_new_uint64(p->free));
		json_object_array_add(hpages, pool);
	}
	add(o, "hugepages", hpages);

	add(kvm, "loaded", json_object_new_boolean(h->kvm.loaded));
	add(kvm, "vendor", jstr(h->kvm.vendor));
	add(kvm, "usable", json_object_new_boolean(h->kvm.usable));
	add(kvm, "nested", json_object_new_boolean(h->kvm.nested));
	add(o, "kvm", kvm);

	add(o, "parts", parts_json(&h->parts));
	return o;
}

struct json_object *keel_obj_state_json(const struct keel_obj_state *st)
{
	struct json_object *o = json_object_new_object();

	add(o, "state", json_object_new_string(keel_state_name(st->state)));
	add(o, "type", json_object_new_string(keel_state_type_name(st->type)));
	add(o, "type_id", json_object_new_uint64(st->type));
	add(o, "format", json_object_new_uint64(st->format));
	add(o, "max_len", json_object_new_uint64(st->max_len));
	add(o, "saves", json_object_new_uint64(st->saves));
	add(o, "loads", json_object_new_uint64(st->loads));
	add(o, "rejects", json_object_new_uint64(st->rejects));
	add(o, "changed_ns", json_object_new_uint64(st->changed_ns));
	return o;
}

struct json_object *keel_obj_json(const struct keel_obj *o)
{
	struct json_object *obj = json_object_new_object();

	add(obj, "id", json_object_new_uint64(o->id));
	add(obj, "type", jstr(o->type));
	add(obj, "part", jstr(o->part));
	add(obj, "owner_pid", json_object_new_uint64(o->owner_pid));
	add(obj, "vm_pid", json_object_new_uint64(o->vm_pid));
	add(obj, "label", jstr(o->label));
	add(obj, "created_ns", json_object_new_uint64(o->created_ns));
	add(obj, "info", keel_info_json(o));
	if (o->state.present)
		add(obj, "state", keel_obj_state_json(&o->state));
	/* Like "state", only when set: the schema of other objects stays. */
	if (o->attached)
		add(obj, "attached", json_object_new_boolean(1));
	return obj;
}

struct json_object *keel_objs_json(const struct keel_objs *list)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < list->n; i++)
		json_object_array_add(arr, keel_obj_json(&list->v[i]));
	return arr;
}

struct json_object *keel_event_json(const struct keel_event *ev)
{
	struct json_object *o = json_object_new_object();

	add(o, "event", json_object_new_string(
		ev->cmd == KEEL_CMD_OBJ_NEW ? "new" : "del"));
	add(o, "object", keel_obj_json(&ev->obj));
	return o;
}

int keel_json_print(FILE *f, struct json_object *o, bool pretty)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	flags |= pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED :
			  JSON_C_TO_STRING_PLAIN;
	if (fprintf(f, "%s\n", json_object_to_json_string_ext(o, flags)) < 0)
		return -1;
	return 0;
}
