// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's interrupt-moderation part, inside the test VM: Debian's
 * unmodified QEMU runs a Linux guest with a virtio-net-pci NIC on
 * vhost-net. A UDP stream into the guest costs it about one interrupt of
 * its receive queue per datagram; "keelctl coalesce add --pid" moderates
 * the queues' interrupts of the running VM, and the same stream arrives
 * in full with a handful; "keelctl coalesce del" hands them back. Exits
 * non-zero, saying why, when any step fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel_net.h"
#include "keel_test_keelctl.h"

/* As many as coalesce_vhost_test sends: enough for the difference. */
#define DATAGRAMS	300
#define GAP_US		1000
#define MAX_GSIS	8

static char out[65536];

/* Show "$ keelctl ARGS", run it, show its output. Its exit status. */
static int keelctl(const char *const *args)
{
	return keel_test_keelctl_show(args, NULL, out, sizeof(out));
}

/* The stream, and what the guest counted: 0 or -errno (-EDEADLK: stuck). */
static int stream(struct keel_qemu *q, struct keel_net_report *g)
{
	struct keel_net_report before = *g;
	long sent;

	sent = keel_net_send(q, DATAGRAMS, 64, GAP_US, g);
	if (sent < 0)
		return sent;
	if (sent != DATAGRAMS)
		return -EIO;
	printf("    the guest received %llu datagrams (dropped %llu) and took %llu interrupts on virtio0-input.0\n\n",
	       g->udp - before.udp, g->drops - before.drops,
	       g->irqs - before.irqs);
	fflush(stdout);
	return g->udp - before.udp == DATAGRAMS ? 0 : -EPROTO;
}

/* Boot the guest with its NIC up; -EDEADLK when it got stuck. */
static int boot(struct keel_qemu **q, struct keel_net_report *g)
{
	struct keel_qemu_opts o = {
		.machine = "pc",
		.append = KEEL_NET_APPEND,
		.extra_args = keel_net_qemu_args,
	};
	int ret;

	printf("Starting Debian's qemu-system-x86_64 (unmodified) with a Linux guest and\n"
	       "-netdev tap,vhost=on -device virtio-net-pci: the queues run in vhost-net.\n");
	fflush(stdout);
	ret = keel_qemu_boot(q, &o, "KEEL-GUEST-NET-UP",
			     KEEL_QEMU_BOOT_TIMEOUT_MS);
	if (!ret && keel_net_host_up())
		ret = -EIO;
	if (!ret)
		ret = keel_net_report(*q, g);
	if (!ret && keel_net_stream(1, 64, 0) != 1)
		ret = -EIO;
	if (!ret)
		ret = keel_net_wait_udp(*q, g->udp + 1, g);
	return ret;
}

static int demo(struct keel_qemu *q, struct keel_net_report *g)
{
	char pid[16], ids[MAX_GSIS][16], *line;
	const char *args[16];
	int n = 0, i, ret;

	snprintf(pid, sizeof(pid), "%d", keel_qemu_pid(q));
	printf("\nQEMU runs as pid %s. %d datagrams from the host, %d us apart:\n",
	       pid, DATAGRAMS, GAP_US);
	ret = stream(q, g);
	if (ret)
		return ret;

	printf("The irqfds of its VM (the queues' MSI-X vectors):\n");
	if (keelctl((const char *[]){ "coalesce", "irqfds", "--pid", pid,
				      NULL }))
		return -EIO;
	{
		static char list[sizeof(out)];

		memcpy(list, out, sizeof(list));
		for (line = strchr(list, '\n'); line && n < MAX_GSIS;
		     line = strchr(line, '\n')) {
			unsigned int fd, gsi;
			char route[16], gs[16];

			line++;
			if (sscanf(line, "%u %u %15s", &fd, &gsi, route) != 3 ||
			    strcmp(route, "msi"))
				continue;
			snprintf(gs, sizeof(gs), "%u", gsi);
			printf("\nModerate GSI %u while the guest runs: 20 ms while its vCPU runs,\n"
			       "200 ms while it sleeps:\n", gsi);
			args[0] = "coalesce";
			args[1] = "add";
			args[2] = "--pid";
			args[3] = pid;
			args[4] = "--gsi";
			args[5] = gs;
			args[6] = "rx-usecs";
			args[7] = "20000";
			args[8] = "overflow-usecs";
			args[9] = "200000";
			args[10] = NULL;
			if (keelctl(args))
				return -EIO;
			snprintf(ids[n++], 16, "%lu", strtoul(out, NULL, 10));
		}
	}
	if (!n)
		return -ENOENT;

	printf("\nThe same %d datagrams, moderated:\n", DATAGRAMS);
	ret = stream(q, g);
	if (ret)
		return ret;
	if (keelctl((const char *[]){ "coalesce", "list", NULL }) ||
	    keelctl((const char *[]){ "coalesce", "show", ids[0], NULL }))
		return -EIO;

	printf("\nModeration off again: every notification is an interrupt.\n");
	for (i = 0; i < n; i++)
		if (keelctl((const char *[]){ "coalesce", "del", ids[i], NULL }))
			return -EIO;
	ret = stream(q, g);
	if (ret)
		return ret;
	return keelctl((const char *[]){ "coalesce", "list", NULL }) ? -EIO : 0;
}

int main(void)
{
	struct keel_qemu *q = NULL;
	struct keel_net_report g;
	int tries, ret = -EDEADLK;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (tries = 0; tries < KEEL_QEMU_STREAM_TRIES && ret == -EDEADLK;
	     tries++) {
		if (q) {
			printf("\n(The emulated CPU of this test VM made the nested guest fail: it\n"
			       " %s, a known fault of nested TCG: start again.)\n\n",
			       keel_qemu_fault(q));
			keel_qemu_free(q);
		}
		ret = boot(&q, &g);
		if (!ret)
			ret = demo(q, &g);
	}
	if (ret)
		return keel_qemu_demo_fail(q, strerror(-ret));
	keel_qemu_free(q);
	return 0;
}
