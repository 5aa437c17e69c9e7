#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The packages "make deb" built (build/deb): what keel-tools holds and
# where, the version everywhere the same as the tree's VERSION, and
# keel-dkms's sources built by DKMS itself (dkms add, build, remove in a
# private DKMS tree, so the host's modules stay as they are) for each
# kernel given, each module reporting that version. Prints TAP.
#
# usage: deb_test.sh KDIR...   (kernel build trees: headers)
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$root/VERSION")
debs=$root/build/deb
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
modules=(keel keel_vdev keel_ring keel_coalesce keel_mirror)
# shellcheck source-path=SCRIPTDIR
. "$root/selftests/tap.sh"

tools=$debs/keel-tools_${version}_amd64.deb
dkmsdeb=$debs/keel-dkms_${version}_all.deb
[ -f "$tools" ] && [ -f "$dkmsdeb" ]
t $? "make deb built keel-tools and keel-dkms $version"

dpkg-deb -x "$tools" "$tmp/tools" 2>/dev/null
missing=
for f in usr/sbin/keelctl usr/sbin/keeld lib/systemd/system/keeld.service \
	usr/lib/sysusers.d/keeld.conf lib/udev/rules.d/60-keel.rules \
	usr/share/man/man8/keelctl.8.gz usr/share/man/man8/keeld.8.gz \
	usr/share/man/man7/keel.7.gz \
	usr/share/bash-completion/completions/keelctl; do
	[ -e "$tmp/tools/$f" ] || missing+=" $f"
done
[ -z "$missing" ]
t $? "keel-tools holds the tools, unit, user, udev rule, manual pages, completion${missing:+ (missing:$missing)}"

dpkg-deb -e "$tools" "$tmp/tools-ctrl" 2>/dev/null
grep -q 'systemd-sysusers.*keeld.conf' "$tmp/tools-ctrl/postinst" &&
	grep -q "deb-systemd-invoke .* 'keeld.service'" "$tmp/tools-ctrl/postinst"
t $? "keel-tools' postinst makes the user, then enables and starts keeld"

[ "$("$tmp/tools/usr/sbin/keelctl" --version)" = "keelctl $version (api $(sed -n 's/^#define KEEL_API_VERSION[[:space:]]*\([0-9]*\).*/\1/p' "$root/uapi/linux/keel.h"))" ]
t $? "the packaged keelctl reports version $version"
zcat "$tmp/tools/usr/share/man/man8/keelctl.8.gz" | grep -q "\"Keel $version\""
t $? "keelctl(8) names version $version"

dpkg-deb -x "$dkmsdeb" "$tmp/dkms" 2>/dev/null
src=$tmp/dkms/usr/src/keel-$version
grep -q "^PACKAGE_VERSION=\"$version\"" "$src/dkms.conf" 2>/dev/null &&
	[ "$(cat "$src/VERSION")" = "$version" ]
t $? "keel-dkms: /usr/src/keel-$version with its dkms.conf"

mkdir -p "$tmp/tree"
dkms add -m keel -v "$version" --dkmstree "$tmp/tree" \
	--sourcetree "$tmp/dkms/usr/src" >"$tmp/add.log" 2>&1
t $? "dkms add"
for kdir in "$@"; do
	k=$(sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h")
	dkms build -m keel -v "$version" -k "$k" --kernelsourcedir "$kdir" \
		--dkmstree "$tmp/tree" --sourcetree "$tmp/dkms/usr/src" \
		>"$tmp/build-$k.log" 2>&1
	rc=$?
	t $rc "dkms build for $k"
	[ $rc -eq 0 ] || tail -n 20 "$tmp/build-$k.log" | sed 's/^/# /'
	bad=
	for m in "${modules[@]}"; do
		ko=$(ls "$tmp/tree/keel/$version/$k"/*/module/"$m".ko* 2>/dev/null | head -n 1)
		if [ -z "$ko" ]; then
			bad+=" $m(missing)"
			continue
		fi
		case $ko in
		*.xz) xz -dc "$ko" >"$tmp/m.ko" ;;
		*.zst) zstd -qdc "$ko" >"$tmp/m.ko" ;;
		*) cp "$ko" "$tmp/m.ko" ;;
		esac
		v=$(modinfo -F version "$tmp/m.ko" 2>/dev/null)
		r=$(modinfo -F vermagic "$tmp/m.ko" 2>/dev/null)
		[ "$v" = "$version" ] && [ "${r%% *}" = "$k" ] || bad+=" $m($v, $r)"
	done
	[ -z "$bad" ]
	t $? "DKMS's modules for $k: all five, version $version, vermagic $k${bad:+ (bad:$bad)}"
	# Kept for the VM smoke run as the VM harness takes modules
	# (KEEL_KMOD_ROOT): KEEL_DKMS_OUT/<release>/kmod/<part>/, in order.
	if [ -n "${KEEL_DKMS_OUT:-}" ] && [ -z "$bad" ]; then
		out=$KEEL_DKMS_OUT/$k
		rm -rf "$out"
		for m in "${modules[@]}"; do
			part=${m#keel_}
			[ "$m" != keel ] || part=core
			ko=$(ls "$tmp/tree/keel/$version/$k"/*/module/"$m".ko*)
			mkdir -p "$out/kmod/$part"
			case $ko in
			*.xz) xz -dc "$ko" >"$out/kmod/$part/$m.ko" ;;
			*.zst) zstd -qdc "$ko" >"$out/kmod/$part/$m.ko" ;;
			*) cp "$ko" "$out/kmod/$part/$m.ko" ;;
			esac
			echo "kmod/$part/$m.ko" >>"$out/modules.order"
		done
	fi
done
dkms remove -m keel -v "$version" --all --dkmstree "$tmp/tree" \
	--sourcetree "$tmp/dkms/usr/src" >"$tmp/remove.log" 2>&1 &&
	[ -z "$(find "$tmp/tree" -name '*.ko*' 2>/dev/null)" ]
t $? "dkms remove --all leaves no module behind"

echo "1..$n"
[ $fails -eq 0 ]
