// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl state save as root in a directory other users can write to:
 * the blob goes to a new file of mode 0600 whatever the umask; an
 * existing file or a symlink at the path is refused with a message and
 * nothing changes (neither the file, nor the symlink, nor its target);
 * with -f the path is replaced by a new 0600 file, and a symlink there
 * is replaced, never followed.
 */
#include "state_test.h"

#include <sys/stat.h>
#include <sys/wait.h>

#ifndef KEELCTL_PATH
#define KEELCTL_PATH	"/keel/bin/keelctl"
#endif

FIXTURE(file) {
	struct keel_vm *vm;
	int fd;
	unsigned int id;
	char dir[64];
	char path[96], target[96], err[96];
};

/* keelctl state save [@opt] ID @file; its exit status, stderr in err. */
static int save(FIXTURE_DATA(file) *self, const char *opt, const char *file)
{
	const char *path = getenv("KEELCTL") ?: KEELCTL_PATH;
	char ids[16];
	int status, fd;
	pid_t pid;

	snprintf(ids, sizeof(ids), "%u", self->id);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		fd = open(self->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		umask(022);
		if (opt)
			execl(path, "keelctl", "state", "save", opt, ids, file,
			      (char *)NULL);
		else
			execl(path, "keelctl", "state", "save", ids, file,
			      (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			perror(path);
		fchmod(fd, mode);
		close(fd);
	}
}

/* Whether @path holds exactly @text. */
static bool holds(const char *path, const char *text)
{
	char buf[256];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)strlen(text) && !memcmp(buf, text, n);
}

static bool logged(FIXTURE_DATA(file) *self, const char *what)
{
	char buf[512];
	ssize_t n;
	int fd = open(self->err, O_RDONLY);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, what);
}

FIXTURE_SETUP(file)
{
	struct keel_vdev_setup s;

	self->fd = -1;
	self->vm = NULL;
	VDEV_OPEN_OR_SKIP(self->fd);
	close(self->fd);
	if (access(getenv("KEELCTL") ?: KEELCTL_PATH, X_OK))
		SKIP(return, "no keelctl at %s", KEELCTL_PATH);
	VM_CREATE_OR_SKIP(self->vm, 0, 0);
	self->fd = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	vdev_setup_init(&s, self->vm->fd, COM1);
	ASSERT_EQ(0, vdev_ioctl(self->fd, KEEL_VDEV_IOC_SETUP, &s));
	self->id = s.id;	/* stopped until its first resume */
	strcpy(self->dir, "/tmp/state-file-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, chmod(self->dir, 01777));	/* like /tmp */
	snprintf(self->path, sizeof(self->path), "%s/uart.blob", self->dir);
	snprintf(self->target, sizeof(self->target), "%s/target", self->dir);
	snprintf(self->err, sizeof(self->err), "%s/err", self->dir);
}

FIXTURE_TEARDOWN(file)
{
	char cmd[128];

	if (self->fd >= 0)
		close(self->fd);
	if (self->vm)
		vm_free(self->vm);
	if (self->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
		if (system(cmd))
			TH_LOG("could not remove %s", self->dir);
	}
}

TEST_F(file, new_file_is_0600)
{
	struct stat st;

	ASSERT_EQ(0, save(self, NULL, self->path));
	ASSERT_EQ(0, lstat(self->path, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_LT(0, st.st_size);
}

TEST_F(file, existing_file_refused)
{
	struct stat st;

	put(self->path, "keep me", 0644);
	EXPECT_EQ(1, save(self, NULL, self->path));
	EXPECT_TRUE(logged(self, "exists"));
	EXPECT_TRUE(holds(self->path, "keep me"));
	ASSERT_EQ(0, lstat(self->path, &st));
	EXPECT_EQ(0644, st.st_mode & 07777);
}

TEST_F(file, symlink_refused)
{
	struct stat st;
	char link[96];

	put(self->target, "precious", 0644);
	ASSERT_EQ(0, symlink(self->target, self->path));
	EXPECT_EQ(1, save(self, NULL, self->path));
	EXPECT_TRUE(logged(self, "exists"));
	EXPECT_TRUE(holds(self->target, "precious"));
	ASSERT_EQ(0, stat(self->target, &st));
	EXPECT_EQ(0644, st.st_mode & 07777);
	ASSERT_LT(0, readlink(self->path, link, sizeof(link) - 1));

	/* A dangling symlink: nothing is created where it points. */
	ASSERT_EQ(0, unlink(self->target));
	EXPECT_EQ(1, save(self, NULL, self->path));
	EXPECT_EQ(-1, lstat(self->target, &st));
}

TEST_F(file, force_replaces_with_a_new_0600_file)
{
	struct stat st, old;

	put(self->path, "old blob", 0644);
	ASSERT_EQ(0, lstat(self->path, &old));
	ASSERT_EQ(0, save(self, "-f", self->path));
	ASSERT_EQ(0, lstat(self->path, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_NE(old.st_ino, st.st_ino);	/* a new file, not rewritten */
	EXPECT_FALSE(holds(self->path, "old blob"));
}

TEST_F(file, force_replaces_a_symlink_not_its_target)
{
	struct stat st;

	put(self->target, "precious", 0644);
	ASSERT_EQ(0, symlink(self->target, self->path));
	ASSERT_EQ(0, save(self, "--force", self->path));
	ASSERT_EQ(0, lstat(self->path, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_TRUE(holds(self->target, "precious"));
	ASSERT_EQ(0, stat(self->target, &st));
	EXPECT_EQ(0644, st.st_mode & 07777);
}

TEST_HARNESS_MAIN
