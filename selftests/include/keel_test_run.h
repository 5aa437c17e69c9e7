/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running a program from a test: @in on its stdin, its stdout and stderr
 * collected, optionally as the unprivileged test user.
 */
#ifndef KEEL_TEST_RUN_H
#define KEEL_TEST_RUN_H

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "keel_test_user.h"

/*
 * Prints "$ @prog ARGS..." for a demo, as a shell would take it: an
 * argument with a space or a shell character in single quotes.
 */
static inline void keel_test_print_cmd(const char *prog,
				       const char *const *args)
{
	size_t i;

	printf("$ %s", prog);
	for (i = 0; args[i]; i++)
		printf(strpbrk(args[i], " \t$*?|&;<>()'\"") ? " '%s'" : " %s",
		       args[i]);
	printf("\n");
	fflush(stdout);
}

/*
 * Runs @argv (NULL-terminated; argv[0] a path) with @in (if not NULL) on
 * its stdin, its stdout and stderr into @out (NUL-terminated; what does
 * not fit is read and dropped), as the test user with @as_user. Its exit
 * status, or -1.
 */
static inline int keel_test_run(const char *const *argv, const char *in,
				char *out, size_t len, bool as_user)
{
	int to[2], from[2], status;
	char drain[512];
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(to))
		return -1;
	if (pipe(from)) {
		close(to[0]);
		close(to[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		dup2(from[1], 2);
		close(to[1]);
		close(from[0]);
		if (as_user && keel_test_become_user())
			_exit(126);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	if (in && write(to[1], in, strlen(in)) < 0)
		in = NULL;
	close(to[1]);
	while (n + 1 < len && (r = read(from[0], out + n, len - 1 - n)) > 0)
		n += r;
	out[n] = '\0';
	/* the rest unread, so that a long output does not kill it (SIGPIPE) */
	while (read(from[0], drain, sizeof(drain)) > 0)
		;
	close(from[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * A helper program into @buf: $@var if set, else @name beside this
 * program, else (with @dir not NULL) @dir/@name, as in the test VM's
 * selftests build, where a benchmark the harness runs from a directory
 * of its own finds it. 0, or -ENOENT when that is not executable.
 */
static inline int keel_test_find_prog(char *buf, size_t len, const char *var,
				      const char *name, const char *dir)
{
	const char *env = getenv(var);
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return access(buf, X_OK) ? -ENOENT : 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -errno;
	self[n] = 0;
	snprintf(buf, len, "%s/%s", dirname(self), name);
	if (!access(buf, X_OK) || !dir)
		return access(buf, X_OK) ? -ENOENT : 0;
	snprintf(buf, len, "%s/%s", dir, name);
	return access(buf, X_OK) ? -ENOENT : 0;
}

#endif /* KEEL_TEST_RUN_H */
