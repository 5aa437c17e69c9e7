// SPDX-License-Identifier: GPL-2.0
/*
 * The host inventory command: CPU (host_cpu.c), NUMA nodes and their
 * memory, huge page pools, the state of KVM and the loaded Keel parts.
 */
#include <linux/module.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/mm.h>
#include <linux/vmstat.h>
#include <linux/topology.h>
#include <net/genetlink.h>

#include "core.h"

static int keel_host_fill_node(struct sk_buff *skb, int nid)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	unsigned long managed = 0, free = 0;
	struct nlattr *nest;
	int z;

	for (z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &pgdat->node_zones[z];

		managed += zone_managed_pages(zone);
		free += zone_page_state(zone, NR_FREE_PAGES);
	}

	nest = nla_nest_start(skb, KEEL_A_NODE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, KEEL_NODE_A_ID, nid) ||
	    nla_put_u64_64bit(skb, KEEL_NODE_A_MEM_TOTAL,
			      (u64)managed << PAGE_SHIFT, KEEL_NODE_A_PAD) ||
	    nla_put_u64_64bit(skb, KEEL_NODE_A_MEM_FREE,
			      (u64)free << PAGE_SHIFT, KEEL_NODE_A_PAD) ||
	    nla_put_u32(skb, KEEL_NODE_A_CPUS,
			cpumask_weight_and(cpumask_of_node(nid),
					   cpu_online_mask))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int keel_host_fill_numa(struct sk_buff *skb)
{
	struct nlattr *nest;
	int nid;

	nest = nla_nest_start(skb, KEEL_A_NUMA);
	if (!nest)
		return -EMSGSIZE;
	for_each_online_node(nid) {
		if (keel_host_fill_node(skb, nid)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* The huge page sizes x86-64 can have: 2 MiB and 1 GiB. */
static const unsigned long keel_hpage_kb[] = { 2048, 1048576 };

static int keel_read_hpage_count(unsigned long kb, const char *what, u64 *val)
{
	char path[80], buf[32];
	int ret;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%lukB/%s",
		 kb, what);
	ret = keel_read_small_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	return keel_parse_u64_line(buf, val);
}

static int keel_host_fill_hugepages(struct sk_buff *skb)
{
	struct nlattr *nest, *one;
	u64 total, free;
	size_t i;

	nest = nla_nest_start(skb, KEEL_A_HUGEPAGES);
	if (!nest)
		return -EMSGSIZE;

	for (i = 0; i < ARRAY_SIZE(keel_hpage_kb); i++) {
		/* A size without a pool directory is not supported here. */
		if (keel_read_hpage_count(keel_hpage_kb[i], "nr_hugepages",
					  &total) ||
		    keel_read_hpage_count(keel_hpage_kb[i], "free_hugepages",
					  &free))
			continue;

		one = nla_nest_start(skb, KEEL_A_HPAGE);
		if (!one ||
		    nla_put_u64_64bit(skb, KEEL_HPAGE_A_SIZE,
				      (u64)keel_hpage_kb[i] * 1024,
				      KEEL_HPAGE_A_PAD) ||
		    nla_put_u64_64bit(skb, KEEL_HPAGE_A_TOTAL, total,
				      KEEL_HPAGE_A_PAD) ||
		    nla_put_u64_64bit(skb, KEEL_HPAGE_A_FREE, free,
				      KEEL_HPAGE_A_PAD))
			goto cancel;
		nla_nest_end(skb, one);
	}
	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static const char * const keel_kvm_vendors[] = { "kvm_amd", "kvm_intel" };

static int keel_host_fill_kvm(struct sk_buff *skb)
{
	const char *vendor = NULL;
	bool nested = false;
	struct nlattr *nest;
	char path[64], buf[16];
	size_t i;

	/*
	 * A vendor module publishes its "nested" parameter while loaded
	 * (built in or as a module); that is also what makes KVM usable.
	 */
	for (i = 0; i < ARRAY_SIZE(keel_kvm_vendors); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s/parameters/nested",
			 keel_kvm_vendors[i]);
		if (keel_read_small_file(path, buf, sizeof(buf)) < 0)
			continue;
		vendor = keel_kvm_vendors[i];
		if (keel_parse_bool_param(buf, &nested))
			nested = false;
		break;
	}

	nest = nla_nest_start(skb, KEEL_A_KVM);
	if (!nest)
		return -EMSGSIZE;
	/* keel.ko links against kvm.ko, so kvm.ko is loaded whenever we are. */
	if (nla_put_u8(skb, KEEL_KVM_A_LOADED, 1) ||
	    nla_put_u8(skb, KEEL_KVM_A_USABLE, !!vendor) ||
	    nla_put_u8(skb, KEEL_KVM_A_NESTED, nested) ||
	    (vendor && nla_put_string(skb, KEEL_KVM_A_VENDOR, vendor))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int keel_host_fill(struct sk_buff *msg)
{
	return keel_host_fill_cpu(msg) ?: keel_host_fill_numa(msg) ?:
	       keel_host_fill_hugepages(msg) ?: keel_host_fill_kvm(msg) ?:
	       keel_parts_fill(msg);
}

int keel_nl_host_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return keel_genl_reply(info, KEEL_CMD_HOST_GET, keel_host_fill);
}
