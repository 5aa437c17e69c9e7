#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make check": everything Keel tests, counted into one line.
#   1. build checks: modules for each stock kernel with W=1 and sparse
#      (no warnings allowed), kernel-doc with each kernel's scripts/kernel-doc,
#      checkpatch --strict, the generated netlink code and the uapi headers
#      against the YNL spec, userspace with -Werror, the manual pages;
#   2. host-side unit tests (TAP);
#   3. the Debian packages (lintian clean), keel-dkms installed with dpkg
#      (DKMS building it for 6.1 and 6.12) and purged, make install and
#      uninstall;
#   4. the VM tests on the 6.1, 6.12 and debug kernels (selftests/vm), and
#      the vdev and ring suites on 6.1 and 6.12 with DKMS's modules.
# Each VM runs on one CPU (single-threaded TCG). With two CPUs or more
# (KEEL_VM_JOBS, as for selftests/vm/vmtest.sh), the debug kernel's VM, by
# far the longest, runs beside the stock kernels' VMs and then the DKMS
# modules' ones; its output is printed when they have ended. (Started
# earlier, beside the builds, it ran a third slower and tests with a time
# limit failed.)
# The last line printed is "N passed, N failed".
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
: "${BUILD:=$root/build}"
export BUILD
log=$BUILD/check
mkdir -p "$log"

passed=0
failed=0
failures=()

pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); echo "not ok - $1"; }

# Run "$@" with output in $log/<name>.log; pass when it succeeds and its
# output has no compiler or checker warnings.
build_check() {
	local name=$1; shift
	local out=$log/$name.log

	if "$@" >"$out" 2>&1 && ! grep -E '(warning|error):' "$out" >/dev/null; then
		pass "$name"
	else
		fail "$name (see $out)"
		grep -E '(warning|error):' "$out" | head -n 20
	fi
}

# Count the TAP results in a file.
tap_count() {
	local file=$1 name=$2 ok nok

	ok=$(grep -cE '^ok ' "$file" || true)
	nok=$(grep -cE '^not ok ' "$file" || true)
	passed=$((passed + ok))
	failed=$((failed + nok))
	if [ "$nok" -gt 0 ]; then
		failures+=("$name: $nok failed (see $file)")
		grep -E '^not ok ' "$file"
	fi
}

echo "== dependencies"
if ! selftests/vm/deps.sh; then
	echo "check: installing dependencies failed" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

vm_kernels=${KERNEL:-all}
[[ $vm_kernels != all ]] || vm_kernels=$(selftests/vm/kernels.sh --list)
jobs=${KEEL_VM_JOBS:-$(nproc)}

echo "== build checks"
build_check userspace make -s -j"$(nproc)" userspace
build_check selftests make -s -j"$(nproc)" selftests
for k in 6.1 6.12 debug; do
	kdir=$(selftests/vm/kernels.sh --kdir "$k" 2>"$log/kernel-$k.log") || kdir=
	if [ -z "$kdir" ]; then
		fail "modules for $k: no build tree (see $log/kernel-$k.log)"
		continue
	fi
	# C=2 runs sparse on every file, W=1 adds the extra warnings.
	build_check "modules-$k-W1-sparse" \
		make -s -j"$(nproc)" modules KDIR="$kdir" W=1 C=2
	# Its kernel-doc: the stricter checks differ between releases.
	build_check "kerneldoc-$k" make -s kerneldoc KDIR="$kdir"
done
build_check checkpatch make -s checkpatch
build_check ynl-spec make -s ynl-check
build_check man-pages make -s -j"$(nproc)" man

echo "== host tests"
make -s -C userspace O="$BUILD/userspace" check >"$log/host-tests.log" 2>&1
grep -qE '^(not )?ok ' "$log/host-tests.log" ||
	fail "host tests did not run (see $log/host-tests.log)"
tap_count "$log/host-tests.log" "host tests"

