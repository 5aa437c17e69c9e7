#!/bin/bash
# Packs the test VM's initramfs: busybox with its applet links, init.sh as
# /init, the target kernel's KVM/vhost/... modules (decompressed, in load
# order), Keel's modules, test programs and userspace tools from the build
# directory, a payload directory prepared by vmtest.sh (vm.conf, the test
# selection, a demo or benchmark) and the shared libraries all of them need.
#
# Usage: mkinitramfs.sh OUT.cpio.gz PAYLOAD_DIR
# Env:   KEEL_KREL, KEEL_MODDIR  the target kernel (see kernels.sh)
#        KEEL_VMLINUZ            its image (the nested guest's, need "qemu")
#        KEEL_BUILD_DIR          Keel's build output (default: <repo>/build)
#        KEEL_KMOD_ROOT          Keel's modules from <dir>/<KEEL_KREL>/ (with
#                                a modules.order) instead of <build>/kmod/
#        KEEL_VM_KMODS           kernel modules to load (names; dependencies
#                                are added; built-in or absent ones skipped)
#        KEEL_VM_EXTRA           host files or directories copied into the VM
#                                as /keel/extra/<name> (with their libraries;
#                                /keel/extra is on PATH there)
#        KEEL_VM_NEEDS           more needs (see below) than the selected
#                                test programs declare, e.g. "ynl" for a shell
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

