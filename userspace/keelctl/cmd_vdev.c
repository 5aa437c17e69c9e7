// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl vdev: the in-kernel virtual devices. This file owns the command
 * line: its options, which subcommand takes which, their values checked
 * and the help; list and show are cmd_typed.c's, add, del and console
 * vdev_add.c's, objdel.c's and vdev_console.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/keel_vdev.h>

#include "keelctl.h"

/* KVM_MAX_IRQ_ROUTES: no GSI above has a route in KVM. */
#define GSI_MAX		4095u
#define WAIT_MS_MAX	86400000u	/* a day */
#define UNTIL_WAIT_MS	10000u		/* --until without --wait */

enum vdev_opt {
	OPT_PID,
	OPT_PORT,
	OPT_MMIO,
	OPT_IRQ,
	OPT_LEVEL,
	OPT_MODEL,
	OPT_LABEL,
	OPT_VM_FD,
	OPT_WAIT,
	OPT_UNTIL,
	NR_OPTS,
};

#define OPT_VAL(o)	KEELCTL_OPT_VAL(o)

static const struct option longopts[] = {
	KEELCTL_LONGOPTS,
	{ "pid", required_argument, NULL, OPT_VAL(OPT_PID) },
	{ "port", required_argument, NULL, OPT_VAL(OPT_PORT) },
	{ "mmio", required_argument, NULL, OPT_VAL(OPT_MMIO) },
	{ "irq", required_argument, NULL, OPT_VAL(OPT_IRQ) },
	{ "level", no_argument, NULL, OPT_VAL(OPT_LEVEL) },
	{ "model", required_argument, NULL, OPT_VAL(OPT_MODEL) },
	{ "label", required_argument, NULL, OPT_VAL(OPT_LABEL) },
	{ "vm-fd", required_argument, NULL, OPT_VAL(OPT_VM_FD) },
	{ "wait", required_argument, NULL, OPT_VAL(OPT_WAIT) },
	{ "until", required_argument, NULL, OPT_VAL(OPT_UNTIL) },
	{ NULL, 0, NULL, 0 }
};

static const char *const opt_names[NR_OPTS] = {
	[OPT_PID] = "--pid", [OPT_PORT] = "--port", [OPT_MMIO] = "--mmio",
	[OPT_IRQ] = "--irq", [OPT_LEVEL] = "--level", [OPT_MODEL] = "--model",
	[OPT_LABEL] = "--label", [OPT_VM_FD] = "--vm-fd", [OPT_WAIT] = "--wait",
	[OPT_UNTIL] = "--until",
};

/* The subcommand each option is for. */
static const char *const opt_sub[NR_OPTS] = {
	[OPT_PID] = "add", [OPT_PORT] = "add", [OPT_MMIO] = "add",
	[OPT_IRQ] = "add", [OPT_LEVEL] = "add", [OPT_MODEL] = "add",
	[OPT_LABEL] = "add", [OPT_VM_FD] = "add", [OPT_WAIT] = "console",
	[OPT_UNTIL] = "console",
};

struct vdev_args {
	const char *val[NR_OPTS];	/* as given; "" for a flag */
};

/* A number of @base (0: C's 0x and 0 prefixes too) up to @max. */
static int parse_num(const char *s, int base, unsigned long long max,
		     unsigned long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, base);
	return errno || *end || *v > max ? -1 : 0;
}

static const struct {
	const char *name;
	uint32_t model;
	uint32_t len;
} models[] = {
	{ "16550a", KEEL_VDEV_MODEL_UART16550A, 8 },
	{ "uart16550a", KEEL_VDEV_MODEL_UART16550A, 8 },
};

static bool label_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n >= KEEL_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	}
	return true;
}

