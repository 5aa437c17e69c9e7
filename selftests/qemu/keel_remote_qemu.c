// SPDX-License-Identifier: GPL-2.0
/*
 * A remote disk for an unmodified QEMU (keel_remote_qemu.h): keel-iod in
 * its namespace, QEMU's microvm with a placeholder on transport 0, the
 * device added by pid and watched by keelctl, as an operator does it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "keel_remote_qemu.h"
#include "keel_test_attach.h"
#include "keel_test_keelctl.h"
#include "keel_test_kvm.h"

/*
 * microvm with ACPI and one IOAPIC: transport n at 0xfeb00000 + 512 n on
 * GSI 16 + n, described only when a device is plugged into it.
 */
static const char *const krq_microvm_args[] = {
	"-machine", "acpi=on,ioapic2=off",
	"-device", "virtio-rng-device,bus=virtio-mmio-bus.0",
	NULL
};

static char krq_out[65536];

/* $@env, else @name in ../remote beside this program. */
static void krq_find_prog(const char *env, const char *name)
{
	char self[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n;

	if (getenv(env))
		return;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/../remote/%s", dirname(self), name);
	setenv(env, path, 0);
}

int krq_server_up(struct krq *k, uint64_t disk_size)
{
	int ret;

	krq_find_prog("KEEL_IOD", "keel-iod");
	krq_find_prog("KEEL_REMOTE_CONN", "keel-remote-conn");
	ret = rc_server_init(&k->srv, disk_size);
	if (ret)
		return ret;
	k->srv_ready = true;
	return rc_server_start(&k->srv);
}

static int krq_keelctl(const struct krq *k, const char *const *args)
{
	if (k->show)
		return keel_test_keelctl_show(args, NULL, krq_out,
					      sizeof(krq_out));
	return keel_test_keelctl(args, NULL, krq_out, sizeof(krq_out), false);
}

/* "keelctl remote watch ID" in the background. */
static pid_t krq_watch(const struct krq *k)
{
	const char *keelctl = getenv("KEELCTL") ?: KEELCTL_PATH;
	char ids[16];
	pid_t pid;

	snprintf(ids, sizeof(ids), "%u", k->id);
	if (k->show)
		keel_test_print_cmd("keelctl", (const char *[]){
			"remote", "watch", "--server", k->srv.addr, "--key",
			k->srv.key, ids, NULL });
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, 0);
		execl(keelctl, keelctl, "remote", "watch", "--server",
		      k->srv.addr, "--key", k->srv.key, ids, NULL);
		_exit(127);
	}
	return pid;
}

int krq_start(struct krq *k, const char *append)
{
	struct keel_qemu_opts o = {
		.machine = "microvm",
		.append = append,
		.paused = true,
		.extra_args = krq_microvm_args,
	};
	unsigned long id;
	char pid[16];
	char *end;
	int rc;

	k->q = keel_qemu_start(&o);
	if (!k->q) {
		printf("# QEMU did not start: %s\n", strerror(errno));
		return -errno;
	}
	/* Its monitor answers once the machine, and its VM, exist. */
	if (!keel_qemu_monitor(k->q, "info status")) {
		printf("# QEMU's monitor does not answer\n");
		keel_qemu_dump(k->q, 4000);
		return -EIO;
	}
	snprintf(pid, sizeof(pid), "%d", keel_qemu_pid(k->q));
	rc = krq_keelctl(k, (const char *[]){
			"remote", "add", "--pid", pid, "--mmio", KRQ_MMIO,
			"--irq", KRQ_GSI, "--level",
			"--server", k->srv.addr, "--key", k->srv.key,
			/* a disk (the server's only block device): the list ends here */
			k->entropy ? "--type" : NULL, "entropy",
			"--device", RC_RNG_NAME, NULL });
	id = strtoul(krq_out, &end, 10);
	if (rc || end == krq_out || !id) {
		printf("# keelctl remote add failed (%d): %s\n", rc, krq_out);
		return -EIO;
	}
	k->id = id;
	k->watch = krq_watch(k);
	if (k->watch < 0) {
		printf("# fork: %s\n", strerror(errno));
		k->watch = 0;
		return -errno;
	}
	if (!keel_qemu_monitor(k->q, "cont")) {
		printf("# cont: %s\n", strerror(errno));
		return -EIO;
	}
	return 0;
}

int krq_server_restart(struct krq *k, int sig)
{
	int ret = rc_server_stop(&k->srv, sig);

	/* Its port is free again once it is reaped. */
	return ret ?: rc_server_start(&k->srv);
}

long long krq_info(const struct krq *k, const char *key)
{
	return keel_test_obj_info("remote", k->id, key);
}

bool krq_disk_has(const struct krq *k, const char *needle)
{
	struct stat st;
	bool found;
	void *m;
	int fd;

	fd = open(k->srv.disk, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) || !st.st_size) {
		close(fd);
		return false;
	}
	m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return false;
	found = memmem(m, st.st_size, needle, strlen(needle)) != NULL;
	munmap(m, st.st_size);
	return found;
}

void krq_stop(struct krq *k)
{
	if (k->watch > 0) {
		kill(k->watch, SIGTERM);
		waitpid(k->watch, NULL, 0);
	}
	k->watch = 0;
	keel_qemu_free(k->q);
	k->q = NULL;
	k->id = 0;
}

void krq_again(struct krq *k)
{
	printf("# the nested guest %s: again\n", keel_qemu_fault(k->q));
	keel_qemu_dump(k->q, 1500);
	krq_stop(k);
}

/* One of keel_remote's threads, for a failure: its name and kernel stack. */
static void krq_dump_thread(long pid, const char *rest,
			    void *arg __attribute__((unused)))
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	printf("# %ld keel-remote%s\n", pid, rest);
	snprintf(path, sizeof(path), "/proc/%ld/stack", pid);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n > 0) {
		buf[n] = '\0';
		keel_qemu_comment(buf);
	}
}

/* For a failure: the kernel stacks of keel_remote's threads. */
static void krq_dump_threads(void)
{
	keel_test_for_each_comm("keel-remote", krq_dump_thread, NULL);
}

void krq_stop_reaped(struct krq *k, int *obj_open, int *refcnt)
{
	unsigned int id = k->id;
	int fd = -1, n = -1, i;

	krq_stop(k);
	for (i = 0; i < 1000 && (fd = keel_test_obj_open(id)) != -ENOENT; i++) {
		if (fd >= 0)
			close(fd);
		usleep(10000);
	}
	for (i = 0; i < 1000 && (n = keel_test_module_refcnt("keel_remote")); i++)
		usleep(10000);
	*obj_open = fd;
	*refcnt = n;
	if (fd != -ENOENT || n)
		krq_dump_threads();
}

long long krq_field(const char *line, const char *key)
{
	char k[32];
	const char *p;

	snprintf(k, sizeof(k), "%s=", key);
	p = strstr(line, k);
	return p ? strtoll(p + strlen(k), NULL, 10) : -1;
}

void krq_free(struct krq *k)
{
	krq_stop(k);
	if (k->srv_ready)
		rc_server_free(&k->srv);
	k->srv_ready = false;
}
