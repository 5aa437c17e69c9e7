// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM VM of a running VMM that knows nothing of Keel: finding its VM
 * descriptors in /proc/PID/fd (links that read "anon_inode:kvm-vm") and
 * taking one with pidfd_getfd(2), which needs the right to ptrace the
 * process; and the words for each way that fails.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/pidfd.h>

#include "internal.h"

#define KVM_VM_LINK	"anon_inode:kvm-vm"
/* Tries when the VMM closes or reuses a descriptor while it is taken. */
#define TAKE_TRIES	3

/* Does link @name (relative to directory @dirfd) read KVM_VM_LINK? */
static int link_is_vm(int dirfd, const char *name)
{
	char buf[sizeof(KVM_VM_LINK) + 1];
	ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf));

	if (n < 0)
		return -errno;
	return n == (ssize_t)strlen(KVM_VM_LINK) &&
	       !memcmp(buf, KVM_VM_LINK, n);
}

int keel_fd_is_kvm_vm(int fd)
{
	char path[40];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return link_is_vm(AT_FDCWD, path);
}

/* A descriptor number: decimal digits only, as /proc/PID/fd names them. */
static int fd_name(const char *name)
{
	char *end;
	long v;

	if (*name < '0' || *name > '9')
		return -1;
	errno = 0;
	v = strtol(name, &end, 10);
	if (errno || *end || v > 0x7fffffff)
		return -1;
	return (int)v;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int keel_vm_fds_scan(int dirfd, int *fds, size_t max, size_t *n)
{
	int *all = NULL, *grown, fd, dup_fd;
	size_t count = 0, cap = 0;
	struct dirent *d;
	DIR *dir;

	*n = 0;
	dup_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0)
		return -errno;
	dir = fdopendir(dup_fd);
	if (!dir) {
		close(dup_fd);
		return -errno;
	}
	rewinddir(dir);
	while ((d = readdir(dir))) {
		fd = fd_name(d->d_name);
		/* Gone meanwhile, or not a VM: not one of its VMs now. */
		if (fd < 0 || link_is_vm(dirfd, d->d_name) != 1)
			continue;
		if (count == cap) {
			cap = cap ? 2 * cap : 8;
			grown = realloc(all, cap * sizeof(*all));
			if (!grown) {
				free(all);
				closedir(dir);
				return -ENOMEM;
			}
			all = grown;
		}
		all[count++] = fd;
	}
	closedir(dir);
	if (count)
		qsort(all, count, sizeof(*all), cmp_int);
	memcpy(fds, all, (count < max ? count : max) * sizeof(*fds));
	free(all);
	*n = count;
	return 0;
}

/* The first line of /proc/@pid/@file without its newline, or "". */
static void read_proc_line(int pid, const char *file, char *buf, size_t len)
{
	char path[48];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/* The process thread @pid belongs to (/proc/PID/status "Tgid:"), or 0. */
static int thread_group_of(int pid)
{
	char path[48], line[128];
	int tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	}
	fclose(f);
	return tgid;
}

/* The VM descriptors of @v->pid now; -ESRCH when its /proc entry is gone. */
static int scan_pid(struct keel_vmm *v)
{
	char path[48];
	int dirfd, ret;

	snprintf(path, sizeof(path), "/proc/%d/fd", v->pid);
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	ret = keel_vm_fds_scan(dirfd, v->vm_fds, KEEL_VMM_VMS_MAX, &v->nvms);
	close(dirfd);
	return ret;
}

/* Take descriptor @fd of the process; -EAGAIN when it is no VM now. */
static int take(int pidfd, int fd, bool asked)
{
	int got = pidfd_getfd(pidfd, fd, 0), ret;

	if (got < 0) {
		/* Closed since the scan; a number that was never a VM: none. */
		if (errno == EBADF)
			return asked ? -ENOENT : -EAGAIN;
		return -errno;
	}
	ret = keel_fd_is_kvm_vm(got);
	if (ret == 1)
		return got;
	close(got);
	if (ret < 0)
		return ret;
	return asked ? -ENOENT : -EAGAIN;
}

