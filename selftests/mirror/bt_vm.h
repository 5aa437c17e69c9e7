/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest whose write hot spot keel-bt translates (Documentation/bt.rst),
 * for mirror_bt_test and bench_bt: a protected range, its alias and its
 * mirror window (the range's mirror pages, mmap(2)ed from keel_mirror)
 * as memslots at fixed offsets, a code cache and a region log in guest
 * memory; the guest's store loop; its translation by the bt_xlate helper
 * beside the test program, and the patch of the loop's entry with a jump
 * into its translation, and its removal.
 */
#ifndef BT_VM_H
#define BT_VM_H

#include "mirror_test.h"

#include <limits.h>
#include <time.h>
#include <sys/mman.h>

#include <linux/keel_bt.h>
#include "keel_test_run.h"
#include "keel_vm.h"

#define BT_RANGE_LEN	(16 * 4096ULL)
#define BT_ALIAS_OFF	0x20000000ULL
#define BT_MIRROR_OFF	0x40000000ULL
#define BT_CACHE_LEN	(16 * 4096ULL)

/*
 * The guest's hot spot: bt_fill(buf, end, passes, seed) stores seed + pass
 * into every qword of [buf, end), passes times, eight stores an
 * iteration. Written in assembly so that the stores are what the test
 * counts (a compiler may make a loop rep stos).
 */
void bt_fill(uint64_t *buf, uint64_t *end, uint64_t passes, uint64_t seed);
void bt_fill_end(void);
__asm__(".text\n"
	".globl bt_fill, bt_fill_end\n"
	"bt_fill:\n"
	"	mov %rcx, %rax\n"
	"1:	mov %rdi, %r8\n"
	"2:	mov %rax, (%r8)\n"
	"	mov %rax, 8(%r8)\n"
	"	mov %rax, 16(%r8)\n"
	"	mov %rax, 24(%r8)\n"
	"	mov %rax, 32(%r8)\n"
	"	mov %rax, 40(%r8)\n"
	"	mov %rax, 48(%r8)\n"
	"	mov %rax, 56(%r8)\n"
	"	add $64, %r8\n"
	"	cmp %rsi, %r8\n"
	"	jb 2b\n"
	"	inc %rax\n"
	"	dec %rdx\n"
	"	jnz 1b\n"
	"	ret\n"
	"bt_fill_end:\n");

/* What the host asks of the guest's next round (guest memory). */
static volatile struct {
	uint64_t passes, seed, unprotected;
} bt_req;

/* Each round: report, then fill the range (or the page past it). */
static void bt_guest(uint64_t base, uint64_t plain)
{
	for (;;) {
		GUEST_SYNC(0);
		if (bt_req.unprotected)
			bt_fill((uint64_t *)plain,
				(uint64_t *)(plain + BT_RANGE_LEN),
				bt_req.passes, bt_req.seed);
		else
			bt_fill((uint64_t *)base,
				(uint64_t *)(base + BT_RANGE_LEN),
				bt_req.passes, bt_req.seed);
	}
}

struct bt_vm {
	struct keel_vm *vm;
	struct keel_vcpu *vcpu;
	uint64_t gpa, plain_gpa, cache_gpa, log_gpa;
	uint8_t *mem, *mirror, *cache;
	struct keel_bt_log *log;
	int mfd;
	uint32_t id;
	uint8_t saved[5];	/* the loop's first bytes, while patched */
	bool patched;
	char stats[256];	/* bt_xlate's line */
};

static inline void bt_vm_free(struct bt_vm *b)
{
	if (b->vm)
		vm_free(b->vm);
	if (b->mirror)
		munmap(b->mirror, BT_RANGE_LEN);
	if (b->mfd >= 0)
		close(b->mfd);
	memset(b, 0, sizeof(*b));
	b->mfd = -1;
}

/*
 * The VM, the range protected (its content a pattern first), its alias,
 * its mirror window, the code cache, the log and the vCPU, stopped at its
 * first report. 0, -ENOENT without keel_mirror, or -errno.
 */
static inline int bt_vm_setup(struct bt_vm *b)
{
	struct ucall uc;
	uint64_t i;
	int ret;

	memset(b, 0, sizeof(*b));
	b->mfd = -1;
	b->vm = vm_create(0, 0);
	if (!b->vm)
		return -errno;
	b->gpa = vm_alloc(b->vm, BT_RANGE_LEN);
	b->plain_gpa = vm_alloc(b->vm, BT_RANGE_LEN);
	b->cache_gpa = vm_alloc(b->vm, BT_CACHE_LEN);
	b->log_gpa = vm_alloc(b->vm, 4096);
	b->mem = vm_gpa2hva(b->vm, b->gpa, BT_RANGE_LEN);
	b->cache = vm_gpa2hva(b->vm, b->cache_gpa, BT_CACHE_LEN);
	b->log = vm_gpa2hva(b->vm, b->log_gpa, 4096);
	if (!b->gpa || !b->plain_gpa || !b->cache_gpa || !b->log_gpa ||
	    !b->mem || !b->cache || !b->log)
		return -ENOMEM;
	for (i = 0; i < BT_RANGE_LEN / 8; i++)
		((uint64_t *)b->mem)[i] = i * 0x9e3779b97f4a7c15ULL;
	b->mfd = mirror_add(b->vm->fd, b->gpa, BT_RANGE_LEN, &b->id);
	if (b->mfd < 0)
		return b->mfd;
	ret = vm_mem_region_map(b->vm, b->gpa + BT_ALIAS_OFF, BT_RANGE_LEN,
				b->mem);
	if (ret)
		return ret;
	b->mirror = mmap(NULL, BT_RANGE_LEN, PROT_READ | PROT_WRITE,
			 MAP_SHARED, b->mfd, 0);
	if (b->mirror == MAP_FAILED) {
		b->mirror = NULL;
		return -errno;
	}
	ret = vm_mem_region_map(b->vm, b->gpa + BT_MIRROR_OFF, BT_RANGE_LEN,
				b->mirror);
	if (ret)
		return ret;
	b->vcpu = vm_vcpu_add(b->vm, bt_guest);
	if (!b->vcpu || vcpu_args_set(b->vcpu, b->gpa, b->plain_gpa))
		return -EINVAL;
	if (guest_run(b->vcpu, &uc) != UCALL_SYNC)
		return -EIO;
	return 0;
}

static inline double bt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * One round of the guest: @passes over the range (or, @unprotected, over
 * memory no range covers) storing @seed onwards. Its time in seconds, or
 * a negative value when the guest did not report back.
 */
static inline double bt_vm_round(struct bt_vm *b, uint64_t passes,
				 uint64_t seed, bool unprotected)
{
	struct ucall uc;
	double t0;

	vm_guest_ptr(b->vm, &bt_req)->passes = passes;
	vm_guest_ptr(b->vm, &bt_req)->seed = seed;
	vm_guest_ptr(b->vm, &bt_req)->unprotected = unprotected;
	t0 = bt_now();
	if (guest_run(b->vcpu, &uc) != UCALL_SYNC) {
		fprintf(stderr, "# bt_vm: %s\n", ucall_str(b->vcpu, &uc));
		return -1;
	}
	return bt_now() - t0;
}

/* The test VM's selftests build, where a benchmark finds bt_xlate. */
#define BT_VM_MIRROR_DIR	"/keel/selftests/mirror"

/*
 * Translate the guest's copy of bt_fill into the code cache with
 * bt_xlate, and zero the log: 0, or -errno (b->stats says why).
 */
static inline int bt_vm_translate(struct bt_vm *b)
{
	uint64_t rip = (uintptr_t)bt_fill;
	size_t len = (uintptr_t)bt_fill_end - rip;
	char in[] = "/tmp/bt_in.XXXXXX", out[] = "/tmp/bt_out.XXXXXX";
	char a[7][32], prog[PATH_MAX];
	const uint8_t *code = vm_gpa2hva(b->vm, rip, len);
	const char *argv[11];
	int fi, fo, ret, i;
	ssize_t n;

	ret = keel_test_find_prog(prog, sizeof(prog), "KEEL_BT_XLATE",
				  "bt_xlate", BT_VM_MIRROR_DIR);
	if (ret || !code)
		return ret ? ret : -EFAULT;
	fi = mkstemp(in);
	fo = mkstemp(out);
	if (fi < 0 || fo < 0 || write(fi, code, len) != (ssize_t)len) {
		ret = -errno;
		goto out;
	}
	snprintf(a[0], 32, "%#llx", BT_ALIAS_OFF);
	snprintf(a[1], 32, "%#llx", BT_MIRROR_OFF);
	snprintf(a[2], 32, "%#llx", (unsigned long long)b->log_gpa);
	snprintf(a[3], 32, "%#llx", (unsigned long long)rip);
	snprintf(a[4], 32, "%#llx", (unsigned long long)b->cache_gpa);
	snprintf(a[5], 32, "%llu", BT_CACHE_LEN);
	argv[0] = prog;
	for (i = 0; i < 6; i++)
		argv[i + 1] = a[i];
	argv[7] = in;
	argv[8] = out;
	argv[9] = NULL;
	ret = keel_test_run(argv, NULL, b->stats, sizeof(b->stats), false);
	if (ret) {
		ret = -EINVAL;
		goto out;
	}
	n = pread(fo, b->cache, BT_CACHE_LEN, 0);
	if (n <= 0) {
		ret = -EIO;
		goto out;
	}
	memset(b->log, 0, sizeof(*b->log));
	ret = 0;
out:
	if (fi >= 0) {
		close(fi);
		unlink(in);
	}
	if (fo >= 0) {
		close(fo);
		unlink(out);
	}
	return ret;
}

/* The guest's bt_fill begins with a jump into its translation. */
static inline int bt_vm_patch(struct bt_vm *b)
{
	uint8_t *at = vm_gpa2hva(b->vm, (uintptr_t)bt_fill, 5);
	int64_t rel = (int64_t)b->cache_gpa - ((int64_t)(uintptr_t)bt_fill + 5);
	int32_t rel32 = (int32_t)rel;

	if (!at || b->patched || rel != rel32)
		return -EINVAL;
	memcpy(b->saved, at, 5);
	at[0] = 0xe9;
	memcpy(at + 1, &rel32, 4);
	b->patched = true;
	return 0;
}

/* ... and again with its own first bytes. */
static inline int bt_vm_unpatch(struct bt_vm *b)
{
	uint8_t *at = vm_gpa2hva(b->vm, (uintptr_t)bt_fill, 5);

	if (!at || !b->patched)
		return -EINVAL;
	memcpy(at, b->saved, 5);
	b->patched = false;
	return 0;
}

#endif /* BT_VM_H */
