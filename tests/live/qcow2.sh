#!/bin/sh
# QEMU internal snapshots (qcow2) made at test time by every QEMU the suite can run:
# Debian 12's qemu-system-x86_64 7.2 and, from the cached chroots (tests/chroot.sh, run
# through tests/live/qemu-chroot.sh), trixie's 10.0 and sid's 11.1.  For each version
# (check names start with [VERSION]), under TCG (the KVM half of the proof needs
# /dev/kvm: a visible SKIP where there is none):
#  - the test guest (tests/guest, -cpu max,-mpx,-pku, 2 vCPUs) loads its pattern, QEMU
#    stops it and takes `savevm s1` into a small qcow2 (on 7.2 also one with extended L2
#    entries and 4-bit refcounts), then migrates the same state with `exec:cat`;
#  - every register of every vCPU of the snapshot reads as in that stream;
#  - filter --xcr0 0x7 --in-place rewrites the snapshot (XSTATE_BV set from the data),
#    changing bytes only in the snapshot's own vm state clusters; qemu-img check stays
#    clean; filter -o writes the same bytes into a copy;
#  - filter --in-place killed at each write (7.2's image, strace fault injection) leaves its
#    journal, which the next run rolls back;
#  - QEMU loads the filtered snapshot again (-loadvm s1) and migrates it: every register
#    as it was saved.
# Exit 77 (skipped) when no QEMU can be run here.  XSAVECTL_QEMU="7.2 10.0 11.1" picks
# the versions; XSAVECTL_KEEP=1 keeps the work directory.
# usage: XSAVECTL=... GUEST=... sh tests/live/qcow2.sh
set -u
: "${XSAVECTL:?}" "${GUEST:?}"
TAP_NAME="live qcow2"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tap.sh"
started=$(date +%s)
xs() { "$XSAVECTL" "$@"; }

if ! command -v qemu-img >/dev/null 2>&1 || ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	skip "qemu-img or qemu-system-x86_64 is not installed (apt-get install qemu-system-x86 qemu-utils)"
	exit 77
fi
work=$(mktemp -d)
trap '[ -n "${XSAVECTL_KEEP:-}" ] && echo "# kept $work" || rm -rf "$work"' EXIT
cd "$work" || exit 1
cp "$GUEST" guest.bin

# vm QCOW2 LOG [QEMU ARGS]: run $QEMU under TCG with the test guest's disk QCOW2, give the
# monitor $cmds once the guest is READY (or, with -loadvm, once it is loaded), then quit.
vm() {
	img=$1 log=$2
	shift 2
	rm -f mon.in con "$log"
	mkfifo mon.in
	# shellcheck disable=SC2086
	timeout 60 $QEMU -accel tcg -machine pc -cpu max,-mpx,-pku -smp 2 -m 32 -nodefaults \
		-display none -no-reboot -monitor stdio -debugcon file:con \
		-drive "if=none,id=d0,file=$img,format=qcow2" "$@" <mon.in >"$log" 2>&1 &
	pid=$!
	exec 3>mon.in
	i=0
	while [ $i -lt 300 ] && kill -0 $pid 2>/dev/null; do
		grep -q READY con 2>/dev/null && break
		case " $* " in *" -loadvm "*) printf 'info status\n' >&3
			grep -aq "VM status" "$log" && break ;; esac
		sleep 0.1
		i=$((i + 1))
	done
	printf '%s\n' "$cmds" >&3
	# A migration to exec:cat ends when its file is whole: wait for it before quitting.
	j=0
	while [ $j -lt 100 ]; do
		printf 'info migrate\n' >&3
		grep -aq "Migration status: \(completed\|failed\)" "$log" && break
		sleep 0.1
		j=$((j + 1))
	done
	printf 'quit\n' >&3
	exec 3>&-
	wait $pid
	st=$?
	rm -f mon.in
	[ $st = 0 ] && ! grep -aq "Error\|error:" "$log"
}

# The register lines of vCPU $2 of $1 (and of --snapshot $3 where given).
regs() {
	xs inspect -r --vcpu "$2" ${3:+--snapshot "$3"} "$1" | sed -n '/^  registers:/,$p'
}

# same_regs A B [SNAP]: every register of both vCPUs of A (snapshot SNAP) as in stream B.
same_regs() {
	for v in 0 1; do
		regs "$1" $v ${3:-} >ra.txt && regs "$2" $v >rb.txt && [ -s ra.txt ] &&
			cmp -s ra.txt rb.txt || { echo "# vcpu $v differs"; return 1; }
	done
}

# Every byte where $2 differs from $1 (cmp -l counts from 1) lies within 20 KiB after the
# file offset of one of $1's cpu sections (each lies in one cluster here).
only_in_cpu_sections() {
	xs inspect "$1" | awk '/^  offset:/ { print $2 }' | while read -r h; do echo $((h)); done \
		>cpus.dec
	cmp -l "$1" "$2" | awk 'NR == FNR { c[k++] = $1; next }
		{ o = $1 - 1; hit = 0
		  for (i = 0; i < k; i++) if (o >= c[i] && o < c[i] + 20480) hit = 1
		  if (!hit) bad++; seen++ }
		END { exit !(seen > 0 && !bad) }' cpus.dec -
}

