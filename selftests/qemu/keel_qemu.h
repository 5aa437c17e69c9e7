/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel_qemu: runs Debian's unmodified qemu-system-x86_64 inside the test VM
 * (nested, -enable-kvm) booting the nested guest that the "qemu" need packs
 * (/keel/guest/kernel, /keel/guest/initramfs.cpio.gz; see
 * Documentation/testing.rst), and lets a test program watch its console,
 * talk to its monitor and find its file descriptors. libc only.
 *
 * The guest's console (ttyS0, COM1 at 0x3f8, IRQ 4) comes through a pipe;
 * every byte is kept in a log. Judge a guest by the markers it prints under
 * a timeout, never by QEMU exiting cleanly. Timeouts are liveness bounds
 * (a boot on the debug kernel takes a minute), not performance limits.
 */
#ifndef KEEL_QEMU_H
#define KEEL_QEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "keel_test_kernel.h"

/* A boot on the debug kernel, nested under emulation, takes about a minute. */
#define KEEL_QEMU_BOOT_TIMEOUT_MS	120000

/*
 * On the debug kernel (keel_test_debug_kernel()) the qemu suite skips
 * with this reason: under the debug kernel the emulated SVM of the test
 * VM breaks nested guests too often to judge anything by them
 * (Documentation/testing.rst, "Stuck guests"), and the paths of Keel's
 * modules these tests take run there in the other suites with Keel's
 * test VMM. The stock kernels run the suite.
 */
#define KEEL_QEMU_DEBUG_SKIP \
	"the debug kernel: nested guests are the stock kernels' to run"

struct keel_qemu_opts {
	/* "pc", "q35" or "microvm" (NULL: "microvm") */
	const char *machine;
	/* guest memory in MiB (0: 256) and vCPUs (0: 1) */
	unsigned int mem_mib;
	unsigned int smp;
	/* more kernel command line, e.g. "keel.role=idle" */
	const char *append;
	/* start with -S: KVM's VM and vCPUs exist, the guest has not run */
	bool paused;
	/*
	 * QEMU's own 16550A at COM2 (0x2f8, IRQ 3) on a socket, see
	 * keel_qemu_com2_fd(); without it 0x2f8 and IRQ 3 are left free.
	 */
	bool com2;
	/* NULL: $KEEL_QEMU, else qemu-system-x86_64 on PATH */
	const char *qemu;
	/* NULL: $KEEL_GUEST_KERNEL / $KEEL_GUEST_INITRD, else /keel/guest/... */
	const char *kernel;
	const char *initrd;
	/* more arguments for QEMU, NULL-terminated (NULL: none) */
	const char *const *extra_args;
};

struct keel_qemu;

/*
 * Starts QEMU with -enable-kvm -cpu host -nodefaults -no-user-config
 * -display none -no-reboot, the console on ttyS0 and a QMP socket. Returns
 * NULL with errno set (and a message on stderr) when it cannot start it; a
 * QEMU that starts and then fails is reported by the next wait.
 */
struct keel_qemu *keel_qemu_start(const struct keel_qemu_opts *o);

/*
 * Waits until @marker appears in the console output after the previous
 * match (or the start), for at most @timeout_ms. Returns 0 when it did,
 * -ETIMEDOUT, or -ESRCH when QEMU has exited (its wait status is added to
 * the console log and kept, see keel_qemu_exit_status()).
 */
int keel_qemu_wait_for(struct keel_qemu *q, const char *marker, int timeout_ms);

/*
 * As keel_qemu_wait_for(), then waits for the rest of the marker's line
 * and copies it, from the marker on, without its line end, into @line.
 */
int keel_qemu_wait_line(struct keel_qemu *q, const char *marker, char *line,
			size_t size, int timeout_ms);

/* Reads what the console has sent so far, waiting at most @timeout_ms. */
void keel_qemu_poll(struct keel_qemu *q, int timeout_ms);

