#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make bench SUITE=alloc" (or SUITE=cloud): keeld's allocator on this
# machine (no VM).
#   1. bench-alloc: the engine's decision against a naive baseline
#   2. bench-keeld on SQLite: decision and allocation latency on 10,000
#      hosts x 40 features, sustained allocations per second, against
#      the in-memory engine measured in the same run
#   3. then keeld itself on that database, and bench-keeld-client sending
#      10,000 allocation requests through its socket from one client,
#      then from two at once, one transaction per request (--batch 1):
#      the baseline; then keeld with group commit (its default) from
#      four clients and from one client with 16 requests in flight, with
#      the ratio of each rate to the baseline of this run; all durable
#      (keeld's default: the WAL synced before a reply); then the same
#      group commit runs in the fast mode (?synchronous=normal), with
#      the durable mode's rate as a share of the fast mode's
#   4. scale: bench-keeld on 10,000 and on 100,000 hosts (decisions per
#      second, p50 and p99 of a decision), then keeld itself on each
#      database: its resident memory once it has loaded the hosts and
#      after 10,000 more requests through its socket
#   5. 2 and 3 on PostgreSQL (one transaction per request there), on a private cluster started here (as
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

# start_keeld DB-URL [OPTIONS...]: keeld on the filled database
start_keeld() {
	local db=$1

	shift
	rm -f "$tmp/keeld.sock"
	"$out/keeld/keeld" --db "$db" --socket "$tmp/keeld.sock" "$@" \
		2>>"$tmp/keeld.log" &
	kpid=$!
	for _ in $(seq 100); do
		[[ -S $tmp/keeld.sock ]] && break
		sleep 0.1
	done
}

stop_keeld() {
	kill "$kpid"
	wait "$kpid" || true
	kpid=
}

# client REQUESTS CLIENTS DEPTH: prints the figures, leaves the rate in $rate
client() {
	BENCH_RATE_FILE=$tmp/rate "$out/keeld/bench-keeld-client" \
		"$tmp/keeld.sock" "$@"
	rate=$(cat "$tmp/rate")
}

# through_keeld DB-URL: requests over keeld's socket
through_keeld() {
	local base

	echo "-- one transaction per request (keeld --batch 1)"
	start_keeld "$1" --batch 1
	client 10000 1 1
	base=$rate
	client 10000 2 1
	stop_keeld
	[[ $1 == sqlite:* ]] || return 0
	echo "-- group commit (keeld's default: up to 64 requests per transaction)"
	start_keeld "$1"
	client 10000 4 1
	durable4=$rate
	echo "  ratio to one transaction per request, one client: $(ratio "$rate" "$base")"
	client 10000 1 16
	durable16=$rate
	echo "  ratio to one transaction per request, one client: $(ratio "$rate" "$base")"
	stop_keeld
	grep 'group commit:' "$tmp/keeld.log" | tail -n 1 | sed 's/^keeld: /  /'
	echo "-- group commit, fast mode (?synchronous=normal: the WAL is not synced per commit)"
	start_keeld "$1?synchronous=normal"
	client 10000 4 1
	echo "  durable mode's rate, 4 clients: $(ratio "$durable4" "$rate") of this"
	client 10000 1 16
	echo "  durable mode's rate, 1 client x 16: $(ratio "$durable16" "$rate") of this"
	stop_keeld
	grep 'group commit:' "$tmp/keeld.log" | tail -n 1 | sed 's/^keeld: /  /'
}

# ratio A B: A / B as "1.23x"
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'
}

echo "== engine: bitset pruning against naive string matching"
"$out/keeld/bench-alloc"
echo
echo "== keeld on SQLite (WAL, synchronous=FULL: keeld's default)"
"$out/keeld/bench-keeld" "sqlite:$tmp/keeld.db" "$@"
through_keeld "sqlite:$tmp/keeld.db"
echo
echo "== scale: 10,000 and 100,000 hosts"
# rss: keeld's resident memory
rss() {
	awk '/^VmRSS:/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$kpid/status"
}
for n in 10000 100000; do
	echo "-- $n hosts"
	# filled in the fast mode: a durable commit per host would time the disk
	"$out/keeld/bench-keeld" "sqlite:$tmp/scale-$n.db?synchronous=normal" "$n" 10000 |
		grep -E 'storing|loading|decision|decisions:'
	start_keeld "sqlite:$tmp/scale-$n.db"
	echo "  keeld's resident memory with $n hosts loaded: $(rss)"
	client 10000 1 16 | grep -E 'through|sustained'
	echo "  keeld's resident memory after 10000 more requests: $(rss)"
	stop_keeld
done
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
