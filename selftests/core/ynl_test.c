// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "keel" driven by a client Keel did not write:
 * the kernel's YNL client (tools/net/ynl/cli.py) reading the family's spec
 * (Documentation/netlink/specs/keel.yaml) runs every operation and dump and
 * listens to the "events" group, and what it decodes is compared, value by
 * value, with what keelctl -j prints for the same requests: version, host,
 * objects (all, by type, one), the type descriptors, state commands on a
 * ring (run by either client, seen by the other), obj-new and obj-del, and
 * the errors of bad requests. INFO, binary in the spec, is decoded here
 * with the descriptors the client got from type-get.
 *
 * Runs in the test VM, where core/ynl_test.needs has python3, PyYAML, the
 * client (/keel/ynl/cli.py) and the spec (/keel/ynl/keel.yaml) packed;
 * $KEEL_YNL_PYTHON, $KEEL_YNL_CLI, $KEEL_YNL_SPEC and $KEELCTL override the
 * paths. Comparisons that need keelctl's type-descriptor output (keelctl
 * types, INFO named by descriptors) skip while keelctl lacks "types".
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <json-c/json.h>
#include <linux/kvm.h>
#include <linux/netlink.h>
#include <linux/keel.h>
#include <linux/keel_ring.h>
#include <linux/keel_state.h>
#include <linux/keel_vdev.h>

#include "libkeel.h"
#include "kselftest_harness.h"
#include "keel_test_kernel.h"

#ifndef KEELCTL_PATH
#define KEELCTL_PATH "/keel/bin/keelctl"
#endif
#define YNL_PYTHON	"/usr/bin/python3"
#define YNL_CLI		"/keel/ynl/cli.py"
#define YNL_SPEC	"/keel/ynl/keel.yaml"

#define RUN_TIMEOUT_S	120	/* one client run */
/* A test runs cli.py up to ten times, 1.5 s each on 6.1, 4 s on debug. */
#define YNL_TEST_TIMEOUT	240
#define NTF_SLEEP_S	6	/* how long cli.py listens to "events" */
#define MISSING_ID	"2147483646"

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static const char *keelctl_path(void)
{
	return env_or("KEELCTL", KEELCTL_PATH);
}

/* ---- running the clients ---- */

struct out {
	int status;		/* exit code, -1 if killed or not exited */
	char *out;		/* stdout, NUL-terminated */
	char *err;		/* stderr */
};

static void out_free(struct out *o)
{
	free(o->out);
	free(o->err);
	memset(o, 0, sizeof(*o));
}

static char *read_all(int fd)
{
	struct stat st;
	char *buf;
	ssize_t n;

	if (fstat(fd, &st))
		st.st_size = 0;
	buf = malloc(st.st_size + 1);
	if (!buf)
		return NULL;
	n = pread(fd, buf, st.st_size, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

struct proc {
	pid_t pid;
	int out, err;
};

static int spawn(struct proc *p, const char *const *argv)
{
	p->out = memfd_create("ynl-test-out", MFD_CLOEXEC);
	p->err = memfd_create("ynl-test-err", MFD_CLOEXEC);
	if (p->out < 0 || p->err < 0)
		return -errno;
	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (p->pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null < 0 || dup2(null, 0) < 0 || dup2(p->out, 1) < 0 ||
		    dup2(p->err, 2) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return 0;
}

/* Wait up to @timeout_s for @p, kill it after that; collect its output. */
static void reap(struct proc *p, int timeout_s, struct out *o)
{
	int status = 0, i;
	pid_t r = 0;

	for (i = 0; i < timeout_s * 20; i++) {
		r = waitpid(p->pid, &status, WNOHANG);
		if (r)
			break;
		usleep(50000);
	}
	if (!r) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &status, 0);
		status = -1;
	}
	o->status = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	o->out = read_all(p->out);
	o->err = read_all(p->err);
	close(p->out);
	close(p->err);
}

static void run(struct __test_metadata *_metadata, const char *const *argv,
		struct out *o)
{
	struct proc p;

	ASSERT_EQ(0, spawn(&p, argv)) TH_LOG("cannot run %s", argv[0]);
	reap(&p, RUN_TIMEOUT_S, o);
	ASSERT_NE(NULL, o->out);
	ASSERT_NE(NULL, o->err);
}

/* argv of cli.py for @mode ("do", "dump" or NULL) @op with @json. */
static void ynl_argv(const char **argv, const char *mode, const char *op,
		     const char *json)
{
	int n = 0;

	argv[n++] = env_or("KEEL_YNL_PYTHON", YNL_PYTHON);
	argv[n++] = env_or("KEEL_YNL_CLI", YNL_CLI);
	argv[n++] = "--spec";
	argv[n++] = env_or("KEEL_YNL_SPEC", YNL_SPEC);
	argv[n++] = "--no-schema";
	argv[n++] = "--output-json";
	if (mode) {
		argv[n++] = !strcmp(mode, "do") ? "--do" : "--dump";
		argv[n++] = op;
	}
	if (json) {
		argv[n++] = "--json";
		argv[n++] = json;
	}
	argv[n] = NULL;
}

/*
 * Several do requests of @op in one run of cli.py (--multi), which costs as
 * much as one: the list of their replies.
 */
static struct json_object *ynl_multi(struct __test_metadata *_metadata,
				     const char *op, char *const *jsons,
				     size_t n)
{
	const char **argv = calloc(8 + 3 * n, sizeof(*argv));
	struct json_object *j;
	struct out o;
	size_t i, a;

	ASSERT_NE(NULL, argv);
	ynl_argv(argv, NULL, NULL, NULL);
	for (a = 0; argv[a]; a++)
		;
	for (i = 0; i < n; i++) {
		argv[a++] = "--multi";
		argv[a++] = op;
		argv[a++] = jsons[i];
	}
	argv[a] = NULL;
	run(_metadata, argv, &o);
	free(argv);
	EXPECT_EQ(0, o.status) TH_LOG("cli.py --multi %s: %s%s", op, o.out,
				      o.err);
	j = json_tokener_parse(o.out);
	EXPECT_TRUE(j && json_object_array_length(j) == n)
		TH_LOG("cli.py --multi %s: %s", op, o.out);
	out_free(&o);
	return j;
}

/* Run cli.py; a reply must parse as JSON when it succeeded. */
static void ynl_run(struct __test_metadata *_metadata, struct out *o,
		    const char *mode, const char *op, const char *json)
{
	const char *argv[16];

	ynl_argv(argv, mode, op, json);
	run(_metadata, argv, o);
}

/* A successful request: its decoded reply (NULL for an empty do). */
static struct json_object *ynl_req(struct __test_metadata *_metadata,
				   const char *mode, const char *op,
				   const char *json)
{
	struct json_object *j;
	struct out o;

	ynl_run(_metadata, &o, mode, op, json);
	EXPECT_EQ(0, o.status) TH_LOG("cli.py --%s %s %s: %s%s", mode, op,
				      json ? json : "", o.out, o.err);
	j = json_tokener_parse(o.out);
	EXPECT_TRUE(j || !strncmp(o.out, "null", 4))
		TH_LOG("cli.py --%s %s: not JSON: %s", mode, op, o.out);
	out_free(&o);
	return j;
}

static struct json_object *keelctl(struct __test_metadata *_metadata,
				   const char *const *args)
{
	const char *argv[16] = { keelctl_path(), "-j" };
	struct json_object *j;
	struct out o;
	int i;

	for (i = 0; args[i] && i + 3 < 16; i++)
		argv[i + 2] = args[i];
	run(_metadata, argv, &o);
	EXPECT_EQ(0, o.status) TH_LOG("keelctl %s: %s", args[0], o.err);
	j = json_tokener_parse(o.out);
	EXPECT_NE(NULL, j) TH_LOG("keelctl %s: not JSON: %s", args[0], o.out);
	out_free(&o);
	return j;
}

/* Does keelctl know "types" (descriptor-based INFO, the types command)? */
static bool keelctl_has_types(struct __test_metadata *_metadata)
{
	const char *argv[] = { keelctl_path(), "-j", "types", NULL };
	struct out o;
	bool has;

	run(_metadata, argv, &o);
	has = o.status == 0;
	out_free(&o);
	return has;
}

/* ---- JSON ---- */

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static struct json_object *jref(struct json_object *o)
{
	return o ? json_object_get(o) : NULL;
}

/* The member @from of @src under @to in @dst, as it is (or null). */
static void jcopy(struct json_object *dst, const char *to,
		  struct json_object *src, const char *from)
{
	json_object_object_add(dst, to, jref(jget(src, from)));
}

/* A u8 the kernel uses as a flag, as keelctl shows it; null if absent. */
static void jcopy_bool(struct json_object *dst, const char *to,
		       struct json_object *src, const char *from)
{
	struct json_object *v = jget(src, from);

	json_object_object_add(dst, to, v ? json_object_new_boolean(
					json_object_get_int64(v) != 0) : NULL);
}

/* A multi-attr member: always an array, [] when absent. */
static struct json_object *jlist(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	if (!v)
		return json_object_new_array();
	if (json_object_is_type(v, json_type_array))
		return json_object_get(v);
	v = json_object_get(v);
	o = json_object_new_array();
	json_object_array_add(o, v);
	return o;
}

static const char *jtext(struct json_object *o)
{
	return o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE) :
		   "(none)";
}

