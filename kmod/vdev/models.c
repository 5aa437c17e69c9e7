// SPDX-License-Identifier: GPL-2.0
/*
 * The device models keel_vdev.ko offers: one line per model.
 */
#include "vdev.h"
#include "uart16550.h"

static const struct keel_vdev_model *const keel_vdev_models[] = {
	&keel_vdev_uart16550,
};

const struct keel_vdev_model *keel_vdev_model_find(u32 id)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(keel_vdev_models); i++)
		if (keel_vdev_models[i]->id == id)
			return keel_vdev_models[i];
	return NULL;
}
