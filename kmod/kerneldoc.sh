#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check Keel's kernel-doc comments with the kernel's own scripts/kernel-doc
# (the copy of a kernel build tree): every /** comment well-formed, with
# the script's strictest checks, and every exported symbol documented at
# its definition. Prints any problem as "file:line: warning: ..." and
# fails; prints "kerneldoc: clean" otherwise.
# Usage: kerneldoc.sh KERNEL-DOC DIR...
set -euo pipefail

[[ $# -ge 2 ]] || { echo "usage: $0 KERNEL-DOC DIR..." >&2; exit 2; }
kdoc=$1
shift
if [[ ! -x $kdoc ]]; then
	echo "kerneldoc.sh: no kernel-doc script at '$kdoc' (KDIR=... or KERNELDOC=...)" >&2
	exit 1
fi

mapfile -t files < <(find "$@" -name '*.[ch]' | sort)
mapfile -t cfiles < <(printf '%s\n' "${files[@]}" | grep '\.c$')

# The stricter checks (a Return: section for every non-void function, a
# short description for every comment) are -Wall from 6.2 on; before,
# they run with -v, which also prints one "info:" line per comment.
if grep -q 'Wall' "$kdoc"; then
	strict=-Wall
else
	strict=-v
fi

status=0
out=$("$kdoc" -none "$strict" "${files[@]}" 2>&1) || status=$?
out=$(printf '%s\n' "$out" | grep -v ': info: ' || true)

# The exported functions that have a kernel-doc comment in a .c file.
documented=$("$kdoc" -rst -export "${cfiles[@]}" 2>/dev/null |
	sed -n 's/^\.\. c:function:: [^(]*[ *]\([A-Za-z_][A-Za-z0-9_]*\) (.*/\1/p' |
	sort -u)
missing=$(grep -Hn '^EXPORT_SYMBOL\(_GPL\)\?(' "${cfiles[@]}" |
	while IFS=: read -r file line text; do
		sym=${text#*(}
		sym=${sym%%)*}
		grep -qxF "$sym" <<<"$documented" ||
			echo "$file:$line: warning: $sym() is exported without a kernel-doc comment"
	done)

if [[ $status -ne 0 || -n $out || -n $missing ]]; then
	[[ -z $out ]] || printf '%s\n' "$out"
	[[ -z $missing ]] || printf '%s\n' "$missing"
	[[ $status -eq 0 ]] || echo "kerneldoc.sh: $kdoc exited with $status" >&2
	exit 1
fi
echo "kerneldoc: clean"