#define EXPECT_JSON_EQ(want, got, what) do {				\
	struct json_object *__w = (want), *__g = (got);			\
	EXPECT_TRUE(__w && __g && json_object_equal(__w, __g))		\
		TH_LOG("%s differ\n#  cli.py:  %s\n#  keelctl: %s",	\
		       (what), jtext(__w), jtext(__g));			\
} while (0)

static int cmp_str(const void *a, const void *b)
{
	return strcmp(json_object_get_string(*(struct json_object *const *)a),
		      json_object_get_string(*(struct json_object *const *)b));
}

/* ---- the YNL client's replies in keelctl's schema ---- */

static struct json_object *parts_conv(struct json_object *parts)
{
	struct json_object *list = jlist(parts, "part"), *arr;
	size_t i;

	arr = json_object_new_array();
	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *p = json_object_array_get_idx(list, i);
		struct json_object *o = json_object_new_object();

		jcopy(o, "name", p, "name");
		jcopy(o, "objects", p, "objects");
		json_object_array_add(arr, o);
	}
	json_object_put(list);
	return arr;
}

static struct json_object *version_conv(struct json_object *y)
{
	struct json_object *o = json_object_new_object();
	struct json_object *build = json_object_new_object();

	jcopy(o, "version", y, "version");
	jcopy(o, "api_version", y, "api-version");
	jcopy(build, "kernel", y, "build-kernel");
	jcopy(build, "compiler", y, "build-compiler");
	jcopy(build, "commit", y, "build-commit");
	json_object_object_add(o, "build", build);
	jcopy(o, "running_kernel", y, "running-kernel");
	json_object_object_add(o, "parts", parts_conv(jget(y, "parts")));
	return o;
}

static struct json_object *host_conv(struct json_object *y)
{
	struct json_object *o = json_object_new_object();
	struct json_object *ycpu = jget(y, "cpu"), *ykvm = jget(y, "kvm");
	struct json_object *cpu = json_object_new_object();
	struct json_object *kvm = json_object_new_object();
	struct json_object *list, *arr;
	size_t i;

	jcopy(cpu, "vendor", ycpu, "vendor");
	jcopy(cpu, "model_name", ycpu, "model-name");
	jcopy(cpu, "family", ycpu, "family");
	jcopy(cpu, "model", ycpu, "model");
	jcopy(cpu, "stepping", ycpu, "stepping");
	jcopy(cpu, "online", ycpu, "online");
	jcopy(cpu, "possible", ycpu, "possible");
	json_object_object_add(cpu, "flags", jlist(ycpu, "flag"));
	json_object_object_add(o, "cpu", cpu);

	list = jlist(jget(y, "numa"), "node");
	arr = json_object_new_array();
	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *n = json_object_array_get_idx(list, i);
		struct json_object *node = json_object_new_object();

		jcopy(node, "id", n, "id");
		jcopy(node, "mem_total", n, "mem-total");
		jcopy(node, "mem_free", n, "mem-free");
		jcopy(node, "cpus", n, "cpus");
		json_object_array_add(arr, node);
	}
	json_object_put(list);
	json_object_object_add(o, "numa", arr);

	list = jlist(jget(y, "hugepages"), "hpage");
	arr = json_object_new_array();
	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *h = json_object_array_get_idx(list, i);
		struct json_object *pool = json_object_new_object();

		jcopy(pool, "size", h, "size");
		jcopy(pool, "total", h, "total");
		jcopy(pool, "free", h, "free");
		json_object_array_add(arr, pool);
	}
	json_object_put(list);
	json_object_object_add(o, "hugepages", arr);

	jcopy_bool(kvm, "loaded", ykvm, "loaded");
	jcopy(kvm, "vendor", ykvm, "vendor");
	jcopy_bool(kvm, "usable", ykvm, "usable");
	jcopy_bool(kvm, "nested", ykvm, "nested");
	json_object_object_add(o, "kvm", kvm);
	json_object_object_add(o, "parts", parts_conv(jget(y, "parts")));
	return o;
}

/*
 * One field descriptor (the "field" nest of type-get) in keelctl's schema,
 * normalised for comparison: flags sorted, words always there, entry and
 * fields only for a table.
 */
static struct json_object *field_norm(struct json_object *f, bool from_ynl)
{
	struct json_object *o = json_object_new_object();
	struct json_object *flags, *sub, *arr;
	bool table;
	size_t i;

	jcopy(o, "attr", f, "attr");
	jcopy(o, "name", f, "name");
	jcopy(o, "type", f, "type");
	jcopy(o, "unit", f, "unit");
	jcopy(o, "format", f, "format");
	flags = jlist(f, "flags");
	json_object_array_sort(flags, cmp_str);
	json_object_object_add(o, "flags", flags);
	json_object_object_add(o, "words", jlist(f, from_ynl ? "word" : "words"));
	table = jget(f, "type") &&
		!strcmp(json_object_get_string(jget(f, "type")), "table");
	if (table) {
		jcopy(o, "entry", f, "entry");
		sub = jlist(f, from_ynl ? "field" : "fields");
		arr = json_object_new_array();
		for (i = 0; i < json_object_array_length(sub); i++)
			json_object_array_add(arr, field_norm(
				json_object_array_get_idx(sub, i), from_ynl));
		json_object_put(sub);
		json_object_object_add(o, "fields", arr);
	}
	return o;
}

/* A type (type-get's "type" nest, or keelctl's) in the normalised schema. */
static struct json_object *type_norm(struct json_object *t, bool from_ynl)
{
	struct json_object *o = json_object_new_object();
	struct json_object *fields, *arr = json_object_new_array();
	size_t i;

	jcopy(o, "name", t, "name");
	jcopy(o, "part", t, "part");
	fields = jlist(t, from_ynl ? "field" : "fields");
	for (i = 0; i < json_object_array_length(fields); i++)
		json_object_array_add(arr, field_norm(
			json_object_array_get_idx(fields, i), from_ynl));
	json_object_put(fields);
	json_object_object_add(o, "fields", arr);
	return o;
}

/* The YNL dump of type-get, each type normalised. */
static struct json_object *types_conv(struct json_object *dump)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; dump && i < json_object_array_length(dump); i++)
		json_object_array_add(arr, type_norm(jget(
			json_object_array_get_idx(dump, i), "type"), true));
	return arr;
}

static struct json_object *type_find(struct json_object *types,
				     const char *name)
{
	size_t i;

	for (i = 0; types && i < json_object_array_length(types); i++) {
		struct json_object *t = json_object_array_get_idx(types, i);

		if (!strcmp(json_object_get_string(jget(t, "name")), name))
			return t;
	}
	return NULL;
}

/* ---- INFO, decoded with type-get's descriptors ---- */

static size_t unhex(const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	unsigned int b;

	while (hex[0] && hex[1] && n < cap && sscanf(hex, "%2x", &b) == 1) {
		buf[n++] = b;
		hex += 2;
	}
	return n;
}

