#!/bin/sh
# /init of Keel's test VM (busybox sh). Mounts the basics, loads the KVM and
# Keel modules, runs what /keel/vm.conf asks (test programs, KUnit modules,
# a demo or a benchmark, or a shell), unloads Keel, prints kmemleak and dmesg,
# and reboots (qemu runs with -no-reboot, so that ends the VM). Every step
# prints a KEEL-* marker line that parse-console.awk reads on the host.

PATH=/keel/bin:/keel/extra:/usr/sbin:/usr/bin:/sbin:/bin
export PATH HOME=/root TERM=vt100

mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mkdir -p /dev/pts /dev/shm /tmp /run /root
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
hostname keel-vm
ip link set lo up

# The users of the tests: root, and "keeltest", an unprivileged user in
# group "kvm" as an operator runs an unprivileged VMM
# (selftests/include/keel_test_user.h).
cat >/etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
keeltest:x:1000:1000:Keel tests:/tmp:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >/etc/group <<'EOF'
root:x:0:
kvm:x:36:keeltest
keeltest:x:1000:
nogroup:x:65534:
EOF

KEEL_MODE='test'
KEEL_TEST_TIMEOUT=300
KEEL_RUN_TIMEOUT=600
KEEL_KUNIT=n
KEEL_KUNIT_FILTER=
KEEL_KMEMLEAK=n
KEEL_KERNEL_DEBUG=n
KEEL_RUN=
KEEL_RUN_ARGS=
# shellcheck source=/dev/null
. /keel/vm.conf
# for the tests: y on the debug kernel (KASAN, lockdep, kmemleak)
export KEEL_KERNEL_DEBUG

check() { # NAME ok|fail [DETAIL]
	echo "KEEL-CHECK $1 $2${3:+ $3}"
}

# kmemleak's own thread scans all of memory every few minutes; under TCG a
# scan takes minutes and stretches RCU grace periods the tests wait for.
# The tests' memory is scanned on purpose at the end instead.
if [ "$KEEL_KMEMLEAK" = y ] && [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan=off >/sys/kernel/debug/kmemleak
fi

# run_timed SECS CMD...: run CMD in its own session with stdin from
# /dev/null; kill its whole process group after SECS seconds. Sets $rc and
# $timed_out.
run_timed() {
	_t=$1
	shift
	rm -f /tmp/.keel-timeout
	setsid "$@" </dev/null &
	_pid=$!
	setsid sh -c "sleep $_t; echo > /tmp/.keel-timeout; kill -KILL -$_pid $_pid" \
		</dev/null >/dev/null 2>&1 &
	_w=$!
	wait "$_pid"
	rc=$?
	kill -KILL -"$_w" "$_w" 2>/dev/null
	kill -KILL -"$_pid" 2>/dev/null
	timed_out=n
	[ -e /tmp/.keel-timeout ] && timed_out=y
	wait "$_w" 2>/dev/null
	return 0
}

modname() { # path/to/foo-bar.ko -> foo_bar
	_n=${1##*/}
	_n=${_n%.ko}
	echo "$_n" | tr - _
}

echo "KEEL-VM-BEGIN kernel=$(uname -r) mode=$KEEL_MODE"

# Kernel modules of the target kernel (KVM, vhost-net, ...), in load order.
bad=
if [ -s /keel/kmods.list ]; then
	while read -r ko; do
		insmod "$ko" || bad="$bad $(modname "$ko")"
	done </keel/kmods.list
	if [ -n "$bad" ]; then
		check kernel-modules-loaded fail "insmod failed:$bad"
	else
		check kernel-modules-loaded ok
	fi
fi
if [ -c /dev/kvm ]; then check dev-kvm ok; else check dev-kvm fail "no /dev/kvm"; fi

# Keel's modules (KUnit ones are inserted later, one at a time).
loaded=
if [ -s /keel/kmod/modules.order ]; then
	bad=
	while read -r ko; do
		case $ko in *_kunit.ko) continue ;; esac
		if insmod "/keel/kmod/$ko"; then
			loaded="$(modname "$ko") $loaded"
		else
			bad="$bad $(modname "$ko")"
		fi
	done </keel/kmod/modules.order
	if [ -n "$bad" ]; then
		check keel-modules-loaded fail "insmod failed:$bad"
	else
		check keel-modules-loaded ok
	fi
fi

# What udev does on a host with Keel's rule installed (the VM has no
# udev): the kvm group's nodes, mode as the rule says. /dev/kvm as
# Debian's own rule has it.
rule_group=$(sed -n 's/.*GROUP="\([^"]*\)".*/\1/p' /keel/60-keel.rules)
rule_mode=$(sed -n 's/.*MODE="\([0-7]*\)".*/\1/p' /keel/60-keel.rules)
for node in /dev/kvm /dev/keel /dev/keel-*; do
	[ -c "$node" ] || continue
	chgrp "$rule_group" "$node" && chmod "$rule_mode" "$node"
done

if [ "$KEEL_MODE" = test ] && [ -s /keel/tests.sel ]; then
	while read -r suite prog; do
		echo "KEEL-TEST-BEGIN $prog suite=$suite"
		read -r t0 _ </proc/uptime
		bin=${prog%@user}
		cd "/keel/selftests/${bin%/*}" || cd /
		# <program>.timeout beside a program raises its time limit
		limit=$KEEL_TEST_TIMEOUT
		if [ -r "./${bin##*/}.timeout" ]; then
			read -r t <"./${bin##*/}.timeout"
			case $t in
			'' | *[!0-9]*) ;;
			*) [ "$t" -le "$limit" ] || limit=$t ;;
			esac
		fi
		if [ "$bin" != "$prog" ]; then
			# As the unprivileged test user: no capability, group kvm.
			run_timed "$limit" su -s /bin/sh -c "exec ./${bin##*/}" keeltest
		else
			run_timed "$limit" "./${bin##*/}"
		fi
		cd /
		# how long it ran (s), last: where a run's time goes
		read -r t1 _ </proc/uptime
		secs=$((${t1%.*} - ${t0%.*}))
		if [ "$timed_out" = y ]; then
			echo "KEEL-TEST-END $prog rc=$rc timeout=$limit secs=$secs"
		else
			echo "KEEL-TEST-END $prog rc=$rc secs=$secs"
		fi
	done </keel/tests.sel
