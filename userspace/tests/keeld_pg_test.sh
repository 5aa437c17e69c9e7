#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Several keelds on one PostgreSQL database: a private cluster (Debian's
# postgresql package, run as an unprivileged user on a socket in a
# temporary directory), three keelds and 32 concurrent clients that
# allocate one vCPU at a time until the hosts are full. Every vCPU must
# be allocated exactly once: no double allocation, every capacity kept.
# Usage: keeld_pg_test.sh KEELCTL   (TAP on stdout; $KEELD is keeld)
keelctl=$1
. "$(dirname "$0")/keeld_lib.sh"
[ -x "${KEELD:-}" ] || skip_all "KEELD is not set to keeld"

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || skip_all "PostgreSQL server binaries not installed (postgresql)"
[ "$(id -u)" -eq 0 ] || skip_all "needs root to run the cluster as another user"
pguser=postgres
getent passwd $pguser >/dev/null || pguser=nobody

hosts=8
vcpus=16
clients=32
pg=$tmp/pg
mkdir -p "$pg"
chown "$pguser" "$pg"
as_pg() {
	runuser -u "$pguser" -- "$@"
}
pids=
cleanup_pg() {
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null
	done
	as_pg "$bindir/pg_ctl" -D "$pg/data" -m immediate stop >/dev/null 2>&1
	cleanup
}
trap cleanup_pg EXIT

as_pg "$bindir/initdb" -D "$pg/data" -U keeld --auth=trust -E UTF8 \
	>"$pg/initdb.log" 2>&1 &&
as_pg "$bindir/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w -o \
	"-k $pg -c listen_addresses= -F -c max_connections=40" start >/dev/null
ok $? "a private PostgreSQL cluster runs as $pguser"
url="postgresql://keeld@/postgres?host=$pg"

# Hosts through the first keeld; the others load them when they start.
i=1
{
	echo '{"hosts": ['
	while [ $i -le $hosts ]; do
		[ $i -gt 1 ] && echo ','
		echo "{\"id\": $i, \"resources\": {\"vcpus\": $vcpus, \"memory\": \"64G\"},"
		echo " \"features\": [\"cpu:avx512f\"]}"
		i=$((i + 1))
	done
	echo ']}'
} >"$tmp/hosts.json"
for k in 1 2 3; do
	rm -f "$tmp/k$k.sock"
	"$KEELD" --db "$url" --socket "$tmp/k$k.sock" --refresh 1 \
		2>>"$tmp/keeld$k.log" &
	pids="$pids $!"
	wait_socket "$tmp/k$k.sock" "$!" 250
	if [ $k -eq 1 ]; then
		"$keelctl" --keeld "$tmp/k1.sock" cloud host add "$tmp/hosts.json" >/dev/null
	fi
done
[ -S "$tmp/k1.sock" ] && [ -S "$tmp/k2.sock" ] && [ -S "$tmp/k3.sock" ]
ok $? "three keelds share the database"
[ "$("$keelctl" --keeld "$tmp/k3.sock" -j cloud host list | jq length)" = $hosts ]
ok $? "the third keeld sees the $hosts hosts the first one added"

# One client: allocate through its keeld until the cloud is full.
client() {
	s=$tmp/k$(($1 % 3 + 1)).sock
	tries=0
	while [ $tries -lt 50 ]; do
		if "$keelctl" --keeld "$s" -j alloc --service "c$1" --vcpus 1 \
			--memory 1G --policy spread >"$tmp/c$1.out" 2>"$tmp/c$1.err"; then
			jq -r '"\(.id) \(.host)"' "$tmp/c$1.out"
			tries=0
		elif grep -q 'has room' "$tmp/c$1.err"; then
			return 0
		else
			tries=$((tries + 1))
			sed "s/^/# client $1: /" "$tmp/c$1.err" >&2
		fi
	done
	echo "# client $1 gave up" >&2
}
c=0
cpids=
while [ $c -lt $clients ]; do
	client $c >"$tmp/got.$c" &
	cpids="$cpids $!"
	c=$((c + 1))
done
wait $cpids
cat "$tmp"/got.* >"$tmp/got"

total=$((hosts * vcpus))
[ "$(wc -l <"$tmp/got")" -eq $total ]
ok $? "$clients clients got exactly $total one-vCPU allocations (got $(wc -l <"$tmp/got"))"
[ "$(cut -d' ' -f1 "$tmp/got" | sort -u | wc -l)" -eq "$(wc -l <"$tmp/got")" ]
ok $? "no allocation id was handed out twice"
over=$(cut -d' ' -f2 "$tmp/got" | sort | uniq -c | awk -v v=$vcpus '$1 != v' | wc -l)
[ "$over" -eq 0 ]
ok $? "every host got exactly its $vcpus vCPUs"
"$keelctl" --keeld "$tmp/k2.sock" -j cloud host list >"$tmp/hosts.out"
[ "$(jq "[.[] | select(.resources.vcpus.used != $vcpus)] | length" "$tmp/hosts.out")" = 0 ]
ok $? "the database's usage agrees"
[ "$("$keelctl" --keeld "$tmp/k3.sock" -j alloc list | jq length)" = $total ]
ok $? "every keeld lists the same $total allocations"
"$KEELD" --db "$url" --check >"$tmp/check"
ok $? "keeld --check finds no problem in PostgreSQL"

# Frees through one keeld make room that the others see.
for id in $(head -n 5 "$tmp/got" | cut -d' ' -f1); do
	"$keelctl" --keeld "$tmp/k1.sock" free "$id" || break
done
n5=0
while "$keelctl" --keeld "$tmp/k3.sock" alloc --service again --vcpus 1 \
	--memory 1G >/dev/null 2>&1; do
	n5=$((n5 + 1))
	[ $n5 -le 10 ] || break
done
[ $n5 -eq 5 ]
ok $? "five freed through one keeld are allocated through another (got $n5)"
"$KEELD" --db "$url" --check >/dev/null
ok $? "still consistent"

# A host added through one keeld reaches the others' caches by their
# periodic catch-up (--refresh 1), not only when a request finds no room:
# with a slot free on the old hosts, a preference for the new host's
# feature can only win if keeld 3 already knows it.
"$keelctl" --keeld "$tmp/k3.sock" free "$(sed -n 6p "$tmp/got" | cut -d' ' -f1)"
echo '{"id": 9, "resources": {"vcpus": 4, "memory": "8G"}, "features": ["cpu:new"]}' |
	"$keelctl" --keeld "$tmp/k1.sock" cloud host add - >/dev/null
sleep 3
"$keelctl" --keeld "$tmp/k3.sock" -j alloc --service late --vcpus 1 --memory 1G \
	--prefer cpu:new:5 --explain >"$tmp/late.json"
[ "$(jq .host "$tmp/late.json")" = 9 ] &&
	jq -e '.explain | test("pool: 9 hosts")' "$tmp/late.json" >/dev/null
ok $? "another keeld's new host is in keeld 3's pool within its refresh interval"
"$KEELD" --db "$url" --check >/dev/null
ok $? "consistent at the end"
for p in $pids; do
	kill -TERM "$p" && wait "$p"
done
pids=
grep -h 'stopping' "$tmp"/keeld?.log | sed 's/^/# /'
done_testing
