// SPDX-License-Identifier: GPL-2.0
/*
 * The windows for translated code (keelctl mirror add --alias-off
 * --mirror-off) in an unmodified QEMU running an unmodified Linux guest.
 * The guest keeps a file of known pages in tmpfs (role "mem-shell") and a
 * shell on its second serial port. Keel protects one page of the file and
 * places its alias and its mirror window, memslots QEMU knows nothing of;
 * the guest stores with devmem(1), as translated code would:
 *
 * - through the alias: its file shows the store, QEMU's memory holds it,
 *   no store trapped, and the mirror window still shows the old bytes;
 * - the same bytes through the mirror window: the mirror is the page again.
 *
 * Then the page fails as a real memory failure does (hwpoison-inject),
 * Keel rebuilds it from the mirror before QEMU hears of it, and the guest
 * reads its file as it last wrote it. "keelctl mirror del" takes the
 * windows away: the alias no longer reads as memory, and the guest runs.
 *
 * Then a process of the guest does the same through views of the windows
 * at fixed distances from its own memory, as translated code stores:
 * keel_guest.ko, loaded in the guest with the windows' offsets, pins a
 * page of its file and maps the views (keel-views): a store through the
 * alias view is memory and traps nothing, the mirror view shows the old
 * bytes, then the stored ones once the process stores through it; a store
 * to the page itself traps and Keel mirrors it.
 *
 * Last, translation in the Linux guest: the process runs a store loop
 * (bt_fill) over the page, trapped; Keel's hot-spot profile names its
 * store; keel-bt's translator (bt_xlate, on the host) translates the loop
 * for the process's views, code cache and log and writes it into the code
 * cache through QEMU's memory, and registers it with Keel as the tool that
 * places code would (keelctl mirror xlate, its counter by its log); the
 * process patches it in and runs it: 1,024,000 stores without a trap,
 * which keelctl mirror translations shows, the mirror view equal to the
 * page; then the original code again, trapped and mirrored, and the
 * translation gone (keelctl mirror unxlate), its stores in the total.
 * Then the loop translated with a full log, registered with the
 * process's page tables (keel_guest.ko's KEEL_GUEST_IOC_ROOT): while the
 * process runs it, checking after each pass that the page holds what
 * the pass stored, the page fails, and keel_mirror rebuilds it from the
 * mirror with the open region's stores from the log, whose linear
 * addresses it finds through the process's page tables: no pass finds a
 * store missing, and the mirror view is the page at the end. (The
 * emulated CPU runs the loop's region as one block, so the failure finds
 * the region at its first store, written ahead: mirror_bt_test's bt_full
 * stops a vCPU inside regions.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/keel_bt.h>

#include "kselftest_harness.h"
#include "keel_guestmem.h"
#include "keel_test_file.h"
#include "keel_test_keelctl.h"
#include "keel_test_run.h"

#define BOOT_MS		KEEL_QEMU_BOOT_TIMEOUT_MS
/* A command of the guest's shell: a liveness bound, not a measurement. */
#define SH_MS		60000
#define PAGES		8
/* Far above the guest's 256 MiB and QEMU's devices, within 40 bits. */
#define ALIAS_OFF	0x1000000000ULL
#define MIRROR_OFF	0x2000000000ULL
/* "ANIWLEEK" in memory, as devmem stores it */
#define MARK		0x4b45454c57494e41ULL
#define MARK_OFF	64
#define SCRUB_MS	"/sys/module/keel_mirror/parameters/scrub_ms"
#define SH_END		"KEEL-SH-END"
#define GUEST_KO	"/keel/keel_guest.ko"
/* The views' stores: away from the devmem run's, on a page it may have used */
#define VIEW_OFF	256
/* keel-views bt: its translated passes over the page, 512 stores each */
#define BT_PASSES	2000
#define BT_STORES	512
/* Where the test VM has bt_xlate (the mirror suite's build). */
#define BT_XLATE_DIR	"/keel/selftests/mirror"
/* The translation fits the code cache's first page, which keel-views locks. */
#define BT_CACHE_PAGE	4096
/*
 * The counter its commits add their stores to, which keel_mirror reads
 * (keelctl mirror xlate --count-gpa): in the log's page, after the log.
 * Not in the code's page: a store there is a store to code, which the
 * CPU (and an emulator, for its own translations) must check its
 * decoded instructions against.
 */
#define BT_COUNT_OFF	2048
_Static_assert(sizeof(struct keel_bt_log) <= BT_COUNT_OFF,
	       "the counter lies after the log");

static char out[16384];
/* keel-views' placement (its KEEL-BT-CODE line), kept for field() */
static char bt_code[512];

FIXTURE(wq) {
	struct keel_qemu *q;
	struct keel_guestmem_page f[PAGES];
	size_t n;
	uint64_t hva;
	int com2;
	char pid[16];
	char scrub_ms[32];
};