/* One try: scan, choose, take. */
static int take_vm(int pidfd, int which, struct keel_vmm *v)
{
	int ret = scan_pid(v);

	if (ret)
		return ret;
	/* Still alive, so the /proc entry read was its own, not a new pid's. */
	if (pidfd_send_signal(pidfd, 0, NULL, 0) && errno == ESRCH)
		return -ESRCH;
	if (!v->nvms)
		return -ENODEV;
	if (which < 0 && v->nvms > 1)
		return -ENOTUNIQ;
	ret = take(pidfd, which < 0 ? v->vm_fds[0] : which, which >= 0);
	if (ret >= 0)
		v->fd = which < 0 ? v->vm_fds[0] : which;
	return ret;
}

int keel_vm_fd_of_pid(int pid, int which, struct keel_vmm *vmm)
{
	struct keel_vmm tmp, *v = vmm ? vmm : &tmp;
	int pidfd, ret = -EAGAIN, i;

	memset(v, 0, sizeof(*v));
	v->pid = pid;
	v->which = which;
	v->fd = -1;
	if (pid <= 0)
		return -EINVAL;
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		ret = -errno;
		/* A thread's id: EINVAL before Linux 6.9, ENOENT since. */
		if (ret == -EINVAL || ret == -ENOENT) {
			v->tgid = thread_group_of(pid);
			ret = v->tgid > 0 && v->tgid != pid ? -EINVAL : -ESRCH;
		}
		return ret;
	}
	read_proc_line(pid, "comm", v->comm, sizeof(v->comm));
	for (i = 0; i < TAKE_TRIES && ret == -EAGAIN; i++)
		ret = take_vm(pidfd, which, v);
	close(pidfd);
	return ret;
}

/* "12, 15" (the first few of them). */
static void fd_list(const struct keel_vmm *v, char *buf, size_t len)
{
	size_t i, off = 0, n = v->nvms < KEEL_VMM_VMS_MAX ? v->nvms :
			       KEEL_VMM_VMS_MAX;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%d", i ? ", " : "",
				v->vm_fds[i]);
	if (n < v->nvms && off < len)
		snprintf(buf + off, len - off, ", ...");
}

const char *keel_vmm_strerror(int err, const struct keel_vmm *v, char *buf,
			      size_t len)
{
	char who[64], fds[128];

	snprintf(who, sizeof(who), "process %d%s%s%s", v->pid,
		 v->comm[0] ? " (" : "", v->comm, v->comm[0] ? ")" : "");
	fd_list(v, fds, sizeof(fds));
	switch (-err) {
	case EINVAL:
		if (v->tgid > 0 && v->tgid != v->pid)
			snprintf(buf, len, "%d is a thread of process %d, not a process",
				 v->pid, v->tgid);
		else
			snprintf(buf, len, "%d is not a process id", v->pid);
		break;
	case ESRCH:
		snprintf(buf, len, "no process %d", v->pid);
		break;
	case ENODEV:
		snprintf(buf, len, "%s is not a KVM VMM: it holds no VM (no descriptor reads " KVM_VM_LINK ")",
			 who);
		break;
	case ENOTUNIQ:
		snprintf(buf, len, "%s holds %zu KVM VMs (descriptors %s)", who,
			 v->nvms, fds);
		break;
	case ENOENT:
		snprintf(buf, len, "descriptor %d of %s is not a KVM VM (its VMs: descriptor%s %s)",
			 v->which, who, v->nvms == 1 ? "" : "s", fds);
		break;
	case EPERM:
	case EACCES:
		snprintf(buf, len, "may not ptrace %s: taking its VM needs the right to ptrace it (its own user, or CAP_SYS_PTRACE; Yama's ptrace_scope may restrict it further)",
			 who);
		break;
	case EAGAIN:
		snprintf(buf, len, "the VM descriptors of %s kept changing", who);
		break;
	default:
		snprintf(buf, len, "%s: %s", who, strerror(-err));
		break;
	}
	return buf;
}
