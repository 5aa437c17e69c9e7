// SPDX-License-Identifier: GPL-2.0
/*
 * The CPU part of the host inventory: identity, CPU counts and the
 * feature flags a cloud scheduler places workloads by, named exactly as
 * /proc/cpuinfo names them.
 */
#include <linux/module.h>
#include <linux/cpumask.h>
#include <asm/processor.h>
#include <asm/cpufeature.h>
#include <net/genetlink.h>

#include "core.h"

struct keel_cpu_flag {
	u16 feature;
	const char *name;
};

#define KEEL_FLAG(f, n)	{ X86_FEATURE_##f, n }

/*
 * Only flags every supported kernel defines are listed unconditionally;
 * newer ones are guarded by their header define.
 */
static const struct keel_cpu_flag keel_cpu_flags[] = {
	KEEL_FLAG(LM, "lm"),
	KEEL_FLAG(NX, "nx"),
	KEEL_FLAG(GBPAGES, "pdpe1gb"),
	KEEL_FLAG(X2APIC, "x2apic"),
	KEEL_FLAG(HYPERVISOR, "hypervisor"),
	KEEL_FLAG(SSSE3, "ssse3"),
	KEEL_FLAG(XMM4_1, "sse4_1"),
	KEEL_FLAG(XMM4_2, "sse4_2"),
	KEEL_FLAG(POPCNT, "popcnt"),
	KEEL_FLAG(AES, "aes"),
	KEEL_FLAG(PCLMULQDQ, "pclmulqdq"),
	KEEL_FLAG(RDRAND, "rdrand"),
	KEEL_FLAG(RDSEED, "rdseed"),
	KEEL_FLAG(AVX, "avx"),
	KEEL_FLAG(AVX2, "avx2"),
	KEEL_FLAG(FMA, "fma"),
	KEEL_FLAG(BMI1, "bmi1"),
	KEEL_FLAG(BMI2, "bmi2"),
	KEEL_FLAG(ADX, "adx"),
	KEEL_FLAG(SHA_NI, "sha_ni"),
	KEEL_FLAG(AVX512F, "avx512f"),
	KEEL_FLAG(AVX512DQ, "avx512dq"),
	KEEL_FLAG(AVX512CD, "avx512cd"),
	KEEL_FLAG(AVX512BW, "avx512bw"),
	KEEL_FLAG(AVX512VL, "avx512vl"),
	KEEL_FLAG(AVX512IFMA, "avx512ifma"),
	KEEL_FLAG(AVX512VBMI, "avx512vbmi"),
	KEEL_FLAG(AVX512_VBMI2, "avx512_vbmi2"),
	KEEL_FLAG(AVX512_VNNI, "avx512_vnni"),
	KEEL_FLAG(AVX512_BITALG, "avx512_bitalg"),
	KEEL_FLAG(AVX512_VPOPCNTDQ, "avx512_vpopcntdq"),
	KEEL_FLAG(AVX512_BF16, "avx512_bf16"),
#ifdef X86_FEATURE_AVX512_FP16
	KEEL_FLAG(AVX512_FP16, "avx512_fp16"),
#endif
#ifdef X86_FEATURE_AVX_VNNI
	KEEL_FLAG(AVX_VNNI, "avx_vnni"),
#endif
#ifdef X86_FEATURE_AMX_TILE
	KEEL_FLAG(AMX_TILE, "amx_tile"),
	KEEL_FLAG(AMX_BF16, "amx_bf16"),
	KEEL_FLAG(AMX_INT8, "amx_int8"),
#endif
	KEEL_FLAG(VAES, "vaes"),
	KEEL_FLAG(VPCLMULQDQ, "vpclmulqdq"),
	KEEL_FLAG(GFNI, "gfni"),
	KEEL_FLAG(PKU, "pku"),
	KEEL_FLAG(RTM, "rtm"),
	KEEL_FLAG(HLE, "hle"),
	KEEL_FLAG(SGX, "sgx"),
	KEEL_FLAG(SGX_LC, "sgx_lc"),
	KEEL_FLAG(VMX, "vmx"),
	KEEL_FLAG(SVM, "svm"),
	KEEL_FLAG(NPT, "npt"),
	KEEL_FLAG(SME, "sme"),
	KEEL_FLAG(SEV, "sev"),
	KEEL_FLAG(SEV_ES, "sev_es"),
};

int keel_host_fill_cpu(struct sk_buff *skb)
{
	const struct cpuinfo_x86 *c = &boot_cpu_data;
	struct nlattr *nest;
	size_t i;

	nest = nla_nest_start(skb, KEEL_A_CPU);
	if (!nest)
		return -EMSGSIZE;

	if (nla_put_string(skb, KEEL_CPU_A_VENDOR, c->x86_vendor_id) ||
	    nla_put_string(skb, KEEL_CPU_A_MODEL_NAME,
			   c->x86_model_id[0] ? c->x86_model_id : "unknown") ||
	    nla_put_u32(skb, KEEL_CPU_A_FAMILY, c->x86) ||
	    nla_put_u32(skb, KEEL_CPU_A_MODEL, c->x86_model) ||
	    nla_put_u32(skb, KEEL_CPU_A_STEPPING, c->x86_stepping) ||
	    nla_put_u32(skb, KEEL_CPU_A_ONLINE, num_online_cpus()) ||
	    nla_put_u32(skb, KEEL_CPU_A_POSSIBLE, num_possible_cpus()))
		goto cancel;

	for (i = 0; i < ARRAY_SIZE(keel_cpu_flags); i++) {
		if (!boot_cpu_has(keel_cpu_flags[i].feature))
			continue;
		if (nla_put_string(skb, KEEL_CPU_A_FLAG, keel_cpu_flags[i].name))
			goto cancel;
	}

	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}