FIXTURE_SETUP(wq)
{
	self->q = NULL;
	self->scrub_ms[0] = 0;
	if (keel_test_debug_kernel())
		SKIP(return, KEEL_QEMU_DEBUG_SKIP);
	if (access("/dev/keel-mirror", F_OK))
		SKIP(return, "keel_mirror.ko is not loaded");
	if (access(KEEL_GUESTMEM_CORRUPT_PFN, W_OK))
		SKIP(return, "no hwpoison-inject (" KEEL_GUESTMEM_CORRUPT_PFN ")");
	/*
	 * keelctl's ranges compare every page with its mirror each period
	 * (SETUP_COMPARE) and would copy the alias's store to the mirror:
	 * no comparison while the test looks.
	 */
	ASSERT_LT(0, read_text(SCRUB_MS, self->scrub_ms,
			       sizeof(self->scrub_ms)));
	ASSERT_EQ(0, write_text(SCRUB_MS, "600000"));
}

FIXTURE_TEARDOWN(wq)
{
	keel_qemu_free(self->q);
	if (self->scrub_ms[0])
		write_text(SCRUB_MS, self->scrub_ms);
}

/*
 * A command's end without its output: -EDEADLK when the emulated CPU
 * broke the guest (it panicked in an interrupt, and QEMU, -no-reboot,
 * ended), else @err.
 */
static int sh_broken(FIXTURE_DATA(wq) *self, int err)
{
	return keel_qemu_panicked(self->q) ? -EDEADLK : err;
}

/*
 * Reads what the guest's shell prints up to a line @mark into out (the
 * line left out), 0; -ENOMSG when the command ended (SH_END) before it,
 * -EDEADLK when the emulated CPU broke the guest, -ETIMEDOUT, -EIO (QEMU
 * ended otherwise).
 */
static int sh_wait(FIXTURE_DATA(wq) *self, const char *mark)
{
	size_t len = 0;
	char *end;
	int waited = 0;
	ssize_t r;

	out[0] = 0;
	while (waited < SH_MS) {
		struct pollfd p = { .fd = self->com2, .events = POLLIN };

		if (poll(&p, 1, 1000) <= 0) {
			waited += 1000;
			if (keel_qemu_panicked(self->q) ||
			    (waited % 5000 == 0 && keel_qemu_stuck(self->q) == 1))
				return -EDEADLK;
			continue;
		}
		r = read(self->com2, out + len, sizeof(out) - 1 - len);
		if (r <= 0)
			return sh_broken(self, -EIO);
		len += r;
		out[len] = 0;
		end = strstr(out, mark);
		if (end) {
			*end = 0;
			return 0;
		}
		if (strstr(out, SH_END "\n"))
			return -ENOMSG;
	}
	return -ETIMEDOUT;
}

/* Sends @line (a newline added) to the guest's shell, or what it runs. */
static int sh_send(FIXTURE_DATA(wq) *self, const char *line)
{
	size_t len = strlen(line);

	if (write(self->com2, line, len) != (ssize_t)len ||
	    write(self->com2, "\n", 1) != 1)
		return sh_broken(self, -EIO);
	return 0;
}

/*
 * Runs @cmd in the guest's shell: its output (up to the end marker) in
 * out, 0; -EDEADLK when the emulated CPU broke the guest, -ETIMEDOUT,
 * -EIO (QEMU ended otherwise).
 */
static int sh(FIXTURE_DATA(wq) *self, const char *cmd)
{
	char line[512];
	int ret;

	snprintf(line, sizeof(line), "%s; echo %s", cmd, SH_END);
	ret = sh_send(self, line);
	return ret ? ret : sh_wait(self, SH_END "\n");
}

/* devmem's 64-bit load at @gpa in the guest, in *val. */
static int guest_load(FIXTURE_DATA(wq) *self, uint64_t gpa, uint64_t *val)
{
	char cmd[64];
	int ret;

	snprintf(cmd, sizeof(cmd), "devmem 0x%" PRIx64 " 64", gpa);
	ret = sh(self, cmd);
	if (!ret && sscanf(out, "%" SCNx64, val) != 1) {
		fprintf(stderr, "# %s printed: %s\n", cmd, out);
		ret = -EIO;
	}
	return ret;
}

static int guest_store(FIXTURE_DATA(wq) *self, uint64_t gpa, uint64_t val)
{
	char cmd[80];

	snprintf(cmd, sizeof(cmd), "devmem 0x%" PRIx64 " 64 0x%" PRIx64, gpa,
		 val);
	return sh(self, cmd);
}

/* The 8 bytes of the guest's file at @off, as the guest reads them. */
static int guest_file(FIXTURE_DATA(wq) *self, uint64_t off, char *bytes)
{
	char cmd[96];
	int ret;

	snprintf(cmd, sizeof(cmd),
		 "dd if=/tmp/data bs=8 skip=%" PRIu64 " count=1 2>/dev/null",
		 off / 8);
	ret = sh(self, cmd);
	if (!ret) {
		memcpy(bytes, out, 8);
		bytes[8] = 0;
	}
	return ret;
}

