// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl state: the state framework for operators. Shows which objects
 * have state and where they are (running/stopped, saves, loads, refused
 * blobs), and stops, resumes, saves, loads or swaps one by id through
 * KEEL_CMD_STATE_SET. Blobs go to and come from files ("-": stdio);
 * a blob is written to a new 0600 file (outfile.c), replacing an
 * existing one only with --force.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "keelctl.h"
#include "outfile.h"

static int read_blob(const char *path, void **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = KEEL_STATE_NL_BLOB_MAX + 1, n;
	char *b;

	if (!f) {
		fprintf(stderr, "keelctl: state: cannot open %s: %s\n", path,
			strerror(errno));
		return KEELCTL_EXIT_FAIL;
	}
	b = malloc(cap);
	if (!b) {
		fputs("keelctl: state: out of memory\n", stderr);
		return KEELCTL_EXIT_FAIL;
	}
	n = fread(b, 1, cap, f);
	if (ferror(f) || n == cap) {
		fprintf(stderr, "keelctl: state: %s%s: %s\n",
			ferror(f) ? "cannot read " : "", path,
			ferror(f) ? strerror(errno) :
			"larger than a netlink state blob (60 KiB)");
		free(b);
		b = NULL;
	}
	if (f != stdin)
		fclose(f);
	if (!b)
		return KEELCTL_EXIT_FAIL;
	*buf = b;
	*len = n;
	return KEELCTL_EXIT_OK;
}

/* Create the file a blob goes to, before anything is asked of Keel. */
static int open_blob(struct outfile *of, const char *path, bool force)
{
	int ret = outfile_open(of, path, force);

	if (ret == -EEXIST)
		fprintf(stderr, "keelctl: state: %s exists; not replacing it (-f replaces it)\n",
			path);
	else if (ret)
		fprintf(stderr, "keelctl: state: cannot create %s: %s\n", path,
			strerror(-ret));
	return ret ? KEELCTL_EXIT_FAIL : KEELCTL_EXIT_OK;
}

static int write_blob(struct outfile *of, const void *buf, size_t len)
{
	int ret = outfile_write(of, buf, len);

	if (ret) {
		outfile_abort(of);
	} else {
		ret = outfile_commit(of);
	}
	if (ret) {
		fprintf(stderr, "keelctl: state: cannot write %s: %s\n",
			of->path, strerror(-ret));
		return KEELCTL_EXIT_FAIL;
	}
	return KEELCTL_EXIT_OK;
}

static void print_state_line(const struct keel_obj *o, struct table *t,
			     uint64_t now, int *err)
{
	const struct keel_obj_state *st = &o->state;
	char age[32];

	fmt_age(now > st->changed_ns ? now - st->changed_ns : 0, age,
		sizeof(age));
	if (table_cell(t, "%u", o->id) ||
	    table_cell(t, "%s", fmt_str(o->type)) ||
	    table_cell(t, "%s", fmt_str(o->label)) ||
	    table_cell(t, "%s", keel_state_type_name(st->type)) ||
	    table_cell(t, "%s", keel_state_name(st->state)) ||
	    table_cell(t, "%" PRIu64, st->saves) ||
	    table_cell(t, "%" PRIu64, st->loads) ||
	    table_cell(t, "%" PRIu64, st->rejects) ||
	    table_cell(t, "%s", age))
		*err = 1;
}

