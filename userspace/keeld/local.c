// SPDX-License-Identifier: GPL-2.0
/*
 * The local host: keeld keeps this machine's entry in the cloud current
 * from the kernel family "keel". It reads keel.ko's inventory at start
 * and every few seconds (a timerfd in keeld's loop), so Keel modules
 * appearing and disappearing change the host's "keel:" features; while
 * keel.ko is not loaded the host keeps its last capacity without them,
 * and a host never seen from keel.ko is not registered at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "keeld.h"
#include "local_inv.h"
#include "log.h"

#define LOCAL_POLL_S	2

struct local {
	struct keel_sock *sock;
	bool registered;		/* the host is in the database */
	bool loaded;			/* keel.ko answered last time */
	bool checked;			/* refresh() ran at least once */
	struct store_host last;		/* as registered */
	char features[LOCAL_FEATURES_MAX];
};

static bool same(const struct store_host *a, const struct store_host *b)
{
	unsigned int i;

	if (a->nres != b->nres || strcmp(a->features, b->features))
		return false;
	for (i = 0; i < a->nres; i++)
		if (strcmp(a->res[i].dim, b->res[i].dim) ||
		    a->res[i].amount != b->res[i].amount)
			return false;
	return true;
}

static int exists_cb(const struct store_host *h, void *data)
{
	(void)h;
	*(bool *)data = true;
	return 0;
}

/* Put @h into the database as the local host, if it changed. */
static void publish(struct keeld *kd, struct local *l, struct store_host *h)
{
	struct keeld_err err = { 0 };
	bool exists = false;
	int ret;

	if (l->registered && same(h, &l->last))
		return;
	store_hosts(kd->cloud.store, h->id, exists_cb, &exists);
	ret = exists ? cloud_host_update(&kd->cloud, h, &err) :
		       cloud_host_add(&kd->cloud, h, &err);
	if (ret) {
		keeld_log(LOG_ERR, "local host %u: %s", h->id, err.msg);
		return;
	}
	if (h->features != l->features) {
		snprintf(l->features, sizeof(l->features), "%s", h->features);
	}
	l->last = *h;
	l->last.features = l->features;
	l->registered = true;
	keeld_log(LOG_INFO, "local host %u %s: %s", h->id,
		exists ? "updated" : "registered", h->features);
}

static void refresh(struct keeld *kd, struct local *l)
{
	struct keel_error kerr;
	struct keel_host kh;
	struct store_host h;
	char *feats;

	if (!l->sock)
		l->sock = keel_open(&kerr);
	if (l->sock && !keel_host_get(l->sock, &kh)) {
		feats = malloc(LOCAL_FEATURES_MAX);
		if (feats && !local_inventory(&kh, kd->local_id, &h, feats)) {
			if (!l->loaded)
				keeld_log(LOG_INFO, "keel.ko is loaded: reading this machine");
			l->loaded = true;
			l->checked = true;
			publish(kd, l, &h);
		}
		free(feats);
		keel_host_free(&kh);
		return;
	}
	/* keel.ko is gone (or never was): no more "keel:" features. */
	if (l->sock) {
		keel_close(l->sock);
		l->sock = NULL;
	}
	if (l->loaded || !l->checked)
		keeld_log(LOG_WARNING, "keel.ko is not loaded: %s", l->registered ?
			"the local host loses its keel: features" :
			"no local host until it is");
	l->loaded = false;
	l->checked = true;
	if (l->registered) {
		h = l->last;
		feats = strdup(l->features);
		if (!feats)
			return;
		local_drop_keel(feats);
		h.features = feats;
		publish(kd, l, &h);
		free(feats);
	}
}

void local_start(struct keeld *kd)
{
	struct itimerspec its = {
		.it_interval = { .tv_sec = LOCAL_POLL_S },
		.it_value = { .tv_sec = LOCAL_POLL_S },
	};
	struct local *l = calloc(1, sizeof(*l));

	if (!l) {
		keeld_log(LOG_ERR, "local host: out of memory");
		return;
	}
	kd->local_sock = l;
	refresh(kd, l);
	kd->local_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (kd->local_fd >= 0)
		timerfd_settime(kd->local_fd, 0, &its, NULL);
}

void local_event(struct keeld *kd)
{
	uint64_t ticks;

	if (read(kd->local_fd, &ticks, sizeof(ticks)) > 0 && kd->local_sock)
		refresh(kd, kd->local_sock);
}

void local_stop(struct keeld *kd)
{
	struct local *l = kd->local_sock;

	if (kd->local_fd >= 0)
		close(kd->local_fd);
	kd->local_fd = -1;
	if (l)
		keel_close(l->sock);
	free(l);
	kd->local_sock = NULL;
}
