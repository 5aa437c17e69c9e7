// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl remote: the remote devices of keel_remote.ko, listed and shown
 * as every object type is (cmd_typed.c). This file owns the command line;
 * add, connect and watch are remote_add.c's, del objdel.c's.
 */
#include <stdio.h>
#include <string.h>

#include <linux/keel_remote.h>

#include "keelctl.h"

enum remote_opt {
	OPT_PID,
	OPT_MMIO,
	OPT_IRQ,
	OPT_SERVER,
	OPT_KEY,
	OPT_DEVICE,
	OPT_MODEL,
	OPT_MIN_CAPACITY,
	OPT_TYPE,
	OPT_RO,
	OPT_LEVEL,
	OPT_LABEL,
	OPT_VM_FD,
	NR_OPTS,
};

#define OPT_VAL(o)	KEELCTL_OPT_VAL(o)

static const struct option longopts[] = {
	KEELCTL_LONGOPTS,
	{ "pid", required_argument, NULL, OPT_VAL(OPT_PID) },
	{ "mmio", required_argument, NULL, OPT_VAL(OPT_MMIO) },
	{ "irq", required_argument, NULL, OPT_VAL(OPT_IRQ) },
	{ "server", required_argument, NULL, OPT_VAL(OPT_SERVER) },
	{ "key", required_argument, NULL, OPT_VAL(OPT_KEY) },
	{ "device", required_argument, NULL, OPT_VAL(OPT_DEVICE) },
	{ "model", required_argument, NULL, OPT_VAL(OPT_MODEL) },
	{ "min-capacity", required_argument, NULL,
	  OPT_VAL(OPT_MIN_CAPACITY) },
	{ "type", required_argument, NULL, OPT_VAL(OPT_TYPE) },
	{ "ro", no_argument, NULL, OPT_VAL(OPT_RO) },
	{ "level", no_argument, NULL, OPT_VAL(OPT_LEVEL) },
	{ "label", required_argument, NULL, OPT_VAL(OPT_LABEL) },
	{ "vm-fd", required_argument, NULL, OPT_VAL(OPT_VM_FD) },
	{ NULL, 0, NULL, 0 }
};

static const char *const opt_names[NR_OPTS] = {
	[OPT_PID] = "--pid", [OPT_MMIO] = "--mmio", [OPT_IRQ] = "--irq",
	[OPT_SERVER] = "--server", [OPT_KEY] = "--key",
	[OPT_DEVICE] = "--device", [OPT_MODEL] = "--model",
	[OPT_MIN_CAPACITY] = "--min-capacity", [OPT_TYPE] = "--type",
	[OPT_RO] = "--ro",
	[OPT_LEVEL] = "--level",
	[OPT_LABEL] = "--label", [OPT_VM_FD] = "--vm-fd",
};

/* Options each subcommand takes; any other is refused. */
#define ADD_OPTS	(~0u)
#define CONNECT_OPTS	(1u << OPT_SERVER | 1u << OPT_KEY | 1u << OPT_DEVICE)

static int check_name(const struct keelctl_cmd *cmd, const char *opt,
		      const char *v)
{
	if (v && strlen(v) >= KEEL_REMOTE_NAME_LEN)
		return keelctl_usage_error(cmd, "%s longer than %d characters",
					   opt, KEEL_REMOTE_NAME_LEN - 1);
	return -1;
}

