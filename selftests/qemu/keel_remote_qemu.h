/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A remote disk for an unmodified QEMU, as an operator sets it up (the
 * remote disk test and the demo): keel-iod serving a block device from a
 * network namespace of its own (selftests/remote/remote_conn.h), QEMU's
 * microvm started paused with a placeholder device on virtio-mmio
 * transport 0 so that its ACPI tables describe that transport
 * (LNRO0005, 512 bytes at 0xfeb00000, GSI 16, level-triggered), then
 * "keelctl remote add --pid ... --level" on that range and GSI and
 * "keelctl remote watch" in the background, and "cont". The guest runs
 * role remote-disk (selftests/qemu/guest/roles/remote-disk), or, with
 * the server's entropy device as a virtio-rng device, remote-rng.
 */
#ifndef KEEL_REMOTE_QEMU_H
#define KEEL_REMOTE_QEMU_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "keel_qemu.h"
#include "remote_conn.h"

#define KRQ_MMIO	"0xfeb00000"
#define KRQ_GSI		"16"

struct krq {
	struct rc_server srv;
	bool srv_ready;
	struct keel_qemu *q;
	unsigned int id;	/* the remote device, 0 before add */
	pid_t watch;		/* keelctl remote watch, 0 when not running */
	bool show;		/* print each keelctl command and its output */
	/*
	 * Set before krq_start(): the server's entropy device (RC_RNG_NAME)
	 * as a virtio-rng device ("remote add --type entropy"); else its disk.
	 */
	bool entropy;
};

/*
 * keel-iod serving a sparse disk of @disk_size bytes (keel-iod and
 * keel-remote-conn from $KEEL_IOD / $KEEL_REMOTE_CONN, else the remote
 * suite's, beside this program's directory). 0 or -errno.
 */
int krq_server_up(struct krq *k, uint64_t disk_size);

/*
 * QEMU paused (microvm with the placeholder, role remote-disk with
 * @append after it), "keelctl remote add", "keelctl remote watch",
 * "cont". 0, or -errno with a "#" line on stdout saying what failed
 * (keelctl's output in it). k->q is set as soon as QEMU started.
 */
int krq_start(struct krq *k, const char *append);

/* Kill keel-iod with @sig and start it again: 0 or -errno. */
int krq_server_restart(struct krq *k, int sig);

/* Counter @key of the remote device ("keelctl -j remote show"), or -1. */
long long krq_info(const struct krq *k, const char *key);

/* Whether keel-iod's backing file holds @needle. */
bool krq_disk_has(const struct krq *k, const char *needle);

/* Stop the watch and QEMU (the device goes with its VM); keep keel-iod. */
void krq_stop(struct krq *k);

/*
 * After a start whose nested guest got stuck (keel_qemu.h): says so,
 * shows the end of its console and stops it, for the caller to start
 * again.
 */
void krq_again(struct krq *k);

/*
 * krq_stop(), then wait (bounded, 10 s each) until the device is gone
 * (a work item reaps it once QEMU's address space is) and keel_remote's
 * count of users is 0. Sets *@obj_open to what opening the device last
 * gave (-ENOENT: gone) and *@refcnt to the last count; when either is not
 * what it should be, shows the kernel stacks of keel_remote's threads.
 */
void krq_stop_reaped(struct krq *k, int *obj_open, int *refcnt);

/* @key=<n> in a guest's line, or -1. */
long long krq_field(const char *line, const char *key);

/* krq_stop(), then keel-iod, its namespace and files. */
void krq_free(struct krq *k);

#endif /* KEEL_REMOTE_QEMU_H */
