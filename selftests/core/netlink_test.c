// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "keel" seen from userspace through libkeel:
 * VERSION_GET against uname, HOST_GET against what /proc and /sys say
 * about this machine, strict rejection of malformed requests (each with
 * an errno and, where the kernel sets one, an extack message, and the
 * family still answering afterwards), objects and their OBJ_NEW/OBJ_DEL
 * events for a /dev/keel VM binding, and the keelctl binary.
 *
 * Runs as root with keel.ko and a KVM vendor module loaded. keelctl is
 * taken from $KEELCTL, else from KEELCTL_PATH (set at build time).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <json-c/json.h>
#include <linux/genetlink.h>
#include <linux/kvm.h>
#include <linux/keel.h>

#include "libkeel.h"
#include "keel_test_file.h"
#include "kselftest_harness.h"

#ifndef KEELCTL_PATH
#define KEELCTL_PATH "/keel/bin/keelctl"
#endif

#define S(s)		((s) ? (s) : "(null)")
#define MiB		(1024ull * 1024)
#define EVENT_WAIT_MS	3000

/* ---- reading /proc and /sys ---- */

static bool path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Number of CPUs in a sysfs CPU list such as "0-3,8,10-11\n". */
static int cpulist_count(const char *list)
{
	const char *p = list;
	int n = 0;

	while (*p && *p != '\n') {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			return -1;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a)
				return -1;
			p = end;
		}
		n += b - a + 1;
		if (*p == ',')
			p++;
	}
	return n;
}

/* The first processor of /proc/cpuinfo. */
struct cpuinfo {
	char vendor[64];
	char model_name[128];
	long family, model, stepping;	/* -1: absent or "unknown" */
	char flags[8192];		/* " flag1 flag2 ... " */
};

static void cpuinfo_value(char *dst, size_t len, const char *line)
{
	const char *v = strchr(line, ':');
	size_t n;

	v = v ? v + 1 : "";
	while (*v == ' ' || *v == '\t')
		v++;
	n = strcspn(v, "\n");
	snprintf(dst, len, "%.*s", (int)n, v);
}

static long cpuinfo_num(const char *line)
{
	char buf[32], *end;
	long v;

	cpuinfo_value(buf, sizeof(buf), line);
	v = strtol(buf, &end, 10);
	return end == buf ? -1 : v;
}

static int read_cpuinfo(struct cpuinfo *ci)
{
	char line[8192], flags[8192] = "";
	FILE *f = fopen("/proc/cpuinfo", "re");

	memset(ci, 0, sizeof(*ci));
	ci->family = ci->model = ci->stepping = -1;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '\n')
			break;			/* end of the first processor */
		if (!strncmp(line, "vendor_id", 9))
			cpuinfo_value(ci->vendor, sizeof(ci->vendor), line);
		else if (!strncmp(line, "model name", 10))
			cpuinfo_value(ci->model_name, sizeof(ci->model_name), line);
		else if (!strncmp(line, "cpu family", 10))
			ci->family = cpuinfo_num(line);
		else if (!strncmp(line, "model\t", 6))
			ci->model = cpuinfo_num(line);
		else if (!strncmp(line, "stepping", 8))
			ci->stepping = cpuinfo_num(line);
		else if (!strncmp(line, "flags", 5))
			cpuinfo_value(flags, sizeof(flags), line);
	}
	fclose(f);
	snprintf(ci->flags, sizeof(ci->flags), " %s ", flags);
	return 0;
}

static bool cpuinfo_has(const struct cpuinfo *ci, const char *flag)
{
	char word[64];

	snprintf(word, sizeof(word), " %s ", flag);
	return strstr(ci->flags, word) != NULL;
}

/* ---- talking to Keel ---- */

static struct keel_sock *open_keel(struct __test_metadata *_metadata)
{
	struct keel_error err;
	struct keel_sock *s = keel_open(&err);

	ASSERT_NE(NULL, s) TH_LOG("keel_open: %s%s%s", keel_error_str(&err),
				  err.msg[0] ? ": " : "", err.msg);
	return s;
}

static void expect_family_works(struct __test_metadata *_metadata,
				struct keel_sock *s, const char *after)
{
	struct keel_version v;
	int ret = keel_version_get(s, &v);

	EXPECT_EQ(0, ret) TH_LOG("VERSION_GET after %s: %s", after,
				 strerror(-ret));
	if (!ret) {
		EXPECT_EQ(KEEL_API_VERSION, v.api_version);
		keel_version_free(&v);
	}
}

/*
 * Send @nlh; expect the kernel to refuse it with -@want, with an extack
 * message when @want_msg, and the family to keep working.
 */
static void expect_rejected(struct __test_metadata *_metadata,
			    struct keel_sock *s, const struct nlmsghdr *nlh,
			    int want, bool want_msg, const char *what)
{
	const struct keel_error *err = keel_last_error(s);
	int ret = keel_request(s, nlh, NULL, NULL);

	EXPECT_EQ(-want, ret) TH_LOG("%s: got %d (%s) '%s'", what, ret,
				     strerror(-ret), err->msg);
	if (ret == -want) {
		EXPECT_EQ(KEEL_ERR_KERNEL, err->kind) TH_LOG("%s", what);
		if (want_msg) {
			EXPECT_NE('\0', err->msg[0])
				TH_LOG("%s: no extack message", what);
		}
	}
	expect_family_works(_metadata, s, what);
}

static int dump_objects(struct __test_metadata *_metadata,
			struct keel_sock *s, const char *type,
			struct keel_objs *list)
{
	int ret = keel_obj_dump(s, type, list);

	EXPECT_EQ(0, ret) TH_LOG("OBJ_GET dump (type %s): %s: %s", S(type),
				 strerror(-ret), keel_last_error(s)->msg);
	return ret;
}

static uint32_t part_objects(struct __test_metadata *_metadata,
			     struct keel_sock *s, const char *part)
{
	const struct keel_part *p;
	struct keel_version v;
	uint32_t n;

