/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device-model interface of keel_vdev.ko: what one in-kernel virtual
 * device model (a 16550A UART, ...) implements, and the services the vdev
 * framework gives it. A new model is one file defining one struct
 * keel_vdev_model, its state ops (KEEL_VDEV_STATE_OPS) included, plus one
 * line in the model table (models.c) and its uapi model number.
 *
 * Context rules. guest_read()/guest_write() run on the vCPU thread inside
 * KVM's exit handling (kvm->srcu held, preemption enabled, but KVM's
 * locks may be held): they must not sleep. The framework calls every
 * model callback with the device's spinlock held (dev->lock, taken with
 * spin_lock_irqsave), so a model needs no locking of its own for its
 * state; the host-side byte streams and the counters below are also only
 * touched under it.
 */
#ifndef _KEEL_VDEV_MODEL_H
#define _KEEL_VDEV_MODEL_H

#include <linux/types.h>
#include <linux/spinlock.h>
#include <linux/kfifo.h>
#include <keel/state.h>

struct keel_vdev;

#define KEEL_VDEV_STREAM_SIZE	4096	/* host-side buffers, bytes */

/*
 * The host-side byte streams of a model that has them (a UART: what the
 * guest transmits and what it receives), which the VMM reads from and
 * writes to the device file. The model moves bytes between them and its
 * registers and counts them.
 */
struct keel_vdev_streams {
	/* Guest -> host bytes (UART THR): the VMM reads them from its fd. */
	DECLARE_KFIFO(tx, u8, KEEL_VDEV_STREAM_SIZE);
	/* Host -> guest bytes (UART RBR): the VMM writes them to its fd. */
	DECLARE_KFIFO(rx, u8, KEEL_VDEV_STREAM_SIZE);
	u64 bytes_out;		/* moved into tx */
	u64 bytes_in;		/* moved out of rx */
};

/* Guest accesses to one register (one offset of the claimed range). */
struct keel_vdev_reg_stats {
	u64 reads;
	u64 writes;
};

struct keel_vdev_model {
	const char *name;	/* "uart16550a" */
	u32 id;			/* KEEL_VDEV_MODEL_* (uapi) */
	u32 nr_regs;		/* size of the claimed range, in bytes */
	size_t state_size;	/* bytes of model state in dev->model_state */
	bool streams;		/* has host streams (dev->io) */

	/* Power-on state. Also called by the VMM's reset ioctl. */
	void (*reset)(struct keel_vdev *dev);

	/*
	 * One guest access at @offset (< nr_regs) of @len bytes (1, 2, 4).
	 * Return 0 when handled; a negative errno makes the access leave to
	 * the VMM as an ordinary exit. The model counts the registers it
	 * accessed with keel_vdev_count_read()/_write().
	 */
	int (*guest_read)(struct keel_vdev *dev, u32 offset, void *val,
			  int len);
	int (*guest_write)(struct keel_vdev *dev, u32 offset, const void *val,
			   int len);

	/*
	 * With streams: the VMM wrote bytes into dev->io->rx or read bytes
	 * from dev->io->tx; the model updates its status and interrupt line
	 * (for a UART: RX data ready, TX space freed).
	 */
	void (*host_rx_ready)(struct keel_vdev *dev);
	void (*host_tx_space)(struct keel_vdev *dev);

	/*
	 * State: the model's section of a vdev blob (state.c adds the
	 * streams). save() serialises the model state into @buf (at most
	 * state_len bytes) and returns the length or -errno. check()
	 * validates a section of @version (1..state_version) without a
	 * device; load() validates again and applies it, all or nothing,
	 * and sets the interrupt line from it; it moves no bytes between
	 * the model and the host streams (RESUME settles those).
	 */
	const struct keel_state_ops *state_ops;	/* KEEL_VDEV_STATE_OPS */
	u16 state_version;	/* the section version save() writes */
	u32 state_len;		/* the most bytes save() writes */
	ssize_t (*save)(struct keel_vdev *dev, void *buf, size_t len);
	int (*check)(const void *buf, size_t len, u16 version);
	int (*load)(struct keel_vdev *dev, const void *buf, size_t len,
		    u16 version);
};

