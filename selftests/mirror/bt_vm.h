/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest whose write hot spot keel-bt translates (Documentation/bt.rst),
 * for mirror_bt_test and bench_bt: a protected range, its alias and its
 * mirror window (the range's mirror pages, mmap(2)ed from keel_mirror)
 * as memslots at fixed offsets, a code cache and a region log in guest
 * memory; the guest's store loop; its translation by the bt_xlate helper
 * beside the test program (the whole function, or the loop around a hot
 * store site), each translation in a slot of the code cache with its
 * counter of translated stores; the patch of the translation's entry
 * with a jump into it, and its removal. The guest's code pages around
 * the loop are a read-only memslot: a guest store to them exits to this
 * VMM, which removes every translation whose code it touches before it
 * makes the store, so the guest runs its new code, not a stale
 * translation. A guest page lost while the vCPU is stopped in a
 * translation is rebuilt from the mirror and the region log, with the
 * vCPU's rollback (bt_vm_recover(), keel-bt's recovery). A fault the
 * guest takes in translated code becomes the original instruction's: the
 * guest's exception hook reports it to this VMM before the handler runs,
 * and the VMM completes the open region and rewrites the frame
 * (bt_vm_fault(), keel-bt's kbt_fault()). A translated store to memory
 * outside the range exits through the hole around the alias and is made
 * as the original would make it (bt_vm_alias_hole()).
 */
#ifndef BT_VM_H
#define BT_VM_H

#include "mirror_test.h"

#include <limits.h>
#include <time.h>
#include <sys/mman.h>

#include <linux/keel_bt.h>
#include "bt.h"
#include "keel_test_file.h"
#include "keel_test_run.h"
#include "keel_vm.h"
#include "keel_irq.h"
#include "keel_guest_io.h"
#include "bt_fill.h"	/* the guest's hot spot */

#define BT_RANGE_LEN	(16 * 4096ULL)
/*
 * 2 and 4 MiB off multiples of 256 MiB, so that a line, its alias and its
 * mirror differ in the linear-address bits AMD's L1 data cache predicts
 * its way from (Documentation/bt.rst, "Placement in a guest")
 */
#define BT_ALIAS_OFF	0x20200000ULL
#define BT_MIRROR_OFF	0x40400000ULL
#define BT_CACHE_LEN	(16 * 4096ULL)
#define BT_SLOT_LEN	4096ULL		/* code cache per translation */
#define BT_SLOTS	(BT_CACHE_LEN / BT_SLOT_LEN)
#define BT_COUNT_OFF	2048		/* the counters, in the log's page */

/*
 * bt_fill with r10 and r11 holding BT_MARK10 and BT_MARK11, which bt_fill
 * leaves alone and its translation takes as scratch registers: a fault
 * handler must see them (Documentation/bt.rst, "Faults in translated
 * code").
 */
#define BT_MARK10	0x1010101010101010ULL
#define BT_MARK11	0x1111111111111111ULL
void bt_fill_marked(uint64_t *buf, uint64_t *end, uint64_t passes,
		    uint64_t seed);
__asm__(".text\n"
	".globl bt_fill_marked\n"
	"bt_fill_marked:\n"
	"	movabs $0x1010101010101010, %r10\n"
	"	movabs $0x1111111111111111, %r11\n"
	"	jmp bt_fill\n");

/* What the guest's page fault handler saw (bt_guest_page_fault()). */
struct bt_fault_seen {
	uint64_t faults;
	uint64_t rip, cr2, error_code;
	uint64_t rax, rcx, rdx, rsi, rdi, r8, r10, r11;
};

/* What the host asks of the guest's next round (guest memory). */
static volatile struct {
	uint64_t passes, seed, unprotected, idle;
	uint64_t rewrite_at, rewrite_byte;	/* a code byte to store first */
	uint64_t cache, cache_len;	/* the code cache (the fault hook) */
	uint64_t skew;			/* bytes skipped at the start */
	uint64_t plain_len;		/* bytes of an unprotected round, or 0 */
	uint64_t doubled;		/* bt_fill_x2 over the alias instead */
	uint64_t flush_tlb;		/* the host changed page tables */
	uint64_t pte[2];		/* page fault: PTEs to set present */
	uint64_t pte_addr[2];		/* ... of these pages */
	struct bt_fault_seen seen;
} bt_req;

/* The guest's report of a fault in translated code (bt_vm_round()). */
#define BT_SYNC_FAULT	1

/* Every exception in the code cache goes to the VMM first. */
static void bt_guest_exception(struct guest_irq_frame *frame)
{
	if (frame->rip - bt_req.cache < bt_req.cache_len)
		GUEST_SYNC(BT_SYNC_FAULT, (uint64_t)frame);
}

/*
 * A page fault on a page whose PTE (and its alias's) the host cleared:
 * what the handler sees, then both present again.
 */
static void bt_guest_page_fault(struct guest_irq_frame *frame)
{
	struct bt_fault_seen *s = (struct bt_fault_seen *)&bt_req.seen;
	unsigned int i;

	if (!bt_req.pte[0])
		GUEST_FAIL("page fault at rip 0x%lx, cr2 0x%lx, error code 0x%lx",
			   frame->rip, read_cr2(), frame->error_code);
	s->faults++;
	s->rip = frame->rip;
	s->cr2 = read_cr2();
	s->error_code = frame->error_code;
	s->rax = frame->rax;
	s->rcx = frame->rcx;
	s->rdx = frame->rdx;
	s->rsi = frame->rsi;
	s->rdi = frame->rdi;
	s->r8 = frame->r8;
	s->r10 = frame->r10;
	s->r11 = frame->r11;
	for (i = 0; i < 2; i++) {
		*(volatile uint64_t *)bt_req.pte[i] |= 1;
		__asm__ volatile("invlpg (%0)" : : "r"(bt_req.pte_addr[i])
				 : "memory");
		bt_req.pte[i] = 0;
	}
}

/* Each round: report, then fill the range (or the page past it). */
static void bt_guest(uint64_t base, uint64_t plain)
{
	uint64_t cr3;

	guest_irq_exception_hook_set(bt_guest_exception);
	guest_irq_handler_set(14, bt_guest_page_fault);
	for (;;) {
		GUEST_SYNC(0);
		if (bt_req.flush_tlb) {
			__asm__ volatile("mov %%cr3, %0\n\tmov %0, %%cr3"
					 : "=r"(cr3) : : "memory");
			bt_req.flush_tlb = 0;
		}
		if (bt_req.rewrite_at)
			*(volatile uint8_t *)bt_req.rewrite_at = bt_req.rewrite_byte;
		if (bt_req.idle)
			continue;
		if (bt_req.doubled)
			bt_fill_x2((uint64_t *)(base + BT_ALIAS_OFF),
				   (uint64_t *)(base + BT_ALIAS_OFF +
						BT_RANGE_LEN),
				   bt_req.passes, bt_req.seed,
				   (int64_t)(BT_MIRROR_OFF - BT_ALIAS_OFF));
		else if (bt_req.unprotected)
			bt_fill((uint64_t *)plain,
				(uint64_t *)(plain + (bt_req.plain_len ?:
						      BT_RANGE_LEN)),
				bt_req.passes, bt_req.seed);
		else if (bt_req.skew)
			bt_fill_marked((uint64_t *)(base + bt_req.skew),
				       (uint64_t *)(base + BT_RANGE_LEN - 64 +
						    bt_req.skew),
				       bt_req.passes, bt_req.seed);
		else
			bt_fill((uint64_t *)base,
				(uint64_t *)(base + BT_RANGE_LEN),
				bt_req.passes, bt_req.seed);
	}
}

/* A translation in a slot of the code cache. */
struct bt_xl {
	uint64_t head, end;	/* the original code it covers */
	uint8_t saved[5];	/* the head's bytes, while patched */
	bool patched;
	bool invalidated;	/* removed: the guest wrote its code */
	bool faulted;		/* removed: the guest faulted in it */
	bool counted;		/* its stores counted at bt_vm_count_gpa() */
	bool full_log;		/* made with a full log (bt_vm.full_log) */
	uint64_t elsewhere;	/* of those, to memory outside the range */
	struct kbt_window *win;	/* its window table (bt_vm_recover()) */
	unsigned int nwin;
	struct kbt_map *map;	/* its map (bt_vm_fault()) */
	unsigned int nmap;
	size_t len;		/* bytes of translated code */
};

struct bt_vm {
	struct keel_vm *vm;
	struct keel_vcpu *vcpu;
	uint64_t gpa, plain_gpa, cache_gpa, log_gpa;
	uint8_t *mem, *mirror, *cache;
	struct keel_bt_log *log;
	int mfd;
	uint32_t id;
	struct bt_xl xl[BT_SLOTS];
	uint64_t code_gpa, code_len;	/* the read-only code pages */
	uint64_t code_writes;		/* guest stores to them */
	/*
	 * the alias and the mirror window are Keel's (KEEL_MIRROR_IOC_WINDOWS),
	 * as for a VMM that knows nothing of Keel, not the VMM's own memslots
	 */
	bool keel_windows;
	/*
	 * translations registered by "keelctl mirror xlate" and "unxlate"
	 * (the range attached), as a tool that places code in a guest of an
	 * unmodified VMM does, not by the VMM's KEEL_MIRROR_IOC_XLATE
	 */
	bool by_keelctl;
	/*
	 * translations made from now on with a full log (bt_xlate -F),
	 * registered with it (KEEL_MIRROR_XLATE_LOGGED): keel_mirror's
	 * repair reads it
	 */
	bool full_log;
	/*
	 * with full_log: the page tables its addresses are registered with
	 * (KEEL_MIRROR_XLATE's log_pt_gpa, PT5), or 0: guest-physical
	 */
	uint64_t log_pt;
	bool log_pt5;
	char keelctl_out[4096];	/* what keelctl printed last */
	char stats[256];	/* bt_xlate's line */
	/* translated stores to memory outside the range (bt_vm_alias_hole()) */
	uint64_t elsewhere_stores, elsewhere_mirror;
	/* faults in translated code (bt_vm_fault()) */
	uint64_t faults;
	struct {
		uint64_t rip, orig, published;
		bool mirror_equal;	/* after the region's completion */
	} fault;
};

static inline void bt_vm_free(struct bt_vm *b)
{
	unsigned int s;

	for (s = 0; s < BT_SLOTS; s++) {
		free(b->xl[s].win);
		free(b->xl[s].map);
	}
	/* Keel's mapping of the mirror holds the range until they go */
	if (b->keel_windows && b->vm)
		mirror_windows(b->mfd, b->vm->fd, KEEL_MIRROR_WINDOWS_DEL, 0, 0);
	if (b->vm)
		vm_free(b->vm);
	if (b->mirror)
		munmap(b->mirror, BT_RANGE_LEN);
	if (b->mfd >= 0)
		close(b->mfd);
	memset(b, 0, sizeof(*b));
	b->mfd = -1;
}

static inline int bt_vm_unpatch_slot(struct bt_vm *b, unsigned int slot);

/*
 * A guest store to its read-only code pages: every translation whose
 * code [head, end) it touches is removed first (the head's bytes back),
 * then the store is made, so the guest runs its new code.
 */
static inline bool bt_vm_code_write(struct keel_vcpu *vcpu, uint64_t gpa,
				    bool write, void *data, unsigned int size,
				    void *opaque)
{
	struct bt_vm *b = opaque;
	uint8_t *at = vm_gpa2hva(vcpu->vm, gpa, size);
	unsigned int s;

	if (!write || !at)
		return false;
	for (s = 0; s < BT_SLOTS; s++) {
		struct bt_xl *x = &b->xl[s];

		if (!x->patched || gpa >= x->end || x->head >= gpa + size)
			continue;
		/*
		 * Gone once its head's bytes are back, even if keel_mirror
		 * then refused to forget it (bt_vm_unpatch_slot()'s error).
		 */
		bt_vm_unpatch_slot(b, s);
		x->invalidated = !x->patched;
	}
	memcpy(at, data, size);
	b->code_writes++;
	return true;
}

/* The code cache slot that @rip lies in, or -1. */
static inline int bt_vm_slot_at(const struct bt_vm *b, uint64_t rip)
{
	return rip >= b->cache_gpa && rip < b->cache_gpa + BT_CACHE_LEN ?
	       (int)((rip - b->cache_gpa) / BT_SLOT_LEN) : -1;
}

/*
 * A translated store, or the load of a read-modify-write, to memory
 * outside the protected range: its address plus BT_ALIAS_OFF is in no
 * memslot, so it exits as MMIO here, and is made where the original
 * would make it (a store to the guest's code pages as
 * bt_vm_code_write() makes it). Slow, an exit per access, but what the
 * original does: a translated function may be called on any memory.
 */
static inline bool bt_vm_alias_hole(struct keel_vcpu *vcpu, uint64_t gpa,
				    bool write, void *data, unsigned int size,
				    void *opaque)
{
	struct bt_vm *b = opaque;
	uint64_t at = gpa - BT_ALIAS_OFF;
	uint8_t *hva = vm_gpa2hva(vcpu->vm, at, size);
	struct kvm_regs regs;
	int s;

	if (!hva)
		return false;
	if (!write) {
		memcpy(data, hva, size);
		return true;
	}
	b->elsewhere_stores++;
	/* the translation that made it: its counter counts it too */
	if (!ioctl(vcpu->fd, KVM_GET_REGS, &regs)) {
		s = bt_vm_slot_at(b, regs.rip);
		if (s >= 0)
			b->xl[s].elsewhere++;
	}
	if (at < b->code_gpa + b->code_len && b->code_gpa < at + size)
		return bt_vm_code_write(vcpu, at, write, data, size, b);
	memcpy(hva, data, size);
	return true;
}

/*
 * The commit's store to the mirror of memory outside the range: there is
 * no mirror; the store goes nowhere.
 */
static inline bool bt_vm_mirror_hole(struct keel_vcpu *vcpu, uint64_t gpa,
				     bool write, void *data, unsigned int size,
				     void *opaque)
{
	struct bt_vm *b = opaque;

	(void)vcpu;
	(void)gpa;
	if (!write)
		memset(data, 0, size);
	else
		b->elsewhere_mirror++;
	return true;
}

/*
 * The holes around the alias and the mirror window, over all of the
 * guest's RAM: 0 or -errno.
 */
static inline int bt_vm_holes(struct bt_vm *b)
{
	uint64_t end = 0, off;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < b->vm->nr_regions; i++) {
		const struct keel_mem_region *r = &b->vm->regions[i];

		if (r->gpa < BT_ALIAS_OFF && r->gpa + r->size > end)
			end = r->gpa + r->size;
	}
	if (end > BT_ALIAS_OFF || end > BT_MIRROR_OFF - BT_ALIAS_OFF)
		return -ERANGE;
	for (i = 0; i < 2 && !ret; i++) {
		keel_mmio_handler_t fn = i ? bt_vm_mirror_hole :
					     bt_vm_alias_hole;

		off = i ? BT_MIRROR_OFF : BT_ALIAS_OFF;
		ret = vm_mmio_handler_add(b->vm, off, b->gpa, fn, b);
		if (!ret)
			ret = vm_mmio_handler_add(b->vm,
						  off + b->gpa + BT_RANGE_LEN,
						  end - b->gpa - BT_RANGE_LEN,
						  fn, b);
	}
	return ret;
}