	ASSERT_EQ(0, keel_version_get(s, &v));
	p = keel_parts_find(&v.parts, part);
	EXPECT_NE(NULL, p) TH_LOG("part %s not listed", part);
	n = p ? p->objects : 0;
	keel_version_free(&v);
	return n;
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t info_uint(const struct keel_obj *o, uint16_t attr,
			  bool *found)
{
	const struct keel_info_attr *a = keel_obj_info(o, attr);
	struct keel_info_val v;

	*found = false;
	if (!a)
		return 0;
	keel_info_decode(o->desc, a, &v);
	*found = v.field != NULL;
	keel_info_val_free(&v);
	return v.u;
}

/* ---- version ---- */

TEST(version)
{
	struct keel_sock *s = open_keel(_metadata);
	struct keel_version v;
	struct utsname u;
	int ret;

	ASSERT_EQ(0, uname(&u));
	ret = keel_version_get(s, &v);
	ASSERT_EQ(0, ret) TH_LOG("VERSION_GET: %s", strerror(-ret));

	ASSERT_NE(NULL, v.version);
	EXPECT_NE('\0', v.version[0]);
	EXPECT_EQ(KEEL_API_VERSION, v.api_version);
	ASSERT_NE(NULL, v.running_kernel);
	EXPECT_STREQ(u.release, v.running_kernel);
	/* A module loads only into the kernel release it was built for. */
	ASSERT_NE(NULL, v.build_kernel);
	EXPECT_STREQ(u.release, v.build_kernel);
	ASSERT_NE(NULL, v.build_compiler);
	EXPECT_NE('\0', v.build_compiler[0]);
	ASSERT_NE(NULL, v.build_commit);
	EXPECT_NE('\0', v.build_commit[0]);
	EXPECT_NE(NULL, keel_parts_find(&v.parts, "core"));

	keel_version_free(&v);
	keel_close(s);
}

/* ---- host inventory ---- */

TEST(cpu_identity)
{
	struct keel_sock *s = open_keel(_metadata);
	struct cpuinfo ci;
	struct keel_host h;

	ASSERT_EQ(0, read_cpuinfo(&ci));
	ASSERT_EQ(0, keel_host_get(s, &h));

	ASSERT_NE(NULL, h.cpu.vendor);
	EXPECT_STREQ(ci.vendor, h.cpu.vendor);
	ASSERT_NE(NULL, h.cpu.model_name);
	EXPECT_STREQ(ci.model_name, h.cpu.model_name);
	EXPECT_EQ(ci.family, (long)h.cpu.family);
	EXPECT_EQ(ci.model, (long)h.cpu.model);
	if (ci.stepping >= 0)
		EXPECT_EQ(ci.stepping, (long)h.cpu.stepping);

	keel_host_free(&h);
	keel_close(s);
}

/* Flags a scheduler places by: reported whenever /proc/cpuinfo has them. */
static const char *const sched_flags[] = {
	"lm", "nx", "pdpe1gb", "x2apic", "hypervisor", "ssse3", "sse4_1",
	"sse4_2", "popcnt", "aes", "pclmulqdq", "rdrand", "rdseed", "avx",
	"avx2", "fma", "bmi1", "bmi2", "sha_ni", "avx512f", "avx512bw",
	"avx512cd", "avx512dq", "avx512vl", "avx512_vnni", "rtm", "hle",
	"sgx", "vmx", "svm", "npt", "pku", "vaes", "gfni",
};

TEST(cpu_flags)
{
	struct keel_sock *s = open_keel(_metadata);
	struct cpuinfo ci;
	struct keel_host h;
	size_t i, j;

	ASSERT_EQ(0, read_cpuinfo(&ci));
	ASSERT_EQ(0, keel_host_get(s, &h));

	/* Every flag Keel reports is one /proc/cpuinfo shows, once. */
	for (i = 0; i < h.cpu.nflags; i++) {
		EXPECT_TRUE(cpuinfo_has(&ci, h.cpu.flags[i]))
			TH_LOG("Keel reports '%s', /proc/cpuinfo does not",
			       h.cpu.flags[i]);
		for (j = 0; j < i; j++)
			EXPECT_STRNE(h.cpu.flags[j], h.cpu.flags[i]);
	}
	/* Every scheduler-relevant flag /proc/cpuinfo shows is reported. */
	for (i = 0; i < sizeof(sched_flags) / sizeof(sched_flags[0]); i++) {
		if (cpuinfo_has(&ci, sched_flags[i]))
			EXPECT_TRUE(keel_cpu_has_flag(&h.cpu, sched_flags[i]))
				TH_LOG("/proc/cpuinfo has '%s', Keel does not report it",
				       sched_flags[i]);
	}
	/* This machine runs KVM: its virtualisation flag must be there. */
	EXPECT_TRUE(keel_cpu_has_flag(&h.cpu, "svm") ||
		    keel_cpu_has_flag(&h.cpu, "vmx"));

	keel_host_free(&h);
	keel_close(s);
}

TEST(cpu_counts)
{
	struct keel_sock *s = open_keel(_metadata);
	struct keel_host h;
	char buf[256];

	ASSERT_EQ(0, keel_host_get(s, &h));
	EXPECT_EQ(sysconf(_SC_NPROCESSORS_ONLN), (long)h.cpu.online);
	ASSERT_LT(0, read_text("/sys/devices/system/cpu/possible", buf,
			       sizeof(buf)));
	EXPECT_EQ(cpulist_count(buf), (int)h.cpu.possible);
	EXPECT_LE(h.cpu.online, h.cpu.possible);

	keel_host_free(&h);
	keel_close(s);
}

/* |a - b| <= max(@total / @div, @floor): memory figures read moments apart. */
static bool mem_close(uint64_t a, uint64_t b, uint64_t total, uint64_t div,
		      uint64_t floor)
{
	uint64_t diff = a > b ? a - b : b - a;
	uint64_t tol = total / div > floor ? total / div : floor;

	return diff <= tol;
}

/* "MemTotal:" and "MemFree:" in bytes from a meminfo file. */
static int read_meminfo(const char *path, uint64_t *total, uint64_t *free)
{
	char line[256];
	unsigned long long kb;
	FILE *f = fopen(path, "re");
	int found = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* Node files prefix every line with "Node N ". */
		char *p = strstr(line, "Mem");

		if (!p)
			continue;
		if (sscanf(p, "MemTotal: %llu kB", &kb) == 1) {
			*total = kb * 1024;
			found |= 1;
		} else if (sscanf(p, "MemFree: %llu kB", &kb) == 1) {
			*free = kb * 1024;
			found |= 2;
		}
	}
	fclose(f);
	return found == 3 ? 0 : -ENODATA;
}

