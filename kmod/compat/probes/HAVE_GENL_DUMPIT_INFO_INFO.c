// SPDX-License-Identifier: GPL-2.0
/* Probe: genl_dumpit_info() carries a struct genl_info (6.2+). */
#include <net/genetlink.h>

struct nlattr **keel_probe(struct netlink_callback *cb);
struct nlattr **keel_probe(struct netlink_callback *cb)
{
	return genl_dumpit_info(cb)->info.attrs;
}