/* The alias and the mirror window as memslots of the VMM's own. */
static inline int bt_vm_own_windows(struct bt_vm *b)
{
	int ret;

	ret = vm_mem_region_map(b->vm, b->gpa + BT_ALIAS_OFF, BT_RANGE_LEN,
				b->mem);
	if (!ret)
		ret = vm_mem_region_map(b->vm, b->gpa + BT_MIRROR_OFF,
					BT_RANGE_LEN, b->mirror);
	return ret;
}

/* The alias and the mirror window placed by Keel. */
static inline int bt_vm_keel_windows(struct bt_vm *b)
{
	int ret = mirror_windows(b->mfd, b->vm->fd, 0, BT_ALIAS_OFF,
				 BT_MIRROR_OFF);

	b->keel_windows = !ret;
	return ret;
}

/*
 * The VM, the range protected (its content a pattern first), its alias,
 * its mirror window (the VMM's own memslots, or with @keel_windows
 * Keel's), the code cache, the log and the vCPU, stopped at its first
 * report; the range set up with KEEL_MIRROR_SETUP_* @setup_flags. 0,
 * -ENOENT without keel_mirror, or -errno.
 */
static inline int bt_vm_setup_flags(struct bt_vm *b, bool keel_windows,
				    uint32_t setup_flags)
{
	struct ucall uc;
	uint64_t i;
	int ret;

	memset(b, 0, sizeof(*b));
	b->mfd = -1;
	b->vm = vm_create(0, 0);
	if (!b->vm)
		return -errno;
	b->code_gpa = (uintptr_t)bt_fill & ~0xfffULL;
	b->code_len = (((uintptr_t)bt_fill_end + 0xfffULL) & ~0xfffULL) -
		      b->code_gpa;
	ret = vm_mem_region_readonly(b->vm, b->code_gpa, b->code_len);
	if (!ret)
		ret = vm_ram_mmio_handler_add(b->vm, b->code_gpa, b->code_len,
					      bt_vm_code_write, b);
	if (ret)
		return ret;
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
	/* an empty log: nothing published, every entry's length 0 */
	memset(b->log, 0, sizeof(*b->log));
	for (i = 0; i < BT_RANGE_LEN / 8; i++)
		((uint64_t *)b->mem)[i] = i * 0x9e3779b97f4a7c15ULL;
	b->mfd = mirror_add_flags(b->vm->fd, b->gpa, BT_RANGE_LEN, setup_flags,
				  &b->id);
	if (b->mfd < 0)
		return b->mfd;
	/* the VMM's view of the mirror, also when the window is Keel's */
	b->mirror = mmap(NULL, BT_RANGE_LEN, PROT_READ | PROT_WRITE,
			 MAP_SHARED, b->mfd, 0);
	if (b->mirror == MAP_FAILED) {
		b->mirror = NULL;
		return -errno;
	}
	ret = keel_windows ? bt_vm_keel_windows(b) : bt_vm_own_windows(b);
	if (!ret)
		ret = bt_vm_holes(b);
	if (ret)
		return ret;
	vm_guest_ptr(b->vm, &bt_req)->cache = b->cache_gpa;
	vm_guest_ptr(b->vm, &bt_req)->cache_len = BT_CACHE_LEN;
	b->vcpu = vm_vcpu_add(b->vm, bt_guest);
	if (!b->vcpu || vcpu_args_set(b->vcpu, b->gpa, b->plain_gpa))
		return -EINVAL;
	if (guest_run(b->vcpu, &uc) != UCALL_SYNC)
		return -EIO;
	return 0;
}

