// SPDX-License-Identifier: GPL-2.0
/*
 * The decoders and JSON renderings of libkeel on handcrafted replies:
 * version, host, objects (INFO by the type's descriptor and generically),
 * notifications, and replies that break the uapi.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <linux/genetlink.h>

#include "libkeel.h"
#include "tap.h"
#include "type_desc.h"

#define FAMILY	0x2a

static char buf[8192];
static struct keel_types types;

static struct nlmsghdr *msg_start(uint8_t cmd)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = FAMILY;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = KEEL_GENL_VERSION;
	return nlh;
}

static void put_parts(struct nlmsghdr *nlh)
{
	struct nlattr *parts = mnl_attr_nest_start(nlh, KEEL_A_PARTS);
	struct nlattr *p;

	p = mnl_attr_nest_start(nlh, KEEL_A_PART);
	mnl_attr_put_strz(nlh, KEEL_PART_A_NAME, "core");
	mnl_attr_put_u32(nlh, KEEL_PART_A_OBJECTS, 2);
	mnl_attr_nest_end(nlh, p);
	p = mnl_attr_nest_start(nlh, KEEL_A_PART);
	mnl_attr_put_strz(nlh, KEEL_PART_A_NAME, "vdev");
	mnl_attr_put_u32(nlh, KEEL_PART_A_OBJECTS, 0);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, parts);
}

/* Render @o, parse the text back, and drop @o. */
static struct json_object *roundtrip(struct json_object *o, char **text)
{
	struct json_object *back;

