// SPDX-License-Identifier: GPL-2.0
/*
 * Device selection across two keel-iod servers, through the operator's
 * path: "keelctl remote add --server A --server B" on this test's own VM
 * (Keel's test VMM, found by pid as a foreign VMM's would be). Server A
 * offers one block device, server B an entropy source and a larger block
 * device of another name and model, each in a network namespace of its
 * own (remote_conn.h), each backing file stamped with its own pattern.
 *
 * A disk only B has is opened on B after A's refusal: the guest's
 * virtio-blk driver sees B's capacity and reads B's stamp. The servers
 * are tried in the order given. A request neither server can serve
 * (name, capacity, type, model) is refused with each server's reason,
 * and leaves no device and no module reference behind.
 */
#include <linux/virtio_blk.h>

#include "remote_test.h"
#include "remote_conn.h"
#include "keel_test_attach.h"

#define DISK_A		(1ull << 20)
#define DISK_B		(2ull << 20)
#define NAME_A		"selA"
#define NAME_B		"selB"
#define RNG_B		"selrng"
#define MARK_SECTOR	16
#define MARK_LEN	4096u
#define SEED_A		0x5e1au
#define SEED_B		0x5e1bu

FIXTURE(sel) {
	struct keel_vm *vm;
	struct rc_server srv[2];	/* A, B */
	bool srv_up[2];
	int refcnt;			/* keel_remote's, before the test */
	char pid[16];
};

/* Stamp @len bytes at @sector of @path with the pattern of @seed. */
static int stamp(const char *path, uint32_t seed, uint64_t sector,
		 uint32_t len)
{
	uint8_t buf[MARK_LEN];
	uint32_t off;
	int fd, ret = 0;

	if (len > sizeof(buf))
		return -EINVAL;
	for (off = 0; off < len; off++)
		buf[off] = blk_pattern(seed, sector + off / BLK_SECTOR,
				       off % BLK_SECTOR);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pwrite(fd, buf, len, (off_t)(sector * BLK_SECTOR)) != (ssize_t)len)
		ret = -EIO;
	close(fd);
	return ret;
}

FIXTURE_SETUP(sel)
{
	char a[256], b[256];
	int fd, ret;

	self->vm = NULL;
	self->srv_up[0] = self->srv_up[1] = false;
	REMOTE_OPEN_OR_SKIP(fd);
	close(fd);
	VM_CREATE_OR_SKIP(self->vm, 0, KEEL_VM_IRQCHIP);
	ret = rc_server_init_nth(&self->srv[0], DISK_A, 0);
	self->srv_up[0] = true;
	if (ret == -ENOENT)
		SKIP(return, "no keel-iod (KEEL_IOD or beside the test)");
	ASSERT_EQ(0, ret);
	ret = rc_server_init_nth(&self->srv[1], DISK_B, 1);
	self->srv_up[1] = true;
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, stamp(self->srv[0].disk, SEED_A, MARK_SECTOR, MARK_LEN));
	ASSERT_EQ(0, stamp(self->srv[1].disk, SEED_B, MARK_SECTOR, MARK_LEN));
	snprintf(a, sizeof(a), "block,file=%s,name=" NAME_A ",features=flush",
		 self->srv[0].disk);
	snprintf(b, sizeof(b), "block,file=%s,name=" NAME_B
		 ",model=nvme,features=flush", self->srv[1].disk);
	ASSERT_EQ(0, rc_server_start_devs(&self->srv[0],
					  (const char *const[]){ a, NULL }));
	ASSERT_EQ(0, rc_server_start_devs(&self->srv[1],
					  (const char *const[]){
						"entropy,name=" RNG_B, b,
						NULL }));
	snprintf(self->pid, sizeof(self->pid), "%d", getpid());
	/* an earlier program's devices are reaped after it */
	self->refcnt = keel_test_module_refcnt_wait("keel_remote", 0);
	ASSERT_LE(0, self->refcnt);
}

FIXTURE_TEARDOWN(sel)
{
	int i;

	if (self->vm)
		vm_free(self->vm);
	for (i = 0; i < 2; i++) {
		if (!self->srv_up[i])
			continue;
		if (!_metadata->passed)
			rc_server_dump_log(&self->srv[i]);
		rc_server_free(&self->srv[i]);
	}
}

/*
 * keelctl remote add for this VM with the servers @order ("AB", "BA")
 * and the options @opts (NULL-terminated, at most 6), its registers in
 * page @slot after REMOTE_BASE and its interrupt on GSI REMOTE_GSI +
 * @slot (a removed device lets its own go from a work item): its exit
 * status, its stdout and stderr in @out.
 */
