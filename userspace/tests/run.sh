#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the host-side unit tests: run.sh KEELCTL TEST...
# Each test prints TAP; this prints every line, then a total, and fails
# if any check failed or any test exited non-zero. Every *_test.sh beside
# this script runs too, with KEELCTL as its argument.
keelctl=$1
shift
dir=$(dirname "$0")
passed=0
failed=0
status=0

count() {	# $1: a file of TAP output
	p=$(grep -c '^ok ' "$1")
	f=$(grep -c '^not ok ' "$1")
	passed=$((passed + p))
	failed=$((failed + f))
}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for t in "$@" "$dir"/*_test.sh; do
	echo "# $(basename "$t")"
	case $t in
	*.sh) sh "$t" "$keelctl" >"$out" 2>&1 ;;
	*) "$t" >"$out" 2>&1 ;;
	esac
	rc=$?
	cat "$out"
	count "$out"
	if [ $rc -ne 0 ]; then
		echo "# $(basename "$t") exited with $rc"
		status=1
	fi
done
[ $failed -eq 0 ] || status=1
echo "$passed passed, $failed failed"
exit $status
