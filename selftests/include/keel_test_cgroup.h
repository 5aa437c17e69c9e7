/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup v2 for tests: a hierarchy at KEEL_CG_ROOT (mounted if nothing
 * is) with a controller enabled, groups entered and removed, and a memory
 * cgroup's charge. Tests that check where Keel charges memory or runs its
 * threads.
 */
#ifndef KEEL_TEST_CGROUP_H
#define KEEL_TEST_CGROUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "keel_test_file.h"

#define KEEL_CG_ROOT	"/sys/fs/cgroup"

/*
 * A cgroup v2 hierarchy at KEEL_CG_ROOT with @controller (NULL: none)
 * enabled for children: 0, or -errno (-EOPNOTSUPP when the kernel lacks
 * it).
 */
static inline int cg_prepare(const char *controller)
{
	char buf[512], want[64];

	if (access(KEEL_CG_ROOT "/cgroup.controllers", F_OK) &&
	    mount("cgroup2", KEEL_CG_ROOT, "cgroup2", 0, NULL))
		return errno == ENOENT || errno == ENODEV ? -EOPNOTSUPP : -errno;
	if (!controller)
		return 0;
	/* Match whole words: " memory " in " cpu memory pids ". */
	buf[0] = ' ';
	if (read_text(KEEL_CG_ROOT "/cgroup.controllers", buf + 1,
		      sizeof(buf) - 2) < 0)
		return -EIO;
	buf[strcspn(buf, "\n")] = '\0';
	strcat(buf, " ");
	snprintf(want, sizeof(want), " %s ", controller);
	if (!strstr(buf, want))
		return -EOPNOTSUPP;
	snprintf(want, sizeof(want), "+%s", controller);
	return write_text(KEEL_CG_ROOT "/cgroup.subtree_control", want);
}

/* Make cgroup @dir (under the root): 0 or -errno. */
static inline int cg_make(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), KEEL_CG_ROOT "/%s", dir);
	return mkdir(path, 0755) ? -errno : 0;
}

/* Move the calling process into cgroup @dir ("" for the root). */
static inline int cg_enter(const char *dir)
{
	char path[256], pid[32];

	snprintf(path, sizeof(path), KEEL_CG_ROOT "%s%s/cgroup.procs",
		 *dir ? "/" : "", dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	return write_text(path, pid);
}

/*
 * Leave and remove cgroup @dir. A thread that just exited may hold it for
 * a moment after kthread_stop() returned (it leaves its cgroup later in
 * its exit), so busy is retried; cleanup only, never a verdict.
 */
static inline void cg_remove(const char *dir)
{
	char path[256];
	int i;

	cg_enter("");
	snprintf(path, sizeof(path), KEEL_CG_ROOT "/%s", dir);
	for (i = 0; i < 1000 && rmdir(path) && errno == EBUSY; i++)
		usleep(1000);
}

/* The memory cgroup's charge in bytes (memory.current), or -1. */
static inline long long cg_current(const char *dir)
{
	unsigned long long v;
	char path[256];

	snprintf(path, sizeof(path), KEEL_CG_ROOT "/%s/memory.current", dir);
	return read_ull(path, &v) ? -1 : (long long)v;
}

#endif /* KEEL_TEST_CGROUP_H */
