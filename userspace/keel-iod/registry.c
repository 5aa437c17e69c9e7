// SPDX-License-Identifier: GPL-2.0
/*
 * keel-iod's registry of software devices (registry.h): adding them from
 * --device specs with unique names, opening their backings, and picking
 * the device for an OPEN. The rules apply in a fixed order (name, type,
 * model, features, capacity) so that a refusal names the one that left
 * no device; among the devices that pass, the one with the smallest
 * capacity, then the fewest features, then the lowest id wins, so that a
 * large or rich device stays free for a request that needs it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "registry.h"
#include "wire.h"

int registry_add(struct iod_registry *r, const char *spec,
		 char *msg, size_t len)
{
	struct iod_dev *d;
	unsigned int i, same = 0;
	int ret;

	if (r->n == KEEL_REMOTE_MAX_DEVICES) {
		snprintf(msg, len, "device '%s': at most %u devices; serve the others from a second keel-iod",
			 spec, KEEL_REMOTE_MAX_DEVICES);
		return -E2BIG;
	}
	d = &r->devs[r->n];
	ret = spec_parse(spec, d, msg, len);
	if (ret)
		return ret;
	for (i = 0; i < r->n; i++)
		same += r->devs[i].desc.type == d->desc.type;
	if (!d->desc.name[0])
		snprintf(d->desc.name, sizeof(d->desc.name), "%s%u",
			 d->ops->type, same);
	for (i = 0; i < r->n; i++) {
		if (strcmp(r->devs[i].desc.name, d->desc.name))
			continue;
		snprintf(msg, len, "device '%s': the name %s is taken by device %u; give name=",
			 spec, d->desc.name, i + 1);
		spec_free(d);
		return -EEXIST;
	}
	d->desc.id = ++r->n;
	d->desc.max_data = KEEL_REMOTE_MAX_DATA;
	d->exclusive = d->desc.type == KEEL_REMOTE_DEV_CONSOLE;
	return 0;
}

int registry_open(struct iod_registry *r, bool serve, char *msg, size_t len)
{
	unsigned int i;
	int ret;

	for (i = 0; i < r->n; i++) {
		ret = r->devs[i].ops->open(&r->devs[i], serve, msg, len);
		if (ret)
			return ret;
	}
	return 0;
}

void registry_close(struct iod_registry *r)
{
	unsigned int i;

	for (i = 0; i < r->n; i++) {
		struct iod_dev *d = &r->devs[i];

		if (d->ops->flush && d->desc.features & KEEL_REMOTE_FEAT_WRITE)
			d->ops->flush(d);
		d->ops->close(d);
		spec_free(d);
	}
	r->n = 0;
}

/* Keep the candidates @pass accepts; false when none is left. */
static bool prune(struct iod_registry *r, bool *cand,
		  bool (*pass)(const struct iod_dev *,
			       const struct keel_remote_open *),
		  const struct keel_remote_open *req)
{
	bool left = false;
	unsigned int i;

	for (i = 0; i < r->n; i++) {
		if (cand[i] && !pass(&r->devs[i], req))
			cand[i] = false;
		left |= cand[i];
	}
	return left;
}

static bool by_name(const struct iod_dev *d, const struct keel_remote_open *q)
{
	return !q->name[0] || !strcmp(d->desc.name, q->name);
}

static bool by_type(const struct iod_dev *d, const struct keel_remote_open *q)
{
	return d->desc.type == q->type;
}

static bool by_model(const struct iod_dev *d, const struct keel_remote_open *q)
{
	return !q->model[0] || !strcmp(d->desc.model, q->model);
}

static bool by_features(const struct iod_dev *d,
			const struct keel_remote_open *q)
{
	return (d->desc.features & q->features) == q->features;
}

static bool by_capacity(const struct iod_dev *d,
			const struct keel_remote_open *q)
{
	return d->desc.capacity >= q->min_capacity;
}

/* @a is a better choice than @b. */
static bool better(const struct iod_dev *a, const struct iod_dev *b)
{
	int fa = __builtin_popcountll(a->desc.features);
	int fb = __builtin_popcountll(b->desc.features);

	if (a->desc.capacity != b->desc.capacity)
		return a->desc.capacity < b->desc.capacity;
	if (fa != fb)
		return fa < fb;
	return a->desc.id < b->desc.id;
}

int registry_match(struct iod_registry *r, const struct keel_remote_open *req,
		   struct iod_dev **dev, uint16_t *detail)
{
	static const struct {
		bool (*pass)(const struct iod_dev *,
			     const struct keel_remote_open *);
		uint16_t rule;
	} rules[] = {
		{ by_name, KEEL_REMOTE_OPEN_NO_NAME },
		{ by_type, KEEL_REMOTE_OPEN_NO_TYPE },
		{ by_model, KEEL_REMOTE_OPEN_NO_MODEL },
		{ by_features, KEEL_REMOTE_OPEN_NO_FEATURES },
		{ by_capacity, KEEL_REMOTE_OPEN_NO_CAPACITY },
	};
	bool cand[KEEL_REMOTE_MAX_DEVICES];
	struct iod_dev *best = NULL;
	unsigned int i;

	*detail = 0;
	if (req->pad0 || req->pad1 ||
	    !wire_str_ok(req->model, sizeof(req->model), true) ||
	    !wire_str_ok(req->name, sizeof(req->name), true))
		return -EINVAL;
	for (i = 0; i < r->n; i++)
		cand[i] = true;
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (!prune(r, cand, rules[i].pass, req)) {
			*detail = rules[i].rule;
			return -ENODEV;
		}
	}
	for (i = 0; i < r->n; i++) {
		struct iod_dev *d = &r->devs[i];

		if (!cand[i] || (d->exclusive && d->sessions))
			continue;
		if (!best || better(d, best))
			best = d;
	}
	if (!best)
		return -EBUSY;
	*dev = best;
	return 0;
}
