#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Load or unload the Keel modules of one build directory on a real host,
# in modules.order order (reverse for unload). KUnit suites are skipped.
#
# usage: load.sh load|unload <build/kmod/<release> directory>
set -eu

action=$1
dir=$2

if [ "$(id -u)" -ne 0 ]; then
	echo "load.sh: must run as root" >&2
	exit 1
fi
if [ ! -f "$dir/modules.order" ]; then
	echo "load.sh: no modules.order in $dir: run 'make modules' first" >&2
	exit 1
fi

# modules.order lists kmod/<part>/<name>.o (or .ko); map to the .ko files.
mods=$(sed -e 's/\.o$/.ko/' -e "s|^$dir/||" "$dir/modules.order" |
	grep -v '_kunit\.ko$')

case "$action" in
load)
	# KVM and the vendor module for this CPU.
	modprobe kvm
	if grep -qw svm /proc/cpuinfo; then
		modprobe kvm_amd
	elif grep -qw vmx /proc/cpuinfo; then
		modprobe kvm_intel
	fi
	for m in $mods; do
		name=$(basename "$m" .ko)
		if [ -d "/sys/module/$name" ]; then
			echo "$name: already loaded"
			continue
		fi
		insmod "$dir/$m"
		echo "$name: loaded"
	done
	;;
unload)
	for m in $(echo "$mods" | sed '1!G;h;$!d'); do
		name=$(basename "$m" .ko)
		[ -d "/sys/module/$name" ] || continue
		rmmod "$name"
		echo "$name: unloaded"
	done
	;;
*)
	echo "usage: load.sh load|unload <module build dir>" >&2
	exit 2
	;;
esac
