#!/usr/bin/gawk -f
# Resolves kernel module names to the module files to load, dependencies
# first, from a kernel's modules.builtin (first file) and modules.dep (second
# file). Names compare with "-" and "_" alike; built-in modules are skipped
# silently, unknown ones with a note on stderr.
# Variables (-v): want = space-separated module names.
# Output: one path relative to the module directory per line, in load order.

function norm(path,    n) {
	n = path
	sub(/^.*\//, "", n)
	sub(/\.ko(\.[a-z]+)?$/, "", n)
	gsub(/-/, "_", n)
	return n
}
function load(name,    i, n, d) {
	if (name in done) return
	done[name] = 1
	n = split(deps[name], d, " ")
	for (i = n; i >= 1; i--) load(norm(d[i]))
	print file[name]
}
FNR == NR { builtin[norm($0)] = 1; next }
{
	p = $1
	sub(/:$/, "", p)
	n = norm(p)
	file[n] = p
	d = $0
	sub(/^[^:]*:[ \t]*/, "", d)
	deps[n] = d
}
END {
	k = split(want, w, " ")
	for (i = 1; i <= k; i++) {
		n = w[i]
		gsub(/-/, "_", n)
		if (n in file) load(n)
		else if (!(n in builtin))
			print "note: kernel module " w[i] " is not in this kernel" > "/dev/stderr"
	}
}
