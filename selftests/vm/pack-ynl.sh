#!/bin/bash
# Packs the kernel's YNL client into a VM stage directory (the "ynl" need of
# a test, see mkinitramfs.sh):
#   /usr/bin/python3       Debian's python3, with only the standard modules
#                          the client imports (found by importing it on the
#                          host) and PyYAML, byte-compiled
#   /keel/ynl/cli.py, lib/ the client, as selftests/vm/ynl-tools.sh extracted
#                          it into <build>/ynl
#   /keel/ynl/keel.yaml    Keel's spec (Documentation/netlink/specs)
# Prints the ELF files it added, whose libraries the caller packs.
#
# Usage: pack-ynl.sh STAGE_DIR YNL_DIR
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

[[ $# -eq 2 ]] || die "usage: $0 STAGE_DIR YNL_DIR"
stage=$1 ynl=$2/tools/net/ynl
# Debian's interpreter and modules (python3, python3-yaml), whatever else
# python3 is first on PATH.
python=/usr/bin/python3
[[ -f $ynl/cli.py ]] || die "no YNL client in $2 (make ynl-tools)"
[[ -x $python ]] || die "$python is missing (run selftests/vm/deps.sh)"

mkdir -p "$stage/keel/ynl"
cp -a "$ynl/cli.py" "$ynl/lib" "$stage/keel/ynl/"
cp "$KEEL_REPO/Documentation/netlink/specs/keel.yaml" "$stage/keel/ynl/keel.yaml"

# The modules the client loads (with the site setup python runs at start),
# and their cached byte code: found by running it here as far as it gets
# without Keel (options parsed, spec loaded, then no "keel" family).
files=$("$python" -I - "$ynl/cli.py" "$stage/keel/ynl/keel.yaml" <<'EOF'
import importlib.util, os, runpy, sys
cli, spec = sys.argv[1:3]
sys.path.insert(0, os.path.dirname(cli))
sys.argv = [cli, '--spec', spec, '--no-schema', '--output-json', '--list-ops']
try:
    runpy.run_path(cli, run_name='__main__')
except BaseException:
    pass
for m in list(sys.modules.values()):
    f = getattr(m, '__file__', None) or ''
    if not f.startswith(('/usr/lib/python3.', '/usr/lib/python3/dist-packages/yaml/')):
        continue
    print(f)
    if f.endswith('.py'):
        c = importlib.util.cache_from_source(f)
        if os.path.exists(c):
            print(c)
EOF
) || die "cannot import the YNL client with $python"

real=$(readlink -f "$python")
mkdir -p "$stage/usr/bin"
cp "$real" "$stage$real"
[[ $real == "$python" ]] || ln -sf "$(basename "$real")" "$stage$python"
# python finds its prefix by lib/python3.X/os.py; lib-dynload must exist.
lib=$(dirname "$(echo "$files" | grep -m1 '/os\.py$')")
mkdir -p "$stage$lib/lib-dynload"
while read -r f; do
	mkdir -p "$stage$(dirname "$f")"
	cp -L --preserve=timestamps "$f" "$stage$f"
done < <(echo "$files" | sort -u)

# The client's own modules, compiled once here rather than at each run.
"$python" -I -m compileall -q -d /keel/ynl/lib "$stage/keel/ynl/lib" >/dev/null ||
	die "cannot byte-compile the YNL client"

echo "$stage$real"
echo "$files" | grep '\.so$' | sed "s|^|$stage|"
