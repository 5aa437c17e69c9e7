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
export DM_DISABLE_UDEV=1	# libdevmapper makes /dev/mapper nodes itself
KEELD=$(command -v keeld)
# TAP, $tmp, start_keeld and stop_keeld on $tmp/keeld.sock (which keelctl
# then uses): the host tests' helpers, installed beside this test.
# shellcheck source-path=SCRIPTDIR source=../../userspace/tests/keeld_lib.sh
. "$here/keeld_lib.sh"
# keeld starts slower in the VM's emulated CPU: 10 s, not 4.
keeld_start_tries=500

# The disks too, before keeld_lib.sh's cleanup removes $tmp.
cleanup_disks() {
	stop_keeld KILL
	umount "$tmp/mnt" 2>/dev/null
	umount "$tmp/chk" 2>/dev/null
	dmsetup remove --noudevsync keel-powercut 2>/dev/null
	for d in $loops; do
		losetup -d "$d" 2>/dev/null
	done
	cleanup
}
trap cleanup_disks EXIT

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
mkdir -p "$tmp/mnt" "$tmp/chk"

mark() { dmsetup message keel-powercut 0 mark "$1"; }

# record MODE QUERY: the recorded run. keeld on ext4 on log-writes over
# two loop devices; hosts, then $allocs allocations, each acknowledgement
# marked "ack-<id>"; "cut" marks the moment the power goes; what is
# written after it (keeld killed, unmounted) is never replayed. The
# target logs a write only once a flush covers it (or at once for FUA), so
# the log up to any entry is what a disk whose volatile cache lost every
# write not yet flushed holds at that moment.
record() {
	truncate -s 16M "$tmp/data.img" && truncate -s 256M "$tmp/log.img" ||
		return 1
	data=$(attach "$tmp/data.img") && log=$(attach "$tmp/log.img") ||
		return 1
	loops="$data $log"
	dmsetup create --noudevsync keel-powercut --table \
		"0 $(blockdev --getsz "$data") log-writes $data $log" &&
		dmsetup mknodes keel-powercut || return 1
	# no lazy initialization: nothing written behind the test's back
	mkfs.ext4 -q -F -b 4096 -E nodiscard,lazy_itable_init=0,lazy_journal_init=0 \
		/dev/mapper/keel-powercut || return 1
	mark mkfs &&
		mount -t ext4 /dev/mapper/keel-powercut "$tmp/mnt" &&
		start_keeld "sqlite:$tmp/mnt/keeld.db$2" || return 1
	keelctl cloud host add "$tmp/hosts.json" >/dev/null && mark hosts ||
		return 1
	: >"$tmp/$1.acked"
	i=0
	while [ $i -lt "$allocs" ]; do
		out=$(keelctl alloc --service "s$i" --vcpus 1 --memory 1G) ||
			return 1
		id=$(echo "$out" | sed -n 's/^allocation \([0-9]*\) on host.*/\1/p')
		[ -n "$id" ] || return 1
		mark "ack-$id" || return 1
		echo "$id" >>"$tmp/$1.acked"
		i=$((i + 1))
	done
	mark cut
	stop_keeld KILL
	umount "$tmp/mnt" &&
		dmsetup remove --noudevsync keel-powercut &&
		losetup -d "$data" && losetup -d "$log" || return 1
	loops=
	mv "$tmp/log.img" "$tmp/$1.log"
	rm -f "$tmp/data.img"
}

