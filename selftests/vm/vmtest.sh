#!/bin/bash
# Keel's VM test runner: for each kernel of the matrix, builds Keel against
# it and runs the test programs, KUnit suites, a demo or a benchmark in a
# qemu VM (see vm-run.sh), then prints the totals as the last line:
# "N passed, N failed, N skipped". Exits non-zero if anything failed or
# nothing ran.
#
# Settings, as environment variables or VAR=value arguments:
#   KERNEL=6.1|6.12|debug|all  kernels (default all; 6.1 for demo/bench/shell)
#   MODE=test|kunit|demo|bench|shell
#                 test: test programs (+ KUnit on kernels with KUnit)
#                 kunit: KUnit modules only, on the debug kernel
#                 demo: DEMO_SCRIPT=<file> [DEMO_ARGS=...] inside the VM
#                 bench: BENCH=<file or selftests path> [BENCH_ARGS=...]
#                 shell: an interactive shell in the VM, Keel loaded
#   SUITE=<suite> only that suite's programs and KUnit modules naming it
#                 ("vdev ring": those suites)
#   TEST=<program> only that program (name or path under build/selftests)
#   TEST_TIMEOUT (300 s per program), VM_TIMEOUT (2700 s per VM),
#   RUN_TIMEOUT (600 s for a demo or benchmark), VERBOSE=1 (whole console,
#   passed checks too), KEEL_NO_BUILD=1 (use build/ as it is),
#   KEEL_BUILD_DIR (default <repo>/build), KEEL_CACHE (kernel cache),
#   KEEL_KMOD_ROOT (Keel's modules from <dir>/<kernel release>/, with a
#   modules.order, such as DKMS built them, instead of building them; with
#   KEEL_NO_BUILD=1),
#   KEEL_VM_OUT (logs, default <build>/vm), KEEL_APPEND (kernel command
#   line), KEEL_DMESG_IGNORE (regex), KEEL_VM_JOBS (VMs at once, default
#   the number of CPUs, at most 2 used: the debug kernel's beside the rest),
#   KEEL_VM_EXTRA (host files to copy into the VM's /keel/extra),
#   KEEL_VM_KMODS.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

for arg in "$@"; do
	[[ $arg =~ ^[A-Z_]+=.*$ ]] || die "unknown argument '$arg' (use VAR=value)"
	export "${arg?}"
done
export MODE=${MODE:-test}
build=${KEEL_BUILD_DIR:-$KEEL_REPO/build}
export KEEL_BUILD_DIR=$build

case $MODE in
test) kernels=${KERNEL:-all} ;;
kunit) kernels=${KERNEL:-debug} ;;
demo | bench | shell) kernels=${KERNEL:-6.1} ;;
*) die "MODE must be test, kunit, demo, bench or shell" ;;
esac
[[ $kernels != all ]] || kernels=$("$KEEL_VM_DIR/kernels.sh" --list)
[[ $MODE != kunit || $kernels == debug ]] || die "MODE=kunit runs on KERNEL=debug only"

"$KEEL_VM_DIR/deps.sh"

if [[ ${KEEL_NO_BUILD:-0} != 1 && $MODE != kunit ]]; then
	msg "building userspace and selftests"
	make -C "$KEEL_REPO" --no-print-directory userspace selftests >&2 ||
		die "make userspace selftests failed"
fi

case $MODE in
demo) RUN_PATH=${DEMO_SCRIPT:?MODE=demo needs DEMO_SCRIPT=<file>}; RUN_ARGS=${DEMO_ARGS:-} ;;
bench)
	RUN_PATH=${BENCH:?MODE=bench needs BENCH=<file>}
	[[ -f $RUN_PATH ]] || RUN_PATH=$build/selftests/$BENCH
	RUN_ARGS=${BENCH_ARGS:-}
	;;
esac
if [[ -n ${RUN_PATH:-} ]]; then
	[[ -f $RUN_PATH ]] || die "no such file: $RUN_PATH"
	export RUN_PATH RUN_ARGS
fi

total_pass=0 total_fail=0 total_skip=0 total_results=0
vm_out=${KEEL_VM_OUT:-$build/vm}

# Adds kernel $1's result; $2: whether its VM was set up.
count() {
	local p f s r

	if [[ $2 != y ]]; then
		echo "== $1: FAIL setting up the VM (see the messages above)"
		total_fail=$((total_fail + 1))
		return
	fi
	read -r p f s r <"$vm_out/$1/result"
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
	total_skip=$((total_skip + s)) total_results=$((total_results + r))
}

# Each VM runs on single-threaded TCG, one CPU: with more than one CPU
# the debug kernel's VM, by far the longest, runs beside the others in
# test mode (KEEL_VM_JOBS=1 runs them one after another). Its messages
# go to <vm out>/debug.log, printed when it has ended.
beside=
if [[ $MODE == test && ${KEEL_VM_JOBS:-$(nproc)} -ge 2 &&
	" $kernels " == *" debug "* && $kernels != debug ]]; then
	beside=debug
	mkdir -p "$vm_out"
	msg "the debug kernel's VM runs beside the others (KEEL_VM_JOBS=1: one after another)"
	"$KEEL_VM_DIR/vm-run.sh" debug "$vm_out/debug" >"$vm_out/debug.log" 2>&1 &
	beside_pid=$!
fi
for k in $kernels; do
	[[ $k != "$beside" ]] || continue
	ok=y
	"$KEEL_VM_DIR/vm-run.sh" "$k" "$vm_out/$k" || ok=n
	[[ $MODE != shell ]] || continue
	count "$k" "$ok"
done
[[ $MODE != shell ]] || exit 0
if [[ -n $beside ]]; then
	ok=y
	wait "$beside_pid" || ok=n
	cat "$vm_out/debug.log"
	count debug "$ok"
fi

status=0
if ((total_results == 0)); then
	echo "no test ran: nothing to judge"
	status=1
fi
((total_fail == 0)) || status=1
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
exit "$status"
