/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMM's side of Keel's choice of hot spots (Documentation/bt.rst,
 * "Selection"), for a guest of bt_vm.h: once per interval, with the vCPU
 * stopped, it reads keel_mirror's hot-spot profile (keelctl's JSON, the
 * "keel" netlink family), the translations' counters from guest memory
 * (less their stores to memory outside the range, which exited and so
 * do not keep a translation warm: bt_vm_count_saved()), runs keel-bt's
 * policy (select.h) and does what it decides: translates the loop around
 * a hot site into a free slot of the code cache and patches its head, or
 * removes a cold translation's patch. Translations
 * that a guest store to their code removed (bt_vm_code_write()), or a
 * fault in them (bt_vm_fault()), leave the policy at the next interval.
 */
#ifndef BT_ENGINE_H
#define BT_ENGINE_H

#include "bt_vm.h"
#include "select.h"

struct bt_engine {
	struct bt_vm *b;
	struct kbt_sel sel;
	int slot_of[KBT_SEL_REGIONS];	/* region -> code cache slot */
	unsigned int translated, dropped, refused, invalidated, faulted;
	char why[320];			/* the last translation's line */
	char err[320];			/* why the last site was refused */
};

static inline int bt_engine_init(struct bt_engine *e, struct bt_vm *b,
				 const struct kbt_sel_policy *pol)
{
	unsigned int i;

	memset(e, 0, sizeof(*e));
	e->b = b;
	for (i = 0; i < KBT_SEL_REGIONS; i++)
		e->slot_of[i] = -1;
	return kbt_sel_init(&e->sel, pol);
}

/* keel_mirror's profile of the range: sites read, or -errno. */
static inline int bt_engine_profile(struct bt_engine *e,
				    struct kbt_sel_site *sites,
				    unsigned int max)
{
	char ids[16], out[16384];
	struct json_object *arr, *o;
	unsigned int i, n;

	snprintf(ids, sizeof(ids), "%u", e->b->id);
	if (keel_test_keelctl((const char *[]){ "-j", "mirror", "hotspots",
						ids, NULL },
			      NULL, out, sizeof(out), false))
		return -EIO;
	arr = json_tokener_parse(out);
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		return -EPROTO;
	}
	n = json_object_array_length(arr);
	for (i = 0; i < n && i < max; i++) {
		o = json_object_array_get_idx(arr, i);
		sites[i] = (struct kbt_sel_site){ keel_test_json_u64(o, "rip"),
						  keel_test_json_u64(o, "writes") };
	}
	json_object_put(arr);
	return (int)i;
}

static inline int bt_engine_free_slot(const struct bt_engine *e)
{
	unsigned int s;

	for (s = 0; s < BT_SLOTS; s++)
		if (!e->b->xl[s].patched)
			return (int)s;
	return -1;
}

/*
 * The code around @hot that one memslot holds: 2 KiB either side, or
 * less at the memslot's ends (page granular).
 */
static inline uint64_t bt_engine_window(const struct bt_vm *b, uint64_t hot,
					uint64_t *len)
{
	uint64_t lo = hot - 2048, hi = hot + 2048;

	while (!vm_gpa2hva(b->vm, lo, hi - lo)) {
		if (lo < (hot & ~0xfffULL))
			lo = hot & ~0xfffULL;
		else if (hi > (hot | 0xfffULL) + 1)
			hi = (hot | 0xfffULL) + 1;
		else
			return 0;
	}
	*len = hi - lo;
	return lo;
}

/* Translate the loop around @hot into a free slot and enter it. */
static inline void bt_engine_translate(struct bt_engine *e, uint64_t hot)
{
	struct bt_vm *b = e->b;
	int slot = bt_engine_free_slot(e), r;
	uint64_t lo, len = 0;
	struct bt_xl *x;

	/* in the loop of a site translated earlier in this interval */
	if (kbt_sel_find(&e->sel, hot) >= 0)
		return;
	lo = bt_engine_window(b, hot, &len);
	if (slot < 0 || !lo || bt_vm_xlate(b, slot, lo, len, hot, true)) {
		snprintf(e->err, sizeof(e->err), "%#llx: %s",
			 (unsigned long long)hot, slot < 0 ? "no free slot" :
			 !lo ? "no code around it" : b->stats);
		kbt_sel_refuse(&e->sel, hot);
		e->refused++;
		return;
	}
	x = &b->xl[slot];
	r = kbt_sel_add(&e->sel, x->head, x->end, 0);
	if (r < 0 || bt_vm_patch_slot(b, slot)) {
		snprintf(e->err, sizeof(e->err), "%#llx: %s",
			 (unsigned long long)hot, r < 0 ? strerror(-r) :
			 "cannot patch its head");
		kbt_sel_refuse(&e->sel, hot);
		e->refused++;
		if (r >= 0)
			kbt_sel_drop(&e->sel, r);
		return;
	}
	e->slot_of[r] = slot;
	e->translated++;
	snprintf(e->why, sizeof(e->why), "%#llx: %s", (unsigned long long)hot,
		 b->stats);
}

/*
 * One interval, the vCPU stopped outside the code cache: the actions
 * taken (translations and drops), or -errno.
 */
static inline int bt_engine_step(struct bt_engine *e)
{
	struct kbt_sel_site sites[KEEL_MIRROR_HOTSPOTS_MAX];
	struct kbt_sel_action act[KBT_SEL_REGIONS * 2];
	unsigned int i, n;
	int ns;

	for (i = 0; i < KBT_SEL_REGIONS; i++) {
		struct bt_xl *x;

		if (e->slot_of[i] < 0)
			continue;
		x = &e->b->xl[e->slot_of[i]];
		if (x->invalidated || x->faulted) {
			e->invalidated += x->invalidated;
			e->faulted += x->faulted;
			x->invalidated = false;
			x->faulted = false;
			e->slot_of[i] = -1;
			kbt_sel_drop(&e->sel, i);
			continue;
		}
		kbt_sel_count(&e->sel, i,
			      bt_vm_count_saved(e->b, e->slot_of[i]));
	}
	ns = bt_engine_profile(e, sites, KEEL_MIRROR_HOTSPOTS_MAX);
	if (ns < 0)
		return ns;
	n = kbt_sel_step(&e->sel, sites, ns, act, KBT_SEL_REGIONS * 2);
	for (i = 0; i < n; i++) {
		if (act[i].op == KBT_SEL_TRANSLATE) {
			bt_engine_translate(e, act[i].rip);
			continue;
		}
		if (e->slot_of[act[i].region] < 0 ||
		    bt_vm_unpatch_slot(e->b, e->slot_of[act[i].region]))
			return -EIO;
		e->slot_of[act[i].region] = -1;
		kbt_sel_drop(&e->sel, act[i].region);
		e->dropped++;
	}
	return (int)n;
}

#endif /* BT_ENGINE_H */
