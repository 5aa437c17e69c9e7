#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# keeld killed with SIGKILL at random points while a client allocates and
# frees: after every kill the database passes keeld --check (usage equals
# the sum of the allocations, no partial allocation), and at the end every
# allocation keelctl saw acknowledged and did not free is still there.
# Usage: keeld_crash_test.sh KEELCTL   (TAP on stdout; $KEELD is keeld)
keelctl=$1
. "$(dirname "$0")/keeld_lib.sh"
[ -x "${KEELD:-}" ] || skip_all "KEELD is not set to keeld"

db=sqlite:$tmp/keeld.db
rounds=${KEELD_CRASH_ROUNDS:-12}
write_hosts "$tmp/hosts.json"
start_keeld "$db" && "$keelctl" cloud host add "$tmp/hosts.json" >/dev/null
ok $? "keeld with three hosts"

# The client: allocate, and free every other acknowledged allocation.
# Its log: "A id" acknowledged allocation, "F id" acknowledged free,
# "U id" a free whose outcome is unknown (keeld died meanwhile).
client() {
	held=
	while [ ! -e "$tmp/stop" ]; do
		id=$("$keelctl" -j alloc --service crash --vcpus 1 --memory 256M \
			2>/dev/null | jq -r '.id // empty' 2>/dev/null)
		if [ -n "$id" ]; then
			echo "A $id"
			held="$held $id"
		fi
		set -- $held
		if [ $# -gt 6 ]; then
			if "$keelctl" free "$1" 2>/dev/null; then
				echo "F $1"
			else
				echo "U $1"
			fi
			shift
			held="$*"
		fi
	done
}
client >"$tmp/client.log" &
client_pid=$!

r=0
bad=0
while [ $r -lt "$rounds" ]; do
	# 20..270 ms of work, then SIGKILL wherever keeld happens to be.
	ms=$((20 + $(od -An -N2 -tu2 /dev/urandom) % 250))
	sleep "$(printf '0.%03d' $ms)"
	stop_keeld KILL
	if ! "$KEELD" --db "$db" --check >"$tmp/check" 2>&1; then
		bad=$((bad + 1))
		sed 's/^/#   /' "$tmp/check"
	fi
	start_keeld "$db" || bad=$((bad + 1))
	r=$((r + 1))
done
ok $bad "$rounds kills at random points: the database stayed consistent"
touch "$tmp/stop"
wait $client_pid
stop_keeld

acked=$(grep -c '^A ' "$tmp/client.log")
[ "$acked" -gt 0 ]
ok $? "the client had $acked allocations acknowledged"
start_keeld "$db"
"$keelctl" -j alloc list | jq -r '.[].id' | sort >"$tmp/have"
awk '$1 == "A" { a[$2] = 1 } $1 != "A" { delete a[$2] }
     END { for (id in a) print id }' "$tmp/client.log" | sort >"$tmp/want"
missing=$(comm -23 "$tmp/want" "$tmp/have" | wc -l)
[ "$missing" -eq 0 ]
ok $? "no acknowledged allocation was lost ($missing missing)"
freed=$(awk '$1 == "F" { print $2 }' "$tmp/client.log" | sort |
	comm -12 - "$tmp/have" | wc -l)
[ "$freed" -eq 0 ]
ok $? "no acknowledged free came back"
[ "$(used_vcpus)" = "$(wc -l <"$tmp/have")" ]
ok $? "usage matches the allocations after restarting"
stop_keeld
"$KEELD" --db "$db" --check >/dev/null
ok $? "keeld --check passes at the end"
done_testing
