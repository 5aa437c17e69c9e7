#!/bin/bash
# Builds the initramfs of the nested guest that QEMU boots inside the test
# VM (the "qemu" need, see pack-qemu.sh): static busybox with its applet
# links, selftests/qemu/guest/init as /init and the roles of
# selftests/qemu/guest/roles as /roles. Kept in DIR and rebuilt only when
# one of its inputs changed (busybox, the guest files, this script).
# Prints the path of the initramfs.
#
# Usage: mkguest.sh DIR
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

[[ $# -eq 1 ]] || die "usage: $0 DIR"
dir=$1
guest=$KEEL_REPO/selftests/qemu/guest
out=$dir/initramfs.cpio.gz

bb=$(command -v busybox) || die "busybox is missing (run selftests/vm/deps.sh)"
bb=$(readlink -f "$bb")
# The guest has no libraries: busybox must be static (busybox-static).
if ldd "$bb" >/dev/null 2>&1; then
	die "$bb is linked dynamically; the nested guest needs busybox-static"
fi

# VMs of several kernels may pack the guest at once: one at a time.
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

inputs=$( (
	sha256sum "$bb" "${BASH_SOURCE[0]}"
	cd "$guest" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
) | sha256sum | cut -c1-32)
if [[ -f $out && $(cat "$dir/inputs" 2>/dev/null) == "$inputs" ]]; then
	echo "$out"
	exit 0
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,roles}
cp "$bb" "$stage/bin/busybox"
while read -r applet; do
	[[ -e $stage/$applet || $applet == bin/busybox ]] && continue
	mkdir -p "$stage/$(dirname "$applet")"
	ln -s /bin/busybox "$stage/$applet"
done < <("$bb" --list-full)
install -m 755 "$guest/init" "$stage/init"
for f in "$guest"/roles/*; do
	install -m "$([[ $f == *.sh ]] && echo 644 || echo 755)" "$f" "$stage/roles/"
done

mkdir -p "$dir"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -9 >"$out.tmp"
mv "$out.tmp" "$out"
echo "$inputs" >"$dir/inputs"
echo "$out"
