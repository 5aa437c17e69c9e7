// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl mirror: the protected ranges of keel_mirror.ko, listed or shown
 * as every object type is (cmd_typed.c), and the hot-spot profile of one:
 * the guest store instructions that trapped most, for binary translation.
 * This file owns the command line; add is mirror_add.c's, del objdel.c's,
 * xlate and unxlate mirror_xlate.c's.
 */
#include <stdio.h>
#include <string.h>

#include <linux/keel_bt.h>
#include <linux/keel_mirror.h>

#include <json-c/json.h>

#include "keelctl.h"

enum mirror_opt {
	OPT_PID,
	OPT_GPA,
	OPT_LEN,
	OPT_LABEL,
	OPT_ALIAS_OFF,
	OPT_MIRROR_OFF,
	NR_ADD_OPTS,
	OPT_START = NR_ADD_OPTS,
	OPT_END,
	OPT_CODE,
	OPT_COUNT_GPA,
	OPT_LOG_GPA,
	OPT_LOG_PT,
	OPT_LOG_PT_LEVELS,
	NR_OPTS,
};

#define OPT_VAL(o)	KEELCTL_OPT_VAL(o)

static const struct option longopts[] = {
	KEELCTL_LONGOPTS,
	{ "pid", required_argument, NULL, OPT_VAL(OPT_PID) },
	{ "gpa", required_argument, NULL, OPT_VAL(OPT_GPA) },
	{ "len", required_argument, NULL, OPT_VAL(OPT_LEN) },
	{ "label", required_argument, NULL, OPT_VAL(OPT_LABEL) },
	{ "alias-off", required_argument, NULL, OPT_VAL(OPT_ALIAS_OFF) },
	{ "mirror-off", required_argument, NULL, OPT_VAL(OPT_MIRROR_OFF) },
	{ "start", required_argument, NULL, OPT_VAL(OPT_START) },
	{ "end", required_argument, NULL, OPT_VAL(OPT_END) },
	{ "code", required_argument, NULL, OPT_VAL(OPT_CODE) },
	{ "count-gpa", required_argument, NULL, OPT_VAL(OPT_COUNT_GPA) },
	{ "log-gpa", required_argument, NULL, OPT_VAL(OPT_LOG_GPA) },
	{ "log-pt", required_argument, NULL, OPT_VAL(OPT_LOG_PT) },
	{ "log-pt-levels", required_argument, NULL,
	  OPT_VAL(OPT_LOG_PT_LEVELS) },
	{ NULL, 0, NULL, 0 }
};

static const char *const opt_names[NR_OPTS] = {
	[OPT_PID] = "--pid", [OPT_GPA] = "--gpa", [OPT_LEN] = "--len",
	[OPT_LABEL] = "--label", [OPT_ALIAS_OFF] = "--alias-off",
	[OPT_MIRROR_OFF] = "--mirror-off", [OPT_START] = "--start",
	[OPT_END] = "--end", [OPT_CODE] = "--code",
	[OPT_COUNT_GPA] = "--count-gpa", [OPT_LOG_GPA] = "--log-gpa",
	[OPT_LOG_PT] = "--log-pt", [OPT_LOG_PT_LEVELS] = "--log-pt-levels",
};

#define PAGE_BYTES	4096ull

