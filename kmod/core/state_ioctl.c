// SPDX-License-Identifier: GPL-2.0
/*
 * The state ioctls (0x90-0x9f) that feature modules route from their own
 * files: KEEL_STATE_IOC_GET/STOP/RESUME/SAVE/LOAD/SWAP. Blobs come in
 * through a file descriptor the VMM names and go out through a new
 * read-only file holding the snapshot.
 */
#include <linux/module.h>
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/pagemap.h>
#include <linux/uaccess.h>

#include "core.h"

#define KEEL_STATE_INFO_SIZE_VER0	48
#define KEEL_STATE_XFER_SIZE_VER0	32

/* ---- the snapshot file ---- */

struct keel_state_snap {
	void *buf;
	size_t len;
};

static ssize_t keel_state_snap_read(struct file *file, char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	struct keel_state_snap *snap = file->private_data;

	return simple_read_from_buffer(ubuf, count, ppos, snap->buf,
				       snap->len);
}

static int keel_state_snap_release(struct inode *inode, struct file *file)
{
	struct keel_state_snap *snap = file->private_data;

	kvfree(snap->buf);
	kfree(snap);
	return 0;
}

static const struct file_operations keel_state_snap_fops = {
	.owner = THIS_MODULE,
	.read = keel_state_snap_read,
	.release = keel_state_snap_release,
};

/* An fd reserved and a file made before the command changes anything. */
struct keel_state_out {
	int fd;
	struct file *file;
	struct keel_state_snap *snap;
};

static int keel_state_out_prepare(struct keel_state_out *out)
{
	int ret;

	out->snap = kzalloc(sizeof(*out->snap), GFP_KERNEL_ACCOUNT);
	if (!out->snap)
		return -ENOMEM;
	out->fd = get_unused_fd_flags(O_CLOEXEC);
	if (out->fd < 0) {
		ret = out->fd;
		goto free;
	}
	out->file = anon_inode_getfile("[keel-state]", &keel_state_snap_fops,
				       out->snap, O_RDONLY);
	if (IS_ERR(out->file)) {
		ret = PTR_ERR(out->file);
		put_unused_fd(out->fd);
		goto free;
	}
	return 0;
free:
	kfree(out->snap);
	return ret;
}

/* Undo a prepared output; the file's release frees the snapshot. */
static void keel_state_out_cancel(struct keel_state_out *out)
{
	fput(out->file);
	put_unused_fd(out->fd);
}

/* ---- the blob source ---- */

/*
 * Read the whole blob from @fd: a regular file (or memfd) from offset 0
 * to its end, a pipe or socket until end of file (the offset is ignored
 * there). -EFBIG past @max bytes.
 */
static int keel_state_read_fd(int fd, size_t max, void **blob, size_t *len)
{
	size_t cap = max + 1, got = 0;
	struct file *file;
	loff_t pos = 0;
	void *buf;
	ssize_t n;
	int ret;

	file = fget(fd);
	if (!file)
		return -EBADF;
	ret = -EBADF;
	if (!(file->f_mode & FMODE_READ))
		goto put;
	ret = -ENOMEM;
	buf = kvmalloc(cap, GFP_KERNEL_ACCOUNT);
	if (!buf)
		goto put;

	for (;;) {
		n = kernel_read(file, buf + got, cap - got, &pos);
		if (n < 0) {
			ret = n;
			goto free;
		}
		if (!n)
			break;
		got += n;
		if (got == cap) {
			ret = -EFBIG;
			goto free;
		}
	}
	*blob = buf;
	*len = got;
	fput(file);
	return 0;
free:
	kvfree(buf);
put:
	fput(file);
	return ret;
}

/* ---- the ioctls ---- */

