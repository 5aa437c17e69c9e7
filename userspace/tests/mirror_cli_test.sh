#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# keelctl mirror add, del, xlate and unxlate without a kernel module:
# their help, usage errors, and add's failures before it needs
# keel_mirror.ko (no such process, a process that is no KVM VMM).
# Usage: mirror_cli_test.sh KEELCTL   (TAP on stdout)
keelctl=$1
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/cli_lib.sh"

add="mirror add --gpa 0x100000 --len 0x10000"

# Help.
expect 0 out 'mirror add --pid PID --gpa ADDR --len BYTES \[--label LABEL\]$' mirror --help
expect 0 out '^ *\[--alias-off OFF --mirror-off OFF\]$' mirror --help
expect 0 out 'mirror del ID' mirror -h
expect 0 out '^  --len BYTES ' mirror -h
expect 0 out 'mirror xlate ID --start ADDR --end ADDR --code ADDR$' mirror -h
expect 0 out '^ *\[--count-gpa GPA\]$' mirror -h
expect 0 out '^ *\[--log-gpa GPA \[--log-pt GPA \[--log-pt-levels 4|5\]\]\]$' mirror -h
expect 0 out 'mirror unxlate ID --start ADDR$' mirror -h
expect 0 out '^  --count-gpa GPA ' mirror -h
expect 0 out '^  --log-gpa GPA ' mirror -h
expect 0 out '^  --log-pt GPA ' mirror -h

# add: what is missing, what is wrong.
expect 2 err 'add needs --pid PID' mirror add --gpa 0 --len 4096
expect 2 err 'add needs --pid PID' mirror add --pid 0 --gpa 0 --len 4096
expect 2 err 'add needs --pid PID' mirror add --pid -1 --gpa 0 --len 4096
expect 2 err 'add needs --pid PID' mirror add --pid 2147483648 --gpa 0 --len 4096
expect 2 err 'add needs --gpa ADDR, page aligned' mirror add --pid 1 --len 4096
expect 2 err 'add needs --gpa ADDR, page aligned' mirror add --pid 1 --gpa 0x1001 --len 4096
expect 2 err 'add needs --gpa ADDR, page aligned' mirror add --pid 1 --gpa 1g --len 4096
expect 2 err 'add needs --len BYTES' mirror add --pid 1 --gpa 0
expect 2 err 'add needs --len BYTES' mirror add --pid 1 --gpa 0 --len 0
expect 2 err 'add needs --len BYTES' mirror add --pid 1 --gpa 0 --len 4095
expect 2 err 'add needs --len BYTES' mirror add --pid 1 --gpa 0 --len 0x40001000
expect 2 err 'the range wraps' mirror add --pid 1 --gpa 0xfffffffffffff000 --len 0x2000
expect 2 err 'label longer than 31 characters' mirror add --pid 1 --gpa 0 --len 4096 \
	--label 0123456789012345678901234567890123
expect 2 err "unexpected argument 'extra'" mirror add --pid 1 --gpa 0 --len 4096 extra
expect 2 err '--alias-off and --mirror-off go together' mirror add --pid 1 --gpa 0 --len 4096 \
	--alias-off 0x1000000000
expect 2 err '--alias-off and --mirror-off go together' mirror add --pid 1 --gpa 0 --len 4096 \
	--mirror-off 0x1000000000
expect 2 err 'need nonzero offsets, page aligned' mirror add --pid 1 --gpa 0 --len 4096 \
	--alias-off 0 --mirror-off 0x1000000000
expect 2 err 'need nonzero offsets, page aligned' mirror add --pid 1 --gpa 0 --len 4096 \
	--alias-off 0x1000000000 --mirror-off 0x2000000800
expect 2 err 'needs a value' mirror add --gpa 0 --len 4096 --pid

# del, and add's options elsewhere.
expect 2 err 'del needs one range id' mirror del
expect 2 err 'del needs one range id' mirror del 1 2
expect 2 err 'del needs one range id' mirror del 0
expect 2 err 'del needs one range id' mirror del x
expect 2 err '--pid is for add' mirror del 1 --pid 1
expect 2 err '--gpa is for add' mirror list --gpa 0
expect 2 err '--len is for add' mirror show 1 --len 4096