static struct json_object *word_or_number(struct json_object *words,
					  uint64_t v)
{
	struct json_object *w = NULL;

	if (words && v < json_object_array_length(words))
		w = json_object_array_get_idx(words, v);
	if (w && json_object_get_string_len(w))
		return json_object_get(w);
	return json_object_new_uint64(v);
}

/* An attribute without a descriptor: a number, a string or hex. */
static struct json_object *generic_value(const uint8_t *p, size_t len)
{
	char buf[2 * 512 + 3];
	uint64_t v = 0;
	size_t i;

	if (len == 1 || len == 2 || len == 4 || len == 8) {
		memcpy(&v, p, len);	/* little-endian */
		return json_object_new_uint64(v);
	}
	if (len && !p[len - 1]) {
		for (i = 0; i + 1 < len && p[i] >= 0x20 && p[i] < 0x7f; i++)
			;
		if (i + 1 == len)
			return json_object_new_string((const char *)p);
	}
	strcpy(buf, "0x");
	for (i = 0; i < len && i < 512; i++)
		sprintf(buf + 2 + 2 * i, "%02x", p[i]);
	return json_object_new_string(buf);
}

static struct json_object *decode_attrs(const uint8_t *p, size_t len,
					struct json_object *fields);

/* The value of @f in @p, or NULL when it does not fit the description. */
static struct json_object *field_value(struct json_object *f,
				       const uint8_t *p, size_t len)
{
	const char *type = json_object_get_string(jget(f, "type"));
	const char *format = json_object_get_string(jget(f, "format"));
	struct json_object *words = jget(f, "words");
	size_t want = !strcmp(type, "u8") ? 1 : !strcmp(type, "u32") ? 4 :
		      !strcmp(type, "u64") ? 8 : 0;
	struct json_object *arr;
	uint64_t v = 0;
	unsigned int bit;
	char name[32];

	if (!strcmp(type, "string"))
		return len && !p[len - 1] ?
		       json_object_new_string((const char *)p) : NULL;
	if (!strcmp(type, "table")) {
		uint16_t entry = json_object_get_int(jget(f, "entry"));
		const struct nlattr *a;
		size_t off;

		arr = json_object_new_array();
		for (off = 0; off + NLA_HDRLEN <= len; off += NLA_ALIGN(a->nla_len)) {
			a = (const void *)(p + off);
			if (a->nla_len < NLA_HDRLEN || off + a->nla_len > len)
				break;
			if ((a->nla_type & NLA_TYPE_MASK) != entry)
				continue;
			json_object_array_add(arr, decode_attrs(
				p + off + NLA_HDRLEN, a->nla_len - NLA_HDRLEN,
				jget(f, "fields")));
		}
		return arr;
	}
	if (!want || want != len)
		return NULL;
	memcpy(&v, p, len);
	if (!strcmp(format, "bool"))
		return json_object_new_boolean(v != 0);
	if (!strcmp(format, "enum"))
		return word_or_number(words, v);
	if (!strcmp(format, "flags")) {
		arr = json_object_new_array();
		for (bit = 0; bit < 64; bit++) {
			struct json_object *w = NULL;

			if (!(v & (1ull << bit)))
				continue;
			if (words && bit < json_object_array_length(words))
				w = json_object_array_get_idx(words, bit);
			if (w && json_object_get_string_len(w)) {
				json_object_array_add(arr, json_object_get(w));
			} else {
				snprintf(name, sizeof(name), "bit%u", bit);
				json_object_array_add(arr,
						      json_object_new_string(name));
			}
		}
		return arr;
	}
	return json_object_new_uint64(v);	/* dec, hex, errno */
}

static struct json_object *decode_attrs(const uint8_t *p, size_t len,
					struct json_object *fields)
{
	struct json_object *o = json_object_new_object();
	const struct nlattr *a;
	size_t off, i;
	char name[32];

	for (off = 0; off + NLA_HDRLEN <= len; off += NLA_ALIGN(a->nla_len)) {
		struct json_object *f = NULL, *v;
		uint16_t type;

		a = (const void *)(p + off);
		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > len)
			break;
		type = a->nla_type & NLA_TYPE_MASK;
		for (i = 0; fields && i < json_object_array_length(fields); i++) {
			struct json_object *c = json_object_array_get_idx(fields, i);

			if (json_object_get_int(jget(c, "attr")) == type)
				f = c;
		}
		v = f ? field_value(f, p + off + NLA_HDRLEN,
				    a->nla_len - NLA_HDRLEN) : NULL;
		if (v) {
			json_object_object_add(o, json_object_get_string(
						jget(f, "name")), v);
		} else {
			/* Undescribed, or not as described. */
			snprintf(name, sizeof(name), "attr%u", type);
			json_object_object_add(o, name, generic_value(
				p + off + NLA_HDRLEN, a->nla_len - NLA_HDRLEN));
		}
	}
	return o;
}

static const char *state_type_name(uint32_t type)
{
	/* keelctl's names of the state types (userspace/lib/state.c). */
	switch (type) {
	case KEEL_STATE_TYPE_VDEV_UART16550A:
		return "uart16550a";
	case KEEL_STATE_TYPE_RING:
		return "ring";
	case KEEL_STATE_TYPE_COALESCE:
		return "coalesce";
	case KEEL_STATE_TYPE_MIRROR:
		return "mirror";
	}
	return "?";
}

static struct json_object *state_conv(struct json_object *y)
{
	struct json_object *o = json_object_new_object();
	uint32_t type = json_object_get_int(jget(y, "type"));

	jcopy(o, "state", y, "state");
	json_object_object_add(o, "type",
			       json_object_new_string(state_type_name(type)));
	jcopy(o, "type_id", y, "type");
	jcopy(o, "format", y, "format");
	jcopy(o, "max_len", y, "max-len");
	jcopy(o, "saves", y, "saves");
	jcopy(o, "loads", y, "loads");
	jcopy(o, "rejects", y, "rejects");
	jcopy(o, "changed_ns", y, "changed-ns");
	return o;
}

/* An object (obj nest) in keelctl's schema; INFO decoded by @types. */
static struct json_object *obj_conv(struct json_object *y,
				    struct json_object *types)
{
	struct json_object *o = json_object_new_object();
	struct json_object *info = jget(y, "info"), *t;
	const char *type = json_object_get_string(jget(y, "type"));
	static uint8_t buf[65536];
	size_t len = 0;

	jcopy(o, "id", y, "id");
	jcopy(o, "type", y, "type");
	jcopy(o, "part", y, "part");
	jcopy(o, "owner_pid", y, "owner-pid");
	jcopy(o, "vm_pid", y, "vm-pid");
	jcopy(o, "label", y, "label");
	jcopy(o, "created_ns", y, "created-ns");
	if (info)
		len = unhex(json_object_get_string(info), buf, sizeof(buf));
	t = type ? type_find(types, type) : NULL;
	json_object_object_add(o, "info", decode_attrs(buf, len,
						       t ? jget(t, "fields") : NULL));
	if (jget(y, "state"))
		json_object_object_add(o, "state", state_conv(jget(y, "state")));
	return o;
}

/* A dump of obj-get ([{"obj": ...}, ...]) as keelctl's array. */
static struct json_object *objs_conv(struct json_object *dump,
				     struct json_object *types)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; dump && i < json_object_array_length(dump); i++)
		json_object_array_add(arr, obj_conv(jget(
			json_object_array_get_idx(dump, i), "obj"), types));
	return arr;
}

/*
 * keelctl names INFO by the type descriptors only once it has "types";
 * before that only a vm's INFO, named the same either way, is comparable:
 * drop the others' (from an object or an array of them).
 */
static void drop_info(struct json_object *o, bool keelctl_types)
{
	const char *type;
	size_t i;

	if (keelctl_types || !o)
		return;
	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			drop_info(json_object_array_get_idx(o, i), false);
		return;
	}
	type = json_object_get_string(jget(o, "type"));
	if (!type || strcmp(type, "vm"))
		json_object_object_del(o, "info");
}

