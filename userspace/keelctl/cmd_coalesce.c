// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl coalesce: host-side interrupt moderation of virtqueues. This
 * file owns the command line: options, the parameters with ethtool's
 * names ("rx-usecs 64 overflow-usecs 2000 ...", as ethtool -C takes
 * them), which subcommand takes what, and the help; list and show are
 * cmd_typed.c's, add and irqfds coalesce_vmm.c's, del objdel.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keelctl.h"

#define GSI_MAX		4095u
#define VCPU_MAX	4095u
/* Parameters of "coalesce add" not given. */
#define DEFAULT_RX_USECS	100
#define DEFAULT_OVERFLOW_USECS	2000

enum coal_opt {
	OPT_PID,
	OPT_GSI,
	OPT_VCPU,
	OPT_LABEL,
	NR_OPTS,
};

#define OPT_VAL(o)	KEELCTL_OPT_VAL(o)

static const struct option longopts[] = {
	KEELCTL_LONGOPTS,
	{ "pid", required_argument, NULL, OPT_VAL(OPT_PID) },
	{ "gsi", required_argument, NULL, OPT_VAL(OPT_GSI) },
	{ "vcpu", required_argument, NULL, OPT_VAL(OPT_VCPU) },
	{ "label", required_argument, NULL, OPT_VAL(OPT_LABEL) },
	{ NULL, 0, NULL, 0 }
};

static const char *const opt_names[NR_OPTS] = {
	[OPT_PID] = "--pid", [OPT_GSI] = "--gsi", [OPT_VCPU] = "--vcpu",
	[OPT_LABEL] = "--label",
};

/* The parameters, as keelctl and ethtool name them. */
static const struct {
	const char *name;
	uint16_t attr;
	uint8_t bytes;
	uint32_t max;
} params[] = {
	{ "rx-usecs", KEEL_COALESCE_PARAM_A_RX_USECS, 4, KEEL_COALESCE_MAX_USECS },
	{ "rx-frames", KEEL_COALESCE_PARAM_A_RX_FRAMES, 4, KEEL_COALESCE_MAX_FRAMES },
	{ "overflow-usecs", KEEL_COALESCE_PARAM_A_OVERFLOW_USECS, 4,
	  KEEL_COALESCE_MAX_USECS },
	{ "adaptive-rx", KEEL_COALESCE_PARAM_A_ADAPTIVE_RX, 1, 1 },
};

#define NR_PARAMS	(sizeof(params) / sizeof(params[0]))

static int parse_u32(const char *s, uint32_t max, uint32_t *v)
{
	unsigned long long n;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || *end || n > max)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

/* "NAME VALUE" pairs into @out (at most one each); -1 or an exit code. */
static int parse_params(const struct keelctl_cmd *cmd, int argc, char **argv,
			struct keel_param *out, size_t *n)
{
	bool seen[NR_PARAMS] = { false };
	uint32_t v;
	size_t i;
	int a;

	*n = 0;
	for (a = 0; a < argc; a += 2) {
		for (i = 0; i < NR_PARAMS; i++)
			if (!strcmp(argv[a], params[i].name))
				break;
		if (i == NR_PARAMS)
			return keelctl_usage_error(cmd, "unknown parameter '%s' (rx-usecs, rx-frames, overflow-usecs, adaptive-rx)",
						   argv[a]);
		if (seen[i])
			return keelctl_usage_error(cmd, "%s given twice",
						   params[i].name);
		seen[i] = true;
		if (a + 1 >= argc)
			return keelctl_usage_error(cmd, "%s needs a value",
						   params[i].name);
		if (params[i].bytes == 1) {
			if (!strcmp(argv[a + 1], "on"))
				v = 1;
			else if (!strcmp(argv[a + 1], "off"))
				v = 0;
			else
				return keelctl_usage_error(cmd, "%s is on or off, not '%s'",
							   params[i].name, argv[a + 1]);
		} else if (parse_u32(argv[a + 1], params[i].max, &v)) {
			return keelctl_usage_error(cmd, "bad %s '%s' (0 to %u)",
						   params[i].name, argv[a + 1],
						   params[i].max);
		}
		out[(*n)++] = (struct keel_param){ params[i].attr,
						   params[i].bytes, v };
	}
	return -1;
}

