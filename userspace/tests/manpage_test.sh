#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# keelctl's help and its manual page agree: every command "keelctl help"
# lists has an entry in Documentation/keelctl.rst (the text of
# keelctl(8)), every usage line of "keelctl CMD --help" is in its
# synopsis, and every option the help names is described there.
# Usage: manpage_test.sh KEELCTL   (TAP on stdout)
keelctl=$1
rst=$(cd "$(dirname "$0")/../.." && pwd)/Documentation/keelctl.rst
n=0
fail=0

ok() {	# ok COND-EXIT-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=$((fail + 1))
	fi
}

cmds=$("$keelctl" help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
[ -n "$cmds" ]
ok $? "keelctl help lists commands"
for c in $cmds; do
	grep -qE "^(\`\`|.*, \`\`)$c[\` ]" "$rst"
	ok $? "$c: an entry in keelctl(8)"
	missing=$("$keelctl" "$c" --help |
		sed -n 's/^.*keelctl \[OPTIONS\] \(.*\)$/\1/p' |
		while read -r u; do
			grep -qF -- "$u" "$rst" || printf ' [%s]' "$u"
		done)
	[ -z "$missing" ]
	ok $? "$c: its usage lines are in the synopsis${missing:+ (missing:$missing)}"
	missing=$("$keelctl" "$c" --help | grep -E '^ +-' |
		grep -oE -- '(^|[ ,])--?[a-zA-Z][a-z-]*' | tr -d ' ,' | sort -u |
		while read -r o; do
			grep -qE -- "\`\`$o[\` =]|$o\b" "$rst" || printf ' %s' "$o"
		done)
	[ -z "$missing" ]
	ok $? "$c: its options are described${missing:+ (missing:$missing)}"
done
echo "1..$n"
[ $fail -eq 0 ]