/* ---- errors ---- */

struct nl_err {
	int errnum;		/* positive */
	char msg[256];		/* extack message, "" if none */
	char bad_attr[64];	/* ".obj-id": where the kernel pointed */
	char miss_type[64];	/* the missing attribute's name */
	long long min, max, max_len;	/* from the policy, -1 if absent */
};

/* The value of 'key': 'text' (or "text", or a number) in a Python repr. */
static bool repr_field(const char *s, const char *key, char *buf, size_t len)
{
	char pat[64];
	const char *p, *end;
	char q;

	snprintf(pat, sizeof(pat), "'%s': ", key);
	p = strstr(s, pat);
	if (!p)
		return false;
	p += strlen(pat);
	q = *p;
	if (q == '\'' || q == '"') {
		end = strchr(++p, q);
	} else {
		for (end = p; *end && *end != ',' && *end != '}'; end++)
			;
	}
	if (!end || (size_t)(end - p) >= len)
		return false;
	memcpy(buf, p, end - p);
	buf[end - p] = '\0';
	return true;
}

static long long repr_num(const char *s, const char *key)
{
	char buf[32];

	return repr_field(s, key, buf, sizeof(buf)) ? atoll(buf) : -1;
}

/* A request cli.py must see refused; its error as cli.py printed it. */
static void ynl_err(struct __test_metadata *_metadata, const char *mode,
		    const char *op, const char *json, struct nl_err *e)
{
	const char *p;
	struct out o;

	memset(e, 0, sizeof(*e));
	ynl_run(_metadata, &o, mode, op, json);
	EXPECT_EQ(1, o.status) TH_LOG("%s %s: %s", op, json, o.out);
	EXPECT_EQ(0, strncmp(o.out, "Netlink error: ", 15))
		TH_LOG("%s %s: no netlink error: %s%s", op, json, o.out, o.err);
	p = strstr(o.out, "\terror: -");
	if (p)
		e->errnum = atoi(p + 9);
	EXPECT_NE(0, e->errnum) TH_LOG("%s: no errno in %s", op, o.out);
	p = strstr(o.out, "\textack: ");
	if (p) {
		repr_field(p, "msg", e->msg, sizeof(e->msg));
		repr_field(p, "bad-attr", e->bad_attr, sizeof(e->bad_attr));
		repr_field(p, "miss-type", e->miss_type, sizeof(e->miss_type));
	}
	e->min = p ? repr_num(p, "min-value") : -1;
	e->max = p ? repr_num(p, "max-value") : -1;
	e->max_len = p ? repr_num(p, "max-length") : -1;
	out_free(&o);
}

/*
 * keelctl must fail the same way: "keelctl: OP: msg", the kernel's
 * message alone (no errno text before it), or the errno in words when
 * there is none; exit 5 for ENOENT, 4 for EPERM and EACCES, else 1.
 */
static void keelctl_err(struct __test_metadata *_metadata,
			const char *const *args, const char *op,
			const struct nl_err *e)
{
	const char *argv[16] = { keelctl_path(), "-j" };
	char want[512];
	struct out o;
	int i;

	for (i = 0; args[i] && i + 3 < 16; i++)
		argv[i + 2] = args[i];
	run(_metadata, argv, &o);
	snprintf(want, sizeof(want), "keelctl: %s: %s\n", op,
		 e->msg[0] ? e->msg : keel_errno_str(e->errnum));
	EXPECT_EQ(e->errnum == ENOENT ? 5 :
		  e->errnum == EPERM || e->errnum == EACCES ? 4 : 1, o.status);
	EXPECT_STREQ(want, o.err);
	EXPECT_EQ('\0', o.out[0]) TH_LOG("stdout: %s", o.out);
	out_free(&o);
}

/* ---- objects to describe ---- */

struct objs {
	int vm, vcpu[2], keel, ring, vdev;
	uint32_t vm_id, ring_id, vdev_id;	/* 0: none */
};

static uint32_t bind_vm(struct __test_metadata *_metadata, struct objs *x,
			const char *label)
{
	struct keel_vm_bind arg = { .size = sizeof(arg) };

	x->keel = open("/dev/keel", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, x->keel) TH_LOG("open /dev/keel: %s", strerror(errno));
	arg.vm_fd = x->vm;
	snprintf(arg.label, sizeof(arg.label), "%s", label);
	ASSERT_EQ(0, ioctl(x->keel, KEEL_IOC_VM_BIND, &arg))
		TH_LOG("KEEL_IOC_VM_BIND: %s", strerror(errno));
	return arg.id;
}

/* A KVM VM with two vCPUs bound to /dev/keel, a ring, a UART if loaded. */
static void objs_create(struct __test_metadata *_metadata, struct objs *x)
{
	struct keel_ring_setup rs = {
		.size = sizeof(rs), .flags = KEEL_RING_SETUP_AUTOCOMMIT,
		.slots = 16, .slot_size = 64, .start = 5, .event_fd = -1,
		.label = "ynl-ring",
	};
	struct keel_vdev_setup vs = {
		.size = sizeof(vs), .model = KEEL_VDEV_MODEL_UART16550A,
		.bus = KEEL_VDEV_BUS_PIO, .len = 8, .base = 0x3f8,
		.irq_fd = -1, .resample_fd = -1, .label = "ynl-uart",
	};
	int kvm, i;

	memset(x, 0, sizeof(*x));
	x->ring = x->vdev = -1;
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, kvm) TH_LOG("open /dev/kvm: %s", strerror(errno));
	x->vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, x->vm) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
	close(kvm);
	for (i = 0; i < 2; i++) {
		x->vcpu[i] = ioctl(x->vm, KVM_CREATE_VCPU, i);
		ASSERT_LE(0, x->vcpu[i]);
	}
	x->vm_id = bind_vm(_metadata, x, "ynl-vm");

	x->ring = open(KEEL_RING_DEVICE, O_RDWR | O_CLOEXEC);
	if (x->ring >= 0) {
		static const char entry[] = "an entry for the state blob";

		ASSERT_EQ(0, ioctl(x->ring, KEEL_RING_IOC_SETUP, &rs))
			TH_LOG("KEEL_RING_IOC_SETUP: %s", strerror(errno));
		x->ring_id = rs.id;
		for (i = 0; i < 3; i++)
			ASSERT_EQ((ssize_t)sizeof(entry),
				  write(x->ring, entry, sizeof(entry)));
	}
	x->vdev = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	if (x->vdev >= 0) {
		vs.vm_fd = x->vm;
		ASSERT_EQ(0, ioctl(x->vdev, KEEL_VDEV_IOC_SETUP, &vs))
			TH_LOG("KEEL_VDEV_IOC_SETUP: %s", strerror(errno));
		x->vdev_id = vs.id;
	}
}

static void objs_destroy(struct objs *x)
{
	if (x->vdev >= 0)
		close(x->vdev);
	if (x->ring >= 0)
		close(x->ring);
	close(x->keel);
	close(x->vcpu[0]);
	close(x->vcpu[1]);
	close(x->vm);
}

/* ---- the tests ---- */

FIXTURE(ynl) {
	struct json_object *types;	/* type-get dump, normalised */
	bool keelctl_types;		/* keelctl has "types" */
};

/*
 * The type-get dump, fetched once for all tests: each test runs in a child
 * of the harness, so the first one to need it leaves it here, in memory
 * mapped before the children are forked.
 */
#define TYPES_CACHE_MAX	(1 << 20)
static char *types_cache;