static int mirror_add_args(struct keelctl *k, const struct keelctl_cmd *cmd,
			   const char *const *v, int argc, char **argv)
{
	struct mirror_add_req r = { .label = v[OPT_LABEL] ?: "" };
	uint64_t n;

	if (argc > 1)
		return keelctl_usage_error(cmd, "unexpected argument '%s'",
					   argv[1]);
	if (!v[OPT_PID] || keelctl_parse_u64(v[OPT_PID], 0x7fffffff, &n) ||
	    !n)
		return keelctl_usage_error(cmd, "add needs --pid PID");
	r.pid = (int)n;
	if (!v[OPT_GPA] || keelctl_parse_u64(v[OPT_GPA], UINT64_MAX, &r.gpa) ||
	    r.gpa % PAGE_BYTES)
		return keelctl_usage_error(cmd, "add needs --gpa ADDR, page aligned");
	if (!v[OPT_LEN] ||
	    keelctl_parse_u64(v[OPT_LEN], KEEL_MIRROR_MAX_LEN, &r.len) ||
	    !r.len || r.len % PAGE_BYTES)
		return keelctl_usage_error(cmd, "add needs --len BYTES, a multiple of 4096 up to %llu",
					   (unsigned long long)KEEL_MIRROR_MAX_LEN);
	if (r.gpa + r.len < r.gpa)
		return keelctl_usage_error(cmd, "the range wraps");
	if (strlen(r.label) >= KEEL_NAME_MAX)
		return keelctl_usage_error(cmd, "label longer than %d characters",
					   KEEL_NAME_MAX - 1);
	if (!v[OPT_ALIAS_OFF] != !v[OPT_MIRROR_OFF])
		return keelctl_usage_error(cmd, "--alias-off and --mirror-off go together");
	if (v[OPT_ALIAS_OFF] &&
	    (keelctl_parse_u64(v[OPT_ALIAS_OFF], UINT64_MAX, &r.alias_off) ||
	     keelctl_parse_u64(v[OPT_MIRROR_OFF], UINT64_MAX, &r.mirror_off) ||
	     !r.alias_off || !r.mirror_off || r.alias_off % PAGE_BYTES ||
	     r.mirror_off % PAGE_BYTES))
		return keelctl_usage_error(cmd, "--alias-off and --mirror-off need nonzero offsets, page aligned");
	return mirror_add(k, &r);
}

/*
 * xlate ID --start ADDR --end ADDR --code ADDR [--count-gpa GPA]
 * [--log-gpa GPA [--log-pt GPA [--log-pt-levels 4|5]]], or
 * unxlate ID --start ADDR (@del): checked, then mirror_xlate().
 */
static int mirror_xlate_args(struct keelctl *k, const struct keelctl_cmd *cmd,
			     const char *const *v, int argc, char **argv,
			     bool del)
{
	const char *verb = del ? "unxlate" : "xlate";
	struct mirror_xlate_req r = { .del = del };
	int o;

	if (argc != 2 || keelctl_parse_id(argv[1], &r.id) || !r.id)
		return keelctl_usage_error(cmd, "%s needs one range id", verb);
	for (o = 0; o < NR_ADD_OPTS; o++)
		if (v[o])
			return keelctl_usage_error(cmd, "%s is for add",
						   opt_names[o]);
	if (!v[OPT_START] ||
	    keelctl_parse_u64(v[OPT_START], UINT64_MAX, &r.start))
		return keelctl_usage_error(cmd, "%s needs --start ADDR", verb);
	if (del) {
		for (o = OPT_END; o < NR_OPTS; o++)
			if (v[o])
				return keelctl_usage_error(cmd, "%s is for xlate",
							   opt_names[o]);
		return mirror_xlate(k, &r);
	}
	if (!v[OPT_END] || keelctl_parse_u64(v[OPT_END], UINT64_MAX, &r.end) ||
	    r.end <= r.start)
		return keelctl_usage_error(cmd, "xlate needs --end ADDR, above --start");
	if (r.end - r.start > KEEL_MIRROR_XLATE_MAX_LEN)
		return keelctl_usage_error(cmd, "xlate covers at most %llu bytes of code",
					   (unsigned long long)KEEL_MIRROR_XLATE_MAX_LEN);
	if (!v[OPT_CODE] || keelctl_parse_u64(v[OPT_CODE], UINT64_MAX, &r.code))
		return keelctl_usage_error(cmd, "xlate needs --code ADDR");
	if (v[OPT_COUNT_GPA]) {
		if (keelctl_parse_u64(v[OPT_COUNT_GPA], UINT64_MAX,
				      &r.count_gpa) || r.count_gpa % 8)
			return keelctl_usage_error(cmd, "--count-gpa needs an address, 8-byte aligned");
		r.counted = true;
	}
	if (v[OPT_LOG_GPA]) {
		if (keelctl_parse_u64(v[OPT_LOG_GPA], UINT64_MAX,
				      &r.log_gpa) || !r.log_gpa ||
		    r.log_gpa % 8 ||
		    r.log_gpa % PAGE_BYTES + sizeof(struct keel_bt_log) >
		    PAGE_BYTES)
			return keelctl_usage_error(cmd, "--log-gpa needs a nonzero address, 8-byte aligned, of a log within one page");
		r.logged = true;
	}
	if (v[OPT_LOG_PT]) {
		if (!r.logged)
			return keelctl_usage_error(cmd, "--log-pt is for a log: give --log-gpa");
		if (keelctl_parse_u64(v[OPT_LOG_PT], UINT64_MAX, &r.log_pt) ||
		    !r.log_pt || r.log_pt % PAGE_BYTES)
			return keelctl_usage_error(cmd, "--log-pt needs a nonzero address, page aligned");
	}
	r.pt5 = false;
	if (v[OPT_LOG_PT_LEVELS]) {
		if (!r.log_pt)
			return keelctl_usage_error(cmd, "--log-pt-levels is for --log-pt");
		if (strcmp(v[OPT_LOG_PT_LEVELS], "4") &&
		    strcmp(v[OPT_LOG_PT_LEVELS], "5"))
			return keelctl_usage_error(cmd, "--log-pt-levels is 4 or 5");
		r.pt5 = !strcmp(v[OPT_LOG_PT_LEVELS], "5");
	}
	return mirror_xlate(k, &r);
}

