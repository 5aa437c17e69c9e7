#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# keeld's named appliance templates and tenant policies through keelctl:
# add, list, show, remove, strict validation, callers without rights,
# allocations that name them, persistence across a restart, and the
# files keelctl reads still working beside them.
# Usage: keeld_prefset_test.sh KEELCTL   (TAP on stdout; $KEELD is keeld)
keelctl=$1
. "$(dirname "$0")/keeld_lib.sh"
[ -x "${KEELD:-}" ] || skip_all "KEELD is not set to keeld"

db=sqlite:$tmp/keeld.db
write_hosts "$tmp/hosts.json"
start_keeld "$db"
ok $? "keeld starts"
"$keelctl" cloud host add "$tmp/hosts.json" >/dev/null
ok $? "three hosts added"

cat >"$tmp/web.json" <<'JSON'
{"name": "web", "prefs": [{"feature": "cpu:avx512f", "kind": "required"},
                          {"feature": "acc:gpu", "kind": "avoided", "weight": 7}]}
JSON
"$keelctl" cloud template add "$tmp/web.json" >"$tmp/out"
ok $? "template web added"
grep -q 'required cpu:avx512f, avoided acc:gpu:7' "$tmp/out"
ok $? "add shows the stored template"
echo '{"name": "acme", "prefs": [{"feature": "cpu:rtm", "kind": "forbidden"}]}' |
	"$keelctl" cloud policy add - >/dev/null
ok $? "tenant policy acme added from stdin"
"$keelctl" cloud template add "$tmp/web.json" 2>"$tmp/err"
[ $? -eq 1 ] && [ "$(cat "$tmp/err")" = "keelctl: cloud template add: template 'web' exists" ]
ok $? "adding a template twice is refused (exit 1), keeld's reason alone"
[ "$("$keelctl" -j cloud template list | jq -r '.[].name')" = web ] &&
	[ "$("$keelctl" -j cloud policy list | jq -r '.[].name')" = acme ]
ok $? "templates and policies are listed apart"
[ "$("$keelctl" -j cloud template show web | jq -r '.prefs[1].kind + " " + (.prefs[1].weight|tostring)')" = "avoided 7" ]
ok $? "show gives kinds and weights in JSON"
"$keelctl" cloud template show nope 2>"$tmp/err"
[ $? -eq 5 ] && [ "$(cat "$tmp/err")" = "keelctl: cloud template show: no template 'nope'" ]
ok $? "an unknown template is not found (exit 5), named"

# Strict validation by keeld.
echo '{"name": "bad", "prefs": [{"feature": "Bad", "kind": "required"}]}' |
	"$keelctl" cloud template add - 2>"$tmp/err"
[ $? -eq 1 ]
ok $? "a bad feature name is refused"
echo '{"name": "bad", "prefs": [{"feature": "cpu:rtm", "kind": "required"},
	{"feature": "cpu:rtm", "kind": "forbidden"}]}' |
	"$keelctl" cloud template add - 2>"$tmp/err"
[ $? -eq 1 ] && grep -q 'cpu:rtm' "$tmp/err"
ok $? "a contradiction inside a template is refused"
echo '{"name": "bad name", "prefs": [{"feature": "cpu:rtm", "kind": "required"}]}' |
	"$keelctl" cloud template add - 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "bad template name" "$tmp/err"
ok $? "a bad name is refused"
echo '{"name": "empty", "prefs": []}' | "$keelctl" cloud policy add - 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "needs at least one preference" "$tmp/err"
ok $? "an empty tenant policy is refused"
[ "$("$keelctl" -j cloud template list | jq length)" = 1 ]
ok $? "nothing of the refused ones was stored"

# Allocations naming them.
"$keelctl" alloc --service a --vcpus 1 --memory 1G --template web --tenant acme \
	--explain >"$tmp/out"
ok $? "alloc --template web --tenant acme"
grep -q 'required  cpu:avx512f *from template' "$tmp/out" &&
	grep -q 'forbidden cpu:rtm *from tenant policy' "$tmp/out" &&
	grep -q 'allocation 1 on host 1' "$tmp/out"
ok $? "keeld resolved both into sources: host 1 (avx512f, no rtm)"
"$keelctl" alloc --service a --vcpus 1 --memory 1G --template nope 2>"$tmp/err"
[ $? -eq 5 ] && [ "$(cat "$tmp/err")" = "keelctl: alloc: no template 'nope'" ]
ok $? "an allocation naming an unknown template: not found (exit 5)"
"$keelctl" alloc --service a --vcpus 1 --memory 1G --template web \
	--template "$tmp/web.json" 2>/dev/null
[ $? -eq 2 ]
ok $? "a template by name and by file at once is a usage error"
echo '{"prefs": [{"feature": "cpu:rtm", "kind": "required"}]}' >"$tmp/rtm.json"
"$keelctl" alloc --service b --vcpus 1 --memory 1G --template "$tmp/rtm.json" \
	--tenant acme 2>"$tmp/err"
[ $? -eq 1 ] &&
	grep -q 'cpu:rtm is required by template and forbidden by tenant policy' "$tmp/err"
ok $? "a template file and a stored policy together: the contradiction is named"
"$keelctl" alloc --service c --vcpus 1 --memory 1G --template "$tmp/rtm.json" \
	>"$tmp/out"
[ $? -eq 0 ] && grep -q 'on host [23]' "$tmp/out"
ok $? "a template from a file still works alone"

# Rights.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$keelctl" "$@"
}
as_nobody cloud template list >/dev/null
ok $? "nobody may list templates"
as_nobody cloud policy remove acme 2>/dev/null
[ $? -eq 4 ]
ok $? "nobody may not remove a tenant policy (exit 4)"
as_nobody cloud template add "$tmp/web.json" 2>/dev/null
[ $? -eq 4 ]
ok $? "nobody may not add a template"

# Restart: stored in the database.
stop_keeld
start_keeld "$db"
[ "$("$keelctl" -j cloud policy show acme | jq -r '.prefs[0].feature')" = cpu:rtm ]
ok $? "the tenant policy is still there after a restart"
"$keelctl" cloud policy remove acme && "$keelctl" cloud policy remove acme 2>"$tmp/err"
[ $? -eq 5 ] && grep -q "no tenant policy 'acme'" "$tmp/err"
ok $? "remove, then removing again: not found (exit 5)"
[ "$("$keelctl" -j cloud policy list | jq length)" = 0 ]
ok $? "no tenant policy left"
"$KEELD" --db "$db" --check >/dev/null
ok $? "the database is consistent"
stop_keeld
done_testing