static long keel_state_ioc_get(struct keel_state *st, unsigned int cmd,
			       void __user *uarg)
{
	struct keel_state_info info;
	int ret;

	BUILD_BUG_ON(sizeof(info) != KEEL_STATE_INFO_SIZE_VER0);
	ret = keel_copy_ioctl_arg(&info, sizeof(info),
				  KEEL_STATE_INFO_SIZE_VER0, 0, cmd, uarg);
	if (ret)
		return ret;
	keel_state_snapshot(st, &info, NULL);
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

/* What SAVE, LOAD and SWAP write back, and where. */
struct keel_state_ioc_result {
	struct keel_state_xfer x;
	struct keel_state_xfer __user *uarg;
};

/*
 * Called by keel_state_xfer() before the object changes: once the result
 * is in the caller's memory nothing can fail any more (the fd is
 * installed after the command, which cannot fail).
 */
/*
 * Runs under the state mutex, which listings do not need but commands
 * do: the caller faulted the argument in beforehand, and the copy never
 * faults (copy_to_user_nofault()), so a page nobody serves (userfaultfd, FUSE)
 * cannot hold the mutex. A fault here changes nothing; the caller
 * faults in again (fault_in_safe_writeable(), which, unlike
 * fault_in_writeable(), writes nothing into the struct) and retries.
 */
static int keel_state_ioc_report(void *arg, size_t out_len)
{
	struct keel_state_ioc_result *r = arg;

	r->x.save_len = out_len;
	return copy_to_user_nofault(r->uarg, &r->x, sizeof(r->x));
}

static long keel_state_ioc_xfer(struct keel_state *st, unsigned int cmd,
				void __user *uarg)
{
	unsigned int nr = _IOC_NR(cmd);
	bool loading = nr != _IOC_NR(KEEL_STATE_IOC_SAVE);
	bool saving = nr != _IOC_NR(KEEL_STATE_IOC_LOAD);
	struct keel_state_out out = { .fd = -1 };
	struct keel_state_ioc_result r = { .uarg = uarg };
	struct keel_state_xfer *x = &r.x;
	void *in = NULL;
	size_t in_len = 0;
	int ret, tries;

	BUILD_BUG_ON(sizeof(*x) != KEEL_STATE_XFER_SIZE_VER0);
	ret = keel_copy_ioctl_arg(x, sizeof(*x), KEEL_STATE_XFER_SIZE_VER0,
				  KEEL_STATE_XFER_FLAGS_ALL, cmd, uarg);
	if (ret)
		return ret;

	if (loading) {
		ret = keel_state_read_fd(x->load_fd, st->max_len, &in,
					 &in_len);
		if (ret)
			return ret;
	}
	if (saving) {
		ret = keel_state_out_prepare(&out);
		if (ret)
			goto free_in;
	}

	/* The result as it will be; save_len is filled in by the report. */
	x->load_len = loading ? in_len : 0;
	x->save_len = 0;
	x->save_fd = saving ? out.fd : -1;
	/* A report that faulted changed nothing: fault in, try again. */
	for (tries = 0; ; tries++) {
		ret = -EFAULT;
		if (fault_in_safe_writeable(uarg, sizeof(*x)))
			goto cancel;
		ret = keel_state_xfer(st, in, in_len,
				      saving ? &out.snap->buf : NULL,
				      saving ? &out.snap->len : NULL, NULL,
				      keel_state_ioc_report, &r);
		if (ret != -EFAULT || tries == 2)
			break;
	}
	if (ret)
		goto cancel;
	if (saving)
		fd_install(out.fd, out.file);
	kvfree(in);
	return 0;

cancel:
	if (saving)
		keel_state_out_cancel(&out);
free_in:
	kvfree(in);
	return ret;
}

/**
 * keel_state_ioctl() - run a state ioctl (0x90-0x9f) on an object
 * @st: the object's state
 * @cmd: the ioctl number (keel_state_ioctl_nr() is true for it)
 * @uarg: the ioctl's argument
 *
 * KEEL_STATE_IOC_GET, STOP, RESUME, SAVE, LOAD and SWAP (see
 * linux/keel_state.h). LOAD and SWAP read the whole blob from the
 * argument's load_fd before the object changes; SAVE and SWAP return the
 * blob in a new read-only file, whose fd is installed only once the
 * command succeeded. The result is copied back to @uarg before the
 * object changes: a command that fails, with -EFAULT included, changed
 * nothing and counted nothing. The feature base routes these ioctls of its
 * instances here itself; an object outside the base calls this from its
 * file's ioctl handler.
 *
 * Context: process context, from an ioctl; sleeps (the state mutex, user
 * memory, file I/O). Not holding a lock the state ops take.
 *
 * Return: 0; -ENOTTY for a number or direction that is not a state ioctl;
 * the errors of keel_copy_ioctl_arg(); -EBADF when load_fd is not open or
 * not open for reading, a read error of it, or -EFBIG when its blob is
 * larger than the object's limit; -ENOMEM or -EMFILE for the output file;
 * -EFAULT; or the errors of the command (keel_state_stop(),
 * keel_state_resume(), keel_state_save(), keel_state_load(),
 * keel_state_swap()).
 */
long keel_state_ioctl(struct keel_state *st, unsigned int cmd,
		      void __user *uarg)
{
	switch (cmd) {
	case KEEL_STATE_IOC_STOP:
		return keel_state_stop(st);
	case KEEL_STATE_IOC_RESUME:
		return keel_state_resume(st);
	}

	/* Extensible structs: match on number and direction, not size. */
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(KEEL_STATE_IOC_GET):
		if (_IOC_DIR(cmd) != _IOC_DIR(KEEL_STATE_IOC_GET))
			return -ENOTTY;
		return keel_state_ioc_get(st, cmd, uarg);
	case _IOC_NR(KEEL_STATE_IOC_SAVE):
	case _IOC_NR(KEEL_STATE_IOC_LOAD):
	case _IOC_NR(KEEL_STATE_IOC_SWAP):
		if (_IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
			return -ENOTTY;
		return keel_state_ioc_xfer(st, cmd, uarg);
	default:
		return -ENOTTY;
	}
}
EXPORT_SYMBOL_GPL(keel_state_ioctl);
