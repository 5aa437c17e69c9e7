// SPDX-License-Identifier: GPL-2.0
/*
 * What every command does alike: the common options, the list and show
 * subcommands, usage errors, connecting to Keel, turning failures into
 * messages and exit codes (keelctl_exit_code(), the one mapping), opening
 * Keel's device files and JSON input, and printing JSON and tables.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "keelctl.h"

static void print_synopsis(const struct keelctl_cmd *cmd, FILE *f)
{
	const char *line = cmd->synopsis;
	const char *prefix = "Usage:";

	while (*line) {
		size_t n = strcspn(line, "\n");

		/* A line that starts with a space goes on the one before. */
		if (*line == ' ')
			fprintf(f, "%-6s %-17s %.*s\n", "", "", (int)n, line);
		else
			fprintf(f, "%-6s keelctl [OPTIONS] %.*s\n", prefix,
				(int)n, line);
		prefix = "";
		line += n + (line[n] == '\n');
	}
}

void keelctl_cmd_usage(const struct keelctl_cmd *cmd, FILE *f)
{
	print_synopsis(cmd, f);
	fprintf(f, "\n%s\n", cmd->summary);
	if (cmd->help)
		fprintf(f, "\n%s", cmd->help);
	fprintf(f, "\nOptions:\n%s", cmd->options ? cmd->options : "");
	fputs("  -j, --json        print JSON\n"
	      "  -p, --pretty      print indented JSON (implies -j)\n"
	      "  --keeld PATH      keeld's socket (default $KEELD_SOCKET or\n"
	      "                    " KEELD_SOCKET_PATH ")\n"
	      "  -h, --help        show this help\n", f);
}

int keelctl_usage_error(const struct keelctl_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "keelctl: %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_synopsis(cmd, stderr);
	fprintf(stderr, "Try 'keelctl %s --help'.\n", cmd->name);
	return KEELCTL_EXIT_USAGE;
}

int keelctl_getopt(struct keelctl *k, const struct keelctl_cmd *cmd,
		   int argc, char **argv, const char *optstring,
		   const struct option *longopts, int *rc)
{
	int c;

	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, optstring, longopts, NULL);
		switch (c) {
		case 'h':
			keelctl_cmd_usage(cmd, stdout);
			*rc = KEELCTL_EXIT_OK;
			return KEELCTL_OPT_EXIT;
		case 'p':
			k->pretty = true;
			/* fall through */
		case 'j':
			k->json = true;
			continue;
		case 'K':
			k->keeld_path = optarg;
			continue;
		case ':':
			*rc = keelctl_usage_error(cmd, "option '%s' needs a value",
						  argv[optind - 1]);
			return KEELCTL_OPT_EXIT;
		case '?':
			if (optopt)
				*rc = keelctl_usage_error(cmd, "unknown option '-%c'",
							  optopt);
			else
				*rc = keelctl_usage_error(cmd, "unknown option '%s'",
							  argv[optind - 1]);
			return KEELCTL_OPT_EXIT;
		default:
			return c;
		}
	}
}

