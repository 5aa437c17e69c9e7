// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side interrupt sources: eventfds bound to GSIs with KVM_IRQFD
 * (edge, or level with a resample eventfd), and waiting on eventfds.
 */
#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "keel_irq.h"
#include "keel_vm.h"
#include "internal.h"

struct keel_irqfd *vm_irqfd_add(struct keel_vm *vm, uint32_t gsi,
				bool resample)
{
	struct keel_irqfd *irqfd;
	struct kvm_irqfd req = { .gsi = gsi };
	int err;

	if (!(vm->flags & KEEL_VM_IRQCHIP)) {
		errno = -keel_err(EINVAL, "irqfd needs KEEL_VM_IRQCHIP");
		return NULL;
	}
	if (vm->nr_irqfds == KEEL_MAX_IRQFDS) {
		errno = -keel_err(ENOSPC, "too many irqfds");
		return NULL;
	}
	irqfd = &vm->irqfds[vm->nr_irqfds];
	irqfd->gsi = gsi;
	irqfd->resample_fd = -1;
	irqfd->fd = eventfd(0, EFD_CLOEXEC);
	if (irqfd->fd < 0) {
		errno = -keel_err(errno, "eventfd");
		return NULL;
	}
	if (resample) {
		irqfd->resample_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (irqfd->resample_fd < 0) {
			err = keel_err(errno, "eventfd");
			goto fail;
		}
		req.flags = KVM_IRQFD_FLAG_RESAMPLE;
		req.resamplefd = irqfd->resample_fd;
	}
	req.fd = irqfd->fd;
	if (ioctl(vm->fd, KVM_IRQFD, &req)) {
		err = keel_err(errno, "KVM_IRQFD");
		goto fail;
	}
	vm->nr_irqfds++;
	return irqfd;
fail:
	close(irqfd->fd);
	if (irqfd->resample_fd >= 0)
		close(irqfd->resample_fd);
	errno = -err;
	return NULL;
}

int irqfd_trigger(const struct keel_irqfd *irqfd)
{
	uint64_t one = 1;

	if (write(irqfd->fd, &one, sizeof(one)) != sizeof(one))
		return keel_err(errno, "irqfd write");
	return 0;
}

int64_t eventfd_wait(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t count;
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return keel_err(errno, "poll eventfd");
	if (!ret)
		return 0;
	if (read(fd, &count, sizeof(count)) != sizeof(count))
		return keel_err(errno, "read eventfd");
	return (int64_t)count;
}
