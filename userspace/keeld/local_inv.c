// SPDX-License-Identifier: GPL-2.0
/*
 * keel.ko's inventory of this machine as a host of keeld's cloud: which
 * capacities and which namespaced features it contributes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "local_inv.h"

struct feats {
	char *buf;
	size_t len, n;
};

static void add(struct feats *f, const char *ns, const char *name)
{
	char full[KEELD_FEAT_NAME_MAX + 2];
	int n;

	n = snprintf(full, sizeof(full), "%s:%s", ns, name);
	if (n < 0 || n > KEELD_FEAT_NAME_MAX || !keeld_feature_name_ok(full) ||
	    f->n == KEELD_MAX_HOST_FEATURES)
		return;
	f->len += (size_t)snprintf(f->buf + f->len, LOCAL_FEATURES_MAX - f->len,
				   "%s%s", f->len ? " " : "", full);
	f->n++;
}

int local_inventory(const struct keel_host *kh, uint32_t id,
		    struct store_host *out, char *features)
{
	struct feats f = { .buf = features };
	uint64_t mem = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	features[0] = '\0';
	for (i = 0; i < kh->nnodes; i++)
		mem += kh->nodes[i].mem_total;
	if (!kh->cpu.online || !mem || mem > STORE_AMOUNT_MAX)
		return -EINVAL;
	out->id = id;
	snprintf(out->res[0].dim, sizeof(out->res[0].dim), "vcpus");
	out->res[0].amount = kh->cpu.online;
	snprintf(out->res[1].dim, sizeof(out->res[1].dim), "memory");
	out->res[1].amount = mem;
	out->nres = 2;
	for (i = 0; i < kh->nhpages && out->nres < 2 + KEELD_MAX_HPSIZES; i++) {
		if (!kh->hpages[i].total || kh->hpages[i].total > STORE_AMOUNT_MAX)
			continue;
		snprintf(out->res[out->nres].dim, sizeof(out->res[0].dim),
			 "hp:%" PRIu64, kh->hpages[i].size);
		out->res[out->nres++].amount = kh->hpages[i].total;
	}
	/* Keel's own parts first: they must fit even with many CPU flags. */
	for (i = 0; i < kh->parts.n; i++)
		if (kh->parts.v[i].name)
			add(&f, "keel", kh->parts.v[i].name);
	/* keel.ko names the vendor module ("kvm_amd"): the feature is "kvm:amd". */
	if (kh->kvm.usable && kh->kvm.vendor)
		add(&f, "kvm", strncmp(kh->kvm.vendor, "kvm_", 4) ?
			kh->kvm.vendor : kh->kvm.vendor + 4);
	if (kh->kvm.usable && kh->kvm.nested)
		add(&f, "kvm", "nested");
	for (i = 0; i < kh->cpu.nflags; i++)
		add(&f, "cpu", kh->cpu.flags[i]);
	out->features = features;
	return 0;
}

void local_drop_keel(char *features)
{
	char *r = features, *w = features, *end;
	size_t n;

	while (*r) {
		end = strchr(r, ' ');
		n = end ? (size_t)(end - r) : strlen(r);
		if (strncmp(r, "keel:", 5)) {
			if (w != features)
				*w++ = ' ';
			memmove(w, r, n);
			w += n;
		}
		r += n;
		while (*r == ' ')
			r++;
	}
	*w = '\0';
}
