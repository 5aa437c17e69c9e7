// SPDX-License-Identifier: GPL-2.0
/*
 * keel.ko: the core every Keel feature module builds on. Module init and
 * exit, in dependency order.
 */
#include <linux/module.h>

#include "core.h"

static int __init keel_init(void)
{
	int ret;

	ret = keel_registry_init();
	if (ret)
		return ret;
	ret = keel_netlink_init();
	if (ret)
		goto err_registry;
	ret = keel_vm_ctx_init();
	if (ret)
		goto err_netlink;
	ret = keel_io_claims_init();
	if (ret)
		goto err_vm_ctx;
	ret = keel_dev_init();
	if (ret)
		goto err_io;

	pr_info("Keel %s core loaded\n", KEEL_RELEASE);
	return 0;

err_io:
	keel_io_claims_exit();
err_vm_ctx:
	keel_vm_ctx_exit();
err_netlink:
	keel_netlink_exit();
	keel_host_facts_exit();
err_registry:
	keel_registry_exit();
	return ret;
}

static void __exit keel_exit(void)
{
	keel_dev_exit();
	keel_attach_exit();
	keel_io_claims_exit();
	keel_vm_ctx_exit();
	keel_netlink_exit();
	keel_host_facts_exit();
	keel_registry_exit();
}

module_init(keel_init);
module_exit(keel_exit);

MODULE_DESCRIPTION("Keel core: VM references, object registry, netlink family");
MODULE_AUTHOR("The Keel developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(KEEL_RELEASE);
MODULE_ALIAS_GENL_FAMILY(KEEL_GENL_NAME);
