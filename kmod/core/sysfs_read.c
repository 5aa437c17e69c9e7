// SPDX-License-Identifier: GPL-2.0
/*
 * Reading small sysfs files for the host inventory. Some facts a cloud
 * scheduler needs (huge page pools, KVM's vendor module and its "nested"
 * parameter) are only published by their owners through sysfs, not
 * through symbols a module may use; this file is the one place that reads
 * them, and the parsers for what it reads. Only host_facts.c's worker
 * calls the reader, never a handler running in a caller's context.
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/magic.h>
#include <linux/sched/task.h>
#include <linux/string.h>

#include "core.h"

/*
 * Read at most @len - 1 bytes of the sysfs file @path into @buf,
 * NUL-terminated. @path is resolved from the root of the host's initial
 * mount namespace, as the kernel reads firmware, so no mount a caller
 * made in a namespace of its own is seen. It is opened without blocking
 * and read only if it is on sysfs: a FIFO or another file system bound
 * over it gives -EINVAL, never a wait. Returns the number of bytes read
 * or a negative errno (-ENOENT when the file does not exist, which
 * callers take as "not present").
 */
int keel_read_small_file(const char *path, char *buf, size_t len)
{
	struct file *file;
	struct path root;
	loff_t pos = 0;
	ssize_t n;

	if (!len)
		return -EINVAL;

	task_lock(&init_task);
	get_fs_root(init_task.fs, &root);
	task_unlock(&init_task);
	file = file_open_root(&root, path, O_RDONLY | O_NONBLOCK, 0);
	path_put(&root);
	if (IS_ERR(file))
		return PTR_ERR(file);

	if (file_inode(file)->i_sb->s_magic != SYSFS_MAGIC ||
	    !S_ISREG(file_inode(file)->i_mode)) {
		filp_close(file, NULL);
		return -EINVAL;
	}
	n = kernel_read(file, buf, len - 1, &pos);
	filp_close(file, NULL);
	if (n < 0)
		return n;
	buf[n] = '\0';
	return n;
}

/* A bool or int module parameter as sysfs shows it: "Y"/"N" or a number. */
int keel_parse_bool_param(const char *s, bool *val)
{
	char tmp[8];
	int v;

	strscpy(tmp, s, sizeof(tmp));
	strim(tmp);
	if (!strcmp(tmp, "Y") || !strcmp(tmp, "y")) {
		*val = true;
		return 0;
	}
	if (!strcmp(tmp, "N") || !strcmp(tmp, "n")) {
		*val = false;
		return 0;
	}
	if (kstrtoint(tmp, 0, &v))
		return -EINVAL;
	*val = v != 0;
	return 0;
}
EXPORT_SYMBOL_IF_KEEL_KUNIT(keel_parse_bool_param);

/* One unsigned decimal number, optionally followed by a newline. */
int keel_parse_u64_line(const char *s, u64 *val)
{
	return kstrtou64(s, 10, val);
}
EXPORT_SYMBOL_IF_KEEL_KUNIT(keel_parse_u64_line);