# xlate and unxlate: what is missing, what is wrong.
xl="--start 0x1000 --end 0x2000 --code 0x100000"
expect 2 err 'xlate needs one range id' mirror xlate
expect 2 err 'xlate needs one range id' mirror xlate 0 --start 1
expect 2 err 'xlate needs one range id' mirror xlate x --start 1
expect 2 err 'unxlate needs one range id' mirror unxlate 1 2 --start 1
expect 2 err 'xlate needs --start ADDR' mirror xlate 1 --end 0x2000 --code 1
expect 2 err 'xlate needs --start ADDR' mirror xlate 1 --start -1 --end 0x2000 --code 1
expect 2 err 'unxlate needs --start ADDR' mirror unxlate 1
expect 2 err 'xlate needs --end ADDR, above --start' mirror xlate 1 --start 0x1000 --code 1
expect 2 err 'xlate needs --end ADDR, above --start' mirror xlate 1 --start 0x1000 \
	--end 0x1000 --code 1
expect 2 err 'xlate covers at most 65536 bytes of code' mirror xlate 1 --start 0x1000 \
	--end 0x11001 --code 1
expect 2 err 'xlate needs --code ADDR' mirror xlate 1 --start 0x1000 --end 0x2000
# shellcheck disable=SC2086
expect 2 err '--count-gpa needs an address, 8-byte aligned' mirror xlate 1 $xl \
	--count-gpa 0x1004
# shellcheck disable=SC2086
expect 2 err '--count-gpa needs an address, 8-byte aligned' mirror xlate 1 $xl \
	--count-gpa x
# shellcheck disable=SC2086
expect 2 err '--log-gpa needs a nonzero address, 8-byte aligned, of a log within one page' \
	mirror xlate 1 $xl --log-gpa 0x1004
# shellcheck disable=SC2086
expect 2 err '--log-gpa needs a nonzero address, 8-byte aligned, of a log within one page' \
	mirror xlate 1 $xl --log-gpa 0x1c00
# shellcheck disable=SC2086
expect 2 err '--log-gpa needs a nonzero address, 8-byte aligned, of a log within one page' \
	mirror xlate 1 $xl --log-gpa 0
# shellcheck disable=SC2086
expect 2 err '--log-pt is for a log: give --log-gpa' mirror xlate 1 $xl --log-pt 0x1000
# shellcheck disable=SC2086
expect 2 err '--log-pt needs a nonzero address, page aligned' mirror xlate 1 $xl \
	--log-gpa 0x1000 --log-pt 0x1008
# shellcheck disable=SC2086
expect 2 err '--log-pt-levels is for --log-pt' mirror xlate 1 $xl --log-gpa 0x1000 \
	--log-pt-levels 5
# shellcheck disable=SC2086
expect 2 err '--log-pt-levels is 4 or 5' mirror xlate 1 $xl --log-gpa 0x1000 \
	--log-pt 0x2000 --log-pt-levels 3
# shellcheck disable=SC2086
expect 2 err '--pid is for add' mirror xlate 1 $xl --pid 1
expect 2 err '--end is for xlate' mirror unxlate 1 --start 0x1000 --end 0x2000
expect 2 err '--count-gpa is for xlate' mirror unxlate 1 --start 0x1000 --count-gpa 8
expect 2 err '--log-gpa is for xlate' mirror unxlate 1 --start 0x1000 --log-gpa 8
expect 2 err '--start is for xlate' mirror add --pid 1 --gpa 0 --len 4096 --start 1
expect 2 err '--code is for xlate' mirror list --code 1
expect 2 err '--start is for xlate' mirror del 1 --start 1

# add's failures before it needs Keel: the process (none: not found, 5).
# shellcheck disable=SC2086
expect 5 err '^keelctl: mirror add: no process 2147483647$' \
	$add --pid 2147483647
# shellcheck disable=SC2086
expect 1 err "^keelctl: mirror add: process $$ (.*) is not a KVM VMM: it holds no VM" \
	$add --pid $$

if [ -d /sys/module/keel ]; then
	echo "# keel.ko is loaded here: not-loaded exit codes not checked"
else
	expect 3 err 'keel modules are not loaded (keel.ko)' mirror del 5
	# shellcheck disable=SC2086
	expect 3 err 'keel modules are not loaded (keel.ko)' mirror xlate 5 $xl
	expect 3 err 'keel modules are not loaded (keel.ko)' mirror unxlate 5 --start 1
fi

echo "1..$n"
[ $fail -eq 0 ]
