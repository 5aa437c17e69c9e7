// SPDX-License-Identifier: GPL-2.0
/*
 * Counted references to KVM VMs, taken from a VM fd that userspace hands
 * to a Keel module. Holding one keeps struct kvm (and the vendor module)
 * alive after the VMM closed its fds; the last put destroys the VM.
 */
#include <linux/module.h>
#include <linux/file.h>
#include <linux/kvm_host.h>

#include "core.h"
#include "../compat/keel_compat.h"

/*
 * The file of KVM VM fd @fd of the calling process: ERR_PTR(-EBADF) when
 * @fd is not open, ERR_PTR(-EINVAL) when it is not a KVM VM fd.
 */
struct file *keel_vm_fget(int fd)
{
	struct file *file = fget(fd);

	if (!file)
		return ERR_PTR(-EBADF);
	if (!keel_file_is_kvm(file)) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	return file;
}

/**
 * keel_vm_get() - take a counted reference to the VM of a VM fd
 * @fd: a file descriptor of the calling process
 *
 * The reference keeps struct kvm (and the vendor module) alive after the
 * VMM closed its fds; drop it with keel_vm_put().
 *
 * Context: process context (@fd is looked up in current's file table).
 *
 * Return: the VM, or ERR_PTR(-EBADF) when @fd is not open, ERR_PTR(-EINVAL)
 * when it is open but not a KVM VM fd (a vCPU fd, an eventfd, a regular
 * file, ...).
 */
struct kvm *keel_vm_get(int fd)
{
	struct file *file;
	struct kvm *kvm;

	file = keel_vm_fget(fd);
	if (IS_ERR(file))
		return ERR_CAST(file);

	/*
	 * The open file holds a VM reference, so private_data is a live VM
	 * while we hold the file: taking our own reference cannot race with
	 * its destruction.
	 */
	kvm = file->private_data;
	keel_kvm_get(kvm);
	fput(file);
	return kvm;
}
EXPORT_SYMBOL_GPL(keel_vm_get);

/**
 * keel_vm_put() - drop a reference keel_vm_get() took
 * @kvm: the VM
 *
 * Context: process context; may sleep: the last reference destroys the VM.
 */
void keel_vm_put(struct kvm *kvm)
{
	keel_kvm_put(kvm);
}
EXPORT_SYMBOL_GPL(keel_vm_put);

/*
 * KVM names each VM "kvm-<pid of its creator>" for its statistics; that
 * is the only record of the creator that survives the VMM's exit.
 */
int keel_parse_stats_pid(const char *stats_id, pid_t *pid)
{
	int v;

	if (strncmp(stats_id, "kvm-", 4) || kstrtoint(stats_id + 4, 10, &v) ||
	    v <= 0)
		return -EINVAL;
	*pid = v;
	return 0;
}
EXPORT_SYMBOL_IF_KEEL_KUNIT(keel_parse_stats_pid);

/**
 * keel_vm_creator_pid() - the pid of the process that created a VM
 * @kvm: the VM, referenced by the caller
 *
 * Read from the name KVM gave the VM for its statistics, "kvm-<pid>",
 * which outlives the VMM: the process may be gone and its pid reused.
 *
 * Context: any.
 *
 * Return: the creator's pid, as KVM recorded it, or 0 when the name does
 * not have that form.
 */
pid_t keel_vm_creator_pid(struct kvm *kvm)
{
	pid_t pid;

	if (keel_parse_stats_pid(kvm->stats_id, &pid))
		return 0;
	return pid;
}
EXPORT_SYMBOL_GPL(keel_vm_creator_pid);