	*text = strdup(json_object_to_json_string_ext(o,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	back = json_tokener_parse(*text);
	json_object_put(o);
	return back;
}

static const char *jget_str(struct json_object *o, const char *path)
{
	struct json_object *v = NULL;
	char key[64], *dot;

	snprintf(key, sizeof(key), "%s", path);
	dot = strchr(key, '.');
	if (dot) {
		*dot = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		return jget_str(o, dot + 1);
	}
	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static void test_version(void)
{
	struct nlmsghdr *nlh = msg_start(KEEL_CMD_VERSION_GET);
	struct json_object *j;
	struct keel_version v;
	char *text;
	int ret;

	mnl_attr_put_strz(nlh, KEEL_A_VERSION, "0.1.0");
	mnl_attr_put_u32(nlh, KEEL_A_API_VERSION, KEEL_API_VERSION);
	mnl_attr_put_strz(nlh, KEEL_A_BUILD_KERNEL, "6.1.0-test");
	mnl_attr_put_strz(nlh, KEEL_A_RUNNING_KERNEL, "6.1.0-test");
	mnl_attr_put_u32(nlh, KEEL_A_MAX + 5, 1);	/* from a newer kernel */
	put_parts(nlh);

	ret = keel_version_parse(nlh, &v);
	ok(ret == 0, "version: parses (%d)", ret);
	ok(v.version && !strcmp(v.version, "0.1.0"), "version: release");
	ok(v.api_version == KEEL_API_VERSION, "version: api %u", v.api_version);
	ok(!v.build_compiler && !v.build_commit, "version: absent strings NULL");
	ok(v.parts.n == 2 && !strcmp(v.parts.v[1].name, "vdev") &&
	   v.parts.v[0].objects == 2, "version: parts");
	ok(keel_parts_find(&v.parts, "core") && !keel_parts_find(&v.parts, "x"),
	   "version: keel_parts_find");

	j = roundtrip(keel_version_json(&v), &text);
	ok(j && !strcmp(jget_str(j, "build.kernel"), "6.1.0-test") &&
	   jget_str(j, "build.commit") == NULL,
	   "version: JSON %s", text);
	json_object_put(j);
	free(text);
	keel_version_free(&v);

	/* API version as a u8: the reply breaks the uapi. */
	nlh = msg_start(KEEL_CMD_VERSION_GET);
	mnl_attr_put_u8(nlh, KEEL_A_API_VERSION, 1);
	ok(keel_version_parse(nlh, &v) == -EPROTO, "version: bad length is EPROTO");
}

static void test_host(void)
{
	static const char *const flags[] = { "fpu", "svm", "avx2" };
	struct nlmsghdr *nlh = msg_start(KEEL_CMD_HOST_GET);
	struct nlattr *nest, *e;
	struct json_object *j, *arr;
	struct keel_host h;
	char *text;
	size_t i;
	int ret;

	nest = mnl_attr_nest_start(nlh, KEEL_A_CPU);
	mnl_attr_put_strz(nlh, KEEL_CPU_A_VENDOR, "AuthenticAMD");
	mnl_attr_put_strz(nlh, KEEL_CPU_A_MODEL_NAME, "AMD EPYC 7B13 64-Core Processor");
	mnl_attr_put_u32(nlh, KEEL_CPU_A_FAMILY, 25);
	mnl_attr_put_u32(nlh, KEEL_CPU_A_MODEL, 1);
	mnl_attr_put_u32(nlh, KEEL_CPU_A_STEPPING, 0);
	mnl_attr_put_u32(nlh, KEEL_CPU_A_ONLINE, 2);
	mnl_attr_put_u32(nlh, KEEL_CPU_A_POSSIBLE, 4);
	for (i = 0; i < 3; i++)
		mnl_attr_put_strz(nlh, KEEL_CPU_A_FLAG, flags[i]);
	mnl_attr_nest_end(nlh, nest);

	nest = mnl_attr_nest_start(nlh, KEEL_A_NUMA);
	for (i = 0; i < 2; i++) {
		e = mnl_attr_nest_start(nlh, KEEL_A_NODE);
		mnl_attr_put_u32(nlh, KEEL_NODE_A_ID, i);
		mnl_attr_put_u64(nlh, KEEL_NODE_A_MEM_TOTAL, (i + 1) << 30);
		mnl_attr_put_u64(nlh, KEEL_NODE_A_MEM_FREE, 1 << 29);
		mnl_attr_put_u32(nlh, KEEL_NODE_A_CPUS, 1);
		mnl_attr_nest_end(nlh, e);
	}
	mnl_attr_nest_end(nlh, nest);

	nest = mnl_attr_nest_start(nlh, KEEL_A_HUGEPAGES);
	e = mnl_attr_nest_start(nlh, KEEL_A_HPAGE);
	mnl_attr_put_u64(nlh, KEEL_HPAGE_A_SIZE, 2 << 20);
	mnl_attr_put_u64(nlh, KEEL_HPAGE_A_TOTAL, 4);
	mnl_attr_put_u64(nlh, KEEL_HPAGE_A_FREE, 3);
	mnl_attr_nest_end(nlh, e);
	mnl_attr_nest_end(nlh, nest);

	nest = mnl_attr_nest_start(nlh, KEEL_A_KVM);
	mnl_attr_put_u8(nlh, KEEL_KVM_A_LOADED, 1);
	mnl_attr_put_strz(nlh, KEEL_KVM_A_VENDOR, "kvm_amd");
	mnl_attr_put_u8(nlh, KEEL_KVM_A_USABLE, 1);
	mnl_attr_put_u8(nlh, KEEL_KVM_A_NESTED, 0);
	mnl_attr_nest_end(nlh, nest);
	put_parts(nlh);

	ret = keel_host_parse(nlh, &h);
	ok(ret == 0, "host: parses (%d)", ret);
	ok(!strcmp(h.cpu.vendor, "AuthenticAMD") && h.cpu.family == 25 &&
	   h.cpu.online == 2 && h.cpu.possible == 4, "host: cpu");
	ok(h.cpu.nflags == 3 && keel_cpu_has_flag(&h.cpu, "svm") &&
	   !keel_cpu_has_flag(&h.cpu, "vmx"), "host: flags");
	ok(h.nnodes == 2 && h.nodes[1].id == 1 &&
	   h.nodes[1].mem_total == 2ull << 30, "host: nodes");
	ok(h.nhpages == 1 && h.hpages[0].size == 2 << 20 &&
	   h.hpages[0].total == 4 && h.hpages[0].free == 3, "host: huge pages");
	ok(h.kvm.loaded && h.kvm.usable && !h.kvm.nested &&
	   !strcmp(h.kvm.vendor, "kvm_amd"), "host: kvm");

	j = roundtrip(keel_host_json(&h), &text);
	ok(j && !strcmp(jget_str(j, "cpu.model_name"),
			"AMD EPYC 7B13 64-Core Processor") &&
	   !strcmp(jget_str(j, "kvm.nested"), "false"),
	   "host: JSON cpu and kvm");
	ok(json_object_object_get_ex(j, "numa", &arr) &&
	   json_object_array_length(arr) == 2 &&
	   json_object_get_uint64(json_object_object_get(
		json_object_array_get_idx(arr, 1), "mem_total")) == 2ull << 30,
	   "host: JSON numa");
	json_object_put(j);
	free(text);
	keel_host_free(&h);
}

static struct nlattr *put_obj(struct nlmsghdr *nlh, const char *label)
{
	struct nlattr *obj, *info, *n;
	static const uint8_t raw[3] = { 1, 2, 3 };

	obj = mnl_attr_nest_start(nlh, KEEL_A_OBJ);
	mnl_attr_put_u32(nlh, KEEL_OBJ_A_ID, 7);
	mnl_attr_put_strz(nlh, KEEL_OBJ_A_TYPE, "vm");
	mnl_attr_put_strz(nlh, KEEL_OBJ_A_PART, "core");
	mnl_attr_put_u32(nlh, KEEL_OBJ_A_OWNER_PID, 1234);
	mnl_attr_put_u32(nlh, KEEL_OBJ_A_VM_PID, 1235);
	mnl_attr_put_strz(nlh, KEEL_OBJ_A_LABEL, label);
	mnl_attr_put_u64(nlh, KEEL_OBJ_A_CREATED_NS, 5000000000ull);
	info = mnl_attr_nest_start(nlh, KEEL_OBJ_A_INFO);
	mnl_attr_put_u32(nlh, KEEL_VM_INFO_A_VCPUS, 3);
	mnl_attr_put_u8(nlh, KEEL_VM_INFO_A_DEAD, 1);
	mnl_attr_put_u32(nlh, 9, 77);			/* unknown: number */
	mnl_attr_put_strz(nlh, 10, "hello");		/* unknown: string */
	mnl_attr_put(nlh, 11, sizeof(raw), raw);	/* unknown: bytes */
	n = mnl_attr_nest_start(nlh, 12);		/* unknown: nest */
	mnl_attr_put_u32(nlh, 1, 1);
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, info);
	mnl_attr_nest_end(nlh, obj);
	return obj;
}

static void test_obj(void)
{
	static const char label[] = "web \"1\" \\ a/b";
	static const char *const want[][2] = {
		{ "vcpus", "3" }, { "dead", "yes" }, { "attr9", "77" },
		{ "attr10", "hello" }, { "attr11", "0x010203" },
		{ "attr12", "0x0800010001000000" },
	};
	struct nlmsghdr *nlh = msg_start(KEEL_CMD_OBJ_GET);
	struct nlattr *nest = put_obj(nlh, label);
	struct json_object *j, *info;
	struct keel_obj o;
	char *text, val[KEEL_INFO_TEXT_MAX];
	size_t i;
	int ret;

	ret = keel_obj_parse(nest, &o);
	ok(ret == 0 && !o.desc, "obj: parses (%d), undescribed", ret);
	o.desc = keel_types_find(&types, o.type);
	ok(o.id == 7 && !strcmp(o.type, "vm") && !strcmp(o.part, "core") &&
	   o.owner_pid == 1234 && o.vm_pid == 1235 &&
	   o.created_ns == 5000000000ull && !strcmp(o.label, label),
	   "obj: fields");
	ok(o.has_info && o.ninfo == 6, "obj: %zu info attributes", o.ninfo);
	for (i = 0; i < o.ninfo && i < 6; i++) {
		struct keel_info_val v;

		keel_info_decode(o.desc, &o.info[i], &v);
		keel_info_format(&v, val, sizeof(val));
		ok(!strcmp(v.name, want[i][0]) && !strcmp(val, want[i][1]) &&
		   !!v.field == (i < 2), "obj: info %s=%s", v.name, val);
	}

	j = roundtrip(keel_obj_json(&o), &text);
	ok(j && !strcmp(jget_str(j, "label"), label),
	   "obj: JSON label escapes round-trip");
	ok(strstr(text, "web \\\"1\\\" \\\\ a/b") != NULL,
	   "obj: JSON text %s", text);
	ok(json_object_object_get_ex(j, "info", &info) &&
	   json_object_get_int(json_object_object_get(info, "vcpus")) == 3 &&
	   json_object_get_boolean(json_object_object_get(info, "dead")) &&
	   json_object_get_int(json_object_object_get(info, "attr9")) == 77 &&
	   !strcmp(jget_str(info, "attr11"), "0x010203"),
	   "obj: JSON info typed");
	json_object_put(j);
	free(text);

	/* The same attributes on another type are decoded by its fields. */
	{
		struct keel_info_val v;

		keel_info_decode(keel_types_find(&types, "ring"), &o.info[0],
				 &v);
		ok(!v.field && !strcmp(v.name, "attr1") &&
		   v.kind == KEEL_INFO_UINT && v.u == 3,
		   "obj: attribute 1 is not a ring's: generic");
		keel_info_decode(NULL, &o.info[1], &v);
		ok(!v.field && !strcmp(v.name, "attr2") &&
		   v.kind == KEEL_INFO_UINT && v.u == 1,
		   "obj: no descriptor: generic");
	}
	/* Without a descriptor (a kernel without TYPE_GET): all generic. */
	o.desc = NULL;
	j = roundtrip(keel_obj_json(&o), &text);
	ok(json_object_object_get_ex(j, "info", &info) &&
	   json_object_get_int(json_object_object_get(info, "attr1")) == 3 &&
	   json_object_get_int(json_object_object_get(info, "attr2")) == 1 &&
	   !json_object_object_get_ex(info, "vcpus", NULL),
	   "obj: JSON without a descriptor %s", text);
	json_object_put(j);
	free(text);
	keel_obj_free(&o);
}

/* KEEL_OBJ_A_ATTACHED (API 4): a flag, in JSON only when set. */
static void test_obj_attached(void)
{
	struct nlmsghdr *nlh = msg_start(KEEL_CMD_OBJ_GET);
	struct nlattr *nest;
	struct json_object *j, *v;
	struct keel_obj o;
	char *text;

	nest = mnl_attr_nest_start(nlh, KEEL_A_OBJ);
	mnl_attr_put_u32(nlh, KEEL_OBJ_A_ID, 9);
	mnl_attr_put_strz(nlh, KEEL_OBJ_A_TYPE, "vdev");
	mnl_attr_put(nlh, KEEL_OBJ_A_ATTACHED, 0, NULL);
	mnl_attr_nest_end(nlh, nest);
	ok(keel_obj_parse(nest, &o) == 0 && o.attached, "attached: parses");
	j = roundtrip(keel_obj_json(&o), &text);
	ok(j && json_object_object_get_ex(j, "attached", &v) &&
	   json_object_is_type(v, json_type_boolean) &&
	   json_object_get_boolean(v), "attached: JSON %s", text);
	json_object_put(j);
	free(text);
	keel_obj_free(&o);

	/* A flag with a payload breaks the uapi. */
	nlh = msg_start(KEEL_CMD_OBJ_GET);
	nest = mnl_attr_nest_start(nlh, KEEL_A_OBJ);
	mnl_attr_put_u32(nlh, KEEL_OBJ_A_ID, 9);
	mnl_attr_put_u32(nlh, KEEL_OBJ_A_ATTACHED, 1);
	mnl_attr_nest_end(nlh, nest);
	ok(keel_obj_parse(nest, &o) == -EPROTO, "attached: with a payload");

	/* Not attached: no member, as before API 4. */
	nlh = msg_start(KEEL_CMD_OBJ_GET);
	ok(keel_obj_parse(put_obj(nlh, "x"), &o) == 0 && !o.attached,
	   "attached: absent is not attached");
	j = keel_obj_json(&o);
	ok(!json_object_object_get_ex(j, "attached", NULL),
	   "attached: no JSON member when not attached");
	json_object_put(j);
	keel_obj_free(&o);
}

static void test_obj_malformed(void)
{
	struct nlmsghdr *nlh = msg_start(KEEL_CMD_OBJ_GET);
	struct nlattr *nest;
	struct keel_obj o;

	nest = mnl_attr_nest_start(nlh, KEEL_A_OBJ);
	mnl_attr_put_u8(nlh, KEEL_OBJ_A_ID, 7);
	mnl_attr_nest_end(nlh, nest);
	ok(keel_obj_parse(nest, &o) == -EPROTO, "obj: u8 id is EPROTO");

	nlh = msg_start(KEEL_CMD_OBJ_GET);
	nest = mnl_attr_nest_start(nlh, KEEL_A_OBJ);
	mnl_attr_put_strz(nlh, KEEL_OBJ_A_TYPE, "vm");
	mnl_attr_nest_end(nlh, nest);
	ok(keel_obj_parse(nest, &o) == -EPROTO, "obj: missing id is EPROTO");

	nlh = msg_start(KEEL_CMD_OBJ_GET);
	nest = mnl_attr_nest_start(nlh, KEEL_A_OBJ);
	mnl_attr_put_u32(nlh, KEEL_OBJ_A_ID, 1);
	mnl_attr_put(nlh, KEEL_OBJ_A_LABEL, 2, "ab");	/* no NUL */
	mnl_attr_nest_end(nlh, nest);
	ok(keel_obj_parse(nest, &o) == -EPROTO,
	   "obj: unterminated string is EPROTO");

	/* An INFO nest whose last attribute runs past its end. */
	{
		struct nlattr *info, *last;

		nlh = msg_start(KEEL_CMD_OBJ_GET);
		nest = mnl_attr_nest_start(nlh, KEEL_A_OBJ);
		mnl_attr_put_u32(nlh, KEEL_OBJ_A_ID, 1);
		info = mnl_attr_nest_start(nlh, KEEL_OBJ_A_INFO);
		mnl_attr_put_u32(nlh, KEEL_VM_INFO_A_VCPUS, 1);
		last = mnl_nlmsg_get_payload_tail(nlh);
		mnl_attr_put_u32(nlh, KEEL_VM_INFO_A_VCPUS, 2);
		mnl_attr_nest_end(nlh, info);
		mnl_attr_nest_end(nlh, nest);
		last->nla_len = 16;
		ok(keel_obj_parse(nest, &o) == -EPROTO,
		   "obj: a truncated INFO nest is EPROTO");
		last->nla_len = 8;
		ok(keel_obj_parse(nest, &o) == 0 && o.ninfo == 2,
		   "obj: the same nest whole parses");
		keel_obj_free(&o);
		/* The object nest itself cut short. */
		info->nla_len += 8;
		ok(keel_obj_parse(nest, &o) == -EPROTO,
		   "obj: an attribute longer than the object nest is EPROTO");
	}
}

static void test_event(void)
{
	struct nlmsghdr *nlh = msg_start(KEEL_CMD_OBJ_DEL);
	struct keel_event ev;
	struct json_object *j;
	char *text;

	put_obj(nlh, "x");
	ok(keel_event_parse(FAMILY, nlh, &ev) == 0 &&
	   ev.cmd == KEEL_CMD_OBJ_DEL && ev.obj.id == 7, "event: OBJ_DEL");
	j = roundtrip(keel_event_json(&ev), &text);
	ok(j && !strcmp(jget_str(j, "event"), "del") &&
	   !strcmp(jget_str(j, "object.type"), "vm"), "event: JSON %s", text);
	json_object_put(j);
	free(text);
	keel_event_free(&ev);

	ok(keel_event_parse(FAMILY + 1, nlh, &ev) == -ENOMSG,
	   "event: other family skipped");
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd =
		KEEL_CMD_VERSION_GET;
	ok(keel_event_parse(FAMILY, nlh, &ev) == -ENOMSG,
	   "event: other command skipped");
}

int main(void)
{
	ok(kernel_types(&types) == 0 && types.n == 3, "descriptors parse");
	test_version();
	test_host();
	test_obj();
	test_obj_attached();
	test_obj_malformed();
	test_event();
	keel_types_free(&types);
	return tap_done();
}
