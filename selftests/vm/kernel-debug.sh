#!/bin/bash
# Builds (or finds in the cache) Keel's debug kernel: Debian's kernel source,
# tinyconfig plus debug.config, with debug-kconfig.patch applied. Prints the
# kernel's description (see kernels.sh) on stdout; build output goes to a log
# in the cache directory.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

frag=$KEEL_VM_DIR/debug.config
kpatch=$KEEL_VM_DIR/debug-kconfig.patch
srcver=$(pkg_version "$KEEL_SOURCE_PKG")
[[ -n $srcver ]] || die "$KEEL_SOURCE_PKG is not installed (run selftests/vm/deps.sh)"
hash=$(cat "$frag" "$kpatch" | sha256sum | cut -c1-16)
dir=$KEEL_CACHE/debug-$srcver-$hash
src=$dir/src
log=$dir/build.log

# check_config CONFIG FRAGMENT: every symbol the fragment sets must be set
# the same way in CONFIG; list all that are not and fail.
check_config() {
	local cfg=$1 line sym val bad=()
	while IFS= read -r line; do
		if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			sym=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
			if [[ $val == y || $val == m ]]; then
				grep -qE "^$sym=[ym]$" "$cfg" || bad+=("$sym (wanted $val)")
			else
				grep -qxF "$sym=$val" "$cfg" || bad+=("$sym (wanted $val)")
			fi
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			sym=${BASH_REMATCH[1]}
			if grep -qE "^$sym=" "$cfg"; then bad+=("$sym (wanted unset)"); fi
		fi
	done <"$frag"
	if ((${#bad[@]})); then
		msg "the debug kernel's .config lacks required settings:"
		printf '    %s\n' "${bad[@]}" >&2
		die "fix selftests/vm/debug.config (dependencies?) — see $cfg"
	fi
}

describe() {
	local krel
	krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$src/include/generated/utsrelease.h")
	printf 'KEEL_KERNEL=debug\n'
	printf 'KEEL_KREL=%q\n' "$krel"
	printf 'KEEL_KDIR=%q\n' "$src"
	printf 'KEEL_VMLINUZ=%q\n' "$src/arch/x86/boot/bzImage"
	printf 'KEEL_MODDIR=%q\n' "$dir/modroot/lib/modules/$krel"
	printf 'KEEL_KCONFIG=%q\n' "$src/.config"
}

run_logged() {
	if ! "$@" >>"$log" 2>&1; then
		tail -n 60 "$log" >&2
		die "'$*' failed; full log: $log"
	fi
}

mkdir -p "$KEEL_CACHE"
exec 9>"$KEEL_CACHE/debug.lock"
flock 9

if [[ -f $dir/stamp ]]; then
	describe
	exit 0
fi

start=$SECONDS
if [[ ! -f $dir/extracted ]]; then
	rm -rf "$dir"
	mkdir -p "$src"
	msg "extracting $(source_tarball) into $src"
	tar -xf "$(source_tarball)" -C "$src" --strip-components=1
	patch -d "$src" -p1 --quiet <"$kpatch" || die "cannot apply $kpatch"
	touch "$dir/extracted"
fi
: >"$log"
msg "building the debug kernel in $src (log: $log)"
cp "$frag" "$src/kernel/configs/keel_debug.config"
run_logged make -C "$src" tinyconfig
run_logged make -C "$src" keel_debug.config
check_config "$src/.config"
run_logged make -C "$src" -j"$(nproc)" bzImage modules
run_logged make -C "$src" modules_prepare
rm -rf "$dir/modroot"
if grep -q '=m$' "$src/.config"; then
	run_logged make -C "$src" modules_install INSTALL_MOD_PATH="$dir/modroot"
fi
cp "$src/.config" "$dir/config"
date -u +%FT%TZ >"$dir/stamp"
msg "debug kernel built in $((SECONDS - start)) s"

# keep this build and the newest other complete one; drop the rest
keep=$(find "$KEEL_CACHE" -mindepth 2 -maxdepth 2 -path "$KEEL_CACHE/debug-*/stamp" \
	-printf '%T@ %h\n' | sort -rn | awk '{ print $2 }' | grep -vxF "$dir" | head -n1 || true)
for old in "$KEEL_CACHE"/debug-*/; do
	old=${old%/}
	[[ $old == "$dir" || $old == "$keep" ]] && continue
	msg "removing old debug kernel $old"
	rm -rf "$old"
done
describe