__attribute__((constructor)) static void types_cache_map(void)
{
	types_cache = mmap(NULL, TYPES_CACHE_MAX, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (types_cache == MAP_FAILED)
		types_cache = NULL;
}

/* The type descriptors, for the tests that decode INFO. */
static struct json_object *load_types(struct __test_metadata *_metadata)
{
	struct json_object *dump, *types;
	const char *text;

	if (types_cache && types_cache[0]) {
		dump = json_tokener_parse(types_cache);
	} else {
		dump = ynl_req(_metadata, "dump", "type-get", NULL);
		text = dump ? json_object_to_json_string(dump) : "";
		if (types_cache && strlen(text) < TYPES_CACHE_MAX)
			strcpy(types_cache, text);
	}
	ASSERT_NE(NULL, dump);
	types = types_conv(dump);
	json_object_put(dump);
	return types;
}

/*
 * Not on the debug kernel: what this test checks is the spec and a client
 * Keel did not write, which KASAN, lockdep and kmemleak do not bear on,
 * and there each run of the client takes seconds of python starting. The
 * family's paths (every command, dump, event and refusal) run on the
 * debug kernel in core/netlink_test and the suites' keelctl calls.
 */
#define YNL_DEBUG_SKIP \
	"the debug kernel: the family's paths run there in netlink_test and keelctl"

/* Older harnesses run the test after a skip in FIXTURE_SETUP. */
#define SKIPPED_IN_SETUP() do {		\
	if (_metadata->skip)		\
		return;			\
} while (0)

FIXTURE_SETUP(ynl)
{
	self->types = NULL;
	if (keel_test_debug_kernel())
		SKIP(return, YNL_DEBUG_SKIP);
	/* The client is packed by the VM harness: missing it is a failure. */
	ASSERT_EQ(0, access(env_or("KEEL_YNL_PYTHON", YNL_PYTHON), X_OK))
		TH_LOG("no python3: is core/ynl_test.needs packed?");
	ASSERT_EQ(0, access(env_or("KEEL_YNL_CLI", YNL_CLI), R_OK))
		TH_LOG("no YNL client %s", env_or("KEEL_YNL_CLI", YNL_CLI));
	ASSERT_EQ(0, access(env_or("KEEL_YNL_SPEC", YNL_SPEC), R_OK));
	ASSERT_EQ(0, access(keelctl_path(), X_OK))
		TH_LOG("no keelctl at %s", keelctl_path());

	self->keelctl_types = keelctl_has_types(_metadata);
}

FIXTURE_TEARDOWN(ynl)
{
	if (self->types)
		json_object_put(self->types);
}

TEST_F_TIMEOUT(ynl, version_get, YNL_TEST_TIMEOUT)
{
	struct json_object *y, *k, *c;

	SKIPPED_IN_SETUP();
	y = ynl_req(_metadata, "do", "version-get", NULL);
	k = keelctl(_metadata, (const char *[]){ "version", NULL });
	ASSERT_NE(NULL, y);
	ASSERT_NE(NULL, k);
	c = version_conv(y);
	EXPECT_EQ(KEEL_API_VERSION, json_object_get_int(jget(y, "api-version")));
	json_object_object_del(k, "keelctl");	/* keelctl's own version */
	EXPECT_JSON_EQ(c, k, "version");
	json_object_put(c);
	json_object_put(k);
	json_object_put(y);
}

TEST_F_TIMEOUT(ynl, host_get, YNL_TEST_TIMEOUT)
{
	struct json_object *y, *k, *c, *cn, *kn;
	size_t i;

	SKIPPED_IN_SETUP();
	y = ynl_req(_metadata, "do", "host-get", NULL);
	k = keelctl(_metadata, (const char *[]){ "host", NULL });
	ASSERT_NE(NULL, y);
	ASSERT_NE(NULL, k);
	c = host_conv(y);

	/* Free memory moves between the two requests: within 1/8 of total. */
	cn = jget(c, "numa");
	kn = jget(k, "numa");
	for (i = 0; kn && i < json_object_array_length(cn) &&
		    i < json_object_array_length(kn); i++) {
		struct json_object *a = json_object_array_get_idx(cn, i);
		struct json_object *b = json_object_array_get_idx(kn, i);
		int64_t fa = json_object_get_int64(jget(a, "mem_free"));
		int64_t fb = json_object_get_int64(jget(b, "mem_free"));
		int64_t total = json_object_get_int64(jget(a, "mem_total"));

		EXPECT_LT(0, fa);
		EXPECT_GE(total, fa);
		EXPECT_GE(total / 8, llabs(fa - fb))
			TH_LOG("node %zu: free %" PRId64 " vs %" PRId64, i, fa, fb);
		json_object_object_add(a, "mem_free", json_object_new_int64(fb));
	}
	EXPECT_JSON_EQ(c, k, "host");
	json_object_put(c);
	json_object_put(k);
	json_object_put(y);
}

/* obj-get: dumps (all, by type) and a do for every object, both clients. */
TEST_F_TIMEOUT(ynl, obj_get, YNL_TEST_TIMEOUT)
{
	static const char *const filters[] = { "vm", "no-such-type" };
	struct json_object *y, *k, *c, *dos, *one;
	char json[64], *reqs[64];
	struct objs x;
	size_t i, n;

	SKIPPED_IN_SETUP();
	self->types = load_types(_metadata);
	objs_create(_metadata, &x);

	y = ynl_req(_metadata, "dump", "obj-get", NULL);
	k = keelctl(_metadata, (const char *[]){ "objects", NULL });
	ASSERT_NE(NULL, y);
	ASSERT_NE(NULL, k);
	c = objs_conv(y, self->types);
	EXPECT_LE((size_t)(1 + !!x.ring_id + !!x.vdev_id),
		  json_object_array_length(c));
	drop_info(c, false);
	drop_info(k, false);
	EXPECT_JSON_EQ(c, k, "objects");

	/* Each object alone, by id: the do and the dump agree. */
	n = json_object_array_length(y);
	ASSERT_GE((size_t)64, n);
	for (i = 0; i < n; i++)
		ASSERT_LE(0, asprintf(&reqs[i], "{\"obj-id\": %d}",
				      json_object_get_int(jget(jget(
					json_object_array_get_idx(y, i), "obj"),
					"id"))));
	dos = ynl_multi(_metadata, "obj-get", reqs, n);
	for (i = 0; i < n; i++) {
		struct json_object *yo = jget(json_object_array_get_idx(y, i), "obj");
		char id[16];

		free(reqs[i]);
		EXPECT_JSON_EQ(yo, jget(json_object_array_get_idx(dos, i), "obj"),
			       "obj-get do and dump");
		snprintf(id, sizeof(id), "%d", json_object_get_int(jget(yo, "id")));
		one = keelctl(_metadata, (const char *[]){ "objects", "show",
							   id, NULL });
		drop_info(one, false);
		EXPECT_JSON_EQ(json_object_array_get_idx(c, i), one, id);
		json_object_put(one);
	}
	json_object_put(dos);
	json_object_put(c);
	json_object_put(k);
	json_object_put(y);

	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		snprintf(json, sizeof(json), "{\"obj-type\": \"%s\"}", filters[i]);
		y = ynl_req(_metadata, "dump", "obj-get", json);
		k = keelctl(_metadata, (const char *[]){ "objects", "--type",
							 filters[i], NULL });
		c = objs_conv(y, self->types);
		drop_info(c, false);
		drop_info(k, false);
		EXPECT_JSON_EQ(c, k, filters[i]);
		if (!strcmp(filters[i], "vm"))
			EXPECT_LE((size_t)1, json_object_array_length(c));
		json_object_put(c);
		json_object_put(k);
		json_object_put(y);
	}
	objs_destroy(&x);
}

/* INFO of every object as keelctl names it by the type descriptors. */
TEST_F_TIMEOUT(ynl, obj_info, YNL_TEST_TIMEOUT)
{
	struct json_object *y, *k, *c;
	struct objs x;

	SKIPPED_IN_SETUP();
	if (!self->keelctl_types)
		SKIP(return, "needs keelctl with 'types' (INFO by descriptors)");
	self->types = load_types(_metadata);
	objs_create(_metadata, &x);
	y = ynl_req(_metadata, "dump", "obj-get", NULL);
	k = keelctl(_metadata, (const char *[]){ "objects", NULL });
	c = objs_conv(y, self->types);
	EXPECT_JSON_EQ(c, k, "objects with INFO");
	json_object_put(c);
	json_object_put(k);
	json_object_put(y);
	objs_destroy(&x);
}

