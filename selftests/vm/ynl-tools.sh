#!/bin/bash
# Extracts the kernel's YNL tools from Debian's linux-source-6.12 into the
# directory given as argument, laid out as a miniature kernel tree:
#   tools/net/ynl/ynl-gen-c.py    generates keel.ko's policies and op table
#   tools/net/ynl/cli.py, lib/    the YNL client the ynl_test drives
#   Documentation/netlink/*.yaml  the schemas specs are validated against
#   MAINTAINERS                   empty: ynl-gen-c.py finds the tree's top
#                                 by it (and names specs relative to it)
#   .source                       the package version extracted
# Keel's own spec is copied into Documentation/netlink/specs/ by its users
# (kmod/ynl-gen.sh). Nothing of this is part of Keel's sources.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

[[ $# -eq 1 ]] || die "usage: $0 OUTDIR"
out=$1
KEEL_SOURCE_PKG=linux-source-6.12
version=$(pkg_version "$KEEL_SOURCE_PKG")
[[ -n $version ]] || die "$KEEL_SOURCE_PKG is not installed (run selftests/vm/deps.sh)"

rm -rf "$out"
tmp=$out.tmp
rm -rf "$tmp"
extract_tree "$tmp" \
	'tools/net/ynl/ynl-gen-c.py' 'tools/net/ynl/cli.py' \
	'tools/net/ynl/lib/*.py' 'Documentation/netlink/*.yaml'
for f in tools/net/ynl/ynl-gen-c.py tools/net/ynl/cli.py \
	tools/net/ynl/lib/__init__.py tools/net/ynl/lib/nlspec.py \
	tools/net/ynl/lib/ynl.py Documentation/netlink/genetlink-legacy.yaml; do
	[[ -f $tmp/$f ]] || die "$f is missing from $KEEL_SOURCE_PKG"
done
: >"$tmp/MAINTAINERS"
echo "$KEEL_SOURCE_PKG $version" >"$tmp/.source"
mv "$tmp" "$out"
