// SPDX-License-Identifier: GPL-2.0
/*
 * Keel objects in human form, shared by "objects" and "monitor": the
 * per-type INFO attributes as key=value text and the object's age.
 */
#include <string.h>
#include <time.h>

#include "keelctl.h"

uint64_t boottime_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void obj_info_text(const struct keel_obj *o, char *buf, size_t len)
{
	size_t i, off = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (i = 0; i < o->ninfo && off < len; i++) {
		struct keel_info_val v;
		char val[KEEL_INFO_TEXT_MAX];

		keel_info_decode(o->desc, &o->info[i], &v);
		keel_info_format(&v, val, sizeof(val));
		off += snprintf(buf + off, len - off, "%s%s=%s",
				off ? " " : "", v.name, val);
		keel_info_val_free(&v);
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

void obj_age_text(const struct keel_obj *o, uint64_t now, char *buf,
		  size_t len)
{
	if (!o->created_ns || !now || now < o->created_ns)
		snprintf(buf, len, "-");
	else
		fmt_age(now - o->created_ns, buf, len);
}
