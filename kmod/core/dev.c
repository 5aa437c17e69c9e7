// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/keel: each open file may bind one KVM VM, keeping a counted
 * reference to it until the file is released. A binding is listed as an
 * object of type "vm", so operators see which VMs Keel holds and who
 * created them. keel.ko's own feature on the base of feature.c; its
 * part is "core".
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>

#include "core.h"

/* The first (and so far only) layout of struct keel_vm_bind. */
#define KEEL_VM_BIND_SIZE_VER0	48

/* What a "vm" object reports. */
struct keel_vm_info {
	u32 vcpus;
	u8 dead;
};

static const struct keel_info_field keel_vm_fields[] = {
	KEEL_INFO_U32(struct keel_vm_info, vcpus, KEEL_VM_INFO_A_VCPUS,
		      KEEL_INFO_BRIEF),
	KEEL_INFO_BOOL(struct keel_vm_info, dead, KEEL_VM_INFO_A_DEAD,
		       KEEL_INFO_BRIEF),
};

static int keel_vm_snapshot(struct keel_object *obj, void *snap)
{
	struct keel_vm_info *info = snap;
	struct kvm *kvm = obj->kvm;

	info->vcpus = READ_ONCE(kvm->created_vcpus);
	/* Only our own reference is left: the VMM closed its fds. */
	info->dead = refcount_read(&kvm->users_count) == 1;
	return 0;
}

static const struct keel_object_type keel_vm_type = {
	.name = "vm",
	.info = keel_vm_fields,
	.nr_info = ARRAY_SIZE(keel_vm_fields),
	.info_size = sizeof(struct keel_vm_info),
	.snapshot = keel_vm_snapshot,
};

static long keel_vm_bind(struct keel_inst *inst, unsigned int cmd,
			 void __user *uarg)
{
	struct keel_vm_bind __user *ubind = uarg;
	struct keel_vm_bind arg;
	int ret;

	BUILD_BUG_ON(sizeof(arg) != KEEL_VM_BIND_SIZE_VER0);

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), KEEL_VM_BIND_SIZE_VER0,
				  KEEL_VM_BIND_FLAGS_ALL, cmd, uarg);
	if (!ret)
		ret = keel_inst_setup_begin_vm(inst, arg.label,
					       sizeof(arg.label), arg.vm_fd);
	/* The VM is all a bound instance has: nothing else to build. */
	if (!ret)
		ret = keel_inst_setup_end(inst, 0, &ubind->id);
	return ret;
}

static const struct keel_ioctl keel_vm_ioctls[] = {
	{ KEEL_IOC_VM_BIND, keel_vm_bind, KEEL_IOCTL_SETUP },
};

static struct keel_feature keel_vm_feature = {
	.name = "core",
	.devname = "keel",
	.owner = THIS_MODULE,
	.type = &keel_vm_type,
	.ops = {
		/* A binding is only the VM reference, which the base holds. */
		.size = sizeof(struct keel_inst),
		.ioctls = keel_vm_ioctls,
		.nr_ioctls = ARRAY_SIZE(keel_vm_ioctls),
	},
};

int keel_dev_init(void)
{
	return keel_feature_register(&keel_vm_feature);
}

void keel_dev_exit(void)
{
	keel_feature_unregister(&keel_vm_feature);
}