# check_point MODE: the rebuilt device ($tmp/replay.img, copied) mounted,
# checked by keeld and opened by it: "<check> <held> <acked> <lost>"
# on stdout, check "ok" or what failed; acked are the ids in
# $tmp/acked.now, lost those of them keeld does not hold.
check_point() {
	cp "$tmp/replay.img" "$tmp/check.img"
	dev=$(attach "$tmp/check.img") || { echo "losetup 0 0 0"; return; }
	if ! mount -t ext4 "$dev" "$tmp/chk" 2>>"$tmp/$1.err"; then
		losetup -d "$dev"
		echo "mount 0 0 0"
		return
	fi
	res=ok
	if [ -e "$tmp/chk/keeld.db" ] &&
	   ! "$KEELD" --db "sqlite:$tmp/chk/keeld.db" --check >>"$tmp/$1.err" 2>&1; then
		res=check
	fi
	: >"$tmp/held"
	if [ $res = ok ]; then
		if start_keeld "sqlite:$tmp/chk/keeld.db"; then
			keelctl alloc list >"$tmp/list" 2>>"$tmp/$1.err" || res=list
			awk 'NR > 1 { print $1 }' "$tmp/list" >"$tmp/held"
		else
			res=start
		fi
		stop_keeld
	fi
	umount "$tmp/chk"
	losetup -d "$dev"
	lost=$(grep -cvxF -f "$tmp/held" "$tmp/acked.now" 2>/dev/null)
	[ -s "$tmp/held" ] || lost=$(wc -l <"$tmp/acked.now")
	echo "$res $(wc -l <"$tmp/held") $(wc -l <"$tmp/acked.now") $lost"
}

# replay_all MODE: every point of the log between "mkfs" and "cut" where
# a power cut can strike (or $points of them), rebuilt in log order and
# checked; one line
# "<entry> <check> <held> <acked> <lost>" per point in $tmp/MODE.points.
replay_all() {
	"$replay" "$tmp/$1.log" list >"$tmp/$1.entries" || return 1
	# A point ends a run of flush, FUA and mark entries: the device is
	# the same at each of them, the last knows of the most
	# acknowledgements. "cut" is the last point.
	awk '
	$5 == "mkfs" && !on { on = 1; next }
	!on { next }
	$2 ~ /[FUM]/ { cand = $1 }
	$2 !~ /[FUM]/ && $4 > 0 { if (cand != "") print cand; cand = "" }
	$5 == "cut" { if (cand != "") print cand; exit }' \
		"$tmp/$1.entries" >"$tmp/$1.all"
	total=$(wc -l <"$tmp/$1.all")
	[ "$total" -gt 0 ] || return 1
	# spread $points over the list, the last point always in
	if [ "$points" -gt 0 ] && [ "$total" -gt "$points" ]; then
		awk -v n="$total" -v k="$points" '
		{ if (int((NR - 1) * k / n) != int(NR * k / n) || NR == n) print }
		' "$tmp/$1.all" >"$tmp/$1.sel"
	else
		cp "$tmp/$1.all" "$tmp/$1.sel"
	fi
	truncate -s 0 "$tmp/replay.img" && truncate -s 16M "$tmp/replay.img"
	from=0
	: >"$tmp/$1.points"
	while read -r p; do
		"$replay" "$tmp/$1.log" replay "$tmp/replay.img" "$from" "$p" ||
			return 1
		from=$((p + 1))
		awk -v p="$p" '$1 <= p && $5 ~ /^ack-/ { sub(/^ack-/, "", $5); print $5 }' \
			"$tmp/$1.entries" >"$tmp/acked.now"
		echo "$p $(check_point "$1")" >>"$tmp/$1.points"
	done <"$tmp/$1.sel"
	echo "# $1: $(wc -l <"$tmp/$1.sel") of $total points replayed, $(wc -l <"$tmp/$1.entries") log entries"
}

cat >"$tmp/hosts.json" <<'JSON'
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
	[ -s "$tmp/$mode.log" ] || continue
	replay_all $mode
	ok $? "$mode: the log replayed at its flush, FUA and mark points"
	bad=$(awk '$2 != "ok"' "$tmp/$mode.points" | head -n 3)
	[ -s "$tmp/$mode.points" ] && [ -z "$bad" ]
	ok $? "$mode: at every point ext4 mounts and keeld --check passes${bad:+ (not at: $(echo "$bad" | tr "\n" " "))}"
	[ -z "$bad" ] || sed 's/^/#   /' "$tmp/$mode.err" | tail -n 20
	lossy=$(awk '$5 > 0' "$tmp/$mode.points" | wc -l)
	worst=$(awk 'BEGIN { m = 0 } $5 > m { m = $5 } END { print m }' "$tmp/$mode.points")
	last=$(tail -n 1 "$tmp/$mode.points")
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

done_testing
