#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The demo, inside the test VM (Keel's modules are loaded by /init): start
# a small KVM guest that binds its VM to Keel, and show what Keel reports
# about the host and its objects, as an operator would see it; a ring that
# replicates to a backup and releases only what the backup holds; Debian's
# unmodified QEMU running a Linux guest, with Keel's UART attached to its VM
# by pid and a command typed into the guest through it; the interrupts of
# its vhost-net queues moderated by pid while a stream flows; pages of its
# guest's memory mirrored by pid, failing without the guest knowing, then
# unprotected ones failing for comparison; a guest's write hot spot found
# in keel_mirror's profile, translated by keel-bt so that its stores stop
# trapping, and dropped when it goes cold; a disk of its guest served by
# keel-iod from another network namespace, the server restarted under the
# guest's writes, its data intact. Then keeld,
# the cloud resource database, with this machine registered from keel.ko
# and three more hosts, and an allocation with --explain.
# Every part is shown or the demo fails: a missing program is an error.
# Usage: demo-vm.sh [KEELD]   (keeld's binary, default /keel/bin/keeld,
#                              where demo.sh has it packed)
keeld=${1:-/keel/bin/keeld}

guest=/keel/selftests/demo/keel_demo_guest
uart=/keel/selftests/demo/keel_demo_uart
ring=/keel/selftests/demo/keel_demo_ring
qemu_demo=/keel/selftests/qemu/keel_demo_qemu
coal_demo=/keel/selftests/qemu/keel_demo_coalesce
mirror_demo=/keel/selftests/qemu/keel_demo_mirror
bt_demo=/keel/selftests/mirror/keel_demo_bt
remote_demo=/keel/selftests/qemu/keel_demo_remote
step() { printf '\n==== %s\n' "$*"; }

missing=
for f in "$guest" "$uart" "$ring" "$qemu_demo" "$coal_demo" "$mirror_demo" \
	"$bt_demo" "$remote_demo" "$keeld"; do
	[ -x "$f" ] || missing="$missing $f"
done
for f in /keel/guest/kernel /keel/guest/initramfs.cpio.gz; do
	[ -f "$f" ] || missing="$missing $f"
done
command -v keelctl >/dev/null || missing="$missing keelctl"
if [ -n "$missing" ]; then
	echo "demo: missing, so parts of the demo cannot be shown:$missing" >&2
	exit 1
fi

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

step "redundant rings (keel_ring): output commit, a lost backup, a checkpoint"
"$ring" || exit 1

step "An unmodified QEMU running a Linux guest; Keel's UART attached by pid"
"$qemu_demo" || exit 1

step "Interrupt moderation of a running guest's vhost-net queues, turned on by pid (keel_coalesce)"
"$coal_demo" || exit 1

step "Mirrored guest memory of a running QEMU: pages that fail, rebuilt by Keel (keel_mirror)"
"$mirror_demo" || exit 1

step "A write hot spot of a mirrored guest found, translated and dropped by Keel (keel_mirror, keel-bt)"
"$bt_demo" || exit 1

step "A running QEMU's disk served from another host's keel-iod, the server restarted underneath (keel_remote)"
"$remote_demo" || exit 1

step "keeld: the cloud resource database (SQLite), this machine registered from keel.ko as host 0"
export KEELD_SOCKET=/tmp/keeld.sock
"$keeld" --db sqlite:/tmp/keeld.db --socket "$KEELD_SOCKET" --local-host 0 \
	2>/tmp/keeld.log &
kpid=$!
i=0
until [ -S "$KEELD_SOCKET" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $kpid 2>/dev/null; then
		cat /tmp/keeld.log
		echo "demo: keeld did not start" >&2
		exit 1
	fi
	sleep 0.1
done
cat /tmp/keeld.log
cat >/tmp/hosts.json <<'JSON'
{"hosts": [
 {"id": 1, "resources": {"vcpus": 32, "memory": "128G", "acc:gpu": 2},
  "features": ["cpu:avx512f", "acc:gpu", "nic:sriov"]},
 {"id": 2, "resources": {"vcpus": 64, "memory": "256G", "mirror": "32G"},
  "features": ["cpu:avx512f", "cpu:rtm", "mem:mirror", "nic:sriov", "keel:vdev"]},
 {"id": 3, "resources": {"vcpus": 16, "memory": "64G"},
  "features": ["cpu:rtm", "keel:vdev"]}
]}
JSON
echo "keelctl cloud host add /tmp/hosts.json:"
cat /tmp/hosts.json
keelctl cloud host add /tmp/hosts.json >/dev/null || exit 1
keelctl cloud host list || exit 1

step "keelctl alloc --explain: preferences from the request, the template and the tenant policy"
cat >/tmp/template.json <<'JSON'
{"prefs": [{"feature": "nic:sriov", "kind": "preferred", "weight": 10},
           {"feature": "cpu:avx512f", "kind": "preferred", "weight": 3}]}
JSON
cat >/tmp/tenant.json <<'JSON'
{"prefs": [{"feature": "cpu:rtm", "kind": "avoided", "weight": 2}]}
JSON
echo "template: $(tr -d '\n' </tmp/template.json | tr -s ' ')"
echo "tenant policy: $(tr -d '\n' </tmp/tenant.json | tr -s ' ')"
keelctl alloc --service uart-console --vcpus 1 --memory 512M \
	--require keel:vdev --template /tmp/template.json \
	--tenant-policy /tmp/tenant.json --policy best-fit --explain || exit 1

step "keelctl alloc list; keelctl cloud host show 0 (this machine)"
keelctl alloc list || exit 1
keelctl cloud host show 0 | sed '/^features/,$d' || exit 1
keel_features() {
	keelctl cloud host show 0 | sed -n '/^features/,$p' |
		tr -s ' \n' '\n\n' | grep '^keel:' | tr '\n' ' '
	echo
}
echo "keel: features: $(keel_features)"

step "Keel modules disappearing and appearing: keeld follows within 2 s"
vdev_ko=/keel/kmod/$(grep 'keel_vdev' /keel/kmod/modules.order)
rmmod keel_vdev || exit 1
sleep 3
echo "after rmmod keel_vdev: $(keel_features)"
keelctl alloc --service needs-vdev --vcpus 1 --memory 64M \
	--require keel:vdev --require kvm:amd 2>&1
insmod "$vdev_ko" || exit 1
sleep 3
echo "after insmod keel_vdev: $(keel_features)"
keelctl alloc --service needs-vdev --vcpus 1 --memory 64M \
	--require keel:vdev --require kvm:amd || exit 1
kill -TERM $kpid
wait $kpid
grep 'local host 0 updated' /tmp/keeld.log | cut -c1-72
echo
echo "demo: done"
