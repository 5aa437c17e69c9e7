#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# No allocation keeld acknowledged is lost to a power cut. keeld's SQLite
# database lives on ext4 on a device-mapper device whose writes the
# kernel's log-writes target records (the crash-consistency tool of
# xfstests); a client makes allocations one by one and, after each
# acknowledgement, puts a mark into the log. The device is then rebuilt
# at every flush, FUA and mark point of the log (log_replay): what a disk
# with a volatile write cache holds when the power goes at that moment,
# up to the last acknowledgement. On each,
# ext4 mounts, "keeld --check" passes (SQLite's integrity_check and
# keeld's invariants), and keeld, started on it, holds every allocation
# acknowledged before that point. The default mode (synchronous=FULL)
# must never lose one; the fast mode (?synchronous=normal) is shown to.
#
# TAP on stdout. Runs as root in the test VM: keeld, keelctl, dmsetup,
# mkfs.ext4 on PATH (powercut_test.needs), loop devices. Env:
#   KEEL_POWERCUT_ALLOCS  allocations per mode (default 20)
#   KEEL_POWERCUT_POINTS  at most this many flush points checked per mode,
#                         spread over the log, the last always (default 0:
#                         every one)
here=$(cd "$(dirname "$0")" && pwd)
replay=$here/log_replay
allocs=${KEEL_POWERCUT_ALLOCS:-20}
points=${KEEL_POWERCUT_POINTS:-0}
n=0
fail=0
w=$(mktemp -d)
export DM_DISABLE_UDEV=1	# libdevmapper makes /dev/mapper nodes itself

