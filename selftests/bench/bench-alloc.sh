#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make bench SUITE=alloc": keeld's allocator on this machine (no VM).
#   1. bench-alloc: the engine's decision against a naive baseline
#   2. bench-keeld on SQLite: decision and allocation latency on 10,000
#      hosts x 40 features, sustained allocations per second, against
#      the in-memory engine measured in the same run
#   3. then keeld itself on that database, and bench-keeld-client sending
#      10,000 allocation requests through its socket from one client,
#      then from two at once
#   4. 2 and 3 on PostgreSQL, on a private cluster started here (as
#      root: run as the postgres user on a socket in a temporary
#      directory; skipped with a note when the server is not installed)
# BENCH_ARGS=... go to bench-keeld: [HOSTS [REQUESTS]].
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$repo/build/userspace
make -s -C "$repo/userspace" O="$out" keeld keeld-alloc

tmp=$(mktemp -d)
chmod 755 "$tmp"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
pguser=postgres
getent passwd $pguser >/dev/null || pguser=nobody
kpid=
cleanup() {
	[[ -z $kpid ]] || kill "$kpid" 2>/dev/null || true
	if [[ -f $tmp/pg/data/postmaster.pid ]]; then
		runuser -u "$pguser" -- "$pgbin/pg_ctl" -D "$tmp/pg/data" -m fast \
			stop >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# shellcheck disable=SC2086
set -- ${BENCH_ARGS:-}

# through_keeld DB-URL: keeld on the filled database, requests over its socket
through_keeld() {
	rm -f "$tmp/keeld.sock"
	"$out/keeld/keeld" --db "$1" --socket "$tmp/keeld.sock" 2>"$tmp/keeld.log" &
	kpid=$!
	for _ in $(seq 100); do
		[[ -S $tmp/keeld.sock ]] && break
		sleep 0.1
	done
	"$out/keeld/bench-keeld-client" "$tmp/keeld.sock" 10000 1
	"$out/keeld/bench-keeld-client" "$tmp/keeld.sock" 10000 2
	kill "$kpid"
	wait "$kpid" || true
	kpid=
}

echo "== engine: bitset pruning against naive string matching"
"$out/keeld/bench-alloc"
echo
echo "== keeld on SQLite (WAL, synchronous=NORMAL)"
"$out/keeld/bench-keeld" "sqlite:$tmp/keeld.db" "$@"
through_keeld "sqlite:$tmp/keeld.db"
echo
echo "== keeld on PostgreSQL"
if [[ ! -x $pgbin/initdb ]]; then
	echo "skipped: PostgreSQL's server is not installed (Debian: postgresql)"
	exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "skipped: run as root to start a private PostgreSQL cluster"
	exit 0
fi
mkdir "$tmp/pg"
chown "$pguser" "$tmp/pg"
runuser -u "$pguser" -- "$pgbin/initdb" -D "$tmp/pg/data" -U keeld \
	--auth=trust -E UTF8 >"$tmp/pg/initdb.log"
# Durable commits (fsync on, synchronous_commit on): the default.
runuser -u "$pguser" -- "$pgbin/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/log" -w \
	-o "-k $tmp/pg -c listen_addresses=" start >/dev/null
"$out/keeld/bench-keeld" "postgresql://keeld@/postgres?host=$tmp/pg" "$@"
through_keeld "postgresql://keeld@/postgres?host=$tmp/pg"
