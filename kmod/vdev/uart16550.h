/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 16550A UART device model of keel_vdev.ko: its model descriptor and
 * its saved-state format (what the state framework stores and loads).
 */
#ifndef _KEEL_VDEV_UART16550_H
#define _KEEL_VDEV_UART16550_H

#include <linux/build_bug.h>
#include <linux/types.h>
#include <linux/keel_state.h>

#include "model.h"

#ifndef KEEL_VDEV_MODEL_UART16550A
#define KEEL_VDEV_MODEL_UART16550A	1
#endif

#define KEEL_UART_FIFO_SIZE		16
#define KEEL_UART_STATE_VERSION		1

/*
 * Saved state, version 1: 56 bytes, little-endian, no padding. The FIFOs
 * are stored oldest byte first from index 0; slots past the count are
 * zero. Every field below is validated by load().
 */
struct keel_uart16550_saved {
	__le32 version;		/* KEEL_UART_STATE_VERSION */
	__le32 tx_dropped;	/* THR writes lost to a full TX FIFO */
	u8 ier;			/* bits 3:0 */
	u8 lcr;			/* all bits */
	u8 mcr;			/* bits 4:0 */
	u8 lsr_err;		/* latched LSR error bits: only OE */
	u8 msr_delta;		/* MSR bits 3:0 (DCTS, DDSR, TERI, DDCD) */
	u8 scr;
	u8 dll;
	u8 dlm;
	u8 fcr;			/* bits 0, 3, 7:6; 0 when FIFOs are off */
	u8 thr_ipending;	/* 0 or 1; 1 only with an empty TX FIFO */
	u8 rx_count;		/* <= 16, <= 1 with FIFOs off */
	u8 tx_count;		/* <= 16, <= 1 with FIFOs off */
	u8 reserved[4];		/* zero */
	u8 rx_fifo[KEEL_UART_FIFO_SIZE];
	u8 tx_fifo[KEEL_UART_FIFO_SIZE];
};

static_assert(sizeof(struct keel_uart16550_saved) == 56);

extern const struct keel_vdev_model keel_vdev_uart16550;

#endif /* _KEEL_VDEV_UART16550_H */
