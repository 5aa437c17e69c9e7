// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's in-kernel UART: a long-mode guest drives a 16550A at COM1
 * (0x3f8) as a polling driver would, while keel_vdev.ko handles every
 * access to it in the host kernel. The VMM only reads what the guest sent
 * from the device file, shows "keelctl vdev list" while the device exists,
 * and counts the UART exits that reached it (none).
 *
 * usage: keel_demo_uart [label]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/keel_vdev.h>
#include <linux/serial_reg.h>

#include "keel_guest.h"

#define COM1		0x3f8
#define UART_LEN	8

static const char *const guest_lines[] = {
	"hello from a long-mode KVM guest, through a 16550A UART",
	"every access to ports 0x3f8-0x3ff is handled in the host kernel",
	"the VMM only reads these bytes from /dev/keel-vdev",
	"bye",
};

static void uart_putc(char c)
{
	while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE))
		;
	outb(COM1 + UART_TX, c);
}

/* Guest: set the UART up like a driver (115200 8N1, FIFOs), print. */
static void guest_main(void)
{
	uint64_t sent = 0;
	unsigned int i;
	const char *s;

	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, UART_LCR_DLAB);
	outb(COM1 + UART_DLL, 1);
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, UART_LCR_WLEN8);
	outb(COM1 + UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR |
			      UART_FCR_CLEAR_XMIT);
	outb(COM1 + UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
	for (i = 0; i < sizeof(guest_lines) / sizeof(guest_lines[0]); i++) {
		for (s = guest_lines[i]; *s; s++, sent++)
			uart_putc(*s);
		uart_putc('\n');
		sent++;
	}
	GUEST_SYNC(sent);
	GUEST_DONE();
}

static int uart_create(int vm_fd, const char *label, uint32_t *id)
{
	struct keel_vdev_setup s = {
		.size = sizeof(s),
		.vm_fd = vm_fd,
		.model = KEEL_VDEV_MODEL_UART16550A,
		.bus = KEEL_VDEV_BUS_PIO,
		.base = COM1,
		.len = UART_LEN,
	};
	int fd;

	snprintf(s.label, sizeof(s.label), "%s", label);
	fd = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("keel_demo_uart: " KEEL_VDEV_DEVICE);
		return -1;
	}
	if (ioctl(fd, KEEL_VDEV_IOC_SETUP, &s) ||
	    ioctl(fd, KEEL_VDEV_IOC_START)) {
		perror("keel_demo_uart: setup");
		close(fd);
		return -1;
	}
	*id = s.id;
	return fd;
}

/* Print what the guest sent, a line at a time; returns the bytes read. */
static size_t print_output(int fd)
{
	char buf[4096], *line, *nl;
	size_t got = 0;
	ssize_t n;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (got < sizeof(buf) - 1 &&
	       (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	buf[got] = '\0';
	for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		printf("uart: %s\n", line);
	}
	if (*line)
		printf("uart: %s\n", line);
	return got;
}

int main(int argc, char **argv)
{
	const char *label = argc > 1 ? argv[1] : "ttyS0";
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	struct ucall uc;
	uint64_t outs, ins, sent;
	char cmd[64];
	size_t got;
	uint32_t id;
	int fd;

	vm = vm_create(0, 0);
	if (!vm)
		return 1;
	vcpu = vm_vcpu_add(vm, guest_main);
	if (!vcpu)
		return 1;
	fd = uart_create(vm->fd, label, &id);
	if (fd < 0)
		return 1;
	printf("demo uart: pid %d, UART16550A at 0x%x as Keel object %u (\"%s\")\n",
	       getpid(), COM1, id, label);

	if (guest_run(vcpu, &uc) != UCALL_SYNC) {
		fprintf(stderr, "keel_demo_uart: %s\n", ucall_str(vcpu, &uc));
		return 1;
	}
	sent = uc.args[0];
	got = print_output(fd);

	printf("\n$ keelctl vdev list   (while the device exists)\n");
	fflush(stdout);
	if (system("keelctl vdev list"))
		fprintf(stderr, "keel_demo_uart: keelctl vdev list failed\n");
	snprintf(cmd, sizeof(cmd), "keelctl vdev show %u", id);
	printf("\n$ %s\n", cmd);
	fflush(stdout);
	if (system(cmd))
		fprintf(stderr, "keel_demo_uart: %s failed\n", cmd);

	outs = vcpu_exit_count_range(vcpu, KEEL_EXIT_IO_OUT, COM1, UART_LEN);
	ins = vcpu_exit_count_range(vcpu, KEEL_EXIT_IO_IN, COM1, UART_LEN);
	printf("\ndemo uart: guest sent %llu bytes, the VMM read %zu; "
	       "UART exits to the VMM: %llu out, %llu in\n",
	       (unsigned long long)sent, got,
	       (unsigned long long)outs, (unsigned long long)ins);

	if (guest_run(vcpu, &uc) != UCALL_DONE) {
		fprintf(stderr, "keel_demo_uart: %s\n", ucall_str(vcpu, &uc));
		return 1;
	}
	close(fd);
	vm_free(vm);
	return outs || ins || got != sent;
}
