#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make install" puts every part where it belongs and "make uninstall"
# leaves the tree exactly as it was: run against a staging root (DESTDIR)
# that starts as a host would, with depmod's index files in place.
# Prints TAP.
#
# usage: install_test.sh <kernel build dir>
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1
rel=$(sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h")
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
# shellcheck source-path=SCRIPTDIR
. "$root/selftests/tap.sh"

snapshot() {
	(cd "$dest" && find . -type f -print0 | LC_ALL=C sort -z |
		xargs -0 -r sha256sum)
}

echo "1..10"
mkdir -p "$dest/lib/modules/$rel"
depmod -a -b "$dest" "$rel" 2>/dev/null
before=$(snapshot)

# W=1 as make check's build check and the VM runs have it: the modules
# they built are installed, not built again with other flags.
make -s -C "$root" install KDIR="$kdir" DESTDIR="$dest" W=1 >"$dest.log" 2>&1
t $? "make install into a staging root"

ko=$(find "$dest/lib/modules/$rel/extra/keel" -name 'keel.ko*' | head -n 1)
[ -n "$ko" ]
t $? "keel.ko installed under extra/keel"

grep -q 'keel.ko' "$dest/lib/modules/$rel/modules.dep"
t $? "depmod knows keel.ko"

[ -x "$dest/usr/local/sbin/keelctl" ] && [ -x "$dest/usr/local/sbin/keeld" ] &&
	[ -x "$dest/usr/local/sbin/keel-iod" ] &&
	[ -f "$dest/usr/local/include/linux/keel.h" ] &&
	[ -f "$dest/usr/local/include/linux/keel_vdev.h" ] &&
	[ -f "$dest/usr/local/include/linux/keel_state.h" ] &&
	[ -f "$dest/usr/local/include/linux/keel_ring.h" ] &&
	[ -f "$dest/usr/local/include/linux/keeld.h" ] &&
	[ -f "$dest/usr/local/include/linux/keel_mirror.h" ] &&
	[ -f "$dest/usr/local/include/linux/keel_remote.h" ]
t $? "keelctl, keeld, keel-iod and the uapi headers installed"

grep -q 'KERNEL=="keel|keel-\*", GROUP="kvm", MODE="0660"' \
	"$dest/etc/udev/rules.d/60-keel.rules"
t $? "the udev rule gives the device nodes to group kvm"

grep -q '^ExecStart=/usr/local/sbin/keeld ' \
	"$dest/usr/local/lib/systemd/system/keeld.service" &&
	grep -q '^u keeld ' "$dest/usr/local/lib/sysusers.d/keeld.conf"
t $? "keeld.service starts the keeld installed; sysusers.d makes its user"

[ -f "$dest/usr/local/share/man/man8/keelctl.8" ] &&
	[ -f "$dest/usr/local/share/man/man8/keeld.8" ] &&
	[ -f "$dest/usr/local/share/man/man8/keel-iod.8" ] &&
	[ -f "$dest/usr/local/share/man/man7/keel.7" ] &&
	grep -q '^\.TH "KEELCTL" 8 ' "$dest/usr/local/share/man/man8/keelctl.8"
t $? "the manual pages keelctl(8), keeld(8), keel-iod(8) and keel(7)"

grep -q '^complete -F _keelctl keelctl$' \
	"$dest/usr/local/share/bash-completion/completions/keelctl"
t $? "keelctl's bash completion"

make -s -C "$root" uninstall KDIR="$kdir" DESTDIR="$dest" >>"$dest.log" 2>&1
t $? "make uninstall"

after=$(snapshot)
if [ "$before" = "$after" ] && [ -z "$(find "$dest/usr/local" -type f 2>/dev/null)" ] &&
	[ ! -e "$dest/lib/modules/$rel/extra" ]; then
	t 0 "uninstall left nothing behind"
else
	t 1 "uninstall left nothing behind"
	diff <(echo "$before") <(echo "$after") | head -n 20 | sed 's/^/# /'
fi
rm -f "$dest.log"
[ "$fails" -eq 0 ]