/* Everything the console printed so far (NUL-terminated), and its length. */
const char *keel_qemu_console_log(struct keel_qemu *q);
size_t keel_qemu_console_len(struct keel_qemu *q);

/* What QEMU wrote to its stderr so far (NUL-terminated). */
const char *keel_qemu_stderr(struct keel_qemu *q);

/*
 * For a failure: the last @tail bytes of the guest's console and QEMU's
 * stderr on stderr, as TAP comment lines.
 */
void keel_qemu_dump(struct keel_qemu *q, size_t tail);
/* @text on stderr as TAP comment lines. */
void keel_qemu_comment(const char *text);

/*
 * Nested guests here hang now and then: the emulated SVM of the test VM
 * (QEMU's TCG) sometimes delivers an interrupt a second time inside its
 * own handler, which then spins for ever, interrupts off, on a lock it
 * holds (seen in about 1 boot in 6 on a quiet machine; on a loaded one
 * in most boots of pc and q35; see Documentation/testing.rst).
 * keel_qemu_stuck() recognises that state: returns 1 when, over three
 * looks in a second, the vCPU is not halted, has interrupts off and keeps
 * its instruction pointer and every general register, 0 if not, -errno
 * if QEMU cannot be asked. Only meaningful while the guest runs (not
 * paused).
 */
#define KEEL_QEMU_STUCK_CHECK_MS	5000
#define KEEL_QEMU_BOOT_TRIES		16
/*
 * Starts of a whole run that streams interrupts into the guest (vhost-net
 * tests, demo and benchmark): a stream makes the emulated CPU break the
 * nested guest far more often than a boot does, the more so on a loaded
 * machine. Bounded by the tests' own time budgets as much as by this.
 */
#define KEEL_QEMU_STREAM_TRIES		24
/*
 * A case whose every start the emulated CPU broke so tested nothing of
 * Keel: it reports a skip that says so, with the count of starts, as
 * coalesce_vhost_test does (never a pass). Anything else that goes wrong
 * on the way is still a failure, and so is a boot that came to nothing
 * without a sign of that fault (keel_qemu_wait_boot(): a fault of Keel's
 * could look the same). For a test of the kselftest harness, after its
 * last start; @statement as SKIP()'s.
 */
#define KEEL_QEMU_ALL_BROKEN \
	"the emulated CPU broke the nested guest at all %d starts: nothing tested"
#define KEEL_QEMU_SKIP_ALL_BROKEN(statement, starts) do { \
	ASSERT_EQ(0, keel_qemu_silent_boots()) \
		TH_LOG("boots that never came up without a sign of the emulated CPU's fault"); \
	SKIP(statement, KEEL_QEMU_ALL_BROKEN, (starts)); \
} while (0)

int keel_qemu_stuck(struct keel_qemu *q);
/* The instruction of the last keel_qemu_stuck() that returned 1. */
unsigned long long keel_qemu_stuck_ip(struct keel_qemu *q);

/*
 * The same fault's other face: the interrupt is delivered again at the
 * first instruction of its own entry, with interrupts off, until the
 * entry stack overflows and the guest panics ("Fatal exception in
 * interrupt"). QEMU exits once the guest's reboot gets through, which
 * can take minutes: on microvm without ACPI the kernel first knocks at a
 * keyboard controller there is not, each knock an exit of the nested
 * guest. True when the console shows that panic, QEMU gone or not. A
 * fault of Keel's that panicked the guest in an interrupt every time
 * would still fail a test: only KEEL_QEMU_BOOT_TRIES starts are made,
 * each noted.
 */
bool keel_qemu_panicked(struct keel_qemu *q);

/*
 * After -EDEADLK, what happened, for a message: "is stuck at 0x...
 * with interrupts off", "panicked in an interrupt" or "did not come up in
 * N s (...)" (valid until the next call or keel_qemu_free()).
 */
const char *keel_qemu_fault(struct keel_qemu *q);