static const struct keel_node *find_node(const struct keel_host *h,
					 uint32_t id)
{
	size_t i;

	for (i = 0; i < h->nnodes; i++) {
		if (h->nodes[i].id == id)
			return &h->nodes[i];
	}
	return NULL;
}

static void check_node(struct __test_metadata *_metadata,
		       const struct keel_node *n, const char *meminfo,
		       int cpus)
{
	uint64_t total = 0, free = 0;

	ASSERT_EQ(0, read_meminfo(meminfo, &total, &free))
		TH_LOG("reading %s", meminfo);
	/* Both count the pages the page allocator manages. */
	EXPECT_TRUE(mem_close(total, n->mem_total, total, 50, 8 * MiB))
		TH_LOG("node %u: MemTotal %llu, Keel %llu", n->id,
		       (unsigned long long)total,
		       (unsigned long long)n->mem_total);
	/* Free memory moves: within 5% of the node's memory. */
	EXPECT_TRUE(mem_close(free, n->mem_free, total, 20, 32 * MiB))
		TH_LOG("node %u: MemFree %llu, Keel %llu", n->id,
		       (unsigned long long)free,
		       (unsigned long long)n->mem_free);
	EXPECT_LE(n->mem_free, n->mem_total);
	EXPECT_EQ(cpus, (int)n->cpus) TH_LOG("node %u cpus", n->id);
}

TEST(numa_nodes)
{
	const char *dir = "/sys/devices/system/node";
	struct keel_sock *s = open_keel(_metadata);
	struct keel_host h;
	struct dirent *de;
	size_t nodes = 0;
	uint32_t cpus = 0;
	DIR *d;

	ASSERT_EQ(0, keel_host_get(s, &h));
	ASSERT_LT(0, h.nnodes);

	d = opendir(dir);
	if (!d) {
		/* No NUMA in this kernel: one node 0 holding everything. */
		ASSERT_EQ(1, h.nnodes);
		EXPECT_EQ(0, h.nodes[0].id);
		check_node(_metadata, &h.nodes[0], "/proc/meminfo",
			   sysconf(_SC_NPROCESSORS_ONLN));
		goto out;
	}
	while ((de = readdir(d))) {
		char path[512], list[4096];
		const struct keel_node *n;
		unsigned int id;
		char extra;

		if (sscanf(de->d_name, "node%u%c", &id, &extra) != 1)
			continue;
		nodes++;
		n = find_node(&h, id);
		EXPECT_NE(NULL, n) TH_LOG("node %u missing", id);
		if (!n)
			continue;
		snprintf(path, sizeof(path), "%s/node%u/cpulist", dir, id);
		ASSERT_LE(0, read_text(path, list, sizeof(list)));
		snprintf(path, sizeof(path), "%s/node%u/meminfo", dir, id);
		check_node(_metadata, n, path, cpulist_count(list));
	}
	closedir(d);
	EXPECT_EQ(nodes, h.nnodes) TH_LOG("Keel reports nodes sysfs lacks");
out:
	for (size_t i = 0; i < h.nnodes; i++)
		cpus += h.nodes[i].cpus;
	EXPECT_EQ(h.cpu.online, cpus) TH_LOG("node CPUs do not add up");
	keel_host_free(&h);
	keel_close(s);
}

#define HPAGE_DIR	"/sys/kernel/mm/hugepages"
#define HPAGE_2M_NR	HPAGE_DIR "/hugepages-2048kB/nr_hugepages"

FIXTURE(hugepages) {
	char saved[32];
	bool changed;
};

FIXTURE_SETUP(hugepages)
{
	/* A non-empty pool makes the comparison mean something. */
	if (read_text(HPAGE_2M_NR, self->saved, sizeof(self->saved)) > 0 &&
	    write_text(HPAGE_2M_NR, "4") == 0)
		self->changed = true;
}

FIXTURE_TEARDOWN(hugepages)
{
	if (self->changed)
		EXPECT_EQ(0, write_text(HPAGE_2M_NR, self->saved));
}

TEST_F(hugepages, pools_match_sysfs)
{
	struct keel_sock *s = open_keel(_metadata);
	unsigned long long total, free;
	struct keel_host h;
	struct dirent *de;
	size_t pools = 0, i;
	DIR *d;

	ASSERT_EQ(0, keel_host_get(s, &h));
	d = opendir(HPAGE_DIR);
	while (d && (de = readdir(d))) {
		const struct keel_hpage *p = NULL;
		unsigned long long kb;
		char path[512], rest[8];

		if (sscanf(de->d_name, "hugepages-%llukB%1s", &kb, rest) != 1)
			continue;
		pools++;
		for (i = 0; i < h.nhpages; i++) {
			if (h.hpages[i].size == kb * 1024)
				p = &h.hpages[i];
		}
		EXPECT_NE(NULL, p) TH_LOG("no %llu kB pool", kb);
		if (!p)
			continue;
		snprintf(path, sizeof(path), "%s/%s/nr_hugepages", HPAGE_DIR,
			 de->d_name);
		ASSERT_EQ(0, read_ull(path, &total));
		snprintf(path, sizeof(path), "%s/%s/free_hugepages", HPAGE_DIR,
			 de->d_name);
		ASSERT_EQ(0, read_ull(path, &free));
		EXPECT_EQ(total, p->total) TH_LOG("%llu kB pool total", kb);
		EXPECT_EQ(free, p->free) TH_LOG("%llu kB pool free", kb);
		if (kb == 2048 && self->changed)
			EXPECT_LT(0, p->total) TH_LOG("2 MiB pool still empty");
	}
	if (d)
		closedir(d);
	EXPECT_EQ(pools, h.nhpages);

	keel_host_free(&h);
	keel_close(s);
}

