#!/bin/sh
# Run every unit test, the CLI golden tests, the malformed-input catalogue and
# the live tests (real cores, this machine's host facts, KVM probe and KVM load of a relocated
# image, real QEMU streams
# of QEMU 7.2, 10.0 and 11.1 (XSAVECTL_QEMU, XSAVECTL_CHROOTS, XSAVECTL_QEMU_REQUIRE: see
# tests/live/qemu.sh), real libvirt save images, write faults); print one closing line
# "N passed, N failed" and exit non-zero
# when anything failed.  VALGRIND=1 runs every xsavectl under valgrind
# (memcheck; any error or definite leak fails the run, its report is shown).
# The suites run at once, JOBS of them (default: the CPUs, nproc), the costliest first;
# each suite's output is shown whole as soon as it has ended (so their order varies), and the
# closing count is of them all.  Every suite works in a temporary directory of its own
# (mktemp), and the live QEMU and libvirt suites keep their QEMUs and daemons in it (monitors
# on FIFOs, daemons in private mount namespaces: no port, socket or path is shared), so any
# # two can run side by side.  JOBS=1 runs them one after another, in the order of the list
# below.  TIMES=1 adds a line "# time NAME: S s" after each suite and the whole run's wall
# time at the end.
# Each suite runs under timeout(1): SUITE_TIMEOUT seconds (default 900, 3600 with VALGRIND=1),
# then TERM to its whole process group (its QEMUs and daemons stop on it), KILL 20 s later; a
# suite that ran out is "not ok - suite NAME timed out", never a hang.
# SUITE="cli malformed" runs only the suites it names (those of suite_run below; make
# check-NAME runs one); CASES (cli) and ONLY (malformed) narrow those two, as they do alone.
# usage: [VALGRIND=1] [JOBS=N] [TIMES=1] [SUITE=NAMES] tests/run.sh BUILD_DIR
set -u
build=${1:-build}
bin=$(cd "$build" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The lanes run in the background, where a ^C is ignored: an interrupt ends the whole process
# group (each suite stops its QEMUs and daemons on TERM).
stop() { trap '' INT TERM HUP; kill -TERM 0 2>/dev/null; exit 130; }
trap stop INT TERM HUP
status=0
xsavectl=$bin/xsavectl
if [ -n "${RUN_ONE_XSAVECTL:-}" ]; then	# one suite, run by a lane under timeout (below)
	xsavectl=$RUN_ONE_XSAVECTL
	[ "${VALGRIND:-}" = 1 ] && export SWEEP_SCALE=7
elif [ "${VALGRIND:-}" = 1 ]; then
	vg=$tmp/vg
	mkdir "$vg"
	# valgrind keeps its fake /proc/self/cmdline as $TMPDIR/valgrind_proc_PID_cmdline_X
	# until it exits, X from a seed the pids make: a run killed by a test
	# (faults.sh's kill points) leaves it behind, and a later run that gets the same pids
	# (a fresh machine hands them out the same way each time) finds the name taken and says
	# so on stderr, which a golden case compares.  The pid is the wrapper's own (exec keeps
	# it): no live process holds such a file, and the run's own debris goes at the end.
	touch "$vg/start"
	cat >"$vg/xsavectl" <<EOT
#!/bin/sh
rm -f "\${TMPDIR:-/tmp}"/valgrind_proc_\$\$_*
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
	--show-leak-kinds=definite \\
	--suppressions=$here/valgrind.supp \\
	--log-file="$vg/vg.%p.log" "$bin/xsavectl" "\$@"
EOT
	chmod +x "$vg/xsavectl"
	xsavectl=$vg/xsavectl
	export SWEEP_SCALE=7	# fewer truncation points: each run costs a valgrind start
fi
data=$here/data
fixtures=$(cd "$here/.." && cd ../shared/fixtures 2>/dev/null && pwd)

# The suites (JOBS=1 runs them in this order).
ALL="unit cli cli-verify inflate cores completion ansible install libxsave host hook probe
	relocate-kvm faults malformed live-qemu live-qcow2 live-libvirt live-criu live-relay
	live-libvirt-migrate"
# The same, costliest first: the order the lanes take them in (seconds of a plain run, one
# after another, on 2 CPUs: live-libvirt 280, live-qemu 115, malformed 80, cli-verify 36, cli 23,
# libxsave 11, inflate 9, hook 7, faults 6, install 5, cores 4, the rest 1 or less).
ORDER="live-libvirt live-qemu live-relay live-libvirt-migrate live-qcow2 malformed live-criu ansible cli-verify cli libxsave inflate hook faults install
	cores host relocate-kvm completion unit probe"

# suite_run NAME: run one suite (its output on stdout and stderr, its status returned).
suite_run() {
	case $1 in
	unit)
		st=0
		for t in "$bin"/tests/test_*; do "$t" || st=1; done
		return $st ;;
	cli)
		env XSAVECTL="$xsavectl" MKXSAVE="$bin/tests/mkxsave" MKSTREAM="$bin/tests/mkstream" \
			sh "$here/cli/run.sh" ;;
	cli-verify)	# the same golden cases on the walk (as --verify reads: compressed ones whole)
		env XSAVECTL_VERIFY=1 XSAVECTL="$xsavectl" MKXSAVE="$bin/tests/mkxsave" \
			MKSTREAM="$bin/tests/mkstream" sh "$here/cli/run.sh" ;;
	inflate)
		env XSAVECTL="$xsavectl" XSAVECTL_BIN="$bin/xsavectl" MKSTREAM="$bin/tests/mkstream" \
			sh "$here/live/inflate.sh" ;;
	cores)
		env XSAVECTL="$xsavectl" XSAVECTL_BIN="$bin/xsavectl" COREPAT="$bin/tests/corepat" \
			sh "$here/live/cores.sh" ;;
	completion) env XSAVECTL="$xsavectl" bash "$here/completion.sh" ;;
	ansible) env XSAVECTL="$xsavectl" sh "$here/ansible/run.sh" ;;
	install) sh "$here/install.sh" "$build" ;;
	libxsave) sh "$here/libxsave.sh" ;;
	host) env XSAVECTL="$xsavectl" sh "$here/live/host.sh" ;;
	hook) env XSAVECTL="$xsavectl" MKSTREAM="$bin/tests/mkstream" sh "$here/live/hook.sh" ;;
	probe) env XSAVECTL="$xsavectl" sh "$here/live/probe.sh" ;;
	relocate-kvm)
		env XSAVECTL="$xsavectl" MKXSAVE="$bin/tests/mkxsave" sh "$here/live/relocate-kvm.sh" ;;
	faults)
		env XSAVECTL="$xsavectl" MKSTREAM="$bin/tests/mkstream" DATA="$data" \
			sh "$here/live/faults.sh" ;;
	malformed)
		env XSAVECTL="$xsavectl" MKXSAVE="$bin/tests/mkxsave" MKSTREAM="$bin/tests/mkstream" \
			DATA="$data" sh "$here/malformed/run.sh" ;;
	live-qemu)	# QEMU 7.2 here, 10.0 and 11.1 from tests/chroot.sh's cached chroots, made on first use
		env XSAVECTL="$xsavectl" GUEST="$bin/tests/guest.bin" MKSTREAM="$bin/tests/mkstream" \
			FIXTURES="$fixtures" sh "$here/live/qemu.sh" ;;
	live-qcow2)	# QEMU internal snapshots by 7.2 here, 10.0 and 11.1 from the cached chroots
		env XSAVECTL="$xsavectl" GUEST="$bin/tests/guest.bin" sh "$here/live/qcow2.sh"
		st=$?
		[ $st = 77 ] && st=0	# skipped (its SKIP line says why)
		return $st ;;
	live-libvirt)
		env XSAVECTL="$xsavectl" GUEST="$bin/tests/guest.bin" sh "$here/live/libvirt.sh" ;;
	live-criu)	# CRIU 4.1 from the trixie chroot; 77: skipped (said)
		env XSAVECTL="$xsavectl" CRIU_REGS="$bin/tests/criu-regs" sh "$here/live/criu.sh"
		st=$?
		[ $st = 77 ] && return 0
		return $st ;;
	live-libvirt-migrate)	# two libvirtd 9.0 migrating, direct and through the relay
		env XSAVECTL="$xsavectl" GUEST="$bin/tests/guest.bin" sh "$here/live/libvirt-migrate.sh" ;;
	live-relay)	# live migrations through xsavectl relay (QEMU 7.2, 10.0, 11.1); 77: no QEMU
		env XSAVECTL="$xsavectl" GUEST="$bin/tests/guest.bin" sh "$here/live/relay.sh"
		st=$?
		[ $st = 77 ] && return 0
		return $st ;;
	*)	echo "not ok - tests/run.sh: no suite named '$1' ($(echo $KNOWN))"; return 1 ;;
	esac
}

