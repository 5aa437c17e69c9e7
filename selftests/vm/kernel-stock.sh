#!/bin/bash
# Fetches a stock Debian kernel into the cache without installing it: the
# image package matching the installed headers meta package (release and
# version read from dpkg), downloaded and unpacked with dpkg-deb. Prints the
# kernel's description (see kernels.sh) on stdout.
# Usage: kernel-stock.sh NAME   (6.1 = linux-headers-amd64,
#                                 X.Y = linux-headers-X.Y-amd64)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

[[ $# -eq 1 ]] || die "usage: $0 NAME"
name=$1
if [[ $name == 6.1 ]]; then
	meta=linux-headers-amd64
else
	meta=linux-headers-$name-amd64
fi

deps=$(dpkg-query -W -f='${db:Status-Abbrev} ${Depends}\n' "$meta" 2>/dev/null |
	awk '$1 == "ii"' || true)
[[ -n $deps ]] || die "$meta is not installed (run selftests/vm/deps.sh)"
krel=$(grep -oE 'linux-headers-[^ ,]+' <<<"$deps" | head -n1)
krel=${krel#linux-headers-}
[[ -n $krel ]] || die "cannot find the kernel release $meta depends on"
ver=$(pkg_version "linux-headers-$krel")
[[ -n $ver ]] || die "linux-headers-$krel is not installed"

kdir=/usr/src/linux-headers-$krel
[[ -f $kdir/Makefile ]] || kdir=/lib/modules/$krel/build
[[ -f $kdir/Makefile ]] || die "no kernel build tree for $krel"

dir=$KEEL_CACHE/stock-$krel-$ver
mkdir -p "$KEEL_CACHE"
exec 9>"$KEEL_CACHE/stock.lock"
flock 9

if [[ ! -f $dir/stamp ]]; then
	rm -rf "$dir"
	mkdir -p "$dir/deb"
	got=
	for try in 1 2; do
		for pkg in "linux-image-$krel" "linux-image-$krel-unsigned"; do
			msg "downloading $pkg=$ver"
			if (cd "$dir/deb" && apt-get download -q \
				-o APT::Sandbox::User="$(id -un)" "$pkg=$ver" >&2); then
				got=$pkg
				break 2
			fi
		done
		# the package lists may be missing or stale: refresh once
		[[ $try == 1 && $(id -u) == 0 ]] || break
		apt-get update -q >&2 </dev/null || true
	done
	[[ -n $got ]] || die "cannot download linux-image-$krel=$ver; try:" \
		"apt-get update && apt-get install $meta"
	dpkg-deb -x "$dir"/deb/*.deb "$dir/root"
	rm -rf "$dir/deb"
	# the package's postinst would run depmod: build modules.dep here
	depmod=$(PATH=$PATH:/usr/sbin:/sbin command -v depmod) ||
		die "depmod is missing (run selftests/vm/deps.sh)"
	"$depmod" -b "$dir/root" "$krel" || die "depmod failed for $krel"
	date -u +%FT%TZ >"$dir/stamp"
fi

moddir=$dir/root/lib/modules/$krel
[[ -d $moddir ]] || moddir=$dir/root/usr/lib/modules/$krel
vmlinuz=$dir/root/boot/vmlinuz-$krel
[[ -f $vmlinuz ]] || die "$vmlinuz is missing; remove $dir and retry"
printf 'KEEL_KERNEL=%q\n' "$name"
printf 'KEEL_KREL=%q\n' "$krel"
printf 'KEEL_KDIR=%q\n' "$kdir"
printf 'KEEL_VMLINUZ=%q\n' "$vmlinuz"
printf 'KEEL_MODDIR=%q\n' "$moddir"
printf 'KEEL_KCONFIG=%q\n' "$dir/root/boot/config-$krel"
