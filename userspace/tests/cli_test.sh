#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# keelctl's command line without a kernel module: help, usage errors and
# their exit codes, keeld out of reach and unreadable input files (one
# line each, with what to do), and (when Keel is not loaded) exit code 3.
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
# remote add takes up to 8 servers, tried in order; connect one.
expect 0 out 'remote add --pid PID --mmio ADDR --irq GSI --server ADDR\.\.\. --key FILE$' remote --help
expect 0 out '^  --server ADDR .*add:$' remote --help
expect 2 err "connect takes one --server, the device's" \
	remote connect --server unix:/a --server unix:/b --key k 1
expect 2 err "watch takes one --server, the device's" \
	remote watch --server unix:/a --server unix:/b --key k 1
expect 2 err "--server given more than 8 times" remote add --pid 1 \
	--mmio 0xd0000000 --irq 20 --key k --server unix:/1 --server unix:/2 \
	--server unix:/3 --server unix:/4 --server unix:/5 --server unix:/6 \
	--server unix:/7 --server unix:/8 --server unix:/9
expect 2 err "--device given twice" remote add --pid 1 --mmio 0xd0000000 \
	--irq 20 --key k --server unix:/1 --device a --device b
expect 2 err "bad allocation id '0'" free 0
expect 3 err "cannot reach keeld" --keeld /nonexistent/keeld.sock cloud host list
expect 3 err "cannot reach keeld" alloc list --keeld /nonexistent/keeld.sock
# Unreachable keeld: 3, one line with what to do.
expect 3 err "^keelctl: cannot reach keeld at /nonexistent/keeld.sock: no such socket (is keeld running? --keeld PATH or \\\$KEELD_SOCKET name another socket)\$" \
	free 7 --keeld /nonexistent/keeld.sock
KEELD_SOCKET=/nonexistent/env.sock
export KEELD_SOCKET
expect 3 err '^keelctl: cannot reach keeld at /nonexistent/env.sock: ' \
	cloud host remove 4
unset KEELD_SOCKET
if command -v python3 >/dev/null; then
	# A socket nobody listens on any more: a dead keeld's.
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).bind(sys.argv[1])' \
		"$tmp/dead.sock"
	expect 3 err "^keelctl: cannot reach keeld at $tmp/dead.sock: nothing listens there (keeld is not running: systemctl start keeld)\$" \
		--keeld "$tmp/dead.sock" alloc list
	# One that accepts and hangs up before it answers: said, exit 1.
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1])
s.listen(1)
open(sys.argv[2], "w").close()
s.settimeout(10)
s.accept()[0].close()' "$tmp/closer.sock" "$tmp/closer.ready" &
	closer=$!
	i=0
	while [ ! -e "$tmp/closer.ready" ] && [ $i -lt 250 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	expect 1 err '^keelctl: alloc list: keeld closed the connection before it answered (it stopped, or this user holds too many connections: see its log)$' \
		--keeld "$tmp/closer.sock" alloc list
	wait $closer
fi
expect 2 err "^keelctl: keeld's socket path is longer than 107 bytes: " \
	--keeld "/$(printf 'x%.0s' $(seq 120))" alloc list
# Input files: why they cannot be read, once, before keeld is asked.
expect 1 err "^keelctl: cloud host add: cannot open /nonexistent/hosts.json: No such file or directory\$" \
	--keeld /nonexistent/keeld.sock cloud host add /nonexistent/hosts.json
printf '{"id": 1,' >"$tmp/broken.json"
expect 1 err "^keelctl: cloud host add: $tmp/broken.json is not a JSON document: " \
	--keeld /nonexistent/keeld.sock cloud host add "$tmp/broken.json"
expect 1 err "^keelctl: alloc: cannot open /nonexistent/t.json: No such file or directory\$" \
	alloc --service a --vcpus 1 --memory 1G --template /nonexistent/t.json
: >"$tmp/empty.json"
expect 1 err "^keelctl: cloud template add: $tmp/empty.json is not a JSON document: it is empty\$" \
	cloud template add "$tmp/empty.json"
expect 0 out '^5 not found' help
expect 0 out '^3 Keel not loaded or keeld not reachable, 4 permission denied,$' help

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
	expect 3 err '^keelctl: keel modules are not loaded (keel.ko): load them with modprobe keel$' \
		objects show 2147483646
fi

echo "1..$n"
[ $fail -eq 0 ]
