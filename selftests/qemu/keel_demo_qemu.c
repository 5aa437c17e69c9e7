// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's QEMU part, inside the test VM: Debian's unmodified QEMU boots
 * a Linux guest, paused at first; Keel's 16550A is attached to its VM by
 * pid at COM2 ("keelctl vdev add --pid"), the guest boots and its 8250
 * driver finds the UART; a command is typed into the guest's shell through
 * "keelctl vdev console" and the answer comes back; "keelctl vdev list"
 * shows the device and its counts. Then QEMU is killed and the device is
 * gone with it. Exits non-zero, saying why, when any step fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel_qemu.h"
#include "keel_test_run.h"

static const char *keelctl_path(void)
{
	return getenv("KEELCTL") ?: "/keel/bin/keelctl";
}

/*
 * Shows and runs "keelctl ARGS...", with @in on its stdin if not NULL;
 * prints its output, which stays in @out. Its exit status, or -1.
 */
static char out[65536];

static int keelctl_run(const char *const *args, const char *in, bool show)
{
	const char *argv[16] = { keelctl_path() };
	size_t i;
	int rc;

	if (show)
		keel_test_print_cmd("keelctl", args);
	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	rc = keel_test_run(argv, in, out, sizeof(out), false);
	if (show)
		fputs(out, stdout);
	fflush(stdout);
	return rc;
}

static int keelctl(const char *const *args, const char *in)
{
	return keelctl_run(args, in, true);
}

int main(void)
{
	struct keel_qemu_opts o = {
		.machine = "pc",
		.append = "keel.role=shell-ttyS1",
		.paused = true,
	};
	char pid[16], id[16];
	struct keel_qemu *q = NULL;
	int tries, ret = -EDEADLK;
	char *end;

	for (tries = 0; tries < KEEL_QEMU_BOOT_TRIES; tries++) {
		if (q) {
			printf("\n(The emulated CPU of this test VM made the nested guest fail: it\n"
			       " %s, a known fault of nested TCG: kill QEMU,\n"
			       " which takes the device along, and start again.)\n\n",
			       keel_qemu_fault(q));
			keel_qemu_free(q);
		}
		printf("Starting Debian's qemu-system-x86_64 (unmodified), paused, with a Linux guest:\n");
		fflush(stdout);
		q = keel_qemu_start(&o);
		if (!q)
			return keel_qemu_demo_fail(NULL, "QEMU did not start");
		/* Its monitor answers once the machine, and its VM, exist. */
		if (!keel_qemu_monitor(q, "info status"))
			return keel_qemu_demo_fail(q, "QEMU's monitor did not answer");
		snprintf(pid, sizeof(pid), "%d", keel_qemu_pid(q));
		printf("QEMU runs as pid %s; its VM exists, the guest has not run yet.\n\n", pid);

		printf("Attach Keel's in-kernel 16550A to that VM at COM2 (0x2f8, IRQ 3):\n");
		if (keelctl((const char *[]){ "vdev", "add", "--pid", pid,
					      "--port", "0x2f8", "--irq", "3",
					      "--label", "console1", NULL }, NULL))
			return keel_qemu_demo_fail(q, "keelctl vdev add failed");
		strtoul(out, &end, 10);
		if (end == out)
			return keel_qemu_demo_fail(q, "keelctl vdev add printed no id");
		snprintf(id, sizeof(id), "%.*s", (int)(end - out), out);

		printf("\nLet the guest run (QEMU monitor: cont) and wait for it to boot.\n");
		if (!keel_qemu_monitor(q, "cont"))
			return keel_qemu_demo_fail(q, "QEMU's monitor refused cont");
		ret = keel_qemu_wait_boot(q, "KEEL-GUEST-READY",
					  KEEL_QEMU_BOOT_TIMEOUT_MS);
		if (ret != -EDEADLK)
			break;
	}
	if (ret)
		return keel_qemu_demo_fail(q, "the guest did not boot to its shell on ttyS1");
	{
		const char *log = keel_qemu_console_log(q);
		const char *p = strstr(log, "KEEL-GUEST-SERIAL ttyS1");
		const char *nl = p ? strchr(p, '\n') : NULL;

		if (!p)
			return keel_qemu_demo_fail(q, "the guest's 8250 driver did not find the UART");
		printf("The guest's 8250 driver found: %.*s\n\n",
		       (int)(nl ? nl - p : (long)strlen(p)), p);
	}

	printf("Type commands into the guest's shell on ttyS1, through Keel's UART:\n");
	printf("    uname -sr; grep -E 'ttyS|^ *3:' /proc/interrupts; echo \"answer: $((6*7))\"\n");
	if (keelctl((const char *[]){ "vdev", "console", "--wait", "60000",
				      "--until", "answer: 42", id, NULL },
		    "uname -sr; grep -E 'ttyS|^ *3:' /proc/interrupts; echo \"answer: $((6*7))\"\n"))
		return keel_qemu_demo_fail(q, "keelctl vdev console failed");
	if (!strstr(out, "answer: 42"))
		return keel_qemu_demo_fail(q, "the guest's answer did not come back");

	printf("\nThe device as Keel reports it (bytes each way, interrupts raised):\n");
	if (keelctl((const char *[]){ "vdev", "list", NULL }, NULL))
		return keel_qemu_demo_fail(q, "keelctl vdev list failed");
	if (keelctl((const char *[]){ "vdev", "show", id, NULL }, NULL))
		return keel_qemu_demo_fail(q, "keelctl vdev show failed");

	printf("\nKill QEMU (SIGKILL): the device goes with its VM.\n");
	keel_qemu_kill(q);
	/* Reaped right after QEMU's address space is gone. */
	for (int i = 0; i < 100; i++) {
		if (keelctl_run((const char *[]){ "vdev", "show", id, NULL },
				NULL, false))
			break;
		usleep(100000);
	}
	if (keelctl((const char *[]){ "vdev", "list", NULL }, NULL) ||
	    strstr(out, "console1"))
		return keel_qemu_demo_fail(NULL, "the device outlived QEMU");
	keel_qemu_free(q);
	printf("\nQEMU part of the demo: done.\n");
	return 0;
}
