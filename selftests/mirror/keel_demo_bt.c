// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's binary-translation part (make demo): a KVM guest's store
 * loop over a range keel_mirror protects, one round at a time. At first
 * every store traps; keel_mirror's hot-spot profile names the loop's
 * stores (keelctl mirror hotspots); Keel's policy picks the hottest site,
 * keel-bt translates the loop around it and the loop's head is patched
 * with a jump into the translation, so the stores stop trapping and the
 * rate goes up, and keel_mirror lists the translation with the stores it
 * made without a trap; the guest then stops storing, the translation goes cold
 * and is dropped, and the stores trap again. Each round prints its
 * stores, trapped stores, rate and what the policy did; the mirror is
 * checked against the guest's memory after every round. Exit status 0,
 * or 1 if anything did not happen as it should.
 */
#include "bt_engine.h"

#define PASSES	2
#define STORES	(PASSES * BT_RANGE_LEN / 8)

static bool filled(struct bt_vm *b, uint64_t seed)
{
	uint64_t i, first = 0;

	for (i = 0; i < BT_RANGE_LEN / 8; i++)
		if (((uint64_t *)b->mem)[i] != seed + PASSES - 1)
			return false;
	return !mirror_diff(b->mfd, b->gpa, b->mem, BT_RANGE_LEN, &first);
}

int main(void)
{
	static const struct kbt_sel_policy pol = {
		.threshold = BT_RANGE_LEN / 64, .budget = 4, .cool = 2,
	};
	/* stores a round: the guest stores, or idles */
	static const bool busy[] = { 1, 1, 1, 0, 0, 1, 1 };
	char ids[16], out[8192];
	unsigned int r, t0 = 0, d0 = 0, f0 = 0;
	long long before, traps[sizeof(busy)];
	struct bt_engine e;
	struct bt_vm b;
	double secs;
	int ret, n, fail = 0;

	ret = bt_vm_setup(&b);
	if (ret || bt_engine_init(&e, &b, &pol)) {
		fprintf(stderr, "keel_demo_bt: setting up the guest: %s\n",
			strerror(-ret));
		bt_vm_free(&b);
		return 1;
	}
	printf("A KVM guest stores %llu qwords a round over 64 KiB that "
	       "keel_mirror protects (object %u).\n"
	       "Keel's policy: a site with %llu trapped stores in a round is "
	       "hot, %u translations at most, dropped after %u cold rounds.\n\n",
	       (unsigned long long)STORES, b.id,
	       (unsigned long long)pol.threshold, pol.budget, pol.cool);
	snprintf(ids, sizeof(ids), "%u", b.id);
	printf("round  stores  trapped  seconds   stores/s  Keel\n");
	for (r = 0; r < sizeof(busy); r++) {
		before = bt_vm_trapped(&b);
		secs = bt_vm_round(&b, busy[r] ? PASSES : 0, 100 * (r + 1), false);
		traps[r] = bt_vm_trapped(&b) - before;
		if (secs < 0 || (busy[r] && !filled(&b, 100 * (r + 1)))) {
			fprintf(stderr, "keel_demo_bt: round %u went wrong\n", r + 1);
			fail = 1;
			break;
		}
		n = bt_engine_step(&e);
		printf("%5u  %6llu  %7lld  %7.3f  %9.0f  ", r + 1,
		       busy[r] ? (unsigned long long)STORES : 0ull, traps[r],
		       secs, busy[r] ? STORES / secs : 0.0);
		if (n < 0)
			printf("profile unreadable: %s\n", strerror(-n));
		else if (e.translated > t0)
			printf("translated the loop %#llx-%#llx around the hot "
			       "store (%llu instructions, %llu stores, %llu "
			       "bytes, %.1f ms)\n",
			       (unsigned long long)bt_vm_stat(&b, "head"),
			       (unsigned long long)bt_vm_stat(&b, "end"),
			       (unsigned long long)bt_vm_stat(&b, "insns"),
			       (unsigned long long)bt_vm_stat(&b, "stores"),
			       (unsigned long long)bt_vm_stat(&b, "len"),
			       bt_vm_stat(&b, "us") / 1000.0);
		else if (e.refused > f0)
			printf("refused %s\n", e.err);
		else if (e.dropped > d0)
			printf("dropped the cold translation: original bytes back\n");
		else
			printf("%s\n", busy[r] ? "-" : "(the guest idles)");
		if ((r == 0 || r == 2) &&
		    !keel_test_keelctl((const char *[]){ "mirror", "hotspots",
						ids, NULL },
				       NULL, out, sizeof(out), false))
			printf("\n$ keelctl mirror hotspots %s\n%s\n", ids, out);
		t0 = e.translated;
		d0 = e.dropped;
		f0 = e.refused;
	}
	if (!fail && (e.translated != 2 || e.dropped != 1 || e.refused ||
		      traps[0] != STORES ||
		      traps[1] != 0 || traps[5] != STORES || traps[6] != 0)) {
		fprintf(stderr, "keel_demo_bt: expected the loop translated, "
			"untrapped, dropped, trapped and translated again\n");
		fail = 1;
	}
	if (!fail)
		printf("\nThe mirror equalled the guest's memory after every round.\n");
	bt_vm_free(&b);
	return fail;
}
