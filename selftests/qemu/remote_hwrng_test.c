// SPDX-License-Identifier: GPL-2.0
/*
 * A remote entropy source for an unmodified QEMU running an unmodified
 * Linux guest, as an operator sets it up: keel-iod serves an entropy
 * device from another network namespace (over a veth pair); QEMU's
 * microvm starts paused with a placeholder device on virtio-mmio
 * transport 0, so that its ACPI tables describe that transport;
 * "keelctl remote add --pid --type entropy" puts keel_remote's virtio-rng
 * on that range and GSI. The guest's own virtio_mmio and virtio_rng
 * drivers find it, the hw_random core makes it the current source, and
 * dd reads 32 KiB of /dev/hwrng (role remote-rng): every byte arrives,
 * they take all 256 values, and keel_remote counts the reads that
 * carried them, without an error or a bad descriptor. QEMU killed, the
 * device goes with its VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "keel_remote_qemu.h"

#define BOOT_MS		KEEL_QEMU_BOOT_TIMEOUT_MS
#define READ_BYTES	(64 * 512)

FIXTURE(hwrng) {
	struct krq k;
	int starts;
};

FIXTURE_SETUP(hwrng)
{
	memset(&self->k, 0, sizeof(self->k));
	self->starts = 0;
	if (keel_test_debug_kernel())
		SKIP(return, KEEL_QEMU_DEBUG_SKIP);
	if (access("/dev/keel-remote", F_OK))
		SKIP(return, "keel_remote.ko is not loaded");
	ASSERT_EQ(0, krq_server_up(&self->k, 1 << 20));
	self->k.entropy = true;
}

FIXTURE_TEARDOWN(hwrng)
{
	krq_free(&self->k);
}

/* The guest's line in @line: 0, -EDEADLK (start again) or a failure. */
static int run_once(struct __test_metadata *_metadata,
		    FIXTURE_DATA(hwrng) *self, char *line, size_t len)
{
	struct keel_qemu *q;
	int ret;

	ret = krq_start(&self->k, "keel.role=remote-rng");
	if (ret) {
		EXPECT_EQ(0, ret);
		return ret;
	}
	q = self->k.q;
	ret = keel_qemu_wait_boot(q, "KEEL-GUEST-RNG", BOOT_MS);
	if (!ret)
		ret = keel_qemu_wait_line(q, "bytes=", line, len, BOOT_MS);
	if (ret && ret != -EDEADLK)
		EXPECT_EQ(0, ret) {
			keel_qemu_dump(q, 6000);
			rc_server_dump_log(&self->k.srv);
		}
	return ret;
}

TEST_F_TIMEOUT(hwrng, dev_hwrng_reads_remote_entropy, 900)
{
	char line[256];
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
		ret = run_once(_metadata, self, line, sizeof(line));
	}
	ASSERT_EQ(0, ret);
	TH_LOG("guest: %s", line);
	TH_LOG("keel_remote: requests %lld reads %lld bytes_read %lld errors %lld irqs %lld",
	       krq_info(&self->k, "requests"), krq_info(&self->k, "reads"),
	       krq_info(&self->k, "bytes_read"), krq_info(&self->k, "errors"),
	       krq_info(&self->k, "irqs"));

	/* The guest: the whole read, random, from the virtio source. */
	EXPECT_EQ(READ_BYTES, krq_field(line, "bytes")) TH_LOG("%s", line);
	EXPECT_LE(250, krq_field(line, "distinct")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "current=virtio_rng")) TH_LOG("%s", line);

	/* Keel carried those bytes: its reads, at least as many bytes. */
	EXPECT_LT(0, krq_info(&self->k, "reads"));
	EXPECT_LE(READ_BYTES, krq_info(&self->k, "bytes_read"));
	EXPECT_EQ(0, krq_info(&self->k, "writes"));
	EXPECT_EQ(0, krq_info(&self->k, "errors"));
	EXPECT_EQ(0, krq_info(&self->k, "bad_descs"));
	EXPECT_LT(0, krq_info(&self->k, "irqs"));
	EXPECT_EQ(0, krq_info(&self->k, "capacity"));

	/* QEMU killed: the device goes with its address space (a work item). */
	krq_stop_reaped(&self->k, &fd, &refcnt);
	EXPECT_EQ(-ENOENT, fd);
	EXPECT_EQ(0, refcnt);
}

TEST_HARNESS_MAIN