/* type-get: do and dump agree; "vm" is what the spec's vm-info says. */
TEST_F_TIMEOUT(ynl, type_get, YNL_TEST_TIMEOUT)
{
	static const struct { unsigned int attr; const char *name, *type; }
		vm_info[] = {
		{ KEEL_VM_INFO_A_VCPUS, "vcpus", "u32" },
		{ KEEL_VM_INFO_A_DEAD, "dead", "u8" },
	};
	struct json_object *y, *t, *fields, *f;
	char *reqs[64];
	size_t i, n;

	SKIPPED_IN_SETUP();
	self->types = load_types(_metadata);
	n = json_object_array_length(self->types);
	ASSERT_LE((size_t)1, n);
	ASSERT_GE((size_t)64, n);
	for (i = 0; i < n; i++)
		ASSERT_LE(0, asprintf(&reqs[i], "{\"obj-type\": \"%s\"}",
				      json_object_get_string(jget(
					json_object_array_get_idx(self->types, i),
					"name"))));
	y = ynl_multi(_metadata, "type-get", reqs, n);
	for (i = 0; i < n; i++) {
		struct json_object *want = json_object_array_get_idx(self->types, i);

		free(reqs[i]);
		t = type_norm(jget(json_object_array_get_idx(y, i), "type"), true);
		EXPECT_JSON_EQ(want, t, json_object_get_string(jget(want, "name")));
		json_object_put(t);
	}
	json_object_put(y);

	t = type_find(self->types, "vm");
	ASSERT_NE(NULL, t);
	EXPECT_STREQ("core", json_object_get_string(jget(t, "part")));
	fields = jget(t, "fields");
	ASSERT_EQ((size_t)2, json_object_array_length(fields));
	for (i = 0; i < 2; i++) {
		f = json_object_array_get_idx(fields, i);
		EXPECT_EQ((int)vm_info[i].attr,
			  json_object_get_int(jget(f, "attr")));
		EXPECT_STREQ(vm_info[i].name,
			     json_object_get_string(jget(f, "name")));
		EXPECT_STREQ(vm_info[i].type,
			     json_object_get_string(jget(f, "type")));
	}
	EXPECT_STREQ("bool", json_object_get_string(jget(
		json_object_array_get_idx(fields, 1), "format")));
}

/* keelctl types against the type-get dump, and against one type-get do. */
TEST_F_TIMEOUT(ynl, type_get_keelctl, YNL_TEST_TIMEOUT)
{
	struct json_object *k, *kn;
	size_t i;

	SKIPPED_IN_SETUP();
	if (!self->keelctl_types)
		SKIP(return, "needs keelctl with 'types'");
	self->types = load_types(_metadata);
	k = keelctl(_metadata, (const char *[]){ "types", NULL });
	ASSERT_NE(NULL, k);
	kn = json_object_new_array();
	for (i = 0; i < json_object_array_length(k); i++)
		json_object_array_add(kn, type_norm(
			json_object_array_get_idx(k, i), false));
	EXPECT_JSON_EQ(self->types, kn, "types");
	json_object_put(kn);
	json_object_put(k);
}

static void hex_of(const void *buf, size_t len, char *out)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * len] = '\0';
}

/* YNL runs state-set @cmd on @id; its reply's object against keelctl's. */
static struct json_object *ynl_state(struct __test_metadata *_metadata,
				     struct json_object *types, uint32_t id,
				     const char *cmd, const char *blob_hex,
				     const char *want_state, bool keelctl_types)
{
	struct json_object *y, *c, *k;
	char *json, ids[16];

	ASSERT_LE(0, asprintf(&json, "{\"obj-id\": %u, \"state-cmd\": \"%s\"%s%s%s}",
			      id, cmd, blob_hex ? ", \"state-blob\": \"" : "",
			      blob_hex ? blob_hex : "", blob_hex ? "\"" : ""));
	y = ynl_req(_metadata, "do", "state-set", json);
	free(json);
	ASSERT_NE(NULL, y);
	c = obj_conv(jget(y, "obj"), types);
	EXPECT_STREQ(want_state, json_object_get_string(jget(jget(c, "state"),
							     "state")));
	snprintf(ids, sizeof(ids), "%u", id);
	k = keelctl(_metadata, (const char *[]){ "objects", "show", ids, NULL });
	drop_info(c, keelctl_types);
	drop_info(k, keelctl_types);
	EXPECT_JSON_EQ(c, k, cmd);
	json_object_put(c);
	json_object_put(k);
	return y;
}

/*
 * keelctl runs "state ARGS"; the object as YNL then sees it must match
 * (when @check: each check is a run of cli.py, and they are slow).
 */
static void keelctl_state(struct __test_metadata *_metadata, uint32_t id,
			  const char *const *args, const char *want_state,
			  size_t saved, size_t loaded, bool check)
{
	struct json_object *k, *y, *c;
	char json[64];

	k = keelctl(_metadata, args);
	ASSERT_NE(NULL, k);
	if (!check) {
		EXPECT_STREQ(want_state, json_object_get_string(jget(k, "state")));
		EXPECT_EQ((int)id, json_object_get_int(jget(k, "id")));
		if (loaded)
			EXPECT_EQ((int)loaded,
				  json_object_get_int(jget(k, "loaded_len")));
		json_object_put(k);
		return;
	}
	snprintf(json, sizeof(json), "{\"obj-id\": %u}", id);
	y = ynl_req(_metadata, "do", "obj-get", json);
	c = state_conv(jget(jget(y, "obj"), "state"));
	EXPECT_STREQ(want_state, json_object_get_string(jget(c, "state")));
	json_object_object_add(c, "id", json_object_new_uint64(id));
	if (saved)
		json_object_object_add(c, "saved_len", json_object_new_uint64(saved));
	if (loaded)
		json_object_object_add(c, "loaded_len", json_object_new_uint64(loaded));
	EXPECT_JSON_EQ(c, k, args[1]);
	json_object_put(c);
	json_object_put(y);
	json_object_put(k);
}

static size_t read_file(const char *path, void *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, cap);
	close(fd);
	return n > 0 ? n : 0;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd >= 0) {
		if (write(fd, buf, len) != (ssize_t)len)
			unlink(path);
		close(fd);
	}
}

/*
 * state-set: stop, save, load, swap and resume on a ring through the YNL
 * client, each reply checked against keelctl; then the same commands
 * through keelctl, each result checked through the YNL client; the saved
 * blobs of both clients are the same bytes.
 */