int keelctl_operands(struct keelctl *k, const struct keelctl_cmd *cmd,
		     int *argc, char ***argv)
{
	static const struct option longopts[] = {
		KEELCTL_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int c, rc;

	while ((c = keelctl_getopt(k, cmd, *argc, *argv, KEELCTL_OPTSTRING,
				   longopts, &rc)) != -1) {
		if (c == KEELCTL_OPT_EXIT)
			return rc;
	}
	*argc -= optind;
	*argv += optind;
	return -1;
}

int keelctl_opt_values(struct keelctl *k, const struct keelctl_cmd *cmd,
		       int *argc, char ***argv, const struct option *longopts,
		       const char **val, int n)
{
	return keelctl_opt_list(k, cmd, argc, argv, longopts, val, n,
				(struct keelctl_opt_rep){ .opt = -1 });
}

int keelctl_opt_list(struct keelctl *k, const struct keelctl_cmd *cmd,
		     int *argc, char ***argv, const struct option *longopts,
		     const char **val, int n, struct keelctl_opt_rep rep)
{
	const struct option *lo;
	int c, rc, i;

	if (rep.n)
		*rep.n = 0;
	while ((c = keelctl_getopt(k, cmd, *argc, *argv, KEELCTL_OPTSTRING,
				   longopts, &rc)) != -1) {
		if (c == KEELCTL_OPT_EXIT)
			return rc;
		i = c - KEELCTL_OPT_VAL(0);
		if (i < 0 || i >= n)
			continue;
		for (lo = longopts; lo->name && lo->val != c; lo++)
			;
		if (i == rep.opt) {
			if (*rep.n == rep.max)
				return keelctl_usage_error(cmd, "--%s given more than %d times",
							   lo->name, rep.max);
			rep.list[(*rep.n)++] = optarg;
			if (!val[i])
				val[i] = optarg;
			continue;
		}
		if (val[i])
			return keelctl_usage_error(cmd, "--%s given twice",
						   lo->name ? lo->name : "?");
		val[i] = optarg ? optarg : "";
	}
	*argc -= optind;
	*argv += optind;
	return -1;
}

int keelctl_no_args(struct keelctl *k, const struct keelctl_cmd *cmd,
		    int argc, char **argv)
{
	int rc = keelctl_operands(k, cmd, &argc, &argv);

	if (rc >= 0)
		return rc;
	if (argc > 0)
		return keelctl_usage_error(cmd, "unexpected argument '%s'",
					   argv[0]);
	return -1;
}

int keelctl_exit_code(enum keel_err_kind kind, int errnum)
{
	switch (kind) {
	case KEEL_ERR_NONE:
		return KEELCTL_EXIT_OK;
	case KEEL_ERR_NOT_LOADED:
		return KEELCTL_EXIT_NOT_LOADED;
	case KEEL_ERR_PERM:
		return KEELCTL_EXIT_PERM;
	case KEEL_ERR_PROTO:
		return KEELCTL_EXIT_FAIL;
	default:
		break;
	}
	if (errnum == EPERM || errnum == EACCES)
		return KEELCTL_EXIT_PERM;
	if (errnum == ENOENT && kind == KEEL_ERR_KERNEL)
		return KEELCTL_EXIT_NOT_FOUND;
	return KEELCTL_EXIT_FAIL;
}

int keelctl_fail(const char *op, const struct keel_error *err)
{
	keel_error_print(stderr, "keelctl", op, err);
	return keelctl_exit_code(err->kind, err->errnum);
}

int keelctl_open_dev(const char *op, const char *path, const char *module)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), e = errno;

	if (fd >= 0)
		return fd;
	switch (e) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		fprintf(stderr, "keelctl: %s: %s.ko is not loaded (no %s): load it with modprobe %s\n",
			op, module, path, module);
		return -KEELCTL_EXIT_NOT_LOADED;
	case EACCES:
	case EPERM:
		fprintf(stderr, "keelctl: %s: %s is for root and group kvm (udev rule 60-keel.rules): run as root or as a member of kvm\n",
			op, path);
		return -KEELCTL_EXIT_PERM;
	default:
		fprintf(stderr, "keelctl: %s: cannot open %s: %s\n", op, path,
			strerror(e));
		return -keelctl_exit_code(KEEL_ERR_SYSTEM, e);
	}
}

int keelctl_vmm_fail(const char *op, int err, const struct keel_vmm *vmm,
		     bool vm_fd_opt)
{
	char msg[512];

	keel_vmm_strerror(err, vmm, msg, sizeof(msg));
	fprintf(stderr, "keelctl: %s: %s%s\n", op, msg,
		err == -ENOTUNIQ && vm_fd_opt ? ": pick one with --vm-fd FD" : "");
	/* The process named is not there; a --vm-fd that is no VM is refused. */
	if (err == -ESRCH)
		return KEELCTL_EXIT_NOT_FOUND;
	return keelctl_exit_code(KEEL_ERR_SYSTEM, -err);
}