/*
 * Fields of a range's info, @fields (NULL-terminated): -j prints the
 * first, a table, as a JSON array; the text form prints each of them.
 */
static int mirror_fields(struct keelctl *k, const struct keelctl_cmd *cmd,
			 int argc, char **argv, const char *const *fields)
{
	const char *table = fields[0];
	struct json_object *j, *info, *rows;
	char what[64];
	struct keel_obj o;
	uint32_t id;
	int rc;

	if (argc != 2)
		return keelctl_usage_error(cmd, "%s wants one range id", table);
	if (keelctl_parse_id(argv[1], &id))
		return keelctl_usage_error(cmd, "bad range id '%s'", argv[1]);
	snprintf(what, sizeof(what), "mirror %s", table);
	rc = keelctl_obj_get(k, id, "mirror", what, &o);
	if (rc >= 0)
		return rc;
	if (k->json) {
		j = keel_obj_json(&o);
		if (j && json_object_object_get_ex(j, "info", &info) &&
		    json_object_object_get_ex(info, table, &rows))
			rc = keelctl_print_json(k, json_object_get(rows));
		else
			rc = keelctl_print_json(k, json_object_new_array());
		json_object_put(j);
	} else {
		/* an empty table is not in the info: show it as one */
		for (; *fields; fields++)
			if (obj_print_field(&o, *fields, stdout))
				printf("%s\n  -\n", *fields);
		rc = KEELCTL_EXIT_OK;
	}
	keel_obj_free(&o);
	return rc;
}

static int mirror_run(struct keelctl *k, const struct keelctl_cmd *cmd,
		      int argc, char **argv)
{
	const char *v[NR_OPTS] = { NULL };
	uint32_t id;
	int rc, o;

	rc = keelctl_opt_values(k, cmd, &argc, &argv, longopts, v, NR_OPTS);
	if (rc >= 0)
		return rc;
	if (argc > 0 && !strcmp(argv[0], "add")) {
		for (o = NR_ADD_OPTS; o < NR_OPTS; o++)
			if (v[o])
				return keelctl_usage_error(cmd, "%s is for xlate",
							   opt_names[o]);
		return mirror_add_args(k, cmd, v, argc, argv);
	}
	if (argc > 0 && (!strcmp(argv[0], "xlate") ||
			 !strcmp(argv[0], "unxlate")))
		return mirror_xlate_args(k, cmd, v, argc, argv,
					 argv[0][0] == 'u');
	for (o = 0; o < NR_OPTS; o++)
		if (v[o])
			return keelctl_usage_error(cmd, "%s is for %s",
						   opt_names[o],
						   o < NR_ADD_OPTS ? "add" :
								     "xlate");
	if (argc > 0 && !strcmp(argv[0], "del")) {
		if (argc != 2 || keelctl_parse_id(argv[1], &id) || !id)
			return keelctl_usage_error(cmd, "del needs one range id");
		return keelctl_obj_del(k, id, "mirror", "range");
	}
	if (argc > 0 && !strcmp(argv[0], "hotspots"))
		return mirror_fields(k, cmd, argc, argv,
				     (const char *const[]){ "hotspots",
							    "translations",
							    "translated_stores",
							    NULL });
	if (argc > 0 && !strcmp(argv[0], "translations"))
		return mirror_fields(k, cmd, argc, argv,
				     (const char *const[]){ "translations",
							    "translated_stores",
							    NULL });
	return keelctl_typed_list_show(k, cmd, argc, argv);
}