static bool param_true(const char *path)
{
	char buf[16];

	if (read_text(path, buf, sizeof(buf)) <= 0)
		return false;
	return buf[0] == 'Y' || buf[0] == 'y' || buf[0] == '1';
}

TEST(kvm_state)
{
	static const char *const vendors[] = { "kvm_amd", "kvm_intel" };
	struct keel_sock *s = open_keel(_metadata);
	const char *vendor = NULL;
	struct keel_host h;
	char path[128];
	size_t i;

	for (i = 0; i < 2 && !vendor; i++) {
		snprintf(path, sizeof(path), "/sys/module/%s", vendors[i]);
		if (path_exists(path))
			vendor = vendors[i];
	}

	ASSERT_EQ(0, keel_host_get(s, &h));
	EXPECT_EQ(path_exists("/sys/module/kvm"), h.kvm.loaded);
	EXPECT_TRUE(h.kvm.loaded);
	EXPECT_TRUE(h.kvm.usable);
	ASSERT_NE(NULL, vendor) TH_LOG("no KVM vendor module loaded");
	ASSERT_NE(NULL, h.kvm.vendor);
	EXPECT_STREQ(vendor, h.kvm.vendor);
	snprintf(path, sizeof(path), "/sys/module/%s/parameters/nested", vendor);
	EXPECT_EQ(param_true(path), h.kvm.nested);

	/* VERSION_GET and HOST_GET name the same parts. */
	{
		struct keel_version v;

		ASSERT_EQ(0, keel_version_get(s, &v));
		EXPECT_EQ(v.parts.n, h.parts.n);
		for (i = 0; i < v.parts.n; i++)
			EXPECT_NE(NULL, keel_parts_find(&h.parts, v.parts.v[i].name));
		keel_version_free(&v);
	}
	keel_host_free(&h);
	keel_close(s);
}

/* ---- malformed and unknown requests ---- */

FIXTURE(bad) {
	struct keel_sock *s;
};

FIXTURE_SETUP(bad)
{
	self->s = open_keel(_metadata);
}

FIXTURE_TEARDOWN(bad)
{
	keel_close(self->s);
}

TEST_F(bad, unknown_commands)
{
	static const uint8_t cmds[] = {
		KEEL_CMD_UNSPEC, KEEL_CMD_OBJ_NEW, KEEL_CMD_OBJ_DEL,
		KEEL_CMD_MAX + 1, 0xff,
	};
	char what[64];
	size_t i;

	/* No op: the genetlink core answers, without a message. */
	for (i = 0; i < sizeof(cmds); i++) {
		struct nlmsghdr *nlh = keel_msg_start(self->s, cmds[i], NLM_F_ACK);

		snprintf(what, sizeof(what), "command %u", cmds[i]);
		expect_rejected(_metadata, self->s, nlh, EOPNOTSUPP, false, what);
	}
}

TEST_F(bad, unknown_attributes)
{
	static const uint8_t cmds[] = {
		KEEL_CMD_VERSION_GET, KEEL_CMD_HOST_GET, KEEL_CMD_OBJ_GET,
	};
	struct nlmsghdr *nlh;
	char what[64];
	size_t i;

	for (i = 0; i < sizeof(cmds); i++) {
		nlh = keel_msg_start(self->s, cmds[i], NLM_F_ACK);
		mnl_attr_put_u32(nlh, KEEL_A_MAX + 1, 1);
		snprintf(what, sizeof(what), "command %u, attribute %u",
			 cmds[i], KEEL_A_MAX + 1);
		expect_rejected(_metadata, self->s, nlh, EINVAL, true, what);
	}

	/* Reply-only attributes are not inputs. */
	nlh = keel_msg_start(self->s, KEEL_CMD_VERSION_GET, NLM_F_ACK);
	mnl_attr_put_strz(nlh, KEEL_A_VERSION, "0.0.0");
	expect_rejected(_metadata, self->s, nlh, EINVAL, true,
			"VERSION_GET with KEEL_A_VERSION");
	nlh = keel_msg_start(self->s, KEEL_CMD_OBJ_GET, NLM_F_ACK);
	mnl_attr_put_u32(nlh, KEEL_A_OBJ_ID, 1);
	mnl_attr_put_u32(nlh, KEEL_A_API_VERSION, 1);
	expect_rejected(_metadata, self->s, nlh, EINVAL, true,
			"OBJ_GET with KEEL_A_API_VERSION");
	/* The same in a dump request. */
	nlh = keel_msg_start(self->s, KEEL_CMD_OBJ_GET, NLM_F_DUMP);
	mnl_attr_put_u32(nlh, KEEL_A_MAX + 1, 1);
	expect_rejected(_metadata, self->s, nlh, EINVAL, true,
			"OBJ_GET dump, unknown attribute");
}

