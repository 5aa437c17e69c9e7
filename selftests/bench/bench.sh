#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Keel's benchmarks: "make bench SUITE=<suite>" runs this. A kernel
# suite's benchmark program runs in the VM harness (selftests/vm/vmtest.sh
# MODE=bench) on KERNEL (default 6.1); a userspace suite (alloc, bt-host) runs its
# script on this machine. Under the nested TCG VM absolute figures mean
# little: compare the ratios a benchmark prints.
#
# Settings, as environment variables or VAR=value arguments:
#   SUITE=<suite>   which benchmark (required; see the list below)
#   KERNEL=6.1|6.12|debug
#   BENCH=<program> of a suite with several, only that one (e.g.
#                   BENCH=qemu/bench_uart); each program boots its own VM
#   BENCH_ARGS=...  passed to the benchmark program
# Anything else (KEEL_NO_BUILD=1, RUN_TIMEOUT, ...) goes to vmtest.sh.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)

for arg in "$@"; do
	if [[ ! $arg =~ ^[A-Z_]+=.*$ ]]; then
		echo "bench.sh: unknown argument '$arg' (use VAR=value)" >&2
		exit 2
	fi
	export "${arg?}"
done

# suite -> benchmark programs (paths under build/selftests), run in turn
declare -A benches=(
	[vdev]="vdev/bench_vdev qemu/bench_uart"
	[coalesce]="coalesce/bench_vnet qemu/bench_coalesce"
	[mirror]=mirror/bench_mirror
	[bt]=mirror/bench_bt
	[ring]=ring/bench_ring
	[state]=state/bench_state
	[remote]=remote/bench_remote
)
# suite -> script run on this machine (userspace, no kernel module)
declare -A host_benches=(
	[alloc]=selftests/bench/bench-alloc.sh
	[cloud]=selftests/bench/bench-alloc.sh
	[bt-host]=selftests/bench/bench-bt.sh
)

suites() {
	printf '%s\n' "${!benches[@]}" "${!host_benches[@]}" | sort | paste -sd ' ' -
}

suite=${SUITE:-}
if [[ -n $suite && -n ${host_benches[$suite]+x} ]]; then
	exec "$repo/${host_benches[$suite]}"
fi
if [[ -z $suite || -z ${benches[$suite]+x} ]]; then
	if [[ -z $suite ]]; then
		echo "bench.sh: SUITE not set; available suites: $(suites)" >&2
	else
		echo "bench.sh: unknown SUITE '$suite'; available suites: $(suites)" >&2
	fi
	echo "usage: make bench SUITE=<suite> [KERNEL=6.1|6.12|debug]" \
		"[BENCH_ARGS=...]" >&2
	exit 2
fi

progs=${benches[$suite]}
if [[ -n ${BENCH:-} ]]; then
	if [[ " $progs " != *" $BENCH "* ]]; then
		echo "bench.sh: SUITE=$suite has no BENCH=$BENCH (it has: $progs)" >&2
		exit 2
	fi
	progs=$BENCH
fi
status=0
build_done=${KEEL_NO_BUILD:-0}
for prog in $progs; do
	KEEL_NO_BUILD=$build_done "$repo/selftests/vm/vmtest.sh" MODE=bench \
		KERNEL="${KERNEL:-6.1}" BENCH="$prog" \
		BENCH_ARGS="${BENCH_ARGS:-}" || status=1
	build_done=1
done
exit "$status"