static int sel_add(FIXTURE_DATA(sel) *self, unsigned int slot,
		   const char *order, const char *const *opts, char *out,
		   size_t len)
{
	const char *args[22] = { "remote", "add", "--pid", self->pid,
				 "--key", self->srv[0].key };
	char mmio[24], irq[8];
	unsigned int n = 6, i;

	snprintf(mmio, sizeof(mmio), "%#llx", REMOTE_BASE + slot * 4096ull);
	snprintf(irq, sizeof(irq), "%u", REMOTE_GSI + slot);
	args[n++] = "--mmio";
	args[n++] = mmio;
	args[n++] = "--irq";
	args[n++] = irq;
	for (i = 0; order[i] && i < 2; i++) {
		args[n++] = "--server";
		args[n++] = self->srv[order[i] - 'A'].addr;
	}
	for (i = 0; opts[i] && i < 6; i++)
		args[n++] = opts[i];
	return keel_test_keelctl(args, NULL, out, len, false);
}

/* The id "remote add" printed on its last line, or 0. */
static unsigned int added_id(const char *out)
{
	const char *p = out + strlen(out);

	while (p > out && p[-1] == '\n')
		p--;
	while (p > out && p[-1] != '\n')
		p--;
	return (unsigned int)strtoul(p, NULL, 10);
}

/* Whether @out has "ADDR: the server refused: REASON (No such device)". */
static bool has_refusal(const char *out, const struct rc_server *s,
		    const char *reason)
{
	char line[256];

	snprintf(line, sizeof(line), "%s: the server refused: %s (%s)",
		 s->addr, reason, strerror(ENODEV));
	return strstr(out, line) != NULL;
}

/* Remote devices keelctl lists, or -1. */
static int remote_count(void)
{
	char out[16384];
	struct json_object *j;
	int n = -1;

	if (keel_test_keelctl((const char *[]){ "-j", "remote", "list", NULL },
			      NULL, out, sizeof(out), false))
		return -1;
	j = json_tokener_parse(out);
	if (j && json_object_is_type(j, json_type_array))
		n = (int)json_object_array_length(j);
	json_object_put(j);
	return n;
}

/* keel_remote's count of users once it is @want again (bounded). */
static int refcnt_back(int want)
{
	return keel_test_module_refcnt_wait("keel_remote", want);
}

static int remote_del(unsigned int id)
{
	char ids[16], out[4096];

	snprintf(ids, sizeof(ids), "%u", id);
	return keel_test_keelctl((const char *[]){ "remote", "del", ids,
				 NULL }, NULL, out, sizeof(out), false);
}

static void guest_read_mark(void)
{
	volatile struct blk_guest *g = &blk_guest;
	int ret;

	ret = blk_init();
	GUEST_SYNC(-ret, g->capacity);
	if (ret)
		return;
	blk_run_ops(0, 1, 1, true);	/* the host's plan: one read */
	GUEST_SYNC(1, g->ops[0].status, g->mismatches);
}

/* A disk only B has: A refuses it, B's is set up; the guest sees B's. */
TEST_F_TIMEOUT(sel, block_only_b_has_is_found_on_b, 600)
{
	volatile struct blk_guest *g;
	struct keel_vcpu *vcpu;
	char out[8192];
	unsigned int id;
	struct ucall uc;
	int rc;

	rc = sel_add(self, 0, "AB", (const char *const[]){ "--device", NAME_B,
		     NULL }, out, sizeof(out));
	ASSERT_EQ(0, rc) TH_LOG("%s", out);
	EXPECT_TRUE(has_refusal(out, &self->srv[0], "no device of that name"))
		TH_LOG("%s", out);
	id = added_id(out);
	ASSERT_NE(0, id) TH_LOG("%s", out);
	EXPECT_EQ(1, remote_count());
	EXPECT_EQ(DISK_B, remote_info(id, "capacity"));

	ASSERT_EQ(0, blk_host_layout(self->vm, false));
	g = blk_g(self->vm);
	g->nops = 1;
	g->ops[0] = (struct blk_op){ .type = VIRTIO_BLK_T_IN, .seed = SEED_B,
				     .sector = MARK_SECTOR, .len = MARK_LEN,
				     .status = 0xff };
	vcpu = vm_vcpu_add(self->vm, guest_read_mark);
	ASSERT_NE(NULL, vcpu);
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(0, uc.args[0]) TH_LOG("blk_init failed at step %lu",
					(unsigned long)uc.args[0]);
	EXPECT_EQ(DISK_B / BLK_SECTOR, uc.args[1]);
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ(VIRTIO_BLK_S_OK, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]) TH_LOG("the sectors read are not B's stamp");
	EXPECT_EQ(1, remote_info(id, "reads"));
	EXPECT_EQ(MARK_LEN, remote_info(id, "bytes_read"));

	EXPECT_EQ(0, remote_del(id));
	EXPECT_EQ(0, remote_count());
	EXPECT_EQ(self->refcnt, refcnt_back(self->refcnt));
}

