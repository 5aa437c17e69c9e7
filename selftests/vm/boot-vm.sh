#!/bin/bash
# Boots one test VM under qemu TCG (-cpu max: nested SVM, so the guest has a
# real /dev/kvm) with the serial console written to a log file, and bounds it
# in time: the VM is killed after $VM_TIMEOUT seconds, or 30 s after /init
# printed KEEL-VM-DONE if it then hangs on the way down. Exits 0 when qemu
# ended by itself, 124 when it was killed for the time limit.
#
# Usage: boot-vm.sh VMLINUZ INITRD CMDLINE LOG SHOW
#   SHOW: quiet | progress (marker lines) | stream (console but the
#         kernel log dump) |
#         interactive (console on the terminal, for MODE=shell)
# Env:   VM_TIMEOUT (s, default 900), KEEL_VM_MEM (2G), KEEL_VM_SMP (2),
#        KEEL_VM_ACCEL (tcg,thread=single: with thread=multi, KVM's
#        enable/disable IPIs inside the VM hang now and then)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

[[ $# -eq 5 ]] || die "usage: $0 VMLINUZ INITRD CMDLINE LOG SHOW"
vmlinuz=$1 initrd=$2 cmdline=$3 log=$4 show=$5
limit=${VM_TIMEOUT:-900}
qemu=(qemu-system-x86_64 -accel "${KEEL_VM_ACCEL:-tcg,thread=single}" -cpu max
	-smp "${KEEL_VM_SMP:-2}" -m "${KEEL_VM_MEM:-2G}"
	-display none -monitor none -no-reboot -nodefaults
	-kernel "$vmlinuz" -initrd "$initrd" -append "$cmdline")
command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 is missing (run selftests/vm/deps.sh)"
: >"$log"

if [[ $show == interactive ]]; then
	exec timeout --foreground -k 10 "$limit" "${qemu[@]}" \
		-chardev "stdio,id=con,mux=on,signal=off,logfile=$log" \
		-serial chardev:con
fi

"${qemu[@]}" -chardev "file,id=con,path=$log" -serial chardev:con \
	</dev/null >"$log.qemu" 2>&1 &
qpid=$!
viewer=
case $show in
stream)
	# all of the console but the kernel log dump (it stays in the log)
	tail -n +1 -f --pid="$qpid" "$log" |
		gawk '/^KEEL-DMESG-BEGIN/ { s = 1 } !s { print; fflush() } /^KEEL-DMESG-END/ { s = 0 }' &
	viewer=$!
	;;
progress)
	tail -n +1 -f --pid="$qpid" "$log" |
		grep --line-buffered -aE '^KEEL-(VM-BEGIN|TEST-END|KUNIT-END|RUN-END|CHECK|VM-DONE)' |
		sed -u 's/\r$//; s/^/    /' &
	viewer=$!
	;;
esac

start=$SECONDS status=0 done_at=
while kill -0 "$qpid" 2>/dev/null; do
	if [[ -z $done_at ]] && grep -aq '^KEEL-VM-DONE' "$log"; then
		done_at=$SECONDS
	fi
	if [[ -n $done_at ]] && ((SECONDS - done_at > 30)); then
		msg "VM did not power off 30 s after KEEL-VM-DONE; killing it"
		break
	fi
	if ((SECONDS - start >= limit)); then
		msg "VM still running after $limit s: killed (counts as a failure)"
		status=124
		break
	fi
	sleep 1
done
if kill -0 "$qpid" 2>/dev/null; then
	kill "$qpid" 2>/dev/null || true
	for _ in 1 2 3 4 5; do kill -0 "$qpid" 2>/dev/null && sleep 1; done
	kill -KILL "$qpid" 2>/dev/null || true
fi
wait "$qpid" 2>/dev/null || true
[[ -z $viewer ]] || wait "$viewer" 2>/dev/null || true
if [[ -s $log.qemu ]]; then
	msg "qemu said:"
	sed 's/^/    /' "$log.qemu" >&2
fi
exit "$status"
