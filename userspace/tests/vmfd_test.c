// SPDX-License-Identifier: GPL-2.0
/*
 * Taking the VM of a running VMM (libkeel's vmfd.c) and keelctl vdev add
 * up to the point where it needs keel_vdev.ko: the scan of a /proc/PID/fd
 * directory (a fake one of symlinks), a process that is no VMM (this
 * one), no such process, a thread, a caller who may not ptrace the
 * process (as root: a child that becomes nobody). Where /dev/kvm lets
 * this user create a VM (one that never runs: no vCPU, no memory),
 * children hold one and two VMs: the VM taken, the choice among two,
 * and keelctl's exit code without the module. No Keel module is needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/kvm.h>

#include "libkeel.h"
#include "tap.h"

#define NOBODY	65534

static char msg[512];

static const char *why(int err, const struct keel_vmm *v)
{
	return keel_vmm_strerror(err, v, msg, sizeof(msg));
}

static void test_scan(void)
{
	static const char *const links[][2] = {
		{ "3", "anon_inode:kvm-vm" },
		{ "12", "anon_inode:kvm-vm" },
		{ "5", "anon_inode:kvm-vcpu:0" },
		{ "7", "/dev/kvm" },
		{ "x9", "anon_inode:kvm-vm" },		/* not a number */
		{ "8", "anon_inode:kvm-vm (deleted)" },
		{ "10", "anon_inode:kvm-vmx" },
		{ "4", "anon_inode:kvm-vm" },
	};
	char dir[] = "/tmp/keel-vmfd-XXXXXX";
	int fds[2] = { -1, -1 }, dirfd, ret;
	size_t i, n = 0;

	if (!ok(mkdtemp(dir) != NULL, "scan: a directory of links"))
		return;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		if (symlinkat(links[i][1], dirfd, links[i][0]))
			printf("# symlink %s: %s\n", links[i][0], strerror(errno));
	}
	ret = keel_vm_fds_scan(dirfd, fds, 2, &n);
	ok(ret == 0 && n == 3 && fds[0] == 3 && fds[1] == 4,
	   "scan: 3 VMs, the first two ascending (%d, %zu: %d %d)", ret, n,
	   fds[0], fds[1]);
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		unlinkat(dirfd, links[i][0], 0);
	ok(keel_vm_fds_scan(dirfd, fds, 2, &n) == 0 && n == 0,
	   "scan: an empty directory has none");
	close(dirfd);
	rmdir(dir);
}

struct thread_arg {
	pid_t tid;
	int ready[2], done[2];
};

/* Tells its id, then lives until done[1] is closed. */
static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	char c;

	a->tid = gettid();
	if (write(a->ready[1], "x", 1) < 0 || read(a->done[0], &c, 1) < 0)
		return NULL;
	return NULL;
}

static void test_not_vmm(void)
{
	struct keel_vmm v;
	struct thread_arg ta = { 0 };
	char buf[sizeof(msg)];
	pthread_t t;
	int ret;

	ret = keel_vm_fd_of_pid(getpid(), -1, &v);
	ok(ret == -ENODEV && v.nvms == 0 && v.fd == -1 &&
	   strstr(why(ret, &v), "is not a KVM VMM"),
	   "this process: %d %s", ret, msg);
	ok(!strcmp(v.comm, "vmfd_test"), "its name '%s'", v.comm);

	ret = keel_vm_fd_of_pid(INT_MAX, -1, &v);
	ok(ret == -ESRCH && !strcmp(why(ret, &v), "no process 2147483647"),
	   "no such process: %d %s", ret, msg);
	ret = keel_vm_fd_of_pid(0, -1, &v);
	ok(ret == -EINVAL && strstr(why(ret, &v), "not a process id"),
	   "pid 0: %d %s", ret, msg);
	ret = keel_vm_fd_of_pid(-3, -1, NULL);
	ok(ret == -EINVAL, "pid -3: %d", ret);

	if (!pipe(ta.ready) && !pipe(ta.done) &&
	    !pthread_create(&t, NULL, thread_main, &ta)) {
		ret = read(ta.ready[0], buf, 1);
		ret = keel_vm_fd_of_pid(ta.tid, -1, &v);
		snprintf(msg, sizeof(msg),
			 "%d is a thread of process %d, not a process", ta.tid,
			 getpid());
		ok(ret == -EINVAL && v.tgid == getpid() &&
		   !strcmp(keel_vmm_strerror(ret, &v, buf, sizeof(buf)), msg),
		   "a thread: %d %s", ret, buf);
		close(ta.done[1]);
		pthread_join(t, NULL);
	}

	ok(keel_fd_is_kvm_vm(0) == 0 || keel_fd_is_kvm_vm(0) == -ENOENT,
	   "stdin is no VM");
	ok(keel_fd_is_kvm_vm(-1) == -ENOENT, "no descriptor: -ENOENT");
}

