// SPDX-License-Identifier: GPL-2.0
/*
 * keel_coalesce's benchmark (make bench SUITE=coalesce): Debian's QEMU
 * with a virtio-net-pci NIC on vhost-net and a Linux guest; the same
 * traffic into the guest under four moderations of its queue interrupts,
 * set by pid as an operator does ("keelctl coalesce add"):
 *
 *	none        no Keel object: vhost's signal is the interrupt
 *	latency     rx-usecs 200, overflow-usecs 200: the latency interval,
 *	            nothing held longer while the guest sleeps
 *	lat+ovf     rx-usecs 200, overflow-usecs 5000
 *	adaptive    adaptive-rx, rx-usecs up to 800, overflow-usecs 5000
 *
 * Traffic: UDP datagrams of 64 and 1472 bytes (1500-byte IP packets) at a
 * fixed 1,000/s and as a flood; then pings for the round-trip time. Once
 * with the guest's vCPU alone on its CPU, once overcommitted (QEMU's
 * threads share CPU 1 with a busy loop). Printed per run: interrupts per
 * datagram, datagrams/s arrived, lost, the VM's exits and halts per
 * datagram (KVM's debugfs), ping p50/p99; and the ratios against "none"
 * measured in the same run. Under the nested emulation of the test VM the
 * absolute figures mean little: compare the ratios.
 *
 * Usage: bench_coalesce [-n DATAGRAMS_FIXED] [-f DATAGRAMS_FLOOD]
 *                       [-p PINGS] [-m MODE]   (-m: "none" and MODE only)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keel_net.h"
#include "keel_test_kvm.h"
#include "keel_test_run.h"

#define MAX_GSIS	8

static long n_fixed = 1000, n_flood = 10000, n_ping = 300;
static const char *only_mode;
static char out[65536];

struct mode {
	const char *name;
	const char *const *params;	/* keelctl's, NULL: no object */
};

static const struct mode modes[] = {
	{ "none", NULL },
	{ "latency", (const char *const[]){ "rx-usecs", "200",
					    "overflow-usecs", "200", NULL } },
	{ "lat+ovf", (const char *const[]){ "rx-usecs", "200",
					    "overflow-usecs", "5000", NULL } },
	{ "adaptive", (const char *const[]){ "adaptive-rx", "on",
					     "rx-usecs", "800",
					     "overflow-usecs", "5000", NULL } },
};
#define NR_MODES	(sizeof(modes) / sizeof(modes[0]))

struct traffic {
	const char *name;
	size_t len;
	unsigned int gap_us;	/* 0: flood */
};

static const struct traffic traffics[] = {
	{ "1000/s 64B", 64, 1000 },
	{ "1000/s 1472B", 1472, 1000 },
	{ "flood 64B", 64, 0 },
	{ "flood 1472B", 1472, 0 },
};
#define NR_TRAFFICS	(sizeof(traffics) / sizeof(traffics[0]))

struct result {
	bool skipped;	/* the emulated CPU failed under it, every time */
	long sent, arrived;
	unsigned long long irqs, exits, halts;
	double secs;
	uint64_t p50, p99;	/* ping, ns */
	long pings;
};

static int keelctl(const char *const *args)
{
	const char *argv[24] = { getenv("KEELCTL") ?: "/keel/bin/keelctl" };
	size_t i;

	for (i = 0; args[i] && i < 22; i++)
		argv[i + 1] = args[i];
	return keel_test_run(argv, NULL, out, sizeof(out), false);
}

/* The MSI irqfds of QEMU's VM: its queue interrupts. */
static int msi_gsis(pid_t pid, char gsi[][16], int max)
{
	char pids[16], *p = out;
	int n = 0;

	snprintf(pids, sizeof(pids), "%d", pid);
	if (keelctl((const char *[]){ "coalesce", "irqfds", "--pid", pids,
				      NULL }))
		return -1;
	/* "FD GSI ROUTE ..." after a header line */
	while ((p = strchr(p, '\n')) && n < max) {
		unsigned int fd, g;
		char route[16];

		p++;
		if (sscanf(p, "%u %u %15s", &fd, &g, route) == 3 &&
		    !strcmp(route, "msi"))
			snprintf(gsi[n++], 16, "%u", g);
	}
	return n;
}

static int moderate(pid_t pid, const struct mode *m, char gsi[][16], int n,
		    char ids[][16])
{
	const char *args[24];
	char pids[16];
	int i, a, j;

	snprintf(pids, sizeof(pids), "%d", pid);
	for (i = 0; m->params && i < n; i++) {
		a = 0;
		args[a++] = "coalesce";
		args[a++] = "add";
		args[a++] = "--pid";
		args[a++] = pids;
		args[a++] = "--gsi";
		args[a++] = gsi[i];
		for (j = 0; m->params[j]; j++)
			args[a++] = m->params[j];
		args[a] = NULL;
		if (keelctl(args)) {
			fprintf(stderr, "bench: keelctl coalesce add: %s", out);
			return -1;
		}
		snprintf(ids[i], 16, "%lu", strtoul(out, NULL, 10));
	}
	return 0;
}