/* The first server given that has a match wins; an entropy source too. */
TEST_F_TIMEOUT(sel, servers_tried_in_order, 600)
{
	static const struct {
		const char *order, *type;
		long long capacity;
		int refusals;		/* of the first server */
		int chosen;		/* 0: A, 1: B */
	} cases[] = {
		{ "AB", "block", DISK_A, 0, 0 },
		{ "BA", "block", DISK_B, 0, 1 },
		{ "AB", "entropy", 0, 1, 1 },
	};
	char out[8192], from[128];
	unsigned int i, id;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(0, sel_add(self, i, cases[i].order,
				     (const char *const[]){ "--type",
				     cases[i].type, NULL }, out, sizeof(out)))
			TH_LOG("case %u: %s", i, out);
		EXPECT_EQ(cases[i].refusals,
			  (int)has_refusal(out, &self->srv[0],
				       "no device of that type"))
			TH_LOG("case %u: %s", i, out);
		snprintf(from, sizeof(from), "\" from %s\n",
			 self->srv[cases[i].chosen].addr);
		EXPECT_NE(NULL, strstr(out, from))
			TH_LOG("case %u: the chosen server not named: %s", i, out);
		id = added_id(out);
		ASSERT_NE(0, id) TH_LOG("case %u: %s", i, out);
		EXPECT_EQ(cases[i].capacity, remote_info(id, "capacity"))
			TH_LOG("case %u: the wrong server's device", i);
		EXPECT_EQ(0, remote_del(id));
	}
	EXPECT_EQ(0, remote_count());
	EXPECT_EQ(self->refcnt, refcnt_back(self->refcnt));
}

/* Neither server has it: each one's reason, nothing left behind. */
TEST_F_TIMEOUT(sel, refused_by_both_leaves_nothing, 600)
{
	char cap[32], out[8192];
	static const char *const why[][2] = {
		{ "no device of that name", "no device of that name" },
		{ "no device of that name", "no device that large" },
		{ "no device of that type", "no device of that name" },
		{ "no device of that model", "no device of that model" },
	};
	const char *const *opts[4];
	unsigned int i, id;

	snprintf(cap, sizeof(cap), "%llu", DISK_B + BLK_SECTOR);
	opts[0] = (const char *const[]){ "--device", "nosuch", NULL };
	opts[1] = (const char *const[]){ "--device", NAME_B,
					 "--min-capacity", cap, NULL };
	opts[2] = (const char *const[]){ "--type", "entropy", "--device",
					 NAME_A, NULL };
	opts[3] = (const char *const[]){ "--model", "16550a", NULL };
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(1, sel_add(self, 0, "AB", opts[i], out, sizeof(out)))
			TH_LOG("case %u: %s", i, out);
		EXPECT_TRUE(has_refusal(out, &self->srv[0], why[i][0]))
			TH_LOG("case %u: %s", i, out);
		EXPECT_TRUE(has_refusal(out, &self->srv[1], why[i][1]))
			TH_LOG("case %u: %s", i, out);
		EXPECT_NE(NULL, strstr(out, "none of the 2 servers has the device"))
			TH_LOG("case %u: %s", i, out);
		EXPECT_EQ(0, remote_count());
		EXPECT_EQ(self->refcnt, refcnt_back(self->refcnt));
	}
	/* nothing half-applied: the same range and GSI take a device now */
	ASSERT_EQ(0, sel_add(self, 0, "BA", (const char *const[]){ "--device",
			     NAME_A, NULL }, out, sizeof(out)))
		TH_LOG("%s", out);
	EXPECT_TRUE(has_refusal(out, &self->srv[1], "no device of that name"))
		TH_LOG("%s", out);
	id = added_id(out);
	ASSERT_NE(0, id) TH_LOG("%s", out);
	EXPECT_EQ(DISK_A, remote_info(id, "capacity"));
	EXPECT_EQ(0, remote_del(id));
	EXPECT_EQ(0, remote_count());
	EXPECT_EQ(self->refcnt, refcnt_back(self->refcnt));
}

TEST_HARNESS_MAIN