/* The file's bytes as the role wrote them: page @index, at @off. */
static uint64_t file_bytes(unsigned int index, unsigned int off)
{
	char s[4096 + 32];
	size_t len = 0;
	uint64_t v;

	while (len <= off + 8)
		len += snprintf(s + len, sizeof(s) - len, "KEEL-PAGE-%06u-",
				index);
	memcpy(&v, s + off, 8);
	return v;
}

/* QEMU's bytes at @hva. */
static uint64_t qemu_mem(FIXTURE_DATA(wq) *self, uint64_t hva)
{
	char path[64];
	uint64_t v = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/mem", self->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &v, sizeof(v), hva) != sizeof(v))
			v = 0;
		close(fd);
	}
	return v;
}

static int start(struct __test_metadata *_metadata, FIXTURE_DATA(wq) *self)
{
	struct keel_qemu_opts o = {
		.machine = "pc",
		.mem_mib = KEEL_GUESTMEM_MIB,
		.append = "keel.role=mem-shell keel.pages=64",
		.com2 = true,
	};
	long ret;

	ret = keel_guestmem_boot(&self->q, &o, "KEEL-GUEST-READY", BOOT_MS,
				 &self->hva, self->f, PAGES);
	if (ret == -EDEADLK)
		return ret;
	EXPECT_LT(0, ret);
	if (ret <= 0)
		return -ENOENT;
	self->n = ret;
	self->com2 = keel_qemu_com2_fd(self->q);
	EXPECT_LE(0, self->com2);
	snprintf(self->pid, sizeof(self->pid), "%d", keel_qemu_pid(self->q));
	return self->com2 >= 0 ? 0 : -ENOENT;
}

/* "keelctl mirror add" of page @k with its windows: its id, 0 on error. */
static unsigned int protect(struct __test_metadata *_metadata,
			    FIXTURE_DATA(wq) *self, size_t k)
{
	char gpa[32], alias[32], mirror[32];
	int rc;

	snprintf(gpa, sizeof(gpa), "0x%" PRIx64,
		 KEEL_GUESTMEM_GPA + self->f[k].off);
	snprintf(alias, sizeof(alias), "0x%llx", ALIAS_OFF);
	snprintf(mirror, sizeof(mirror), "0x%llx", MIRROR_OFF);
	rc = keel_test_keelctl((const char *[]){
		"mirror", "add", "--pid", self->pid, "--gpa", gpa, "--len",
		"4096", "--alias-off", alias, "--mirror-off", mirror, NULL },
		NULL, out, sizeof(out), false);
	EXPECT_EQ(0, rc) TH_LOG("%s", out);
	return rc ? 0 : strtoul(out, NULL, 10);
}

static int del(unsigned int id)
{
	char ids[16];

	snprintf(ids, sizeof(ids), "%u", id);
	return keel_test_keelctl((const char *[]){ "mirror", "del", ids, NULL },
				 NULL, out, sizeof(out), false);
}

/*
 * A case's end with @ret: on an error the guest's console; range @id
 * (0: none left) deleted while its QEMU runs (it goes with its QEMU).
 */
static int finish(struct __test_metadata *_metadata, FIXTURE_DATA(wq) *self,
		  unsigned int id, int ret)
{
	if (ret < 0 && ret != -EDEADLK) {
		TH_LOG("error %d; the guest's console:", ret);
		keel_qemu_dump(self->q, 4000);
	}
	if (id && keel_qemu_exit_status(self->q) == -1)
		EXPECT_EQ(0, del(id)) TH_LOG("%s", out);
	return ret;
}

/*
 * One run on page @k: 1 when it failed and was rebuilt as the guest last
 * wrote it, 0 when the kernel could not fail its frame (a huge page it
 * did not split: the caller takes another page), -EDEADLK when the
 * emulated CPU broke the guest, another error when a check failed.
 */
