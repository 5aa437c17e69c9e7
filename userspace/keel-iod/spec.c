// SPDX-License-Identifier: GPL-2.0
/*
 * --device SPEC: "TYPE,KEY=VALUE,..." into a struct iod_dev (registry.h).
 *
 *   block,file=PATH[,name=NAME][,model=MODEL][,features=flush|fua][,ro]
 *   console[,in=PATH][,out=PATH][,name=NAME][,model=MODEL]
 *   entropy[,name=NAME][,model=MODEL]
 *
 * Names and models are 1 to 31 of [A-Za-z0-9._:+-]; a path runs to the
 * next comma. Every key may appear once; anything else is refused with
 * the keys the type takes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "wire.h"

static const struct {
	const char *name;
	uint16_t type;
	const struct iod_dev_ops *ops;
	const char *keys;
} kinds[] = {
	{ "block", KEEL_REMOTE_DEV_BLOCK, &blockdev_ops,
	  "file, name, model, features, ro" },
	{ "console", KEEL_REMOTE_DEV_CONSOLE, &console_ops,
	  "in, out, name, model" },
	{ "entropy", KEEL_REMOTE_DEV_ENTROPY, &entropy_ops, "name, model" },
};

const char *dev_type_name(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].type == type)
			return kinds[i].name;
	return "unknown";
}

const char *path_hint(int err)
{
	switch (err) {
	case ENOENT:
		return "; create it, or correct the path";
	case EACCES:
	case EPERM:
		return "; run keel-iod as root, or give its user access";
	case EROFS:
		return "; add ro for a read-only device";
	default:
		return "";
	}
}

static const char *keys_of(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].type == type)
			return kinds[i].keys;
	return "";
}

static bool ident_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n < KEEL_REMOTE_NAME_LEN &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789._:+-") == n;
}

static int parse_features(const char *v, uint64_t *out)
{
	char buf[64], *tok, *save;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	*out = 0;
	for (tok = strtok_r(buf, "|+", &save); tok;
	     tok = strtok_r(NULL, "|+", &save)) {
		if (!strcmp(tok, "flush"))
			*out |= KEEL_REMOTE_FEAT_FLUSH;
		else if (!strcmp(tok, "fua"))
			*out |= KEEL_REMOTE_FEAT_FUA;
		else
			return -EINVAL;
	}
	return 0;
}

/* Set the string option @key once. */
static int set_once(char **slot, const char *key, const char *v,
		    const char *spec, char *msg, size_t len)
{
	if (*slot) {
		snprintf(msg, len, "device '%s': %s given twice; give it once",
			 spec, key);
		return -EINVAL;
	}
	if (!*v) {
		snprintf(msg, len, "device '%s': %s= is empty; give a path",
			 spec, key);
		return -EINVAL;
	}
	*slot = strdup(v);
	return *slot ? 0 : -ENOMEM;
}

static int parse_opt(struct iod_dev *d, char *opt, const char *spec,
		     bool *seen_name, bool *seen_model, bool *seen_feat,
		     char *msg, size_t len)
{
	char *v = strchr(opt, '=');
	bool block = d->desc.type == KEEL_REMOTE_DEV_BLOCK;
	bool console = d->desc.type == KEEL_REMOTE_DEV_CONSOLE;

	if (v)
		*v++ = '\0';
	if (!strcmp(opt, "ro") && !v && block) {
		d->ro = true;
		return 0;
	}
	if (!v)
		goto unknown;
	if (!strcmp(opt, "name") || !strcmp(opt, "model")) {
		bool name = opt[0] == 'n';
		bool *seen = name ? seen_name : seen_model;

		if (*seen || !ident_ok(v)) {
			snprintf(msg, len, "device '%s': %s '%s' %s", spec, opt, v,
				 *seen ? "given twice; give it once" :
				 "is not 1 to 31 of A-Z a-z 0-9 . _ : + -");
			return -EINVAL;
		}
		*seen = true;
		wire_str_set(name ? d->desc.name : d->desc.model,
			     KEEL_REMOTE_NAME_LEN, v);
		return 0;
	}
	if (block && !strcmp(opt, "file"))
		return set_once(&d->file, opt, v, spec, msg, len);
	if (block && !strcmp(opt, "features")) {
		if (*seen_feat || parse_features(v, &d->declared)) {
			snprintf(msg, len, "device '%s': features '%s': %s", spec, v,
				 *seen_feat ? "given twice; give it once" :
				 "give flush, fua or flush|fua");
			return -EINVAL;
		}
		*seen_feat = true;
		return 0;
	}
	if (console && (!strcmp(opt, "in") || !strcmp(opt, "out")))
		return set_once(opt[0] == 'i' ? &d->in : &d->out, opt, v,
				spec, msg, len);
unknown:
	snprintf(msg, len, "device '%s': unknown option '%s' (%s takes %s)",
		 spec, opt, dev_type_name(d->desc.type),
		 keys_of(d->desc.type));
	return -EINVAL;
}

int spec_parse(const char *spec, struct iod_dev *d, char *msg, size_t len)
{
	bool seen_name = false, seen_model = false, seen_feat = false;
	char *buf, *tok, *save;
	size_t i;
	int ret = 0;

	memset(d, 0, sizeof(*d));
	d->fd = d->in_fd = d->out_fd = -1;
	buf = strdup(spec);
	if (!buf)
		return -ENOMEM;
	tok = strtok_r(buf, ",", &save);
	for (i = 0; tok && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(tok, kinds[i].name))
			break;
	if (!tok || i == sizeof(kinds) / sizeof(kinds[0])) {
		snprintf(msg, len, "device '%s': the type first: block, console or entropy",
			 spec);
		free(buf);
		return -EINVAL;
	}
	d->desc.type = kinds[i].type;
	d->ops = kinds[i].ops;
	wire_str_set(d->desc.model, KEEL_REMOTE_NAME_LEN, d->ops->model);
	while (!ret && (tok = strtok_r(NULL, ",", &save)))
		ret = parse_opt(d, tok, spec, &seen_name, &seen_model,
				&seen_feat, msg, len);
	free(buf);
	if (!ret && d->desc.type == KEEL_REMOTE_DEV_BLOCK && !d->file) {
		snprintf(msg, len, "device '%s': a block device needs file=PATH",
			 spec);
		ret = -EINVAL;
	}
	if (!ret && d->desc.type == KEEL_REMOTE_DEV_CONSOLE &&
	    !d->in && !d->out) {
		snprintf(msg, len, "device '%s': a console needs in=PATH, out=PATH or both",
			 spec);
		ret = -EINVAL;
	}
	if (ret)
		spec_free(d);
	return ret;
}

void spec_free(struct iod_dev *d)
{
	free(d->file);
	free(d->in);
	free(d->out);
	d->file = d->in = d->out = NULL;
}