static inline int bt_vm_setup_windows(struct bt_vm *b, bool keel_windows)
{
	return bt_vm_setup_flags(b, keel_windows, 0);
}

static inline int bt_vm_setup(struct bt_vm *b)
{
	return bt_vm_setup_windows(b, false);
}

static inline int bt_vm_fault(struct bt_vm *b, uint64_t frame_gpa);

static inline double bt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * One round of the guest: @passes over the range (or, @unprotected, over
 * memory no range covers) storing @seed onwards (none for 0 passes: the
 * guest reports back at once). Its time in seconds, or a negative value
 * when the guest did not report back.
 */
static inline double bt_vm_round(struct bt_vm *b, uint64_t passes,
				 uint64_t seed, bool unprotected)
{
	struct ucall uc;
	uint64_t cmd;
	double t0;

	vm_guest_ptr(b->vm, &bt_req)->idle = !passes;
	vm_guest_ptr(b->vm, &bt_req)->passes = passes;
	vm_guest_ptr(b->vm, &bt_req)->seed = seed;
	vm_guest_ptr(b->vm, &bt_req)->unprotected = unprotected;
	t0 = bt_now();
	while ((cmd = guest_run(b->vcpu, &uc)) == UCALL_SYNC &&
	       uc.args[0] == BT_SYNC_FAULT) {
		if (bt_vm_fault(b, uc.args[1]) != 1) {
			fprintf(stderr, "# bt_vm: a fault at %#llx in the "
				"code cache that is not an original "
				"instruction's\n",
				(unsigned long long)b->fault.rip);
			return -1;
		}
	}
	if (cmd != UCALL_SYNC) {
		fprintf(stderr, "# bt_vm: %s\n", ucall_str(b->vcpu, &uc));
		return -1;
	}
	vm_guest_ptr(b->vm, &bt_req)->rewrite_at = 0;
	return bt_now() - t0;
}

