#!/bin/bash
# Installs the Debian packages that Keel's build, tests, VM harness and demo
# need. Fast and silent when all are present; as root it installs what is
# missing (non-interactively), otherwise it prints the command and fails.
set -euo pipefail

packages=(
	build-essential gcc-multilib pkg-config patch bc bison flex libelf-dev
	libssl-dev libzydis-dev
	kmod sparse libmnl-dev libjson-c-dev python3 jq iproute2
	libsqlite3-dev libpq-dev libsystemd-dev postgresql
	linux-headers-amd64 linux-headers-6.12-amd64 linux-source-6.1
	linux-source-6.12 python3-yaml python3-jsonschema
	qemu-system-x86 busybox-static cpio gzip xz-utils zstd
	util-linux coreutils findutils gawk procps strace dmsetup e2fsprogs
	nbd-server nbd-client
	python3-docutils groff-base bash-completion
	debhelper dh-dkms dkms lintian
	"$@"
)

installed=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' \
	"${packages[@]}" 2>/dev/null | awk '$1 == "ii" { printf "%s ", $2 }' || true)"
missing=()
for p in "${packages[@]}"; do
	[[ $installed == *" $p "* ]] || missing+=("$p")
done
((${#missing[@]})) || exit 0

cmd=(apt-get install -y -q --no-install-recommends "${missing[@]}")
if [[ $(id -u) -ne 0 ]]; then
	printf '%s: missing packages: %s\n' "${0##*/}" "${missing[*]}" >&2
	printf 'run as root:\n  apt-get update && DEBIAN_FRONTEND=noninteractive %s\n' \
		"${cmd[*]}" >&2
	exit 1
fi
printf '%s: installing %s\n' "${0##*/}" "${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q </dev/null
"${cmd[@]}" </dev/null