static int run(struct __test_metadata *_metadata, FIXTURE_DATA(wq) *self,
	       size_t k)
{
	uint64_t gpa = KEEL_GUESTMEM_GPA + self->f[k].off;
	uint64_t hva = self->hva + self->f[k].off, v;
	uint64_t old = file_bytes(self->f[k].index, MARK_OFF);
	char bytes[9], sum[64];
	unsigned int id;
	int ret;

	id = protect(_metadata, self, k);
	if (!id)
		return -EIO;
	EXPECT_EQ(gpa + ALIAS_OFF,
		  keel_test_obj_info("mirror", id, "alias_gpa"));
	EXPECT_EQ(gpa + MIRROR_OFF,
		  keel_test_obj_info("mirror", id, "window_gpa"));

	/* through the alias: memory, no trap, not the mirror */
	ret = guest_store(self, gpa + ALIAS_OFF + MARK_OFF, MARK);
	if (!ret)
		ret = guest_file(self, (uint64_t)self->f[k].index * 4096 +
				 MARK_OFF, bytes);
	if (ret)
		goto out;
	EXPECT_STREQ("ANIWLEEK", bytes);
	EXPECT_EQ(MARK, qemu_mem(self, hva + MARK_OFF));
	EXPECT_EQ(0, keel_test_obj_info("mirror", id, "guest_writes"));
	ret = guest_load(self, gpa + MIRROR_OFF + MARK_OFF, &v);
	if (ret)
		goto out;
	EXPECT_EQ(old, v) TH_LOG("the mirror window shows 0x%" PRIx64, v);

	/* through the mirror window: the mirror is the page again */
	ret = guest_store(self, gpa + MIRROR_OFF + MARK_OFF, MARK);
	if (!ret)
		ret = guest_load(self, gpa + MIRROR_OFF + MARK_OFF, &v);
	if (!ret)
		ret = sh(self, "md5sum </tmp/data");
	if (ret)
		goto out;
	EXPECT_EQ(MARK, v);
	snprintf(sum, sizeof(sum), "%.32s", out);

	/* the page fails: rebuilt from the mirror, as last written */
	ret = keel_guestmem_fail(keel_guestmem_pfn(keel_qemu_pid(self->q), hva));
	if (ret == -EBUSY) {
		TH_LOG("page %u of the file: in a huge page the kernel did not split, not failed; another",
		       self->f[k].index);
		ret = 0;
		goto out;
	}
	EXPECT_EQ(0, ret);
	if (ret)
		goto out;
	ret = guest_file(self, (uint64_t)self->f[k].index * 4096 + MARK_OFF,
			 bytes);
	if (!ret)
		ret = sh(self, "md5sum </tmp/data");
	if (ret)
		goto out;
	EXPECT_STREQ("ANIWLEEK", bytes);
	EXPECT_EQ(0, strncmp(sum, out, 32)) TH_LOG("md5 %.32s, was %s", out, sum);
	EXPECT_EQ(1, keel_test_obj_info("mirror", id, "repaired_pages"));
	TH_LOG("page %u of the file: stored through the alias and the mirror window, failed, rebuilt",
	       self->f[k].index);

	/* the windows go with the range */
	EXPECT_EQ(0, del(id)) TH_LOG("%s", out);
	id = 0;
	ret = guest_load(self, gpa + ALIAS_OFF + MARK_OFF, &v);
	if (ret)
		goto out;
	EXPECT_NE(MARK, v);
	ret = guest_file(self, (uint64_t)self->f[k].index * 4096 + MARK_OFF,
			 bytes);
	if (ret)
		goto out;
	EXPECT_STREQ("ANIWLEEK", bytes);
	ret = 1;
out:
	return finish(_metadata, self, id, ret);
}

