#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# keeld with SQLite through keelctl: hosts from JSON, allocation and free
# round trips, capacity exhaustion, --explain, persistence across a
# restart, removal rules, and callers without rights.
# Usage: keeld_test.sh KEELCTL   (TAP on stdout; $KEELD is keeld)
keelctl=$1
. "$(dirname "$0")/keeld_lib.sh"
[ -x "${KEELD:-}" ] || skip_all "KEELD is not set to keeld"

db=sqlite:$tmp/keeld.db
write_hosts "$tmp/hosts.json"
start_keeld "$db"
ok $? "keeld starts with an empty SQLite database"

"$keelctl" cloud host add "$tmp/hosts.json" >/dev/null
ok $? "three hosts added from JSON"
[ "$("$keelctl" -j cloud host list | jq length)" = 3 ]
ok $? "cloud host list shows three hosts"
"$keelctl" cloud host add "$tmp/hosts.json" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && [ "$(head -n 1 "$tmp/err")" = "keelctl: cloud host add: host 1 exists" ]
ok $? "adding a host twice is refused (exit 1), keeld's reason without errno text"
echo '{"id": 9, "resources": {"vcpus": 1}}' >"$tmp/bad.json"
"$keelctl" cloud host add "$tmp/bad.json" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q 'vcpus and memory are required' "$tmp/err"
ok $? "a host without memory is refused with a reason"
echo '{"id": 9, "resources": {"vcpus": 1, "memory": 1}, "features": ["Bad"]}' >"$tmp/bad.json"
"$keelctl" cloud host add "$tmp/bad.json" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "bad feature name 'Bad'" "$tmp/err"
ok $? "a bad feature name is refused"

# A round trip with --explain.
"$keelctl" alloc --service web --vcpus 2 --memory 4G --require cpu:avx512f \
	--prefer acc:gpu:5 --avoid cpu:rtm --explain >"$tmp/out"
ok $? "alloc with --explain"
grep -q 'unified feature list (3 entries, 1 hard)' "$tmp/out" &&
	grep -q 'required  cpu:avx512f *3 -> 2' "$tmp/out" &&
	grep -q 'allocation 1 on host 1' "$tmp/out"
ok $? "--explain shows the unified list, the steps and the choice"
[ "$("$keelctl" -j alloc show 1 | jq -r '.service + " " + (.host|tostring)')" = "web 1" ]
ok $? "alloc show 1 gives the service and host"
"$keelctl" -j alloc --service x --vcpus 1 --memory 1G --require acc:fpga \
	--forbid nic:sriov --explain >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && jq -e '.explain | test("2 entries, 2 hard")' "$tmp/out" >/dev/null &&
	jq -e '.explain | test("failed: no host left")' "$tmp/out" >/dev/null &&
	grep -q 'required feature acc:fpga (request) left no host' "$tmp/err" &&
	! jq -e '.id' "$tmp/out" >/dev/null
ok $? "a failed request still explains itself, in JSON too"
"$keelctl" alloc --service x --vcpus 1 --memory 1G --require acc:fpga \
	>/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
	grep -qx 'keelctl: alloc: required feature acc:fpga (request) left no host: .*' "$tmp/err" &&
	! grep -qi 'no such process' "$tmp/err"
ok $? "an unsatisfiable --require: exit 1, one line, keeld's reason with no errno text before it"
echo '{"prefs": [{"feature": "cpu:rtm", "kind": "required"}]}' >"$tmp/tenant.json"
"$keelctl" alloc --service x --vcpus 1 --memory 1G --forbid cpu:rtm \
	--tenant-policy "$tmp/tenant.json" 2>"$tmp/err"
[ $? -eq 1 ] &&
	grep -q 'cpu:rtm is forbidden by request and required by tenant policy' "$tmp/err"
ok $? "a contradiction between sources is refused with both named"
echo '{"id": 8, "resources": {"vcpus": 2, "memory": "1G"}}' |
	"$keelctl" cloud host add - >/dev/null && "$keelctl" cloud host remove 8
ok $? "a host from stdin, removed again"
"$keelctl" free 1
ok $? "free 1"
"$keelctl" free 1 2>"$tmp/err"
[ $? -eq 5 ] && [ "$(cat "$tmp/err")" = "keelctl: free: no allocation 1" ]
ok $? "freeing again: not found (exit 5), 'no allocation 1'"
"$keelctl" free 999999 2>"$tmp/err"
[ $? -eq 5 ] && [ "$(cat "$tmp/err")" = "keelctl: free: no allocation 999999" ]
ok $? "freeing an id never given: not found (exit 5)"
"$keelctl" alloc show 999999 2>"$tmp/err"
[ $? -eq 5 ] && [ "$(cat "$tmp/err")" = "keelctl: alloc show: no allocation 999999" ]
ok $? "alloc show of an unknown id: not found (exit 5)"
[ "$(used_vcpus)" = 0 ]
ok $? "nothing used after the round trip"