TEST_F(bad, wrong_attribute_types)
{
	struct nlmsghdr *nlh;

	nlh = keel_msg_start(self->s, KEEL_CMD_OBJ_GET, NLM_F_ACK);
	mnl_attr_put_u8(nlh, KEEL_A_OBJ_ID, 1);
	expect_rejected(_metadata, self->s, nlh, EINVAL, true, "OBJ_ID as u8");

	nlh = keel_msg_start(self->s, KEEL_CMD_OBJ_GET, NLM_F_ACK);
	mnl_attr_put_u64(nlh, KEEL_A_OBJ_ID, 1);
	expect_rejected(_metadata, self->s, nlh, EINVAL, true, "OBJ_ID as u64");

	nlh = keel_msg_start(self->s, KEEL_CMD_OBJ_GET, NLM_F_ACK);
	mnl_attr_put_strz(nlh, KEEL_A_OBJ_ID, "12");
	expect_rejected(_metadata, self->s, nlh, EINVAL, true,
			"OBJ_ID as a string");

	nlh = keel_msg_start(self->s, KEEL_CMD_OBJ_GET, NLM_F_ACK);
	mnl_attr_put(nlh, KEEL_A_OBJ_ID | NLA_F_NESTED, sizeof(uint32_t),
		     &(uint32_t){ 1 });
	expect_rejected(_metadata, self->s, nlh, EINVAL, true,
			"OBJ_ID flagged as a nest");

	nlh = keel_msg_start(self->s, KEEL_CMD_OBJ_GET, NLM_F_DUMP);
	mnl_attr_put(nlh, KEEL_A_OBJ_TYPE, 2, "vm");	/* no NUL */
	expect_rejected(_metadata, self->s, nlh, EINVAL, true,
			"OBJ_TYPE without its NUL");

	nlh = keel_msg_start(self->s, KEEL_CMD_OBJ_GET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, KEEL_A_OBJ_TYPE,
			  "a-type-name-longer-than-KEEL_NAME_MAX-bytes");
	expect_rejected(_metadata, self->s, nlh, EINVAL, true,
			"OBJ_TYPE longer than KEEL_NAME_MAX");
}

TEST_F(bad, object_selection)
{
	const struct keel_error *err = keel_last_error(self->s);
	struct nlmsghdr *nlh;
	struct keel_obj o;
	int ret;

	/* An id no object has: ENOENT, pointing at the id. */
	ret = keel_obj_get(self->s, 0x7ffffffe, &o);
	EXPECT_EQ(-ENOENT, ret);
	EXPECT_EQ(KEEL_ERR_KERNEL, err->kind);
	EXPECT_NE('\0', err->msg[0]);
	EXPECT_TRUE(err->has_offset);
	EXPECT_EQ(MNL_NLMSG_HDRLEN + GENL_HDRLEN, err->offset);
	expect_family_works(_metadata, self->s, "a missing id");

	ret = keel_obj_get(self->s, UINT32_MAX, &o);
	EXPECT_TRUE(ret == -ENOENT || ret == -EINVAL) TH_LOG("id ~0: %d", ret);
	EXPECT_NE('\0', err->msg[0]);

	/* Ids start at 1: the policy's range check refuses 0. */
	nlh = keel_msg_start(self->s, KEEL_CMD_OBJ_GET, NLM_F_ACK);
	mnl_attr_put_u32(nlh, KEEL_A_OBJ_ID, 0);
	expect_rejected(_metadata, self->s, nlh, ERANGE, true, "id 0");

	/* A doit without the id: the message or the missing type says so. */
	nlh = keel_msg_start(self->s, KEEL_CMD_OBJ_GET, NLM_F_ACK);
	ret = keel_request(self->s, nlh, NULL, NULL);
	EXPECT_EQ(-EINVAL, ret);
	EXPECT_TRUE(err->msg[0] ||
		    (err->has_miss_type && err->miss_type == KEEL_A_OBJ_ID))
		TH_LOG("OBJ_GET without an id: no explanation");
	expect_family_works(_metadata, self->s, "a doit without id");

	/* A dump takes no id. */
	nlh = keel_msg_start(self->s, KEEL_CMD_OBJ_GET, NLM_F_DUMP);
	mnl_attr_put_u32(nlh, KEEL_A_OBJ_ID, 1);
	expect_rejected(_metadata, self->s, nlh, EINVAL, true, "dump with an id");
}

TEST_F(bad, headers_and_garbage)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	char raw[64];
	int ret;

	nlh = keel_msg_start(self->s, KEEL_CMD_VERSION_GET, NLM_F_ACK);
	genl = mnl_nlmsg_get_payload(nlh);
	genl->reserved = 1;
	expect_rejected(_metadata, self->s, nlh, EINVAL, true,
			"genlmsghdr.reserved set");

	nlh = keel_msg_start(self->s, KEEL_CMD_VERSION_GET, NLM_F_ACK | NLM_F_ROOT);
	expect_rejected(_metadata, self->s, nlh, EINVAL, true,
			"reserved nlmsg_flags");

	nlh = keel_msg_start(self->s, KEEL_CMD_OBJ_GET, NLM_F_DUMP);
	memcpy(mnl_nlmsg_get_payload_tail(nlh), "\xff\xff\x01\x00\x07\x08", 6);
	nlh->nlmsg_len += 6;
	expect_rejected(_metadata, self->s, nlh, EINVAL, true,
			"bytes that are not attributes");

	/* The generic netlink header cut short. */
	memset(raw, 0, sizeof(raw));
	nlh = (struct nlmsghdr *)raw;
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
	nlh->nlmsg_type = keel_family_id(self->s);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 0x7fff0001;
	ASSERT_EQ(0, keel_send_raw(self->s, raw, nlh->nlmsg_len));
	ret = keel_recv_reply(self->s, nlh->nlmsg_seq, NULL, NULL);
	EXPECT_EQ(-EINVAL, ret);
	expect_family_works(_metadata, self->s, "a truncated header");

	/* Too short for a netlink header, or longer than what was sent. */
	ASSERT_EQ(0, keel_send_raw(self->s, "\x01\x02\x03", 3));
	expect_family_works(_metadata, self->s, "three bytes of garbage");
	nlh->nlmsg_len = sizeof(raw) * 4;
	ASSERT_EQ(0, keel_send_raw(self->s, raw, sizeof(raw)));
	expect_family_works(_metadata, self->s, "a message longer than sent");
}

/* ---- objects and events ---- */

