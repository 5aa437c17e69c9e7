// SPDX-License-Identifier: GPL-2.0
/*
 * keel_remote.ko: remote I/O. A VM's virtio block device whose requests
 * are served by a keel-iod over the network. Module init and exit; an
 * open /dev/keel-remote file pins the module (the feature base), so the
 * module is never unloaded with a device alive.
 */
#include <linux/module.h>

#include "remote.h"

static int __init keel_remote_init(void)
{
	return keel_feature_register(&keel_remote_feature);
}

static void __exit keel_remote_exit(void)
{
	keel_feature_unregister(&keel_remote_feature);
}

module_init(keel_remote_init);
module_exit(keel_remote_exit);

MODULE_DESCRIPTION("Keel remote I/O: virtio-blk requests served by keel-iod");
MODULE_AUTHOR("The Keel developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(KEEL_RELEASE);