/*
 * A round of the floor (bt_fill.h): the loop doubled by hand over the
 * range's alias and mirror window, nothing logged. Its time in s, or -1.
 */
static inline double bt_vm_round_doubled(struct bt_vm *b, uint64_t passes,
					 uint64_t seed)
{
	double t;

	vm_guest_ptr(b->vm, &bt_req)->doubled = 1;
	t = bt_vm_round(b, passes, seed, false);
	vm_guest_ptr(b->vm, &bt_req)->doubled = 0;
	return t;
}

/* The test VM's selftests build, where a benchmark finds bt_xlate. */
#define BT_VM_MIRROR_DIR	"/keel/selftests/mirror"

static inline uint64_t bt_vm_slot_gpa(const struct bt_vm *b, unsigned int slot)
{
	return b->cache_gpa + slot * BT_SLOT_LEN;
}

/* Translation @slot's counter of translated stores (guest memory). */
static inline uint64_t bt_vm_count_gpa(const struct bt_vm *b,
				       unsigned int slot)
{
	return b->log_gpa + BT_COUNT_OFF + 8 * slot;
}

/* ... and where the VMM sees it. */
static inline volatile uint64_t *bt_vm_counter(const struct bt_vm *b,
					       unsigned int slot)
{
	return (volatile uint64_t *)((uint8_t *)b->log + BT_COUNT_OFF +
				     8 * slot);
}