TEST(objects_consistent)
{
	struct keel_sock *s = open_keel(_metadata);
	struct keel_version v;
	struct keel_objs all, none;
	uint32_t sum = 0;
	size_t i, j;

	ASSERT_EQ(0, dump_objects(_metadata, s, NULL, &all));
	ASSERT_EQ(0, keel_version_get(s, &v));
	for (i = 0; i < v.parts.n; i++)
		sum += v.parts.v[i].objects;
	EXPECT_EQ(sum, all.n) TH_LOG("parts count %u objects, dump has %zu",
				     sum, all.n);
	for (i = 0; i < all.n; i++) {
		const struct keel_obj *o = &all.v[i];

		EXPECT_NE(0, o->id);
		EXPECT_NE(NULL, o->type);
		EXPECT_NE(NULL, o->part);
		if (o->part)
			EXPECT_NE(NULL, keel_parts_find(&v.parts, o->part));
		for (j = 0; j < i; j++)
			EXPECT_NE(all.v[j].id, o->id);
	}

	ASSERT_EQ(0, dump_objects(_metadata, s, "no-such-type", &none));
	EXPECT_EQ(0, none.n);

	keel_objs_free(&none);
	keel_objs_free(&all);
	keel_version_free(&v);
	keel_close(s);
}

struct event_wait {
	uint16_t family;
	uint8_t cmd;
	uint32_t id;
	bool found;
	struct keel_event ev;
};

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct event_wait *w = data;
	struct keel_event ev;

	if (w->found || keel_event_parse(w->family, nlh, &ev))
		return MNL_CB_OK;
	if (ev.cmd == w->cmd && ev.obj.id == w->id) {
		w->ev = ev;
		w->found = true;
	} else {
		keel_event_free(&ev);
	}
	return MNL_CB_OK;
}

/* Wait for event @cmd about object @id on @evs; fills w->ev. */
static bool wait_event(struct keel_sock *evs, uint8_t cmd, uint32_t id,
		       struct event_wait *w)
{
	uint64_t deadline = boottime_ns() + EVENT_WAIT_MS * 1000000ull;

	memset(w, 0, sizeof(*w));
	w->family = keel_family_id(evs);
	w->cmd = cmd;
	w->id = id;
	while (!w->found && boottime_ns() < deadline) {
		int ret = keel_recv_events(evs, event_cb, w);

		if (ret && ret != -EAGAIN && ret != -EINTR && ret != -ENOBUFS)
			break;
	}
	return w->found;
}

static int create_vm(struct __test_metadata *_metadata, int nvcpus,
		     int *vcpus)
{
	int kvm, vm, i;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, kvm) TH_LOG("open /dev/kvm: %s", strerror(errno));
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
	close(kvm);
	for (i = 0; i < nvcpus; i++) {
		vcpus[i] = ioctl(vm, KVM_CREATE_VCPU, i);
		ASSERT_LE(0, vcpus[i]) TH_LOG("KVM_CREATE_VCPU: %s",
					      strerror(errno));
	}
	return vm;
}

static int bind_vm(struct __test_metadata *_metadata, int vm,
		   const char *label, uint32_t *id)
{
	struct keel_vm_bind arg;
	int keel;

	keel = open("/dev/keel", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, keel) TH_LOG("open /dev/keel: %s", strerror(errno));
	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	arg.vm_fd = vm;
	snprintf(arg.label, sizeof(arg.label), "%s", label);
	ASSERT_EQ(0, ioctl(keel, KEEL_IOC_VM_BIND, &arg))
		TH_LOG("KEEL_IOC_VM_BIND: %s", strerror(errno));
	*id = arg.id;
	return keel;
}

static void check_vm_obj(struct __test_metadata *_metadata,
			 const struct keel_obj *o, uint32_t id,
			 const char *label, uint64_t vcpus, bool dead)
{
	uint64_t v;
	bool found;

	EXPECT_EQ(id, o->id);
	ASSERT_NE(NULL, o->type);
	EXPECT_STREQ("vm", o->type);
	ASSERT_NE(NULL, o->part);
	EXPECT_STREQ("core", o->part);
	EXPECT_EQ((uint32_t)getpid(), o->owner_pid);
	EXPECT_EQ((uint32_t)getpid(), o->vm_pid);
	ASSERT_NE(NULL, o->label);
	EXPECT_STREQ(label, o->label);
	EXPECT_LT(0, o->created_ns);
	EXPECT_GE(boottime_ns(), o->created_ns);
	EXPECT_TRUE(o->has_info);
	v = info_uint(o, KEEL_VM_INFO_A_VCPUS, &found);
	EXPECT_TRUE(found);
	EXPECT_EQ(vcpus, v);
	v = info_uint(o, KEEL_VM_INFO_A_DEAD, &found);
	EXPECT_TRUE(found);
	EXPECT_EQ(dead, v);
}

#define NR_VCPUS	2

