// SPDX-License-Identifier: GPL-2.0
/*
 * What surrounds a console: its terminal in raw mode (every key to the
 * guest, Ctrl-C and Ctrl-Z included) and back, and the signals that end
 * it turned into a readable pipe (the self-pipe way), so that the loop
 * sees them, stops and restores the terminal before keelctl exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "keelctl.h"

static const int stop_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NR_STOP_SIGS	(sizeof(stop_sigs) / sizeof(stop_sigs[0]))

static int stop_pipe[2] = { -1, -1 };
static struct sigaction old_acts[NR_STOP_SIGS], old_pipe_act;

int term_raw(int fd, struct termios *saved)
{
	struct termios raw;

	if (tcgetattr(fd, saved))
		return -errno;
	raw = *saved;
	cfmakeraw(&raw);
	/* Wait for one byte at a time; the loop polls anyway. */
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSAFLUSH, &raw))
		return -errno;
	return 0;
}

void term_restore(int fd, const struct termios *saved)
{
	/* TCSADRAIN: what the guest sent is shown before the shell's prompt. */
	tcsetattr(fd, TCSADRAIN, saved);
}

static void on_stop_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;
	/* A full pipe (signals before the loop read one) says enough. */
	ssize_t n = write(stop_pipe[1], &c, 1);

	(void)n;
	errno = saved;
}

int stop_signals(void)
{
	struct sigaction sa;
	size_t i;

	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking write to standard output ends too. */
	sa.sa_flags = 0;
	for (i = 0; i < NR_STOP_SIGS; i++)
		sigaction(stop_sigs[i], &sa, &old_acts[i]);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe_act);
	return stop_pipe[0];
}

void stop_signals_end(void)
{
	size_t i;

	if (stop_pipe[0] < 0)
		return;
	for (i = 0; i < NR_STOP_SIGS; i++)
		sigaction(stop_sigs[i], &old_acts[i], NULL);
	sigaction(SIGPIPE, &old_pipe_act, NULL);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	stop_pipe[0] = stop_pipe[1] = -1;
}