static inline uint64_t bt_vm_count(const struct bt_vm *b, unsigned int slot)
{
	return *bt_vm_counter(b, slot);
}

/*
 * ... less its stores to memory outside the range, which exited
 * (bt_vm_alias_hole()): the traps it saved.
 */
static inline uint64_t bt_vm_count_saved(const struct bt_vm *b,
					 unsigned int slot)
{
	return bt_vm_count(b, slot) - b->xl[slot].elsewhere;
}

/* The range's trapped guest stores so far (keel_mirror's statistics). */
static inline long long bt_vm_trapped(const struct bt_vm *b)
{
	return keel_test_obj_info("mirror", b->id, "guest_writes");
}

/* A number of bt_xlate's line ("key=..."), or 0. */
static inline uint64_t bt_vm_stat(const struct bt_vm *b, const char *key)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), "%s=", key);
	p = strstr(b->stats, pat);
	return p ? strtoull(p + strlen(pat), NULL, 0) : 0;
}

/* A table bt_xlate wrote to file @fd into *@p (replaced), *@n entries. */
static inline int bt_vm_load_table(int fd, void **p, unsigned int *n,
				   size_t size)
{
	off_t got = lseek(fd, 0, SEEK_END);

	free(*p);
	*p = got > 0 ? malloc(got) : NULL;
	*n = got > 0 ? got / size : 0;
	if (got < 0 || (got && (!*p || pread(fd, *p, got, 0) != got)))
		return -EIO;
	return 0;
}

/*
 * Translate guest code with bt_xlate into code cache slot @slot: [rip,
 * rip + len), or with @hot the loop around the store at @hot within that
 * window; with @count, the slot's counter (zeroed) counts translated
 * stores. The slot's head and end are what was translated; the log is
 * zeroed. 0, or
 * -errno (b->stats says why).
 */
