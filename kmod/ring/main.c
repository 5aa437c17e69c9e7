// SPDX-License-Identifier: GPL-2.0
/*
 * keel_ring.ko: ring buffers with output commit. Module init and exit.
 * An open /dev/keel-ring file (and so every mapping of one) pins the
 * module (fops owner), so the module is never unloaded with a ring alive.
 */
#include <linux/module.h>

#include "ring.h"

static int __init keel_ring_init(void)
{
	return keel_feature_register(&keel_ring_feature);
}

static void __exit keel_ring_exit(void)
{
	keel_feature_unregister(&keel_ring_feature);
}

module_init(keel_ring_init);
module_exit(keel_ring_exit);

MODULE_DESCRIPTION("Keel ring buffers with output commit");
MODULE_AUTHOR("The Keel developers");
MODULE_LICENSE("GPL");