TEST(vm_binding_object_and_events)
{
	static const char label[] = "netlink-test vm";
	struct keel_sock *s = open_keel(_metadata);
	struct keel_sock *evs = open_keel(_metadata);
	struct keel_objs all, vms;
	struct event_wait w;
	int vm, keel, vcpus[NR_VCPUS], i;
	uint32_t id, before;
	struct keel_obj o;

	ASSERT_EQ(0, keel_join(evs, KEEL_GENL_MCGRP_EVENTS));
	ASSERT_EQ(0, keel_set_timeout(evs, 200));
	before = part_objects(_metadata, s, "core");

	vm = create_vm(_metadata, NR_VCPUS, vcpus);
	keel = bind_vm(_metadata, vm, label, &id);
	EXPECT_NE(0, id);

	ASSERT_TRUE(wait_event(evs, KEEL_CMD_OBJ_NEW, id, &w))
		TH_LOG("no OBJ_NEW for object %u", id);
	ASSERT_EQ(0, keel_obj_describe(s, &w.ev.obj));
	check_vm_obj(_metadata, &w.ev.obj, id, label, NR_VCPUS, false);
	keel_event_free(&w.ev);

	ASSERT_EQ(0, keel_obj_get(s, id, &o));
	check_vm_obj(_metadata, &o, id, label, NR_VCPUS, false);
	keel_obj_free(&o);

	ASSERT_EQ(0, dump_objects(_metadata, s, NULL, &all));
	ASSERT_NE(NULL, keel_objs_find(&all, id));
	check_vm_obj(_metadata, keel_objs_find(&all, id), id, label,
		     NR_VCPUS, false);
	ASSERT_EQ(0, dump_objects(_metadata, s, "vm", &vms));
	EXPECT_NE(NULL, keel_objs_find(&vms, id));
	for (size_t j = 0; j < vms.n; j++)
		EXPECT_STREQ("vm", S(vms.v[j].type));
	keel_objs_free(&vms);
	keel_objs_free(&all);
	EXPECT_EQ(before + 1, part_objects(_metadata, s, "core"));

	/* The VMM lets go of the VM: only Keel holds it now. */
	for (i = 0; i < NR_VCPUS; i++)
		close(vcpus[i]);
	close(vm);
	ASSERT_EQ(0, keel_obj_get(s, id, &o));
	check_vm_obj(_metadata, &o, id, label, NR_VCPUS, true);
	keel_obj_free(&o);

	/* Releasing the binding deletes the object. */
	close(keel);
	ASSERT_TRUE(wait_event(evs, KEEL_CMD_OBJ_DEL, id, &w))
		TH_LOG("no OBJ_DEL for object %u", id);
	EXPECT_STREQ(label, S(w.ev.obj.label));
	keel_event_free(&w.ev);
	EXPECT_EQ(-ENOENT, keel_obj_get(s, id, &o));
	ASSERT_EQ(0, dump_objects(_metadata, s, NULL, &all));
	EXPECT_EQ(NULL, keel_objs_find(&all, id));
	keel_objs_free(&all);
	EXPECT_EQ(before, part_objects(_metadata, s, "core"));

	keel_close(evs);
	keel_close(s);
}

/* ---- object types ---- */

/* keel.ko describes its "vm" objects; libkeel decodes their INFO by it. */
TEST(type_get_vm)
{
	struct keel_sock *s = open_keel(_metadata);
	const struct keel_types *types;
	const struct keel_type *vm;
	struct keel_type t;
	int ret;

	ret = keel_type_get(s, "vm", &t);
	ASSERT_EQ(0, ret) TH_LOG("TYPE_GET vm: %s", strerror(-ret));
	EXPECT_STREQ("vm", t.name);
	EXPECT_STREQ("core", S(t.part));
	ASSERT_EQ(2, t.nfields);
	EXPECT_EQ(KEEL_VM_INFO_A_VCPUS, t.fields[0].attr);
	EXPECT_STREQ("vcpus", t.fields[0].name);
	EXPECT_EQ(KEEL_FIELD_TYPE_U32, t.fields[0].type);
	EXPECT_EQ(KEEL_FIELD_F_BRIEF, t.fields[0].flags);
	EXPECT_EQ(KEEL_VM_INFO_A_DEAD, t.fields[1].attr);
	EXPECT_STREQ("dead", t.fields[1].name);
	EXPECT_EQ(KEEL_FIELD_TYPE_U8, t.fields[1].type);
	EXPECT_EQ(KEEL_FIELD_FORMAT_BOOL, t.fields[1].format);
	keel_type_free(&t);

	EXPECT_EQ(-ENOENT, keel_type_get(s, "no-such-type", &t));
	EXPECT_NE('\0', keel_last_error(s)->msg[0]);

	/* The dump behind every socket's cache has it too. */
	types = keel_types_cached(s);
	ASSERT_NE(NULL, types) TH_LOG("TYPE_GET dump: %s",
				      strerror(keel_last_error(s)->errnum));
	vm = keel_types_find(types, "vm");
	ASSERT_NE(NULL, vm);
	EXPECT_EQ(2, vm->nfields);
	EXPECT_EQ(types, keel_types_cached(s));
	keel_close(s);
}

/* ---- keelctl ---- */

struct run {
	int status;		/* exit code, or -1 if it did not exit */
	char out[65536];
	char err[8192];
};

static const char *keelctl_path(void)
{
	const char *p = getenv("KEELCTL");

	return p && *p ? p : KEELCTL_PATH;
}

static void read_memfd(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Run keelctl with @argv (NULL-terminated, without argv[0]). */
static void run_keelctl(struct __test_metadata *_metadata, struct run *r,
			const char *const *argv)
{
	const char *args[16] = { keelctl_path() };
	int out, err, status;
	pid_t pid;
	size_t i;

	for (i = 0; argv[i] && i + 2 < 16; i++)
		args[i + 1] = argv[i];
	out = memfd_create("keelctl-out", MFD_CLOEXEC);
	err = memfd_create("keelctl-err", MFD_CLOEXEC);
	ASSERT_LE(0, out);
	ASSERT_LE(0, err);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(127);
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	read_memfd(out, r->out, sizeof(r->out));
	read_memfd(err, r->err, sizeof(r->err));
}

/* keelctl tests skip when the binary is not there. */
#define NEED_KEELCTL() do {						\
	if (access(keelctl_path(), X_OK))				\
		SKIP(return, "%s: %s (set KEELCTL)", keelctl_path(),	\
		     strerror(errno));					\
} while (0)

/* Per test, and too large for the stack: each test runs in its own process. */
static struct run run;