if [ -n "${RUN_ONE:-}" ]; then
	suite_run "$RUN_ONE"
	exit
fi

now() { date +%s.%N; }
wanted() { [ -z "${SUITE:-}" ] || case " $(echo $SUITE) " in *" $1 "*) true ;; *) false ;; esac; }

# A lane takes the next suite no lane has taken (mkdir is the lock), runs it into its own log,
# leaves its status and time beside it, then names it on fd 3 (the FIFO the output loop reads).
lane() {
	for s in $ORDER; do
		wanted "$s" || continue
		mkdir "$tmp/$s.taken" 2>/dev/null || continue
		t0=$(now)
		RUN_ONE=$s RUN_ONE_XSAVECTL=$xsavectl timeout -k 20 "$limit" sh "$here/run.sh" "$build" \
			>"$tmp/$s.log" 2>&1 </dev/null 3>&-
		rc=$?
		if [ $rc = 124 ] || [ $rc = 137 ]; then
			echo "not ok - suite $s timed out after $limit s (SUITE_TIMEOUT)" >>"$tmp/$s.log"
		fi
		echo $rc >"$tmp/$s.rc"
		echo "$t0 $(now)" | awk '{ printf "%.1f\n", $2 - $1 }' >"$tmp/$s.time"
		echo "$s" >&3
	done
}

