# shellcheck shell=bash
# Shared helpers of the VM harness: messages, paths, the kernel cache and
# extraction of single files from Debian's kernel source tarball.
# Sourced by the scripts beside it, never run on its own.

# shellcheck disable=SC2034 # used by the scripts that source this file
KEEL_VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034
KEEL_REPO=$(cd "$KEEL_VM_DIR/../.." && pwd)
KEEL_CACHE=${KEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keel}

msg() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# The Debian package that ships the kernel source used for the debug kernel.
KEEL_SOURCE_PKG=${KEEL_SOURCE_PKG:-linux-source-6.1}

# pkg_version PKG: installed version of PKG, empty if not installed.
pkg_version() {
	dpkg-query -W -f='${db:Status-Abbrev} ${Version}\n' "$1" 2>/dev/null |
		awk '$1 == "ii" { print $2 }'
}

# source_tarball: path of the kernel source tarball of $KEEL_SOURCE_PKG.
source_tarball() {
	local t
	t=$(dpkg-query -L "$KEEL_SOURCE_PKG" 2>/dev/null |
		grep -E '^/usr/src/linux-source-[^/]*\.tar\.(xz|bz2|gz)$' | head -n1) || true
	[[ -n $t && -r $t ]] ||
		die "$KEEL_SOURCE_PKG is not installed (run selftests/vm/deps.sh)"
	printf '%s\n' "$t"
}

# extract_members OUTDIR PATH...: copy files given by their path inside the
# kernel tree (e.g. scripts/checkpatch.pl) flat into OUTDIR, in one scan.
extract_members() {
	local out=$1 tarball tmp p
	shift
	tarball=$(source_tarball)
	tmp=$(mktemp -d)
	local pats=()
	for p in "$@"; do pats+=("*/$p"); done
	tar -xf "$tarball" -C "$tmp" --wildcards "${pats[@]}" ||
		die "cannot extract $* from $tarball"
	mkdir -p "$out"
	for p in "$@"; do
		local f
		f=$(find "$tmp" -path "*/$p" -type f | head -n1)
		[[ -n $f ]] || die "$p is missing from $tarball"
		install -m "$([[ -x $f ]] && echo 755 || echo 644)" "$f" "$out/"
	done
	rm -rf "$tmp"
}

# extract_tree OUTDIR PATTERN...: extract the files matching PATTERNs (paths
# inside the kernel tree, shell wildcards allowed) keeping their place in the
# tree, e.g. tools/net/ynl/lib/*.py as OUTDIR/tools/net/ynl/lib/*.py.
extract_tree() {
	local out=$1 tarball p
	shift
	tarball=$(source_tarball)
	local pats=()
	for p in "$@"; do pats+=("*/$p"); done
	mkdir -p "$out"
	tar -xf "$tarball" -C "$out" --strip-components=1 --wildcards \
		--no-wildcards-match-slash "${pats[@]}" ||
		die "cannot extract $* from $tarball"
}

# stage_kmods STAGE LIST WANT: copy the modules named in WANT (with their
# dependencies, in load order; built-in or absent ones skipped) from
# KEEL_MODDIR into STAGE/lib/modules/KEEL_KREL/, decompressed, and append
# their paths inside STAGE, one a line, to STAGE/LIST. Nothing without a
# modules.dep (a kernel with everything built in).
stage_kmods() {
	local stage=$1 list=$2 want=$3 rel dst
	[[ -f ${KEEL_MODDIR:-}/modules.dep ]] || return 0
	while read -r rel; do
		dst=lib/modules/${KEEL_KREL:?}/${rel%.ko*}.ko
		mkdir -p "$(dirname "$stage/$dst")"
		case $rel in
		*.ko) cp "$KEEL_MODDIR/$rel" "$stage/$dst" ;;
		*.ko.xz) xz -dc "$KEEL_MODDIR/$rel" >"$stage/$dst" ;;
		*.ko.zst) zstd -qdc "$KEEL_MODDIR/$rel" >"$stage/$dst" ;;
		*.ko.gz) gzip -dc "$KEEL_MODDIR/$rel" >"$stage/$dst" ;;
		*) die "unknown module file $rel" ;;
		esac
		echo "/$dst" >>"$stage/$list"
	done < <(gawk -v want="$want" -f "$KEEL_VM_DIR/resolve-kmods.awk" \
		"$KEEL_MODDIR/modules.builtin" "$KEEL_MODDIR/modules.dep")
}