[[ $# -eq 2 ]] || die "usage: $0 OUT.cpio.gz PAYLOAD_DIR"
out=$1 payload=$2
: "${KEEL_KREL:?}" "${KEEL_MODDIR:?}"
build=${KEEL_BUILD_DIR:-$KEEL_REPO/build}
kmods=${KEEL_VM_KMODS:-irqbypass kvm ccp kvm_amd tun tap vhost_iotlb vhost vhost_net veth hwpoison_inject}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc,keel/kmod,keel/bin,keel/run}

# busybox and its applets
bb=$(command -v busybox) || die "busybox is missing (run selftests/vm/deps.sh)"
cp -L "$bb" "$stage/bin/busybox"
while read -r applet; do
	[[ -e $stage/$applet || $applet == bin/busybox ]] && continue
	mkdir -p "$stage/$(dirname "$applet")"
	ln -s /bin/busybox "$stage/$applet"
done < <("$bb" --list-full)
install -m 755 "$KEEL_VM_DIR/init.sh" "$stage/init"
# Keel's udev rule: /init applies it (the VM has no udev)
install -m 644 "$KEEL_VM_DIR/../../kmod/udev/60-keel.rules" "$stage/keel/60-keel.rules"

# kernel modules, dependencies first (order of modules.dep, as modprobe)
: >"$stage/keel/kmods.list"
stage_kmods "$stage" keel/kmods.list "$kmods"

# Keel's modules, in modules.order order
kdir=${KEEL_KMOD_ROOT:-$build/kmod}/$KEEL_KREL
if [[ -f $kdir/modules.order ]]; then
	while read -r rel; do
		[[ -n $rel ]] || continue
		rel=${rel%.o}
		rel=${rel%.ko}.ko
		rel=${rel#"$kdir"/}
		[[ $rel != /* ]] || die "$kdir/modules.order lists $rel, outside $kdir"
		[[ -f $kdir/$rel ]] || die "$kdir/modules.order lists $rel, which is missing"
		mkdir -p "$stage/keel/kmod/$(dirname "$rel")"
		cp "$kdir/$rel" "$stage/keel/kmod/$rel"
		echo "$rel" >>"$stage/keel/kmod/modules.order"
	done <"$kdir/modules.order"
else
	msg "no Keel modules for $KEEL_KREL ($kdir/modules.order is missing)"
fi

# test programs and userspace tools
if [[ -d $build/selftests ]]; then
	cp -a "$build/selftests" "$stage/keel/selftests"
fi
if [[ -d $build/userspace ]]; then
	find "$build/userspace" -maxdepth 1 -type f -perm -u+x -exec cp -a {} "$stage/keel/bin/" \;
fi
# Extra host files at a fixed place, whatever their host path: the same
# path could be hidden in the VM (/init mounts tmpfs on /tmp and /run).
extra=()
for f in ${KEEL_VM_EXTRA:-}; do
	[[ -e $f ]] || die "KEEL_VM_EXTRA: $f does not exist"
	name=$(basename "$f")
	dst=$stage/keel/extra/$name
	[[ ! -e $dst ]] || die "KEEL_VM_EXTRA: two files named $name"
	mkdir -p "$stage/keel/extra"
	cp -a "$f" "$dst"
	extra+=("$dst")
done

# What the selected test programs need besides busybox: <program>.needs
# beside a program lists it, one word a line. Packed only when needed, so
# other runs boot as small an initramfs as before.
#   ynl   python3 and the kernel's YNL client with Keel's spec (pack-ynl.sh)
#   qemu  Debian's qemu-system-x86_64, its firmware, and a nested guest:
#         this kernel's image and a busybox initramfs (pack-qemu.sh)
#   keeld keeld, the daemon (keelctl is always there)
#   disk  block devices with a file system: dmsetup, mkfs.ext4, and the
#         loop, device-mapper (log-writes) and ext4 modules, where the
#         kernel has them as modules
#   nbd   Debian's nbd-server and nbd-client, and the kernel's nbd module
#         (the remote benchmark's baseline)
declare -A needs=()
for n in ${KEEL_VM_NEEDS:-}; do needs[$n]=1; done
if [[ -f $payload/keel/tests.sel ]]; then
	while read -r _ prog; do
		f=$build/selftests/$prog.needs
		[[ -f $f ]] || continue
		while read -r n; do
			[[ -z $n ]] || needs[$n]=1
		done <"$f"
	done <"$payload/keel/tests.sel"
fi
for n in "${!needs[@]}"; do
	case $n in
	ynl)
		elf=$("$KEEL_VM_DIR/pack-ynl.sh" "$stage" "$build/ynl") ||
			die "packing the YNL client failed"
		while read -r f; do
			extra+=("$f")
		done <<<"$elf"
		;;
	qemu)
		elf=$("$KEEL_VM_DIR/pack-qemu.sh" "$stage" "$build") ||
			die "packing QEMU and the nested guest failed"
		while read -r f; do
			extra+=("$f")
		done <<<"$elf"
		;;
	keeld)
		[[ -x $build/userspace/keeld/keeld ]] ||
			die "no keeld in $build/userspace (make userspace)"
		cp "$build/userspace/keeld/keeld" "$stage/keel/bin/keeld"
		;;
	disk)
		mkdir -p "$stage/keel/extra"
		for tool in dmsetup mkfs.ext4; do
			f=$(PATH=/usr/sbin:/sbin:/usr/bin:/bin command -v "$tool") ||
				die "$tool is missing (run selftests/vm/deps.sh)"
			cp -L "$f" "$stage/keel/extra/$tool"
		done
		stage_kmods "$stage" keel/kmods.list \
			"loop dm_log_writes crc32c_generic ext4"
		;;
	nbd)
		mkdir -p "$stage/keel/extra"
		for tool in nbd-server nbd-client; do
			f=$(PATH=/usr/sbin:/sbin:/usr/bin:/bin command -v "$tool") ||
				die "$tool is missing (run selftests/vm/deps.sh)"
			cp -L "$f" "$stage/keel/extra/$tool"
		done
		stage_kmods "$stage" keel/kmods.list nbd
		;;
	*) die "unknown need '$n' (a test's .needs file or KEEL_VM_NEEDS)" ;;
	esac
done
cp -a "$payload/." "$stage/"

# shared libraries of every ELF file, at the paths the loader looks for
while read -r lib; do
	[[ -e $stage/$lib ]] && continue
	mkdir -p "$stage/$(dirname "$lib")"
	cp -L "$lib" "$stage/$lib"
done < <(find "$stage/keel" "${extra[@]}" -type f -print0 |
	while IFS= read -r -d '' f; do
		[[ $(head -c4 "$f" | od -An -c | tr -d ' ') == '177ELF' ]] || continue
		ldd "$f" 2>/dev/null |
			awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' || true
	done | sort -u)

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -6 >"$out"
