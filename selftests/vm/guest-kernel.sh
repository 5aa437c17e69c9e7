#!/bin/bash
# The nested guest's kernel (the "qemu" need, see pack-qemu.sh): the test
# VM's own bzImage, uncompressed to the vmlinux it carries when that has a
# PVH entry (XEN_ELFNOTE_PHYS32_ENTRY). QEMU boots such an ELF through the
# PVH entry on pc, q35 and microvm, and the guest skips its decompressor,
# which ran 7 of a nested boot's 25 seconds under the test VM's emulated
# CPU (Documentation/testing.rst, "Stuck guests"). Without a PVH entry
# (or a payload this script cannot unpack) the bzImage itself is the
# guest's kernel. Kept in DIR, made again when the image is newer.
# Prints the path of the kernel to boot.
#
# Usage: guest-kernel.sh BZIMAGE DIR
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

[[ $# -eq 2 ]] || die "usage: $0 BZIMAGE DIR"
image=$1 dir=$2
[[ -f $image ]] || die "no kernel image $image"
mkdir -p "$dir"
out=$dir/vmlinux-$(basename "$image")

# VMs of several kernels may pack their guests at once: one at a time.
exec 9>"$dir/.lock"
flock 9

# The PVH entry's note, in an ELF the payload unpacked to.
pvh() {
	readelf -n "$1" 2>/dev/null | grep -Eq 'Xen.*(0x00000012|PHYS32_ENTRY)'
}

# Written only once checked (below): present and newer, it is the kernel.
if [[ -f $out && $out -nt $image ]]; then
	echo "$out"
	exit 0
fi

# The payload's compressor, as the bzImage was built (xz for 6.1, zstd for
# 6.12), by its magic: the first offset that unpacks to an ELF is it.
unpack() {
	local magic=$1 off
	shift
	while read -r off; do
		tail -c +$((off + 1)) "$image" | "$@" >"$out.tmp" 2>/dev/null || true
		readelf -h "$out.tmp" >/dev/null 2>&1 && return 0
	done < <(LC_ALL=C grep -obUaP "$magic" "$image" | cut -d: -f1)
	return 1
}

rm -f "$out"
if { unpack '\xfd7zXZ\x00' xz -dcq ||
     unpack '\x28\xb5\x2f\xfd' zstd -dcq ||
     unpack '\x1f\x8b\x08' gzip -dcq; } && pvh "$out.tmp"; then
	mv "$out.tmp" "$out"
	echo "$out"
else
	rm -f "$out.tmp"
	echo "$image"
fi
