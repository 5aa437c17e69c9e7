/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a benchmark or test measures and arranges around a VM: KVM's
 * counters of a process's VM (debugfs), the tasks with a name (a VMM's,
 * a device's kernel threads), every thread of a process pinned to a CPU,
 * and a busy loop on a CPU, as another tenant's vCPU would be.
 */
#ifndef KEEL_TEST_KVM_H
#define KEEL_TEST_KVM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A counter of @pid's VM in KVM's debugfs (/sys/kernel/debug/kvm/PID-FD/,
 * its first VM): "exits", "halt_exits", ... 0 when there is none.
 */
static inline unsigned long long keel_test_kvm_stat(pid_t pid,
						    const char *name)
{
	char prefix[32], path[512];
	unsigned long long v = 0;
	struct dirent *de;
	DIR *d = opendir("/sys/kernel/debug/kvm");
	FILE *f;

	if (!d)
		return 0;
	snprintf(prefix, sizeof(prefix), "%d-", pid);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s/%s",
			 de->d_name, name);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%llu", &v) != 1)
				v = 0;
			fclose(f);
		}
		break;
	}
	closedir(d);
	return v;
}

/*
 * Every process (or kernel thread) whose name begins with @prefix:
 * @fn(pid, the rest of its name, @arg).
 */
static inline void keel_test_for_each_comm(const char *prefix,
					   void (*fn)(long pid,
						      const char *rest,
						      void *arg),
					   void *arg)
{
	size_t len = strlen(prefix);
	char path[64], comm[32];
	struct dirent *d;
	char *end;
	long pid;
	DIR *dir;
	FILE *f;

	dir = opendir("/proc");
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		pid = strtol(d->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		comm[strcspn(comm, "\n")] = 0;
		if (!strncmp(comm, prefix, len))
			fn(pid, comm + len, arg);
	}
	closedir(dir);
}

/* Pin every thread of @pid to @cpu. */
static inline void keel_test_pin_task(pid_t pid, int cpu)
{
	char path[64];
	struct dirent *de;
	cpu_set_t set;
	DIR *d;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			sched_setaffinity(atoi(de->d_name), sizeof(set), &set);
	if (d)
		closedir(d);
}

/* A busy loop on @cpu, in a child process: kill it when done. */
static inline pid_t keel_test_hog(int cpu)
{
	cpu_set_t set;
	pid_t p = fork();

	if (p)
		return p;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	for (;;)
		;
}

#endif /* KEEL_TEST_KVM_H */
