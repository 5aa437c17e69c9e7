// SPDX-License-Identifier: GPL-2.0
/*
 * keel_vdev with the 16550A UART under load: a polled guest writer sends
 * 1 MiB through the in-kernel UART while a host thread reads the device fd
 * at the same time. The host stream holds only KEEL_VDEV_STREAM_SIZE
 * (4 KiB), so the guest repeatedly finds the transmitter busy (LSR.THRE
 * clear) and must wait for the host; nothing may be lost or reordered, and
 * not one access to the UART's ports may reach userspace.
 *
 * Each in-kernel access is still a real KVM exit (only not to userspace):
 * under the nested TCG VM of the test harness one costs tens of
 * microseconds. The guest therefore uses the 16-byte FIFO: it enables
 * the FIFOs (FCR), waits for THRE (TX FIFO empty) and then writes up to 16
 * bytes to THR with one "rep outsb", which KVM emulates in the kernel in
 * one exit. In the harness VM on 6.12 the 1 MiB took 66 s with one byte
 * per THRE and 33 s with 16 single outb per THRE, still far beyond the
 * test timeout on the debug kernel.
 *
 * The debug kernel checks the same paths (KASAN, lockdep) with 256 KiB,
 * still 64 times the host stream: there every exit costs several times
 * more, and the 1 MiB took from 187 s to over 300 s in CI; the volume is
 * the stock kernels' to prove.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "keel_test_kernel.h"
#include "vdev_test.h"

FIXTURE(t) {
	int unused;
};

FIXTURE_SETUP(t)
{
}

FIXTURE_TEARDOWN(t)
{
}

#define OTHER_PORT	0x500
#define OTHER_OUTS	5
#define STREAM_BYTES	(1024 * 1024)
#define STREAM_BYTES_DEBUG (256 * 1024)
#define STREAM_SEED	0x4b45454cULL	/* "KEEL" */
#define FIFO_SIZE	16
#define BURST		FIFO_SIZE	/* bytes written per THRE */
#define KEEL_STREAM_SIZE 4096	/* KEEL_VDEV_STREAM_SIZE, the host buffer */

/*
 * The pattern: a 64-bit xorshift generator, one byte per step. Not
 * periodic at any length a lost, repeated or swapped byte could hide in.
 */