static void unmoderate(const struct mode *m, char ids[][16], int n)
{
	int i;

	for (i = 0; m->params && i < n; i++)
		keelctl((const char *[]){ "coalesce", "del", ids[i], NULL });
}

/*
 * One traffic: 0 and @r, or -EDEADLK (the guest got stuck: boot again)
 * or -errno. A flood ends when the guest's count stops growing.
 */
static int run_traffic(struct keel_qemu *q, const struct traffic *t,
		       struct keel_net_report *g, struct result *r)
{
	struct keel_net_report before = *g, prev;
	pid_t pid = keel_qemu_pid(q);
	unsigned long long e0, h0;
	uint64_t t0, t1;
	int ret, still = 0;

	memset(r, 0, sizeof(*r));
	e0 = keel_test_kvm_stat(pid, "exits");
	h0 = keel_test_kvm_stat(pid, "halt_exits");
	t0 = keel_net_now_ns();
	r->sent = keel_net_stream(t->gap_us ? n_fixed : n_flood, t->len,
				  t->gap_us);
	if (r->sent < 0)
		return r->sent;
	prev = before;
	for (;;) {
		ret = keel_net_report(q, g);
		if (ret)
			return ret;
		if (g->udp >= before.udp + r->sent)
			break;
		still = g->udp == prev.udp ? still + 1 : 0;
		if (still >= 10)	/* 2 s without a datagram: the rest is lost */
			break;
		prev = *g;
	}
	t1 = keel_net_now_ns();
	r->arrived = g->udp - before.udp;
	r->irqs = g->irqs - before.irqs;
	r->exits = keel_test_kvm_stat(pid, "exits") - e0;
	r->halts = keel_test_kvm_stat(pid, "halt_exits") - h0;
	r->secs = (t1 - t0) / 1e9;
	return 0;
}

static int run_ping(struct result *r)
{
	uint64_t *rtt = calloc(n_ping, sizeof(*rtt));
	long got;

	if (!rtt)
		return -ENOMEM;
	got = keel_net_ping(n_ping, 3000, rtt);
	if (got > 0) {
		r->pings = got;
		r->p50 = rtt[got / 2];
		r->p99 = rtt[(got * 99) / 100 < got ? (got * 99) / 100 : got - 1];
	}
	free(rtt);
	return got < 0 ? (int)got : 0;
}

static struct result res[2][NR_MODES][NR_TRAFFICS + 1];

/*
 * Where a CPU setting's runs are: a guest the emulated CPU leaves stuck
 * (keel_qemu.h) is booted again and the runs go on from the one it broke.
 */
static size_t next_mode, next_traffic;
/* Boots in a row that broke on the same run; at SKIP_AFTER it is left out. */
static int fails_here;
#define SKIP_AFTER	3

/* The runs of one CPU setting from where they are; -EDEADLK: boot again. */
static int run_cpu(struct keel_qemu *q, int overcommit,
		   struct keel_net_report *g)
{
	char gsi[MAX_GSIS][16], ids[MAX_GSIS][16];
	pid_t pid = keel_qemu_pid(q), h = 0;
	int n, ret = 0;

	n = msi_gsis(pid, gsi, MAX_GSIS);
	if (n <= 0) {
		fprintf(stderr, "bench: no MSI irqfd in QEMU (vhost on?)\n");
		return -ENOENT;
	}
	keel_test_pin_task(pid, 1);
	if (overcommit)
		h = keel_test_hog(1);
	for (; next_mode < NR_MODES && !ret; next_mode++, next_traffic = 0) {
		const struct mode *m = &modes[next_mode];

		if (next_mode && only_mode && strcmp(only_mode, m->name))
			continue;
		ret = moderate(pid, m, gsi, n, ids);
		for (; next_traffic <= NR_TRAFFICS && !ret; next_traffic++) {
			struct result *r = &res[overcommit][next_mode][next_traffic];

			if (next_traffic == NR_TRAFFICS) {
				ret = run_ping(r);
				if (ret)
					break;
				printf("# %s, %s, ping: p50 %.0f us, p99 %.0f us\n",
				       overcommit ? "overcommitted" : "alone",
				       m->name, r->p50 / 1e3, r->p99 / 1e3);
				continue;
			}
			if (fails_here >= SKIP_AFTER) {
				printf("# %s, %s, %s: left out, the nested guest got stuck under it %d times\n",
				       overcommit ? "overcommitted" : "alone",
				       m->name, traffics[next_traffic].name,
				       fails_here);
				r->skipped = true;
				fails_here = 0;
				continue;
			}
			ret = run_traffic(q, &traffics[next_traffic], g, r);
			if (ret) {
				fails_here++;
				break;
			}
			fails_here = 0;
			printf("# %s, %s, %s: %ld of %ld arrived in %.2f s, %llu interrupts\n",
			       overcommit ? "overcommitted" : "alone", m->name,
			       traffics[next_traffic].name, r->arrived,
			       r->sent, r->secs, r->irqs);
		}
		unmoderate(m, ids, n);
		if (ret)
			break;
	}
	if (h) {
		kill(h, SIGKILL);
		waitpid(h, NULL, 0);
	}
	return ret;
}

