#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# keelctl vdev add, del and console without a kernel module: their help,
# usage errors, and add's failures before it needs keel_vdev.ko (no such
# process, a process that is no KVM VMM, one the caller may not ptrace).
# Usage: vdev_test.sh KEELCTL   (TAP on stdout)
keelctl=$1
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/cli_lib.sh"

add="vdev add --port 0x2f8 --irq 3"

# Help.
expect 0 out 'vdev add --pid PID {--port PORT | --mmio ADDR} --irq GSI$' vdev --help
expect 0 out '^ *\[--level\] \[--model 16550a\] \[--label LABEL\] \[--vm-fd FD\]$' help vdev
expect 0 out 'vdev del ID' vdev -h
expect 0 out 'vdev console \[--wait MS\] \[--until TEXT\] ID' vdev -h
expect 0 out '^  --wait MS ' vdev -h
expect 0 out '^  --until TEXT ' vdev -h
expect 0 out 'vdev show ID' vdev -h

# add: what is missing, what is wrong.
expect 2 err 'add needs --pid PID' vdev add --port 0x2f8 --irq 3
expect 2 err "bad pid 'x'" vdev add --pid x --port 0x2f8 --irq 3
expect 2 err "bad pid '0'" vdev add --pid 0 --port 0x2f8 --irq 3
expect 2 err "bad pid '-1'" vdev add --pid -1 --port 0x2f8 --irq 3
expect 2 err "bad pid '12a'" vdev add --pid 12a --port 0x2f8 --irq 3
expect 2 err "bad pid '2147483648'" vdev add --pid 2147483648 --port 0x2f8 --irq 3
expect 2 err "needs a value" vdev add --port 0x2f8 --irq 3 --pid
expect 2 err '--port and --mmio exclude each other' \
	vdev add --pid 1 --port 0x2f8 --mmio 0xfe000000 --irq 3
expect 2 err 'add needs --port PORT or --mmio ADDR' vdev add --pid 1 --irq 3
expect 2 err 'add needs --irq GSI' vdev add --pid 1 --port 0x2f8
expect 2 err "bad GSI '4096' (0 to 4095)" vdev add --pid 1 --port 0x2f8 --irq 4096
expect 2 err "bad GSI '-3'" vdev add --pid 1 --port 0x2f8 --irq -3
expect 2 err "bad GSI 'three'" vdev add --pid 1 --port 0x2f8 --irq three
expect 2 err "bad port '0xfff9' (0 to 0xfff8: the device takes 8 ports)" \
	vdev add --pid 1 --port 0xfff9 --irq 3
expect 2 err "bad port '0x10000'" vdev add --pid 1 --port 0x10000 --irq 3
expect 2 err "bad MMIO address '0xfffffffffffffff9'" \
	vdev add --pid 1 --mmio 0xfffffffffffffff9 --irq 3
expect 2 err "bad MMIO address '0x1g'" vdev add --pid 1 --mmio 0x1g --irq 3
expect 2 err "unknown model '8250' (models: 16550a)" \
	vdev add --pid 1 --port 0x2f8 --irq 3 --model 8250
expect 2 err "bad label '0123456789012345678901234567890123'" \
	vdev add --pid 1 --port 0x2f8 --irq 3 \
	--label 0123456789012345678901234567890123
expect 2 err "bad descriptor 'x'" vdev add --pid 1 --port 0x2f8 --irq 3 --vm-fd x
expect 2 err '--port given twice' vdev add --pid 1 --port 0x2f8 --port 0x3f8 --irq 3
expect 2 err "unexpected argument 'extra'" vdev add --pid 1 --port 0x2f8 --irq 3 extra
expect 2 err '--wait is for console' vdev add --pid 1 --port 0x2f8 --irq 3 --wait 5

# del and console.
expect 2 err 'del needs one device id' vdev del
expect 2 err 'del needs one device id' vdev del 1 2
expect 2 err "bad device id '0'" vdev del 0
expect 2 err "bad device id 'x'" vdev del x
expect 2 err "bad device id '4294967296'" vdev del 4294967296
expect 2 err '--pid is for add' vdev del 1 --pid 1
expect 2 err 'console needs one device id' vdev console
expect 2 err "bad device id '0'" vdev console 0
expect 2 err "bad wait 'x'" vdev console --wait x 1
expect 2 err "bad wait '-1'" vdev console --wait -1 1
expect 2 err "bad --until '' (1 to 256 bytes)" vdev console --until '' 1
expect 2 err "bad --until 'xx*' (1 to 256 bytes)" vdev console --until "$(printf 'x%.0s' $(seq 257))" 1
expect 2 err '--until is for console' vdev add --pid 1 --port 0x2f8 --irq 3 --until x
expect 2 err '--level is for add' vdev console --level 1
expect 2 err '--pid is for add' vdev list --pid 1
expect 2 err '--wait is for console' vdev show 1 --wait 10

# add's failures before it needs Keel: the process (none: not found, 5).
# shellcheck disable=SC2086
expect 5 err '^keelctl: vdev add: no process 2147483647$' \
	$add --pid 2147483647
# shellcheck disable=SC2086
expect 1 err "^keelctl: vdev add: process $$ (.*) is not a KVM VMM: it holds no VM" \
	$add --pid $$
# shellcheck disable=SC2086
expect 1 err "process $$ (.*) is not a KVM VMM" $add --pid $$ --vm-fd 0 --label x

# One the caller may not ptrace: init, as nobody when this runs as root.
if [ "$(id -u)" -ne 0 ]; then
	# shellcheck disable=SC2086
	expect 4 err '^keelctl: vdev add: may not ptrace process 1' $add --pid 1
elif command -v setpriv >/dev/null &&
     setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$keelctl" --help >/dev/null 2>&1; then
	n=$((n + 1))
	# shellcheck disable=SC2086
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$keelctl" $add --pid 1 </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 4 ] &&
	   grep -q '^keelctl: vdev add: may not ptrace process 1 (.*): taking its VM needs the right to ptrace it' "$tmp/err"; then
		echo "ok $n - as nobody: keelctl $add --pid 1 exits 4"
	else
		echo "not ok $n - as nobody: keelctl $add --pid 1 exits $rc (want 4)"
		sed 's/^/#   /' "$tmp/err"
		fail=$((fail + 1))
	fi
else
	echo "# no setpriv, or nobody cannot run keelctl: ptrace refusal not checked"
fi

if [ -d /sys/module/keel ]; then
	echo "# keel.ko is loaded here: not-loaded exit codes not checked"
else
	expect 3 err 'keel modules are not loaded (keel.ko)' vdev del 5
	expect 3 err 'keel modules are not loaded (keel.ko)' vdev console 5
	expect 3 err 'keel modules are not loaded (keel.ko)' vdev console --wait 10 5
fi

echo "1..$n"
[ $fail -eq 0 ]
