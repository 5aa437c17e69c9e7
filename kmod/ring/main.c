// SPDX-License-Identifier: GPL-2.0
/*
 * keel_ring.ko: ring buffers with output commit. Module init and exit.
 * An open /dev/keel-ring file (and so every mapping of one) pins the
 * module (the feature base), so the module is never unloaded with a ring
 * alive.
 */
#include <linux/module.h>

#include "ring.h"

module_keel_feature(keel_ring_feature);

MODULE_DESCRIPTION("Keel ring buffers with output commit");
MODULE_AUTHOR("The Keel developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(KEEL_RELEASE);