TEST(keelctl_host_json)
{
	struct json_object *j, *cpu, *v;
	struct keel_sock *s;
	struct cpuinfo ci;
	struct keel_host h;

	NEED_KEELCTL();
	s = open_keel(_metadata);

	run_keelctl(_metadata, &run, (const char *[]){ "-j", "host", NULL });
	ASSERT_EQ(0, run.status) TH_LOG("stderr: %s", run.err);
	j = json_tokener_parse(run.out);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", run.out);
	ASSERT_TRUE(json_object_object_get_ex(j, "cpu", &cpu));
	ASSERT_TRUE(json_object_object_get_ex(cpu, "model_name", &v));

	ASSERT_EQ(0, read_cpuinfo(&ci));
	EXPECT_STREQ(ci.model_name, json_object_get_string(v));
	ASSERT_EQ(0, keel_host_get(s, &h));
	ASSERT_TRUE(json_object_object_get_ex(cpu, "online", &v));
	EXPECT_EQ(h.cpu.online, json_object_get_uint64(v));
	ASSERT_TRUE(json_object_object_get_ex(cpu, "flags", &v));
	EXPECT_EQ(h.cpu.nflags, json_object_array_length(v));

	keel_host_free(&h);
	json_object_put(j);
	keel_close(s);
}

TEST(keelctl_version)
{
	struct json_object *j, *v;
	struct utsname u;

	NEED_KEELCTL();

	ASSERT_EQ(0, uname(&u));
	run_keelctl(_metadata, &run, (const char *[]){ "version", NULL });
	EXPECT_EQ(0, run.status) TH_LOG("stderr: %s", run.err);
	EXPECT_NE(NULL, strstr(run.out, u.release));

	run_keelctl(_metadata, &run,
		    (const char *[]){ "version", "--json", NULL });
	ASSERT_EQ(0, run.status);
	j = json_tokener_parse(run.out);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", run.out);
	ASSERT_TRUE(json_object_object_get_ex(j, "api_version", &v));
	EXPECT_EQ(KEEL_API_VERSION, json_object_get_int(v));
	json_object_put(j);
}

TEST(keelctl_usage_and_errors)
{
	struct json_object *j;

	NEED_KEELCTL();

	run_keelctl(_metadata, &run, (const char *[]){ "bogus", NULL });
	EXPECT_EQ(2, run.status);
	EXPECT_NE(NULL, strstr(run.err, "Usage:"));
	EXPECT_EQ('\0', run.out[0]);

	run_keelctl(_metadata, &run, (const char *[]){ "host", "--frob", NULL });
	EXPECT_EQ(2, run.status);

	/* Not found: exit 5, the kernel's reason with no errno text. */
	run_keelctl(_metadata, &run,
		    (const char *[]){ "objects", "show", "2147483646", NULL });
	EXPECT_EQ(5, run.status);
	EXPECT_STREQ("keelctl: objects show: no object with this id\n",
		     run.err);

	run_keelctl(_metadata, &run, (const char *[]){ "-j", "objects", NULL });
	EXPECT_EQ(0, run.status);
	j = json_tokener_parse(run.out);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", run.out);
	EXPECT_TRUE(json_object_is_type(j, json_type_array));
	json_object_put(j);
}

TEST(keelctl_types)
{
	struct json_object *j, *f, *v;

	NEED_KEELCTL();
	run_keelctl(_metadata, &run,
		    (const char *[]){ "-j", "types", "show", "vm", NULL });
	ASSERT_EQ(0, run.status) TH_LOG("stderr: %s", run.err);
	j = json_tokener_parse(run.out);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", run.out);
	ASSERT_TRUE(json_object_object_get_ex(j, "fields", &f));
	ASSERT_EQ(2, json_object_array_length(f));
	f = json_object_array_get_idx(f, 1);
	ASSERT_TRUE(json_object_object_get_ex(f, "name", &v));
	EXPECT_STREQ("dead", json_object_get_string(v));
	ASSERT_TRUE(json_object_object_get_ex(f, "format", &v));
	EXPECT_STREQ("bool", json_object_get_string(v));
	json_object_put(j);

	run_keelctl(_metadata, &run, (const char *[]){ "types", NULL });
	EXPECT_EQ(0, run.status);
	EXPECT_NE(NULL, strstr(run.out, "vm ")) TH_LOG("%s", run.out);
	run_keelctl(_metadata, &run,
		    (const char *[]){ "types", "show", "nosuch", NULL });
	EXPECT_EQ(5, run.status);
	EXPECT_STREQ("keelctl: types show: no object type of this name\n",
		     run.err);
}

TEST(keelctl_monitor)
{
	struct json_object *j, *v, *o;
	int pipefd[2], vm, status, vcpu, keel = -1;
	char line[4096] = "";
	uint32_t id;
	pid_t pid;
	size_t len = 0;
	int tries;

	NEED_KEELCTL();

	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (dup2(pipefd[1], 1) < 0)
			_exit(127);
		execl(keelctl_path(), keelctl_path(), "-j", "monitor", NULL);
		_exit(127);
	}
	close(pipefd[1]);

	/* Bind until the monitor (subscribed at some point) prints a line. */
	vm = create_vm(_metadata, 1, &vcpu);
	for (tries = 0; tries < 50 && !strchr(line, '\n'); tries++) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };

		keel = bind_vm(_metadata, vm, "monitored", &id);
		close(keel);
		while (poll(&pfd, 1, 100) > 0 && !strchr(line, '\n')) {
			ssize_t n = read(pipefd[0], line + len,
					 sizeof(line) - 1 - len);
			if (n <= 0)
				break;
			len += n;
			line[len] = '\0';
		}
	}
	kill(pid, SIGINT);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	close(pipefd[0]);
	close(vcpu);
	close(vm);

	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("monitor status 0x%x", status);
	ASSERT_NE(NULL, strchr(line, '\n')) TH_LOG("monitor printed nothing");
	*strchr(line, '\n') = '\0';
	j = json_tokener_parse(line);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: %s", line);
	ASSERT_TRUE(json_object_object_get_ex(j, "event", &v));
	EXPECT_TRUE(!strcmp(json_object_get_string(v), "new") ||
		    !strcmp(json_object_get_string(v), "del"));
	ASSERT_TRUE(json_object_object_get_ex(j, "object", &o));
	ASSERT_TRUE(json_object_object_get_ex(o, "label", &v));
	EXPECT_STREQ("monitored", json_object_get_string(v));
	json_object_put(j);
}

TEST_HARNESS_MAIN
