#!/bin/sh
#
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Run the kernel's own iommufd selftest, as tests/selftest/build.sh built
# it from Debian's packages, through the preload library against ioasidd:
# the kernel's judgement of how far the daemon is from the real iommufd.
#
#   tests/selftest/run.sh [--oracle] BUILD [SUITE...]
#
# A suite is a kernel version whose programs are in BUILD/selftest/SUITE/bin
# (default: 6.12 and 7.3, those that are built). Each program (iommufd and
# iommufd_fail_nth) runs against a fresh daemon of its own (BUILD/ioasidd,
# a private socket, no CUSE node), within a time limit. Its TAP output is
# kept in BUILD/selftest/SUITE/PROGRAM.tap (the daemon's log beside it,
# PROGRAM.daemon.log); from it the runner prints a table per fixture
# (runs that pass, are skipped by the harness, fail) and the totals of
# each program. The harness counts its own skips as
# passes, and so do the floors.
#
# The daemon of a suite answers as that suite's kernel (-o uapi-level=SUITE,
# ioasidd.conf(5)): the selftest of 6.12 expects 6.12's answers where 7.3's
# differ.
#
# iommufd_fail_nth runs with IOASIDD_FAIL_NTH=1: the preload library
# serves its /proc/self/task/<tid>/fail-nth and its debugfs knobs
# (client/failnth.c), so each of its runs sweeps n = 1, 2, ... over the
# daemon's own allocation points (daemon/core/inject.h) instead of
# skipping as it does where the kernel has no fault injection. Each n
# makes the n-th point the commands reach fail with ENOMEM, and the
# program then tears everything down and starts again; a run passes when
# its last, unfailed round succeeds and the daemon survived every round.
# Unlike the kernel, only the daemon's points count: not the program's
# other system calls, and not the open of /dev/iommu, so a sweep here
# is shorter than on a kernel. A run whose commands the daemon does not
# serve yet fails in its first round, before any point is armed.
#
# The run fails when a program passes fewer runs than its floor in
# tests/selftest/floors, when a run fails that tests/selftest/known-failures
# does not list, when a program does not finish in time, or when the
# daemon did not survive it. A listed run that passes is pointed out, so
# that the list and the floors follow the daemon as it grows.
#
# With IOASIDD_SELFTEST_RECORD set (to 1 for every suite, or to one
# suite's name), the iommufd program runs under "ioasidctl record" instead
# (BUILD/selftest/SUITE/iommufd.jsonl, about 140 MB), and its trace is
# validated against the schema (minutes) and replayed against a fresh
# daemon of the suite: the divergences, counted by command and field into
# BUILD/selftest/SUITE/iommufd.jsonl.replay, must be the known ones of
# tests/selftest/replay-expected, no more of each than it allows. They are
# what a trace cannot carry: memory a forked child mapped and took with it,
# memory the program made unreachable, when it read its vEVENTQ.
#
# With --oracle, the same programs (linked statically) also run on the
# real kernel of each suite, built with the selftest mock and booted under
# QEMU by the oracle tools (see tests/oracle/run.sh), and the table gets a
# second column: what the kernel passes. That takes minutes per suite (a
# kernel build the first time, kept in ORACLE_DIR/SUITE) and judges
# nothing; the floors hold for the daemon only.
#
# Environment: IOASIDD_SELFTEST_TIMEOUT, the seconds one program may take
# (default 900; the harness itself stops a single test after 30 s);
# IOASIDD_SELFTEST_HUGEPAGES, the 2 MiB huge pages to reserve for the run
# when fewer are (default 96; the old count is put back after);
# for --oracle, ORACLE_DIR (default /var/tmp/ioasidd-oracle/selftest,
# outside the build tree, whose dependency files the Makefile reads) and
# ORACLE_TOOLS (default ../shared/tools beside the source tree).

set -u

oracle=0
if [ "${1:-}" = --oracle ]; then
	oracle=1
	shift
