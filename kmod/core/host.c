// SPDX-License-Identifier: GPL-2.0
/*
 * The host inventory command: CPU (host_cpu.c), NUMA nodes and their
 * memory, huge page pools and the state of KVM (host_facts.c), and the
 * loaded Keel parts.
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

static int keel_host_fill_hugepages(struct sk_buff *skb,
				    const struct keel_host_facts *f)
{
	struct nlattr *nest, *one;
	size_t i;

	nest = nla_nest_start(skb, KEEL_A_HUGEPAGES);
	if (!nest)
		return -EMSGSIZE;

	for (i = 0; i < KEEL_HPAGE_SIZES; i++) {
		if (!f->hpage[i].size)
			continue;
		one = nla_nest_start(skb, KEEL_A_HPAGE);
		if (!one ||
		    nla_put_u64_64bit(skb, KEEL_HPAGE_A_SIZE, f->hpage[i].size,
				      KEEL_HPAGE_A_PAD) ||
		    nla_put_u64_64bit(skb, KEEL_HPAGE_A_TOTAL,
				      f->hpage[i].total, KEEL_HPAGE_A_PAD) ||
		    nla_put_u64_64bit(skb, KEEL_HPAGE_A_FREE, f->hpage[i].free,
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

static int keel_host_fill_kvm(struct sk_buff *skb,
			      const struct keel_host_facts *f)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, KEEL_A_KVM);
	if (!nest)
		return -EMSGSIZE;
	/* keel.ko links against kvm.ko, so kvm.ko is loaded whenever we are. */
	if (nla_put_u8(skb, KEEL_KVM_A_LOADED, 1) ||
	    nla_put_u8(skb, KEEL_KVM_A_USABLE, !!f->kvm_vendor) ||
	    nla_put_u8(skb, KEEL_KVM_A_NESTED, f->kvm_nested) ||
	    (f->kvm_vendor &&
	     nla_put_string(skb, KEEL_KVM_A_VENDOR, f->kvm_vendor))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int keel_host_fill(struct sk_buff *msg, const void *arg)
{
	const struct keel_host_facts *f = arg;

	return keel_host_fill_cpu(msg) ?: keel_host_fill_numa(msg) ?:
	       keel_host_fill_hugepages(msg, f) ?: keel_host_fill_kvm(msg, f) ?:
	       keel_parts_fill(msg);
}

int keel_nl_host_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct keel_host_facts f;
	int ret;

	ret = keel_host_facts_get(&f);
	if (ret) {
		NL_SET_ERR_MSG(info->extack, "host facts not read in time");
		return ret;
	}
	return keel_genl_reply(info, KEEL_CMD_HOST_GET, keel_host_fill, &f);
}
