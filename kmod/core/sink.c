// SPDX-License-Identifier: GPL-2.0
/*
 * Sinks of Keel object threads (include/keel/thread.h): a socket or a
 * file that takes writes, sent to whole from kernel memory with the
 * credentials of the process that handed it in.
 */
#include <linux/module.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <net/sock.h>

#include <keel/core.h>

/**
 * keel_sink_get() - take a socket or a writable file as a sink
 * @s: the sink, filled on success
 * @fd: a file descriptor of the calling process
 *
 * Takes a reference to the file of @fd and to the caller's credentials,
 * which every send uses. The file must be a socket, or a FIFO
 * or character device (a tap) whose writes take kernel memory: one with
 * ->write_iter and no ->write (which would want a user buffer). A regular
 * file is refused: there is no position to write at.
 *
 * Context: process context (@fd is looked up in current's file table).
 *
 * Return: 0, -EBADF when @fd is not open or not open for writing, -EINVAL
 * when its file is none of the above.
 */
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
	s->cred = get_current_cred();
	return 0;
}
EXPORT_SYMBOL_GPL(keel_sink_get);

/**
 * keel_sink_get_socket() - take a socket as a sink
 * @s: the sink, filled on success
 * @fd: a file descriptor of the calling process
 * @type: the socket type it must have (SOCK_STREAM, ...), or 0 for any
 *
 * Takes references to the file and to the caller's credentials, as
 * keel_sink_get().
 *
 * Context: process context (@fd is looked up in current's file table).
 *
 * Return: 0, -EBADF when @fd is not open, -EINVAL when it is not a socket
 * of @type.
 */
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
	s->cred = get_current_cred();
	return 0;
}
EXPORT_SYMBOL_GPL(keel_sink_get_socket);

/**
 * keel_sink_put() - drop a sink's file and credentials
 * @s: the sink; one that holds nothing (zeroed or put) is fine
 *
 * Context: any (fput() defers the file's release where it must).
 */
void keel_sink_put(struct keel_sink *s)
{
	if (s->file)
		fput(s->file);
	if (s->cred)
		put_cred(s->cred);
	s->file = NULL;
	s->sock = NULL;
	s->cred = NULL;
}
EXPORT_SYMBOL_GPL(keel_sink_put);

/*
 * A Keel object holds its sink's file. An AF_UNIX socket also holds the
 * files passed into its receive queue (SCM_RIGHTS) until they are read:
 * if one of them is the object's own file, or leads to it, the two hold
 * each other for ever once every descriptor is closed, and the unix
 * garbage collector, which follows only unix sockets, cannot see the
 * cycle through Keel. Other sockets, pipes and character devices carry
 * no files.
 */
static bool keel_sink_carries_files(const struct keel_sink *s)
{
	return s->sock && s->sock->sk && s->sock->sk->sk_family == AF_UNIX;
}

/**
 * keel_sink_has_input() - is anything queued for reading on the sink?
 * @s: the sink
 *
 * Context: any.
 *
 * Return: true if an AF_UNIX socket sink has messages (and perhaps files)
 * waiting to be read; false otherwise, and always for other sinks.
 */
bool keel_sink_has_input(const struct keel_sink *s)
{
	return keel_sink_carries_files(s) &&
	       !skb_queue_empty_lockless(&s->sock->sk->sk_receive_queue);
}
EXPORT_SYMBOL_GPL(keel_sink_has_input);

/**
 * keel_sink_seal() - let nothing more arrive on a sink, and drop what came
 * @s: the sink
 *
 * For a sink the object only sends on, or one it no longer reads. An
 * AF_UNIX socket is shut down for receiving (its senders get EPIPE; a
 * connected stream or seqpacket peer can no longer send), then what is
 * queued is read and discarded, which releases every file in flight in
 * it. Afterwards no file can reach the sink's queue, so no cycle can form
 * through it. Other sinks carry no files: nothing is done.
 *
 * Context: process context; does not block.
 */
void keel_sink_seal(struct keel_sink *s)
{
	struct msghdr msg;
	struct kvec iov;
	char buf[256];
	int n;

	if (!keel_sink_carries_files(s))
		return;
	kernel_sock_shutdown(s->sock, SHUT_RD);
	/* Ends at the empty queue: nothing is added after the shutdown. */
	do {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		n = kernel_recvmsg(s->sock, &msg, &iov, 1, sizeof(buf),
				   MSG_DONTWAIT);
	} while (n > 0);
}
EXPORT_SYMBOL_GPL(keel_sink_seal);

/**
 * keel_sink_is_stream() - does the sink lose message boundaries?
 * @s: the sink
 *
 * Context: any.
 *
 * Return: true for a byte stream (a SOCK_STREAM socket, a pipe), where a
 * send cut short leaves part of a record on the stream; false for sinks
 * that take each send whole or not at all (datagram and seqpacket
 * sockets, character devices such as a tap).
 */
