#!/bin/bash
# Packs Debian's unmodified QEMU and a nested guest into a VM stage
# directory (the "qemu" need of a test, see mkinitramfs.sh):
#   /usr/bin/qemu-system-x86_64   Debian's binary as installed
#   /usr/share/seabios/bios-256k.bin, /usr/share/qemu/{kvmvapic.bin,
#   linuxboot_dma.bin,bios-microvm.bin,qboot.rom,pvh.bin}
#                                 the only firmware QEMU loads for -M pc,
#                                 q35 and microvm with -nodefaults and
#                                 -kernel/-initrd, at the paths it looks
#                                 for them (<bindir>/../share/...)
#   /keel/guest/kernel            the test VM's own kernel (KEEL_VMLINUZ),
#                                 uncompressed for QEMU's PVH entry where
#                                 it has one (guest-kernel.sh)
#   /keel/guest/initramfs.cpio.gz the guest's busybox initramfs (mkguest.sh,
#                                 cached in BUILD_DIR/qemu-guest), and when
#                                 the kernel has them as modules, a second
#                                 archive after it with the drivers of
#                                 virtio-net (PCI), virtio-blk (MMIO) and
#                                 ext4 and their dependencies
#                                 (decompressed) and /keel-kmods.list,
#                                 their insmod order; and Keel's guest
#                                 parts for this kernel, when built:
#                                 /keel/keel_guest.ko (loaded by the tests
#                                 that use it, with their windows) and
#                                 /bin/keel-views (selftests/qemu)
# Prints the ELF files it added, whose libraries the caller packs.
#
# Usage: pack-qemu.sh STAGE_DIR BUILD_DIR
# Env:   KEEL_VMLINUZ  the kernel image the test VM boots (see kernels.sh)
#        KEEL_MODDIR   its module tree (optional: none for a kernel with
#                      everything built in)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

[[ $# -eq 2 ]] || die "usage: $0 STAGE_DIR BUILD_DIR"
stage=$1 build=$2
: "${KEEL_VMLINUZ:?}"
# Debian's (qemu-system-x86), whatever else is first on PATH.
qemu=/usr/bin/qemu-system-x86_64
[[ -x $qemu ]] || die "$qemu is missing (run selftests/vm/deps.sh)"
[[ -f $KEEL_VMLINUZ ]] || die "no kernel image $KEEL_VMLINUZ"

# What QEMU 7.2 opens for these machines (strace -e openat): SeaBIOS for
# pc and q35, qboot for microvm (as bios-microvm.bin, or as qboot.rom with
# acpi=off), the option ROM that loads -kernel, and the TPR patching ROM of
# the pc machines' APIC. No NIC, VGA or other ROM is opened with
# -nodefaults. QEMU looks for them relative to its binary.
firmware=(
	/usr/share/seabios/bios-256k.bin
	/usr/share/qemu/kvmvapic.bin
	/usr/share/qemu/linuxboot_dma.bin
	/usr/share/qemu/bios-microvm.bin
	/usr/share/qemu/qboot.rom
	/usr/share/qemu/pvh.bin
)
mkdir -p "$stage/usr/bin" "$stage/keel/guest"
cp "$qemu" "$stage$qemu"
for f in "${firmware[@]}"; do
	[[ -f $f ]] || die "$f is missing (run selftests/vm/deps.sh)"
	mkdir -p "$stage$(dirname "$f")"
	cp -L "$f" "$stage$f"
done

kernel=$("$KEEL_VM_DIR/guest-kernel.sh" "$KEEL_VMLINUZ" "$build/qemu-guest") ||
	die "unpacking the nested guest's kernel failed"
cp "$kernel" "$stage/keel/guest/kernel"
initrd=$("$KEEL_VM_DIR/mkguest.sh" "$build/qemu-guest") ||
	die "building the nested guest's initramfs failed"
cp "$initrd" "$stage/keel/guest/initramfs.cpio.gz"

# The guest's drivers and Keel's guest parts, for this kernel: the kernel
# takes concatenated archives as one initramfs.
guest_ko=${KEEL_KMOD_ROOT:-$build/kmod}/${KEEL_KREL:-}/kmod/guest/keel_guest.ko
views=$build/selftests/qemu/keel-views
if [[ -f ${KEEL_MODDIR:-}/modules.dep || -f $guest_ko || -x $views ]]; then
	mods=$(mktemp -d)
	if [[ -f ${KEEL_MODDIR:-}/modules.dep ]]; then
		: >"$mods/keel-kmods.list"
		stage_kmods "$mods" keel-kmods.list \
			"virtio_pci virtio_net virtio_mmio virtio_blk virtio_rng crc32c_generic ext4"
		[[ -s $mods/keel-kmods.list ]] || rm "$mods/keel-kmods.list"
	fi
	if [[ -f $guest_ko ]]; then
		mkdir -p "$mods/keel"
		cp "$guest_ko" "$mods/keel/keel_guest.ko"
	fi
	if [[ -x $views ]]; then
		mkdir -p "$mods/bin"
		cp "$views" "$mods/bin/keel-views"
	fi
	(cd "$mods" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet) |
		gzip -6 >>"$stage/keel/guest/initramfs.cpio.gz"
	rm -rf "$mods"
fi

echo "$stage$qemu"