static inline int bt_vm_xlate(struct bt_vm *b, unsigned int slot, uint64_t rip,
			      size_t len, uint64_t hot, bool count)
{
	char in[] = "/tmp/bt_in.XXXXXX", out[] = "/tmp/bt_out.XXXXXX";
	char win[] = "/tmp/bt_win.XXXXXX", map[] = "/tmp/bt_map.XXXXXX";
	char a[8][32], prog[PATH_MAX];
	const uint8_t *code = vm_gpa2hva(b->vm, rip, len);
	struct bt_xl *x = &b->xl[slot];
	const char *argv[20];
	int fi, fo, fw, fm, ret, i, n = 0;
	ssize_t got;

	if (slot >= BT_SLOTS || b->xl[slot].patched)
		return -EINVAL;
	ret = keel_test_find_prog(prog, sizeof(prog), "KEEL_BT_XLATE",
				  "bt_xlate", BT_VM_MIRROR_DIR);
	if (ret || !code)
		return ret ? ret : -EFAULT;
	fi = mkstemp(in);
	fo = mkstemp(out);
	fw = mkstemp(win);
	fm = mkstemp(map);
	if (fi < 0 || fo < 0 || fw < 0 || fm < 0 ||
	    write(fi, code, len) != (ssize_t)len) {
		ret = -errno;
		goto out;
	}
	/* the original code: the heads patched in the window as they were */
	for (i = 0; i < (int)BT_SLOTS; i++) {
		const struct bt_xl *x = &b->xl[i];

		if (x->patched && x->head >= rip && x->head + 5 <= rip + len &&
		    pwrite(fi, x->saved, 5, x->head - rip) != 5) {
			ret = -errno;
			goto out;
		}
	}
	argv[n++] = prog;
	if (b->full_log)
		argv[n++] = "-F";
	argv[n++] = "-w";
	argv[n++] = win;
	argv[n++] = "-m";
	argv[n++] = map;
	if (count) {
		snprintf(a[6], 32, "%#llx",
			 (unsigned long long)bt_vm_count_gpa(b, slot));
		argv[n++] = "-c";
		argv[n++] = a[6];
	}
	if (hot) {
		snprintf(a[7], 32, "%#llx", (unsigned long long)hot);
		argv[n++] = "-l";
		argv[n++] = a[7];
	}
	snprintf(a[0], 32, "%#llx", BT_ALIAS_OFF);
	snprintf(a[1], 32, "%#llx", BT_MIRROR_OFF);
	snprintf(a[2], 32, "%#llx", (unsigned long long)b->log_gpa);
	snprintf(a[3], 32, "%#llx", (unsigned long long)rip);
	snprintf(a[4], 32, "%#llx", (unsigned long long)bt_vm_slot_gpa(b, slot));
	snprintf(a[5], 32, "%llu", BT_SLOT_LEN);
	for (i = 0; i < 6; i++)
		argv[n++] = a[i];
	argv[n++] = in;
	argv[n++] = out;
	argv[n] = NULL;
	ret = keel_test_run(argv, NULL, b->stats, sizeof(b->stats), false);
	if (ret) {
		ret = -EINVAL;
		goto out;
	}
	got = pread(fo, b->cache + slot * BT_SLOT_LEN, BT_SLOT_LEN, 0);
	if (got <= 0) {
		ret = -EIO;
		goto out;
	}
	ret = bt_vm_load_table(fw, (void **)&x->win, &x->nwin,
			       sizeof(*x->win));
	if (!ret)
		ret = bt_vm_load_table(fm, (void **)&x->map, &x->nmap,
				       sizeof(*x->map));
	if (ret)
		goto out;
	x->len = bt_vm_stat(b, "len");
	x->head = bt_vm_stat(b, "head");
	x->end = bt_vm_stat(b, "end");
	memset(b->log, 0, sizeof(*b->log));
	x->counted = count;
	x->full_log = b->full_log;
	x->elsewhere = 0;
	if (count)
		*bt_vm_counter(b, slot) = 0;
	ret = b->xl[slot].head ? 0 : -EIO;
out:
	keel_test_tmp_drop(fi, in);
	keel_test_tmp_drop(fo, out);
	keel_test_tmp_drop(fw, win);
	keel_test_tmp_drop(fm, map);
	return ret;
}

/*
 * bt_vm_register() through keelctl: "mirror xlate ID --start ... --end
 * ... --code ... [--count-gpa ...]" or "mirror unxlate ID --start ...".
 * 0, or -EIO with keelctl's words in b->keelctl_out.
 */
static inline int bt_vm_register_keelctl(struct bt_vm *b, unsigned int slot,
					 bool del)
{
	const struct bt_xl *x = &b->xl[slot];
	int rc;

	if (del)
		rc = keel_test_mirror_unxlate(b->id, x->head, b->keelctl_out,
					      sizeof(b->keelctl_out));
	else
		rc = keel_test_mirror_xlate_log(b->id, x->head, x->end,
						bt_vm_slot_gpa(b, slot),
						x->counted ?
						bt_vm_count_gpa(b, slot) :
						KEEL_TEST_NO_COUNTER,
						x->full_log ? b->log_gpa : 0,
						b->keelctl_out,
						sizeof(b->keelctl_out));
	return rc ? -EIO : 0;
}

/*
 * Tell keel_mirror of slot @slot's translation (KEEL_MIRROR_IOC_XLATE),
 * or with @del that it is gone: its statistics in the range's info.
 */
static inline int bt_vm_register(struct bt_vm *b, unsigned int slot, bool del)
{
	const struct bt_xl *x = &b->xl[slot];
	struct keel_mirror_xlate a = {
		.size = sizeof(a), .start = x->head,
	};

	if (b->by_keelctl)
		return bt_vm_register_keelctl(b, slot, del);
	if (del) {
		a.flags = KEEL_MIRROR_XLATE_DEL;
	} else {
		a.end = x->end;
		a.code = bt_vm_slot_gpa(b, slot);
		if (x->counted) {
			a.flags |= KEEL_MIRROR_XLATE_COUNTED;
			a.count_gpa = bt_vm_count_gpa(b, slot);
		}
		if (x->full_log) {
			a.flags |= KEEL_MIRROR_XLATE_LOGGED;
			a.log_gpa = b->log_gpa;
			a.log_pt_gpa = b->log_pt;
			if (b->log_pt5)
				a.flags |= KEEL_MIRROR_XLATE_PT5;
		}
	}
	return ioctl(b->mfd, KEEL_MIRROR_IOC_XLATE, &a) ? -errno : 0;
}

