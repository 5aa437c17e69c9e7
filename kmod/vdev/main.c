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
	int ret;

	ret = keel_vdev_claims_init();
	if (ret)
		return ret;
	ret = keel_vdev_hook_init();
	if (ret)
		goto err_claims;
	ret = keel_feature_register(&keel_vdev_feature);
	if (ret)
		goto err_hook;
	return 0;

err_hook:
	keel_vdev_hook_exit();
err_claims:
	keel_vdev_claims_exit();
	return ret;
}

static void __exit keel_vdev_exit(void)
{
	keel_feature_unregister(&keel_vdev_feature);
	keel_vdev_hook_exit();
	keel_vdev_claims_exit();
}

module_init(keel_vdev_init);
module_exit(keel_vdev_exit);

MODULE_DESCRIPTION("Keel in-kernel virtual devices on KVM exits");
MODULE_AUTHOR("The Keel developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(KEEL_RELEASE);