static int add_args(struct keelctl *k, const struct keelctl_cmd *cmd,
		    const char *const *v, const char *const *servers,
		    int nservers, int argc, char **argv)
{
	struct remote_add_req r = {
		.vm_fd = -1,
		.key = v[OPT_KEY],
		.device = v[OPT_DEVICE],
		.model = v[OPT_MODEL],
		.ro = v[OPT_RO] != NULL,
		.level = v[OPT_LEVEL] != NULL,
		.label = v[OPT_LABEL] ?: "",
	};
	uint64_t n;
	int rc;

	memcpy(r.servers, servers, nservers * sizeof(*servers));
	r.nservers = nservers;
	if (argc > 1)
		return keelctl_usage_error(cmd, "unexpected argument '%s'",
					   argv[1]);
	if (!v[OPT_PID] || keelctl_parse_u64(v[OPT_PID], 0x7fffffff, &n) ||
	    !n)
		return keelctl_usage_error(cmd, "add needs --pid PID");
	r.pid = (int)n;
	if (!v[OPT_MMIO] ||
	    keelctl_parse_u64(v[OPT_MMIO], UINT64_MAX - KEEL_REMOTE_MMIO_SIZE,
			      &r.base) || r.base % 4096)
		return keelctl_usage_error(cmd, "add needs --mmio ADDR, 4 KiB aligned");
	if (!v[OPT_IRQ] || keelctl_parse_u64(v[OPT_IRQ], 1023, &n))
		return keelctl_usage_error(cmd, "add needs --irq GSI (0-1023)");
	r.gsi = (uint32_t)n;
	if (!r.nservers || !r.key)
		return keelctl_usage_error(cmd, "add needs --server ADDR and --key FILE");
	if (v[OPT_MIN_CAPACITY] &&
	    keelctl_parse_u64(v[OPT_MIN_CAPACITY], UINT64_MAX,
			      &r.min_capacity))
		return keelctl_usage_error(cmd, "bad --min-capacity '%s'",
					   v[OPT_MIN_CAPACITY]);
	if (v[OPT_TYPE] && !strcmp(v[OPT_TYPE], "entropy"))
		r.entropy = true;
	else if (v[OPT_TYPE] && strcmp(v[OPT_TYPE], "block"))
		return keelctl_usage_error(cmd, "bad --type '%s': block or entropy",
					   v[OPT_TYPE]);
	if (r.entropy && (r.ro || v[OPT_MIN_CAPACITY]))
		return keelctl_usage_error(cmd, "--ro and --min-capacity are for --type block");
	if (v[OPT_VM_FD]) {
		if (keelctl_parse_u64(v[OPT_VM_FD], 0x7fffffff, &n))
			return keelctl_usage_error(cmd, "bad --vm-fd '%s'",
						   v[OPT_VM_FD]);
		r.vm_fd = (int)n;
	}
	rc = check_name(cmd, "--device", r.device);
	if (rc < 0)
		rc = check_name(cmd, "--model", r.model);
	if (rc >= 0)
		return rc;
	if (strlen(r.label) >= KEEL_NAME_MAX)
		return keelctl_usage_error(cmd, "label longer than %d characters",
					   KEEL_NAME_MAX - 1);
	return remote_add(k, &r);
}

static int connect_args(struct keelctl *k, const struct keelctl_cmd *cmd,
			const char *const *v, int nservers, int argc,
			char **argv)
{
	struct remote_connect_req r = {
		.server = v[OPT_SERVER],
		.key = v[OPT_KEY],
		.device = v[OPT_DEVICE],
	};
	int rc;

	if (argc != 2 || keelctl_parse_id(argv[1], &r.id) || !r.id)
		return keelctl_usage_error(cmd, "%s needs one device id",
					   argv[0]);
	if (!r.server || !r.key)
		return keelctl_usage_error(cmd, "%s needs --server ADDR and --key FILE",
					   argv[0]);
	if (nservers > 1)
		return keelctl_usage_error(cmd, "%s takes one --server, the device's",
					   argv[0]);
	rc = check_name(cmd, "--device", r.device);
	if (rc >= 0)
		return rc;
	if (!strcmp(argv[0], "watch"))
		return remote_watch(k, &r);
	return remote_connect(k, &r);
}