static int parse_add(const struct keelctl_cmd *cmd, const struct vdev_args *a,
		     struct vdev_add_req *r)
{
	const char *const *v = a->val;
	unsigned long long n, last;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!v[OPT_PID])
		return keelctl_usage_error(cmd, "add needs --pid PID");
	if (parse_num(v[OPT_PID], 10, 0x7fffffff, &n) || !n)
		return keelctl_usage_error(cmd, "bad pid '%s'", v[OPT_PID]);
	r->pid = (int)n;
	r->vm_fd = -1;
	if (v[OPT_VM_FD]) {
		if (parse_num(v[OPT_VM_FD], 10, 0x7fffffff, &n))
			return keelctl_usage_error(cmd, "bad descriptor '%s'",
						   v[OPT_VM_FD]);
		r->vm_fd = (int)n;
	}
	if (v[OPT_PORT] && v[OPT_MMIO])
		return keelctl_usage_error(cmd, "--port and --mmio exclude each other");
	if (!v[OPT_PORT] && !v[OPT_MMIO])
		return keelctl_usage_error(cmd, "add needs --port PORT or --mmio ADDR");

	r->model = models[0].model;
	r->len = models[0].len;
	if (v[OPT_MODEL]) {
		for (i = 0; i < sizeof(models) / sizeof(models[0]); i++)
			if (!strcmp(v[OPT_MODEL], models[i].name))
				break;
		if (i == sizeof(models) / sizeof(models[0]))
			return keelctl_usage_error(cmd, "unknown model '%s' (models: 16550a)",
						   v[OPT_MODEL]);
		r->model = models[i].model;
		r->len = models[i].len;
	}

	if (v[OPT_PORT]) {
		r->bus = KEEL_VDEV_BUS_PIO;
		last = 0x10000 - r->len;
		if (parse_num(v[OPT_PORT], 0, last, &n))
			return keelctl_usage_error(cmd, "bad port '%s' (0 to 0x%llx: the device takes %u ports)",
						   v[OPT_PORT], last, r->len);
	} else {
		r->bus = KEEL_VDEV_BUS_MMIO;
		last = UINT64_MAX - (r->len - 1);
		if (parse_num(v[OPT_MMIO], 0, last, &n))
			return keelctl_usage_error(cmd, "bad MMIO address '%s' (0 to 0x%llx: the device takes %u bytes)",
						   v[OPT_MMIO], last, r->len);
	}
	r->base = n;

	if (!v[OPT_IRQ])
		return keelctl_usage_error(cmd, "add needs --irq GSI");
	if (parse_num(v[OPT_IRQ], 0, GSI_MAX, &n))
		return keelctl_usage_error(cmd, "bad GSI '%s' (0 to %u)",
					   v[OPT_IRQ], GSI_MAX);
	r->gsi = (uint32_t)n;
	r->level = v[OPT_LEVEL] != NULL;

	r->label = v[OPT_LABEL] ? v[OPT_LABEL] : "";
	if (!label_ok(r->label))
		return keelctl_usage_error(cmd, "bad label '%s' (up to %d printable ASCII characters)",
					   r->label, KEEL_NAME_MAX - 1);
	return -1;
}

/* The one operand of del and console: a device id, not 0. */
static int parse_dev_id(const struct keelctl_cmd *cmd, const char *sub,
			int argc, char **argv, uint32_t *id)
{
	if (argc != 2)
		return keelctl_usage_error(cmd, "%s needs one device id", sub);
	if (keelctl_parse_id(argv[1], id) || !*id)
		return keelctl_usage_error(cmd, "bad device id '%s'", argv[1]);
	return -1;
}

