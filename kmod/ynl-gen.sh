#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# keel.ko's netlink policies and op table from the family's YNL spec
# (Documentation/netlink/specs/keel.yaml), made by the kernel's own
# ynl-gen-c.py as in-tree families make theirs:
#
#   kmod/ynl-gen.sh YNL_DIR          regenerate kmod/core/netlink_gen.[ch]
#                                    ("make ynl-regen")
#   kmod/ynl-gen.sh --check YNL_DIR  fail when the committed files differ
#                                    from a fresh generation, or when the
#                                    uapi headers disagree with the spec
#                                    ("make ynl-check", part of make check)
#
# YNL_DIR holds the kernel's YNL tools as selftests/vm/ynl-tools.sh extracts
# them. The generator validates the spec against the kernel's schema
# (python3-jsonschema). The uapi check: kmod/ynl-names.py lists every name
# and value the spec defines, a C program it writes prints the same names
# from uapi/linux/keel.h and keel_state.h, and the two lists must be equal.
set -euo pipefail

check=n
if [[ ${1:-} == --check ]]; then
	check=y
	shift
fi
[[ $# -eq 1 ]] || { echo "usage: $0 [--check] YNL_DIR" >&2; exit 2; }
ynl=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
gen=$ynl/tools/net/ynl/ynl-gen-c.py
[[ -f $gen ]] || { echo "$0: no $gen (selftests/vm/ynl-tools.sh)" >&2; exit 1; }

# The generator names the spec by its path below the tree's top (the
# directory with a MAINTAINERS file), so run it on a copy inside YNL_DIR.
spec=$ynl/Documentation/netlink/specs/keel.yaml
mkdir -p "$(dirname "$spec")"
cp "$top/Documentation/netlink/specs/keel.yaml" "$spec"

if [[ $check == n ]]; then
	out=$top/kmod/core
	cmp=(--cmp-out)		# leaves unchanged files alone
else
	out=$ynl/out
	cmp=()
	rm -rf "$out"
	mkdir -p "$out"
fi
for kind in header source; do
	f=$out/netlink_gen.$([[ $kind == header ]] && echo h || echo c)
	"$python" "$gen" --mode kernel --"$kind" --spec "$spec" "${cmp[@]}" -o "$f"
done
[[ $check == y ]] || exit 0

status=0
for f in netlink_gen.h netlink_gen.c; do
	if ! diff -u "$top/kmod/core/$f" "$out/$f"; then
		echo "ynl-gen: kmod/core/$f differs from the spec's (make ynl-regen)" >&2
		status=1
	fi
done

names=$ynl/tools/net/ynl
"$python" "$top/kmod/ynl-names.py" "$names" "$spec" >"$out/spec-names"
"$python" "$top/kmod/ynl-names.py" "$names" "$spec" --c linux/keel.h \
	linux/keel_state.h >"$out/uapi-names.c"
if ! ${CC:-cc} -std=c11 -Wall -Wextra -Werror -I"$top/uapi" \
	-o "$out/uapi-names" "$out/uapi-names.c"; then
	echo "ynl-gen: uapi/linux/keel*.h lack names the spec defines" >&2
	exit 1
fi
"$out/uapi-names" >"$out/uapi-names.txt"
if ! diff -u "$out/spec-names" "$out/uapi-names.txt"; then
	echo "ynl-gen: uapi/linux/keel*.h (+) disagree with the spec (-)" >&2
	status=1
fi
[[ $status -ne 0 ]] || echo "ynl-gen: generated code and uapi match the spec"
exit "$status"