limit=${SUITE_TIMEOUT:-$([ "${VALGRIND:-}" = 1 ] && echo 3600 || echo 900)}
KNOWN=$ALL
if [ -n "${SUITE:-}" ]; then
	for s in $SUITE; do
		case " $(echo $ALL) " in *" $s "*) ;; *) ORDER="$ORDER $s" ALL="$ALL $s" ;; esac
	done
fi
jobs=${JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
[ "$jobs" = 1 ] && ORDER=$ALL
start=$(now)
mkfifo "$tmp/ended"
exec 3<>"$tmp/ended"
(
	i=0
	while [ "$i" -lt "$jobs" ]; do
		lane &
		i=$((i + 1))
	done
	wait
	echo - >&3	# every lane has ended
) &

# Show each suite as it ends: everything but its passing lines; keep all for the count.  (In
# the background too, so that the shell waits where a signal reaches its trap.)
show() {
	[ "$(cat "$tmp/$1.rc")" = 0 ] || : >"$tmp/failed"
	grep -v -E '^ok [0-9]+ - ' "$tmp/$1.log"
	cat "$tmp/$1.log" >>"$tmp/all"
	[ "${TIMES:-}" = 1 ] && echo "# time $1: $(cat "$tmp/$1.time") s"
	: >"$tmp/$1.shown"
}
: >"$tmp/all"
(
	while read -r s <&3 && [ "$s" != - ]; do
		show "$s"
	done
) &
wait $!
[ ! -e "$tmp/failed" ] || status=1
for s in $ALL; do	# (only where a lane was killed)
	wanted "$s" && [ ! -e "$tmp/$s.shown" ] &&
		{ echo "not ok - suite $s never ended" | tee -a "$tmp/all"; status=1; }
done
wait
pass=$(grep -c '^ok ' "$tmp/all")
fail=$(grep -c '^not ok ' "$tmp/all")
if [ -n "${vg:-}" ]; then
	find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'valgrind_proc_*' -newer "$vg/start" -user "$(id -u)" |
	while read -r f; do
		p=${f##*/valgrind_proc_}; p=${p%%_*}
		kill -0 "$p" 2>/dev/null || rm -f "$f"
	done
	reports=$(find "$vg" -name 'vg.*.log' -size +0 | wc -l)
	if [ "$reports" = 0 ]; then
		echo "ok - valgrind: no memcheck error or definite leak in any run"
		pass=$((pass + 1))
	else
		echo "not ok - valgrind: $reports runs reported errors:"
		find "$vg" -name 'vg.*.log' -size +0 -exec head -n 30 {} \; | sed 's/^/#   /'
		fail=$((fail + 1))
	fi
fi
[ "${TIMES:-}" = 1 ] && echo "# time all: $(echo "$start $(now)" | awk '{ printf "%.1f", $2 - $1 }') s on $jobs lanes"
echo "xsavectl tests: $pass passed, $fail failed"
[ "$status" = 0 ] && [ "$fail" = 0 ]