static int remote_run(struct keelctl *k, const struct keelctl_cmd *cmd,
		      int argc, char **argv)
{
	const char *servers[KEELCTL_REMOTE_SERVERS];
	const char *v[NR_OPTS] = { NULL };
	unsigned int allowed = 0;
	const char *sub;
	uint32_t id;
	int rc, o, nservers;

	rc = keelctl_opt_list(k, cmd, &argc, &argv, longopts, v, NR_OPTS,
			      (struct keelctl_opt_rep){
				.opt = OPT_SERVER, .list = servers,
				.max = KEELCTL_REMOTE_SERVERS, .n = &nservers,
			      });
	if (rc >= 0)
		return rc;
	sub = argc > 0 ? argv[0] : "";
	if (!strcmp(sub, "add"))
		allowed = ADD_OPTS;
	else if (!strcmp(sub, "connect") || !strcmp(sub, "watch"))
		allowed = CONNECT_OPTS;
	for (o = 0; o < NR_OPTS; o++)
		if (v[o] && !(allowed & (1u << o)))
			return keelctl_usage_error(cmd, "%s is not for '%s'",
						   opt_names[o],
						   sub[0] ? sub : "list");
	if (!strcmp(sub, "add"))
		return add_args(k, cmd, v, servers, nservers, argc, argv);
	if (allowed)
		return connect_args(k, cmd, v, nservers, argc, argv);
	if (!strcmp(sub, "del")) {
		if (argc != 2 || keelctl_parse_id(argv[1], &id) || !id)
			return keelctl_usage_error(cmd, "del needs one device id");
		return keelctl_obj_del(k, id, "remote", "device");
	}
	return keelctl_typed_list_show(k, cmd, argc, argv);
}

const struct keelctl_cmd keelctl_cmd_remote = {
	.name = "remote",
	.noun = "device",
	.synopsis = "remote [list]\n"
		    "remote show ID\n"
		    "remote add --pid PID --mmio ADDR --irq GSI --server ADDR... --key FILE\n"
		    "           [--type block|entropy] [--device NAME] [--model MODEL]\n"
		    "           [--min-capacity BYTES] [--ro] [--level] [--label LABEL]\n"
		    "           [--vm-fd FD]\n"
		    "remote connect --server ADDR --key FILE [--device NAME] ID\n"
		    "remote watch --server ADDR --key FILE [--device NAME] ID\n"
		    "remote del ID",
	.summary = "Disks and entropy sources of running VMs served by keel-iod on another host; list, show, reconnect, remove.",
	.help =
	"  list        one line per remote device (the default): id, label\n"
	"              and the fields keel_remote.ko marks for its list\n"
	"  show ID     every counter of one device: requests, reads, writes,\n"
	"              flushes and their bytes, in flight, latency, lost\n"
	"              connections, reconnects and requests sent again\n"
	"  add         give a running VMM's guest (QEMU, ...) a virtio-mmio\n"
	"              disk at --mmio whose blocks are a keel-iod device: it\n"
	"              connects to --server, proves the key, opens the block\n"
	"              device that matches (--device, --model,\n"
	"              --min-capacity), and attaches the device to the VM\n"
	"              until \"remote del\" or its end; with several\n"
	"              --server, the first that has such a device; with\n"
	"              --type entropy\n"
	"              a virtio-rng device whose bytes are a keel-iod\n"
	"              entropy device's\n"
	"  connect ID  a new connection for a device that lost its own: the\n"
	"              session resumed, or, when the server restarted, the\n"
	"              same device opened again; the requests in flight are\n"
	"              sent again, none applied twice\n"
	"  watch ID    connect each time the device has no connection, until\n"
	"              it is removed or SIGINT/SIGTERM\n"
	"  del ID      remove the device from the VM\n",
	.options =
	"  --pid PID           add: the VMM's process id\n"
	"  --mmio ADDR         add: the guest-physical address of the device's\n"
	"                      512 bytes of registers, 4 KiB aligned\n"
	"  --irq GSI           add: the interrupt, bound by Keel in the VM\n"
	"  --server ADDR       tcp:HOST:PORT or unix:PATH of keel-iod; add:\n"
	"                      up to 8, tried in order\n"
	"  --key FILE          the shared key (keel-iod(8)), mode 0600\n"
	"  --device NAME       the server's name of the device; connect:\n"
	"                      default the device's label\n"
	"  --model MODEL       add: the model the device must stand for\n"
	"  --min-capacity N    add: bytes the device must hold at least\n"
	"  --type TYPE         add: block (default: a virtio-blk disk) or\n"
	"                      entropy (a virtio-rng device)\n"
	"  --ro                add: read-only for the guest\n"
	"  --level             add: a level-triggered interrupt, as\n"
	"                      virtio-mmio's is (QEMU's microvm describes\n"
	"                      its transports' interrupts so); default edge\n"
	"  --label LABEL       add: default the server's name of the device\n"
	"  --vm-fd FD          add: which VM, when the VMM has several\n",
	.run = remote_run,
};
