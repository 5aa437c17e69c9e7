#!/bin/bash
# Runs one kernel of the matrix: gets the kernel, builds Keel's modules
# against it, prepares the VM payload (vm.conf, test selection, demo or
# benchmark), packs the initramfs, boots the VM and judges its console log.
# Prints a compact report and writes "<passed> <failed> <skipped> <results>"
# to OUTDIR/result. Called by vmtest.sh, which sets the environment.
#
# Usage: vm-run.sh KERNEL OUTDIR
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

[[ $# -eq 2 ]] || die "usage: $0 KERNEL OUTDIR"
kernel=$1 out=$2
mode=${MODE:-test}
build=${KEEL_BUILD_DIR:-$KEEL_REPO/build}
export KEEL_BUILD_DIR=$build
rm -rf "$out"
mkdir -p "$out"

desc=$("$KEEL_VM_DIR/kernels.sh" "$kernel")
eval "$desc"
export KEEL_KREL KEEL_MODDIR KEEL_VMLINUZ
has() { grep -qE "^CONFIG_$1=[ym]$" "$KEEL_KCONFIG"; }
kunit=n kmemleak=n debug=n
if has KUNIT && [[ $mode == test || $mode == kunit ]]; then kunit=y; fi
has DEBUG_KMEMLEAK && kmemleak=y
has KASAN && debug=y

if [[ ${KEEL_NO_BUILD:-0} != 1 ]]; then
	msg "building Keel's modules for $KEEL_KREL"
	# W=1 as make check's build check (W=1 C=2) has it: the same
	# compiler flags, so the objects it built are not built again.
	make -C "$KEEL_REPO" --no-print-directory modules KDIR="$KEEL_KDIR" W=1 \
		>"$out/build.log" 2>&1 || {
		tail -n 40 "$out/build.log" >&2
		die "make modules KDIR=$KEEL_KDIR failed (log: $out/build.log)"
	}
	[[ -f $build/kmod/$KEEL_KREL/modules.order ]] ||
		die "make modules KDIR=$KEEL_KDIR made no $build/kmod/$KEEL_KREL/modules.order" \
			"(<krel> is UTS_RELEASE of \$KDIR/include/generated/utsrelease.h)"
fi

# payload: what this run selects
payload=$out/payload
mkdir -p "$payload/keel/run"
: >"$payload/keel/tests.sel"
list=$build/selftests/tests.list
if [[ $mode == test ]]; then
	if [[ -f $list ]]; then
		awk -v suite="${SUITE:-}" -v test="${TEST:-}" '
			NF >= 2 && $1 !~ /^#/ &&
			(suite == "" || index(" " suite " ", " " $1 " ")) &&
			(test == "" || $2 == test || $2 ~ ("(^|/)" test "$")) { print $1, $2 }
		' "$list" >"$payload/keel/tests.sel"
	else
		msg "no test list ($list): no test programs to run"
	fi
fi
kunits=
order=${KEEL_KMOD_ROOT:-$build/kmod}/$KEEL_KREL/modules.order
if [[ $kunit == y && -f $order ]]; then
	kunits=$(sed -nE 's|.*/||; s/\.(ko|o)$//; /_kunit$/ { s/-/_/g; p }' "$order" |
		grep -F -- "$(printf '%s\n' ${SUITE:-})" | tr '\n' ' ' || true)
fi
run=
if [[ $mode == demo || $mode == bench ]]; then
	src=${RUN_PATH:?}
	run=${src##*/}
	cp -L "$src" "$payload/keel/run/$run"
	chmod +x "$payload/keel/run/$run"
	# what the program needs packed, as a test's <program>.needs says
	if [[ -f $src.needs ]]; then
		KEEL_VM_NEEDS="${KEEL_VM_NEEDS:-} $(tr '\n' ' ' <"$src.needs")"
		export KEEL_VM_NEEDS
	fi
	# and its time limit, as a test's <program>.timeout gives it
	if [[ -z ${RUN_TIMEOUT:-} && -f $src.timeout ]]; then
		RUN_TIMEOUT=$(<"$src.timeout")
	fi
fi
{
	printf 'KEEL_MODE=%q\n' "$mode"
	printf 'KEEL_TEST_TIMEOUT=%q\n' "${TEST_TIMEOUT:-300}"
	printf 'KEEL_RUN_TIMEOUT=%q\n' "${RUN_TIMEOUT:-600}"
	printf 'KEEL_KUNIT=%q\n' "$kunit"
	printf 'KEEL_KUNIT_FILTER=%q\n' "${SUITE:-}"
	printf 'KEEL_KMEMLEAK=%q\n' "$kmemleak"
	printf 'KEEL_KERNEL_DEBUG=%q\n' "$debug"
	printf 'KEEL_RUN=%q\n' "$run"
	printf 'KEEL_RUN_ARGS=%q\n' "${RUN_ARGS:-}"
} >"$payload/keel/vm.conf"

"$KEEL_VM_DIR/mkinitramfs.sh" "$out/initramfs.cpio.gz" "$payload"

cmdline="console=ttyS0,115200 panic=-1 loglevel=5 log_buf_len=4M rcupdate.rcu_cpu_stall_timeout=60"
[[ $kmemleak == n ]] || cmdline+=" kmemleak=on"
# 6.1 with KASAN and 5-level paging (-cpu max has LA57): identify_cpu()
# clears the boot CPU's feature bits for a moment, pgtable_l5_enabled()
# reads LA57 from them, and an interrupt in that moment makes KASAN report
# a wild access to a direct-map address, which also turns lock debugging
# off for the whole run. Seen at boot, of the debug VM and of a nested
# debug guest: the debug kernel runs with 4-level paging.
[[ $debug == n ]] || cmdline+=" no5lvl"
# Without ACPI (the debug kernel) there is no HPET to calibrate the TSC
# against, only the PIT, and under TCG on a loaded machine that fails now
# and then ("tsc: Unable to calibrate against PIT"): the kernel's clocks
# then run at a guessed rate and network tests saw no frame at all. TCG's
# TSC is the host's, so the host's rate, where a hypervisor reports it.
if ! has ACPI && grep -qw hypervisor /proc/cpuinfo; then
	tsc_khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
	[[ -z $tsc_khz || $tsc_khz -le 0 ]] || cmdline+=" tsc_early_khz=$tsc_khz"
fi
cmdline+=" ${KEEL_APPEND:-}"
case $mode in
demo | bench) show=stream ;;
shell) show=interactive VM_TIMEOUT=${VM_TIMEOUT:-86400} ;;
*) show=${VERBOSE:+stream}; show=${show:-progress} ;;
esac

