#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The demo, inside the test VM (Keel's modules are loaded by /init): start
# a small KVM guest that binds its VM to Keel, and show what Keel reports
# about the host and its objects, as an operator would see it.

guest=/keel/selftests/demo/keel_demo_guest
uart=/keel/selftests/demo/keel_demo_uart
step() { printf '\n==== %s\n' "$*"; }

step "keelctl version"
keelctl version || exit 1

step "keelctl host: the inventory a cloud scheduler places VMs by"
keelctl host || exit 1

step "starting a KVM guest whose VMM binds its VM to Keel"
: >/tmp/guest.log
"$guest" web-01 >/tmp/guest.log 2>&1 &
gpid=$!
i=0
until grep -q "bound to Keel" /tmp/guest.log; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $gpid 2>/dev/null; then
		cat /tmp/guest.log
		echo "demo: the guest did not start" >&2
		exit 1
	fi
	sleep 0.2
done
sleep 1
cat /tmp/guest.log

step "keelctl objects: the VM Keel holds, with its creator and vCPUs"
keelctl objects || exit 1

step "keelctl -j objects (JSON for scripts)"
keelctl -j objects || exit 1

step "a guest printing through a UART emulated in the host kernel (keel_vdev)"
"$uart" ttyS0 || exit 1
echo "after the VMM closed the device:"
keelctl vdev list || exit 1

step "stopping the guest: its binding disappears"
kill -TERM $gpid
wait $gpid
tail -n 1 /tmp/guest.log
keelctl objects || exit 1
echo
echo "demo: done"
