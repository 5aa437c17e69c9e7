// SPDX-License-Identifier: GPL-2.0
/*
 * The local host without a kernel: keel.ko's inventory (a made-up
 * struct keel_host) as a stored host, Keel modules going away, and
 * updating a host that holds allocations in a real SQLite store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud.h"
#include "local_inv.h"
#include "tap.h"

static bool has(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

static const char *dim(const struct store_host *h, const char *d, uint64_t *v)
{
	unsigned int i;

	for (i = 0; i < h->nres; i++)
		if (!strcmp(h->res[i].dim, d)) {
			*v = h->res[i].amount;
			return d;
		}
	return NULL;
}

static int alloc_vdev(struct cloud *c, const char *feature, struct keeld_err *err)
{
	struct keeld_pref pref = { feature, KEELD_REQUIRED, 0 };
	struct keeld_pref_source src = { KEELD_SRC_REQUEST, &pref, 1 };
	struct cloud_request r = { 0 };
	struct keeld_unified u;
	struct keeld_trace t;
	struct store_alloc out;
	uint64_t gen;

	r.req.res.vcpus = 2;
	r.req.res.mem_bytes = 1ull << 30;
	r.req.sources = &src;
	r.req.nsources = 1;
	r.service = "local";
	return cloud_alloc(c, &r, &out, &gen, &u, &t, err);
}

static int count_cb(const struct store_alloc *a, void *data)
{
	(void)a;
	++*(int *)data;
	return 0;
}

static int used_cb(const struct store_host *h, void *data)
{
	*(uint64_t *)data = h->res[h->nres - 1].used;	/* "vcpus" sorts last */
	return 0;
}

int main(void)
{
	char *flags[] = { "avx512f", "rtm", "Bad Flag", "sse4_2" };
	struct keel_node nodes[2] = { { 0, 8ull << 30, 0, 4 }, { 1, 8ull << 30, 0, 4 } };
	struct keel_hpage hp[2] = { { 2 << 20, 512, 512 }, { 1 << 30, 0, 0 } };
	struct keel_part parts[2] = { { "core", 0 }, { "vdev", 1 } };
	struct keel_host kh = { 0 };
	struct store_host h, gone;
	struct keeld_err err;
	struct cloud c = { 0 };
	char feats[LOCAL_FEATURES_MAX], dropped[LOCAL_FEATURES_MAX], dir[] =
		"/tmp/keeld-local-XXXXXX", url[128], msg[256];
	uint64_t v, used = 0;
	int n = 0;

	kh.cpu.online = 8;
	kh.cpu.flags = flags;
	kh.cpu.nflags = 4;
	kh.nodes = nodes;
	kh.nnodes = 2;
	kh.hpages = hp;
	kh.nhpages = 2;
	kh.kvm.usable = true;
	kh.kvm.nested = true;
	kh.kvm.vendor = "kvm_amd";
	kh.parts.v = parts;
	kh.parts.n = 2;

	ok(!local_inventory(&kh, 7, &h, feats), "keel.ko's inventory becomes host 7");
	ok(h.id == 7 && dim(&h, "vcpus", &v) && v == 8, "vcpus: the online CPUs");
	ok(dim(&h, "memory", &v) && v == 16ull << 30, "memory: every node's");
	ok(dim(&h, "hp:2097152", &v) && v == 512 && !dim(&h, "hp:1073741824", &v),
	   "huge pages: sizes with pages only");
	ok(has(feats, "keel:core") && has(feats, "keel:vdev"), "keel:<part> per module: %s",
	   feats);
	ok(has(feats, "kvm:amd") && has(feats, "kvm:nested"), "kvm vendor and nesting");
	ok(has(feats, "cpu:avx512f") && has(feats, "cpu:rtm") && has(feats, "cpu:sse4_2") &&
	   !strstr(feats, "Bad"), "cpu:<flag>, invalid names left out");
	snprintf(dropped, sizeof(dropped), "%s", feats);
	local_drop_keel(dropped);
	ok(!strstr(dropped, "keel:") && has(dropped, "kvm:amd") && has(dropped, "cpu:rtm"),
	   "without keel.ko only the keel: features go: %s", dropped);
	kh.cpu.online = 0;
	ok(local_inventory(&kh, 7, &gone, dropped) == -EINVAL, "no CPUs: no host");

	if (!mkdtemp(dir))
		return 1;
	snprintf(url, sizeof(url), "sqlite:%s/keeld.db", dir);
	c.store = store_open(url, msg, sizeof(msg));
	ok(c.store && !cloud_load(&c, &err), "a fresh SQLite store");
	if (!c.store)
		return tap_done();
	ok(!cloud_host_add(&c, &h, &err), "the local host is registered");
	ok(!alloc_vdev(&c, "keel:vdev", &err), "a request that needs keel:vdev fits it");
	snprintf(dropped, sizeof(dropped), "%s", feats);
	local_drop_keel(dropped);
	gone = h;
	gone.features = dropped;
	ok(!cloud_host_update(&c, &gone, &err), "keel.ko unloaded: the host is updated");
	ok(alloc_vdev(&c, "keel:vdev", &err) == -ESRCH, "keel:vdev is no longer offered");
	ok(!alloc_vdev(&c, "cpu:rtm", &err), "other features still are");
	store_allocs(c.store, 0, count_cb, &n);
	store_hosts(c.store, 7, used_cb, &used);
	ok(n == 2 && used == 4, "both allocations and their usage kept (%d, %llu vcpus)",
	   n, (unsigned long long)used);
	gone.res[0].amount = 3;		/* vcpus below the 4 in use */
	ok(cloud_host_update(&c, &gone, &err) == -EBUSY,
	   "shrinking below the usage is refused: %s", err.msg);
	used = 0;
	store_hosts(c.store, 7, used_cb, &used);
	ok(used == 4 && keeld_host_get(c.pool, 7)->cap[KEELD_DIM_VCPUS] == 8,
	   "and changes nothing");
	ok(store_check(c.store, stdout) == 0, "the store is consistent");
	cloud_fini(&c);
	store_close(c.store);
	snprintf(msg, sizeof(msg), "rm -rf '%s'", dir);
	if (system(msg))
		return 1;
	return tap_done();
}