/* In a child that became nobody: keel_vm_fd_of_pid(@pid) in the exit code. */
static int as_nobody(pid_t pid)
{
	pid_t child = fork();
	int status;

	if (child == 0) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(100);
		_exit(-keel_vm_fd_of_pid(pid, -1, NULL));
	}
	if (child < 0 || waitpid(child, &status, 0) != child ||
	    !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void test_perm(void)
{
	struct keel_vmm v = { .pid = 1, .comm = "init", .fd = -1 };
	int rc;

	ok(strstr(why(-EPERM, &v), "may not ptrace process 1 (init)") &&
	   !strcmp(why(-EACCES, &v), why(-EPERM, &v)),
	   "EPERM and EACCES: %s", msg);
	if (geteuid()) {
		rc = -keel_vm_fd_of_pid(1, -1, NULL);
		ok(rc == EACCES || rc == EPERM, "not root: init is not ours (%d)",
		   rc);
		return;
	}
	rc = as_nobody(getpid());
	ok(rc == EACCES || rc == EPERM, "nobody may not ptrace root's (%s)",
	   rc > 0 && rc < 100 ? strerror(rc) : "?");
}

/* ---- with /dev/kvm: children holding VMs ---- */

struct holder {
	pid_t pid;
	int fds[2];		/* its VM descriptors */
	int release;		/* closing it ends the child */
};

static int create_vm(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	if (kvm < 0)
		return -1;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	close(kvm);
	return vm;
}

/* A child with @n VMs, until h->release is closed; -1 if it has none. */
static int hold_vms(struct holder *h, int n)
{
	int ready[2], done[2], i;

	if (pipe(ready) || pipe(done))
		return -1;
	h->pid = fork();
	if (h->pid == 0) {
		close(ready[0]);
		close(done[1]);
		for (i = 0; i < n; i++)
			h->fds[i] = create_vm();
		if (write(ready[1], h->fds, sizeof(h->fds)) < 0)
			_exit(1);
		/* Until the parent closes its end (or dies). */
		if (read(done[0], &i, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	h->release = done[1];
	memset(h->fds, -1, sizeof(h->fds));
	if (read(ready[0], h->fds, sizeof(h->fds)) != sizeof(h->fds))
		h->fds[0] = -1;
	close(ready[0]);
	for (i = 0; i < n; i++)
		if (h->fds[i] < 0)
			return -1;
	return 0;
}

static void release(struct holder *h)
{
	if (h->pid <= 0)
		return;
	close(h->release);
	waitpid(h->pid, NULL, 0);
	h->pid = 0;
}

/* keelctl ARGS...: its exit code, stderr in @err. */
static int keelctl(char *err, size_t len, const char *const *args)
{
	const char *path = getenv("KEELCTL");
	const char *argv[16] = { "keelctl" };
	int pipefd[2], status, i;
	ssize_t n, off = 0;
	pid_t pid;

	if (!path || pipe(pipefd))
		return -1;
	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], err + off, len - 1 - off)) > 0)
		off += n;
	/* One line in the TAP output. */
	while (off > 0 && err[off - 1] == '\n')
		off--;
	err[off] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void test_keelctl(const struct holder *one, const struct holder *two)
{
	char pid1[16], pid2[16], fd[16], err[1024];
	int rc;

	if (!getenv("KEELCTL")) {
		printf("# KEELCTL not set: keelctl vdev add not run\n");
		return;
	}
	snprintf(pid1, sizeof(pid1), "%d", one->pid);
	snprintf(pid2, sizeof(pid2), "%d", two->pid);
	rc = keelctl(err, sizeof(err), (const char *[]){ "vdev", "add",
		"--pid", pid2, "--port", "0x2f8", "--irq", "3", NULL });
	ok(rc == 1 && strstr(err, "holds 2 KVM VMs") &&
	   strstr(err, "--vm-fd"), "keelctl: two VMs, none picked: %d %s",
	   rc, err);
	rc = keelctl(err, sizeof(err), (const char *[]){ "vdev", "add",
		"--pid", pid2, "--vm-fd", "0", "--port", "0x2f8", "--irq", "3",
		NULL });
	ok(rc == 1 && strstr(err, "descriptor 0 of process"),
	   "keelctl: --vm-fd 0 is none of them: %d %s", rc, err);
	if (access("/dev/keel-vdev", F_OK) == 0) {
		printf("# /dev/keel-vdev exists: not-loaded exit code not checked\n");
		return;
	}
	rc = keelctl(err, sizeof(err), (const char *[]){ "vdev", "add",
		"--pid", pid1, "--port", "0x2f8", "--irq", "3", NULL });
	ok(rc == 3 && !strcmp(err, "keelctl: vdev add: keel_vdev.ko is not loaded (no /dev/keel-vdev): load it with modprobe keel_vdev"),
	   "keelctl: the VM taken, no keel_vdev.ko: %d %s", rc, err);
	snprintf(fd, sizeof(fd), "%d", two->fds[1]);
	rc = keelctl(err, sizeof(err), (const char *[]){ "vdev", "add",
		"--pid", pid2, "--vm-fd", fd, "--mmio", "0xfe000000", "--irq",
		"4", "--level", NULL });
	ok(rc == 3, "keelctl: --vm-fd %s picks the second VM: %d %s", fd, rc,
	   err);
}

static void test_vms(void)
{
	struct holder one = { 0 }, two = { 0 };
	struct keel_vmm v;
	int fd, ret;

	fd = create_vm();
	if (fd < 0) {
		printf("# no VM from /dev/kvm here (%s): VMM cases skipped\n",
		       strerror(errno));
		return;
	}
	ok(keel_fd_is_kvm_vm(fd) == 1, "a VM of our own is one");
	close(fd);
	if (!ok(hold_vms(&one, 1) == 0 && hold_vms(&two, 2) == 0,
		"children with one and two VMs"))
		goto out;

	fd = keel_vm_fd_of_pid(one.pid, -1, &v);
	ok(fd >= 0 && keel_fd_is_kvm_vm(fd) == 1 && v.nvms == 1 &&
	   v.fd == one.fds[0] && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	   "one VM: taken (its descriptor %d, ours %d, close-on-exec)", v.fd,
	   fd);
	if (fd >= 0)
		close(fd);

	ret = keel_vm_fd_of_pid(two.pid, -1, &v);
	snprintf(msg, sizeof(msg), "holds 2 KVM VMs (descriptors %d, %d)",
		 two.fds[0], two.fds[1]);
	ok(ret == -ENOTUNIQ && v.nvms == 2 && v.vm_fds[0] == two.fds[0] &&
	   v.vm_fds[1] == two.fds[1] && v.fd == -1,
	   "two VMs: which one? (%d)", ret);
	ok(strstr(why(ret, &v), "holds 2 KVM VMs"), "%s", msg);
	fd = keel_vm_fd_of_pid(two.pid, two.fds[1], &v);
	ok(fd >= 0 && v.fd == two.fds[1] && keel_fd_is_kvm_vm(fd) == 1,
	   "two VMs: the second picked");
	if (fd >= 0)
		close(fd);
	ret = keel_vm_fd_of_pid(two.pid, 0, &v);
	ok(ret == -ENOENT && strstr(why(ret, &v), "descriptor 0 of process"),
	   "two VMs: descriptor 0 is none of them: %s", msg);
	ret = keel_vm_fd_of_pid(two.pid, 4000, &v);
	ok(ret == -ENOENT, "two VMs: descriptor 4000 is not open (%d)", ret);

	if (!geteuid()) {
		ret = as_nobody(one.pid);
		ok(ret == EACCES || ret == EPERM,
		   "nobody may not take root's VM (%s)",
		   ret > 0 && ret < 100 ? strerror(ret) : "?");
	}
	test_keelctl(&one, &two);
out:
	/* The second child has the first's pipe too: it goes first. */
	release(&two);
	release(&one);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_scan();
	test_not_vmm();
	test_perm();
	test_vms();
	return tap_done();
}