/*
 * The translation of slot @slot entered: registered with keel_mirror,
 * then its head jumps to it.
 */
static inline int bt_vm_patch_slot(struct bt_vm *b, unsigned int slot)
{
	struct bt_xl *x = &b->xl[slot];
	uint8_t *at;
	int64_t rel;
	int ret;

	if (slot >= BT_SLOTS || !x->head || x->patched)
		return -EINVAL;
	at = vm_gpa2hva(b->vm, x->head, 5);
	rel = (int64_t)bt_vm_slot_gpa(b, slot) - (int64_t)(x->head + 5);
	if (!at || rel != (int32_t)rel)
		return -EINVAL;
	ret = bt_vm_register(b, slot, false);
	if (ret)
		return ret;
	memcpy(x->saved, at, 5);
	at[0] = 0xe9;
	memcpy(at + 1, &(int32_t){ (int32_t)rel }, 4);
	x->patched = true;
	x->faulted = false;
	return 0;
}

/* ... and left: the head's own bytes again, and keel_mirror told. */
static inline int bt_vm_unpatch_slot(struct bt_vm *b, unsigned int slot)
{
	struct bt_xl *x = &b->xl[slot];
	uint8_t *at;

	if (slot >= BT_SLOTS || !x->patched)
		return -EINVAL;
	at = vm_gpa2hva(b->vm, x->head, 5);
	if (!at)
		return -EINVAL;
	memcpy(at, x->saved, 5);
	x->patched = false;
	return bt_vm_register(b, slot, true);
}

/* [addr, addr + len) of the range as the guest last wrote it, rebuilt. */
static inline void bt_vm_rebuild(struct bt_vm *b, uint64_t addr, size_t len)
{
	uint8_t buf[4096];
	size_t n;

	for (; len; addr += n, len -= n) {
		n = len < sizeof(buf) ? len : sizeof(buf);
		if (addr < b->gpa || addr + n > b->gpa + BT_RANGE_LEN)
			return;
		memcpy(buf, b->mirror + (addr - b->gpa), n);
		kbt_log_overlay(b->log, addr, buf, n);
		memcpy(b->mem + (addr - b->gpa), buf, n);
	}
}

/*
 * The guest page at @page (in the range) was lost while the vCPU, @regs,
 * is stopped, perhaps inside a translation with a region open, and has
 * just been replaced with the mirror's page (KEEL_MIRROR_IOC_REPAIR): it
 * becomes the page as the vCPU last wrote it, the mirror's bytes with the
 * log's published entries over them. A vCPU stopped between a store to
 * that page and its log entry is rolled back to the store, whose bytes
 * (also those on the next page) are rebuilt as they were before it; it
 * makes the store again when it runs. 1 if rolled back (@regs changed,
 * *@addr and *@len the store's bytes), 0 if not.
 */
static inline int bt_vm_recover(struct bt_vm *b, uint64_t page,
				struct kvm_regs *regs, uint64_t *addr,
				size_t *len)
{
	struct kbt_vcpu v = { .rip = regs->rip, .rflags = regs->rflags };
	__u64 *gpr[16] = {
		&regs->rax, &regs->rcx, &regs->rdx, &regs->rbx, &regs->rsp,
		&regs->rbp, &regs->rsi, &regs->rdi, &regs->r8, &regs->r9,
		&regs->r10, &regs->r11, &regs->r12, &regs->r13, &regs->r14,
		&regs->r15,
	};
	int rolled = 0, s = bt_vm_slot_at(b, regs->rip);
	unsigned int i;

	for (i = 0; i < 16; i++)
		v.gpr[i] = *gpr[i];
	if (s >= 0 && b->xl[s].patched) {
		struct kbt_block blk = {
			.windows = b->xl[s].win, .nwindows = b->xl[s].nwin,
		};

		rolled = kbt_rollback(&blk, b->log, &v, page, 4096, addr, len);
	}
	bt_vm_rebuild(b, page, 4096);
	if (!rolled)
		return 0;
	bt_vm_rebuild(b, *addr, *len);
	regs->rip = v.rip;
	regs->rflags = v.rflags;
	for (i = 0; i < 16; i++)
		*gpr[i] = v.gpr[i];
	return 1;
}

static void bt_vm_mirror_write(void *arg, uint64_t addr, uint64_t val,
			       uint32_t len)
{
	struct bt_vm *b = arg;

	if (addr >= b->gpa && addr + len <= b->gpa + BT_RANGE_LEN)
		memcpy(b->mirror + (addr - b->gpa), &val, len);
}