static int do_show(struct keelctl *k, const uint32_t *id)
{
	static const char *const hdr[] = {
		"ID", "OBJECT", "LABEL", "STATE-TYPE", "STATE", "SAVES", "LOADS",
		"REJECTS", "CHANGED",
	};
	struct json_object *arr = NULL;
	struct keel_objs list;
	struct table *t = NULL;
	uint64_t now = boottime_ns();
	int rc, err = 0;
	size_t i, shown = 0;

	rc = keelctl_connect(k);
	if (rc)
		return rc;
	if (keel_obj_dump(k->sock, NULL, &list))
		return keelctl_fail("state show", keel_last_error(k->sock));
	if (k->json)
		arr = json_object_new_array();
	else
		t = table_new(9, hdr);
	for (i = 0; i < list.n; i++) {
		const struct keel_obj *o = &list.v[i];

		if ((id && o->id != *id) || !o->state.present)
			continue;
		shown++;
		if (arr) {
			struct json_object *j = keel_obj_state_json(&o->state);

			json_object_object_add(j, "id",
					       json_object_new_uint64(o->id));
			json_object_object_add(j, "object",
					       json_object_new_string(fmt_str(o->type)));
			json_object_array_add(arr, j);
		} else if (t) {
			print_state_line(o, t, now, &err);
		}
	}
	keel_objs_free(&list);
	if (id && !shown) {
		fprintf(stderr, "keelctl: state show: no object %u with state\n",
			*id);
		json_object_put(arr);
		table_free(t);
		return KEELCTL_EXIT_NOT_FOUND;
	}
	if (arr)
		return keelctl_print_json(k, arr);
	if (!t || err) {
		table_free(t);
		fputs("keelctl: state: out of memory\n", stderr);
		return KEELCTL_EXIT_FAIL;
	}
	table_print(t, stdout, 0);
	table_free(t);
	return KEELCTL_EXIT_OK;
}

static const char *const cmd_names[] = {
	[KEEL_STATE_CMD_STOP] = "stop",
	[KEEL_STATE_CMD_RESUME] = "resume",
	[KEEL_STATE_CMD_SAVE] = "save",
	[KEEL_STATE_CMD_LOAD] = "load",
	[KEEL_STATE_CMD_SWAP] = "swap",
};

/* argv: the operands after the id (file names). */
static int do_cmd(struct keelctl *k, uint32_t scmd, uint32_t id,
		  char **files, bool force)
{
	bool takes = scmd == KEEL_STATE_CMD_LOAD || scmd == KEEL_STATE_CMD_SWAP;
	bool gives = scmd == KEEL_STATE_CMD_SAVE || scmd == KEEL_STATE_CMD_SWAP;
	const char *out_path = files[takes ? 1 : 0];
	char op[32];
	void *in = NULL, *out = NULL;
	size_t in_len = 0, out_len = 0;
	struct outfile of;
	struct keel_obj o;
	int rc;

	snprintf(op, sizeof(op), "state %s", cmd_names[scmd]);
	rc = keelctl_connect(k);
	if (rc)
		return rc;
	if (takes) {
		rc = read_blob(files[0], &in, &in_len);
		if (rc)
			return rc;
	}
	if (gives) {
		rc = open_blob(&of, out_path, force);
		if (rc) {
			free(in);
			return rc;
		}
	}
	if (keel_state_set(k->sock, id, scmd, in, in_len, &o,
			   gives ? &out : NULL, gives ? &out_len : NULL)) {
		free(in);
		if (gives)
			outfile_abort(&of);
		return keelctl_fail(op, keel_last_error(k->sock));
	}
	free(in);
	rc = KEELCTL_EXIT_OK;
	if (gives)
		rc = write_blob(&of, out, out_len);
	free(out);
	if (!rc && k->json) {
		struct json_object *j = keel_obj_state_json(&o.state);

		json_object_object_add(j, "id", json_object_new_uint64(o.id));
		if (gives)
			json_object_object_add(j, "saved_len",
					       json_object_new_uint64(out_len));
		if (takes)
			json_object_object_add(j, "loaded_len",
					       json_object_new_uint64(in_len));
		rc = keelctl_print_json(k, j);
	} else if (!rc && !(gives && !strcmp(out_path, "-"))) {
		printf("object %u: %s", o.id, keel_state_name(o.state.state));
		if (gives)
			printf(", saved %zu bytes to %s", out_len, out_path);
		if (takes)
			printf(", loaded %zu bytes from %s", in_len, files[0]);
		putchar('\n');
	}
	keel_obj_free(&o);
	return rc;
}

