// SPDX-License-Identifier: GPL-2.0
/*
 * The local host from the kernel family "keel" (placeholder until the
 * inventory is read from keel.ko): says that no local host is kept.
 */
#include <stdio.h>

#include "keeld.h"

void local_start(struct keeld *kd)
{
	fprintf(stderr, "keeld: local host %u: reading keel.ko is not supported yet\n",
		kd->local_id);
	kd->local_fd = -1;
}

void local_event(struct keeld *kd)
{
	(void)kd;
}

void local_stop(struct keeld *kd)
{
	(void)kd;
}
