// SPDX-License-Identifier: GPL-2.0
/*
 * The host facts only sysfs publishes (huge page pools, the KVM vendor
 * module and its "nested" parameter), read for HOST_GET by a kernel
 * worker and never by the netlink handler itself.
 *
 * A generic netlink handler runs in the caller's context and with
 * genetlink's cb_lock held: a file it opens is resolved in the caller's
 * mount namespace, where an unprivileged user can bind a FIFO (an open
 * that never returns, so every family registration and then every
 * generic netlink request on the host waits) or a forged value over it.
 * The worker runs with the kernel's credentials and sysfs_read.c
 * resolves from the initial mount namespace's root and reads only
 * sysfs; the handler waits for one fresh read, killably and for at most
 * KEEL_HOST_FACTS_WAIT.
 */
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "core.h"

#define KEEL_HOST_FACTS_WAIT	(5 * HZ)

/* The huge page sizes x86-64 can have: 2 MiB and 1 GiB. */
static const unsigned long keel_hpage_kb[KEEL_HPAGE_SIZES] = { 2048, 1048576 };

static const char * const keel_kvm_vendors[] = { "kvm_amd", "kvm_intel" };

/*
 * Requests and results. A request takes the next ticket; a run of the
 * worker serves every ticket taken before it started, so a reader that
 * waits for its ticket gets values read after it asked.
 */
static DEFINE_SPINLOCK(keel_facts_lock);
static u64 keel_facts_asked;		/* under keel_facts_lock */
static u64 keel_facts_served;		/* under keel_facts_lock */
static struct keel_host_facts keel_facts; /* under keel_facts_lock */
static DECLARE_WAIT_QUEUE_HEAD(keel_facts_wq);

static int keel_read_hpage_count(unsigned long kb, const char *what, u64 *val)
{
	char path[80], buf[32];
	int ret;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%lukB/%s",
		 kb, what);
	ret = keel_read_small_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	return keel_parse_u64_line(buf, val);
}

static void keel_host_facts_read(struct keel_host_facts *f)
{
	char path[64], buf[16];
	size_t i;

	for (i = 0; i < KEEL_HPAGE_SIZES; i++) {
		/* A size without a pool directory is not supported here. */
		if (keel_read_hpage_count(keel_hpage_kb[i], "nr_hugepages",
					  &f->hpage[i].total) ||
		    keel_read_hpage_count(keel_hpage_kb[i], "free_hugepages",
					  &f->hpage[i].free))
			continue;
		f->hpage[i].size = (u64)keel_hpage_kb[i] * 1024;
	}

	/*
	 * A vendor module publishes its "nested" parameter while loaded
	 * (built in or as a module); that is also what makes KVM usable.
	 */
	for (i = 0; i < ARRAY_SIZE(keel_kvm_vendors); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s/parameters/nested",
			 keel_kvm_vendors[i]);
		if (keel_read_small_file(path, buf, sizeof(buf)) < 0)
			continue;
		f->kvm_vendor = keel_kvm_vendors[i];
		if (keel_parse_bool_param(buf, &f->kvm_nested))
			f->kvm_nested = false;
		break;
	}
}

static void keel_host_facts_work_fn(struct work_struct *work)
{
	struct keel_host_facts f = {};
	u64 ticket;

	spin_lock(&keel_facts_lock);
	ticket = keel_facts_asked;
	spin_unlock(&keel_facts_lock);

	keel_host_facts_read(&f);

	spin_lock(&keel_facts_lock);
	keel_facts = f;
	keel_facts_served = ticket;
	spin_unlock(&keel_facts_lock);
	wake_up_all(&keel_facts_wq);
}

static DECLARE_WORK(keel_facts_work, keel_host_facts_work_fn);

static bool keel_host_facts_served(u64 ticket, struct keel_host_facts *f)
{
	bool done;

	spin_lock(&keel_facts_lock);
	done = keel_facts_served >= ticket;
	if (done)
		*f = keel_facts;
	spin_unlock(&keel_facts_lock);
	return done;
}

/**
 * keel_host_facts_get() - read the host facts only sysfs publishes
 * @f: filled with values read after the call started
 *
 * Context: process context; sleeps, killably, for at most five seconds.
 * Return: 0, -ETIMEDOUT when the worker did not answer in time, or
 * -ERESTARTSYS when the caller was killed.
 */
int keel_host_facts_get(struct keel_host_facts *f)
{
	u64 ticket;
	long ret;

	spin_lock(&keel_facts_lock);
	ticket = ++keel_facts_asked;
	spin_unlock(&keel_facts_lock);

	/* Queued if idle or running: a running read may predate @ticket. */
	queue_work(system_unbound_wq, &keel_facts_work);
	ret = wait_event_killable_timeout(keel_facts_wq,
					  keel_host_facts_served(ticket, f),
					  KEEL_HOST_FACTS_WAIT);
	if (ret < 0)
		return ret;
	return ret ? 0 : -ETIMEDOUT;
}

/* Called at module exit, after the family that asks is gone. */
void keel_host_facts_exit(void)
{
	cancel_work_sync(&keel_facts_work);
}
