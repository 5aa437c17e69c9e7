#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# keeld as a systemd service: keeld.service passes "systemd-analyze
# verify" and "systemd-analyze security --offline=yes" rates it at most
# 2.0; keeld.sysusers creates the keeld user; keeld speaks the notify
# protocol (READY=1 once it listens, RELOADING=1 and READY=1 around a
# SIGHUP that reads the database again, STOPPING=1 at SIGTERM, after
# which it exits 0); its log lines carry their priority for journald. The protocol's socket is a Python listener here: no
# systemd has to run as PID 1.
# Usage: keeld_service_test.sh KEELCTL   (TAP on stdout; $KEELD is keeld)
keelctl=$1
. "$(dirname "$0")/keeld_lib.sh"
[ -x "${KEELD:-}" ] || skip_all "KEELD is not set to keeld"
command -v systemd-analyze >/dev/null || skip_all "systemd-analyze is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"
units=$(cd "$(dirname "$0")/../systemd" && pwd)

# The unit as installed, but with the keeld just built.
sed "s|^ExecStart=/usr/sbin/keeld |ExecStart=$KEELD |" \
	"$units/keeld.service" >"$tmp/keeld.service"
grep -q "^ExecStart=$KEELD " "$tmp/keeld.service"
ok $? "the unit starts /usr/sbin/keeld (here: the keeld built)"
systemd-analyze verify --man=no "$tmp/keeld.service" >"$tmp/verify" 2>&1
ok $? "systemd-analyze verify keeld.service: clean"
[ -s "$tmp/verify" ] && sed 's/^/#   /' "$tmp/verify"
(cd "$tmp" && systemd-analyze security --offline=yes keeld.service) \
	>"$tmp/security" 2>&1
level=$(sed -n 's/.*Overall exposure level for keeld.service: \([0-9.]*\).*/\1/p' \
	"$tmp/security")
[ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'
ok $? "systemd-analyze security --offline=yes: exposure ${level:-?} (at most 2.0)"
grep -q 'ExecReload=/bin/kill -HUP \$MAINPID' "$units/keeld.service" &&
	grep -q '^Type=notify$' "$units/keeld.service" &&
	grep -q '^User=keeld$' "$units/keeld.service"
ok $? "Type=notify, its own user, reload by SIGHUP"

if command -v systemd-sysusers >/dev/null; then
	mkdir -p "$tmp/root/etc"
	systemd-sysusers --root="$tmp/root" "$units/keeld.sysusers" >/dev/null 2>&1 &&
		grep -q '^keeld:x:[0-9]*:[0-9]*:.*:/var/lib/keeld:' "$tmp/root/etc/passwd"
	ok $? "keeld.sysusers creates the system user keeld"
fi

# The notify protocol: a datagram socket that prints what it receives.
cat >"$tmp/notify.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[1] + ".up", "w").close()
while True:
    msg = s.recv(4096).decode()
    with open(sys.argv[2], "a") as f:
        f.write(msg.replace("\n", " ") + "\n")
EOF
python3 "$tmp/notify.py" "$tmp/notify" "$tmp/said" &
listener=$!
i=0
while [ ! -e "$tmp/notify.up" ] && [ $i -lt 250 ]; do
	sleep 0.02
	i=$((i + 1))
done

# wait_said PATTERN: until the listener heard it (5 s at most)
wait_said() {
	i=0
	while ! grep -q -e "$1" "$tmp/said" 2>/dev/null && [ $i -lt 250 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	grep -q -e "$1" "$tmp/said"
}

NOTIFY_SOCKET=$tmp/notify start_keeld "sqlite:$tmp/k.db"
ok $? "keeld starts with NOTIFY_SOCKET set"
wait_said '^READY=1 STATUS=0 hosts from sqlite, listening on '
ok $? "READY=1 with its status once it listens"
"$keelctl" cloud host list >/dev/null
ok $? "keelctl reaches it then"

# Another keeld on the same database adds a host behind its back.
write_hosts "$tmp/hosts.json"
"$KEELD" --db "sqlite:$tmp/k.db" --socket "$tmp/other.sock" 2>/dev/null &
other=$!
wait_socket "$tmp/other.sock" "$other" 250
KEELD_SOCKET=$tmp/other.sock "$keelctl" cloud host add "$tmp/hosts.json" >/dev/null
ok $? "another keeld adds three hosts to the database"
kill "$other"
wait "$other"
kill -HUP "$keeld_pid"
wait_said '^RELOADING=1$' && wait_said '^READY=1$'
ok $? "SIGHUP: RELOADING=1, then READY=1"
grep -q 'keeld: reload: 3 hosts from sqlite' "$tmp/keeld.log"
ok $? "SIGHUP read the database again: 3 hosts"
kill -0 "$keeld_pid" && "$keelctl" alloc --service web --vcpus 2 --memory 2G >/dev/null
ok $? "keeld runs on after SIGHUP and allocates"

kill -TERM "$keeld_pid"
wait "$keeld_pid"
rc=$?
keeld_pid=
[ $rc -eq 0 ]
ok $? "SIGTERM: keeld exits 0"
wait_said '^STOPPING=1$'
ok $? "STOPPING=1 before it exits"
[ ! -e "$sock" ]
ok $? "its socket is gone"
kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null

# Under journald (stderr is the stream $JOURNAL_STREAM names) each line
# carries its priority; elsewhere "keeld: ".
: >"$tmp/journal"
stream=$(stat -c '%d:%i' "$tmp/journal")
JOURNAL_STREAM=$stream "$KEELD" --db "sqlite:$tmp/k.db" --socket "$sock" \
	2>>"$tmp/journal" &
jpid=$!
wait_socket "$sock" "$jpid" 250
JOURNAL_STREAM=$stream "$KEELD" --db "sqlite:$tmp/k.db" --socket "$sock" \
	2>>"$tmp/journal"
kill -TERM "$jpid"
wait "$jpid"
grep -q '^<6>3 hosts from sqlite, listening on ' "$tmp/journal" &&
	grep -q "^<3>another keeld serves $sock\$" "$tmp/journal" &&
	! grep -q '^keeld: ' "$tmp/journal"
ok $? "to journald: info as <6>, errors as <3>, no \"keeld: \" prefix"
grep -q '^keeld: reload: 3 hosts from sqlite$' "$tmp/keeld.log"
ok $? "to a file: \"keeld: \" lines"

done_testing
