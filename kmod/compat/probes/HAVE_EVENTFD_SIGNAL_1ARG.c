// SPDX-License-Identifier: GPL-2.0
/* Probe: eventfd_signal() lost its counter argument (6.8+). */
#include <linux/eventfd.h>

void keel_probe(struct eventfd_ctx *ctx);
void keel_probe(struct eventfd_ctx *ctx)
{
	eventfd_signal(ctx);
}