static int run(struct keelctl *k, const struct keelctl_cmd *cmd, int argc,
	       char **argv)
{
	struct vdev_args a = { 0 };
	struct vdev_add_req req;
	unsigned long long ms = 0;
	const char *sub;
	uint32_t id;
	int rc, o;

	rc = keelctl_opt_values(k, cmd, &argc, &argv, longopts, a.val,
				NR_OPTS);
	if (rc >= 0)
		return rc;
	sub = argc > 0 ? argv[0] : "list";

	for (o = 0; o < NR_OPTS; o++) {
		if (a.val[o] && strcmp(sub, opt_sub[o]))
			return keelctl_usage_error(cmd, "%s is for %s",
						   opt_names[o], opt_sub[o]);
	}

	if (!strcmp(sub, "add")) {
		if (argc > 1)
			return keelctl_usage_error(cmd, "unexpected argument '%s'",
						   argv[1]);
		rc = parse_add(cmd, &a, &req);
		return rc >= 0 ? rc : vdev_add(k, &req);
	}
	if (!strcmp(sub, "del")) {
		rc = parse_dev_id(cmd, sub, argc, argv, &id);
		return rc >= 0 ? rc : keelctl_obj_del(k, id, "vdev", "device");
	}
	if (!strcmp(sub, "console")) {
		if (a.val[OPT_WAIT] &&
		    parse_num(a.val[OPT_WAIT], 10, WAIT_MS_MAX, &ms))
			return keelctl_usage_error(cmd, "bad wait '%s' (milliseconds, up to %u)",
						   a.val[OPT_WAIT], WAIT_MS_MAX);
		if (a.val[OPT_UNTIL] && (!a.val[OPT_UNTIL][0] ||
		    strlen(a.val[OPT_UNTIL]) > CONSOLE_UNTIL_MAX))
			return keelctl_usage_error(cmd, "bad --until '%s' (1 to %u bytes)",
						   a.val[OPT_UNTIL], CONSOLE_UNTIL_MAX);
		if (a.val[OPT_UNTIL] && !a.val[OPT_WAIT])
			ms = UNTIL_WAIT_MS;
		rc = parse_dev_id(cmd, sub, argc, argv, &id);
		return rc >= 0 ? rc : vdev_console(k, id, (unsigned int)ms,
						   a.val[OPT_UNTIL]);
	}
	return keelctl_typed_list_show(k, cmd, argc, argv);
}

const struct keelctl_cmd keelctl_cmd_vdev = {
	.name = "vdev",
	.noun = "device",
	.synopsis = "vdev [list]\n"
		    "vdev show ID\n"
		    "vdev add --pid PID {--port PORT | --mmio ADDR} --irq GSI\n"
		    "         [--level] [--model 16550a] [--label LABEL] [--vm-fd FD]\n"
		    "vdev del ID\n"
		    "vdev console [--wait MS] [--until TEXT] ID",
	.summary = "List, show, add or remove in-kernel virtual devices; their console.",
	.help = "  list        one line per device (the default): id, label and the\n"
		"              fields keel_vdev.ko marks for its list (keelctl types\n"
		"              show vdev): model, bus, base, length, irq mode, bytes\n"
		"              the guest sent and received, irqfd signals, exits kept\n"
		"  show ID     every field of one device, with the reads and writes\n"
		"              of each register the guest accessed; \"attached yes\"\n"
		"              for a device attached to its VM\n"
		"  add         add a device to the VM of a running VMM that knows\n"
		"              nothing of Keel (QEMU, ...): take its VM (needs the\n"
		"              right to ptrace it), claim the range, have Keel bind\n"
		"              the interrupt to GSI, start the device and attach it\n"
		"              to the VM, which keeps it until \"vdev del\" or the\n"
		"              VMM's end; prints its id\n"
		"  del ID      remove a device \"vdev add\" attached; its range and\n"
		"              GSI are the VMM's again\n"
		"  console ID  the serial line of an attached device: on a terminal\n"
		"              both ways until Ctrl-] (escape character ^]); else\n"
		"              standard input to the guest until its end, the\n"
		"              guest's output to standard output\n"
		"Devices, and the VMs they are added to, need group kvm (or root).\n",
	.options = "  --pid PID         add: the VMM's process id\n"
		   "  --port PORT       add: the first I/O port (0x2f8, ...)\n"
		   "  --mmio ADDR       add: the guest-physical address instead\n"
		   "  --irq GSI         add: the interrupt's GSI (3 for COM2 on a PC);\n"
		   "                    no device of the VMM may drive it\n"
		   "  --level           add: level-triggered (with a resample eventfd;\n"
		   "                    needs the full in-kernel irqchip), not edge\n"
		   "  --model MODEL     add: the device model: 16550a (the default)\n"
		   "  --label LABEL     add: a name for it, up to 31 characters\n"
		   "  --vm-fd FD        add: the VMM's descriptor of the VM when it has\n"
		   "                    several (anon_inode:kvm-vm in /proc/PID/fd)\n"
		   "  --wait MS         console: after the end of an input that is not\n"
		   "                    a terminal, show the guest's output MS more\n"
		   "                    milliseconds (default 0: end with the input)\n"
		   "  --until TEXT      console: end as soon as the guest sent TEXT\n"
		   "                    (after the input's end); exit 1 if it did not\n"
		   "                    within --wait MS (default 10000 with --until)\n",
	.run = run,
};