# filter --in-place killed at each write (strace fault injection): the journal is left, the
# readers refuse the image, the next run rolls it back and filters it: the bytes of the copy.
crash_checks() {
	if ! command -v strace >/dev/null 2>&1 || ! strace -f -o /dev/null true 2>/dev/null; then
		skip "strace is not installed or cannot trace here: --in-place crash tests not run"
		return
	fi
	points="pwrite64:1 pwrite64:2 unlink:1"
	# (valgrind makes unlink calls of its own: that kill point would count them)
	[ "${VALGRIND:-}" = 1 ] && points="pwrite64:1 pwrite64:2"
	for point in $points; do
		cp orig.qcow2 k.qcow2
		strace -f -o /dev/null -e inject="${point%:*}:signal=KILL:when=${point#*:}" \
			"$XSAVECTL" filter --in-place --xcr0 0x7 k.qcow2 >/dev/null 2>&1
		st=$?
		check "$t killed at $point: journal left, readers refuse (exit 65)" \
			'[ $st = 137 ] && [ -e k.qcow2.xsavectl-journal ] &&
			 { xs inspect k.qcow2 >/dev/null 2>err.txt; [ $? = 65 ]; } && grep -q journal err.txt'
		check "$t killed at $point: the next --in-place rolls back, then filters (qemu-img check clean)" \
			'xs filter --in-place --xcr0 0x7 k.qcow2 >/dev/null 2>err.txt &&
			 grep -q "rolled back" err.txt && cmp -s k.qcow2 copy.qcow2 &&
			 [ ! -e k.qcow2.xsavectl-journal ] && qemu-img check -q k.qcow2'
	done
}

version_checks() {
	for opts in "" "extended_l2=on,refcount_bits=4"; do
		[ -n "$opts" ] && [ "$V" != 7.2 ] && continue
		t="[$V${opts:+ $opts}]"
		rm -f d.qcow2 ref.stream re.stream
		qemu-img create -q -f qcow2 ${opts:+-o "$opts"} d.qcow2 1M
		cmds='stop
savevm s1
migrate "exec:cat > ref.stream"'
		check "$t savevm s1 and migrate exec:cat under TCG" 'vm d.qcow2 save.log -kernel guest.bin'
		[ -s ref.stream ] || continue
		check "$t inspect lists snapshot s1 with 2 vCPUs" \
			'xs inspect -q d.qcow2 >q.txt && [ "$(grep -c "^d.qcow2 s1/vcpu[01]: xstate_bv 0x0 (none) not maintained (tcg), guest_xcr0 0x7," q.txt)" = 2 ]'
		check "$t every register of both vCPUs as in the stream QEMU migrated" 'same_regs d.qcow2 ref.stream s1'
		cp d.qcow2 orig.qcow2
		check "$t filter -o: a copy" 'xs filter --xcr0 0x7 -q -o copy.qcow2 d.qcow2 >/dev/null'
		check "$t filter --in-place rewrites the snapshot" 'xs filter --xcr0 0x7 -q --in-place d.qcow2 >/dev/null'
		check "$t the copy and the rewritten file are the same bytes" 'cmp -s copy.qcow2 d.qcow2'
		check "$t qemu-img check is clean after the rewrite" 'qemu-img check -q d.qcow2 && qemu-img check -q copy.qcow2'
		check "$t every byte changed lies in a cpu section (its first 20 KiB in the file)" \
			'only_in_cpu_sections orig.qcow2 d.qcow2'
		check "$t XSTATE_BV 0x7 set in both vCPUs" \
			'[ "$(xs inspect -q d.qcow2 | grep -c "xstate_bv 0x7 (x87 sse avx)")" = 2 ]'
		[ -z "$opts" ] && [ "$V" = 7.2 ] && crash_checks
		cmds='migrate "exec:cat > re.stream"'
		check "$t loadvm of the filtered snapshot under TCG, migrated again" \
			'vm d.qcow2 load.log -S -loadvm s1'
		check "$t after loadvm every register as saved" '[ -s re.stream ] && same_regs re.stream ref.stream'
	done
	if [ -c /dev/kvm ]; then
		skip "[$V] loadvm through KVM is not part of this suite yet"
	else
		skip "[$V] no /dev/kvm: the snapshots are not loaded through KVM here"
	fi
}

ran=0
for want in ${XSAVECTL_QEMU:-7.2 10.0 11.1}; do
	case $want in
	7.2) QEMU=qemu-system-x86_64 ;;
	10.0 | 11.1)
		name=trixie
		[ "$want" = 11.1 ] && name=sid
		if [ "$(id -u)" != 0 ]; then
			skip "QEMU $want: its chroot ($name) needs root"
			continue
		fi
		if ! dir=$(sh "$here/../chroot.sh" $name 2>"$work/chroot.err"); then
			skip "QEMU $want: tests/chroot.sh $name: $(tail -n 1 "$work/chroot.err")"
			continue
		fi
		QEMU="sh $here/qemu-chroot.sh $dir" ;;
	*) no "XSAVECTL_QEMU: unknown version '$want' (7.2, 10.0, 11.1)"; continue ;;
	esac
	full=$($QEMU --version 2>&1 | sed -n 's/^QEMU emulator version \([0-9][0-9.]*\).*/\1/p')
	V=${full%.*}
	check "QEMU $want runs (version ${full:-?})" '[ -n "$full" ] && [ "$V" = "$want" ]'
	[ -n "$full" ] || continue
	ran=1
	version_checks
done
echo "# live qcow2: $(($(date +%s) - started)) s"
[ $ran = 1 ] || { skip "no QEMU version could be run"; exit 77; }
tap_done
