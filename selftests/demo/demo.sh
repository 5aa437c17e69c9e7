#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make demo": install what is missing, build Keel, and run demo-vm.sh in a
# test VM on the stock 6.1 kernel (KERNEL=6.12 or debug to change it).
# keeld (built by vmtest.sh with the rest of userspace) goes into the VM
# as /keel/bin/keeld (the need "keeld"), which demo-vm.sh gets; it fails
# without it.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/selftests/vm/deps.sh"
# Debian's QEMU and a nested Linux guest for the attach part.
export KEEL_VM_NEEDS="${KEEL_VM_NEEDS:+$KEEL_VM_NEEDS }qemu keeld"
# Five nested guests in turn, each started again when the emulated CPU
# leaves it stuck: more than a benchmark's default time.
export RUN_TIMEOUT="${RUN_TIMEOUT:-1500}" VM_TIMEOUT="${VM_TIMEOUT:-2100}"
exec "$root/selftests/vm/vmtest.sh" MODE=demo KERNEL="${KERNEL:-6.1}" \
	DEMO_SCRIPT="$root/selftests/demo/demo-vm.sh" DEMO_ARGS=/keel/bin/keeld
