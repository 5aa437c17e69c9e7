// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl's failures without Keel: keelctl_exit_code(), the one mapping
 * from a failure to an exit code (0 to 5), and the one-line messages of
 * keelctl_fail(), keelctl_open_dev(), keelctl_vmm_fail() and
 * keelctl_read_json(), captured from stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <unistd.h>
#include <sys/wait.h>

#include <json-c/json.h>

#include "../keelctl/keelctl.h"
#include "tap.h"

static char tmpdir[] = "/tmp/keelctl-exit-XXXXXX";
static char errbuf[1024], errline[1024];
static int saved_stderr = -1, err_pipe = -1;

/* Send stderr to a pipe until captured() gives back what was written. */
static void capture(void)
{
	int p[2];

	fflush(stderr);
	if (pipe(p))
		return;
	saved_stderr = dup(2);
	dup2(p[1], 2);
	close(p[1]);
	err_pipe = p[0];
}

static const char *captured(void)
{
	size_t len = 0;
	ssize_t n;

	fflush(stderr);
	dup2(saved_stderr, 2);		/* the pipe's last writer goes */
	close(saved_stderr);
	while (len < sizeof(errbuf) - 1 &&
	       (n = read(err_pipe, errbuf + len, sizeof(errbuf) - 1 - len)) > 0)
		len += (size_t)n;
	errbuf[len] = '\0';
	close(err_pipe);
	/* For the test's own line: without the newline. */
	snprintf(errline, sizeof(errline), "%.*s", (int)strcspn(errbuf, "\n"),
		 errbuf);
	return errbuf;
}

static void test_mapping(void)
{
	static const struct {
		enum keel_err_kind kind;
		int errnum, want;
		const char *what;
	} cases[] = {
		{ KEEL_ERR_NONE, 0, KEELCTL_EXIT_OK, "success" },
		{ KEEL_ERR_NOT_LOADED, ENOENT, KEELCTL_EXIT_NOT_LOADED,
		  "family keel missing" },
		{ KEEL_ERR_PERM, EPERM, KEELCTL_EXIT_PERM, "EPERM answered" },
		{ KEEL_ERR_PERM, EACCES, KEELCTL_EXIT_PERM, "EACCES answered" },
		{ KEEL_ERR_SYSTEM, EACCES, KEELCTL_EXIT_PERM,
		  "EACCES from a system call" },
		{ KEEL_ERR_KERNEL, ENOENT, KEELCTL_EXIT_NOT_FOUND,
		  "ENOENT answered: not found" },
		{ KEEL_ERR_SYSTEM, ENOENT, KEELCTL_EXIT_FAIL,
		  "ENOENT from a system call: its failure" },
		{ KEEL_ERR_PROTO, ENOENT, KEELCTL_EXIT_FAIL,
		  "ENOENT of a malformed reply" },
		{ KEEL_ERR_KERNEL, ESRCH, KEELCTL_EXIT_FAIL,
		  "ESRCH answered (keeld: no host left)" },
		{ KEEL_ERR_KERNEL, ENOSPC, KEELCTL_EXIT_FAIL,
		  "ENOSPC answered (no room)" },
		{ KEEL_ERR_KERNEL, EEXIST, KEELCTL_EXIT_FAIL,
		  "EEXIST answered" },
		{ KEEL_ERR_KERNEL, EBUSY, KEELCTL_EXIT_FAIL, "EBUSY answered" },
		{ KEEL_ERR_SYSTEM, ECONNRESET, KEELCTL_EXIT_FAIL,
		  "a connection reset" },
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = keelctl_exit_code(cases[i].kind, cases[i].errnum);
		ok(rc == cases[i].want, "%s: exit %d (got %d)", cases[i].what,
		   cases[i].want, rc);
	}
	ok(KEELCTL_EXIT_OK == 0 && KEELCTL_EXIT_FAIL == 1 &&
	   KEELCTL_EXIT_USAGE == 2 && KEELCTL_EXIT_NOT_LOADED == 3 &&
	   KEELCTL_EXIT_PERM == 4 && KEELCTL_EXIT_NOT_FOUND == 5,
	   "the exit codes keep their numbers 0 to 5");
}

static void test_fail(void)
{
	static const struct {
		enum keel_err_kind kind;
		int errnum, rc;
		const char *op, *msg, *want, *what;
	} cases[] = {
		{ KEEL_ERR_KERNEL, ENOENT, KEELCTL_EXIT_NOT_FOUND, "free",
		  "no allocation 7", "keelctl: free: no allocation 7\n",
		  "keeld's ENOENT: exit 5, its message alone" },
		{ KEEL_ERR_KERNEL, ESRCH, KEELCTL_EXIT_FAIL, "alloc",
		  "required feature acc:fpga (request) left no host",
		  "keelctl: alloc: required feature acc:fpga (request) left no host\n",
		  "a refusal: exit 1, no errno text before the reason" },
		{ KEEL_ERR_PERM, EPERM, KEELCTL_EXIT_PERM, "state stop", "",
		  "keelctl: state stop: permission denied: this needs root (CAP_SYS_ADMIN) or, for an object, the user that created it (see keel(7))\n",
		  "EPERM without a message: exit 4, one line saying who may" },
		{ KEEL_ERR_NOT_LOADED, ENOENT, KEELCTL_EXIT_NOT_LOADED, "host", "",
		  "keelctl: keel modules are not loaded (keel.ko): load them with modprobe keel\n",
		  "not loaded: exit 3, what to load" },
	};
	struct keel_error err;
	const char *out;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		err.kind = cases[i].kind;
		err.errnum = cases[i].errnum;
		snprintf(err.msg, sizeof(err.msg), "%s", cases[i].msg);
		capture();
		rc = keelctl_fail(cases[i].op, &err);
		out = captured();
		ok(rc == cases[i].rc && !strcmp(out, cases[i].want), "%s: %s",
		   cases[i].what, errline);
	}
}

