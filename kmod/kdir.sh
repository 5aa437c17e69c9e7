#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel build directory Keel builds against by default: the
# running kernel's, else the newest installed Debian linux-headers-*-amd64.
set -eu

build=/lib/modules/$(uname -r)/build
if [ -d "$build" ] && [ -f "$build/Makefile" ]; then
	echo "$build"
	exit 0
fi

newest=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
if [ -z "$newest" ]; then
	echo "kdir.sh: no kernel build tree: install linux-headers-$(uname -r) or linux-headers-amd64, or pass KDIR=" >&2
	exit 1
fi
echo "$newest"
