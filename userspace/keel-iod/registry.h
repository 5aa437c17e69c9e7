/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel-iod's software devices: what each one is (the hardware device it
 * stands for, as struct keel_remote_dev_desc), what backs it, the
 * operations of its type, and the registry that picks one for an OPEN.
 */
#ifndef IOD_REGISTRY_H
#define IOD_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/keel_remote.h>

struct iod_dev;

/*
 * A device type's operations; each returns 0 or a negative errno, which
 * the caller answers as the error code. Only read is mandatory; a type
 * without write or flush has no such feature.
 */
struct iod_dev_ops {
	const char *type;		/* "block", "console", "entropy" */
	const char *model;		/* default model */
	/*
	 * Open the backing and fill in the description. @serve: to serve
	 * it (take it for this process alone, create a missing console
	 * output), not only to list it (change nothing).
	 */
	int (*open)(struct iod_dev *d, bool serve, char *msg, size_t len);
	/* Read @len bytes at @off into @buf; @got: how many were read. */
	int (*read)(struct iod_dev *d, uint64_t off, void *buf, uint32_t len,
		    uint32_t *got);
	/* Apply @len bytes at @off; @fua: on stable storage before return. */
	int (*write)(struct iod_dev *d, uint64_t off, const void *buf,
		     uint32_t len, bool fua);
	/* Every write that returned is on stable storage. */
	int (*flush)(struct iod_dev *d);
	void (*close)(struct iod_dev *d);
};

extern const struct iod_dev_ops blockdev_ops, console_ops, entropy_ops;

struct iod_dev {
	struct keel_remote_dev_desc desc;
	const struct iod_dev_ops *ops;
	char *file;			/* block: the file or block device */
	char *in, *out;			/* console: input, output */
	bool ro;			/* block: read-only */
	bool exclusive;			/* one session at a time */
	uint64_t declared;		/* features= (FLUSH, FUA) */
	int fd, in_fd, out_fd;
	unsigned int sessions;		/* open sessions on it */
};

struct iod_registry {
	struct iod_dev devs[KEEL_REMOTE_MAX_DEVICES];
	unsigned int n;
};

/*
 * Parse a --device SPEC ("TYPE,KEY=VALUE,...") into @d (spec.c); the
 * name stays empty when SPEC gives none. 0 or -EINVAL with the reason
 * in @msg.
 */
int spec_parse(const char *spec, struct iod_dev *d, char *msg, size_t len);
void spec_free(struct iod_dev *d);

/* Add the device SPEC describes; its name must be new. */
int registry_add(struct iod_registry *r, const char *spec,
		 char *msg, size_t len);
/* Open every device's backing and fill in its description (@serve: ops). */
int registry_open(struct iod_registry *r, bool serve, char *msg, size_t len);
/* Flush every device that can be flushed, close them and free them. */
void registry_close(struct iod_registry *r);
/*
 * The device for @req: 0 and @dev; -ENODEV with the KEEL_REMOTE_OPEN_NO_*
 * rule that left none in @detail; -EBUSY when every match is an
 * exclusive device with a session; -EINVAL for a malformed request.
 */
int registry_match(struct iod_registry *r, const struct keel_remote_open *req,
		   struct iod_dev **dev, uint16_t *detail);

/* Print the registry as a table or as JSON (list.c). */
int registry_print(const struct iod_registry *r, FILE *f, bool json);
/* "read,write,flush" for @features, into @buf. */
const char *features_str(uint64_t features, char *buf, size_t len);
const char *dev_type_name(uint16_t type);
/* What to do about a path that failed to open with @err, for a message. */
const char *path_hint(int err);

#endif /* IOD_REGISTRY_H */