static void test_open_dev(void)
{
	char path[64];
	const char *out;
	int rc, fd;

	snprintf(path, sizeof(path), "%s/keel-nodev", tmpdir);
	capture();
	rc = keelctl_open_dev("vdev add", path, "keel_vdev");
	out = captured();
	ok(rc == -KEELCTL_EXIT_NOT_LOADED && strstr(out, "keel_vdev.ko is not loaded") &&
	   strstr(out, "modprobe keel_vdev"),
	   "a missing device file: exit 3, the module to load: %s", errline);

	snprintf(path, sizeof(path), "%s/keel-dev", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0);
	close(fd);
	if (geteuid() == 0) {
		/* Root opens any file: as nobody in a child. */
		pid_t pid = fork();
		int status = 0;

		if (!pid) {
			if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
			    setresuid(65534, 65534, 65534))
				_exit(2);
			capture();
			rc = keelctl_open_dev("vdev add", path, "keel_vdev");
			out = captured();
			_exit(rc == -KEELCTL_EXIT_PERM &&
			      strstr(out, "root and group kvm") ? 0 : 1);
		}
		waitpid(pid, &status, 0);
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "as nobody, a device file not open to the caller: exit 4, who may (%d)",
		   status);
	} else {
		capture();
		rc = keelctl_open_dev("vdev add", path, "keel_vdev");
		out = captured();
		ok(rc == -KEELCTL_EXIT_PERM && strstr(out, "root and group kvm"),
		   "a device file not open to the caller: exit 4, who may: %s",
		   errline);
	}
	unlink(path);
}

static void test_vmm_fail(void)
{
	static const struct {
		int pid, err, rc;
		size_t nvms;
		bool vm_fd_opt;
		const char *op, *has, *lacks, *what;
	} cases[] = {
		{ 2147483647, -ESRCH, KEELCTL_EXIT_NOT_FOUND, 0, true, "vdev add",
		  "keelctl: vdev add: no process 2147483647\n", NULL,
		  "no such process: exit 5" },
		{ 1, -EPERM, KEELCTL_EXIT_PERM, 0, false, "mirror add",
		  "may not ptrace process 1", NULL, "may not ptrace: exit 4" },
		{ 1, -ENOTUNIQ, KEELCTL_EXIT_FAIL, 2, true, "vdev add",
		  ": pick one with --vm-fd FD\n", NULL,
		  "several VMs: exit 1, with the option to pick one" },
		{ 1, -ENOTUNIQ, KEELCTL_EXIT_FAIL, 2, false, "mirror add",
		  "holds 2 KVM VMs", "--vm-fd", "several VMs, no --vm-fd to offer" },
		{ 1, -ENOENT, KEELCTL_EXIT_FAIL, 2, true, "vdev add",
		  "is not a KVM VM", NULL,
		  "a --vm-fd that is no VM is refused (exit 1)" },
	};
	struct keel_vmm vmm;
	const char *out;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&vmm, 0, sizeof(vmm));
		vmm.pid = cases[i].pid;
		vmm.nvms = cases[i].nvms;
		capture();
		rc = keelctl_vmm_fail(cases[i].op, cases[i].err, &vmm,
				      cases[i].vm_fd_opt);
		out = captured();
		ok(rc == cases[i].rc && strstr(out, cases[i].has) &&
		   (!cases[i].lacks || !strstr(out, cases[i].lacks)) &&
		   !strchr(out, '\n')[1], "%s: %s", cases[i].what, errline);
	}
}

static void test_read_json(void)
{
	struct json_object *o;
	char path[64];
	const char *out;
	FILE *f;

	snprintf(path, sizeof(path), "%s/none.json", tmpdir);
	capture();
	o = keelctl_read_json("cloud host add", path);
	out = captured();
	ok(!o && strstr(out, "keelctl: cloud host add: cannot open ") &&
	   strstr(out, "none.json: No such file or directory\n") &&
	   !strstr(out, "json_object_from"),
	   "a missing file, once, with the open's reason: %s", errline);

	snprintf(path, sizeof(path), "%s/bad.json", tmpdir);
	f = fopen(path, "w");
	fputs("{\"id\": 1,", f);
	fclose(f);
	capture();
	o = keelctl_read_json("alloc", path);
	out = captured();
	ok(!o && strstr(out, "keelctl: alloc: ") &&
	   strstr(out, "bad.json is not a JSON document: "),
	   "broken JSON: %s", errline);

	f = fopen(path, "w");
	fclose(f);
	capture();
	o = keelctl_read_json("alloc", path);
	out = captured();
	ok(!o && strstr(out, "is not a JSON document: it is empty"),
	   "an empty file: %s", errline);

	f = fopen(path, "w");
	fputs("{\"id\": 1}\n", f);
	fclose(f);
	o = keelctl_read_json("alloc", path);
	ok(o && json_object_is_type(o, json_type_object), "a good file");
	json_object_put(o);
	unlink(path);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_mapping();
	test_fail();
	test_open_dev();
	test_vmm_fail();
	test_read_json();
	rmdir(tmpdir);
	return tap_done();
}
