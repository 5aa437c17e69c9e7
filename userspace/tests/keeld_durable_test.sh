#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# keeld acknowledges only what is on stable storage: traced with strace,
# every reply keeld sends after writing its SQLite WAL comes after an
# fdatasync() of that WAL, with the default store and with
# "?synchronous=full". The fast mode ("?synchronous=normal") is shown to
# reply with WAL writes not yet synced: what a power cut can take.
# Usage: keeld_durable_test.sh KEELCTL   (TAP on stdout; $KEELD is keeld)
keelctl=$1
. "$(dirname "$0")/keeld_lib.sh"
[ -x "${KEELD:-}" ] || skip_all "KEELD is not set to keeld"
command -v strace >/dev/null || skip_all "strace is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"

# traced_keeld DB-URL: keeld under strace (its pid in $keeld_pid), the
# trace in $tmp/trace.
traced_keeld() {
	rm -f "$sock" "$tmp/trace"
	strace -f -y -qq -o "$tmp/trace" \
		-e trace=pwrite64,write,writev,fsync,fdatasync,sendto,sendmsg \
		"$KEELD" --db "$1" --socket "$sock" 2>>"$tmp/keeld.log" &
	tracer=$!
	wait_socket "$sock" "$tracer" 500 || return 1
	keeld_pid=$(pgrep -P "$tracer" | head -n 1)
	[ -S "$sock" ] && [ -n "$keeld_pid" ]
}

stop_traced() {
	stop_keeld
	wait "$tracer" 2>/dev/null
}

# Writes and replies in the trace: "REPLIES UNSYNCED", the replies on a
# socket, and those sent while a write to the WAL was not yet synced.
replies() {
	awk '
	/k\.db-wal>/ && /pwrite64\(|write\(|writev\(/ { dirty = 1 }
	/k\.db-wal>/ && /fsync\(|fdatasync\(/ { dirty = 0 }
	/socket:\[/ && /sendto\(|sendmsg\(/ { n++; if (dirty) u++ }
	END { printf "%d %d\n", n, u }' "$tmp/trace"
}

# A round of writes: hosts, 20 allocations, 5 frees.
workload() {
	"$keelctl" cloud host add "$tmp/hosts.json" >/dev/null || return 1
	i=0
	while [ $i -lt 20 ]; do
		"$keelctl" alloc --service "s$i" --vcpus 1 --memory 1G \
			>/dev/null || return 1
		i=$((i + 1))
	done
	for id in 1 2 3 4 5; do
		"$keelctl" free "$id" || return 1
	done
}

write_hosts "$tmp/hosts.json"

for mode in "" "?synchronous=full"; do
	rm -f "$tmp"/k.db*
	traced_keeld "sqlite:$tmp/k.db$mode"
	ok $? "keeld${mode:+ with $mode} starts under strace"
	workload
	ok $? "hosts, 20 allocations and 5 frees${mode:+ ($mode)}"
	stop_traced
	set -- $(replies)
	[ "$1" -ge 26 ] && [ "$2" -eq 0 ]
	ok $? "${mode:-the default}: no reply before its WAL is synced ($1 replies, $2 unsynced)"
done

rm -f "$tmp"/k.db*
traced_keeld "sqlite:$tmp/k.db?synchronous=normal"
ok $? "keeld with ?synchronous=normal starts under strace"
workload
ok $? "the same writes in the fast mode"
stop_traced
set -- $(replies)
[ "$2" -gt 0 ]
ok $? "fast mode: replies with WAL writes not yet synced ($1 replies, $2 unsynced)"

done_testing
