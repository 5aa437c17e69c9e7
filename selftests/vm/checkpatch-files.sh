#!/bin/bash
# Extracts checkpatch.pl and the data files it reads from beside itself
# (spelling.txt, const_structs.checkpatch) from Debian's kernel source
# tarball into the directory given as argument.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

[[ $# -eq 1 ]] || die "usage: $0 OUTDIR"
extract_members "$1" \
	scripts/checkpatch.pl \
	scripts/spelling.txt \
	scripts/const_structs.checkpatch