static double per(unsigned long long a, long b)
{
	return b ? (double)a / b : 0;
}

static void print_cpu(int overcommit)
{
	size_t m, t;

	printf("\n== vCPU %s\n", overcommit ?
	       "overcommitted (QEMU's threads share CPU 1 with a busy loop)" :
	       "alone on CPU 1");
	printf("%-13s %-9s %8s %8s %9s %6s %9s %9s %13s\n", "traffic", "mode",
	       "irq/dgm", "x fewer", "dgm/s", "lost", "exits/dgm", "halts/dgm",
	       "dgm/s vs none");
	for (t = 0; t < NR_TRAFFICS; t++) {
		const struct result *none = &res[overcommit][0][t];
		double ipf0 = per(none->irqs, none->arrived);
		double rate0 = none->secs ? none->arrived / none->secs : 0;

		for (m = 0; m < NR_MODES; m++) {
			const struct result *r = &res[overcommit][m][t];
			double ipf = per(r->irqs, r->arrived);
			double rate = r->secs ? r->arrived / r->secs : 0;

			if (m && only_mode && strcmp(only_mode, modes[m].name))
				continue;
			if (r->skipped) {
				printf("%-13s %-9s   (left out: the nested guest's emulated CPU failed under it)\n",
				       m ? "" : traffics[t].name, modes[m].name);
				continue;
			}
			printf("%-13s %-9s %8.3f %7.1fx %9.0f %6ld %9.2f %9.3f %12.2fx\n",
			       m ? "" : traffics[t].name, modes[m].name, ipf,
			       ipf ? ipf0 / ipf : 0, rate, r->sent - r->arrived,
			       per(r->exits, r->arrived),
			       per(r->halts, r->arrived),
			       rate0 ? rate / rate0 : 0);
		}
	}
	printf("%-13s %-9s %10s %10s %15s\n", "ping", "mode", "p50 us",
	       "p99 us", "p99 - none's");
	for (m = 0; m < NR_MODES; m++) {
		const struct result *r = &res[overcommit][m][NR_TRAFFICS];
		const struct result *none = &res[overcommit][0][NR_TRAFFICS];

		if (m && only_mode && strcmp(only_mode, modes[m].name))
			continue;
		printf("%-13s %-9s %10.0f %10.0f %+14.0f  (%ld answered)\n",
		       m ? "" : "3 ms apart", modes[m].name, r->p50 / 1e3,
		       r->p99 / 1e3, ((double)r->p99 - none->p99) / 1e3,
		       r->pings);
	}
}

int main(int argc, char **argv)
{
	struct keel_qemu_opts o = {
		.machine = "pc",
		.append = KEEL_NET_APPEND,
		.extra_args = keel_net_qemu_args,
	};
	struct keel_qemu *q = NULL;
	struct keel_net_report g;
	int c, tries, ret = -EDEADLK, cpu;

	while ((c = getopt(argc, argv, "n:f:p:m:")) != -1) {
		switch (c) {
		case 'm': only_mode = optarg; break;
		case 'n': n_fixed = atol(optarg); break;
		case 'f': n_flood = atol(optarg); break;
		case 'p': n_ping = atol(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-n N] [-f N] [-p N] [-m MODE]\n",
				argv[0]);
			return 2;
		}
	}
	if (n_fixed < 1 || n_flood < 1 || n_ping < 2) {
		fprintf(stderr, "bench: counts must be positive\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (cpu = 0; cpu < 2; cpu++) {
		ret = -EDEADLK;
		next_mode = 0;
		next_traffic = 0;
		fails_here = 0;
		for (tries = 0; tries < KEEL_QEMU_STREAM_TRIES && ret == -EDEADLK;
		     tries++) {
			if (q) {
				printf("# the nested guest %s: again\n",
				       keel_qemu_fault(q));
				keel_qemu_free(q);
			}
			ret = keel_qemu_boot(&q, &o, "KEEL-GUEST-NET-UP",
					     KEEL_QEMU_BOOT_TIMEOUT_MS);
			if (!ret && keel_net_host_up())
				ret = -EIO;
			if (!ret)
				ret = keel_net_report(q, &g);
			/* the first datagram resolves the guest's address */
			if (!ret && keel_net_stream(1, 64, 0) != 1)
				ret = -EIO;
			if (!ret)
				ret = keel_net_wait_udp(q, g.udp + 1, &g);
			if (!ret)
				ret = run_cpu(q, cpu, &g);
		}
		if (ret) {
			fprintf(stderr, "bench: failed (%s)\n---- guest:\n%s\n",
				strerror(-ret), q ? keel_qemu_console_log(q) : "");
			keel_qemu_free(q);
			return 1;
		}
		keel_qemu_free(q);
		q = NULL;
	}
	printf("keel_coalesce: %ld datagrams at 1,000/s, %ld flooded, %ld pings 3 ms apart, per run\n",
	       n_fixed, n_flood, n_ping);
	print_cpu(0);
	print_cpu(1);
	return 0;
}
