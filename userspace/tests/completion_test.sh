#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# keelctl's bash completion (userspace/completion/keelctl) against the
# keelctl built: commands, a command's subcommands, its options and the
# global ones, help's command names; nothing offered twice.
# Usage: completion_test.sh KEELCTL   (TAP on stdout)
keelctl=$1
dir=$(cd "$(dirname "$0")/.." && pwd)
bc=/usr/share/bash-completion/bash_completion
if ! command -v bash >/dev/null || [ ! -f "$bc" ]; then
	echo "1..0 # SKIP bash-completion is not installed"
	exit 0
fi

n=0
fail=0

# check WANT WORDS...: the completion of the last word is exactly WANT
check() {
	want=$1
	shift
	n=$((n + 1))
	got=$(bash -c '
		. "$1"; . "$2"; shift 2
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_keelctl; printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort | paste -sd " " -
	' sh "$bc" "$dir/completion/keelctl" "$keelctl" "$@" 2>&1)
	if [ "$got" = "$want" ]; then
		echo "ok $n - keelctl $* completes"
	else
		echo "not ok $n - keelctl $*: got '$got', want '$want'"
		fail=$((fail + 1))
	fi
}

check "alloc cloud coalesce free help host mirror monitor objects remote ring state types vdev version" ""
check "mirror monitor" m
check "add del hotspots list show translations unxlate xlate" mirror ""
check "--alias-off --code --count-gpa --end --gpa --help --json --keeld --label --len --log-gpa --log-pt --log-pt-levels --mirror-off --pid --pretty --start" mirror add --
check "host policy template" -j cloud ""
check "load resume save show stop swap" state ""
check "-f" state save -f
check "--help --json --keeld --pretty --version -V -h -j -p" -
check "--until" vdev console --u
check "--acc --avoid" alloc --service web --a
check "mirror" --keeld /run/x.sock mir
check "coalesce" help coa
echo "1..$n"
[ $fail -eq 0 ]
