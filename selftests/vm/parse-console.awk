#!/usr/bin/gawk -f
# Judges one VM's console log. Reads the KEEL-* markers that init.sh prints
# and counts checks: each TAP result of a test program, each leaf KTAP result
# of a KUnit module, each KEEL-CHECK line, plus "dmesg clean", "kmemleak
# clean" (when expected), "vm finished" and, for demos and benchmarks, the
# run itself. A missing marker, a hang or a crash is a failure, never a pass.
#
# Variables (-v): tests   = space-separated test programs expected to run
#                 kunits  = space-separated KUnit modules expected to run
#                 kmemleak= y when a kmemleak report is expected
#                 run     = name of the demo/benchmark expected to run
#                 ignore  = regex of dmesg lines not to judge (optional)
# Output: PASS/FAIL/SKIP lines (failures followed by "    | " excerpt
# lines), then "KEEL-RESULT <passed> <failed> <skipped> <results>", where
# results counts test, KUnit and run results (zero means nothing ran).

function pass(name) { npass++; print "PASS " name }
function skip(name, why) { nskip++; print "SKIP " name (why != "" ? ": " why : "") }
function fail(name, why, excerpt) {
	nfail++
	print "FAIL " name ": " why
	if (excerpt != "") printf "%s", excerpt
}
function add_line(buf, line, max,    n) {
	# keep the last max lines of buf
	buf = buf "    | " line "\n"
	n = gsub(/\n/, "\n", buf)
	while (n-- > max) sub(/^[^\n]*\n/, "", buf)
	return buf
}
function strip_dmesg(line) {
	sub(/^<[0-9]+>/, "", line)
	sub(/^\[ *[0-9]+\.[0-9]+\] /, "", line)
	return line
}
# TAP/KTAP result line: sets r_ok, r_name, r_directive; returns 1 if result
function tap_result(line,    m) {
	if (!match(line, /^[ \t]*(not ok|ok) [0-9]+( -)? ?(.*)$/, m)) return 0
	r_ok = (m[1] == "ok")
	r_num = line
	sub(/^[ \t]*(not ok|ok) /, "", r_num)
	sub(/[^0-9].*$/, "", r_num)
	r_name = m[3]
	r_directive = r_reason = ""
	if (match(r_name, /(^|[ \t])#[ \t]*([Ss][Kk][Ii][Pp]|TODO|XFAIL)([ \t].*)?$/, m)) {
		r_directive = toupper(m[2])
		r_reason = m[3]
		sub(/^[ \t]+/, "", r_reason)
		r_name = substr(r_name, 1, RSTART - 1)
	}
	sub(/[ \t]+$/, "", r_name)
	if (r_name == "") r_name = "#" r_num
	return 1
}
function indent_of(line,    m) {
	match(line, /^[ \t]*/)
	m = substr(line, 1, RLENGTH)
	gsub(/\t/, "        ", m)
	return length(m)
}
function count_result(name, excerpt) {
	results++
	if (r_directive == "SKIP" || r_directive == "TODO")
		skip(name, r_reason != "" ? r_reason : r_directive)
	else if (r_ok || r_directive == "XFAIL") pass(name)
	else fail(name, "not ok", excerpt)
}

BEGIN {
	nt = split(tests, tlist, " ")
	nk = split(kunits, klist, " ")
	bad = "WARNING:|BUG:|KASAN|UBSAN|Oops|Call Trace|kernel BUG|general protection fault|" \
	      "INFO: task .* blocked|INFO: rcu|rcu: INFO|DEBUG_LOCKS_WARN_ON|Kernel panic|" \
	      "cut here|stack-protector|soft lockup|hard LOCKUP|unreferenced object"
	section = ""
}

{ sub(/\r+$/, ""); tail = add_line(tail, $0, 40) }

# ---- markers --------------------------------------------------------------
/^KEEL-VM-BEGIN / { vm_begin = 1; next }
/^KEEL-VM-DONE/ { vm_done = 1; next }
/^KEEL-CHECK / {
	name = $2; st = $3
	detail = $0; sub(/^KEEL-CHECK [^ ]+ [^ ]+ ?/, "", detail)
	if (st == "ok") pass(name)
	else fail(name, detail == "" ? "failed" : detail, "")
	next
}
/^KEEL-TEST-BEGIN / {
	section = "test"; prog = $2; began[prog] = 1
	plan = -1; planskip = 0; nres = 0; nbad = 0; out = ""; since = ""
	next
}
/^KEEL-TEST-END / {
	ended[$2] = 1; section = ""
	rc = $3; sub(/^rc=/, "", rc)
	to = ($4 ~ /^timeout=/) ? substr($4, 9) : ""
	why = ""
	if (to != "") why = "killed after " to " s (timeout)"
	else if (plan < 0) why = "printed no TAP plan (rc=" rc ")"
	else if (nres < plan) why = "only " nres " of " plan " results (rc=" rc ")"
	else if (rc != 0 && rc != 4 && nbad == 0) why = "exit status " rc
	if (why != "") { results++; fail(prog, why, out) }
	else if (nres == 0) { results++; skip(prog, planskip ? "skipped" : "no results") }
	next
}
/^KEEL-KUNIT-BEGIN / {
	section = "kunit"; kmod = $2; kbegan[kmod] = 1
	nres = 0; out = ""; since = ""; delete deeper; delete subtest
	next
}
/^KEEL-KUNIT-END / {
	kended[$2] = 1; section = ""
	rc = $3; sub(/^rc=/, "", rc)
	if (rc != 0) fail("kunit/" kmod, "insmod exit status " rc, out)
	else if (nres == 0) fail("kunit/" kmod, "no KTAP results", out)
	next
}
/^KEEL-RUN-BEGIN / { section = "run"; run_began = 1; out = ""; next }
/^KEEL-RUN-END / {
	section = ""; run_ended = 1; results++
	rc = $3; sub(/^rc=/, "", rc)
	if ($4 ~ /^timeout=/) fail("run " run, "killed after " substr($4, 9) " s (timeout)", out)
	else if (rc != 0) fail("run " run, "exit status " rc, out)
	else pass("run " run)
	next
}
/^KEEL-KMEMLEAK-BEGIN/ { section = "kmemleak"; leak = ""; nleak = 0; next }
/^KEEL-KMEMLEAK-END/ {
	section = ""; leak_done = 1
	if (nleak) fail("kmemleak clean", "kmemleak reports leaks", leak)
	else pass("kmemleak clean")
	next
}
/^KEEL-DMESG-BEGIN/ { section = "dmesg"; dirty = ""; ndirty = 0; ctx = 0; next }
/^KEEL-DMESG-END/ {
	section = ""; dmesg_done = 1
	if (ndirty) fail("dmesg clean", ndirty " suspicious kernel log lines", dirty)
	else pass("dmesg clean")
	next
}

# ---- section contents -----------------------------------------------------
section == "test" {
	out = add_line(out, $0, 30)
	if ($0 ~ /^1\.\.[0-9]+/) {
		plan = $0; sub(/^1\.\./, "", plan); plan = plan + 0
		planskip = ($0 ~ /#[ \t]*SKIP/)
		next
	}
	if ($0 ~ /^(not ok|ok) [0-9]+/ && tap_result($0)) {
		nres++
		if (!r_ok && r_directive == "") nbad++
		count_result(prog ": " r_name, since)
		since = ""
	} else {
		since = add_line(since, $0, 15)
	}
	next
}
section == "kunit" {
	line = strip_dmesg($0)
	out = add_line(out, line, 30)
	if (match(line, /^[ \t]*# Subtest: (.*)$/, m)) {
		subtest[indent_of(line)] = m[1]
		next
	}
	if (tap_result(line)) {
		# a result is a leaf unless deeper results came since the
		# last result at its level or above
		ind = indent_of(line)
		parent = (ind in deeper) && deeper[ind]
		for (l in deeper) if (l + 0 >= ind) deeper[l] = 0
		for (l = 0; l < ind; l++) deeper[l] = 1
		if (!parent) {
			path = ""
			for (l = 1; l <= ind; l++)
				if (l in subtest) path = path subtest[l] "."
			nres++
			count_result("kunit/" kmod ": " path r_name, since)
		}
		for (l in subtest) if (l + 0 > ind) delete subtest[l]
		since = ""
	} else {
		since = add_line(since, line, 15)
	}
	next
}
section == "run" { out = add_line(out, $0, 40); next }
section == "kmemleak" {
	if ($0 ~ /[^ \t]/) { nleak++; if (nleak <= 40) leak = leak "    | " $0 "\n" }
	next
}
section == "dmesg" {
	line = strip_dmesg($0)
	# excerpt: the first report with what follows it, then the
	# matching lines of the next few
	if (line ~ bad && (ignore == "" || line !~ ignore)) {
		ndirty++
		if (ndirty == 1) ctx = 25
		else if (ndirty <= 10 && ctx == 0) ctx = 1
	}
	if (ctx > 0 && line !~ /^(R[0-9A-HJ-Z][0-9A-Z]|FS|CS|CR2|DR[0-9]|PKRU|Code): /) {
		dirty = dirty "    | " line "\n"
		ctx--
	}
	next
}

END {
	for (i = 1; i <= nt; i++) {
		p = tlist[i]
		if (!(p in began)) { results++; fail(p, "not run (VM stopped before it)", "") }
		else if (!(p in ended)) { results++; fail(p, "no end marker (VM crashed or hung)", out) }
	}
	for (i = 1; i <= nk; i++) {
		k = klist[i]
		if (!(k in kbegan)) { results++; fail("kunit/" k, "not run (VM stopped before it)", "") }
		else if (!(k in kended)) { results++; fail("kunit/" k, "no end marker (VM crashed or hung)", out) }
	}
	if (run != "" && !run_ended) {
		results++
		fail("run " run, run_began ? "no end marker (VM crashed or hung)" : "not run", out)
	}
	if (kmemleak == "y" && !leak_done) fail("kmemleak clean", "no kmemleak report", "")
	if (!dmesg_done) fail("dmesg clean", "no kernel log dump", "")
	if (vm_done) pass("vm finished")
	else fail("vm finished", vm_begin ? "no KEEL-VM-DONE (VM crashed or hung)" :
		"/init never started (kernel crashed or hung)", tail)
	printf "KEEL-RESULT %d %d %d %d\n", npass, nfail, nskip, results
}