/* Up to this much JSON from a file: far more than any host list. */
#define JSON_FILE_MAX	(64u << 20)

struct json_object *keelctl_read_json(const char *op, const char *path)
{
	enum json_tokener_error jerr = json_tokener_success;
	bool in = !strcmp(path, "-");
	const char *name = in ? "standard input" : path;
	struct json_object *o = NULL;
	size_t len = 0, cap = 0;
	char *buf = NULL, *grown;
	int fd, e = 0;
	ssize_t n;

	fd = in ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "keelctl: %s: cannot open %s: %s\n", op, path,
			strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len + 1 >= cap) {
			cap = cap ? 2 * cap : 65536;
			grown = cap <= JSON_FILE_MAX ? realloc(buf, cap) : NULL;
			if (!grown) {
				e = cap > JSON_FILE_MAX ? EFBIG : ENOMEM;
				break;
			}
			buf = grown;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : 0;
			break;
		}
		len += (size_t)n;
	}
	if (!in)
		close(fd);
	if (e) {
		fprintf(stderr, "keelctl: %s: cannot read %s: %s\n", op, name,
			strerror(e));
	} else {
		buf[len] = '\0';
		o = json_tokener_parse_verbose(buf, &jerr);
		if (!o)
			fprintf(stderr, "keelctl: %s: %s is not a JSON document: %s\n",
				op, name, !len ? "it is empty" :
				jerr == json_tokener_success ? "it is null" :
				json_tokener_error_desc(jerr));
	}
	free(buf);
	return o;
}

int keelctl_connect(struct keelctl *k)
{
	struct keel_error err;

	if (k->sock)
		return KEELCTL_EXIT_OK;
	k->sock = keel_open(&err);
	if (!k->sock)
		return keelctl_fail("connect", &err);
	return KEELCTL_EXIT_OK;
}

int keelctl_print_json(struct keelctl *k, struct json_object *o)
{
	int ret;

	ret = keel_json_print(stdout, o, k->pretty);
	json_object_put(o);
	if (ret || fflush(stdout)) {
		fprintf(stderr, "keelctl: cannot write the output: %s\n",
			strerror(errno));
		return KEELCTL_EXIT_FAIL;
	}
	return KEELCTL_EXIT_OK;
}

int keelctl_print_table(struct table *t, const char *op)
{
	if (!t) {
		fprintf(stderr, "keelctl: %s: out of memory\n", op);
		return KEELCTL_EXIT_FAIL;
	}
	table_print(t, stdout, 0);
	table_free(t);
	return KEELCTL_EXIT_OK;
}

int keelctl_list_or_show(const struct keelctl_cmd *cmd, int argc, char **argv,
			 const char *what, const char **arg)
{
	const char *sub = argc > 0 ? argv[0] : "list";

	*arg = NULL;
	if (!strcmp(sub, "list")) {
		if (argc > 1)
			return keelctl_usage_error(cmd, "unexpected argument '%s'",
						   argv[1]);
		return -1;
	}
	if (!strcmp(sub, "show")) {
		if (argc != 2)
			return keelctl_usage_error(cmd, "show needs one %s", what);
		*arg = argv[1];
		return -1;
	}
	return keelctl_usage_error(cmd, "unknown subcommand '%s'", sub);
}

int keelctl_begin(struct keelctl *k, const struct keelctl_cmd *cmd,
		  int argc, char **argv)
{
	int rc = keelctl_no_args(k, cmd, argc, argv);

	if (rc >= 0)
		return rc;
	rc = keelctl_connect(k);
	return rc ? rc : -1;
}

int keelctl_parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	unsigned long long n;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 0);
	if (errno || *end || n > max)
		return -1;
	*v = n;
	return 0;
}

int keelctl_parse_id(const char *s, uint32_t *id)
{
	uint64_t v;

	if (keelctl_parse_u64(s, UINT32_MAX, &v))
		return -1;
	*id = v;
	return 0;
}
