// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's remote I/O part, inside the test VM: keel-iod serves a disk
 * from another network namespace; Debian's unmodified QEMU runs a Linux
 * guest whose virtio disk "keelctl remote add --pid" gives it, served
 * over the veth pair. The guest makes a filesystem on it and writes
 * files; keel-iod is killed and started again underneath it while it
 * writes (keelctl remote watch reconnects), and after a remount the
 * guest finds every file intact. Exits non-zero, saying why, when a step
 * fails or the guest's data is not intact.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel_remote_qemu.h"
#include "keel_test_keelctl.h"

#define DISK_SIZE	(64ull << 20)
#define WORK_MS		300000
#define TAG		"keel-demo-disk"

static char out[65536];

static int keelctl(const char *const *args)
{
	return keel_test_keelctl_show(args, NULL, out, sizeof(out));
}

/* Waits for @marker and prints the guest's line. */
static int guest_line(struct keel_qemu *q, const char *marker, char *line,
		      size_t len, int ms)
{
	int ret = keel_qemu_wait_live(q, marker, ms);

	if (!ret)
		ret = keel_qemu_wait_line(q, "", line, len, ms);
	if (!ret)
		printf("    guest: %s%s\n", marker, line);
	return ret;
}

static int demo(struct krq *k)
{
	char line[256], ids[16];
	unsigned int ok = 0, failed = 1, errors = 1, irqs = 0, max_ms = 0;
	int ret;

	printf("\nThe guest boots; its own virtio_mmio and virtio_blk find the disk:\n");
	ret = guest_line(k->q, "KEEL-GUEST-DISK ", line, sizeof(line),
			 KEEL_QEMU_BOOT_TIMEOUT_MS);
	if (ret)
		return ret;
	printf("It makes an ext2 filesystem and writes 4 files of 1 MiB.\n");
	ret = guest_line(k->q, "KEEL-GUEST-DISK-WRITING", line, sizeof(line),
			 WORK_MS);
	if (ret)
		return ret;
	printf("\nWhile it writes 16 more files, keel-iod is killed (SIGKILL) and started again:\n");
	ret = krq_server_restart(k, SIGKILL);
	if (ret) {
		rc_server_dump_log(&k->srv);
		return ret;
	}
	ret = guest_line(k->q, "KEEL-GUEST-DISK-CHECK", line, sizeof(line),
			 WORK_MS);
	if (ret)
		return ret;
	if (sscanf(line, " ok=%u failed=%u errors=%u irqs=%u max_sync_ms=%u",
		   &ok, &failed, &errors, &irqs, &max_ms) != 5)
		return -EPROTO;
	printf("After a remount the guest read back %u files intact, %u not, with %u I/O\n"
	       "errors in its kernel log; its longest sync waited %u ms for the server.\n",
	       ok, failed, errors, max_ms);
	snprintf(ids, sizeof(ids), "%u", k->id);
	printf("\nKeel's side: the lost connection, the reconnect, the requests sent again:\n");
	if (keelctl((const char *[]){ "remote", "show", ids, NULL }))
		return -EIO;
	if (!krq_disk_has(k, TAG "-63\n"))
		return -ENODATA;
	printf("The guest's tag file is in keel-iod's backing file, in the other namespace.\n");
	return failed || errors || !ok ? -EPROTO : 0;
}

int main(void)
{
	struct krq k = { .show = true };
	int ret, tries = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("keel-iod serves a 64 MiB disk in another network namespace (over veth).\n");
	ret = krq_server_up(&k, DISK_SIZE);
	if (ret) {
		printf("demo: keel-iod did not start: %s\n", strerror(-ret));
		return 1;
	}
	printf("Debian's qemu-system-x86_64 (unmodified), microvm, a placeholder on\n"
	       "virtio-mmio transport 0; Keel takes the transport over by pid:\n");
	do {
		if (k.q) {
			printf("(the nested guest %s: again)\n",
			       keel_qemu_fault(k.q));
			krq_stop(&k);
			k.show = false;
		}
		ret = krq_start(&k, "keel.role=remote-disk keel.tag=" TAG);
		if (!ret)
			ret = demo(&k);
	} while (ret == -EDEADLK && ++tries < KEEL_QEMU_STREAM_TRIES);
	if (ret) {
		rc_server_dump_log(&k.srv);
		ret = keel_qemu_demo_fail(k.q, strerror(-ret));
		k.q = NULL;
		krq_free(&k);
		return ret;
	}
	krq_free(&k);
	return 0;
}