/*
 * As keel_qemu_wait_for(), and after every KEEL_QEMU_STUCK_CHECK_MS
 * without @marker, asks keel_qemu_panicked() and, when no console output
 * came either, keel_qemu_stuck(): -EDEADLK when the guest panicked or is
 * stuck, whether QEMU still runs or not.
 */
int keel_qemu_wait_live(struct keel_qemu *q, const char *marker, int timeout_ms);

/*
 * A boot's wait: as keel_qemu_wait_live(), and a guest that did not reach
 * @marker within @timeout_ms is taken for broken by the emulated CPU too:
 * -EDEADLK. A boot here takes well under a third of
 * KEEL_QEMU_BOOT_TIMEOUT_MS, and a guest of the test VMs was once seen
 * silent for all of it, neither stuck as keel_qemu_stuck() knows it nor
 * panicked (an interrupt lost, most likely, while it waited for one).
 * keel_qemu_fault() then says where its vCPU was. A fault of Keel's that
 * kept every guest from booting still fails a test: only
 * KEEL_QEMU_BOOT_TRIES starts are made, each noted, and a case whose
 * starts ran out is never a skip after such a boot
 * (KEEL_QEMU_SKIP_ALL_BROKEN).
 */
int keel_qemu_wait_boot(struct keel_qemu *q, const char *marker,
			int timeout_ms);
/*
 * How many of keel_qemu_wait_boot()'s -EDEADLK in this process were such
 * silent boots (the harness runs each case in a process of its own).
 */
int keel_qemu_silent_boots(void);

/*
 * Starts QEMU (never paused) and waits for @marker as keel_qemu_wait_boot()
 * does; a guest stuck on the way is killed and started again, up to
 * KEEL_QEMU_BOOT_TRIES times in all (each noted on stderr as a TAP
 * comment). *qp is the last QEMU started, also on failure (for its log),
 * NULL if none started. Returns 0 or a wait's error.
 */
int keel_qemu_boot(struct keel_qemu **qp, const struct keel_qemu_opts *o,
		   const char *marker, int timeout_ms);

/*
 * A human monitor command ("cont", "stop", "info registers", ...) through
 * QMP's human-monitor-command. Returns its reply text (valid until the
 * next monitor call or keel_qemu_free()), NULL with errno set when QEMU
 * could not be asked or refused the request (the error in the reply).
 */
const char *keel_qemu_monitor(struct keel_qemu *q, const char *cmd);

/*
 * A raw QMP command, e.g. "{\"execute\": \"query-status\"}". Returns the
 * reply line ({"return": ...} or {"error": ...}), owned as above.
 */
const char *keel_qemu_qmp(struct keel_qemu *q, const char *json);

/*
 * The socket of QEMU's COM2 (opts.com2), connected once: bytes written go
 * to the guest's ttyS1, what the guest sends there is read from it.
 * Returns -1 with errno set without opts.com2.
 */
int keel_qemu_com2_fd(struct keel_qemu *q);

/*
 * The number of QEMU's file descriptor whose /proc/<pid>/fd link reads
 * @target (e.g. "anon_inode:kvm-vm"), for pidfd_getfd(2); -ENOENT if none.
 */
int keel_qemu_find_fd(struct keel_qemu *q, const char *target);

pid_t keel_qemu_pid(struct keel_qemu *q);

/* QEMU's wait status once it has exited and been reaped, -1 before. */
int keel_qemu_exit_status(struct keel_qemu *q);

/* SIGKILL and reap (if still running); the console log stays. */
void keel_qemu_kill(struct keel_qemu *q);

/* Kills QEMU if running, removes its sockets and files, frees @q. */
void keel_qemu_free(struct keel_qemu *q);

/*
 * For a demo's failure: "demo: @why" on stderr, then @q's console and
 * QEMU's stderr (if @q), and keel_qemu_free(@q). Returns 1, the exit code.
 */
int keel_qemu_demo_fail(struct keel_qemu *q, const char *why);

#endif /* KEEL_QEMU_H */