/* keel-views on page @index of the guest's file: its loads in *@v. */
static int views(FIXTURE_DATA(wq) *self, unsigned int index, const char *ops,
		 uint64_t *v, int nv)
{
	char cmd[256], *p = out;
	int ret, i;

	snprintf(cmd, sizeof(cmd), "keel-views /tmp/data %u %s 2>&1", index,
		 ops);
	ret = sh(self, cmd);
	for (i = 0; !ret && i < nv; i++) {
		if (sscanf(p, "%" SCNx64, &v[i]) != 1) {
			fprintf(stderr, "# %s printed: %s\n", cmd, out);
			return -EIO;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : "";
	}
	if (!ret && !nv && out[0]) {
		fprintf(stderr, "# %s printed: %s\n", cmd, out);
		ret = -EIO;
	}
	return ret;
}

/*
 * Page @k through a guest process's views (keel_guest.ko, loaded): 1 when
 * every check ran, -EDEADLK when the emulated CPU broke the guest, another
 * error when a command failed.
 */
static int run_views(struct __test_metadata *_metadata,
		     FIXTURE_DATA(wq) *self, size_t k)
{
	uint64_t hva = self->hva + self->f[k].off, v[3];
	unsigned int index = self->f[k].index, id;
	uint64_t old = file_bytes(index, VIEW_OFF);
	char ops[128], bytes[9];
	int ret;

	id = protect(_metadata, self, k);
	if (!id)
		return -EIO;

	/* the alias view: memory, no trap; the mirror view: the old bytes */
	snprintf(ops, sizeof(ops), "a:%d=%#llx p:%d m:%d", VIEW_OFF, MARK,
		 VIEW_OFF, VIEW_OFF);
	ret = views(self, index, ops, v, 2);
	if (ret)
		goto out;
	EXPECT_EQ(MARK, v[0]);
	EXPECT_EQ(old, v[1]) TH_LOG("the mirror view shows 0x%" PRIx64, v[1]);
	EXPECT_EQ(MARK, qemu_mem(self, hva + VIEW_OFF));
	EXPECT_EQ(0, keel_test_obj_info("mirror", id, "guest_writes"));

	/* the mirror view, then a store to the page itself: trapped, mirrored */
	snprintf(ops, sizeof(ops), "m:%d=%#llx m:%d p:%d=%#llx m:%d",
		 VIEW_OFF, MARK, VIEW_OFF, 2 * VIEW_OFF, ~MARK, 2 * VIEW_OFF);
	ret = views(self, index, ops, v, 2);
	if (ret)
		goto out;
	EXPECT_EQ(MARK, v[0]);
	EXPECT_EQ(~MARK, v[1]);
	EXPECT_LE(1, keel_test_obj_info("mirror", id, "guest_writes"));
	ret = guest_file(self, (uint64_t)index * 4096 + VIEW_OFF, bytes);
	if (ret)
		goto out;
	EXPECT_STREQ("ANIWLEEK", bytes);
	TH_LOG("page %u of the file: stored through a process's alias and mirror views",
	       index);
	EXPECT_EQ(0, del(id)) TH_LOG("%s", out);
	id = 0;
	ret = 1;
out:
	return finish(_metadata, self, id, ret);
}

/*
 * The number after " @name=" in the line of out that begins with @key, or
 * in keel-views' placement line (bt_code).
 */
static uint64_t field(const char *key, const char *name)
{
	char want[32];
	const char *l, *v, *eol;

	l = strstr(out, key);
	if (!l)
		l = strstr(bt_code, key);
	if (!l)
		return 0;
	snprintf(want, sizeof(want), " %s=", name);
	v = strstr(l, want);
	eol = strchr(l, '\n');
	if (!v || (eol && v > eol))
		return 0;
	return strtoull(v + strlen(want), NULL, 0);
}

/* The hottest store of range @id (keelctl mirror hotspots), 0 if none. */
static uint64_t hottest(unsigned int id)
{
	char ids[16], json[4096];
	struct json_object *a, *rip;
	uint64_t v = 0;

	snprintf(ids, sizeof(ids), "%u", id);
	if (keel_test_keelctl((const char *[]){ "-j", "mirror", "hotspots",
						ids, NULL }, NULL, json,
			      sizeof(json), false))
		return 0;
	a = json_tokener_parse(json);
	if (a && json_object_is_type(a, json_type_array) &&
	    json_object_array_length(a) &&
	    json_object_object_get_ex(json_object_array_get_idx(a, 0), "rip",
				      &rip))
		v = json_object_get_uint64(rip);
	json_object_put(a);
	return v;
}

/*
 * keel-bt's translator on the host: the loop around @hot in @code (@len
 * bytes at @rip, as the guest printed them in hex) for the process's
 * placement (the KEEL-BT-CODE line in out), written into the process's
 * code cache through QEMU's memory (the serial line would take a stream
 * of interrupts, which break the emulated guest), with a counter of its
 * stores at the log's BT_COUNT_OFF; its head and end (the original
 * code it covers) in *@head and *@end. 0 or -errno.
 */
static int translate(FIXTURE_DATA(wq) *self, const char *code, uint64_t rip,
		     size_t len, uint64_t hot, bool full, uint64_t *head,
		     uint64_t *end)
{
	uint64_t hva = keel_qemu_gpa2hva(self->q,
					 field("KEEL-BT-CODE", "cache_gpa"));
	char in[] = "/tmp/bt_in.XXXXXX", res[] = "/tmp/bt_out.XXXXXX";
	char prog[PATH_MAX], a[8][32], stats[512], path[64];
	const char *argv[15];
	uint8_t bytes[4096], xl[BT_CACHE_PAGE];
	int fi, fo, fm = -1, ret = -EIO, i;
	ssize_t got;
	size_t n;

	if (len > sizeof(bytes) || strlen(code) < 2 * len)
		return -EINVAL;
	for (n = 0; n < len; n++)
		if (sscanf(code + 2 * n, "%2hhx", &bytes[n]) != 1)
			return -EINVAL;
	if (keel_test_find_prog(prog, sizeof(prog), "KEEL_BT_XLATE",
				"bt_xlate", BT_XLATE_DIR))
		return -ENOENT;
	snprintf(a[0], 32, "%#llx", (unsigned long long)hot);
	snprintf(a[1], 32, "%#llx", (unsigned long long)field("KEEL-BT-CODE", "alias"));
	snprintf(a[2], 32, "%#llx", (unsigned long long)field("KEEL-BT-CODE", "mirror"));
	snprintf(a[3], 32, "%#llx", (unsigned long long)field("KEEL-BT-CODE", "log"));
	snprintf(a[4], 32, "%#llx", (unsigned long long)rip);
	snprintf(a[5], 32, "%#llx", (unsigned long long)field("KEEL-BT-CODE", "cache"));
	fi = mkstemp(in);
	fo = mkstemp(res);
	if (fi < 0 || fo < 0 || write(fi, bytes, len) != (ssize_t)len)
		goto out;
	argv[0] = prog;
	argv[1] = "-c";
	snprintf(a[7], 32, "%#llx", (unsigned long long)
		 field("KEEL-BT-CODE", "log") + BT_COUNT_OFF);
	argv[2] = a[7];
	argv[3] = "-l";
	for (i = 0; i < 6; i++)
		argv[4 + i] = a[i];
	snprintf(a[6], 32, "%d", BT_CACHE_PAGE);
	argv[10] = a[6];
	argv[11] = in;
	argv[12] = res;
	argv[13] = NULL;
	if (full) {
		/* its log, a full one, is what keel_mirror's repair reads */
		memmove(argv + 2, argv + 1, 13 * sizeof(argv[0]));
		argv[1] = "-F";
	}
	i = keel_test_run(argv, NULL, stats, sizeof(stats), false);
	fprintf(stderr, "# bt_xlate: %s", stats);
	if (i)
		goto out;
	got = pread(fo, xl, sizeof(xl), 0);
	if (got <= 0 || !hva || !strstr(stats, "head="))
		goto out;
	*head = strtoull(strstr(stats, "head=") + 5, NULL, 0);
	*end = strstr(stats, "end=") ? strtoull(strstr(stats, "end=") + 4,
						NULL, 0) : 0;
	snprintf(path, sizeof(path), "/proc/%s/mem", self->pid);
	fm = open(path, O_WRONLY | O_CLOEXEC);
	if (fm >= 0 && pwrite(fm, xl, got, hva) == got)
		ret = 0;
out:
	if (fm >= 0)
		close(fm);
	keel_test_tmp_drop(fi, in);
	keel_test_tmp_drop(fo, res);
	return ret;
}

/*
 * Failures of the page while the process runs its full log's translation,
 * at most: one finds a region open on the page when it strikes while the
 * process is inside the loop with a store of the iteration made.
 */
#define BT_LOST_TRIES	30

/*
 * The process's page lost while its translation with a full log runs
 * (keel-views' step 4): the log registered with the process's page
 * tables, the page failed (hwpoison-inject) while the process loops,
 * until a repair found an open region's stores on it (repair_entries)
 * or BT_LOST_TRIES failures (each failure a page of QEMU's the kernel
 * takes out of use); the process checks after each of its passes
 * that the page holds the pass's seed. 0 or -errno.
 */
static int bt_lost(struct __test_metadata *_metadata, FIXTURE_DATA(wq) *self,
		   size_t k, unsigned int id, const char *hex, uint64_t rip,
		   uint64_t len, uint64_t hot)
{
	uint64_t hva = self->hva + self->f[k].off, head, end, pt;
	unsigned int levels, tries, failed = 0;
	long long entries = 0;
	char cmd[64], said[4096];
	int ret;

	pt = field("KEEL-BT-ROOT", "pt");
	levels = field("KEEL-BT-ROOT", "levels");
	EXPECT_NE(0, pt);
	ret = translate(self, hex, rip, len, hot, true, &head, &end);
	EXPECT_EQ(0, ret);
	if (ret)
		return ret;
	ret = keel_test_mirror_xlate_pt(id, head, end,
					field("KEEL-BT-CODE", "cache"),
					field("KEEL-BT-CODE", "log_gpa") +
					BT_COUNT_OFF,
					field("KEEL-BT-CODE", "log_gpa"), pt,
					levels, said, sizeof(said));
	EXPECT_EQ(0, ret) TH_LOG("%s", said);
	if (ret)
		return -EIO;
	snprintf(cmd, sizeof(cmd), "F %#" PRIx64, head);
	ret = sh_send(self, cmd);
	if (!ret)
		ret = sh_wait(self, "KEEL-BT-LOOP\n");
	if (ret)
		return ret;
	for (tries = 0; tries < BT_LOST_TRIES && entries <= 0; tries++) {
		usleep(100 * 1000);
		ret = keel_guestmem_fail(keel_guestmem_pfn(keel_qemu_pid(self->q),
							   hva));
		EXPECT_EQ(0, ret) TH_LOG("hwpoison-inject: %s", strerror(-ret));
		if (ret)
			break;
		failed++;
		entries = keel_test_obj_info("mirror", id, "repair_entries");
	}
	ret = sh_send(self, "stop");
	if (!ret)
		ret = sh_wait(self, SH_END "\n");
	if (ret)
		return ret;
	EXPECT_EQ(0, field("KEEL-BT-LOST", "bad")) TH_LOG("%s", out);
	EXPECT_EQ(1, field("KEEL-BT-LOST", "equal")) TH_LOG("%s", out);
	EXPECT_EQ(failed, keel_test_obj_info("mirror", id, "repaired_pages"));
	EXPECT_LT(0, entries);
	EXPECT_EQ(0, keel_test_obj_info("mirror", id, "repair_open"));
	TH_LOG("page %u of the file failed %u times while %" PRIu64 " passes of translated code with a full log ran (page tables at %#" PRIx64 ", %u levels): %lld entries of open regions written over the mirror, %" PRIu64 " passes wrong",
	       self->f[k].index, failed, field("KEEL-BT-LOST", "passes"), pt,
	       levels, entries, field("KEEL-BT-LOST", "bad"));
	EXPECT_EQ(0, keel_test_mirror_unxlate(id, head, said, sizeof(said)))
		TH_LOG("%s", said);
	return 0;
}

/*
 * Translation in the guest's process on page @k ("keel-views bt"): 1 when
 * every check ran, -EDEADLK when the emulated CPU broke the guest,
 * another error when a step failed.
 */
static int run_bt(struct __test_metadata *_metadata, FIXTURE_DATA(wq) *self,
		  size_t k)
{
	static char hex[8192], said[4096];
	unsigned int index = self->f[k].index, id;
	uint64_t rip, len, hot, head, end, ns[4], x[4];
	char cmd[128];
	int ret;

	id = protect(_metadata, self, k);
	if (!id)
		return -EIO;
	snprintf(cmd, sizeof(cmd), "keel-views /tmp/data %u bt %d 2>&1; echo %s",
		 index, BT_PASSES, SH_END);
	ret = sh_send(self, cmd);
	if (!ret)
		ret = sh_wait(self, "KEEL-BT-WAIT\n");
	if (ret)
		goto out;

	/* one pass trapped: Keel's profile names a store of the loop */
	bt_code[0] = 0;
	if (strstr(out, "KEEL-BT-CODE "))
		snprintf(bt_code, sizeof(bt_code), "%.*s",
			 (int)strcspn(strstr(out, "KEEL-BT-CODE "), "\n"),
			 strstr(out, "KEEL-BT-CODE "));
	rip = field("KEEL-BT-CODE", "rip");
	len = field("KEEL-BT-CODE", "len");
	EXPECT_EQ(BT_STORES, field("KEEL-BT-TRAPPED", "stores"));
	ns[0] = field("KEEL-BT-NATIVE", "ns");
	ns[1] = field("KEEL-BT-TRAPPED", "ns");
	EXPECT_EQ(BT_STORES, keel_test_obj_info("mirror", id, "guest_writes"));
	hot = hottest(id);
	EXPECT_LE(rip, hot);
	EXPECT_GT(rip + len, hot) TH_LOG("hottest 0x%" PRIx64 ", bt_fill at 0x%" PRIx64,
					 hot, rip);
	if (!strstr(out, "KEEL-BT-HEX ") ||
	    sscanf(strstr(out, "KEEL-BT-HEX ") + 12, "%8191s", hex) != 1) {
		ret = -EIO;
		goto out;
	}
	ret = translate(self, hex, rip, len, hot, false, &head, &end);
	EXPECT_EQ(0, ret);
	if (ret)
		goto out;
	/* registered as the tool that placed it would: keelctl mirror xlate */
	ret = keel_test_mirror_xlate(id, head, end,
				     field("KEEL-BT-CODE", "cache"),
				     field("KEEL-BT-CODE", "log_gpa") +
				     BT_COUNT_OFF, said, sizeof(said));
	EXPECT_EQ(0, ret) TH_LOG("%s", said);
	if (ret)
		goto out;

	/* patched in: no trap, the mirror the page */
	snprintf(cmd, sizeof(cmd), "X %#" PRIx64, head);
	ret = sh_send(self, cmd);
	if (!ret)
		ret = sh_wait(self, "KEEL-BT-WAIT\n");
	if (ret)
		goto out;
	EXPECT_EQ((uint64_t)BT_PASSES * BT_STORES,
		  field("KEEL-BT-TRANSLATED", "stores"));
	EXPECT_EQ(1, field("KEEL-BT-TRANSLATED", "equal"));
	EXPECT_EQ(BT_STORES, keel_test_obj_info("mirror", id, "guest_writes"));
	/* keel_mirror read the counter: every store a trap saved */
	EXPECT_EQ(1, keel_test_mirror_translations(id, x, said, sizeof(said)))
		TH_LOG("%s", said);
	EXPECT_EQ(head, x[0]);
	EXPECT_EQ(end, x[1]);
	EXPECT_EQ((uint64_t)BT_PASSES * BT_STORES, x[2]);
	EXPECT_EQ(BT_STORES, x[3]);
	ns[2] = field("KEEL-BT-TRANSLATED", "ns");
	/* the floor: each store made again by hand, through the views */
	EXPECT_EQ((uint64_t)BT_PASSES * BT_STORES,
		  field("KEEL-BT-DOUBLED", "stores"));
	EXPECT_EQ(1, field("KEEL-BT-DOUBLED", "equal"));
	ns[3] = field("KEEL-BT-DOUBLED", "ns");
	/* figures, not judged: the nested guest's clock */
	if (ns[0] && ns[1] && ns[2] && ns[3])
		TH_LOG("stores per second: unprotected %.0f, trapped %.0f, translated %.0f (%.0fx trapped, %.2fx unprotected time), doubled %.0f (%.2fx unprotected time)",
		       BT_PASSES * BT_STORES * 1e9 / ns[0],
		       BT_STORES * 1e9 / ns[1], BT_PASSES * BT_STORES * 1e9 / ns[2],
		       (double)ns[1] * BT_PASSES / ns[2], (double)ns[2] / ns[0],
		       BT_PASSES * BT_STORES * 1e9 / ns[3],
		       (double)ns[3] / ns[0]);

	/* the original code again: trapped and mirrored */
	ret = sh_send(self, "go");
	if (!ret)
		ret = sh_wait(self, "KEEL-BT-WAIT\n");
	if (ret)
		goto out;
	EXPECT_EQ(1, field("KEEL-BT-RESTORED", "equal")) TH_LOG("%s", out);
	EXPECT_EQ(2 * BT_STORES,
		  keel_test_obj_info("mirror", id, "guest_writes"));
	EXPECT_EQ(0, keel_test_mirror_unxlate(id, head, said, sizeof(said)))
		TH_LOG("%s", said);
	EXPECT_EQ(0, keel_test_mirror_translations(id, x, said, sizeof(said)))
		TH_LOG("%s", said);
	EXPECT_EQ((long long)BT_PASSES * BT_STORES,
		  keel_test_obj_info("mirror", id, "translated_stores"));
	TH_LOG("page %u of the file: %d stores translated in a guest process, none trapped",
	       index, BT_PASSES * BT_STORES);

	ret = bt_lost(_metadata, self, k, id, hex, rip, len, hot);
	if (ret)
		goto out;
	EXPECT_EQ(0, del(id)) TH_LOG("%s", out);
	id = 0;
	ret = 1;
out:
	if (ret < 0 && ret != -EDEADLK)
		TH_LOG("the guest printed: %s", out);
	return finish(_metadata, self, id, ret);
}

/* The guest loads keel_guest.ko with the windows' offsets. */
static int guest_module(struct __test_metadata *_metadata,
			FIXTURE_DATA(wq) *self)
{
	char cmd[160];
	int ret;

	snprintf(cmd, sizeof(cmd), "insmod %s alias_off=%#llx mirror_off=%#llx 2>&1",
		 GUEST_KO, ALIAS_OFF, MIRROR_OFF);
	ret = sh(self, cmd);
	if (!ret && out[0]) {
		TH_LOG("insmod printed: %s", out);
		ret = -EIO;
	}
	return ret;
}

/* The case's three parts; one the emulated CPU broke is run again. */
enum { PART_DEVMEM = 1, PART_VIEWS = 2, PART_BT = 4, PARTS = 7 };

TEST_F_TIMEOUT(wq, stores_through_the_windows, 1800)
{
	int tries, ret = -EDEADLK, done = 0;
	size_t k = 0;

	/* 6.1's harness runs the test after a skip in the setup */
	if (_metadata->skip)
		return;
	/*
	 * A guest the emulated CPU broke (-EDEADLK) boots again, and the
	 * case goes on from the part it broke in: each part is whole in one
	 * boot, on a page of the file as that boot wrote it.
	 */
	for (tries = 0; tries < KEEL_QEMU_BOOT_TRIES && ret == -EDEADLK;
	     tries++) {
		ret = start(_metadata, self);
		for (k = 0; !ret && !(done & PART_DEVMEM) && k < self->n; k++)
			ret = run(_metadata, self, k);
		if (ret == 1) {
			done |= PART_DEVMEM;
			ret = 0;
			/* the page after the one that failed, or it */
			k = k < self->n ? k : k - 1;
		} else if (!ret && !(done & PART_DEVMEM)) {
			ret = -ENOENT;	/* no page of the file could fail */
		}
		if (!ret)
			ret = guest_module(_metadata, self);
		if (!ret && !(done & PART_VIEWS)) {
			ret = run_views(_metadata, self, k);
			if (ret == 1) {
				done |= PART_VIEWS;
				ret = 0;
			}
		}
		if (!ret && !(done & PART_BT)) {
			ret = run_bt(_metadata, self, k);
			if (ret == 1) {
				done |= PART_BT;
				ret = 0;
			}
		}
		if (ret == -EDEADLK)
			TH_LOG("the guest %s: again", keel_qemu_fault(self->q));
	}
	if (ret == -EDEADLK)
		KEEL_QEMU_SKIP_ALL_BROKEN(return, KEEL_QEMU_BOOT_TRIES);
	EXPECT_EQ(PARTS, done);
	EXPECT_EQ(0, ret);
}

TEST_HARNESS_MAIN