fi

if [ "$KEEL_KUNIT" = y ] && [ -s /keel/kmod/modules.order ]; then
	while read -r ko; do
		case $ko in *_kunit.ko) ;; *) continue ;; esac
		name=$(modname "$ko")
		# SUITE may name several suites: a KUnit module of any of them
		hit=y
		[ -z "$KEEL_KUNIT_FILTER" ] || hit=n
		for w in $KEEL_KUNIT_FILTER; do
			case $name in *"$w"*) hit=y ;; esac
		done
		[ $hit = y ] || continue
		before=$(dmesg | wc -l)
		echo "KEEL-KUNIT-BEGIN $name"
		insmod "/keel/kmod/$ko"
		rc=$?
		dmesg | tail -n +"$((before + 1))"
		echo "KEEL-KUNIT-END $name rc=$rc"
		[ "$rc" = 0 ] && rmmod "$name"
	done </keel/kmod/modules.order
fi

case $KEEL_MODE in
demo | bench)
	echo "KEEL-RUN-BEGIN $KEEL_RUN"
	# shellcheck disable=SC2086 # the arguments are meant to be split
	run_timed "$KEEL_RUN_TIMEOUT" "/keel/run/$KEEL_RUN" $KEEL_RUN_ARGS
	echo "KEEL-RUN-END $KEEL_RUN rc=$rc$([ "$timed_out" = y ] && echo " timeout=$KEEL_RUN_TIMEOUT")"
	;;
shell)
	echo "Keel VM shell: Keel modules are loaded; exit the shell to unload and power off."
	setsid cttyhack sh -l
	;;
esac

# Unload Keel in reverse load order; every module must go.
if [ -s /keel/kmod/modules.order ]; then
	bad=
	for m in $loaded; do
		rmmod "$m" || bad="$bad $m"
	done
	for m in $loaded; do
		grep -q "^$m " /proc/modules && case " $bad " in *" $m "*) ;; *) bad="$bad $m" ;; esac
	done
	if [ -n "$bad" ]; then
		check modules-unloaded fail "still loaded:$bad"
	else
		check modules-unloaded ok
	fi
fi

if [ "$KEEL_KMEMLEAK" = y ] && [ -w /sys/kernel/debug/kmemleak ]; then
	# kmemleak skips objects younger than 5 s and ones that changed
	# since the previous scan (new ones included): wait, then scan twice.
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	echo KEEL-KMEMLEAK-BEGIN
	cat /sys/kernel/debug/kmemleak
	echo KEEL-KMEMLEAK-END
fi

echo KEEL-DMESG-BEGIN
dmesg
echo KEEL-DMESG-END
echo KEEL-VM-DONE
sync
reboot -f