echo "== packages"
# keel-tools and keel-dkms, lintian clean; keel-dkms installed with dpkg,
# DKMS building it for both stock kernels, then purged (in a private DKMS
# tree instead where the host has keel-dkms already: see deb_test.sh).
build_check deb make -s deb
kdirs=()
for k in 6.1 6.12; do
	d=$(selftests/vm/kernels.sh --kdir "$k" 2>/dev/null) && kdirs+=("$d")
done
rm -rf "$BUILD/dkms" "$BUILD/vm-dkms"
KEEL_DKMS_OUT=$BUILD/dkms selftests/deb_test.sh "${kdirs[@]}" \
	>"$log/deb-test.log" 2>&1
grep -qE '^(not )?ok ' "$log/deb-test.log" ||
	fail "package test did not run (see $log/deb-test.log)"
tap_count "$log/deb-test.log" "package test"

kdir=$(selftests/vm/kernels.sh --kdir 6.1 2>/dev/null) || kdir=
if [ -n "$kdir" ]; then
	selftests/install_test.sh "$kdir" >"$log/install-test.log" 2>&1
	grep -qE '^(not )?ok ' "$log/install-test.log" ||
		fail "install test did not run (see $log/install-test.log)"
	tap_count "$log/install-test.log" "install test"
fi

# vm_result NAME LOG: the VM harness's totals from LOG into the counts
vm_result() {
	local line vp vf

	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
	if [ -z "$line" ]; then
		fail "$1 produced no result"
		return
	fi
	vp=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	vf=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	passed=$((passed + vp))
	failed=$((failed + vf))
	[ "$vf" -eq 0 ] || failures+=("$1: $vf failed (see $2)")
	[ "$vp" -gt 0 ] || fail "$1 ran nothing"
}

# The debug kernel's VM tests (the modules its build check built).
vm_debug() {
	KEEL_NO_BUILD=1 KERNEL=debug selftests/vm/vmtest.sh \
		>"$log/vmtest-debug.log" 2>&1
}

# DKMS's modules in the stock kernels' VMs: run once, by whichever lane
# of VMs is free first (mkdir is the claim), so that neither CPU idles.
vm_dkms() {
	mkdir "$log/dkms.claim" 2>/dev/null || return 0
	[ -d "$BUILD/dkms" ] || return 0
	KEEL_NO_BUILD=1 KEEL_KMOD_ROOT=$BUILD/dkms KERNEL="6.1 6.12" \
		SUITE="vdev ring" KEEL_VM_OUT=$BUILD/vm-dkms \
		selftests/vm/vmtest.sh >"$log/dkms-vmtest.log" 2>&1
}

echo "== VM tests"
rm -rf "$log/dkms.claim" "$log/dkms-vmtest.log"
debug_pid=
if [[ " $vm_kernels " == *" debug "* && $jobs -ge 2 ]]; then
	echo "the debug kernel's VM runs beside the others (KEEL_VM_JOBS=1: one after another)"
	{ vm_debug; vm_dkms; } &
	debug_pid=$!
fi
stock=$(echo " $vm_kernels " | sed 's/ debug / /; s/^ *//; s/ *$//')
if [ -n "$stock" ]; then
	KERNEL=$stock selftests/vm/vmtest.sh 2>&1 | tee "$log/vmtest.log"
	vm_result "VM tests" "$log/vmtest.log"
fi
vm_dkms
if [ -n "$debug_pid" ]; then
	wait "$debug_pid"
elif [[ " $vm_kernels " == *" debug "* ]]; then
	vm_debug
fi

echo "== DKMS's modules in the VMs"
if [ -d "$BUILD/dkms" ]; then
	tail -n 1 "$log/dkms-vmtest.log"
	vm_result "VM tests with DKMS's modules" "$log/dkms-vmtest.log"
else
	fail "no modules from DKMS for the VMs (see $log/deb-test.log)"
fi

if [[ " $vm_kernels " == *" debug "* ]]; then
	echo "== the debug kernel's VM"
	cat "$log/vmtest-debug.log"
	vm_result "VM tests on the debug kernel" "$log/vmtest-debug.log"
fi

echo "== summary"
for f in "${failures[@]}"; do
	echo "FAILED: $f"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
