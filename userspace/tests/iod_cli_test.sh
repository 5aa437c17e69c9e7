#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# keel-iod's command line: --list as a table and as JSON (checked with
# jq, else python3 -m json.tool), refusals of a bad configuration with
# exit status 2 and a message that says what to do (a key file others
# can read, a bad device, missing options), a backing file or socket
# already in use, and a clean stop on SIGTERM.
# Usage: iod_cli_test.sh KEELCTL   (TAP on stdout; $KEEL_IOD is keel-iod)
n=0
fail=0
tmp=$(mktemp -d)
pid=

ok() {	# ok COND-EXIT-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		sed 's/^/#   /' "$tmp/err" 2>/dev/null
		fail=$((fail + 1))
	fi
}

cleanup() {
	[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null
	[ -z "$pid" ] || wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if [ ! -x "${KEEL_IOD:-}" ]; then
	echo "1..0 # SKIP KEEL_IOD is not set to keel-iod"
	exit 0
fi

# json FILE: FILE is valid JSON.
json() {
	if command -v jq >/dev/null; then
		jq . "$1" >/dev/null 2>&1
	else
		python3 -m json.tool "$1" >/dev/null 2>&1
	fi
}

# alive PID: the process runs (exited, it is a zombie until waited for).
alive() {
	[ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" ] &&
		[ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# wait_socket PATH: until PATH is a socket, 500 x 20 ms at most; fails at
# once when keel-iod ($pid) is gone.
wait_socket() {
	i=0
	while [ ! -S "$1" ] && [ $i -lt 500 ]; do
		alive "$pid" || return 1
		sleep 0.02
		i=$((i + 1))
	done
	[ -S "$1" ]
}

# stop_iod: SIGTERM to keel-iod, 500 x 20 ms for it to exit (then
# SIGKILL); its exit status.
stop_iod() {
	kill -TERM "$pid"
	i=0
	while alive "$pid" && [ $i -lt 500 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	alive "$pid" && kill -KILL "$pid"
	wait "$pid"
	rc=$?
	pid=
	return $rc
}

truncate -s 1M "$tmp/a.img"
truncate -s 3M "$tmp/b.img"
truncate -s 500 "$tmp/tiny.img"
printf '%s\n' 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff >"$tmp/key"
chmod 600 "$tmp/key"
# The devices, as arguments: "$@" from here on.
set -- --device "block,name=a,file=$tmp/a.img,features=flush|fua" \
	--device "block,name=b,model=nvme,file=$tmp/b.img,ro" \
	--device "console,in=/dev/null,out=$tmp/con.out" \
	--device entropy
"$KEEL_IOD" --list "$@" >"$tmp/out" 2>"$tmp/err"
ok $? "--list exits 0"
head -n 1 "$tmp/out" | grep -q '^ID  *NAME  *TYPE  *MODEL  *CAPACITY  *FEATURES  *BACKING$' &&
	grep -q '^1  *a  *block  *virtio-blk  *1048576  *read,write,flush,fua  .*a.img$' "$tmp/out" &&
	grep -q '^2  *b  *block  *nvme  *3145728  *read  .*b.img (ro)$' "$tmp/out" &&
	grep -q '^3  *console0  *console  *16550a  *-  *read,write  *in=/dev/null out=' "$tmp/out" &&
	grep -q '^4  *entropy0  *entropy  *virtio-rng  *-  *read  *getrandom$' "$tmp/out" &&
	[ "$(wc -l <"$tmp/out")" -eq 5 ]
ok $? "--list: a header and one line per device, with capacity and features"
[ ! -e "$tmp/con.out" ]
ok $? "--list creates nothing (the console's output file)"

"$KEEL_IOD" --list -j "$@" >"$tmp/out.json" 2>"$tmp/err"
ok $? "--list -j exits 0"
json "$tmp/out.json"
ok $? "--list -j prints valid JSON"
if command -v jq >/dev/null; then
	[ "$(jq -c '[.[] | [.id, .name, .type, .capacity]]' "$tmp/out.json")" = \
	  '[[1,"a","block",1048576],[2,"b","block",3145728],[3,"console0","console",0],[4,"entropy0","entropy",0]]' ] &&
		[ "$(jq -c '.[0].features' "$tmp/out.json")" = '["read","write","flush","fua"]' ] &&
		[ "$(jq -r '.[1].model + " " + (.[1].features | join(","))' "$tmp/out.json")" = "nvme read" ] &&
		[ "$(jq '.[2].exclusive' "$tmp/out.json")" = true ] &&
		[ "$(jq -r '.[0].file' "$tmp/out.json")" = "$tmp/a.img" ]
	ok $? "--list -j: ids, names, types, capacities, features, backing"
else
	grep -q '"name": "a"' "$tmp/out.json" && grep -q '"capacity": 3145728' "$tmp/out.json"
	ok $? "--list -j: names and capacities (no jq: grep)"
fi
"$KEEL_IOD" --list -j >"$tmp/out.json" 2>"$tmp/err" &&
	[ "$(tr -d ' \n' <"$tmp/out.json")" = '[]' ]
ok $? "--list -j without devices: []"

# Refusals: exit status 2, one line that says what to do.
"$KEEL_IOD" -j "$@" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'keel-iod: error: -j goes with --list' "$tmp/err"
ok $? "-j without --list: exit 2"
timeout 10 "$KEEL_IOD" --listen "unix:$tmp/s" "$@" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'give --key FILE' "$tmp/err"
ok $? "no --key: exit 2, says to give one"
timeout 10 "$KEEL_IOD" --key "$tmp/key" "$@" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'give --listen unix:PATH or tcp:HOST:PORT' "$tmp/err"
ok $? "no --listen: exit 2"
timeout 10 "$KEEL_IOD" --key "$tmp/key" --listen "unix:$tmp/s" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'at least one --device' "$tmp/err"
ok $? "no --device: exit 2"
"$KEEL_IOD" --list --device "block,file=$tmp/a.img,size=9" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "unknown option 'size' (block takes file, name, model, features, ro)" "$tmp/err"
ok $? "an unknown device option: exit 2, the options named"
"$KEEL_IOD" --list --device "block,file=$tmp/none.img" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'cannot open .*none.img: No such file or directory; create it' "$tmp/err"
ok $? "a missing backing file: exit 2, says to create it"
"$KEEL_IOD" --list --device "block,file=$tmp/tiny.img" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'holds no whole sector; give it a size (truncate -s 1G' "$tmp/err"
ok $? "a backing file under 512 bytes: refused with how to size it"
"$KEEL_IOD" --list --device "block,name=x,file=$tmp/a.img" \
	--device "block,name=x,file=$tmp/b.img" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'the name x is taken by device 1' "$tmp/err"
ok $? "two devices of one name: exit 2"
"$KEEL_IOD" --idle-timeout 0 --list 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "bad --idle-timeout '0': give 1 to 86400 seconds" "$tmp/err"
ok $? "--idle-timeout 0: exit 2"

chmod 644 "$tmp/key"
timeout 10 "$KEEL_IOD" --key "$tmp/key" --listen "unix:$tmp/s" "$@" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "key file .*key: mode 0644 lets its group or others at the shared key; run chmod 600 " "$tmp/err" &&
	[ "$(wc -l <"$tmp/err")" -eq 1 ] && [ ! -e "$tmp/s" ]
ok $? "a key file others can read: exit 2, one line saying chmod 600, nothing started"
chmod 640 "$tmp/key"
timeout 10 "$KEEL_IOD" --key "$tmp/key" --listen "unix:$tmp/s" "$@" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "mode 0640" "$tmp/err"
ok $? "a key file its group can read: exit 2"
chmod 600 "$tmp/key"
echo 'not a key' >"$tmp/bad.key"
chmod 600 "$tmp/bad.key"
timeout 10 "$KEEL_IOD" --key "$tmp/bad.key" --listen "unix:$tmp/s" "$@" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'not one line of 32 to 128 hex digits; make one with: openssl rand -hex 32' "$tmp/err"
ok $? "a key file without a key: exit 2, says how to make one"

# A server, and what it holds.
"$KEEL_IOD" --key "$tmp/key" --listen "unix:$tmp/s" "$@" 2>"$tmp/log" &
pid=$!
wait_socket "$tmp/s"
ok $? "keel-iod starts and listens"
[ "$(stat -c %a "$tmp/s")" = 600 ]
ok $? "its socket is mode 0600"
timeout 10 "$KEEL_IOD" --key "$tmp/key" --listen "unix:$tmp/s2" \
	--device "block,file=$tmp/a.img" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'a.img is in use (another keel-iod, or given twice here)' "$tmp/err"
ok $? "a second keel-iod on the same backing file: exit 2"
timeout 10 "$KEEL_IOD" --key "$tmp/key" --listen "unix:$tmp/s" --device entropy 2>"$tmp/err"
[ $? -eq 1 ] && grep -q 'a server accepts connections there; stop that server or choose another path' "$tmp/err" &&
	[ -S "$tmp/s" ]
ok $? "a second keel-iod on the same socket: exit 1, the first one's socket kept"
timeout 10 "$KEEL_IOD" --key "$tmp/key" --listen "tcp:nohost" --device entropy 2>"$tmp/err"
[ $? -eq 1 ] && grep -q 'give tcp:HOST:PORT' "$tmp/err"
ok $? "a TCP address without a port: exit 1"
stop_iod
rc=$?
[ $rc -eq 0 ] && [ ! -e "$tmp/s" ] && grep -q 'keel-iod: info: stopped' "$tmp/log"
ok $? "SIGTERM: exit 0, socket removed, 'stopped' logged"
grep -q 'keel-iod: info: device 1: a, block virtio-blk, 1048576 bytes, read,write,flush,fua' "$tmp/log"
ok $? "the log names each device at start"

echo "1..$n"
[ $fail -eq 0 ]
