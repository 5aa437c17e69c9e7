#!/bin/bash
# Extracts the kselftest headers (kselftest.h, kselftest_harness.h) from
# Debian's kernel source tarball into the directory given as argument.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

[[ $# -eq 1 ]] || die "usage: $0 OUTDIR"
extract_members "$1" \
	tools/testing/selftests/kselftest.h \
	tools/testing/selftests/kselftest_harness.h
