#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make bench SUITE=bt-host": the cost of translated write hot spots on
# this machine (no VM): bench-bt runs three write-heavy loops natively,
# translated by keel-bt and doubled by hand (each store made again at the
# mirror: the floor of mirroring by duplicated stores), alternating, and
# prints writes per second, the ratios against native, the code growth
# and the translation time.
# "make bench SUITE=bt" measures a guest's loop unprotected, trapped and
# translated, in the test VM (bench_bt).
# BENCH_ARGS=... go to bench-bt: [-n ITERATIONS] [-r REPS].
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$repo/build/userspace
make -s -C "$repo/userspace" O="$out" keel-bt
# shellcheck disable=SC2086 # BENCH_ARGS is a list of arguments
exec "$out/keel-bt/bench-bt" ${BENCH_ARGS:-}
