// SPDX-License-Identifier: GPL-2.0
/*
 * Probe: write tracking by gfn, with callbacks that get no vCPU and a
 * removed region instead of a flushed memslot (6.6+).
 */
#include <linux/kvm_host.h>
#include <asm/kvm_page_track.h>

int keel_probe(struct kvm *kvm, gfn_t gfn);
int keel_probe(struct kvm *kvm, gfn_t gfn)
{
	struct kvm_page_track_notifier_node n = { .track_remove_region = NULL };

	(void)n;
	return kvm_write_track_add_gfn(kvm, gfn);
}
