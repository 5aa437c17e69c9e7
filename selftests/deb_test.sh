#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The packages "make deb" built (build/deb): what keel-tools holds and
# where, the version everywhere the same as the tree's VERSION, and
# keel-dkms installed for real with dpkg on this host: its postinst has
# DKMS build and install the modules for every kernel whose headers are
# installed (/lib/modules/<release>/build), each module reporting that
# version and its kernel, and "dpkg -r" then "dpkg --purge" take every one
# of them away again. The real install is skipped (TAP "# SKIP") when not
# root or when this host already has keel-dkms or Keel's modules; each
# kernel given that it did not cover is built by DKMS in a private DKMS
# tree instead (dkms add, build, remove --all), leaving the host as it
# is. Prints TAP.
#
# KEEL_DKMS_OUT=DIR keeps DKMS's modules for each kernel given as the VM
# harness takes them (KEEL_KMOD_ROOT): DIR/<release>/kmod/<part>/.
#
# usage: deb_test.sh KDIR...   (kernel build trees: headers)
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$root/VERSION")
debs=$root/build/deb
tmp=$(mktemp -d)
modules=(keel keel_vdev keel_ring keel_coalesce keel_mirror keel_remote keel_guest)
# Set while this script has keel-dkms installed on the host: purged on
# any exit, so that an interrupted run leaves the host as it found it.
installed=
hostk=()
# depmod's index files in /lib/modules/<release> before the install:
# DKMS's depmod makes them for a kernel with only headers there, and
# removing Keel leaves them.
declare -A index=()
drop_new_index() {
	local k f made

	for k in "${hostk[@]}"; do
		made=
		for f in "/lib/modules/$k"/modules.*; do
			if [ ! -e "$f" ] || [ -n "${index[$f]:-}" ]; then
				continue
			fi
			rm -f "$f"
			made+=" ${f##*/}"
		done
		[ -z "$made" ] ||
			echo "# removed what depmod made for Keel in /lib/modules/$k, which had no index before:$made"
	done
}
cleanup() {
	if [ -n "$installed" ]; then
		DEBIAN_FRONTEND=noninteractive dpkg --purge keel-dkms \
			</dev/null >/dev/null 2>&1
		drop_new_index >/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# shellcheck source-path=SCRIPTDIR
. "$root/selftests/tap.sh"

tools=$debs/keel-tools_${version}_amd64.deb
dkmsdeb=$debs/keel-dkms_${version}_all.deb
[ -f "$tools" ] && [ -f "$dkmsdeb" ]
t $? "make deb built keel-tools and keel-dkms $version"

dpkg-deb -x "$tools" "$tmp/tools" 2>/dev/null
missing=
for f in usr/sbin/keelctl usr/sbin/keeld usr/sbin/keel-iod \
	lib/systemd/system/keeld.service \
	usr/lib/sysusers.d/keeld.conf lib/udev/rules.d/60-keel.rules \
	usr/share/man/man8/keelctl.8.gz usr/share/man/man8/keeld.8.gz \
	usr/share/man/man8/keel-iod.8.gz \
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
# grep reads it all: "grep -q" could end first and, with pipefail, zcat's
# SIGPIPE would fail the test.
zcat "$tmp/tools/usr/share/man/man8/keelctl.8.gz" | grep "\"Keel $version\"" >/dev/null
t $? "keelctl(8) names version $version"

dpkg-deb -x "$dkmsdeb" "$tmp/dkms" 2>/dev/null
src=$tmp/dkms/usr/src/keel-$version
grep -q "^PACKAGE_VERSION=\"$version\"" "$src/dkms.conf" 2>/dev/null &&
	[ "$(cat "$src/VERSION")" = "$version" ]
t $? "keel-dkms: /usr/src/keel-$version with its dkms.conf"

# keel-dkms's postinst: dh_dkms's snippet (Debian's common.postinst) in a
# subshell whose failure is not fatal, then "dkms install" for every
# kernel with headers still without the modules.
dpkg-deb -e "$dkmsdeb" "$tmp/dkms-ctrl" 2>/dev/null
# shellcheck disable=SC2016 # the scripts' own variables
sed -n '/for DKMS_POSTINST in \/usr\/lib\/dkms\/common.postinst/,$p' \
	"$tmp/dkms-ctrl/postinst" 2>/dev/null |
	sed -n '/^) || true$/,$p' |
	grep -F 'dkms install -m "$name" -v "$version" -k "$kernel"' >/dev/null &&
	grep -q "^[[:space:]]*version=$version\$" "$tmp/dkms-ctrl/postinst" &&
	grep -qF 'dkms remove -m $DKMS_NAME -v $DKMS_VERSION --all' "$tmp/dkms-ctrl/prerm"
t $? "keel-dkms' postinst: dh_dkms's snippet, a kernel failing there not fatal, then dkms install for every kernel with headers; its prerm removes them all"

# release KDIR: the kernel release of a build tree
release() {
	sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' "$1/include/generated/utsrelease.h"
}

# ko_of DIR MODULE: DIR's MODULE.ko, compressed or not
ko_of() {
	local f

	for f in "$1/$2".ko*; do
		[ -e "$f" ] && echo "$f" && return
	done
}

# module_dir TREE K: where the DKMS tree TREE keeps what it built for K
module_dir() {
	local d

	for d in "$1/keel/$version/$2"/*/module; do
		[ -d "$d" ] && echo "$d" && return
	done
}

# unpacked KO OUT: KO, uncompressed, into OUT
unpacked() {
	case $1 in
	*.xz) xz -dc "$1" >"$2" ;;
	*.zst) zstd -qdc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

# check_modules DIR K: all five modules in DIR, each reporting VERSION and
# K's vermagic; what is wrong in $bad.
check_modules() {
	local m ko v r

	bad=
	for m in "${modules[@]}"; do
		ko=$(ko_of "$1" "$m")
		if [ -z "$ko" ]; then
			bad+=" $m(missing)"
			continue
		fi
		unpacked "$ko" "$tmp/m.ko"
		v=$(modinfo -F version "$tmp/m.ko" 2>/dev/null)
		r=$(modinfo -F vermagic "$tmp/m.ko" 2>/dev/null)
		[ "$v" = "$version" ] && [ "${r%% *}" = "$2" ] || bad+=" $m($v, $r)"
	done
}

# keep_modules DIR K: DIR's modules (checked) for the VM smoke run as the
# VM harness takes modules (KEEL_KMOD_ROOT):
# KEEL_DKMS_OUT/<release>/kmod/<part>/, in order.
keep_modules() {
	local out=$KEEL_DKMS_OUT/$2 m part

	rm -rf "$out"
	for m in "${modules[@]}"; do
		part=${m#keel_}
		[ "$m" != keel ] || part=core
		mkdir -p "$out/kmod/$part"
		unpacked "$(ko_of "$1" "$m")" "$out/kmod/$part/$m.ko"
		echo "kmod/$part/$m.ko" >>"$out/modules.order"
	done
}

# The real install. Every kernel on this host with headers, as DKMS finds
# them (its postinst and kernel hooks test /lib/modules/<release>/build/include).
for b in /lib/modules/*/build; do
	[ -e "$b/include" ] || continue
	b=${b#/lib/modules/}
	hostk+=("${b%/build}")
done
skip=
st=$(dpkg-query -W -f='${db:Status-Status}' keel-dkms 2>/dev/null)
if [ ! -f "$dkmsdeb" ]; then
	skip="no keel-dkms package"
elif [ "$(id -u)" != 0 ]; then
	skip="not root"
elif [ -n "$st" ] && [ "$st" != not-installed ]; then
	skip="keel-dkms is already on this host ($st): left as it is"
elif [ -e /var/lib/dkms/keel ] || compgen -G '/usr/src/keel-*' >/dev/null; then
	skip="this host's DKMS already has Keel's sources: left as they are"
elif [ -n "$(find /lib/modules -name 'keel*.ko*' 2>/dev/null | head -n 1)" ]; then
	skip="Keel's modules are already installed on this host (make install?): left as they are"
elif ! command -v dkms >/dev/null; then
	skip="dkms is not installed"
elif [ ${#hostk[@]} -eq 0 ]; then
	skip="no kernel headers under /lib/modules"
fi
# The kernels given whose modules came from the real install.
declare -A done_k=()
if [ -n "$skip" ]; then
	t 0 "dpkg -i, -r and --purge of keel-dkms on this host # SKIP $skip"
else
	for k in "${hostk[@]}"; do
		for f in "/lib/modules/$k"/modules.*; do
			[ ! -e "$f" ] || index[$f]=1
		done
	done
	installed=1
	DEBIAN_FRONTEND=noninteractive dpkg -i "$dkmsdeb" </dev/null \
		>"$tmp/dpkg-i.log" 2>&1
	rc=$?
	t $rc "dpkg -i keel-dkms_${version}_all.deb"
	[ $rc -eq 0 ] || tail -n 20 "$tmp/dpkg-i.log" | sed 's/^/# /'
	for k in "${hostk[@]}"; do
		dkms status -m keel -v "$version" -k "$k" 2>/dev/null |
			grep "^keel/$version, $k, [^:]*: installed" >/dev/null
		t $? "dkms status: keel/$version installed for $k"
		# Where Debian's DKMS installs them (DEST_MODULE_LOCATION), with
		# depmod's index naming them for modprobe.
		check_modules "/lib/modules/$k/updates/dkms" "$k"
		for m in "${modules[@]}"; do
			grep -q "^updates/dkms/$m\.ko[.a-z]*:" "/lib/modules/$k/modules.dep" 2>/dev/null ||
				bad+=" $m(not in modules.dep)"
		done
		[ -z "$bad" ]
		t $? "/lib/modules/$k/updates/dkms: all five, version $version, vermagic $k, in modules.dep${bad:+ (bad:$bad)}"
	done
	# The modules DKMS built for each kernel given, from DKMS's tree
	# (/var/lib/dkms/keel/VERSION/<release>/<arch>/module/): the ones
	# of a build tree other than /lib/modules/<release>/build are built
	# in the private tree below.
	for kdir in "$@"; do
		k=$(release "$kdir")
		[ "$(readlink -f "$kdir")" = "$(readlink -f "/lib/modules/$k/build")" ] ||
			continue
		mod=$(module_dir /var/lib/dkms "$k")
		[ -n "$mod" ] || continue
		check_modules "$mod" "$k"
		[ -z "$bad" ] || continue
		done_k[$k]=1
		[ -z "${KEEL_DKMS_OUT:-}" ] || keep_modules "$mod" "$k"
	done

	DEBIAN_FRONTEND=noninteractive dpkg -r keel-dkms </dev/null \
		>"$tmp/dpkg-r.log" 2>&1
	rc=$?
	t $rc "dpkg -r keel-dkms"
	[ $rc -eq 0 ] || tail -n 20 "$tmp/dpkg-r.log" | sed 's/^/# /'
	left=$(find /lib/modules -name 'keel*.ko*' 2>/dev/null)
	dep=$(grep -l '/keel[_a-z]*\.ko' /lib/modules/*/modules.dep 2>/dev/null)
	dst=$(dkms status -m keel 2>/dev/null)
	[ -z "$left$dep$dst" ]
	t $? "after dpkg -r no Keel module is left in /lib/modules, its modules.dep or dkms status${left:+ (left: $left)}${dep:+ (in $dep)}${dst:+ ($dst)}"
	DEBIAN_FRONTEND=noninteractive dpkg --purge keel-dkms </dev/null \
		>"$tmp/dpkg-purge.log" 2>&1
	rc=$?
	t $rc "dpkg --purge keel-dkms"
	[ $rc -eq 0 ] || tail -n 20 "$tmp/dpkg-purge.log" | sed 's/^/# /'
	st=$(dpkg-query -W -f='${db:Status-Status}' keel-dkms 2>/dev/null)
	[ ! -e /var/lib/dkms/keel ] && [ ! -e "/usr/src/keel-$version" ] &&
		{ [ -z "$st" ] || [ "$st" = not-installed ]; }
	t $? "after dpkg --purge /var/lib/dkms/keel and /usr/src/keel-$version are gone, keel-dkms not installed"
	installed=
	drop_new_index
fi

# The kernels given that the real install did not cover: DKMS builds in a
# private tree, so that the host's modules stay as they are.
added=
for kdir in "$@"; do
	k=$(release "$kdir")
	[ -z "${done_k[$k]:-}" ] || continue
	if [ -z "$added" ]; then
		mkdir -p "$tmp/tree"
		dkms add -m keel -v "$version" --dkmstree "$tmp/tree" \
			--sourcetree "$tmp/dkms/usr/src" >"$tmp/add.log" 2>&1
		t $? "dkms add (private tree)"
		added=1
	fi
	dkms build -m keel -v "$version" -k "$k" --kernelsourcedir "$kdir" \
		--dkmstree "$tmp/tree" --sourcetree "$tmp/dkms/usr/src" \
		>"$tmp/build-$k.log" 2>&1
	rc=$?
	t $rc "dkms build for $k"
	[ $rc -eq 0 ] || tail -n 20 "$tmp/build-$k.log" | sed 's/^/# /'
	mod=$(module_dir "$tmp/tree" "$k")
	check_modules "${mod:-$tmp/none}" "$k"
	[ -z "$bad" ]
	t $? "DKMS's modules for $k: all five, version $version, vermagic $k${bad:+ (bad:$bad)}"
	[ -n "$bad" ] || [ -z "${KEEL_DKMS_OUT:-}" ] || keep_modules "$mod" "$k"
done
if [ -n "$added" ]; then
	dkms remove -m keel -v "$version" --all --dkmstree "$tmp/tree" \
		--sourcetree "$tmp/dkms/usr/src" >"$tmp/remove.log" 2>&1 &&
		[ -z "$(find "$tmp/tree" -name '*.ko*' 2>/dev/null)" ]
	t $? "dkms remove --all leaves no module behind (private tree)"
fi

echo "1..$n"
[ $fails -eq 0 ]