msg "booting $kernel ($KEEL_KREL)"
start=$SECONDS
boot_rc=0
# A hang guard, not a time budget (each program has its own limit): the
# debug kernel's VM runs everything about three times slower, and on a
# loaded host a stock kernel's VM once ran for 1,683 s.
: "${VM_TIMEOUT:=2700}"
VM_TIMEOUT=$VM_TIMEOUT "$KEEL_VM_DIR/boot-vm.sh" "$KEEL_VMLINUZ" "$out/initramfs.cpio.gz" "$cmdline" \
	"$out/console.log" "$show" || boot_rc=$?
secs=$((SECONDS - start))
[[ $mode != shell ]] || exit 0

tests=$(awk '{ printf "%s ", $2 }' "$payload/keel/tests.sel")
gawk -v tests="$tests" -v kunits="$kunits" -v kmemleak="$kmemleak" -v run="$run" \
	-v ignore="${KEEL_DMESG_IGNORE:-}" -f "$KEEL_VM_DIR/parse-console.awk" \
	"$out/console.log" >"$out/report"
read -r _ pass fail skip results < <(grep '^KEEL-RESULT ' "$out/report")
if ((boot_rc == 124)); then
	echo "NOTE the VM was killed at its time limit (VM_TIMEOUT=$VM_TIMEOUT s)" >>"$out/report"
fi
echo "$pass $fail $skip $results" >"$out/result"

printf '== %s (%s): %d passed, %d failed, %d skipped; VM ran %d s\n' \
	"$kernel" "$KEEL_KREL" "$pass" "$fail" "$skip" "$secs"
if [[ -n ${VERBOSE:-} ]]; then
	grep -v '^KEEL-RESULT ' "$out/report"
else
	grep -vE '^(KEEL-RESULT|PASS) ' "$out/report" || true
fi
printf '   console log: %s\n' "$out/console.log"
