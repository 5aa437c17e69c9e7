# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers for the keelctl command-line tests (sourced): TAP counters, a
# private temporary directory, and expect. Needs $keelctl.

: "${keelctl:?cli_lib.sh needs \$keelctl}"
n=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect RC WHERE PATTERN ARGS...: run keelctl ARGS with nothing on its
# stdin, check the exit code and that stdout or stderr (WHERE) matches
# the grep pattern.
expect() {
	want=$1 where=$2 pattern=$3
	shift 3
	n=$((n + 1))
	"$keelctl" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq "$want" ] &&
	   grep -q -e "$pattern" "$tmp/$where"; then
		echo "ok $n - keelctl $* exits $want"
	else
		echo "not ok $n - keelctl $* exits $rc (want $want, $where ~ '$pattern')"
		sed 's/^/#   /' "$tmp/out" "$tmp/err"
		fail=$((fail + 1))
	fi
}
