# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the keeld tests (sourced): TAP output, starting and
# stopping keeld on a private socket, and a few hosts in JSON.
# Needs $keelctl and $KEELD (the keeld binary, set by "make check").

n=0
fail=0
tmp=$(mktemp -d)
chmod 755 "$tmp"	# unprivileged callers must reach the socket
sock=$tmp/keeld.sock
export KEELD_SOCKET=$sock
keeld_pid=

ok() {	# ok COND-EXIT-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=$((fail + 1))
	fi
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

done_testing() {
	echo "1..$n"
	[ $fail -eq 0 ]
}

# wait_socket PATH PID TRIES: until PATH is a socket, TRIES x 20 ms at
# most; fails at once when process PID (keeld, or what runs it) is gone.
wait_socket() {
	i=0
	while [ ! -S "$1" ] && [ $i -lt "$3" ]; do
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.02
		i=$((i + 1))
	done
	[ -S "$1" ]
}

# start_keeld DB [OPTIONS...]: start keeld and wait for its socket,
# $keeld_start_tries x 20 ms at most (default 200).
start_keeld() {
	db=$1
	shift
	rm -f "$sock"
	"$KEELD" --db "$db" --socket "$sock" "$@" 2>>"$tmp/keeld.log" &
	keeld_pid=$!
	wait_socket "$sock" "$keeld_pid" "${keeld_start_tries:-200}"
}

stop_keeld() {	# stop_keeld [SIGNAL]
	[ -n "$keeld_pid" ] || return 0
	kill -"${1:-TERM}" "$keeld_pid" 2>/dev/null
	wait "$keeld_pid" 2>/dev/null
	keeld_pid=
}

cleanup() {
	stop_keeld KILL
	rm -rf "$tmp"
}
trap cleanup EXIT

# Three hosts: 28 vCPUs and 56 GiB in all.
write_hosts() {
	cat >"$1" <<'JSON'
{"hosts": [
 {"id": 1, "resources": {"vcpus": 8, "memory": "16G", "acc:gpu": 1},
  "features": ["cpu:avx512f", "acc:gpu", "keel:vdev"]},
 {"id": 2, "resources": {"vcpus": 16, "memory": "32G", "hp:2097152": 512,
  "mirror": "8G"}, "features": ["cpu:avx512f", "cpu:rtm", "nic:sriov", "mem:mirror"]},
 {"id": 3, "resources": {"vcpus": 4, "memory": "8G"}, "features": ["cpu:rtm"]}
]}
JSON
}

# Sum of the used vCPUs over every host, from keeld.
used_vcpus() {
	"$keelctl" -j cloud host list | jq '[.[].resources.vcpus.used] | add'
}
