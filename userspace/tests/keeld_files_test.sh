#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# keeld's files against a hostile local user: the socket path is only
# ever replaced when it is a stale socket (never a file, never through a
# symlink), the socket is created with its mode (0666, whatever the
# umask) and no chmod, keeld removes only its own socket at exit; the
# database URL comes from a file or the environment, and one with a
# password on the command line (where every user can read it) is refused.
# Usage: keeld_files_test.sh KEELCTL   (TAP on stdout; $KEELD is keeld)
keelctl=$1
. "$(dirname "$0")/keeld_lib.sh"
[ -x "${KEELD:-}" ] || skip_all "KEELD is not set to keeld"

db=sqlite:$tmp/keeld.db
mode() { stat -c %a "$1"; }

# A symlink at the socket path to a file keeld must not touch.
echo precious >"$tmp/target"
chmod 600 "$tmp/target"
ln -s "$tmp/target" "$sock"
"$KEELD" --db "$db" --socket "$sock" 2>"$tmp/err" &
pid=$!
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill $pid 2>/dev/null && wait $pid 2>/dev/null
wait $pid
rc=$?
[ $rc -eq 1 ] && grep -q 'is not a socket' "$tmp/err"
ok $? "a symlink at the socket path is refused (exit $rc: $(head -c 200 "$tmp/err"))"
[ -L "$sock" ] && [ "$(readlink "$sock")" = "$tmp/target" ]
ok $? "the symlink is left as it was"
[ "$(mode "$tmp/target")" = 600 ] && [ "$(cat "$tmp/target")" = precious ]
ok $? "its target keeps its mode and contents"
rm -f "$sock"

# A regular file at the socket path.
echo data >"$sock"
"$KEELD" --db "$db" --socket "$sock" 2>"$tmp/err" &
pid=$!
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill $pid 2>/dev/null && wait $pid 2>/dev/null
wait $pid
[ $? -eq 1 ] && [ -f "$sock" ] && [ "$(cat "$sock")" = data ]
ok $? "a regular file at the socket path is refused and kept"
rm -f "$sock"

# The socket's mode comes from creating it, whatever the umask.
mask=$(umask)
umask 077
start_keeld "$db"
umask "$mask"
[ -S "$sock" ] && [ "$(mode "$sock")" = 666 ]
ok $? "the socket is created 0666 under umask 077 ($(mode "$sock" 2>/dev/null))"
stop_keeld
if strace -qq -o /dev/null true 2>/dev/null; then
	strace -f -qq -e trace=chmod,fchmodat,fchmod -o "$tmp/strace" \
		"$KEELD" --db "$db" --socket "$sock" 2>/dev/null &
	spid=$!
	wait_socket "$sock" "$spid" 1000
	"$keelctl" cloud host list >/dev/null
	ok $? "keeld under strace serves"
	kill $(pgrep -P $spid) 2>/dev/null	# keeld, strace's child
	wait $spid
	! grep -q chmod "$tmp/strace"
	ok $? "keeld changes no mode by path ($(grep chmod "$tmp/strace" | head -1))"
else
	ok 0 "# SKIP strace is not installed or cannot trace here"
	ok 0 "# SKIP strace is not installed or cannot trace here"
fi

# A stale socket of a dead keeld is replaced; a live one is not.
start_keeld "$db"
ok $? "keeld starts"
"$KEELD" --db "$db" --socket "$sock" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q 'another keeld serves' "$tmp/err"
ok $? "a second keeld on a live socket is refused"
stop_keeld KILL
[ -S "$sock" ]
ok $? "a killed keeld leaves its socket"
start_keeld "$db" && "$keelctl" cloud host list >/dev/null
ok $? "the stale socket is replaced"

# At exit keeld removes its own socket, nothing put in its place.
mv "$sock" "$tmp/moved.sock"
echo mine >"$sock"
stop_keeld
[ -f "$sock" ] && [ "$(cat "$sock")" = mine ]
ok $? "at exit a file that replaced the socket is left alone"
rm -f "$sock" "$tmp/moved.sock"

# The database URL: not on the command line when it holds a password.
"$KEELD" --db 'postgresql://keeld:s3cret@127.0.0.1:1/keeld' --check \
	>/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q 'password' "$tmp/err" && ! grep -q 's3cret' "$tmp/err"
ok $? "a password in --db is refused without trying it (exit $rc: $(head -c 200 "$tmp/err"))"
"$KEELD" --db 'host=127.0.0.1 port=1 password=s3cret' --check \
	>/dev/null 2>"$tmp/err"
[ $? -eq 2 ]
ok $? "so is a password in a connection string"
echo "$db" >"$tmp/db.url"
chmod 600 "$tmp/db.url"
"$KEELD" --db-file "$tmp/db.url" --check >/dev/null 2>"$tmp/err"
ok $? "--db-file reads the URL from a file ($(head -c 200 "$tmp/err"))"
chmod 604 "$tmp/db.url"
"$KEELD" --db-file "$tmp/db.url" --check >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'readable or writable by others' "$tmp/err"
ok $? "--db-file refuses a file other users may read"
chmod 600 "$tmp/db.url"
KEELD_DB=sqlite:$tmp/env.db "$KEELD" --check >/dev/null 2>"$tmp/err" &&
	[ -e "$tmp/env.db" ]
ok $? "the URL may come from \$KEELD_DB"
KEELD_DB=sqlite:$tmp/other.db "$KEELD" --db "$db" --check >/dev/null 2>&1 &&
	[ ! -e "$tmp/other.db" ]
ok $? "--db wins over \$KEELD_DB"
"$KEELD" --db "$db" --db-file "$tmp/db.url" --check >/dev/null 2>"$tmp/err"
[ $? -eq 2 ]
ok $? "--db and --db-file together are refused"

done_testing
