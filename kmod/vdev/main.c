// SPDX-License-Identifier: GPL-2.0
/*
 * keel_vdev.ko: in-kernel virtual devices on KVM exits. Module init and
 * exit. An open /dev/keel-vdev file pins the module (the feature base),
 * so the module is never unloaded with a device alive.
 */
#include <linux/module.h>

#include "vdev.h"

static int __init keel_vdev_init(void)
{
	return keel_feature_register(&keel_vdev_feature);
}

static void __exit keel_vdev_exit(void)
{
	keel_feature_unregister(&keel_vdev_feature);
}

module_init(keel_vdev_init);
module_exit(keel_vdev_exit);

MODULE_DESCRIPTION("Keel in-kernel virtual devices on KVM exits");
MODULE_AUTHOR("The Keel developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(KEEL_RELEASE);
