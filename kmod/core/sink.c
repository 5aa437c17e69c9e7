// SPDX-License-Identifier: GPL-2.0
/*
 * Sinks of Keel object threads (include/keel/thread.h): a socket or a
 * file that takes writes, sent to whole from kernel memory.
 */
#include <linux/module.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/uio.h>

#include <keel/core.h>

int keel_sink_get(struct keel_sink *s, int fd)
{
	struct file *file;
	struct socket *sock;
	umode_t mode;

	file = fget(fd);
	if (!file)
		return -EBADF;
	if (!(file->f_mode & FMODE_WRITE)) {
		fput(file);
		return -EBADF;
	}
	sock = sock_from_file(file);
	mode = file_inode(file)->i_mode;
	/*
	 * Otherwise a pipe or a character device (a tap) that takes kernel
	 * writes: ->write_iter and no ->write (which would want a user
	 * buffer, and is what a Keel ring has). Not a regular file: there
	 * is no position to write at.
	 */
	if (!sock && (!(S_ISFIFO(mode) || S_ISCHR(mode)) ||
		      !file->f_op->write_iter || file->f_op->write)) {
		fput(file);
		return -EINVAL;
	}
	s->file = file;
	s->sock = sock;
	return 0;
}
EXPORT_SYMBOL_GPL(keel_sink_get);

int keel_sink_get_socket(struct keel_sink *s, int fd, int type)
{
	struct file *file;
	struct socket *sock;

	file = fget(fd);
	if (!file)
		return -EBADF;
	sock = sock_from_file(file);
	if (!sock || (type && sock->type != type)) {
		fput(file);
		return -EINVAL;
	}
	s->file = file;
	s->sock = sock;
	return 0;
}
EXPORT_SYMBOL_GPL(keel_sink_get_socket);

void keel_sink_put(struct keel_sink *s)
{
	if (s->file)
		fput(s->file);
	s->file = NULL;
	s->sock = NULL;
}
EXPORT_SYMBOL_GPL(keel_sink_put);

int keel_sink_send(struct keel_sink *s, struct kvec *iov, size_t nr,
		   size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	struct iov_iter iter;
	loff_t pos = 0;
	ssize_t ret;

	if (s->sock) {
		/* One message; a stream socket sends it all or fails. */
		ret = kernel_sendmsg(s->sock, &msg, iov, nr, len);
		if (ret >= 0 && ret != len)
			ret = -EIO;
		return ret < 0 ? ret : 0;
	}
	/* One write, continued only if the file took part of it. */
	iov_iter_kvec(&iter, ITER_SOURCE, iov, nr, len);
	while (iov_iter_count(&iter)) {
		ret = vfs_iter_write(s->file, &iter, &pos, 0);
		if (ret < 0)
			return ret;
		if (!ret)
			return -EIO;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(keel_sink_send);

int keel_sink_recv(struct keel_sink *s, void *buf, size_t len)
{
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {};
	int ret;

	if (WARN_ON(!s->sock))
		return -ENOTSOCK;
	if (!len)
		return 0;
	ret = kernel_recvmsg(s->sock, &msg, &iov, 1, len, MSG_WAITALL);
	if (ret < 0)
		return ret;
	return ret == len ? 0 : -ECONNRESET;
}
EXPORT_SYMBOL_GPL(keel_sink_recv);
