/* SPDX-License-Identifier: GPL-2.0 */
/*
 * This machine as a host of the cloud: keel.ko's host inventory
 * (libkeel's struct keel_host) turned into a stored host.
 */
#ifndef KEELD_LOCAL_INV_H
#define KEELD_LOCAL_INV_H

#include "libkeel.h"
#include "store.h"

/* Room for the features of one host: names and separators. */
#define LOCAL_FEATURES_MAX	(KEELD_MAX_HOST_FEATURES * (KEELD_FEAT_NAME_MAX + 1))

/*
 * Fill @out as host @id: vCPUs (online CPUs), memory (all NUMA nodes),
 * huge pages per size, and features: "cpu:<flag>" for every CPU flag
 * that is a valid feature name, "kvm:<vendor>" ("kvm:amd" for kvm_amd) and "kvm:nested" when
 * KVM is usable, "keel:<part>" for every loaded Keel module.
 * @features (LOCAL_FEATURES_MAX bytes) holds the names. -EINVAL when
 * the inventory has no CPUs or memory.
 */
int local_inventory(const struct keel_host *kh, uint32_t id,
		    struct store_host *out, char *features);

/* Drop every "keel:" feature from @features in place (keel.ko is gone). */
void local_drop_keel(char *features);

#endif /* KEELD_LOCAL_INV_H */
