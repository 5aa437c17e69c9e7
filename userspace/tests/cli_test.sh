#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# keelctl's command line without a kernel module: help, usage errors and
# their exit codes, and (when Keel is not loaded) exit code 3.
# Usage: cli_test.sh KEELCTL   (TAP on stdout)
keelctl=$1
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/cli_lib.sh"

expect 0 out '^Usage: keelctl' -h
expect 0 out '^Usage: keelctl' --help
expect 0 out "^keelctl $(cat "$(dirname "$0")/../../VERSION") (api [0-9]*)$" --version
expect 0 out '^keelctl [0-9.]* (api [0-9]*)$' -V
expect 0 out '^  -V, --version ' --help
expect 0 out '^Commands:' help
expect 0 out 'objects show ID' help objects
expect 0 out 'objects show ID' objects --help
expect 0 out '^Usage: keelctl \[OPTIONS\] monitor' monitor -h
expect 2 err '^Usage: keelctl' help bogus
expect 2 err '^Usage: keelctl'
expect 2 err "unknown command 'bogus'" bogus
expect 2 err "unknown option '-x'" -x
expect 2 err "unknown option '--frob'" --frob
expect 2 err "unknown option '--frob'" host --frob
expect 2 err "unexpected argument 'extra'" host extra
expect 2 err "unexpected argument 'extra'" version extra
expect 2 err "unexpected argument 'extra'" monitor extra
expect 2 err "unknown subcommand 'frob'" objects frob
expect 2 err "show needs one object id" objects show
expect 2 err "bad object id 'abc'" objects show abc
expect 2 err "bad object id '-1'" objects show -- -1
expect 2 err "bad object id '4294967296'" objects show 4294967296
expect 2 err "needs a value" objects --type
expect 2 err "bad object type" objects --type ''
expect 2 err "is for listing" objects show 1 --type vm
expect 0 out 'vdev show ID' vdev --help
expect 0 out 'vdev show ID' help vdev
expect 0 out '^  vdev ' help
expect 2 err "unknown subcommand 'frob'" vdev frob
expect 2 err "unexpected argument 'extra'" vdev list extra
expect 2 err "show needs one device id" vdev show
expect 2 err "show needs one device id" vdev show 1 2
expect 2 err "bad device id 'x1'" vdev show x1
expect 2 err "unknown option '--type'" vdev --type vdev
expect 0 out 'ring show ID' ring --help
expect 2 err "show needs one ring id" ring show
expect 2 err "bad ring id 'x'" ring show x
expect 2 err "unknown subcommand 'frob'" ring frob
expect 0 out 'types show NAME' types --help
expect 0 out '^  types ' help
expect 2 err "unknown subcommand 'frob'" types frob
expect 2 err "unexpected argument 'extra'" types list extra
expect 2 err "show needs one type name" types show
expect 2 err "show needs one type name" types show vm vdev
expect 2 err "bad type name ''" types show ''
expect 2 err "bad type name" types show 0123456789012345678901234567890123
expect 0 out 'state swap \[-f\] ID IN-FILE OUT-FILE' state --help
expect 0 out '-f, --force' state --help
expect 2 err '-f is for save and swap' state load -f 1 x
expect 2 err '-f is for save and swap' state show -f
expect 0 out '^  state ' help
expect 2 err "unknown subcommand 'frob'" state frob
expect 2 err "load needs an object id and a file" state load 1
expect 2 err "swap needs an object id and two files" state swap 1 a
expect 2 err "stop needs an object id" state stop
expect 2 err "stop needs an object id" state stop 1 2
expect 2 err "bad object id 'x1'" state resume x1
expect 2 err "unexpected argument '3'" state show 1 3
expect 0 out 'cloud host add FILE' help cloud
expect 0 out 'alloc show ID' alloc --help
expect 2 err "which object" cloud
expect 2 err "unknown object 'vm'" cloud vm
expect 2 err "unknown subcommand 'frob'" cloud host frob
expect 2 err "show needs one host id" cloud host show
expect 2 err "bad host id 'x'" cloud host show x
expect 2 err "service NAME is required" alloc --vcpus 1 --memory 1G
expect 2 err "unknown policy 'x'" alloc --service a --policy x
expect 2 err "bad size '1Q'" alloc --service a --memory 1Q
expect 2 err "bad weight" alloc --service a --prefer cpu:rtm:x
expect 2 err "vcpus given twice" alloc --service a --vcpus 1 --vcpus 2
expect 2 err "free needs one allocation id" free
expect 2 err "bad allocation id '0'" free 0
expect 3 err "cannot reach keeld" --keeld /nonexistent/keeld.sock cloud host list
expect 3 err "cannot reach keeld" alloc list --keeld /nonexistent/keeld.sock

if [ -d /sys/module/keel ]; then
	echo "# keel.ko is loaded here: not-loaded exit codes not checked"
else
	for cmd in version host objects monitor "objects show 1" vdev \
	    "vdev list" "vdev show 1" "-j vdev" ring "ring show 1" types \
	    "-j types" "types show vm" state "state stop 1" \
	    "state save 1 -"; do
		# shellcheck disable=SC2086
		expect 3 err 'keel modules are not loaded (keel.ko)' $cmd
	done
	expect 3 err 'not loaded' -j host
fi

echo "1..$n"
[ $fail -eq 0 ]