static int set(struct keelctl *k, const struct keelctl_cmd *cmd, int argc,
	       char **argv)
{
	struct keel_param p[NR_PARAMS];
	struct keel_obj o;
	uint32_t id;
	size_t n;
	int rc;

	if (argc < 2 || keelctl_parse_id(argv[1], &id) || !id)
		return keelctl_usage_error(cmd, "set needs an object id");
	if (argc < 3)
		return keelctl_usage_error(cmd, "set needs parameters");
	rc = parse_params(cmd, argc - 2, argv + 2, p, &n);
	if (rc >= 0)
		return rc;
	rc = keelctl_obj_get(k, id, "coalesce", "coalesce set", &o);
	if (rc >= 0)
		return rc;
	keel_obj_free(&o);
	if (keel_obj_set(k->sock, id, p, n))
		return keelctl_fail("coalesce set", keel_last_error(k->sock));
	return keelctl_obj_show(k, id, "coalesce", "coalesce set");
}

static int add(struct keelctl *k, const struct keelctl_cmd *cmd,
	       const char *const *v, int argc, char **argv)
{
	struct coalesce_add_req r = {
		.vcpu = KEEL_COALESCE_VCPU_AUTO,
		.params = { .rx_usecs = DEFAULT_RX_USECS,
			    .overflow_usecs = DEFAULT_OVERFLOW_USECS },
		.label = v[OPT_LABEL] ? v[OPT_LABEL] : "",
	};
	struct keel_param p[NR_PARAMS];
	uint32_t n32;
	size_t n, i;
	int rc;

	if (!v[OPT_PID] || parse_u32(v[OPT_PID], 0x7fffffff, &n32) || !n32)
		return keelctl_usage_error(cmd, "add needs --pid PID");
	r.pid = (int)n32;
	if (!v[OPT_GSI] || parse_u32(v[OPT_GSI], GSI_MAX, &r.gsi))
		return keelctl_usage_error(cmd, "add needs --gsi GSI (0 to %u)",
					   GSI_MAX);
	if (v[OPT_VCPU]) {
		if (parse_u32(v[OPT_VCPU], VCPU_MAX, &n32))
			return keelctl_usage_error(cmd, "bad vCPU '%s'",
						   v[OPT_VCPU]);
		r.vcpu = (int32_t)n32;
	}
	if (strlen(r.label) >= KEEL_NAME_MAX)
		return keelctl_usage_error(cmd, "label longer than %d characters",
					   KEEL_NAME_MAX - 1);
	rc = parse_params(cmd, argc, argv, p, &n);
	if (rc >= 0)
		return rc;
	for (i = 0; i < n; i++) {
		switch (p[i].type) {
		case KEEL_COALESCE_PARAM_A_RX_USECS:
			r.params.rx_usecs = p[i].value;
			break;
		case KEEL_COALESCE_PARAM_A_RX_FRAMES:
			r.params.rx_frames = p[i].value;
			break;
		case KEEL_COALESCE_PARAM_A_OVERFLOW_USECS:
			r.params.overflow_usecs = p[i].value;
			break;
		default:
			r.params.flags = p[i].value ? KEEL_COALESCE_P_ADAPTIVE : 0;
		}
	}
	if (r.params.rx_usecs > r.params.overflow_usecs)
		return keelctl_usage_error(cmd, "rx-usecs %u is longer than overflow-usecs %u",
					   r.params.rx_usecs,
					   r.params.overflow_usecs);
	if (!r.params.overflow_usecs)
		return keelctl_usage_error(cmd, "overflow-usecs must be at least 1");
	return coalesce_add(k, &r);
}

