#!/bin/bash
# Provides the kernels of the test matrix: "6.1" and "6.12" (stock Debian
# kernels, see kernel-stock.sh) and "debug" (built from Debian's source, see
# kernel-debug.sh), cached under $KEEL_CACHE. Prints shell assignments that
# describe the kernel:
#   KEEL_KERNEL  matrix name          KEEL_KREL     kernel release
#   KEEL_KDIR    build tree for out-of-tree modules
#   KEEL_VMLINUZ bootable image       KEEL_MODDIR   its module tree
#   KEEL_KCONFIG its .config
# Usage: kernels.sh NAME | kernels.sh --kdir NAME | kernels.sh --list
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

usage() { die "usage: $0 [--kdir] 6.1|6.12|debug  |  $0 --list"; }

only=
case ${1:-} in
--list) echo "6.1 6.12 debug"; exit 0 ;;
--kdir) only=KEEL_KDIR; shift ;;
esac
[[ $# -eq 1 ]] || usage
case $1 in
debug) desc=$("$KEEL_VM_DIR/kernel-debug.sh") ;;
[0-9]*.[0-9]*) desc=$("$KEEL_VM_DIR/kernel-stock.sh" "$1") ;;
*) usage ;;
esac
if [[ -n $only ]]; then
	eval "$desc"
	printf '%s\n' "${!only}"
else
	printf '%s\n' "$desc"
fi
