/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the keel_coalesce tests: opening /dev/keel-coalesce, a setup
 * argument, notifications (eventfd writes, as vhost's signals), and the
 * object's info and parameters through keelctl, as an operator reads and
 * changes them.
 */
#ifndef COALESCE_TEST_H
#define COALESCE_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include <linux/keel_coalesce.h>
#include <linux/keel_state.h>
#include "kselftest_harness.h"
#include "keel_test_keelctl.h"

/* Open /dev/keel-coalesce, or skip when keel_coalesce.ko is not loaded. */
#define COAL_OPEN_OR_SKIP(fd)						\
	do {								\
		(fd) = open(KEEL_COALESCE_DEVICE, O_RDWR | O_CLOEXEC);	\
		if ((fd) < 0 && errno == ENOENT)			\
			SKIP(return, "keel_coalesce.ko is not loaded");	\
		ASSERT_LE(0, (fd));					\
	} while (0)

static inline void coal_setup_init(struct keel_coalesce_setup *s, int vm_fd,
				   int irq_fd, uint32_t rx_usecs,
				   uint32_t overflow_usecs, const char *label)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->vm_fd = vm_fd;
	s->irq_fd = irq_fd;
	s->call_fd = -1;
	s->vcpu = KEEL_COALESCE_VCPU_AUTO;
	s->params.rx_usecs = rx_usecs;
	s->params.overflow_usecs = overflow_usecs;
	strncpy(s->label, label, sizeof(s->label) - 1);
}

/* ioctl() as 0 or -errno. */
static inline int coal_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* @n notifications, one eventfd write each, as vhost signals them. */
static inline int notify(int fd, int n)
{
	uint64_t one = 1;
	int i;

	for (i = 0; i < n; i++)
		if (write(fd, &one, sizeof(one)) != sizeof(one))
			return -errno;
	return 0;
}

/* The object's info, from one "keelctl -j coalesce show ID" (-1: absent). */
struct coal_snap {
	long long notifications, irqs, held, direct, frames, latency, overflow,
		  flush, held_inactive, active, rx_usecs, rx_frames,
		  overflow_usecs, direct_call, irqfd_bound;
};

#define COAL_FIELDS(X)							\
	X(notifications) X(irqs) X(held) X(direct) X(frames) X(latency)	\
	X(overflow) X(flush) X(held_inactive) X(active) X(rx_usecs)	\
	X(rx_frames) X(overflow_usecs) X(direct_call) X(irqfd_bound)

/* 0, or -1 when keelctl failed (no such object). */
static inline int coal_snap(uint32_t id, struct coal_snap *s)
{
	struct json_object *j, *info, *v;
	char ids[16], out[16384];
	int ret = -1;

	memset(s, 0xff, sizeof(*s));
	snprintf(ids, sizeof(ids), "%u", id);
	if (keel_test_keelctl((const char *[]){ "-j", "coalesce", "show", ids,
						NULL },
			      NULL, out, sizeof(out), false))
		return -1;
	j = json_tokener_parse(out);
	if (j && json_object_object_get_ex(j, "info", &info)) {
#define COAL_GET(f)							\
		if (json_object_object_get_ex(info, #f, &v))		\
			s->f = json_object_get_int64(v);
		COAL_FIELDS(COAL_GET)
#undef COAL_GET
		ret = 0;
	}
	json_object_put(j);
	return ret;
}

static inline long long coal_info(uint32_t id, const char *key)
{
	return keel_test_obj_info("coalesce", id, key);
}

/*
 * Wait until field @f of object @id is @want, leaving the last look in
 * @s: deliveries come from a timer. The limit only turns a lost delivery
 * into a failure, not a hang.
 */
#define coal_wait(id, f, want, s)					\
	({								\
		struct timespec __pause = { 0, 20 * 1000 * 1000 };	\
		int __i;						\
									\
		for (__i = 0; __i < 3000; __i++) {			\
			if (!coal_snap((id), (s)) && (s)->f == (want))	\
				break;					\
			nanosleep(&__pause, NULL);			\
		}							\
		(s)->f;							\
	})

/* "keelctl coalesce set ID NAME VALUE": keelctl's exit status. */
static inline int coal_set(uint32_t id, const char *name, const char *value,
			   char *out, size_t len)
{
	char ids[16];

	snprintf(ids, sizeof(ids), "%u", id);
	return keel_test_keelctl((const char *[]){ "coalesce", "set", ids,
						   name, value, NULL },
				 NULL, out, len, false);
}

#endif /* COALESCE_TEST_H */
