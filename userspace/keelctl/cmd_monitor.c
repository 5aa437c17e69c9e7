// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl monitor: print Keel's object notifications (OBJ_NEW, OBJ_DEL)
 * as they arrive, until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>

#include "keelctl.h"

struct monitor {
	struct keelctl *k;
	int rc;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void print_event(const struct keel_event *ev)
{
	const struct keel_obj *o = &ev->obj;
	char info[OBJ_INFO_TEXT_MAX];

	obj_info_text(o, info, sizeof(info));
	printf("%s id=%u type=%s part=%s owner=%u vm_pid=%u label=\"%s\"%s%s\n",
	       ev->cmd == KEEL_CMD_OBJ_NEW ? "new" : "del", o->id,
	       fmt_str(o->type), fmt_str(o->part), o->owner_pid, o->vm_pid,
	       o->label ? o->label : "", o->ninfo ? " " : "",
	       o->ninfo ? info : "");
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct monitor *m = data;
	struct keel_event ev;
	int ret;

	ret = keel_event_parse(keel_family_id(m->k->sock), nlh, &ev);
	if (ret == -ENOMSG)
		return MNL_CB_OK;	/* not ours, or a newer kind of event */
	if (!ret)
		ret = keel_obj_describe(m->k->sock, &ev.obj);
	if (ret) {
		fprintf(stderr, "keelctl: monitor: a notification keelctl cannot read, skipped: %s\n",
			keel_errno_str(-ret));
		keel_event_free(&ev);
		return MNL_CB_OK;
	}
	if (m->k->json) {
		m->rc = keelctl_print_json(m->k, keel_event_json(&ev));
	} else {
		print_event(&ev);
		if (fflush(stdout))
			m->rc = KEELCTL_EXIT_FAIL;
	}
	keel_event_free(&ev);
	return m->rc ? MNL_CB_ERROR : MNL_CB_OK;
}

/*
 * Signals stay blocked except inside ppoll(), so one that arrives between
 * two polls is seen by the next one instead of being lost.
 */
static int setup_signals(sigset_t *waitmask)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, waitmask))
		return -1;
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGTERM);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -1;
	return 0;
}

static int run(struct keelctl *k, const struct keelctl_cmd *cmd, int argc,
	       char **argv)
{
	struct monitor m = { .k = k };
	struct pollfd pfd;
	sigset_t waitmask;
	int rc;

	rc = keelctl_begin(k, cmd, argc, argv);
	if (rc >= 0)
		return rc;
	/*
	 * The type descriptors before joining: a request on the socket
	 * later would drop the events that arrive meanwhile. Types of parts
	 * loaded after this are shown generically.
	 */
	if (!keel_types_cached(k->sock))
		return keelctl_fail("monitor", keel_last_error(k->sock));
	if (keel_join(k->sock, KEEL_GENL_MCGRP_EVENTS)) {
		if (keel_last_error(k->sock)->kind != KEEL_ERR_PERM)
			return keelctl_fail("monitor", keel_last_error(k->sock));
		/* The events describe every tenant's objects. */
		fputs("keelctl: monitor: permission denied: the events group is for CAP_SYS_ADMIN (run it as root)\n",
		      stderr);
		return KEELCTL_EXIT_PERM;
	}
	if (setup_signals(&waitmask)) {
		fprintf(stderr, "keelctl: monitor: cannot catch SIGINT and SIGTERM: %s\n",
			strerror(errno));
		return KEELCTL_EXIT_FAIL;
	}

	pfd.fd = mnl_socket_get_fd(keel_mnl(k->sock));
	pfd.events = POLLIN;
	while (!stop && !m.rc) {
		int ret = ppoll(&pfd, 1, NULL, &waitmask);

		if (ret < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "keelctl: monitor: cannot wait for events: %s\n",
				strerror(errno));
			return KEELCTL_EXIT_FAIL;
		}
		ret = keel_recv_events(k->sock, event_cb, &m);
		if (ret == -ENOBUFS) {
			fputs("keelctl: monitor: events were lost (receive buffer overrun)\n",
			      stderr);
			continue;
		}
		if (ret && !m.rc)
			return keelctl_fail("monitor", keel_last_error(k->sock));
	}
	return m.rc;
}

const struct keelctl_cmd keelctl_cmd_monitor = {
	.name = "monitor",
	.synopsis = "monitor",
	.summary = "Print objects as they appear and disappear, until interrupted.",
	.help = "Each event is one line: \"new\" or \"del\", then the object's fields\n"
		"and its type's details as key=value pairs. With -j, one JSON\n"
		"object per line: {\"event\": \"new\"|\"del\", \"object\": {...}}.\n",
	.run = run,
};
