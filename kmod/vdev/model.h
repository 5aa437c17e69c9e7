/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device-model interface of keel_vdev.ko: what one in-kernel virtual
 * device model (a 16550A UART, ...) implements, and the services the vdev
 * framework gives it. A new device model is one file with one
 * struct keel_vdev_model.
 *
 * Context rules. guest_read()/guest_write() run on the vCPU thread inside
 * KVM's exit handling (kvm->srcu held, preemption enabled, but KVM's
 * locks may be held): they must not sleep. The framework calls every
 * model callback with the device's spinlock held (dev->lock, taken with
 * spin_lock_irqsave), so a model needs no locking of its own for its
 * state; the host-side byte streams below are also only touched under it.
 */
#ifndef _KEEL_VDEV_MODEL_H
#define _KEEL_VDEV_MODEL_H

#include <linux/types.h>
#include <linux/spinlock.h>
#include <linux/kfifo.h>

struct keel_vdev;

/*
 * Per-device counters, read over netlink. Updated under dev->lock. The
 * core counts exits_kept (hook.c) and irqs (irq.c); the model counts the
 * rest: reads/writes per register in its guest_read/guest_write, bytes_out
 * and bytes_in as it moves bytes to and from the host streams.
 */
struct keel_vdev_stats {
	u64 reads[16];		/* guest reads per register offset */
	u64 writes[16];		/* guest writes per register offset */
	u64 bytes_out;		/* guest -> host stream */
	u64 bytes_in;		/* host stream -> guest */
	u64 irqs;		/* interrupts raised (irqfd signals) */
	u64 exits_kept;		/* accesses handled without a VMM exit */
};

struct keel_vdev_model {
	const char *name;	/* "uart16550a" */
	u32 id;			/* KEEL_VDEV_MODEL_* (uapi) */
	u32 nr_regs;		/* size of the claimed range, in bytes */
	size_t state_size;	/* bytes of model state in dev->model_state */

	/* Power-on state. Also called by the VMM's reset ioctl. */
	void (*reset)(struct keel_vdev *dev);

	/*
	 * One guest access at @offset (< nr_regs) of @len bytes (1, 2, 4).
	 * Return 0 when handled; a negative errno makes the access leave to
	 * the VMM as an ordinary exit.
	 */
	int (*guest_read)(struct keel_vdev *dev, u32 offset, void *val,
			  int len);
	int (*guest_write)(struct keel_vdev *dev, u32 offset, const void *val,
			   int len);

	/*
	 * The host side (the VMM's device fd) wrote bytes into dev->rx or
	 * read bytes from dev->tx: the model updates its status and
	 * interrupt line (for a UART: RX data ready, TX space freed).
	 */
	void (*host_rx_ready)(struct keel_vdev *dev);
	void (*host_tx_space)(struct keel_vdev *dev);

	/*
	 * State for the state framework (state.c): the model's section of
	 * a vdev blob. save() serialises the model state into @buf (at most
	 * @len bytes) and returns the length or -errno. check() validates a
	 * section of @version (1..state_version) without a device; load()
	 * validates again and applies it, all or nothing, and sets the
	 * interrupt line from it; it moves no bytes between the model and
	 * the host streams (the framework settles those on RESUME).
	 */
	u32 state_type;		/* KEEL_STATE_TYPE_* of a device of it */
	u16 state_version;	/* the section version save() writes */
	u32 state_len;		/* the most bytes save() writes */
	ssize_t (*save)(struct keel_vdev *dev, void *buf, size_t len);
	int (*check)(const void *buf, size_t len, u16 version);
	int (*load)(struct keel_vdev *dev, const void *buf, size_t len,
		    u16 version);
};

#define KEEL_VDEV_STREAM_SIZE	4096	/* host-side buffers, bytes */

struct keel_vdev {
	/* Protects everything below and the model state. */
	spinlock_t lock;
	const struct keel_vdev_model *model;
	void *model_state;

	/* Guest -> host bytes (UART THR): the VMM reads them from its fd. */
	DECLARE_KFIFO(tx, u8, KEEL_VDEV_STREAM_SIZE);
	/* Host -> guest bytes (UART RBR): the VMM writes them to its fd. */
	DECLARE_KFIFO(rx, u8, KEEL_VDEV_STREAM_SIZE);

	/* The interrupt line as the model drives it. */
	bool irq_level;
	/*
	 * RUNNING in the state framework's sense. While false the framework
	 * signals no interrupt (the line level is still recorded) and the
	 * host streams do not call the model.
	 */
	bool running;

	struct keel_vdev_stats stats;
};

/*
 * Drive the device's interrupt line. The framework turns it into irqfd
 * signals: on each rising edge (edge mode), or asserted until the guest's
 * EOI and re-asserted while still high (level mode, with a resample fd);
 * none while the device is stopped. Callable with dev->lock held, from any
 * context.
 */
void keel_vdev_set_irq(struct keel_vdev *dev, bool level);

/* Wake the VMM's readers/writers after tx gained bytes or rx gained room. */
void keel_vdev_host_notify(struct keel_vdev *dev);

#endif /* _KEEL_VDEV_MODEL_H */