TEST_F_TIMEOUT(ynl, state_set, YNL_TEST_TIMEOUT)
{
	static uint8_t blob[KEEL_STATE_NL_BLOB_MAX], kblob[KEEL_STATE_NL_BLOB_MAX];
	static char hex[2 * KEEL_STATE_NL_BLOB_MAX + 1];
	struct json_object *y, *k, *list, *c;
	const char *b;
	char ids[16];
	size_t len, klen, i;
	struct objs x;

	SKIPPED_IN_SETUP();
	objs_create(_metadata, &x);
	if (!x.ring_id) {
		objs_destroy(&x);
		SKIP(return, "keel_ring.ko is not loaded: no object with state");
	}
	self->types = load_types(_metadata);
	snprintf(ids, sizeof(ids), "%u", x.ring_id);

	json_object_put(ynl_state(_metadata, self->types, x.ring_id, "stop",
				  NULL, "stopped", self->keelctl_types));
	y = ynl_state(_metadata, self->types, x.ring_id, "save", NULL,
		      "stopped", self->keelctl_types);
	b = json_object_get_string(jget(y, "state-blob"));
	ASSERT_NE(NULL, b);
	len = unhex(b, blob, sizeof(blob));
	EXPECT_LT(sizeof(struct keel_state_header), len);
	EXPECT_EQ(strlen(b), 2 * len);
	json_object_put(y);

	/* keelctl saves the same bytes. */
	keelctl_state(_metadata, x.ring_id,
		      (const char *[]){ "state", "save", ids, "ynl-k.blob",
					NULL }, "stopped", len, 0, true);
	klen = read_file("ynl-k.blob", kblob, sizeof(kblob));
	/* keelctl never replaces a file: the swap below writes a new one. */
	unlink("ynl-k.blob");
	EXPECT_EQ(len, klen);
	EXPECT_EQ(0, memcmp(blob, kblob, len));

	hex_of(blob, len, hex);
	json_object_put(ynl_state(_metadata, self->types, x.ring_id, "load",
				  hex, "stopped", self->keelctl_types));
	y = ynl_state(_metadata, self->types, x.ring_id, "swap", hex,
		      "stopped", self->keelctl_types);
	b = json_object_get_string(jget(y, "state-blob"));
	ASSERT_NE(NULL, b);
	EXPECT_STREQ(hex, b);	/* the state it had: the blob loaded before */
	json_object_put(y);
	json_object_put(ynl_state(_metadata, self->types, x.ring_id, "resume",
				  NULL, "running", self->keelctl_types));

	/* keelctl state (the list) against the YNL dump. */
	k = keelctl(_metadata, (const char *[]){ "state", NULL });
	y = ynl_req(_metadata, "dump", "obj-get", NULL);
	list = json_object_new_array();
	for (i = 0; i < json_object_array_length(y); i++) {
		struct json_object *o = jget(json_object_array_get_idx(y, i), "obj");

		if (!jget(o, "state"))
			continue;
		c = state_conv(jget(o, "state"));
		jcopy(c, "id", o, "id");
		jcopy(c, "object", o, "type");
		json_object_array_add(list, c);
	}
	EXPECT_JSON_EQ(list, k, "state list");
	json_object_put(list);
	json_object_put(y);
	json_object_put(k);

	/* The other way round (stop and load seen through the swap). */
	write_file("ynl-y.blob", blob, len);
	keelctl_state(_metadata, x.ring_id,
		      (const char *[]){ "state", "stop", ids, NULL }, "stopped",
		      0, 0, false);
	keelctl_state(_metadata, x.ring_id,
		      (const char *[]){ "state", "load", ids, "ynl-y.blob",
					NULL }, "stopped", 0, len, false);
	keelctl_state(_metadata, x.ring_id,
		      (const char *[]){ "state", "swap", ids, "ynl-y.blob",
					"ynl-k.blob", NULL }, "stopped",
		      len, len, true);
	klen = read_file("ynl-k.blob", kblob, sizeof(kblob));
	EXPECT_EQ(len, klen);
	EXPECT_EQ(0, memcmp(blob, kblob, len));
	keelctl_state(_metadata, x.ring_id,
		      (const char *[]){ "state", "resume", ids, NULL },
		      "running", 0, 0, true);
	unlink("ynl-k.blob");
	unlink("ynl-y.blob");
	objs_destroy(&x);
}

/* ---- notifications ---- */

/* Has process @pid a netlink socket bound to a port and in group @grp? */
static bool subscribed(pid_t pid, uint32_t grp)
{
	unsigned long inodes[64], ino;
	unsigned int proto, port, groups;
	char path[64], link[64], line[256];
	size_t n = 0, i;
	struct dirent *d;
	bool found = false;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return false;
	while ((d = readdir(dir)) && n < 64) {
		char fd[320];
		ssize_t l;

		snprintf(fd, sizeof(fd), "%s/%s", path, d->d_name);
		l = readlink(fd, link, sizeof(link) - 1);
		if (l <= 0)
			continue;
		link[l] = '\0';
		if (sscanf(link, "socket:[%lu]", &ino) == 1)
			inodes[n++] = ino;
	}
	closedir(dir);

	f = fopen("/proc/net/netlink", "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %u %u %x %*s %*s %*s %*s %*s %lu",
			   &proto, &port, &groups, &ino) != 4 ||
		    proto != NETLINK_GENERIC || !port)
			continue;
		for (i = 0; i < n; i++) {
			if (inodes[i] != ino)
				continue;
			/* Only groups 1..32 show; later ones: bound is enough. */
			found = grp > 32 || (groups & (1u << (grp - 1)));
		}
	}
	fclose(f);
	return found;
}

static bool wait_subscribed(pid_t pid, uint32_t grp)
{
	int i;

	for (i = 0; i < 600; i++) {	/* 30 s */
		if (subscribed(pid, grp)) {
			if (grp > 32)
				usleep(500000);
			return true;
		}
		usleep(50000);
	}
	return false;
}

/*
 * obj-new and obj-del on "events": cli.py subscribed for a while and
 * keelctl monitor both see the objects come and go, in the same order,
 * described the same.
 */
TEST_F_TIMEOUT(ynl, notifications, YNL_TEST_TIMEOUT)
{
	const char *mon[] = { keelctl_path(), "-j", "monitor", NULL };
	const char *argv[16];
	struct json_object *y, *c, *k, *line;
	struct proc pm, py;
	struct out om, oy;
	struct keel_error e;
	struct keel_sock *s;
	char sleep_s[8], *p, *nl;
	uint32_t grp, ids[3];
	struct objs x;
	size_t i, nids;

	SKIPPED_IN_SETUP();
	self->types = load_types(_metadata);
	s = keel_open(&e);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, keel_group_id(s, KEEL_GENL_MCGRP_EVENTS, &grp));
	keel_close(s);
	TH_LOG("\"events\" is group %u", grp);

	ASSERT_EQ(0, spawn(&pm, mon));
	ASSERT_TRUE(wait_subscribed(pm.pid, grp)) TH_LOG("keelctl monitor");
	snprintf(sleep_s, sizeof(sleep_s), "%d", NTF_SLEEP_S);
	ynl_argv(argv, NULL, NULL, NULL);
	for (i = 0; argv[i]; i++)
		;
	argv[i++] = "--subscribe";
	argv[i++] = "events";
	argv[i++] = "--sleep";
	argv[i++] = sleep_s;
	argv[i] = NULL;
	ASSERT_EQ(0, spawn(&py, argv));
	ASSERT_TRUE(wait_subscribed(py.pid, grp)) TH_LOG("cli.py --subscribe");

	objs_create(_metadata, &x);
	ids[0] = x.vm_id;
	ids[1] = x.ring_id;
	ids[2] = x.vdev_id;
	nids = 3;
	objs_destroy(&x);

	reap(&py, NTF_SLEEP_S + RUN_TIMEOUT_S, &oy);
	kill(pm.pid, SIGINT);
	reap(&pm, 10, &om);
	ASSERT_EQ(0, oy.status) TH_LOG("cli.py: %s%s", oy.out, oy.err);
	EXPECT_EQ(0, om.status) TH_LOG("keelctl monitor: %s", om.err);

	/* cli.py: [{"name": "obj-new", "msg": {"obj": ...}}, ...] */
	y = json_tokener_parse(oy.out);
	ASSERT_NE(NULL, y) TH_LOG("not JSON: %s", oy.out);
	c = json_object_new_array();
	for (i = 0; i < json_object_array_length(y); i++) {
		struct json_object *n = json_object_array_get_idx(y, i);
		struct json_object *ev = json_object_new_object();
		const char *name = json_object_get_string(jget(n, "name"));

		json_object_object_add(ev, "event", json_object_new_string(
			!strcmp(name, "obj-new") ? "new" :
			!strcmp(name, "obj-del") ? "del" : name));
		json_object_object_add(ev, "object", obj_conv(
			jget(jget(n, "msg"), "obj"), self->types));
		json_object_array_add(c, ev);
	}
	/* keelctl monitor: one event a line. */
	k = json_object_new_array();
	for (p = om.out; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		line = json_tokener_parse(p);
		EXPECT_NE(NULL, line) TH_LOG("monitor printed %s", p);
		if (line)
			json_object_array_add(k, line);
	}
	/* Two events for each object created: new, then del. */
	EXPECT_EQ((size_t)(2 * (!!ids[0] + !!ids[1] + !!ids[2])),
		  json_object_array_length(c));
	for (i = 0; i < nids; i++) {
		size_t j, seen = 0;

		for (j = 0; ids[i] && j < json_object_array_length(c); j++)
			seen += json_object_get_int(jget(jget(
				json_object_array_get_idx(c, j), "object"),
				"id")) == (int)ids[i];
		EXPECT_EQ((size_t)(ids[i] ? 2 : 0), seen)
			TH_LOG("object %u", ids[i]);
	}
	for (i = 0; i < json_object_array_length(c); i++) {
		drop_info(jget(json_object_array_get_idx(c, i), "object"),
			  self->keelctl_types);
		if (i < json_object_array_length(k))
			drop_info(jget(json_object_array_get_idx(k, i), "object"),
				  self->keelctl_types);
	}
	EXPECT_JSON_EQ(c, k, "events");
	json_object_put(c);
	json_object_put(k);
	json_object_put(y);
	out_free(&oy);
	out_free(&om);
}

