// SPDX-License-Identifier: GPL-2.0
/*
 * Reading small sysfs files for the host inventory. Some facts a cloud
 * scheduler needs (huge page pools, KVM's vendor module and its "nested"
 * parameter) are only published by their owners through sysfs, not
 * through symbols a module may use; this file is the one place that reads
 * them, and the parsers for what it reads.
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "core.h"

/*
 * Read at most @len - 1 bytes of @path into @buf, NUL-terminated.
 * Returns the number of bytes read or a negative errno (-ENOENT when the
 * file does not exist, which callers take as "not present").
 */
int keel_read_small_file(const char *path, char *buf, size_t len)
{
	struct file *file;
	loff_t pos = 0;
	ssize_t n;

	if (!len)
		return -EINVAL;

	file = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(file))
		return PTR_ERR(file);

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