const struct keelctl_cmd keelctl_cmd_mirror = {
	.name = "mirror",
	.noun = "range",
	.synopsis = "mirror [list]\n"
		    "mirror show ID\n"
		    "mirror hotspots ID\n"
		    "mirror translations ID\n"
		    "mirror add --pid PID --gpa ADDR --len BYTES [--label LABEL]\n"
		    "           [--alias-off OFF --mirror-off OFF]\n"
		    "mirror del ID\n"
		    "mirror xlate ID --start ADDR --end ADDR --code ADDR\n"
		    "           [--count-gpa GPA]\n"
		    "           [--log-gpa GPA [--log-pt GPA [--log-pt-levels 4|5]]]\n"
		    "mirror unxlate ID --start ADDR",
	.summary = "Mirror a running VM's guest memory; list, show, remove.",
	.help =
	"  list         one line per protected range (the default): id,\n"
	"               label, first guest-physical byte, bytes protected,\n"
	"               guest writes mirrored and pages repaired\n"
	"  show ID      every counter of one range: mirror bytes held, guest\n"
	"               writes and their bytes, pages whose memslot went,\n"
	"               repairs and their time, the VMM's writes, and the\n"
	"               hot-spot profile\n"
	"  hotspots ID  the hot-spot profile: the guest store\n"
	"               instructions (linear RIP) whose stores to the range\n"
	"               trapped most, most first, each with its count and\n"
	"               the last address it stored to (-j: a JSON array);\n"
	"               in text, then the translations below\n"
	"  translations ID\n"
	"               the binary translations of guest code registered\n"
	"               for the range (KEEL_MIRROR_IOC_XLATE): the original\n"
	"               code's first and last byte, where the translation\n"
	"               runs, the stores it made without a trap since it\n"
	"               was placed and the trapped stores the profile\n"
	"               counted for its code (-j: a JSON array); and the\n"
	"               stores of all translations, removed ones included\n"
	"  add          mirror a range of a running VMM's guest memory (QEMU,\n"
	"               ...) without restarting it: a page of it lost to a\n"
	"               memory failure is rebuilt from the mirror before the\n"
	"               VMM hears of it, and the guest goes on; attached to\n"
	"               the VM until \"mirror del\" or its end; with\n"
	"               --alias-off and --mirror-off, Keel also places the\n"
	"               windows that translated code stores through: the\n"
	"               range's guest memory again at ADDR + alias offset,\n"
	"               not write-tracked, and its mirror at ADDR + mirror\n"
	"               offset (memslots the VMM does not know of)\n"
	"  del ID       stop mirroring, free the mirror\n"
	"  xlate ID     register a binary translation of the guest's code\n"
	"               that whoever places code in the guest has put in\n"
	"               for the range (keel-bt, Documentation/bt.rst): its\n"
	"               original code [start, end) and where it runs (guest\n"
	"               linear addresses), with --count-gpa the\n"
	"               guest-physical address of the counter its commits\n"
	"               add their stores to, with --log-gpa that of its\n"
	"               region log, a full log that a repair of a page of\n"
	"               the range then reads: the open region's stores come\n"
	"               back with the page (with --log-pt, the log's\n"
	"               addresses are linear ones, mapped by the page tables\n"
	"               there: a Linux guest process's); \"translations\"\n"
	"               then lists it\n"
	"  unxlate ID   the translation that starts at --start is gone:\n"
	"               its stores go to the range's total\n",
	.options = "  --pid PID         add: the VMM's process id\n"
		   "  --gpa ADDR        add: the first guest-physical byte, page aligned\n"
		   "  --len BYTES       add: how many, a multiple of 4096, at most 1 GiB\n"
		   "  --label LABEL     add: a name for it, up to 31 characters\n"
		   "  --alias-off OFF   add: the alias window at ADDR + OFF\n"
		   "  --mirror-off OFF  add: the mirror window at ADDR + OFF\n"
		   "  --start ADDR      xlate, unxlate: the original code's first byte\n"
		   "  --end ADDR        xlate: one past its last byte (at most 64 KiB)\n"
		   "  --code ADDR       xlate: where the translation runs\n"
		   "  --count-gpa GPA   xlate: its stores' u64 counter, 8-byte aligned\n"
		   "  --log-gpa GPA     xlate: its full region log (struct keel_bt_log)\n"
		   "  --log-pt GPA      xlate: the page tables of the log's addresses\n"
		   "  --log-pt-levels N xlate: 4 (the default) or 5 levels\n",
	.run = mirror_run,
};