/* ---- bad requests ---- */

/* Refused by both clients alike: errno and extack message. */
TEST_F_TIMEOUT(ynl, errors_objects, YNL_TEST_TIMEOUT)
{
	struct nl_err e;
	char json[64], vm[16];
	struct objs x;

	SKIPPED_IN_SETUP();
	/* An id no object has: ENOENT pointing at the id. */
	ynl_err(_metadata, "do", "obj-get", "{\"obj-id\": " MISSING_ID "}", &e);
	EXPECT_EQ(ENOENT, e.errnum);
	EXPECT_STREQ(".obj-id", e.bad_attr);
	EXPECT_NE('\0', e.msg[0]);
	keelctl_err(_metadata, (const char *[]){ "objects", "show", MISSING_ID,
						 NULL }, "objects show", &e);
	ynl_err(_metadata, "do", "state-set",
		"{\"obj-id\": " MISSING_ID ", \"state-cmd\": \"stop\"}", &e);
	EXPECT_EQ(ENOENT, e.errnum);
	keelctl_err(_metadata, (const char *[]){ "state", "stop", MISSING_ID,
						 NULL }, "state stop", &e);

	/* Id 0: the policy's minimum (the spec's checks: min 1). */
	ynl_err(_metadata, "do", "obj-get", "{\"obj-id\": 0}", &e);
	EXPECT_EQ(ERANGE, e.errnum);
	EXPECT_STREQ(".obj-id", e.bad_attr);
	EXPECT_EQ(1, e.min);
	keelctl_err(_metadata, (const char *[]){ "objects", "show", "0", NULL },
		    "objects show", &e);

	/* An object without state. */
	objs_create(_metadata, &x);
	snprintf(vm, sizeof(vm), "%u", x.vm_id);
	snprintf(json, sizeof(json), "{\"obj-id\": %u, \"state-cmd\": \"stop\"}",
		 x.vm_id);
	ynl_err(_metadata, "do", "state-set", json, &e);
	EXPECT_EQ(EOPNOTSUPP, e.errnum);
	keelctl_err(_metadata, (const char *[]){ "state", "stop", vm, NULL },
		    "state stop", &e);
	objs_destroy(&x);
}

/* State commands a ring refuses, refused alike for both clients. */
TEST_F_TIMEOUT(ynl, errors_state, YNL_TEST_TIMEOUT)
{
	static uint8_t blob[KEEL_STATE_NL_BLOB_MAX];
	static char hex[2 * KEEL_STATE_NL_BLOB_MAX + 64];
	struct json_object *k, *st;
	struct nl_err e;
	struct objs x;
	char ids[16];
	size_t len;
	int n;

	SKIPPED_IN_SETUP();
	objs_create(_metadata, &x);
	if (!x.ring_id) {
		objs_destroy(&x);
		SKIP(return, "keel_ring.ko is not loaded: no object with state");
	}

	/* Resuming a running ring. */
	snprintf(ids, sizeof(ids), "%u", x.ring_id);
	snprintf(hex, sizeof(hex), "{\"obj-id\": %u, \"state-cmd\": \"resume\"}",
		 x.ring_id);
	ynl_err(_metadata, "do", "state-set", hex, &e);
	EXPECT_EQ(EALREADY, e.errnum);
	keelctl_err(_metadata, (const char *[]){ "state", "resume", ids, NULL },
		    "state resume", &e);

	/* A blob with a flipped byte: refused, the ring unchanged. */
	json_object_put(keelctl(_metadata, (const char *[]){ "state", "stop",
							     ids, NULL }));
	json_object_put(keelctl(_metadata, (const char *[]){
		"state", "save", ids, "ynl-bad.blob", NULL }));
	len = read_file("ynl-bad.blob", blob, sizeof(blob));
	ASSERT_LT(sizeof(struct keel_state_header) + 8, len);
	blob[len - 3] ^= 0x5a;
	write_file("ynl-bad.blob", blob, len);
	n = snprintf(hex, sizeof(hex),
		     "{\"obj-id\": %u, \"state-cmd\": \"load\", \"state-blob\": \"",
		     x.ring_id);
	hex_of(blob, len, hex + n);
	strcat(hex, "\"}");
	ynl_err(_metadata, "do", "state-set", hex, &e);
	EXPECT_NE(0, e.errnum);
	EXPECT_NE('\0', e.msg[0]);
	keelctl_err(_metadata, (const char *[]){ "state", "load", ids,
						 "ynl-bad.blob", NULL },
		    "state load", &e);
	k = keelctl(_metadata, (const char *[]){ "objects", "show", ids, NULL });
	st = jget(k, "state");
	EXPECT_EQ(0, json_object_get_int(jget(st, "loads")));
	EXPECT_EQ(2, json_object_get_int(jget(st, "rejects")));
	json_object_put(k);
	unlink("ynl-bad.blob");
	objs_destroy(&x);
}

/* Requests only the YNL client can make: the generated policies at work. */
TEST_F_TIMEOUT(ynl, errors_policy, YNL_TEST_TIMEOUT)
{
	static char json[2 * (KEEL_STATE_NL_BLOB_MAX + 1) + 64];
	struct nl_err e;
	size_t n;

	SKIPPED_IN_SETUP();
	/* obj-type longer than name-max - 1 bytes. */
	ynl_err(_metadata, "dump", "obj-get",
		"{\"obj-type\": \"a-type-name-longer-than-name-max-bytes\"}", &e);
	EXPECT_EQ(EINVAL, e.errnum);
	EXPECT_STREQ(".obj-type", e.bad_attr);
	EXPECT_EQ(KEEL_NAME_MAX - 1, e.max_len);

	/* A state command past the enum. */
	ynl_err(_metadata, "do", "state-set",
		"{\"obj-id\": 1, \"state-cmd\": 6}", &e);
	EXPECT_EQ(ERANGE, e.errnum);
	EXPECT_STREQ(".state-cmd", e.bad_attr);
	EXPECT_EQ(KEEL_STATE_CMD_STOP, e.min);
	EXPECT_EQ(KEEL_STATE_CMD_MAX, e.max);

	/* A blob longer than a netlink message carries. */
	n = snprintf(json, sizeof(json),
		     "{\"obj-id\": 1, \"state-cmd\": \"load\", \"state-blob\": \"");
	memset(json + n, '0', 2 * (KEEL_STATE_NL_BLOB_MAX + 1));
	strcpy(json + n + 2 * (KEEL_STATE_NL_BLOB_MAX + 1), "\"}");
	ynl_err(_metadata, "do", "state-set", json, &e);
	EXPECT_EQ(ERANGE, e.errnum);
	EXPECT_STREQ(".state-blob", e.bad_attr);
	EXPECT_EQ(KEEL_STATE_NL_BLOB_MAX, e.max_len);

	/* An attribute outside the command's policy. */
	ynl_err(_metadata, "do", "version-get", "{\"api-version\": 3}", &e);
	EXPECT_EQ(EINVAL, e.errnum);
	EXPECT_STREQ(".api-version", e.bad_attr);

	/* A do without its selector. */
	ynl_err(_metadata, "do", "obj-get", NULL, &e);
	EXPECT_EQ(EINVAL, e.errnum);
	EXPECT_TRUE(e.msg[0] || !strcmp(e.miss_type, "obj-id"))
		TH_LOG("miss-type '%s'", e.miss_type);
	ynl_err(_metadata, "do", "type-get", "{\"obj-type\": \"no-such-type\"}",
		&e);
	EXPECT_EQ(ENOENT, e.errnum);
	EXPECT_STREQ(".obj-type", e.bad_attr);
}

TEST_HARNESS_MAIN
