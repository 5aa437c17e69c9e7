// SPDX-License-Identifier: GPL-2.0
/*
 * bench_uart: what a Linux guest's serial output costs through Keel's UART
 * attached to an unmodified QEMU, against QEMU's own 16550A, in the same
 * run. The nested guest (role write-ttyS) writes BYTES of a fixed pattern
 * to its ttyS1, COM2 at 0x2f8 on IRQ 3, which is either
 *   - "keel": Keel's 16550A, attached by "keelctl vdev add --pid" to QEMU
 *     started paused, its interrupt bound by Keel; the host side is read
 *     through a descriptor of the attached device (KEEL_IOC_OBJ_OPEN); or
 *   - "qemu": QEMU's isa-serial on a unix socket the host side reads.
 * The guest's 8250 driver is the same both ways: interrupt-driven, up to
 * 16 bytes per transmit interrupt. Every byte that reaches the host is
 * checked against the pattern. For each run it prints the guest's elapsed
 * time (from its first write to the UART having taken the last byte, by
 * the guest's clock), bytes/s, KVM's exits of QEMU's VM while the guest
 * wrote (debugfs: all exits and I/O exits, kernel-handled ones included),
 * for "keel" the exits Keel's device kept in the host kernel, and the
 * guest's count of IRQ 3. Then the medians and the ratio keel / qemu.
 * Runs alternate, so load that changes between runs hits both. Not a test
 * (no TAP): run it with
 *   make bench SUITE=vdev      or
 *   selftests/vm/vmtest.sh MODE=bench BENCH=qemu/bench_uart \
 *           [BENCH_ARGS="-b BYTES -r RUNS"]
 * Under the nested TCG VM of the harness absolute rates mean little; the
 * ratios do.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keel_qemu.h"
#include "keel_test_attach.h"
#include "keel_test_keelctl.h"

#define MAX_RUNS	15
/* A liveness bound for the whole write, not a measurement. */
#define WRITE_MS	900000
/* What the write-ttyS role writes, line after line, cut at BYTES. */
static const char pattern[] =
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n";
#define PATTERN_LEN	(sizeof(pattern) - 1)

enum { UART_KEEL, UART_QEMU, NR_UARTS };
static const char *const uart_name[NR_UARTS] = { "keel", "qemu" };

struct result {
	double secs;		/* by the guest's clock */
	double host_secs;	/* first byte to last, by ours */
	uint64_t exits;		/* KVM: all exits while the guest wrote */
	uint64_t io_exits;	/* KVM: I/O exits while the guest wrote */
	long long kept;		/* Keel: exits its device kept (keel only) */
	long long irq3;		/* the guest's IRQ 3 count at the end */
};

static char out[65536];