static inline uint64_t xorshift64(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static bool user_io(struct keel_vcpu *vcpu, uint16_t port, bool write,
		    void *data, unsigned int size, void *opaque)
{
	(void)vcpu; (void)write; (void)opaque;
	if (!write) {
		memset(data, 0, size);
		if (port == COM1 + UART_LSR)
			*(uint8_t *)data = UART_LSR_THRE | 0x40;
	}
	return true;
}

/*
 * Guest: @n pattern bytes through the UART at @port with FIFOs on: wait
 * for THRE (TX FIFO empty), then up to 16 bytes. The first time it finds
 * the transmitter busy it tells the host how many bytes it had written
 * (the host starts reading only then). At the end it writes OTHER_OUTS
 * times to the unclaimed OTHER_PORT and reports the bytes sent and how
 * many LSR reads found the transmitter busy.
 */
static void guest_stream(uint64_t port, uint64_t seed, uint64_t n,
			 uint64_t burst)
{
	uint64_t x = seed, i = 0, busy = 0, j, chunk;
	uint8_t buf[FIFO_SIZE];

	outb(port + UART_FCR, UART_FCR_ENABLE_FIFO);
	while (i < n) {
		while (!(inb(port + UART_LSR) & UART_LSR_THRE)) {
			if (!busy)
				GUEST_SYNC(0, i);
			busy++;
		}
		chunk = n - i < burst ? n - i : burst;
		for (j = 0; j < chunk; j++) {
			x = xorshift64(x);
			buf[j] = (uint8_t)x;
		}
		/* One exit; KVM repeats the string instruction in the kernel. */
		outsb(port + UART_TX, buf, chunk);
		i += chunk;
	}
	/* The last bytes have left the TX FIFO for the host stream. */
	while (!(inb(port + UART_LSR) & UART_LSR_THRE))
		busy++;
	for (j = 0; j < OTHER_OUTS; j++)
		outb(OTHER_PORT, j);
	GUEST_SYNC(1, i, busy);
	GUEST_DONE();
}

struct reader {
	int fd;
	uint8_t *buf;
	size_t len;
	ssize_t got;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	r->got = vdev_read_all(r->fd, r->buf, r->len);
	return NULL;
}

TEST_F_TIMEOUT(t, stream_concurrent_reader, 300)
{
	struct reader r = {
		.len = keel_test_debug_kernel() ? STREAM_BYTES_DEBUG :
						  STREAM_BYTES,
	};
	struct keel_vcpu *vcpu;
	struct keel_vm *vm;
	struct ucall uc;
	struct timespec t0, t1;
	pthread_t thread;
	uint64_t x = STREAM_SEED;
	size_t i;
	int probe;
	uint8_t b;

	VDEV_OPEN_OR_SKIP(probe);
	close(probe);
	r.buf = malloc(r.len);
	ASSERT_NE(NULL, r.buf);
	VM_CREATE_OR_SKIP(vm, 0, 0);
	ASSERT_EQ(0, vm_pio_handler_add(vm, OTHER_PORT, 1, user_io, NULL));
	/* Should a UART access exit after all, it is counted, not fatal. */
	ASSERT_EQ(0, vm_pio_handler_add(vm, COM1, UART_LEN, user_io, NULL));
	vcpu = vm_vcpu_add(vm, guest_stream);
	ASSERT_NE(NULL, vcpu);
	ASSERT_EQ(0, vcpu_args_set(vcpu, COM1, STREAM_SEED, r.len,
				  BURST));
	r.fd = vdev_uart_create(vm->fd, COM1);
	ASSERT_LE(0, r.fd) TH_LOG("setup: %s", strerror(-r.fd));

	/*
	 * Nobody reads yet: the guest fills the host stream and the TX FIFO
	 * behind it, then finds the transmitter busy.
	 */
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(0, uc.args[0]);
	EXPECT_EQ(KEEL_STREAM_SIZE + BURST, uc.args[1]);

	/* From here on the host reads while the guest writes. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, pthread_create(&thread, NULL, reader_main, &r));
	ASSERT_UCALL(vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	TH_LOG("%zu bytes in %.1f s", r.len, t1.tv_sec - t0.tv_sec +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9);
	ASSERT_EQ(1, uc.args[0]);
	ASSERT_EQ(r.len, uc.args[1]);
	TH_LOG("LSR reads that found the transmitter busy: %llu",
	       (unsigned long long)uc.args[2]);

	ASSERT_EQ(r.len, r.got) TH_LOG("read: %zd", r.got);
	for (i = 0; i < r.len; i++) {
		x = xorshift64(x);
		if (r.buf[i] != (uint8_t)x)
			break;
	}
	ASSERT_EQ(r.len, i)
		TH_LOG("byte %zu: got 0x%02x, want 0x%02x", i,
		       i < r.len ? r.buf[i] : 0, (uint8_t)x);
	/* Nothing more than the pattern. */
	ASSERT_EQ(0, fcntl(r.fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(r.fd, &b, 1));
	EXPECT_EQ(EAGAIN, errno);

	/* Not one UART access reached userspace; the other port's did. */
	EXPECT_NO_UART_EXITS(vcpu, COM1);
	EXPECT_EQ(OTHER_OUTS, vcpu_exit_count(vcpu, KEEL_EXIT_IO_OUT,
					      OTHER_PORT));

	ASSERT_UCALL(vcpu, uc, UCALL_DONE);
	close(r.fd);
	vm_free(vm);
	free(r.buf);
}

TEST_HARNESS_MAIN