struct keel_vdev {
	/* Protects everything below, the streams and the model state. */
	spinlock_t lock;
	const struct keel_vdev_model *model;
	void *model_state;
	struct keel_vdev_streams *io;		/* NULL without streams */
	struct keel_vdev_reg_stats *regs;	/* model->nr_regs of them */
	u64 exits_kept;		/* accesses handled without a VMM exit */
	/*
	 * RUNNING in the state framework's sense. While false no interrupt
	 * is signalled (the line level is still recorded) and the host
	 * streams do not call the model.
	 */
	bool running;
};

/*
 * Drive the device's interrupt line (an irqfd line of the core: edge, or
 * level with resample; nothing while the device is stopped). Callable
 * with dev->lock held, from any context.
 */
void keel_vdev_set_irq(struct keel_vdev *dev, bool level);

/* Wake the VMM's readers/writers after tx gained bytes or rx gained room. */
void keel_vdev_host_notify(struct keel_vdev *dev);

static inline void keel_vdev_count_read(struct keel_vdev *dev, u32 reg)
{
	if (reg < dev->model->nr_regs)
		dev->regs[reg].reads++;
}

static inline void keel_vdev_count_write(struct keel_vdev *dev, u32 reg)
{
	if (reg < dev->model->nr_regs)
		dev->regs[reg].writes++;
}

/* The state framework's side of a vdev device (state.c). */
void keel_vdev_state_stop(struct keel_state *st);
int keel_vdev_state_resume(struct keel_state *st);
int keel_vdev_state_save(struct keel_state *st, struct keel_state_writer *w);
int keel_vdev_state_check(struct keel_state *st,
			  const struct keel_state_blob *b, const char **why);
void keel_vdev_state_load(struct keel_state *st,
			  const struct keel_state_blob *b);

/* Section ids of a vdev blob. */
#define KEEL_VDEV_SEC_MODEL		1	/* the model's own layout */
#define KEEL_VDEV_SEC_STREAMS		2	/* with streams */
#define KEEL_VDEV_STREAMS_VERSION	1

/* Version 1: then tx_len bytes guest -> host, rx_len bytes host -> guest. */
struct keel_vdev_saved_streams {
	__le32 tx_len;		/* <= KEEL_VDEV_STREAM_SIZE */
	__le32 rx_len;		/* <= KEEL_VDEV_STREAM_SIZE */
};

#define KEEL_VDEV_STREAMS_MAX	(sizeof(struct keel_vdev_saved_streams) + \
				 2 * KEEL_VDEV_STREAM_SIZE)

/* The most bytes of a blob with a model section of @len, and streams. */
#define KEEL_VDEV_BLOB_MAX(len)						\
	(sizeof(struct keel_state_header) +				\
	 2 * sizeof(struct keel_state_section) + ALIGN((len), 8) +	\
	 ALIGN(KEEL_VDEV_STREAMS_MAX, 8))

/*
 * The state ops of a model whose blob type is @type_, whose model section
 * has version @version and at most @len bytes, and the number of its
 * sections @nr_secs: 2 with host streams, 1 without.
 */
#define KEEL_VDEV_STATE_OPS(type_, version, len, nr_secs_)		\
	{								\
		.type = (type_),					\
		.max_len = KEEL_VDEV_BLOB_MAX(len),			\
		.secs = (const struct keel_state_sec_desc[]){		\
			{ KEEL_VDEV_SEC_MODEL, (version), true },	\
			{ KEEL_VDEV_SEC_STREAMS,			\
			  KEEL_VDEV_STREAMS_VERSION, true },		\
		},							\
		.nr_secs = (nr_secs_),					\
		.stop = keel_vdev_state_stop,				\
		.resume = keel_vdev_state_resume,			\
		.save = keel_vdev_state_save,				\
		.check = keel_vdev_state_check,				\
		.load = keel_vdev_state_load,				\
	}

#endif /* _KEEL_VDEV_MODEL_H */
