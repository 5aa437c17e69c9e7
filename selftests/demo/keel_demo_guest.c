// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's small KVM guest: a long-mode guest that prints through a
 * console port its VMM emulates in userspace, bound to Keel through
 * /dev/keel so that it is listed as a Keel object, and that keeps running
 * until SIGTERM or SIGINT.
 *
 * usage: keel_demo_guest [label]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/keel.h>

#include "keel_guest.h"

#define DEMO_CONSOLE_PORT	0x3f8

static volatile sig_atomic_t demo_stop;

static void guest_main(void)
{
	static const char hello[] = "hello from a long-mode KVM guest\n";
	uint64_t round;
	unsigned int i;

	for (i = 0; i < sizeof(hello) - 1; i++)
		outb(DEMO_CONSOLE_PORT, hello[i]);
	for (round = 1;; round++)
		GUEST_SYNC(round);
}

struct console {
	char line[128];
	size_t len;
};

static bool console_out(struct keel_vcpu *vcpu, uint16_t port, bool write,
			void *data, unsigned int size, void *opaque)
{
	struct console *con = opaque;
	char c = *(char *)data;

	(void)vcpu;
	(void)port;
	if (!write || size != 1)
		return false;
	if (c == '\n' || con->len == sizeof(con->line) - 1) {
		con->line[con->len] = '\0';
		printf("guest console: %s\n", con->line);
		fflush(stdout);
		con->len = 0;
	} else {
		con->line[con->len++] = c;
	}
	return true;
}

static void on_signal(int sig)
{
	(void)sig;
	demo_stop = 1;
}

int main(int argc, char **argv)
{
	const char *label = argc > 1 ? argv[1] : "demo";
	struct keel_vm_bind bind = { .size = sizeof(bind) };
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	struct console con = { .len = 0 };
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	uint64_t rounds = 0;
	struct ucall uc;
	int keel;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	vm = vm_create(0, 0);
	if (!vm)
		return 1;
	vcpu = vm_vcpu_add(vm, guest_main);
	if (!vcpu ||
	    vm_pio_handler_add(vm, DEMO_CONSOLE_PORT, 1, console_out, &con))
		return 1;

	keel = open("/dev/keel", O_RDWR | O_CLOEXEC);
	if (keel < 0) {
		fprintf(stderr, "keel_demo_guest: /dev/keel: %s\n",
			strerror(errno));
		return 1;
	}
	bind.vm_fd = vm->fd;
	snprintf(bind.label, sizeof(bind.label), "%s", label);
	if (ioctl(keel, KEEL_IOC_VM_BIND, &bind)) {
		fprintf(stderr, "keel_demo_guest: bind: %s\n", strerror(errno));
		return 1;
	}
	printf("demo guest: pid %d, VM bound to Keel as object %u (\"%s\")\n",
	       getpid(), bind.id, label);
	fflush(stdout);

	while (!demo_stop) {
		if (guest_run(vcpu, &uc) != UCALL_SYNC) {
			fprintf(stderr, "keel_demo_guest: %s\n",
				ucall_str(vcpu, &uc));
			return 1;
		}
		rounds = uc.args[0];
		nanosleep(&pause, NULL);
	}

	printf("demo guest: %llu rounds, %llu exits to userspace, stopping\n",
	       (unsigned long long)rounds,
	       (unsigned long long)vcpu->stats.total);
	close(keel);
	vm_free(vm);
	return 0;
}
