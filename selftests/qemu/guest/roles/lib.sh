# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers of the nested guest's roles (sourced, never run: a file of /roles
# whose name ends in .sh is no role). Markers always go to the console
# (ttyS0), whatever the role's own output is.

marker() {
	echo "$*" >/dev/console
}

# wait_tty NAME [SECS]: wait until /dev/NAME opens as a serial port. The
# node exists for every port the 8250 driver reserves; only a port whose
# UART was found opens. Fails with a KEEL-GUEST-ERROR marker.
wait_tty() {
	_i=0
	until stty -F "/dev/$1" >/dev/null 2>&1; do
		_i=$((_i + 1))
		if [ "$_i" -gt $((${2:-10} * 10)) ]; then
			marker "KEEL-GUEST-ERROR /dev/$1 is not a usable serial port"
			return 1
		fi
		sleep 0.1
	done
}

# now_us: wall clock in microseconds (busybox date has no %N).
now_us() {
	adjtimex | awk '/tv_sec/ { s = $2 } /tv_usec/ { u = $2 } END { printf "%.0f\n", s * 1000000 + u }'
}

# serial_field NAME FIELD: a field (tx, rx, irq, ...) of the port's line in
# /proc/tty/driver/serial.
serial_field() {
	sed -n "s/^${1#ttyS}: .* $2:\([0-9]*\).*/\1/p" /proc/tty/driver/serial
}

# load_kmods: load the drivers the test VM's kernel has as modules
# (/keel-kmods.list, packed by pack-qemu.sh, in load order); nothing for a
# kernel with them built in. Fails with a KEEL-GUEST-ERROR marker.
load_kmods() {
	[ -f /keel-kmods.list ] || return 0
	while read -r _m; do
		[ -d "/sys/module/$(basename "$_m" .ko | tr - _)" ] && continue
		insmod "$_m" || {
			marker "KEEL-GUEST-ERROR insmod $_m failed"
			return 1
		}
	done </keel-kmods.list
}

# mem_file N: /tmp/data, a file of N pages in tmpfs (guest RAM) whose page
# i begins with "KEEL-PAGE-<i, 6 digits>-" repeated to its end (a newline
# last), so that the host finds its pages in the VMM's memory; prints its
# md5. Fails with a KEEL-GUEST-ERROR marker.
mem_file() {
	awk -v n="$1" 'BEGIN {
		for (i = 0; i < n; i++) {
			s = sprintf("KEEL-PAGE-%06d-", i)
			while (length(s) < 4095)
				s = s s
			printf "%s\n", substr(s, 1, 4095)
		}
	}' >/tmp/data || {
		marker "KEEL-GUEST-ERROR cannot write /tmp/data"
		return 1
	}
	_sum=$(md5sum </tmp/data) || return 1
	echo "${_sum%% *}"
}