# Exhaustion: one vCPU at a time until none is left.
i=0
while "$keelctl" alloc --service fill --vcpus 1 --memory 1G --policy spread \
	>/dev/null 2>"$tmp/err"; do
	i=$((i + 1))
	[ $i -le 40 ] || break
done
[ $i -eq 28 ]
ok $? "exactly 28 one-vCPU allocations fit 28 vCPUs (got $i)"
grep -q 'none of the 3 hosts has room: 3 lack vcpus' "$tmp/err"
ok $? "the 29th says why it failed"
[ "$(used_vcpus)" = 28 ]
ok $? "every vCPU is used"
"$KEELD" --db "$db" --check >/dev/null
ok $? "the database is consistent"

# Mirror and huge pages only fit host 2; the accelerator only host 1.
"$keelctl" free 2 && "$keelctl" free 20 && "$keelctl" free 25
ok $? "three freed"
"$keelctl" -j alloc --service m --vcpus 1 --memory 1G --mirror 1G \
	--hugepages 2M:16 >"$tmp/out"
[ "$(jq .host "$tmp/out")" = 2 ]
ok $? "mirrored memory and huge pages go to the host that has them"
"$keelctl" -j alloc --service g --vcpus 1 --memory 1G --acc gpu:1 >"$tmp/out"
[ "$(jq .host "$tmp/out")" = 1 ]
ok $? "an accelerator goes to the host that has one"

# Persistence across a restart.
before=$("$keelctl" -j alloc list | jq -c '[.[].id]')
usage=$("$keelctl" -j cloud host list | jq -c '[.[] | .resources, .generation]')
stop_keeld
"$KEELD" --db "$db?synchronous=sometimes" --socket "$tmp/x.sock" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "unknown option '?synchronous=sometimes'" "$tmp/err"
ok $? "an unknown SQLite option is refused"
start_keeld "$db?synchronous=full"
ok $? "keeld restarts (with synchronous=full)"
[ "$("$keelctl" -j alloc list | jq -c '[.[].id]')" = "$before" ]
ok $? "every allocation survives the restart"
[ "$("$keelctl" -j cloud host list | jq -c '[.[] | .resources, .generation]')" = "$usage" ]
ok $? "usage and generations survive the restart"

# Removal rules.
"$keelctl" cloud host remove 3 2>"$tmp/err"
[ $? -eq 1 ] && grep -q 'host 3 holds' "$tmp/err"
ok $? "a host with allocations cannot be removed"
for id in $("$keelctl" -j alloc list | jq '.[] | select(.host == 3) | .id'); do
	"$keelctl" free "$id" || break
done
"$keelctl" cloud host remove 3
ok $? "it can once they are freed"
"$keelctl" cloud host show 3 2>"$tmp/err"
[ $? -eq 5 ] && [ "$(cat "$tmp/err")" = "keelctl: cloud host show: no host 3" ]
ok $? "the removed host is gone: not found (exit 5)"
"$keelctl" cloud host remove 3 2>"$tmp/err"
[ $? -eq 5 ] && [ "$(cat "$tmp/err")" = "keelctl: cloud host remove: no host 3" ]
ok $? "removing it again: not found (exit 5)"
"$keelctl" cloud host remove 4242 2>"$tmp/err"
[ $? -eq 5 ] && grep -qx 'keelctl: cloud host remove: no host 4242' "$tmp/err"
ok $? "removing a host never added: not found (exit 5)"

# Callers without rights: reading is open, changing is not.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$keelctl" "$@"
}
as_nobody cloud host list >/dev/null
ok $? "nobody may list hosts"
as_nobody alloc --service x --vcpus 1 --memory 1G 2>"$tmp/err"
[ $? -eq 4 ] && grep -q 'needs root or the admin group' "$tmp/err" &&
	! grep -q 'Operation not permitted' "$tmp/err"
ok $? "nobody may not allocate (exit 4), keeld's reason without errno text"
as_nobody free 3 2>/dev/null
[ $? -eq 4 ]
ok $? "nobody may not free"
as_nobody cloud host add "$tmp/hosts.json" 2>/dev/null
[ $? -eq 4 ]
ok $? "nobody may not add hosts"
stop_keeld
start_keeld "$db" --admin-group users
setpriv --reuid=nobody --regid=nogroup --groups=users -- "$keelctl" \
	alloc --service x --vcpus 1 --memory 1G >/dev/null
ok $? "a member of the admin group may allocate"
as_nobody alloc --service x --vcpus 1 --memory 1G 2>/dev/null
[ $? -eq 4 ]
ok $? "a non-member still may not"
stop_keeld
"$KEELD" --db "$db" --check >/dev/null
ok $? "the database is consistent at the end"
done_testing
