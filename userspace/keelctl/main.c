// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl: the command-line interface to Keel. This file owns the global
 * options, the command table and help; each command group lives in its
 * own cmd_*.c file.
 */
#include <stdlib.h>
#include <string.h>

#include "keelctl.h"

static const struct keelctl_cmd *const cmds[] = {
	&keelctl_cmd_version,
	&keelctl_cmd_host,
	&keelctl_cmd_objects,
	&keelctl_cmd_monitor,
	&keelctl_cmd_vdev,
	&keelctl_cmd_ring,
	&keelctl_cmd_coalesce,
	&keelctl_cmd_mirror,
	&keelctl_cmd_remote,
	&keelctl_cmd_state,
	&keelctl_cmd_types,
	&keelctl_cmd_cloud,
	&keelctl_cmd_alloc,
	&keelctl_cmd_free,
};

#define NR_CMDS	(sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	size_t i;

	fputs("Usage: keelctl [OPTIONS] COMMAND [ARGS]\n"
	      "       keelctl help [COMMAND]\n"
	      "\n"
	      "Commands:\n", f);
	for (i = 0; i < NR_CMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i]->name, cmds[i]->summary);
	fputs("\n"
	      "Options:\n"
	      "  -j, --json    print JSON (one document; one line per event for monitor)\n"
	      "  -p, --pretty  print indented JSON (implies -j)\n"
	      "  --keeld PATH  keeld's socket for cloud, alloc and free\n"
	      "                (default $KEELD_SOCKET or " KEELD_SOCKET_PATH ")\n"
	      "  -V, --version keelctl's version (keelctl version: Keel's too)\n"
	      "  -h, --help    show this help\n"
	      "\n"
	      "Exit status: 0 success, 1 refused or failed, 2 usage error,\n"
	      "3 Keel not loaded or keeld not reachable, 4 permission denied,\n"
	      "5 not found (no such object, type, allocation, host, ...).\n", f);
}

static const struct keelctl_cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NR_CMDS; i++) {
		if (!strcmp(cmds[i]->name, name))
			return cmds[i];
	}
	return NULL;
}

static int do_help(int argc, char **argv)
{
	const struct keelctl_cmd *cmd;

	if (argc < 2) {
		usage(stdout);
		return KEELCTL_EXIT_OK;
	}
	cmd = find_cmd(argv[1]);
	if (!cmd || argc > 2) {
		fprintf(stderr, "keelctl: help: unknown command '%s'\n\n",
			argv[1]);
		usage(stderr);
		return KEELCTL_EXIT_USAGE;
	}
	keelctl_cmd_usage(cmd, stdout);
	return KEELCTL_EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		KEELCTL_LONGOPTS,
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct keelctl k = { 0 };
	const struct keelctl_cmd *cmd;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+" KEELCTL_OPTSTRING "V",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return KEELCTL_EXIT_OK;
		case 'V':
			/* keelctl's own, with or without Keel loaded */
			printf("keelctl %s (api %d)\n", KEELCTL_VERSION,
			       KEEL_API_VERSION);
			return KEELCTL_EXIT_OK;
		case 'p':
			k.pretty = true;
			/* fall through */
		case 'j':
			k.json = true;
			break;
		case 'K':
			k.keeld_path = optarg;
			break;
		default:
			if (optopt)
				fprintf(stderr, "keelctl: unknown option '-%c'\n\n",
					optopt);
			else
				fprintf(stderr, "keelctl: unknown option '%s'\n\n",
					argv[optind - 1]);
			usage(stderr);
			return KEELCTL_EXIT_USAGE;
		}
	}

	if (optind >= argc) {
		usage(stderr);
		return KEELCTL_EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;

	if (!strcmp(argv[0], "help"))
		return do_help(argc, argv);

	cmd = find_cmd(argv[0]);
	if (!cmd) {
		fprintf(stderr, "keelctl: unknown command '%s'\n\n", argv[0]);
		usage(stderr);
		return KEELCTL_EXIT_USAGE;
	}

	optind = 0;	/* restart getopt for the command's own arguments */
	ret = cmd->run(&k, cmd, argc, argv);
	keel_close(k.sock);
	keelctl_keeld_close(&k);
	return ret;
}