static int run(struct keelctl *k, const struct keelctl_cmd *cmd, int argc,
	       char **argv)
{
	const char *v[NR_OPTS] = { NULL };
	const char *sub;
	uint32_t n32, id;
	int rc, o;

	rc = keelctl_opt_values(k, cmd, &argc, &argv, longopts, v,
				NR_OPTS);
	if (rc >= 0)
		return rc;
	sub = argc > 0 ? argv[0] : "list";

	for (o = 0; o < NR_OPTS; o++) {
		bool ok = !strcmp(sub, "add") ||
			  (o == OPT_PID && !strcmp(sub, "irqfds"));

		if (v[o] && !ok)
			return keelctl_usage_error(cmd, "%s is for add%s",
						   opt_names[o],
						   o == OPT_PID ? " and irqfds" : "");
	}
	if (!strcmp(sub, "add"))
		return add(k, cmd, v, argc - 1, argv + 1);
	if (!strcmp(sub, "irqfds")) {
		if (argc > 1)
			return keelctl_usage_error(cmd, "unexpected argument '%s'",
						   argv[1]);
		if (!v[OPT_PID] || parse_u32(v[OPT_PID], 0x7fffffff, &n32) ||
		    !n32)
			return keelctl_usage_error(cmd, "irqfds needs --pid PID");
		return coalesce_irqfds(k, (int)n32);
	}
	if (!strcmp(sub, "set"))
		return set(k, cmd, argc, argv);
	if (!strcmp(sub, "del")) {
		if (argc != 2 || keelctl_parse_id(argv[1], &id) || !id)
			return keelctl_usage_error(cmd, "del needs one object id");
		return keelctl_obj_del(k, id, "coalesce", "object");
	}
	return keelctl_typed_list_show(k, cmd, argc, argv);
}

const struct keelctl_cmd keelctl_cmd_coalesce = {
	.name = "coalesce",
	.noun = "object",
	.synopsis = "coalesce [list]\n"
		    "coalesce show ID\n"
		    "coalesce set ID PARAM VALUE ...\n"
		    "coalesce irqfds --pid PID\n"
		    "coalesce add --pid PID --gsi GSI [--vcpu N] [--label LABEL]\n"
		    "             [PARAM VALUE ...]\n"
		    "coalesce del ID",
	.summary = "Moderate a VM's queue interrupts from the host; show, tune, remove.",
	.help = "  list        one line per moderated interrupt (the default)\n"
		"  show ID     parameters, guest activity, and the interrupts out\n"
		"              by reason: direct, frames, latency, overflow, flush\n"
		"  set ID      change parameters while it runs; a held notification\n"
		"              is re-decided at once, never dropped\n"
		"  irqfds      the irqfds of a running VMM's VM: GSI, route, the\n"
		"              vCPU an MSI targets, and which are moderated\n"
		"  add         moderate the irqfd on GSI of a running VMM (QEMU with\n"
		"              vhost=on, ...), without restarting it: started and\n"
		"              attached to the VM until \"coalesce del\" or its end\n"
		"  del ID      stop moderating: what is held is delivered\n"
		"PARAMs, with ethtool's names: rx-usecs N (latency interval while\n"
		"the guest runs; default 100), overflow-usecs N (the longest a\n"
		"notification waits while it does not; default 2000), rx-frames N\n"
		"(deliver at N held; 0 none), adaptive-rx on|off (rx-usecs becomes\n"
		"the upper bound of an interval picked from the rate).\n",
	.options = "  --pid PID         add, irqfds: the VMM's process id\n"
		   "  --gsi GSI         add: the interrupt to moderate (irqfds lists them)\n"
		   "  --vcpu N          add: the vCPU whose activity counts (default:\n"
		   "                    the one its MSI targets, else 0)\n"
		   "  --label LABEL     add: a name for it, up to 31 characters\n",
	.run = run,
};
