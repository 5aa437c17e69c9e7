// SPDX-License-Identifier: GPL-2.0
/*
 * KEEL_CMD_HOST_GET: the host inventory (CPU identity and flags, NUMA
 * nodes, huge page pools, KVM, loaded parts).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const enum mnl_attr_data_type host_policy[] = {
	[KEEL_A_PARTS] = MNL_TYPE_NESTED,
	[KEEL_A_CPU] = MNL_TYPE_NESTED,
	[KEEL_A_NUMA] = MNL_TYPE_NESTED,
	[KEEL_A_HUGEPAGES] = MNL_TYPE_NESTED,
	[KEEL_A_KVM] = MNL_TYPE_NESTED,
};

static const enum mnl_attr_data_type cpu_policy[] = {
	[KEEL_CPU_A_VENDOR] = MNL_TYPE_NUL_STRING,
	[KEEL_CPU_A_MODEL_NAME] = MNL_TYPE_NUL_STRING,
	[KEEL_CPU_A_FAMILY] = MNL_TYPE_U32,
	[KEEL_CPU_A_MODEL] = MNL_TYPE_U32,
	[KEEL_CPU_A_STEPPING] = MNL_TYPE_U32,
	[KEEL_CPU_A_ONLINE] = MNL_TYPE_U32,
	[KEEL_CPU_A_POSSIBLE] = MNL_TYPE_U32,
	[KEEL_CPU_A_FLAG] = MNL_TYPE_NUL_STRING,
};

static const enum mnl_attr_data_type node_policy[] = {
	[KEEL_NODE_A_ID] = MNL_TYPE_U32,
	[KEEL_NODE_A_MEM_TOTAL] = MNL_TYPE_U64,
	[KEEL_NODE_A_MEM_FREE] = MNL_TYPE_U64,
	[KEEL_NODE_A_CPUS] = MNL_TYPE_U32,
};

static const enum mnl_attr_data_type hpage_policy[] = {
	[KEEL_HPAGE_A_SIZE] = MNL_TYPE_U64,
	[KEEL_HPAGE_A_TOTAL] = MNL_TYPE_U64,
	[KEEL_HPAGE_A_FREE] = MNL_TYPE_U64,
};

static const enum mnl_attr_data_type kvm_policy[] = {
	[KEEL_KVM_A_LOADED] = MNL_TYPE_U8,
	[KEEL_KVM_A_VENDOR] = MNL_TYPE_NUL_STRING,
	[KEEL_KVM_A_USABLE] = MNL_TYPE_U8,
	[KEEL_KVM_A_NESTED] = MNL_TYPE_U8,
};

static uint32_t get_u32(const struct nlattr *a)
{
	return a ? mnl_attr_get_u32(a) : 0;
}

static uint64_t get_u64(const struct nlattr *a)
{
	return a ? mnl_attr_get_u64(a) : 0;
}

static bool get_bool(const struct nlattr *a)
{
	return a && mnl_attr_get_u8(a);
}

static int parse_cpu(const struct nlattr *nest, struct keel_cpu *cpu)
{
	const struct nlattr *tb[KEEL_LAST_INDEX(cpu_policy) + 1];
	const struct nlattr *a;
	size_t n;
	int ret = 0;

	if (keel_attr_parse_nested(nest, cpu_policy,
				   KEEL_LAST_INDEX(cpu_policy), tb))
		return -EPROTO;

	cpu->vendor = keel_attr_strdup(tb[KEEL_CPU_A_VENDOR], &ret);
	cpu->model_name = keel_attr_strdup(tb[KEEL_CPU_A_MODEL_NAME], &ret);
	cpu->family = get_u32(tb[KEEL_CPU_A_FAMILY]);
	cpu->model = get_u32(tb[KEEL_CPU_A_MODEL]);
	cpu->stepping = get_u32(tb[KEEL_CPU_A_STEPPING]);
	cpu->online = get_u32(tb[KEEL_CPU_A_ONLINE]);
	cpu->possible = get_u32(tb[KEEL_CPU_A_POSSIBLE]);
	if (ret)
		return ret;

	n = keel_attr_count(nest, KEEL_CPU_A_FLAG);
	if (!n)
		return 0;
	cpu->flags = calloc(n, sizeof(*cpu->flags));
	if (!cpu->flags)
		return -ENOMEM;
	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) != KEEL_CPU_A_FLAG)
			continue;
		cpu->flags[cpu->nflags] = keel_attr_strdup(a, &ret);
		if (ret)
			return ret;
		cpu->nflags++;
	}
	return 0;
}

/*
 * Decode the @type entries of a list nest (KEEL_A_NUMA, KEEL_A_HUGEPAGES)
 * into a freshly allocated array of @size-byte elements.
 */