static int keelctl(const char *const *args)
{
	return keel_test_keelctl(args, NULL, out, sizeof(out), false);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * KVM's statistic @name of QEMU's VM, summed over its vCPUs: the VM's
 * debugfs directory is "<pid>-<VM fd>". Returns 0 and the value, or -1.
 */
static int kvm_stat(pid_t pid, const char *name, uint64_t *val)
{
	char prefix[32], path[512];
	unsigned long long n;
	struct dirent *d;
	int ret = -1;
	DIR *dir;
	FILE *f;

	snprintf(prefix, sizeof(prefix), "%d-", pid);
	dir = opendir("/sys/kernel/debug/kvm");
	if (!dir)
		return -1;
	while (ret && (d = readdir(dir))) {
		if (strncmp(d->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s/%s",
			 d->d_name, name);
		f = fopen(path, "r");
		if (!f)
			break;
		if (fscanf(f, "%llu", &n) == 1) {
			*val = n;
			ret = 0;
		}
		fclose(f);
	}
	closedir(dir);
	return ret;
}

/*
 * QEMU with the guest's COM2 from @uart, booted to the write-ttyS role's
 * KEEL-GUEST-READY; for "keel" *@id is the attached device. A guest the
 * emulated CPU leaves stuck on the way is started again. Returns the
 * QEMU, or NULL after a message with *@err -EDEADLK when the guest got
 * stuck or panicked every time, else -EIO.
 */
static struct keel_qemu *start(int uart, unsigned long bytes, unsigned int *id,
			       int *err)
{
	char append[128], pid[16], *end;
	struct keel_qemu_opts o = {
		.machine = "pc",
		.append = append,
		.paused = uart == UART_KEEL,
		.com2 = uart == UART_QEMU,
	};
	struct keel_qemu *q = NULL;
	int tries, ret = -EDEADLK;

	snprintf(append, sizeof(append),
		 "keel.role=write-ttyS keel.tty=ttyS1 keel.bytes=%lu keel.go=1",
		 bytes);
	if (uart == UART_QEMU) {
		ret = keel_qemu_boot(&q, &o, "KEEL-GUEST-READY",
				     KEEL_QEMU_BOOT_TIMEOUT_MS);
		goto out;
	}
	for (tries = 0; tries < KEEL_QEMU_BOOT_TRIES && ret == -EDEADLK;
	     tries++) {
		keel_qemu_free(q);
		q = keel_qemu_start(&o);
		if (!q || !keel_qemu_monitor(q, "info status"))
			break;
		snprintf(pid, sizeof(pid), "%d", keel_qemu_pid(q));
		if (keelctl((const char *[]){ "vdev", "add", "--pid", pid,
					      "--port", "0x2f8", "--irq", "3",
					      "--label", "bench", NULL })) {
			fprintf(stderr, "# keelctl vdev add: %s", out);
			break;
		}
		*id = strtoul(out, &end, 10);
		if (!keel_qemu_monitor(q, "cont"))
			break;
		ret = keel_qemu_wait_boot(q, "KEEL-GUEST-READY",
					  KEEL_QEMU_BOOT_TIMEOUT_MS);
	}
out:
	if (q && !ret)
		return q;
	*err = ret == -EDEADLK || (ret == -ESRCH && q && keel_qemu_panicked(q)) ?
	       -EDEADLK : -EIO;
	fprintf(stderr, "# %s: the guest did not get ready (%s)\n",
		uart_name[uart], strerror(-ret));
	if (q)
		fprintf(stderr, "# console:\n%s\n# QEMU's stderr:\n%s\n",
			keel_qemu_console_log(q), keel_qemu_stderr(q));
	keel_qemu_free(q);
	return NULL;
}

/*
 * Reads @bytes from @fd, checking each against the pattern, while the
 * console is read too. Returns 0, -EBADMSG on a wrong byte, -EDEADLK
 * when the guest got stuck, -ETIMEDOUT or -ESRCH.
 */
static int drain(struct keel_qemu *q, int fd, unsigned long bytes,
		 double *first, double *last)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	double start = now(), progress = start;
	static char buf[65536];
	unsigned long got = 0;
	ssize_t n, i;

	while (got < bytes) {
		if (now() - start > WRITE_MS / 1000.0)
			return -ETIMEDOUT;
		if (keel_qemu_exit_status(q) >= 0)
			return -ESRCH;
		if (now() - progress > KEEL_QEMU_STUCK_CHECK_MS / 1000.0) {
			if (keel_qemu_stuck(q) == 1)
				return -EDEADLK;
			progress = now();
		}
		keel_qemu_poll(q, 0);
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return n ? -errno : -ESRCH;
		if (!got)
			*first = now();
		for (i = 0; i < n; i++) {
			if (got + i >= bytes ||
			    buf[i] != pattern[(got + i) % PATTERN_LEN]) {
				fprintf(stderr, "# byte %lu: 0x%02x, not 0x%02x\n",
					got + i, (unsigned char)buf[i],
					got + i < bytes ?
					pattern[(got + i) % PATTERN_LEN] : 0);
				return -EBADMSG;
			}
		}
		got += n;
		progress = *last = now();
	}
	return 0;
}

/* One run through @uart: 0 and @r, -EDEADLK to try again, or -errno. */
static int run_once(int uart, unsigned long bytes, struct result *r)
{
	uint64_t exits0 = 0, io0 = 0, exits1 = 0, io1 = 0;
	long long kept0 = 0, kept1 = 0;
	double first = 0, last = 0;
	unsigned long long ns;
	struct keel_qemu *q;
	unsigned int id = 0;
	char line[256];
	const char *irq;
	int fd, ret;
	pid_t pid;

	q = start(uart, bytes, &id, &ret);
	if (!q)
		return ret;
	pid = keel_qemu_pid(q);
	fd = uart == UART_KEEL ? keel_test_obj_open(id) : keel_qemu_com2_fd(q);
	if (fd < 0) {
		ret = uart == UART_KEEL ? fd : -errno;
		fprintf(stderr, "# %s: the host side: %s\n", uart_name[uart],
			strerror(-ret));
		goto out;
	}
	if (kvm_stat(pid, "exits", &exits0) || kvm_stat(pid, "io_exits", &io0)) {
		fprintf(stderr, "# no KVM statistics of QEMU's VM (debugfs)\n");
		ret = -ENOENT;
		goto out;
	}
	if (uart == UART_KEEL)
		kept0 = keel_test_vdev_info(id, "exits_kept");
	/* The role waits for one byte before it writes. */
	if (write(fd, "g", 1) != 1) {
		ret = -errno;
		goto out;
	}
	ret = drain(q, fd, bytes, &first, &last);
	if (!ret)
		ret = keel_qemu_wait_line(q, "KEEL-GUEST-WRITE-DONE", line,
					  sizeof(line), WRITE_MS);
	if (ret == -ESRCH && keel_qemu_panicked(q)) {
		fprintf(stderr, "# %s: the guest panicked in an interrupt\n",
			uart_name[uart]);
		ret = -EDEADLK;
		goto out;
	}
	if (ret) {
		fprintf(stderr, "# %s: the write did not finish (%s)\n",
			uart_name[uart], strerror(-ret));
		if (ret == -EDEADLK)
			fprintf(stderr, "# the guest %s\n", keel_qemu_fault(q));
		goto out;
	}
	if (kvm_stat(pid, "exits", &exits1) || kvm_stat(pid, "io_exits", &io1)) {
		ret = -ENOENT;
		goto out;
	}
	if (uart == UART_KEEL)
		kept1 = keel_test_vdev_info(id, "exits_kept");
	if (sscanf(line, "KEEL-GUEST-WRITE-DONE %*u %llu", &ns) != 1 || !ns) {
		fprintf(stderr, "# %s: cannot read '%s'\n", uart_name[uart], line);
		ret = -EBADMSG;
		goto out;
	}
	r->secs = ns / 1e9;
	r->host_secs = last - first;
	r->exits = exits1 - exits0;
	r->io_exits = io1 - io0;
	r->kept = kept1 - kept0;
	r->irq3 = -1;
	if (!keel_qemu_wait_line(q, "KEEL-GUEST-IRQ", line, sizeof(line), 60000)) {
		irq = strstr(line, " 3:");
		if (irq)
			r->irq3 = strtoll(irq + 3, NULL, 10);
	}
out:
	if (ret && ret != -EDEADLK)
		fprintf(stderr, "# console:\n%s\n", keel_qemu_console_log(q));
	if (uart == UART_KEEL && fd >= 0)
		close(fd);
	keel_qemu_free(q);
	return ret;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-b BYTES] [-r RUNS (1..%d)]\n", prog,
		MAX_RUNS);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct result res[NR_UARTS][MAX_RUNS];
	double rate[NR_UARTS][MAX_RUNS], io[NR_UARTS][MAX_RUNS];
	double med_rate[NR_UARTS], med_io[NR_UARTS], kept[MAX_RUNS];
	unsigned long bytes = 64 << 10;
	int runs = 5, run, u, opt, tries, ret;
	char *end;

	while ((opt = getopt(argc, argv, "b:r:h")) != -1) {
		switch (opt) {
		case 'b':
			bytes = strtoul(optarg, &end, 0);
			if (*end || !bytes || bytes > (1ul << 30))
				usage(argv[0]);
			break;
		case 'r':
			runs = strtol(optarg, &end, 0);
			if (*end || runs < 1 || runs > MAX_RUNS)
				usage(argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (access("/dev/keel-vdev", F_OK)) {
		fprintf(stderr, "bench_uart: keel_vdev.ko is not loaded\n");
		return 1;
	}

	printf("bench_uart: a Linux guest writes %lu bytes to ttyS1 (COM2, IRQ 3) "
	       "under QEMU (pc, KVM), %d runs each way\n", bytes, runs);
	printf("%-4s %-5s %10s %12s %10s %10s %10s %10s %8s\n", "run", "uart",
	       "guest s", "bytes/s", "host s", "exits", "io exits",
	       "kept", "IRQ 3");
	for (run = 0; run < runs; run++) {
		for (u = 0; u < NR_UARTS; u++) {
			struct result *r = &res[u][run];

			tries = 0;
			do {
				ret = run_once(u, bytes, r);
				if (ret == -EDEADLK)
					printf("# %s run %d: the guest got stuck "
					       "(the emulated CPU's fault, "
					       "keel_qemu.h); again\n",
					       uart_name[u], run + 1);
			} while (ret == -EDEADLK && ++tries < KEEL_QEMU_BOOT_TRIES);
			if (ret) {
				printf("bench_uart: %s run %d failed: %s\n",
				       uart_name[u], run + 1, strerror(-ret));
				return 1;
			}
			rate[u][run] = bytes / r->secs;
			io[u][run] = r->io_exits;
			if (u == UART_KEEL)
				kept[run] = r->kept;
			printf("%-4d %-5s %10.3f %12.0f %10.3f %10" PRIu64
			       " %10" PRIu64 " %10lld %8lld\n", run + 1,
			       uart_name[u], r->secs, rate[u][run],
			       r->host_secs, r->exits, r->io_exits,
			       u == UART_KEEL ? r->kept : 0, r->irq3);
			fflush(stdout);
		}
	}
	for (u = 0; u < NR_UARTS; u++) {
		med_rate[u] = median(rate[u], runs);
		med_io[u] = median(io[u], runs);
	}
	printf("median bytes/s: keel %.0f, qemu %.0f; keel / qemu %.2fx\n",
	       med_rate[UART_KEEL], med_rate[UART_QEMU],
	       med_rate[UART_KEEL] / med_rate[UART_QEMU]);
	printf("median I/O exits: keel %.0f, %.0f of them kept in the host kernel "
	       "by Keel's UART; qemu %.0f, the UART's all handled by QEMU in "
	       "userspace\n", med_io[UART_KEEL], median(kept, runs),
	       med_io[UART_QEMU]);
	printf("median I/O exits per byte: keel %.3f, qemu %.3f\n",
	       med_io[UART_KEEL] / bytes, med_io[UART_QEMU] / bytes);
	return 0;
}