/*
 * The guest's exception hook reported an exception at a translated
 * instruction, its frame at @frame_gpa: make it the original
 * instruction's (kbt_fault()): the open region's published stores to the
 * mirror, the region's scratch registers and rip in the frame the
 * original's, and a page fault's address in the alias (CR2) the address
 * the original instruction used. The handler then sees the exception at
 * the original instruction and returns there, to the original code,
 * which runs trapped. The translation's jump is removed first (the
 * original bytes back, bt_vm_unpatch_slot()): the original code may
 * branch into the bytes it replaced (bt_fill's outer loop does), and the
 * faulting instruction may be one of them. The translation stays in the
 * code cache, to be patched in again. 1, or 0 / a negative errno from
 * kbt_fault() (not an original instruction's).
 */
static inline int bt_vm_fault(struct bt_vm *b, uint64_t frame_gpa)
{
	struct guest_irq_frame *f = vm_gpa2hva(b->vm, frame_gpa, sizeof(*f));
	uint64_t *gpr[16], rip = f ? f->rip : 0;
	int ret, s = bt_vm_slot_at(b, rip);
	struct kbt_vcpu v = { .rip = rip };
	struct kvm_sregs sregs;
	struct bt_xl *x;
	unsigned int i;

	b->fault.rip = rip;
	if (!f || s < 0 || !b->xl[s].patched)
		return 0;
	x = &b->xl[s];
	gpr[0] = &f->rax;
	gpr[1] = &f->rcx;
	gpr[2] = &f->rdx;
	gpr[3] = &f->rbx;
	gpr[4] = &f->rsp;
	gpr[5] = &f->rbp;
	gpr[6] = &f->rsi;
	gpr[7] = &f->rdi;
	gpr[8] = &f->r8;
	gpr[9] = &f->r9;
	gpr[10] = &f->r10;
	gpr[11] = &f->r11;
	gpr[12] = &f->r12;
	gpr[13] = &f->r13;
	gpr[14] = &f->r14;
	gpr[15] = &f->r15;
	for (i = 0; i < 16; i++)
		v.gpr[i] = *gpr[i];
	v.rflags = f->rflags;
	{
		struct kbt_block blk = {
			.trans_start = bt_vm_slot_gpa(b, s), .trans_len = x->len,
			.map = x->map, .nmap = x->nmap,
			.windows = x->win, .nwindows = x->nwin,
			.full_log = x->full_log,
		};

		b->fault.published = kbt_log_sync(&blk, b->log, &v);
		ret = kbt_fault(&blk, b->log, &v, bt_vm_mirror_write, b);
	}
	if (ret != 1)
		return ret;
	b->faults++;
	b->fault.orig = v.rip;
	b->fault.mirror_equal = !memcmp(b->mirror, b->mem, BT_RANGE_LEN);
	for (i = 0; i < 16; i++)
		*gpr[i] = v.gpr[i];
	f->rip = v.rip;
	if (f->vector == 14) {
		if (ioctl(b->vcpu->fd, KVM_GET_SREGS, &sregs))
			return -errno;
		if (sregs.cr2 - (b->gpa + BT_ALIAS_OFF) < BT_RANGE_LEN) {
			sregs.cr2 -= BT_ALIAS_OFF;
			if (ioctl(b->vcpu->fd, KVM_SET_SREGS, &sregs))
				return -errno;
		}
	}
	bt_vm_unpatch_slot(b, s);
	x->faulted = !x->patched;
	return 1;
}

/*
 * The protection removed, with the vCPU stopped: every translation's jump
 * first (the original bytes back, each deregistered), then the mirror
 * window and the alias, then the range itself (its mapping and file).
 * A translation left in place would store through windows that are gone.
 * 0 or -errno (what failed is left as it was).
 */
static inline int bt_vm_unprotect(struct bt_vm *b)
{
	unsigned int s;
	int ret;

	for (s = 0; s < BT_SLOTS; s++) {
		if (!b->xl[s].patched)
			continue;
		ret = bt_vm_unpatch_slot(b, s);
		if (ret)
			return ret;
	}
	ret = vm_mem_region_del(b->vm, b->gpa + BT_MIRROR_OFF);
	if (!ret)
		ret = vm_mem_region_del(b->vm, b->gpa + BT_ALIAS_OFF);
	if (ret)
		return ret;
	munmap(b->mirror, BT_RANGE_LEN);
	b->mirror = NULL;
	close(b->mfd);
	b->mfd = -1;
	return 0;
}

/* The guest's whole bt_fill, in slot 0, entered at its first byte. */
static inline int bt_vm_translate(struct bt_vm *b)
{
	return bt_vm_xlate(b, 0, (uintptr_t)bt_fill,
			   (uintptr_t)bt_fill_end - (uintptr_t)bt_fill, 0, false);
}

static inline int bt_vm_patch(struct bt_vm *b)
{
	return bt_vm_patch_slot(b, 0);
}

static inline int bt_vm_unpatch(struct bt_vm *b)
{
	return bt_vm_unpatch_slot(b, 0);
}

#endif /* BT_VM_H */