static int run(struct keelctl *k, const struct keelctl_cmd *cmd, int argc,
	       char **argv)
{
	static const int nfiles[] = {
		[KEEL_STATE_CMD_STOP] = 0, [KEEL_STATE_CMD_RESUME] = 0,
		[KEEL_STATE_CMD_SAVE] = 1, [KEEL_STATE_CMD_LOAD] = 1,
		[KEEL_STATE_CMD_SWAP] = 2,
	};
	static const struct option longopts[] = {
		KEELCTL_LONGOPTS,
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const char *sub = "show";
	bool force = false;
	uint32_t id, scmd;
	int c, rc;

	while ((c = keelctl_getopt(k, cmd, argc, argv, KEELCTL_OPTSTRING "f",
				   longopts, &rc)) != -1) {
		if (c == KEELCTL_OPT_EXIT)
			return rc;
		if (c == 'f')
			force = true;
	}
	argc -= optind;
	argv += optind;
	if (argc > 0)
		sub = argv[0];

	if (!strcmp(sub, "show")) {
		if (force)
			return keelctl_usage_error(cmd, "-f is for save and swap");
		if (argc > 2)
			return keelctl_usage_error(cmd, "unexpected argument '%s'",
						   argv[2]);
		if (argc == 2 && keelctl_parse_id(argv[1], &id))
			return keelctl_usage_error(cmd, "bad object id '%s'",
						   argv[1]);
		return do_show(k, argc == 2 ? &id : NULL);
	}
	for (scmd = KEEL_STATE_CMD_STOP; scmd <= KEEL_STATE_CMD_MAX; scmd++)
		if (!strcmp(sub, cmd_names[scmd]))
			break;
	if (scmd > KEEL_STATE_CMD_MAX)
		return keelctl_usage_error(cmd, "unknown subcommand '%s'", sub);
	if (argc != 2 + nfiles[scmd])
		return keelctl_usage_error(cmd, "%s needs an object id%s", sub,
					   nfiles[scmd] == 2 ? " and two files" :
					   nfiles[scmd] ? " and a file" : "");
	if (keelctl_parse_id(argv[1], &id))
		return keelctl_usage_error(cmd, "bad object id '%s'", argv[1]);
	if (force && scmd != KEEL_STATE_CMD_SAVE && scmd != KEEL_STATE_CMD_SWAP)
		return keelctl_usage_error(cmd, "-f is for save and swap");
	return do_cmd(k, scmd, id, argv + 2, force);
}

const struct keelctl_cmd keelctl_cmd_state = {
	.name = "state",
	.synopsis = "state [show [ID]]\n"
		    "state stop|resume ID\n"
		    "state save [-f] ID FILE\n"
		    "state load ID FILE\n"
		    "state swap [-f] ID IN-FILE OUT-FILE",
	.summary = "Show, stop, resume, save, load or swap the state of objects.",
	.help = "  show [ID]  objects that have state: running or stopped, saves,\n"
		"             loads and refused blobs (REJECTS)\n"
		"  stop ID    stop the object: guest accesses go to the VMM\n"
		"  resume ID  run it again; a pending interrupt is raised again\n"
		"  save ID F  write the stopped object's state blob to F, a new\n"
		"             file of mode 0600 (an existing F or symlink: refused)\n"
		"  load ID F  load the blob in F into the stopped object; a bad\n"
		"             blob is refused and the object left as it was\n"
		"  swap ID IN OUT  save to OUT and load IN, as one command\n"
		"FILE may be - for standard input or output. Blobs travel in one\n"
		"netlink message (up to 60 KiB); stop, resume, save, load and\n"
		"swap need CAP_NET_ADMIN.\n",
	.options = "  -f, --force       save, swap: replace an existing output file\n"
		    "                    (by a new 0600 file; a symlink is replaced,\n"
		    "                    not followed)\n",
	.run = run,
};
