// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl host: the host inventory Keel reports (CPU, NUMA nodes, huge
 * page pools, KVM, loaded parts).
 */
#include "keelctl.h"

static void print_cpu(const struct keel_cpu *cpu)
{
	printf("CPU\n");
	print_kv(stdout, 2, "vendor", "%s", fmt_str(cpu->vendor));
	print_kv(stdout, 2, "model name", "%s", fmt_str(cpu->model_name));
	print_kv(stdout, 2, "family", "%u (0x%x)", cpu->family, cpu->family);
	print_kv(stdout, 2, "model", "%u (0x%x)", cpu->model, cpu->model);
	print_kv(stdout, 2, "stepping", "%u", cpu->stepping);
	print_kv(stdout, 2, "cpus", "%u online, %u possible", cpu->online,
		 cpu->possible);
	if (cpu->nflags)
		print_kv_words(stdout, 2, "flags", cpu->flags, cpu->nflags);
	else
		print_kv(stdout, 2, "flags", "-");
}

static int print_numa(const struct keel_host *h)
{
	static const char *const hdr[] = { "NODE", "CPUS", "TOTAL", "FREE" };
	struct table *t = table_new(4, hdr);
	char total[32], free[32];
	size_t i;

	if (!t)
		return -1;
	for (i = 0; i < h->nnodes; i++) {
		const struct keel_node *n = &h->nodes[i];

		fmt_bytes(n->mem_total, total, sizeof(total));
		fmt_bytes(n->mem_free, free, sizeof(free));
		if (table_cell(t, "%u", n->id) || table_cell(t, "%u", n->cpus) ||
		    table_cell(t, "%s", total) || table_cell(t, "%s", free))
			goto fail;
	}
	printf("NUMA nodes\n");
	table_print(t, stdout, 2);
	table_free(t);
	return 0;
fail:
	table_free(t);
	return -1;
}

static int print_hugepages(const struct keel_host *h)
{
	static const char *const hdr[] = { "SIZE", "TOTAL", "FREE", "MEMORY" };
	struct table *t;
	char size[32], mem[32];
	size_t i;

	if (!h->nhpages) {
		printf("Huge pages\n  -\n");
		return 0;
	}
	t = table_new(4, hdr);
	if (!t)
		return -1;
	for (i = 0; i < h->nhpages; i++) {
		const struct keel_hpage *p = &h->hpages[i];

		fmt_bytes(p->size, size, sizeof(size));
		fmt_bytes(p->size * p->total, mem, sizeof(mem));
		if (table_cell(t, "%s", size) ||
		    table_cell(t, "%llu", (unsigned long long)p->total) ||
		    table_cell(t, "%llu", (unsigned long long)p->free) ||
		    table_cell(t, "%s", mem))
			goto fail;
	}
	printf("Huge pages\n");
	table_print(t, stdout, 2);
	table_free(t);
	return 0;
fail:
	table_free(t);
	return -1;
}

static void print_kvm(const struct keel_kvm *kvm)
{
	printf("KVM\n");
	print_kv(stdout, 2, "loaded", "%s", fmt_bool(kvm->loaded));
	print_kv(stdout, 2, "vendor", "%s", fmt_str(kvm->vendor));
	print_kv(stdout, 2, "usable", "%s", fmt_bool(kvm->usable));
	print_kv(stdout, 2, "nested", "%s", fmt_bool(kvm->nested));
}

static void print_parts(const struct keel_parts *parts)
{
	size_t i;

	printf("Keel parts\n");
	for (i = 0; i < parts->n; i++)
		print_kv(stdout, 2, fmt_str(parts->v[i].name), "%u object%s",
			 parts->v[i].objects,
			 parts->v[i].objects == 1 ? "" : "s");
	if (!parts->n)
		printf("  -\n");
}

static int print_host(const struct keel_host *h)
{
	print_cpu(&h->cpu);
	if (print_numa(h) || print_hugepages(h)) {
		fputs("keelctl: host: out of memory\n", stderr);
		return KEELCTL_EXIT_FAIL;
	}
	print_kvm(&h->kvm);
	print_parts(&h->parts);
	return KEELCTL_EXIT_OK;
}

static int run(struct keelctl *k, const struct keelctl_cmd *cmd, int argc,
	       char **argv)
{
	struct keel_host h;
	int rc;

	rc = keelctl_begin(k, cmd, argc, argv);
	if (rc >= 0)
		return rc;
	if (keel_host_get(k->sock, &h))
		return keelctl_fail("host", keel_last_error(k->sock));

	if (k->json)
		rc = keelctl_print_json(k, keel_host_json(&h));
	else
		rc = print_host(&h);
	keel_host_free(&h);
	return rc;
}

const struct keelctl_cmd keelctl_cmd_host = {
	.name = "host",
	.synopsis = "host",
	.summary = "Show the host inventory: CPU, NUMA nodes, huge pages, KVM.",
	.run = run,
};
