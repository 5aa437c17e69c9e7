// SPDX-License-Identifier: GPL-2.0
/*
 * keel-iod: the remote I/O server. This file owns the command line, the
 * order of startup (devices, key, listeners, then the event loop), --list
 * and the exit status: 0 after a clean stop or a listing, 1 when the
 * server failed, 2 for a bad command line or configuration.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iod.h"
#include "log.h"
#include "wire.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: keel-iod --key FILE --listen ADDR... --device SPEC... [OPTIONS]\n"
		"       keel-iod --list [-j] --device SPEC...\n"
		"\n"
		"Serves remote I/O: a client host's device requests are handled on the\n"
		"software device here that matches the hardware device they name.\n"
		"\n"
		"Options:\n"
		"  --device SPEC        a software device (repeatable, up to %u):\n"
		"                         block,file=PATH[,name=N][,model=M][,features=flush|fua][,ro]\n"
		"                         console[,in=PATH][,out=PATH][,name=N][,model=M]\n"
		"                         entropy[,name=N][,model=M]\n"
		"  --listen ADDR        unix:PATH or tcp:HOST:PORT (repeatable)\n"
		"  --key FILE           the shared key: 32 to 128 hex digits, mode 0600\n"
		"  --name NAME          this server's name for clients (default: host name)\n"
		"  --idle-timeout SEC   close a connection silent this long (default %u)\n"
		"  --session-timeout SEC  end a session without connection after this\n"
		"                       (default %u)\n"
		"  --max-clients N      connections at once (default %u)\n"
		"  --list               print the devices and exit; -j: as JSON\n"
		"  -j, --json           JSON output for --list\n"
		"  -v, --verbose        log debug lines too\n"
		"  -q, --quiet          log errors and warnings only\n"
		"  -h, --help           show this help\n",
		KEEL_REMOTE_MAX_DEVICES, IOD_IDLE_S, IOD_LINGER_S,
		IOD_MAX_CLIENTS);
}

static int parse_uint(const char *s, unsigned long min, unsigned long max,
		      unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || *end || *v < min || *v > max ? -EINVAL : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "key", required_argument, NULL, 'k' },
		{ "name", required_argument, NULL, 'n' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "session-timeout", required_argument, NULL, 's' },
		{ "max-clients", required_argument, NULL, 'm' },
		{ "list", no_argument, NULL, 'L' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct iod iod = {
		.epoll_fd = -1, .signal_fd = -1,
		.max_conns = IOD_MAX_CLIENTS,
		.idle_ms = IOD_IDLE_S * 1000,
		.sessions = { .max = IOD_MAX_SESSIONS,
			      .linger_ms = IOD_LINGER_S * 1000 },
	};
	const char *listen_addrs[IOD_MAX_LISTEN];
	unsigned int nlisten = 0, i;
	const char *key_file = NULL, *name = NULL;
	bool list = false, json = false;
	char msg[512], host[256];
	unsigned long v;
	int c, ret;

	while ((c = getopt_long(argc, argv, "jvqh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (registry_add(&iod.reg, optarg, msg, sizeof(msg))) {
				iod_log(LOG_ERR, "%s", msg);
				return 2;
			}
			break;
		case 'l':
			if (nlisten == IOD_MAX_LISTEN) {
				iod_log(LOG_ERR, "--listen: at most %d addresses",
					IOD_MAX_LISTEN);
				return 2;
			}
			listen_addrs[nlisten++] = optarg;
			break;
		case 'k':
			key_file = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'i':
		case 's':
			if (parse_uint(optarg, 1, 86400, &v)) {
				iod_log(LOG_ERR, "bad --%s '%s': give 1 to 86400 seconds",
					c == 'i' ? "idle-timeout" : "session-timeout",
					optarg);
				return 2;
			}
			if (c == 'i')
				iod.idle_ms = (unsigned int)v * 1000;
			else
				iod.sessions.linger_ms = v * 1000;
			break;
		case 'm':
			if (parse_uint(optarg, 1, 65536, &v)) {
				iod_log(LOG_ERR, "bad --max-clients '%s': give 1 to 65536",
					optarg);
				return 2;
			}
			iod.max_conns = (unsigned int)v;
			break;
		case 'L':
			list = true;
			break;
		case 'j':
			json = true;
			break;
		case 'v':
			iod_log_level = LOG_DEBUG;
			break;
		case 'q':
			iod_log_level = LOG_WARNING;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		iod_log(LOG_ERR, "unexpected argument '%s'; see keel-iod --help",
			argv[optind]);
		return 2;
	}
	if (json && !list) {
		iod_log(LOG_ERR, "-j goes with --list");
		return 2;
	}
	if (list) {
		ret = registry_open(&iod.reg, false, msg, sizeof(msg));
		if (ret) {
			iod_log(LOG_ERR, "%s", msg);
			registry_close(&iod.reg);
			return 2;
		}
		ret = registry_print(&iod.reg, stdout, json);
		registry_close(&iod.reg);
		if (ret)
			iod_log(LOG_ERR, "writing the list: %s", strerror(-ret));
		return ret ? 1 : 0;
	}
	if (!key_file || !nlisten || !iod.reg.n) {
		iod_log(LOG_ERR, "give %s; see keel-iod --help",
			!key_file ? "--key FILE (the shared key)" :
			!nlisten ? "--listen unix:PATH or tcp:HOST:PORT" :
			"at least one --device");
		return 2;
	}
	if (!name && !gethostname(host, sizeof(host))) {
		host[sizeof(host) - 1] = '\0';
		host[strnlen(host, KEEL_REMOTE_NAME_LEN - 1)] = '\0';
		name = host;
	}
	if (!name || !*name)
		name = "keel-iod";
	wire_str_set(iod.name, sizeof(iod.name), name);
	if (strlen(name) >= KEEL_REMOTE_NAME_LEN ||
	    !wire_str_ok(iod.name, sizeof(iod.name), false)) {
		iod_log(LOG_ERR, "--name '%s': give 1 to %d printable characters",
			name, KEEL_REMOTE_NAME_LEN - 1);
		return 2;
	}
	if (key_load(key_file, &iod.key, msg, sizeof(msg))) {
		iod_log(LOG_ERR, "%s", msg);
		return 2;
	}
	ret = registry_open(&iod.reg, true, msg, sizeof(msg));
	if (ret) {
		iod_log(LOG_ERR, "%s", msg);
		server_close(&iod);
		return 2;
	}
	ret = server_init(&iod);
	if (ret)
		iod_log(LOG_ERR, "epoll or signalfd: %s", strerror(-ret));
	for (i = 0; !ret && i < nlisten; i++)
		ret = listen_add(&iod, listen_addrs[i]);
	if (ret) {
		server_close(&iod);
		return 1;
	}
	for (i = 0; i < iod.reg.n; i++) {
		char feat[64];
		const struct keel_remote_dev_desc *d = &iod.reg.devs[i].desc;

		iod_log(LOG_INFO, "device %u: %s, %s %s, %llu bytes, %s", d->id,
			d->name, dev_type_name(d->type), d->model,
			(unsigned long long)d->capacity,
			features_str(d->features, feat, sizeof(feat)));
	}
	iod_log(LOG_INFO, "serving %u device%s as '%s'", iod.reg.n,
		iod.reg.n == 1 ? "" : "s", iod.name);
	ret = server_run(&iod);
	server_close(&iod);
	iod_log(LOG_INFO, "stopped");
	return ret ? 1 : 0;
}
