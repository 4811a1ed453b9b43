#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Compare two probe transcripts, the kernel's and ioasidd's, line by line.
# Lines are matched by name (and occurrence, for names that repeat), so a
# missing or extra line shows as such rather than shifting everything.
# Each kernel line is one of
#   same      identical;
#   newer     the command arrived after the kernel that answered (the
#             name carries "[6.N]" and the kernel said ENOTTY): nothing to
#             compare;
#   pending   needs the selftest's mock domain ("domain." lines), which
#             ioasidd does not have yet: recorded, not compared;
#   env       depends on CAP_SYS_RESOURCE ("option.cap." lines, and the
#             zero-filled IOMMU_OPTION, an RLIMIT_MODE SET) and the
#             two runs did not have the same ("option.caps" differs);
#   known     listed in KNOWN (a file of "name-prefix reason" lines): a
#             difference that is understood and waits for work elsewhere;
#             printed with its reason, not counted as a failure;
#   DIFF      anything else: printed with both answers.
# The last line is "N same, N newer, N pending, N env, N known, N differ";
# the exit status is 1 when anything differs.
#
# usage: tests/oracle/compare.sh KERNEL_TRANSCRIPT IOASIDD_TRANSCRIPT [KNOWN]
#        (set VERBOSE=1 to list the newer and pending lines too)

set -u

K=${1:?kernel transcript}
H=${2:?ioasidd transcript}
KNOWN=${3:-/dev/null}

awk -v verbose="${VERBOSE:-0}" '
function key(line,   n) {
	n = line
	sub(/ .*/, "", n)
	seen[fi, n]++
	return n "#" seen[fi, n]
}
# The kernel version in a name like "map_file[6.13]", as a number.
function since(name,   v) {
	if (match(name, /\[6\.[0-9]+\]/) == 0)
		return 0
	v = substr(name, RSTART + 3, RLENGTH - 4)
	return v + 0
}
FNR == 1 { fi++ }
/^#/ || NF == 0 { next }
fi == 1 {
	prefix[++np] = $1
	why = $0
	sub(/^[^ \t]+[ \t]+/, "", why)
	reason[np] = why
	next
}
fi == 2 {
	k = key($0)
	kern[k] = $0
	order[++nk] = k
	next
}
{
	k = key($0)
	host[k] = $0
	if (!(k in kern))
		extra[++ne] = $0
}
function known(name,   j) {
	for (j = 1; j <= np; j++)
		if (index(name, prefix[j]) == 1)
			return j
	return 0
}
END {
	for (i = 1; i <= nk; i++) {
		k = order[i]
		kl = kern[k]
		hl = (k in host) ? host[k] : "(missing)"
		split(kl, f, " ")
		name = f[1]
		if (kl == hl) {
			same++
		} else if (since(name) > 12 && f[3] == "ENOTTY") {
			newer++
			if (verbose)
				print "newer:   " hl
		} else if (name ~ /^(option\.cap|length\.option\.)/ &&
		    kern["option.caps#1"] != host["option.caps#1"]) {
			env++
			if (verbose)
				print "env:     " kl "  |  ioasidd: " hl
		} else if ((j = known(name)) > 0) {
			nknown++
			print "known:   " name " (" reason[j] ")"
			print "    kernel:  " kl
			print "    ioasidd: " hl
		} else if (name ~ /^domain\./) {
			pending++
			if (verbose)
				print "pending: " kl "  |  ioasidd: " hl
		} else {
			differ++
			print "DIFF " name
			print "    kernel:  " kl
			print "    ioasidd: " hl
		}
	}
	for (i = 1; i <= ne; i++) {
		differ++
		print "DIFF extra line in ioasidd: " extra[i]
	}
	printf "%d same, %d newer, %d pending, %d env, %d known, %d differ\n", \
	    same, newer, pending, env, nknown, differ
	exit (differ > 0)
}' "$KNOWN" "$K" "$H"