ok() {	# ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=$((fail + 1))
	fi
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

keeld_pid=
cleanup() {
	[ -z "$keeld_pid" ] || kill -KILL "$keeld_pid" 2>/dev/null
	umount "$w/mnt" 2>/dev/null
	umount "$w/chk" 2>/dev/null
	dmsetup remove --noudevsync keel-powercut 2>/dev/null
	for d in $loops; do
		losetup -d "$d" 2>/dev/null
	done
	rm -rf "$w"
}
trap cleanup EXIT

# attach FILE: a free loop device for FILE, its name on stdout (the
# forms busybox's losetup and util-linux's share).
loops=
attach() {
	_d=$(losetup -f) && losetup "$_d" "$1" && echo "$_d"
}

for t in keeld keelctl losetup dmsetup mkfs.ext4; do
	command -v $t >/dev/null || skip_all "$t is not on PATH"
done
[ -x "$replay" ] || skip_all "no log_replay beside the test"
grep -qw ext4 /proc/filesystems || skip_all "this kernel has no ext4"
dmsetup targets 2>/dev/null | grep -q '^log-writes' ||
	skip_all "this kernel has no dm-log-writes target"
mkdir -p "$w/mnt" "$w/chk"

# start_keeld DB-URL: keeld on $w/keeld.sock, which keelctl then uses.
export KEELD_SOCKET="$w/keeld.sock"
start_keeld() {
	rm -f "$KEELD_SOCKET"
	keeld --db "$1" --socket "$KEELD_SOCKET" 2>>"$w/keeld.log" &
	keeld_pid=$!
	i=0
	while [ ! -S "$KEELD_SOCKET" ] && [ $i -lt 500 ]; do
		kill -0 "$keeld_pid" 2>/dev/null || break
		sleep 0.02
		i=$((i + 1))
	done
	[ -S "$KEELD_SOCKET" ]
}

stop_keeld() {	# stop_keeld [SIGNAL]
	[ -n "$keeld_pid" ] || return 0
	kill -"${1:-TERM}" "$keeld_pid" 2>/dev/null
	wait "$keeld_pid" 2>/dev/null
	keeld_pid=
}

mark() { dmsetup message keel-powercut 0 mark "$1"; }

# record MODE QUERY: the recorded run. keeld on ext4 on log-writes over
# two loop devices; hosts, then $allocs allocations, each acknowledgement
# marked "ack-<id>"; "cut" marks the moment the power goes; what is
# written after it (keeld killed, unmounted) is never replayed. The
# target logs a write only once a flush covers it (or at once for FUA), so
# the log up to any entry is what a disk whose volatile cache lost every
# write not yet flushed holds at that moment.
record() {
	truncate -s 16M "$w/data.img" && truncate -s 256M "$w/log.img" ||
		return 1
	data=$(attach "$w/data.img") && log=$(attach "$w/log.img") ||
		return 1
	loops="$data $log"
	dmsetup create --noudevsync keel-powercut --table \
		"0 $(blockdev --getsz "$data") log-writes $data $log" &&
		dmsetup mknodes keel-powercut || return 1
	# no lazy initialization: nothing written behind the test's back
	mkfs.ext4 -q -F -b 4096 -E nodiscard,lazy_itable_init=0,lazy_journal_init=0 \
		/dev/mapper/keel-powercut || return 1
	mark mkfs &&
		mount -t ext4 /dev/mapper/keel-powercut "$w/mnt" &&
		start_keeld "sqlite:$w/mnt/keeld.db$2" || return 1
	keelctl cloud host add "$w/hosts.json" >/dev/null && mark hosts ||
		return 1
	: >"$w/$1.acked"
	i=0
	while [ $i -lt "$allocs" ]; do
		out=$(keelctl alloc --service "s$i" --vcpus 1 --memory 1G) ||
			return 1
		id=$(echo "$out" | sed -n 's/^allocation \([0-9]*\) on host.*/\1/p')
		[ -n "$id" ] || return 1
		mark "ack-$id" || return 1
		echo "$id" >>"$w/$1.acked"
		i=$((i + 1))
	done
	mark cut
	stop_keeld KILL
	umount "$w/mnt" &&
		dmsetup remove --noudevsync keel-powercut &&
		losetup -d "$data" && losetup -d "$log" || return 1
	loops=
	mv "$w/log.img" "$w/$1.log"
	rm -f "$w/data.img"
}

# check_point MODE: the rebuilt device ($w/replay.img, copied) mounted,
# checked by keeld and opened by it: "<check> <held> <acked> <lost>"
# on stdout, check "ok" or what failed; acked are the ids in
# $w/acked.now, lost those of them keeld does not hold.
check_point() {
	cp "$w/replay.img" "$w/check.img"
	dev=$(attach "$w/check.img") || { echo "losetup 0 0 0"; return; }
	if ! mount -t ext4 "$dev" "$w/chk" 2>>"$w/$1.err"; then
		losetup -d "$dev"
		echo "mount 0 0 0"
		return
	fi
	res=ok
	if [ -e "$w/chk/keeld.db" ] &&
	   ! keeld --db "sqlite:$w/chk/keeld.db" --check >>"$w/$1.err" 2>&1; then
		res=check
	fi
	: >"$w/held"
	if [ $res = ok ]; then
		if start_keeld "sqlite:$w/chk/keeld.db"; then
			keelctl alloc list >"$w/list" 2>>"$w/$1.err" || res=list
			awk 'NR > 1 { print $1 }' "$w/list" >"$w/held"
		else
			res=start
		fi
		stop_keeld
	fi
	umount "$w/chk"
	losetup -d "$dev"
	lost=$(grep -cvxF -f "$w/held" "$w/acked.now" 2>/dev/null)
	[ -s "$w/held" ] || lost=$(wc -l <"$w/acked.now")
	echo "$res $(wc -l <"$w/held") $(wc -l <"$w/acked.now") $lost"
}

# replay_all MODE: every point of the log between "mkfs" and "cut" where
# a power cut can strike (or $points of them), rebuilt in log order and
# checked; one line
# "<entry> <check> <held> <acked> <lost>" per point in $w/MODE.points.
replay_all() {
	"$replay" "$w/$1.log" list >"$w/$1.entries" || return 1
	# A point ends a run of flush, FUA and mark entries: the device is
	# the same at each of them, the last knows of the most
	# acknowledgements. "cut" is the last point.
	awk '
	$5 == "mkfs" && !on { on = 1; next }
	!on { next }
	$2 ~ /[FUM]/ { cand = $1 }
	$2 !~ /[FUM]/ && $4 > 0 { if (cand != "") print cand; cand = "" }
	$5 == "cut" { if (cand != "") print cand; exit }' \
		"$w/$1.entries" >"$w/$1.all"
	total=$(wc -l <"$w/$1.all")
	[ "$total" -gt 0 ] || return 1
	# spread $points over the list, the last point always in
	if [ "$points" -gt 0 ] && [ "$total" -gt "$points" ]; then
		awk -v n="$total" -v k="$points" '
		{ if (int((NR - 1) * k / n) != int(NR * k / n) || NR == n) print }
		' "$w/$1.all" >"$w/$1.sel"
	else
		cp "$w/$1.all" "$w/$1.sel"
	fi
	truncate -s 0 "$w/replay.img" && truncate -s 16M "$w/replay.img"
	from=0
	: >"$w/$1.points"
	while read -r p; do
		"$replay" "$w/$1.log" replay "$w/replay.img" "$from" "$p" ||
			return 1
		from=$((p + 1))
		awk -v p="$p" '$1 <= p && $5 ~ /^ack-/ { sub(/^ack-/, "", $5); print $5 }' \
			"$w/$1.entries" >"$w/acked.now"
		echo "$p $(check_point "$1")" >>"$w/$1.points"
	done <"$w/$1.sel"
	echo "# $1: $(wc -l <"$w/$1.sel") of $total points replayed, $(wc -l <"$w/$1.entries") log entries"
}

cat >"$w/hosts.json" <<'JSON'
{"hosts": [
 {"id": 1, "resources": {"vcpus": 64, "memory": "256G"}},
 {"id": 2, "resources": {"vcpus": 64, "memory": "256G"}}
]}
JSON

for mode in durable fast; do
	q=
	[ $mode = durable ] || q='?synchronous=normal'
	t0=$(date +%s)
	record $mode "$q"
	ok $? "$mode: $allocs allocations acknowledged on ext4 over dm-log-writes"
	[ -s "$w/$mode.log" ] || continue
	replay_all $mode
	ok $? "$mode: the log replayed at its flush, FUA and mark points"
	bad=$(awk '$2 != "ok"' "$w/$mode.points" | head -n 3)
	[ -s "$w/$mode.points" ] && [ -z "$bad" ]
	ok $? "$mode: at every point ext4 mounts and keeld --check passes${bad:+ (not at: $(echo "$bad" | tr "\n" " "))}"
	[ -z "$bad" ] || sed 's/^/#   /' "$w/$mode.err" | tail -n 20
	lossy=$(awk '$5 > 0' "$w/$mode.points" | wc -l)
	worst=$(awk 'BEGIN { m = 0 } $5 > m { m = $5 } END { print m }' "$w/$mode.points")
	last=$(tail -n 1 "$w/$mode.points")
	echo "# $mode: acknowledged allocations missing at $lossy points (at most $worst); at the cut: $last"
	echo "# $mode: $(($(date +%s) - t0)) s"
	if [ $mode = durable ]; then
		[ "$lossy" -eq 0 ]
		ok $? "durable: every point holds every allocation acknowledged before it"
	else
		[ "$lossy" -gt 0 ]
		ok $? "fast: acknowledged allocations are lost to a power cut (at $lossy points, up to $worst)"
	fi
done

echo "1..$n"
[ $fail -eq 0 ]
