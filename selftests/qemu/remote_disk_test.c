// SPDX-License-Identifier: GPL-2.0
/*
 * A remote disk for an unmodified QEMU running an unmodified Linux guest,
 * as an operator sets it up: keel-iod serves a block device from another
 * network namespace (over a veth pair); QEMU's microvm starts paused with
 * a placeholder device on virtio-mmio transport 0, so that its ACPI
 * tables describe that transport (LNRO0005, 512 bytes at 0xfeb00000,
 * GSI 16, level-triggered); "keelctl remote add --pid" puts keel_remote's
 * virtio-blk on that range and GSI, and "keelctl remote watch" keeps it
 * connected. The guest's own virtio_mmio and virtio_blk drivers find the
 * disk; the guest makes an ext2 filesystem on it, writes files, and
 * checks them after a remount (role remote-disk). keel-iod is killed and
 * started again while the guest writes: the guest's syncs wait, none
 * fails, every file reads back intact, and the guest's data is in the
 * server's backing file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "keel_remote_qemu.h"

#define BOOT_MS		KEEL_QEMU_BOOT_TIMEOUT_MS
/* The guest's whole disk work, nested: a liveness bound. */
#define WORK_MS		300000
#define DISK_SIZE	(64ull << 20)
#define TAG		"keel-remote-e2e"
/* files the guest checks: a0..a3, b0..b15, tag */
#define GUEST_FILES	21

FIXTURE(rdisk) {
	struct krq k;
	int starts;
};

/*
 * One whole run: QEMU paused, the disk attached and watched, the guest
 * booted to its disk, the server restarted while it writes, the guest's
 * check in @check. 0; -EDEADLK when the emulated CPU left the nested
 * guest stuck (keel_qemu.h: the caller starts again); else a failure.
 */
static int run_once(struct __test_metadata *_metadata,
		    FIXTURE_DATA(rdisk) *self, char *check, size_t len)
{
	struct keel_qemu *q;
	unsigned long long sectors;
	char line[256], irq[16];
	int ret;

	ret = krq_start(&self->k, "keel.role=remote-disk keel.tag=" TAG);
	if (ret) {
		EXPECT_EQ(0, ret);
		return ret;
	}
	q = self->k.q;
	ret = keel_qemu_wait_boot(q, "KEEL-GUEST-DISK vda", BOOT_MS);
	if (!ret)
		ret = keel_qemu_wait_line(q, "sectors=", line, sizeof(line),
					  BOOT_MS);
	if (ret == -EDEADLK)
		return ret;
	if (ret || sscanf(line, "sectors=%llu irq=%15s", &sectors, irq) != 2) {
		EXPECT_EQ(0, ret) keel_qemu_dump(q, 6000);
		return -EIO;
	}
	/* The guest's own drivers found Keel's disk: its size, on GSI 16. */
	EXPECT_EQ(DISK_SIZE / 512, sectors);
	EXPECT_STREQ(KRQ_GSI, irq);

	ret = keel_qemu_wait_live(q, "KEEL-GUEST-DISK-WRITING", WORK_MS);
	if (ret == -EDEADLK)
		return ret;
	if (ret) {
		EXPECT_EQ(0, ret) keel_qemu_dump(q, 6000);
		return ret;
	}
	/* The server dies under the guest's writes and comes back. */
	ret = krq_server_restart(&self->k, SIGKILL);
	if (ret) {
		EXPECT_EQ(0, ret) rc_server_dump_log(&self->k.srv);
		return ret;
	}

	ret = keel_qemu_wait_live(q, "KEEL-GUEST-DISK-CHECK", WORK_MS);
	if (ret == -EDEADLK)
		return ret;
	if (!ret)
		ret = keel_qemu_wait_line(q, "ok=", check, len, WORK_MS);
	if (ret) {
		EXPECT_EQ(0, ret) {
			keel_qemu_dump(q, 6000);
			rc_server_dump_log(&self->k.srv);
		}
	}
	return ret;
}

FIXTURE_SETUP(rdisk)
{
	memset(&self->k, 0, sizeof(self->k));
	self->starts = 0;
	if (keel_test_debug_kernel())
		SKIP(return, KEEL_QEMU_DEBUG_SKIP);
	if (access("/dev/keel-remote", F_OK))
		SKIP(return, "keel_remote.ko is not loaded");
	ASSERT_EQ(0, krq_server_up(&self->k, DISK_SIZE));
}

FIXTURE_TEARDOWN(rdisk)
{
	krq_free(&self->k);
}

TEST_F_TIMEOUT(rdisk, ext2_across_server_restart, 900)
{
	char check[256];
	int ret = -EDEADLK, fd, refcnt;

	/* 6.1's harness runs the test after a skip in the setup */
	if (_metadata->skip)
		return;

	while (ret == -EDEADLK) {
		if (self->k.q)
			krq_again(&self->k);
		if (self->starts++ == KEEL_QEMU_STREAM_TRIES)
			KEEL_QEMU_SKIP_ALL_BROKEN(return,
						  KEEL_QEMU_STREAM_TRIES);
		if (!self->k.srv.pid)
			ASSERT_EQ(0, rc_server_start(&self->k.srv));
		ret = run_once(_metadata, self, check, sizeof(check));
	}
	ASSERT_EQ(0, ret);
	TH_LOG("guest: %s", check);
	TH_LOG("keel_remote: requests %lld reads %lld writes %lld flushes %lld disconnects %lld reconnects %lld replays %lld irqs %lld",
	       krq_info(&self->k, "requests"), krq_info(&self->k, "reads"),
	       krq_info(&self->k, "writes"), krq_info(&self->k, "flushes"),
	       krq_info(&self->k, "disconnects"), krq_info(&self->k, "reconnects"),
	       krq_info(&self->k, "replays"), krq_info(&self->k, "irqs"));

	/* The guest: every file intact, no error, interrupt-driven. */
	EXPECT_EQ(GUEST_FILES, krq_field(check, "ok")) TH_LOG("%s", check);
	EXPECT_EQ(0, krq_field(check, "failed"));
	EXPECT_EQ(0, krq_field(check, "errors"))
		keel_qemu_dump(self->k.q, 8000);
	EXPECT_LT(0, krq_field(check, "irqs"));

	/* Keel: the restart was a lost connection and a reconnect. */
	EXPECT_EQ(0, krq_info(&self->k, "errors"));
	EXPECT_LE(1, krq_info(&self->k, "disconnects"));
	EXPECT_LE(1, krq_info(&self->k, "reconnects"));
	EXPECT_LT(0, krq_info(&self->k, "reads"));
	EXPECT_LT(0, krq_info(&self->k, "writes"));
	EXPECT_LT(0, krq_info(&self->k, "irqs"));
	EXPECT_EQ(0, krq_info(&self->k, "bad_descs"));

	/* The server's side: the guest's data is in its backing file. */
	EXPECT_TRUE(krq_disk_has(&self->k, TAG "-63\n"));

	/* QEMU killed: the device goes with its address space (a work item). */
	krq_stop_reaped(&self->k, &fd, &refcnt);
	EXPECT_EQ(-ENOENT, fd);
	EXPECT_EQ(0, refcnt);
}

TEST_HARNESS_MAIN