fi
B=${1:?usage: $0 [--oracle] BUILD [SUITE...]}
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
B=$(cd "$B" && pwd)
DAEMON=$B/ioasidd
PRELOAD=$B/libioasid-preload.so
FLOORS=$root/tests/selftest/floors
KNOWN=$root/tests/selftest/known-failures
LIMIT=${IOASIDD_SELFTEST_TIMEOUT:-900}
WAIT_TENTHS=100
PID=
. "$root/tests/integration/lib.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/selftest.XXXXXX")
NRHUGE=/proc/sys/vm/nr_hugepages
HUGE_OLD=
cleanup() {
	stop_daemon KILL 2>/dev/null
	rm -rf "$T"
	[ -z "$HUGE_OLD" ] || echo "$HUGE_OLD" > "$NRHUGE" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say() { printf '%s\n' "selftest: $*"; }

for f in "$DAEMON" "$PRELOAD"; do
	[ -e "$f" ] || { say "FAIL: $f is not built"; exit 1; }
done
LIBS=$(preload_libs "$PRELOAD")

if [ $# -eq 0 ]; then
	for s in 6.12 7.3; do
		[ -x "$B/selftest/$s/bin/iommufd" ] && set -- "$@" "$s"
	done
fi
[ $# -ne 0 ] || { say "FAIL: nothing built in $B/selftest"; exit 1; }

# The suites map huge pages (MAP_HUGETLB) in a quarter of their runs, up
# to 128 MiB at once. Where the pool is smaller and may be raised (root,
# a writable /proc/sys), raise it for the run and put it back after.
want=${IOASIDD_SELFTEST_HUGEPAGES:-96}
have=$(cat "$NRHUGE" 2>/dev/null || echo 0)
HUGE_OK=0
if [ "$have" -ge "$want" ] && [ "$want" -gt 0 ]; then
	HUGE_OK=1
	say "huge pages: $have of 2 MiB reserved"
elif [ "$want" -gt 0 ] && { echo "$want" > "$NRHUGE"; } 2>/dev/null &&
    [ "$(cat "$NRHUGE")" -ge "$want" ]; then
	HUGE_OLD=$have
	HUGE_OK=1
	say "huge pages: $want of 2 MiB reserved for the run (was $have)"
else
	say "huge pages: $have reserved; runs that map huge pages need $want (vm.nr_hugepages): they are known failures (hugetlb)"
fi

cat > "$T/ioasidd.conf" <<EOF
[daemon]
socket = $T/sock
socket-mode = 0600
control-socket = $T/ctl
node =
log-level = info
EOF

# results TAP: one line per run, "pass NAME", "skip NAME" or "fail NAME",
# and a "lost N" line for the runs the plan announced that never reported
# (the program died or ran out of time).
results() {
	awk '
	/^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0 }
	/^ok [0-9]+ / {
		st = ($0 ~ / # [Ss][Kk][Ii][Pp]/) ? "skip" : "pass"
		print st, $3; seen++
	}
	/^not ok [0-9]+ / { print "fail", $4; seen++ }
	END { if (plan > seen) print "lost", plan - seen }' "$1"
}

# record_check SUITE TRACE: the recorded run (IOASIDD_SELFTEST_RECORD)
# validated against proto/trace-schema.json, then replayed against a
# fresh daemon of the suite with --keep-going; the divergences are
# counted by command and field into TRACE.replay and held against
# tests/selftest/replay-expected. Fails when the trace is not valid,
# could not be replayed, or diverged in a way or as often as not known.
record_check() {
	_py=$(trace_python) || { say "FAIL: no python3 with jsonschema"; return 1; }
	if ! "$_py" "$root/scripts/trace-validate.py" "$2" > "$2.valid" 2>&1
	then
		say "FAIL: $2 not valid against the schema:"
		head -n 5 "$2.valid"
		return 1
	fi
	say "$1 trace: $(tail -n 1 "$2.valid") valid, $(wc -c < "$2") bytes"
	rm -f "$T/sock"
	start_daemon "$T/ioasidd.conf" "$T/daemon.log" "$T/sock" \
	    -o uapi-level="$1" || { say "FAIL: no daemon to replay on"; return 1; }
	"$B/ioasidctl" replay --keep-going --socket "$T/sock" "$2" \
	    > "$2.replay" 2>&1
	_rc=$?
	stop_daemon TERM
	say "$1 $(tail -n 1 "$2.replay") (exit $_rc), by command and field:"
	sed -n 's/^[^ ]*: seq [0-9]*, \([A-Za-z0-9_]*\) on context [0-9]*: \(.*\) differs$/\1 \2/p' \
	    "$2.replay" | sort | uniq -c | sort -rn > "$T/seen"
	sed 's/^/    /' "$T/seen"
	[ $_rc -le 1 ] || { say "FAIL: $1 trace could not be replayed"; return 1; }
	# Each class seen must be known for the suite, and no more often.
	awk -v suite="$1" '
	NR == FNR {
		if ($0 !~ /^#/ && NF >= 4 && $1 == suite)
			max[$3 " " $4] = $2
		next
	}
	{
		k = $2 " " $3
		if (!(k in max)) {
			printf "selftest: FAIL: %s replay: %d x %s unknown\n", suite, $1, k
			bad = 1
		} else if ($1 > max[k]) {
			printf "selftest: FAIL: %s replay: %d x %s, at most %d known\n", suite, $1, k, max[k]
			bad = 1
		}
	}
	END { exit bad }' "$root/tests/selftest/replay-expected" "$T/seen"
}

bad=0
for s in "$@"; do
	for prog in iommufd iommufd_fail_nth; do
		bin=$B/selftest/$s/bin/$prog
		tap=$B/selftest/$s/$prog.tap
		res=$B/selftest/$s/$prog.results
		rm -f "$tap" "$res"
		if [ ! -x "$bin" ]; then
			say "FAIL: $bin is not built (make check-headers)"
			bad=1
			continue
		fi
		rm -f "$T/sock"
		# Each suite's kernel is the uAPI level its daemon answers as.
		if ! start_daemon "$T/ioasidd.conf" "$T/daemon.log" \
		    "$T/sock" -o uapi-level="$s"; then
			say "FAIL: the daemon did not start for $s $prog"
			cat "$T/daemon.log"
			bad=1
			continue
		fi
		start=$(date +%s)
		fnth=
		[ "$prog" = iommufd_fail_nth ] && fnth=1
		rec=
		case ${IOASIDD_SELFTEST_RECORD:-} in
		"" | 0) ;;
		1 | "$s")
			[ "$prog" = iommufd ] && rec=$B/selftest/$s/$prog.jsonl ;;
		esac
		if [ -n "$rec" ]; then
			(cd "$T" && env XDG_RUNTIME_DIR="$T" timeout "$LIMIT" \
			    "$B/ioasidctl" -s "$T/ctl" record -o "$rec" \
			    --socket "$T/sock" --preload "$LIBS" -- "$bin") \
			    > "$tap" 2>&1
		else
			(cd "$T" && env LD_PRELOAD="$LIBS" \
			    IOASIDD_SOCKET="$T/sock" IOASIDD_FAIL_NTH=$fnth \
			    XDG_RUNTIME_DIR="$T" timeout "$LIMIT" "$bin") \
			    > "$tap" 2>&1
		fi
		prc=$?
		secs=$(($(date +%s) - start))
		if [ $prc -eq 124 ]; then
			say "FAIL: $s $prog did not finish in ${LIMIT}s"
			bad=1
		fi
		if ! kill -0 "$PID" 2>/dev/null; then
			say "FAIL: the daemon did not survive $s $prog"
			bad=1
		fi
		if ! stop_daemon TERM; then
			say "FAIL: the daemon did not exit cleanly after $s $prog"
			bad=1
		fi
		cp "$T/daemon.log" "$B/selftest/$s/$prog.daemon.log"
		results "$tap" > "$res"
		say "$s $prog: exit $prc after ${secs}s, output in $tap"
		[ -z "$rec" ] || record_check "$s" "$rec" || bad=1
	done
done

# The same programs on the real kernel of each suite, in one guest boot.
if [ $oracle -eq 1 ]; then
	TOOLS=${ORACLE_TOOLS:-$root/../shared/tools}
	ODIR=${ORACLE_DIR:-/var/tmp/ioasidd-oracle/selftest}
	if [ ! -x "$TOOLS/oracle-run-guest.sh" ]; then
		say "FAIL: no oracle tools in $TOOLS (set ORACLE_TOOLS)"
		exit 1
	fi
	cat > "$T/guest.sh" <<'GUEST'
mount -t debugfs none /sys/kernel/debug
cd /tmp
for p in iommufd iommufd_fail_nth; do
	echo "=== begin $p"
	/t/$p
	echo "=== end $p"
done
GUEST
	for s in "$@"; do
		k=$ODIR/$s/bzImage
		if [ ! -e "$k" ]; then
			say "building the $s oracle kernel in $ODIR/$s"
			KVER=$s "$TOOLS/oracle-build-kernel.sh" "$ODIR/$s" \
			    >/dev/null || { say "FAIL: no $s kernel"; bad=1;
			    continue; }
		fi
		STATIC=1 KVER=$s "$root/tests/selftest/build.sh" \
		    "$B/selftest/$s" >/dev/null ||
		    { say "FAIL: no static $s programs"; bad=1; continue; }
		say "$s: running the selftest on the real kernel"
		rm -f "$B/selftest/$s"/oracle.*
		"$TOOLS/oracle-run-guest.sh" "$k" "$T/guest.sh" \
		    "$B/selftest/$s/static/iommufd" \
		    "$B/selftest/$s/static/iommufd_fail_nth" 2>&1 |
		    tr -d '\r' > "$B/selftest/$s/oracle.console"
		for prog in iommufd iommufd_fail_nth; do
			sed -n "/=== begin $prog\$/,/^=== end $prog\$/p" \
			    "$B/selftest/$s/oracle.console" \
			    > "$B/selftest/$s/oracle.$prog.tap"
			results "$B/selftest/$s/oracle.$prog.tap" \
			    > "$B/selftest/$s/oracle.$prog.results"
		done
	done
fi

# The table: per suite, program and fixture; with --oracle, the kernel's
# counts beside the daemon's.
echo
if [ $oracle -eq 1 ]; then
	printf '%-6s %-17s %-26s %5s %17s %17s\n' "" "" "" "" \
	    "---- ioasidd ----" "---- kernel -----"
fi
printf '%-6s %-17s %-26s %5s %5s %5s %5s' suite program fixture runs \
    pass skip fail
[ $oracle -eq 1 ] && printf ' %5s %5s %5s' pass skip fail
echo
for s in "$@"; do
	for prog in iommufd iommufd_fail_nth; do
		res=$B/selftest/$s/$prog.results
		[ -e "$res" ] || continue
		ores=/dev/null
		[ $oracle -eq 1 ] && ores=$B/selftest/$s/oracle.$prog.results
		[ -e "$ores" ] || ores=/dev/null
		awk -v s="$s" -v p="$prog" -v o="$oracle" '
		function row(f, n) {
			printf "%-6s %-17s %-26s %5d %5d %5d %5d", s, p, f,
			    n, c[0, "pass", f], c[0, "skip", f],
			    c[0, "fail", f]
			if (o)
				printf " %5d %5d %5d", c[1, "pass", f],
				    c[1, "skip", f], c[1, "fail", f]
			printf "\n"
		}
		FNR == 1 { src = (FILENAME == ARGV[1]) ? 0 : 1 }
		$1 == "lost" {
			c[src, "fail", "(never reported)"] += $2
			c[src, "fail", "TOTAL"] += $2
			if (src == 0)
				lost = $2
			next
		}
		{
			split($2, part, ".")
			f = part[1]
			if (src == 0 && !(f in runs))
				order[++nf] = f
			if (src == 0)
				runs[f]++
			c[src, $1, f]++
			c[src, $1, "TOTAL"]++
		}
		END {
			for (i = 1; i <= nf; i++)
				row(order[i], runs[order[i]])
			if (lost)
				row("(never reported)", lost)
			n = c[0, "pass", "TOTAL"] + c[0, "skip", "TOTAL"]
			row("TOTAL", n + c[0, "fail", "TOTAL"])
		}' "$res" "$ores"
	done
done
echo

# Floors, known failures.
for s in "$@"; do
	for prog in iommufd iommufd_fail_nth; do
		res=$B/selftest/$s/$prog.results
		[ -e "$res" ] || continue
		passed=$(awk '$1 == "pass" || $1 == "skip"' "$res" | wc -l)
		total=$(awk '$1 == "lost" { n += $2; next } { n++ }
		    END { print n + 0 }' "$res")
		floor=$(awk -v s="$s" -v p="$prog" \
		    '$1 == s && $2 == p { print $3 }' "$FLOORS")
		# The floors count the runs that map huge pages; without
		# them, those runs (listed as hugetlb) are not asked for.
		if [ -n "$floor" ] && [ "$HUGE_OK" -eq 0 ] &&
		    [ "$prog" = iommufd ]; then
			floor=$((floor - $(awk -v s="$s" \
			    '$1 == s && $3 == "hugetlb"' "$KNOWN" | wc -l)))
		fi
		if [ -z "$floor" ]; then
			say "FAIL: no floor for $s $prog in $FLOORS"
			bad=1
		elif [ "$passed" -lt "$floor" ]; then
			say "FAIL: $s $prog passes $passed of $total," \
			    "below its floor of $floor"
			bad=1
		elif [ "$passed" -gt "$floor" ]; then
			say "$s $prog passes $passed of $total, above its" \
			    "floor of $floor: raise it in $FLOORS"
		else
			say "$s $prog passes $passed of $total (floor $floor)"
		fi
		grep -q '^lost' "$res" && {
			say "FAIL: $s $prog: runs never reported, see" \
			    "$B/selftest/$s/$prog.tap"
			bad=1
		}
		# Failures nobody listed; listed runs that pass.
		awk -v s="$s" -v huge="$HUGE_OK" '
		FILENAME == ARGV[1] {
			# With huge pages reserved, their lack explains nothing.
			if ($1 == s && !(huge && $3 == "hugetlb"))
				known[$2] = $3
			next
		}
		$1 == "fail" && !($2 in known) {
			print "unlisted", $2
		}
		($1 == "pass" || $1 == "skip") && ($2 in known) {
			print "passes", $2
		}
		$1 == "fail" && ($2 in known) { print "known", known[$2] }
		' "$KNOWN" "$res" > "$T/cmp"
		while read -r what name; do
			case $what in
			unlisted)
				say "FAIL: $s $name fails and is not in" \
				    "$KNOWN (first complaint:" \
				    "$(sed -n "/RUN  *$name /,/ok [0-9]* $name\$/p" \
				    "$B/selftest/$s/$prog.tap" |
				    grep -m 1 -e ':[0-9]*:' -e Assertion)"
				bad=1 ;;
			passes)
				say "$s $name passes now: take it out of $KNOWN" ;;
			esac
		done < "$T/cmp"
		awk '$1 == "known" { n[$2]++ }
		    END { for (k in n) print n[k], k }' "$T/cmp" |
		    sort -rn | while read -r n key; do
			say "  $s $prog: $n known failures: $key:" \
			    "$(awk -v k="$key" '$1 == "reason" && $2 == k {
				$1 = $2 = ""; sub(/^  /, ""); print }' "$KNOWN")"
		done
	done
done

if [ $bad -ne 0 ]; then
	say "FAILED"
	exit 1
fi
say "OK"
