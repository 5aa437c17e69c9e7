// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl vdev console: the serial line of a device attached to its VM.
 * It checks the id is a vdev's, gets a descriptor of the device's file
 * from the kernel (KEEL_IOC_OBJ_OPEN on /dev/keel: for its owner or
 * CAP_SYS_ADMIN) and runs console.c's loop over it: on a terminal in raw
 * mode until Ctrl-], else from standard input until its end.
 */
#include <errno.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "keelctl.h"

#define OP		"vdev console"

/* The object must be a vdev: -1 to go on, else the exit code. */
static int check_vdev(struct keelctl *k, uint32_t id, char *label,
		      size_t len)
{
	struct keel_obj o;
	int rc = keelctl_obj_get(k, id, "vdev", OP, &o);

	if (rc >= 0)
		return rc;
	snprintf(label, len, "%s", o.label ? o.label : "");
	keel_obj_free(&o);
	return -1;
}

int vdev_console(struct keelctl *k, uint32_t id, unsigned int wait_ms,
		 const char *until)
{
	struct console_opts opts = { .wait_ms = wait_ms, .until = until,
				     .stop_fd = -1 };
	char label[KEEL_NAME_MAX];
	struct termios saved;
	const char *what = "";
	bool raw = false;
	int fd, rc, ret;

	rc = check_vdev(k, id, label, sizeof(label));
	if (rc >= 0)
		return rc;
	fd = keelctl_obj_file(OP, id, "device");
	if (fd < 0)
		return -fd;

	opts.escape = isatty(STDIN_FILENO);
	opts.stop_fd = stop_signals();
	if (opts.escape) {
		fprintf(stderr, "Connected to device %u%s%s%s; escape character is ^]\n",
			id, label[0] ? " (" : "", label, label[0] ? ")" : "");
		ret = term_raw(STDIN_FILENO, &saved);
		if (ret)
			fprintf(stderr, "keelctl: " OP ": cannot put the terminal in raw mode (%s): keys such as Ctrl-C act here, not in the guest\n",
				strerror(-ret));
		raw = !ret;
	}
	ret = console_bridge(STDIN_FILENO, STDOUT_FILENO, fd, &opts, &what);
	if (raw) {
		term_restore(STDIN_FILENO, &saved);
		fputc('\n', stderr);
	}
	stop_signals_end();
	close(fd);
	if (ret == CONSOLE_DEV_ENDED) {
		fprintf(stderr, "keelctl: " OP ": device %u is gone: detached, or its VM ended\n",
			id);
		return until ? KEELCTL_EXIT_FAIL : KEELCTL_EXIT_OK;
	}
	if (ret == CONSOLE_UNTIL_MISSED) {
		fprintf(stderr, "keelctl: " OP ": \"%s\" did not come from device %u within %u ms\n",
			until, id, wait_ms);
		return KEELCTL_EXIT_FAIL;
	}
	if (ret) {
		/* A read or write of one of the streams: its errno says why. */
		fprintf(stderr, "keelctl: " OP ": %s: %s\n", what, strerror(-ret));
		return KEELCTL_EXIT_FAIL;
	}
	return KEELCTL_EXIT_OK;
}
