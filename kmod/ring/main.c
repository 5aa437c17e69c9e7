// SPDX-License-Identifier: GPL-2.0
/*
 * keel_ring.ko: ring buffers with output commit. Module init and exit.
 * An open /dev/keel-ring file (and so every mapping of one) pins the
 * module (fops owner), so the module is never unloaded with a ring alive.
 */
#include <linux/module.h>

#include "ring.h"

struct keel_part keel_ring_part = {
	.name = "ring",
	.owner = THIS_MODULE,
};

static int __init keel_ring_init(void)
{
	int ret;

	ret = keel_part_register(&keel_ring_part);
	if (ret)
		return ret;
	ret = keel_ring_dev_init();
	if (ret)
		keel_part_unregister(&keel_ring_part);
	return ret;
}

static void __exit keel_ring_exit(void)
{
	keel_ring_dev_exit();
	keel_part_unregister(&keel_ring_part);
}

module_init(keel_ring_init);
module_exit(keel_ring_exit);

MODULE_DESCRIPTION("Keel ring buffers with output commit");
MODULE_AUTHOR("The Keel developers");
MODULE_LICENSE("GPL");