bool keel_sink_is_stream(const struct keel_sink *s)
{
	if (s->sock)
		return s->sock->type == SOCK_STREAM;
	return S_ISFIFO(file_inode(s->file)->i_mode);
}
EXPORT_SYMBOL_GPL(keel_sink_is_stream);

/**
 * keel_sink_send_part() - send a buffer whole, and say how much went out
 * @s: the sink
 * @iov: the buffer, in kernel memory
 * @nr: entries of @iov
 * @len: bytes in @iov
 * @sent: set to the bytes the sink took, also on error: on a byte stream
 *	(keel_sink_is_stream()) an interrupted send may have put part of
 *	the buffer on the stream
 *
 * As keel_sink_send().
 *
 * Context: process context, normally a &struct keel_thread; sleeps.
 *
 * Return: as keel_sink_send().
 */
int keel_sink_send_part(struct keel_sink *s, struct kvec *iov, size_t nr,
			size_t len, size_t *sent)
{
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	const struct cred *old;
	struct iov_iter iter;
	loff_t pos = 0;
	ssize_t ret = 0;

	*sent = 0;
	old = override_creds(s->cred);
	if (s->sock) {
		/* One message; a stream socket sends it all or fails. */
		ret = kernel_sendmsg(s->sock, &msg, iov, nr, len);
		if (ret > 0)
			*sent = ret;
		if (ret >= 0 && ret != len)
			ret = -EIO;
		goto out;
	}
	/* One write, continued only if the file took part of it. */
	iov_iter_kvec(&iter, ITER_SOURCE, iov, nr, len);
	while (iov_iter_count(&iter)) {
		ret = vfs_iter_write(s->file, &iter, &pos, 0);
		if (ret < 0)
			break;
		if (!ret) {
			ret = -EIO;
			break;
		}
		*sent += ret;
	}
out:
	revert_creds(old);
	return ret < 0 ? ret : 0;
}
EXPORT_SYMBOL_GPL(keel_sink_send_part);

/**
 * keel_sink_send() - send a buffer whole
 * @s: the sink
 * @iov: the buffer, in kernel memory
 * @nr: entries of @iov
 * @len: bytes in @iov
 *
 * Sends @len bytes as one message (a socket) or one write (a file),
 * continued on a file that took only part of it, so that a sink that
 * keeps boundaries sees one record, with the sink's credentials. Blocks
 * until done or interrupted by keel_thread_stop(). No signal is raised
 * for a closed socket peer (MSG_NOSIGNAL); a pipe without readers raises
 * SIGPIPE, which a kernel thread ignores.
 *
 * Context: process context, normally a &struct keel_thread; sleeps.
 *
 * Return: 0, or a negative errno: -EIO when a socket took only part of
 * the buffer (also when interrupted midway) or a file took nothing; -EINTR
 * or -ERESTARTSYS when interrupted; the socket's or file's own error
 * otherwise (-EPIPE, -ECONNRESET, -EAGAIN for a non-blocking file, ...).
 */
int keel_sink_send(struct keel_sink *s, struct kvec *iov, size_t nr,
		   size_t len)
{
	size_t sent;

	return keel_sink_send_part(s, iov, nr, len, &sent);
}
EXPORT_SYMBOL_GPL(keel_sink_send);

/**
 * keel_sink_recv() - receive an exact number of bytes from a socket sink
 * @s: the sink, a socket
 * @buf: where to put them, in kernel memory
 * @len: how many; 0 returns at once
 *
 * Blocks until @len bytes arrived (MSG_WAITALL), the peer closed, or
 * keel_thread_stop() interrupted it.
 *
 * Context: process context, normally a &struct keel_thread; sleeps.
 *
 * Return: 0; -ECONNRESET at end of file or when fewer than @len bytes
 * came (which includes an interruption after part of them); -ENOTSOCK
 * (with a warning) when @s is not a socket; the socket's own error
 * otherwise (-EINTR or -ERESTARTSYS when interrupted first).
 */
int keel_sink_recv(struct keel_sink *s, void *buf, size_t len)
{
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {};
	const struct cred *old;
	int ret;

	if (WARN_ON(!s->sock))
		return -ENOTSOCK;
	if (!len)
		return 0;
	old = override_creds(s->cred);
	ret = kernel_recvmsg(s->sock, &msg, &iov, 1, len, MSG_WAITALL);
	revert_creds(old);
	if (ret < 0)
		return ret;
	return ret == len ? 0 : -ECONNRESET;
}
EXPORT_SYMBOL_GPL(keel_sink_recv);