static int parse_list(const struct nlattr *nest, uint16_t type, size_t size,
		      const enum mnl_attr_data_type *policy, uint16_t max,
		      void (*fill)(void *elem, const struct nlattr **tb),
		      void **out, size_t *nout)
{
	const struct nlattr *tb[16];
	const struct nlattr *a;
	char *v;
	size_t n;

	*out = NULL;
	*nout = 0;
	if (!nest)
		return 0;
	n = keel_attr_count(nest, type);
	if (!n)
		return 0;
	v = calloc(n, size);
	if (!v)
		return -ENOMEM;
	*out = v;

	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) != type)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
		    keel_attr_parse_nested(a, policy, max, tb))
			return -EPROTO;
		fill(v + *nout * size, tb);
		(*nout)++;
	}
	return 0;
}

static void fill_node(void *elem, const struct nlattr **tb)
{
	struct keel_node *node = elem;

	node->id = get_u32(tb[KEEL_NODE_A_ID]);
	node->mem_total = get_u64(tb[KEEL_NODE_A_MEM_TOTAL]);
	node->mem_free = get_u64(tb[KEEL_NODE_A_MEM_FREE]);
	node->cpus = get_u32(tb[KEEL_NODE_A_CPUS]);
}

static void fill_hpage(void *elem, const struct nlattr **tb)
{
	struct keel_hpage *hp = elem;

	hp->size = get_u64(tb[KEEL_HPAGE_A_SIZE]);
	hp->total = get_u64(tb[KEEL_HPAGE_A_TOTAL]);
	hp->free = get_u64(tb[KEEL_HPAGE_A_FREE]);
}

static int parse_kvm(const struct nlattr *nest, struct keel_kvm *kvm)
{
	const struct nlattr *tb[KEEL_LAST_INDEX(kvm_policy) + 1];
	int ret = 0;

	if (keel_attr_parse_nested(nest, kvm_policy,
				   KEEL_LAST_INDEX(kvm_policy), tb))
		return -EPROTO;
	kvm->loaded = get_bool(tb[KEEL_KVM_A_LOADED]);
	kvm->usable = get_bool(tb[KEEL_KVM_A_USABLE]);
	kvm->nested = get_bool(tb[KEEL_KVM_A_NESTED]);
	kvm->vendor = keel_attr_strdup(tb[KEEL_KVM_A_VENDOR], &ret);
	return ret;
}

int keel_host_parse(const struct nlmsghdr *nlh, struct keel_host *h)
{
	const struct nlattr *tb[KEEL_LAST_INDEX(host_policy) + 1];
	void *v;
	int ret;

	_Static_assert(KEEL_LAST_INDEX(node_policy) < 16 &&
		       KEEL_LAST_INDEX(hpage_policy) < 16,
		       "parse_list() index too small");

	memset(h, 0, sizeof(*h));
	if (keel_attr_parse_msg(nlh, host_policy, KEEL_LAST_INDEX(host_policy),
				tb))
		return -EPROTO;

	ret = tb[KEEL_A_CPU] ? parse_cpu(tb[KEEL_A_CPU], &h->cpu) : 0;
	if (!ret) {
		ret = parse_list(tb[KEEL_A_NUMA], KEEL_A_NODE,
				 sizeof(struct keel_node), node_policy,
				 KEEL_LAST_INDEX(node_policy), fill_node,
				 &v, &h->nnodes);
		h->nodes = v;
	}
	if (!ret) {
		ret = parse_list(tb[KEEL_A_HUGEPAGES], KEEL_A_HPAGE,
				 sizeof(struct keel_hpage), hpage_policy,
				 KEEL_LAST_INDEX(hpage_policy), fill_hpage,
				 &v, &h->nhpages);
		h->hpages = v;
	}
	if (!ret && tb[KEEL_A_KVM])
		ret = parse_kvm(tb[KEEL_A_KVM], &h->kvm);
	if (!ret)
		ret = keel_parts_parse(tb[KEEL_A_PARTS], &h->parts);

	if (ret)
		keel_host_free(h);
	return ret;
}

void keel_host_free(struct keel_host *h)
{
	size_t i;

	free(h->cpu.vendor);
	free(h->cpu.model_name);
	for (i = 0; i < h->cpu.nflags; i++)
		free(h->cpu.flags[i]);
	free(h->cpu.flags);
	free(h->nodes);
	free(h->hpages);
	free(h->kvm.vendor);
	keel_parts_free(&h->parts);
	memset(h, 0, sizeof(*h));
}

bool keel_cpu_has_flag(const struct keel_cpu *cpu, const char *flag)
{
	size_t i;

	for (i = 0; i < cpu->nflags; i++) {
		if (!strcmp(cpu->flags[i], flag))
			return true;
	}
	return false;
}

static int parse_reply(const struct nlmsghdr *nlh, void *out)
{
	return keel_host_parse(nlh, out);
}

int keel_host_get(struct keel_sock *s, struct keel_host *h)
{
	struct nlmsghdr *nlh;
	int ret;

	memset(h, 0, sizeof(*h));
	nlh = keel_msg_start(s, KEEL_CMD_HOST_GET, NLM_F_ACK);
	ret = keel_doit(s, nlh, parse_reply, h);
	if (ret)
		keel_host_free(h);
	return ret;
}
