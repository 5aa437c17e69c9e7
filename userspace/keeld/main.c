// SPDX-License-Identifier: GPL-2.0
/*
 * keeld: the cloud resource database and allocator. This file owns the
 * command line, opening the database, loading the cache and the
 * lifetime of the daemon; --check verifies the database and exits.
 * Where the database URL comes from is dburl.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/keeld.h>
#include <systemd/sd-daemon.h>

#include "dburl.h"
#include "keeld.h"
#include "log.h"

#define DEFAULT_DB	"sqlite:/var/lib/keeld/keeld.db"

static void usage(FILE *f)
{
	fprintf(f, "Usage: keeld [OPTIONS]\n"
	      "\n"
	      "The cloud resource database and allocator; keelctl is its client.\n"
	      "\n"
	      "Options:\n"
	      "  --db URL             sqlite:PATH (default $" KEELD_DB_ENV ",\n"
	      "                       else " DEFAULT_DB "); every commit\n"
	      "                       is on disk before its reply; PATH?synchronous=normal\n"
	      "                       is faster, but loses the last ones to a power cut\n"
	      "                       or postgresql://... (a libpq URI, no password:\n"
	      "                       use --db-file, $" KEELD_DB_ENV " or ~/.pgpass)\n"
	      "  --db-file FILE       the URL from FILE's first line (mode 0600 or 0640)\n"
	      "  --socket PATH        listen here (default " KEELD_SOCKET_PATH ")\n"
	      "  --admin-group NAME   members may change the database (root always may)\n"
	      "  --max-candidates N   stop pruning at N hosts unless a request says (0: never)\n"
	      "  --local-host ID      register this machine from keel.ko as host ID\n"
	      "  --refresh SECONDS    catch up with other keelds' changes this often\n"
	      "                       (default 5, 0: only when a request finds no room)\n"
	      "  --batch N            allocations and frees per transaction, 1 to 64\n"
	      "                       (default 64; 1: one transaction each)\n"
	      "  --max-per-user N     connections one uid other than root may hold\n"
	      "                       (default %u, 0: no limit)\n"
	      "  --idle-timeout SECONDS  close a client that made no progress this long\n"
	      "                       (default %u, 0: never)\n"
	      "  --check              check the database (its pages and invariants) and exit\n"
	      "  -h, --help           show this help\n",
	      KEELD_MAX_PER_USER, KEELD_IDLE_TIMEOUT);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || *end || *v > max ? -EINVAL : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "db-file", required_argument, NULL, 'D' },
		{ "socket", required_argument, NULL, 's' },
		{ "admin-group", required_argument, NULL, 'g' },
		{ "max-candidates", required_argument, NULL, 'm' },
		{ "local-host", required_argument, NULL, 'l' },
		{ "refresh", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'b' },
		{ "max-per-user", required_argument, NULL, 'u' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "check", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct keeld kd = {
		.socket_path = KEELD_SOCKET_PATH,
		.listen_fd = -1, .epoll_fd = -1, .signal_fd = -1, .local_fd = -1,
		.refresh_fd = -1, .refresh_s = 5,
		.batch.max = BATCH_MAX,
		.clients.max_per_uid = KEELD_MAX_PER_USER,
		.clients.idle_s = KEELD_IDLE_TIMEOUT,
	};
	const char *db = NULL, *db_file = NULL;
	char *db_buf = NULL;
	struct keeld_err err = { 0 };
	char msg[512];
	bool check = false;
	unsigned long v;
	struct group *gr;
	int c, ret;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'D':
			db_file = optarg;
			break;
		case 's':
			kd.socket_path = optarg;
			break;
		case 'g':
			gr = getgrnam(optarg);
			if (!gr) {
				keeld_log(LOG_ERR, "no group '%s'", optarg);
				return 2;
			}
			kd.admin_gid = gr->gr_gid;
			kd.have_admin_gid = true;
			break;
		case 'm':
			if (parse_uint(optarg, KEELD_MAX_HOSTS, &v)) {
				keeld_log(LOG_ERR, "bad --max-candidates '%s'", optarg);
				return 2;
			}
			kd.cloud.max_candidates = v;
			break;
		case 'l':
			if (parse_uint(optarg, UINT32_MAX, &v)) {
				keeld_log(LOG_ERR, "bad --local-host '%s'", optarg);
				return 2;
			}
			kd.local = true;
			kd.local_id = (uint32_t)v;
			break;
		case 'r':
			if (parse_uint(optarg, 86400, &v)) {
				keeld_log(LOG_ERR, "bad --refresh '%s'", optarg);
				return 2;
			}
			kd.refresh_s = (unsigned int)v;
			break;
		case 'b':
			if (parse_uint(optarg, BATCH_MAX, &v) || !v) {
				keeld_log(LOG_ERR, "bad --batch '%s' (1 to %d)",
					optarg, BATCH_MAX);
				return 2;
			}
			kd.batch.max = (unsigned int)v;
			break;
		case 'u':
			if (parse_uint(optarg, KEELD_MAX_CLIENTS, &v)) {
				keeld_log(LOG_ERR, "bad --max-per-user '%s' (0 to %d)",
					optarg, KEELD_MAX_CLIENTS);
				return 2;
			}
			kd.clients.max_per_uid = (unsigned int)v;
			break;
		case 'i':
			if (parse_uint(optarg, 7 * 86400, &v)) {
				keeld_log(LOG_ERR, "bad --idle-timeout '%s'", optarg);
				return 2;
			}
			kd.clients.idle_s = (unsigned int)v;
			break;
		case 'c':
			check = true;
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
		keeld_log(LOG_ERR, "unexpected argument '%s'", argv[optind]);
		return 2;
	}

	if (db && db_file) {
		keeld_log(LOG_ERR, "--db and --db-file: give one");
		return 2;
	}
	if (db && dburl_has_password(db)) {
		keeld_log(LOG_ERR, "--db holds a password, which every local user can read on keeld's command line;");
		keeld_log(LOG_ERR, "give the URL with --db-file FILE or $" KEELD_DB_ENV ", or the password in ~/.pgpass (PGPASSFILE)");
		return 2;
	}
	if (db_file) {
		db = db_buf = dburl_read_file(db_file, msg, sizeof(msg));
		if (!db) {
			keeld_log(LOG_ERR, "--db-file %s", msg);
			return 2;
		}
	}
	if (!db)
		db = getenv(KEELD_DB_ENV);
	if (!db || !*db)
		db = DEFAULT_DB;
	if (!strncmp(db, "sqlite:", 7)) {
		char *path = strndup(db + 7, strcspn(db + 7, "?"));

		if (path)
			mkdir_parent(path, 0750);
		free(path);
	}
	kd.cloud.store = store_open(db, msg, sizeof(msg));
	free(db_buf);
	if (!kd.cloud.store) {
		keeld_log(LOG_ERR, "%s", msg);
		return 1;
	}
	if (check) {
		ret = store_check(kd.cloud.store, stdout);
		if (ret < 0)
			keeld_log(LOG_ERR, "check: %s", store_error(kd.cloud.store));
		else
			printf("%d problem%s\n", ret, ret == 1 ? "" : "s");
		store_close(kd.cloud.store);
		return ret ? 1 : 0;
	}
	if (cloud_load(&kd.cloud, &err)) {
		keeld_log(LOG_ERR, "loading the database: %s", err.msg);
		store_close(kd.cloud.store);
		return 1;
	}
	if (kd.local)
		local_start(&kd);
	clients_init(&kd);
	ret = server_listen(&kd);
	if (!ret) {
		keeld_log(LOG_INFO, "%zu hosts from %s, listening on %s",
			keeld_pool_size(kd.cloud.pool), store_backend(kd.cloud.store),
			kd.socket_path);
		/* Type=notify: clients may connect from now on. */
		sd_notifyf(0, "READY=1\nSTATUS=%zu hosts from %s, listening on %s",
			   keeld_pool_size(kd.cloud.pool),
			   store_backend(kd.cloud.store), kd.socket_path);
		ret = server_run(&kd);
		sd_notify(0, "STOPPING=1");
	}
	keeld_log(LOG_INFO, "stopping: %llu allocations committed, %llu stale decisions retried",
		(unsigned long long)kd.cloud.allocs,
		(unsigned long long)kd.cloud.conflicts);
	if (kd.batch.commits)
		keeld_log(LOG_INFO, "group commit: %llu requests in %llu transactions, at most %llu in one",
			(unsigned long long)kd.batch.batched,
			(unsigned long long)kd.batch.commits,
			(unsigned long long)kd.batch.largest);
	batch_release(&kd.batch);
	server_close(&kd);
	local_stop(&kd);
	cloud_fini(&kd.cloud);
	store_close(kd.cloud.store);
	return ret ? 1 : 0;
}
