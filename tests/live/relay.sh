#!/bin/sh
# xsavectl relay in real live migrations (issue 23, part 2), under TCG (a
# running source, a -incoming tcp: destination), for each QEMU the suite can
# run: Debian 12's qemu-system-x86_64 7.2 and, from the cached chroots of
# tests/chroot.sh (run through tests/live/qemu-chroot.sh), trixie's 10.0 and
# sid's 11.1.  The test guest (tests/guest) holds a known pattern in every
# vCPU's registers (-cpu max: guest XCR0 0x21f, PKRU 0x55555554; TCG leaves
# XSTATE_BV 0).  For each version (check names start with [VERSION]):
#  - the relay's rewrite on the wire: the main channel captured behind the
#    relay (--to a listener that keeps the bytes) has XSTATE_BV set from the data
#    on both vCPUs, loads as is on the target (check exit 0) and holds the pattern;
#  - live migrations through the relay, to a TCG destination that then
#    re-saves its state: with the return-path capability; with multifd (2
#    channels, passed through unparsed; the relay on a UNIX socket); with postcopy-preempt where the
#    version and this machine can run postcopy (userfaultfd): every register
#    of every vCPU arrives (the pattern), one line per migration and per vCPU
#    changed on the relay's stderr;
#  - a refusal (--xcr0 0x7: PKRU holds live data, MPX/PKRU in the guest XCR0):
#    the relay closes both sides before the stream's end, the destination fails
#    to load, and what the source does afterwards is recorded (its status and
#    its migration status): "# [V] source after a refusal: ..." lines.
# No /dev/kvm is needed: KVM destinations are qemu.sh's (the relay's rewrite is
# filter's, checked there on KVM).  A QEMU that cannot run here is a visible
# SKIP; with none at all the suite exits 77.  First, without QEMU, the relay between two
# peers played by relay-peers.py (a source that pauses, one that waits for the answer).
# XSAVECTL_QEMU picks versions ("none": the peers alone),
# XSAVECTL_CHROOTS the chroots, XSAVECTL_KEEP=1 keeps the work directory.
# usage: XSAVECTL=... GUEST=... sh tests/live/relay.sh
set -u
: "${XSAVECTL:?}" "${GUEST:?}"
TAP_NAME="live relay"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tap.sh"
started=$(date +%s)
xs() { "$XSAVECTL" "$@"; }
work=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	[ -n "${XSAVECTL_KEEP:-}" ] && echo "# kept $work" || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
cd "$work" || exit 1

# A TCP port nobody listens on (from a random start).
port() {
	p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
	while ss -ltn | grep -q ":$p "; do p=$((p + 1)); done
	echo $p
}

# listens PORT: wait (20 s) until something listens on PORT (a destination's migrate_incoming
# is asynchronous: a relay connecting before it would find nobody there).
listens() {
	command -v ss >/dev/null || { sleep 1; return 0; }
	i=0
	while [ $i -lt 200 ]; do
		ss -ltn | grep -q ":$1 " && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "# nothing listens on port $1 after 20 s"
	return 1
}

# mon NAME TEXT: a monitor command to VM NAME (its FIFO is open on fd 4 or 5).
mon() {
	case $1 in
	src) (trap '' PIPE; printf '%s\n' "$2" >&4) 2>/dev/null ;;
	dst) (trap '' PIPE; printf '%s\n' "$2" >&5) 2>/dev/null ;;
	esac
}

# start NAME INCOMING CPU [QEMU ARGS]: QEMU in the background with HMP on NAME.in
# (its output in NAME.log): INCOMING "-" boots the test guest and waits for READY,
# else -incoming INCOMING.  2 vCPUs, 64 MiB unless the arguments say otherwise.
start() {
	vmn=$1 inc=$2 cpu=$3
	shift 3
	rm -f "$vmn.in" "$vmn.log" "$vmn.con"
	mkfifo "$vmn.in"
	if [ "$inc" = - ]; then
		set -- -kernel guest.bin -debugcon "file:$vmn.con" "$@"
	else
		set -- -incoming "$inc" "$@"
	fi
	# shellcheck disable=SC2086
	timeout -k 10 150 $QEMU -accel tcg -machine pc -cpu "$cpu" -smp 2 -m "${MEM:-64}" -nodefaults \
		-display none -no-reboot -monitor stdio "$@" <"$vmn.in" >"$vmn.log" 2>&1 &
	eval "${vmn}_pid=$!"
	pids="$pids $!"
	if [ "$vmn" = src ]; then exec 4>"$vmn.in"; else exec 5>"$vmn.in"; fi
	[ "$inc" = - ] || return 0
	i=0
	while [ $i -lt 600 ]; do
		grep -q READY "$vmn.con" 2>/dev/null && return 0
		kill -0 "$(eval echo \$${vmn}_pid)" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# stop NAME: quit VM NAME and wait for it (its exit status in NAME_st).
stop() {
	mon "$1" quit
	if [ "$1" = src ]; then exec 4>&-; else exec 5>&-; fi
	wait "$(eval echo \$${1}_pid)"
	eval "${1}_st=$?"
}

# ask NAME CMD PATTERN: send CMD and wait (15 s) for one more line matching PATTERN
# in NAME.log; that line on stdout.
ask() {
	before=$(grep -ac "$3" "$1.log")
	mon "$1" "$2"
	i=0
	while [ $i -lt 150 ] && kill -0 "$(eval echo \$${1}_pid)" 2>/dev/null; do
		now=$(grep -ac "$3" "$1.log")
		[ "$now" -gt "$before" ] && { grep -a "$3" "$1.log" | tail -n 1; return 0; }
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
status() { ask "$1" "info status" "VM status" | sed 's/.*VM status: *//; s/\r//'; }
# (11.1 says "Status:", earlier versions "Migration status:")
migstatus() {
	ask "$1" "info migrate" "Migration status:\|^Status:" | sed 's/.*[Ss]tatus:[[:space:]]*//; s/\r//'
}

# wait_migrated NAME: wait (60 s) until the source's migration is no longer active.
wait_migrated() {
	i=0
	while [ $i -lt 300 ]; do
		st=$(migstatus "$1") || break
		case $st in completed | failed* | cancelled) echo "$st"; return 0 ;; esac
		sleep 0.2
		i=$((i + 1))
	done
	echo "${st:-none}"
	return 1
}

# Expected register $2 (xmm|ymm) $3 of vCPU $1, most significant byte first (qemu.sh's).
expect() {
	awk -v k="$1" -v i="$3" -v w="$([ "$2" = ymm ] && echo 32 || echo 16)" 'BEGIN {
		s = "0x"; for (j = w - 1; j >= 0; j--) s = s sprintf("%02x", (i * 37 + j * 3 + 1 + 64 * k) % 256)
		print s }'
}

# pattern_ok FILE VCPU: every YMM register of VCPU in FILE holds the pattern, MXCSR, x87, PKRU.
pattern_ok() {
	xs inspect -r --vcpu "$2" "$1" >regs.txt || return 1
	for i in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		grep -q "^    ymm$i: *$(expect "$2" ymm $i)\$" regs.txt || { echo "# vcpu $2 ymm$i"; return 1; }
	done
	grep -q '^    mxcsr: *0x00009fc0 ' regs.txt && grep -q '^    st6: *0x4000c90fdaa22168c235 ' regs.txt &&
		grep -q '^    pkru: *0x55555554' regs.txt
}

# relay_start LOG ARGS...: xsavectl relay in the background, listening on $rport.
relay_start() {
	log=$1
	shift
	lis=127.0.0.1:$rport
	[ -n "${via_unix:-}" ] && lis=unix:relay.sock	# (relative: the chroots' QEMU sees it too)
	"$XSAVECTL" relay --listen "$lis" "$@" 2>"$log" &
	relay_pid=$!
	pids="$pids $!"
	i=0
	while [ $i -lt 400 ] && ! grep -q listening "$log" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
	grep -q listening "$log"
}
# relay_wait: the relay's exit status, waited for 60 s at most; a relay still running then
# is shown (its log, its threads' stacks where gdb is installed, its sockets), killed, and
# its status is 124.
relay_wait() {
	i=0
	while [ $i -lt 600 ] && kill -0 "$relay_pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	if kill -0 "$relay_pid" 2>/dev/null; then
		echo "# [$V] the relay has not exited 60 s after the migration's end: $log"
		sed 's/^/#   /' "$log"
		ss -tnpa 2>/dev/null | grep "pid=$relay_pid," | sed 's/^/#   /'
		command -v gdb >/dev/null &&
			gdb -batch -p "$relay_pid" -ex "thread apply all bt" 2>&1 | grep '^#\|^Thread' | sed 's/^/#   /'
		kill -9 "$relay_pid"
		wait "$relay_pid" 2>/dev/null
		return 124
	fi
	wait "$relay_pid"
}
relay_stop() {
	kill "$relay_pid" 2>/dev/null
	wait "$relay_pid" 2>/dev/null
	return 0
}

c() { check "[$V] $1" "$2"; }

# caps NAME CAPS...: migration capabilities on, then PARAMS (set by the caller in $params).
caps() {
	cvm=$1
	shift
	for cap; do mon "$cvm" "migrate_set_capability $cap on"; done
	for prm in $params; do mon "$cvm" "migrate_set_parameter ${prm%=*} ${prm#*=}"; done
}

# live NAME CAPS: migrate the running test guest through the relay (--xcr0 0x21f) to a TCG
# destination with capabilities CAPS ($params: parameters, both sides; $post: a command to
# the source once the migration runs), then re-save the destination to NAME.bin.
live() {
	ln=$1 caps_=$2
	dport=$(port) rport=$(port)
	relay_start "$ln.relay" --once --xcr0 0x21f --to "127.0.0.1:$dport" || return 1
	uri=tcp:127.0.0.1:$rport
	[ -n "${via_unix:-}" ] && uri=unix:relay.sock
	start dst "defer" max || return 1
	# shellcheck disable=SC2086
	caps dst $caps_
	mon dst "migrate_incoming tcp:127.0.0.1:$dport"
	listens "$dport"
	start src - max || return 1
	# shellcheck disable=SC2086
	caps src $caps_
	mon src "migrate -d $uri"
	[ -n "${post:-}" ] && mon src "$post"	# at once: in the setup phase already
	res=$(wait_migrated src)
	echo "$res" >"$ln.res"
	i=0
	while [ $i -lt 100 ] && [ "$(status dst)" != running ]; do sleep 0.1; i=$((i + 1)); done
	mon dst stop
	rev=
	for cap in $caps_; do rev="$cap $rev"; done	# (postcopy-preempt off before postcopy-ram)
	for cap in $rev; do mon dst "migrate_set_capability $cap off"; done	# exec: has one channel
	mon dst "migrate \"exec:cat > $ln.bin\""
	sleep 1
	wait_migrated dst >/dev/null
	stop src
	stop dst
	relay_wait
	echo $? >"$ln.rrc"
	[ "$res" = completed ]
}

version_checks() {
	mkdir "$work/$V" && cd "$work/$V" || return
	cp "$GUEST" guest.bin
	params=
	post=
	c "through the relay, return-path on: the migration completes, relay exits 0 (--once)" \
		'live rp return-path && [ "$(cat rp.rrc)" = 0 ]'
	c "return-path: the destination re-saves every register of both vCPUs" \
		'pattern_ok rp.bin 0 && pattern_ok rp.bin 1'
	c "return-path: one line per vCPU changed (XSTATE_BV set from the data) and one for the migration" \
		'[ "$(grep -c "migration 1: vCPU [01]: xstate_bv 0x0 -> " rp.relay)" = 2 ] &&
		 grep -q "migration 1 from .*: passed on to .*: 2 vCPUs, 2 changed" rp.relay'
	params="multifd-channels=2" via_unix=1
	c "through the relay on a UNIX socket with multifd (2 channels): completes, the channels pass unparsed" \
		'live mfd multifd && [ "$(cat mfd.rrc)" = 0 ] && grep -q "2 multifd and 0 other channels" mfd.relay &&
		 [ ! -e relay.sock ]'
	via_unix=
	c "multifd: every register of both vCPUs arrives" 'pattern_ok mfd.bin 0 && pattern_ok mfd.bin 1'
	params=
	postcopy_checks
	refusal_checks
}

# postcopy-preempt: postcopy started at once (the guest's RAM would otherwise be sent
# before it); the preempt channel passes through unparsed.  Postcopy needs userfaultfd
# on the destination: where QEMU cannot have it, a visible SKIP.
postcopy_checks() {
	post=migrate_start_postcopy params="max-bandwidth=200000 downtime-limit=1"	# no precopy end
	live pc "postcopy-ram postcopy-preempt"
	# A known intermittent failure, not understood yet: through the relay, QEMU 11.1's
	# destination now and then fails in postcopy reading the main channel ("loadvm failed
	# during postcopy: -1: Failed to load VM process command: stream error: -1"; the source:
	# "Sibling indicated error 1"): 2 of 30 migrations here, none of 30 direct.  Such a
	# failure is shown and the migration run once more; a second failure fails the check.
	if [ "$(cat pc.res)" != completed ] && grep -aq "loadvm failed during postcopy" dst.log; then
		echo "# [$V] postcopy-preempt: $(cat pc.res); relay: $(tail -n 1 pc.relay)"
		grep -a "qemu-system-x86_64: " src.log dst.log | tr -d "\r" | tail -n 4 | sed "s/^/#   /"
		echo "# [$V] postcopy-preempt: the known intermittent failure (above): run once more"
		live pc "postcopy-ram postcopy-preempt"
	fi
	post= params=
	cp src.log pc-src.log
	cp dst.log pc-dst.log
	if grep -qai "userfault\|postcopy.*not\|Postcopy is not supported" dst.log src.log; then
		skip "[$V] postcopy-preempt not run: $(grep -ai -m1 "userfault\|postcopy" dst.log src.log)"
		return
	fi
	c "through the relay with postcopy-preempt: completes, the preempt channel passes unparsed" \
		'{ [ "$(cat pc.res)" = completed ] && [ "$(cat pc.rrc)" = 0 ] &&
		   grep -q "0 multifd and 1 other channel" pc.relay; } ||
		 { echo "# $(cat pc.res), relay exit $(cat pc.rrc): $(tail -n 1 pc.relay)"
		   grep -a "qemu-system-x86_64: " pc-src.log pc-dst.log | tr -d "\r" | tail -n 6 | sed "s/^/#   /"
		   false; }'
	c "postcopy-preempt: every register of both vCPUs arrives" \
		'pattern_ok pc.bin 0 && pattern_ok pc.bin 1'
}

# A refusal (--xcr0 0x7: PKRU holds live data): both sides closed before the stream's end;
# the destination fails to load; the source's status and migration status afterwards,
# without the return path ($1 "") and with it ($1 return-path).
refusal() {
	dport=$(port) rport=$(port) tag=${1:-plain}
	relay_start "no-$tag.relay" --once --xcr0 0x7 --to "127.0.0.1:$dport" ||
		echo "# [$V] the relay did not start: $(cat "no-$tag.relay")"
	start dst "defer" max
	[ -n "$1" ] && caps dst "$1"
	mon dst "migrate_incoming tcp:127.0.0.1:$dport"
	listens "$dport"
	start src - max
	[ -n "$1" ] && caps src "$1"
	mon src "migrate -d tcp:127.0.0.1:$rport"
	res=$(wait_migrated src)
	relay_wait
	rrc=$?
	sleep 0.5
	sst=$(status src)
	dstatus=exited
	kill -0 "$dst_pid" 2>/dev/null && dalive=yes dstatus=$(status dst) || dalive=no
	stop src
	stop dst
	echo "# [$V] source after a refusal ($tag): VM status '$sst', migration status '$res';" \
		"the destination $([ $dalive = yes ] && echo "stays up, VM status '$dstatus'" || echo "exited $dst_st"):" \
		"$(grep -a -m1 'error while\|load of migration failed' dst.log | sed 's/.*qemu-system-x86_64: //' | tr -d '\r')"
}

refusal_checks() {
	refusal ""
	c "a refusal: relay exits 1 naming vCPU 0 and PKRU, every channel closed before the end" \
		'[ $rrc = 1 ] && grep -q "migration 1 from .*: refused: vCPU 0: pkru holds live guest data" no-plain.relay &&
		 grep -q "every channel closed at byte" no-plain.relay'
	c "a refusal without the return path: the destination does not load the stream (it fails)" \
		'{ [ $dalive = no ] && [ "$dst_st" != 0 ]; } || { [ $dalive = yes ] && [ "$dstatus" != running ]; }'
	plain_res=$res plain_sst=$sst
	c "a refusal without the return path: the source cannot tell (its status recorded above)" \
		'[ -n "$plain_res" ] && [ -n "$plain_sst" ]'
	refusal return-path
	c "a refusal with the return path: the source's migration fails and the guest runs on there" \
		'[ $rrc = 1 ] && [ "${res%% *}" = failed ] && [ "$sst" = running ] && [ "$dstatus" != running ]'
}

# The relay between two peers that relay-peers.py plays, no QEMU: a real QEMU 7.2 stream
# (tests/data) from a source that, like one with the return path, keeps its connection open
# until the destination's answer comes back.  The destination must get exactly what
# filter -o writes of the same stream, and the relay must end the walk without the source's
# EOF: with the vmdesc, without it (the last footer and the EOF byte, then a quiet source),
# and neither a pause after a zero page's fill byte (0x00, mid-RAM), nor one after a 0x00 in
# a device section's header, nor one between the EOF byte and the vmdesc may end or cut the
# stream.
peer_checks() {
	mkdir "$work/peers" && cd "$work/peers" || return
	V=peers
	xz -dc "$here/../data/qemu-7.2-tcg-exec-xz.xz" >s.bin
	# offsets: the first zero page's end (two zero-page records in a row: be64 page
	# address | 0x22, ZERO|CONTINUE, then the fill byte), and the EOF byte before the vmdesc
	offs=$(python3 -c '
import re, sys
d = open("s.bin", "rb").read()
z = re.search(rb"[\x00-\xff]{6}[\x00\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xb0\xc0\xd0\xe0\xf0]\x22\x00" * 2, d, re.S)
e = [i for i in range(len(d) - 7, 0, -1) if d[i:i + 2] == b"\x00\x06" and d[i + 6] == 0x7b and
     int.from_bytes(d[i + 2:i + 6], "big") == len(d) - i - 6][0]
t = d.index(b"\x05timer") + 7	# in the timer section header, after the first 0x00 of its instance id
# a normal page (PAGE|CONTINUE, 0x28) of the first 4 GiB: two bytes of its data set so that
# what is held at a pause 100 bytes into it ends like a stream: a footer (0x7e, 4 bytes), 0x00
p = re.search(rb"\x00{4}[\x00-\xff]{2}[\x00\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xb0\xc0\xd0\xe0\xf0]\x28", d, re.S).start() + 8 + 100
m = bytearray(d)
m[p - 6], m[p - 1] = 0x7e, 0
open("page.bin", "wb").write(m)
print(z.start() + 9, t, p, e)')
	set -- $offs
	zpage=$1 dhead=$2 ppage=$3 eof=$4
	head -c $((eof + 1)) s.bin >nov.bin
	xs filter --xcr0 0x21f -o want.bin s.bin >/dev/null && xs filter --xcr0 0x21f -o nov-want.bin nov.bin >/dev/null &&
		xs filter --xcr0 0x21f -o page-want.bin page.bin >/dev/null
	for t in "whole s.bin want.bin 0" "nov nov.bin nov-want.bin 0" "zpause s.bin want.bin $zpage" \
		"ppause page.bin page-want.bin $ppage" "dpause nov.bin nov-want.bin $dhead" \
		"eofpause s.bin want.bin $((eof + 1))"; do
		set -- $t
		dport=$(port) rport=$(port)
		relay_start "$1.relay" --once --xcr0 0x21f --to "127.0.0.1:$dport" ||
			echo "# the relay did not start: $(cat "$1.relay")"
		python3 "$here/relay-peers.py" "$2" "$rport" "$dport" "$1.out" "$4" >"$1.peers" 2>&1
		relay_wait
		echo $? >"$1.rrc"
		cp "$3" "$1.want"
	done
	dport=$(port) rport=$(port)
	relay_start down.relay --once --xcr0 0x21f --to "127.0.0.1:$dport"
	python3 -c "import socket; s = socket.create_connection(('127.0.0.1', $rport)); s.sendall(b'QEVM'); s.recv(1)" 2>/dev/null
	relay_wait
	echo $? >down.rrc
	check "peers: --once and a destination nobody listens on: the relay exits 74, naming it" \
		'[ "$(cat down.rrc)" = 74 ] && grep -q "127.0.0.1:$dport.: cannot connect" down.relay'
	check "peers: a source waiting for the answer, vmdesc at the end: the walk ends, the bytes are filter's" \
		'[ "$(cat whole.peers)" = answered ] && [ "$(cat whole.rrc)" = 0 ] && cmp -s whole.out whole.want'
	check "peers: no vmdesc (the EOF byte, a quiet source): the walk ends, the bytes are filter's" \
		'[ "$(cat nov.peers)" = answered ] && [ "$(cat nov.rrc)" = 0 ] && cmp -s nov.out nov.want'
	check "peers: the source pauses 1 s after a zero page's fill byte (0x$(printf %x "$zpage")): not the end" \
		'[ "$(cat zpause.peers)" = answered ] && [ "$(cat zpause.rrc)" = 0 ] && cmp -s zpause.out zpause.want' ||
		sed 's/^/#   /' zpause.relay zpause.peers
	check "peers: a 1 s pause inside a RAM page whose bytes there end like a stream (7e ... 00; synthetic: 2 bytes set): not the end" \
		'[ "$(cat ppause.peers)" = answered ] && [ "$(cat ppause.rrc)" = 0 ] && cmp -s ppause.out ppause.want' ||
		sed 's/^/#   /' ppause.relay ppause.peers
	check "peers: no vmdesc, a 1 s pause in a device section's header after a 0x00 (0x$(printf %x "$dhead")): not the end" \
		'[ "$(cat dpause.peers)" = answered ] && [ "$(cat dpause.rrc)" = 0 ] && cmp -s dpause.out dpause.want' ||
		sed 's/^/#   /' dpause.relay dpause.peers
	check "peers: the source pauses 1 s between the EOF byte and the vmdesc: the vmdesc passes on too" \
		'[ "$(cat eofpause.peers)" = answered ] && [ "$(cat eofpause.rrc)" = 0 ] && cmp -s eofpause.out eofpause.want' ||
		sed 's/^/#   /' eofpause.relay eofpause.peers
	cd "$work" || exit 1
}
if command -v python3 >/dev/null && command -v xz >/dev/null; then
	peer_checks
else
	skip "peers: not run (python3 and xz are needed)"
fi

versions=0
for want in ${XSAVECTL_QEMU:-7.2 10.0 11.1}; do
	case $want in
	7.2) if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
			skip "QEMU 7.2 not run: qemu-system-x86_64 is not installed"
			continue
		fi
		QEMU=qemu-system-x86_64 from="the system's qemu-system-x86_64" ;;
	10.0 | 11.1)
		name=trixie
		[ "$want" = 11.1 ] && name=sid
		if [ "$(id -u)" != 0 ]; then
			skip "QEMU $want not run: its chroot ($name) needs root"
			continue
		fi
		if ! dir=$(sh "$here/../chroot.sh" $name 2>"$work/chroot.err"); then
			skip "QEMU $want not run: tests/chroot.sh $name: $(tail -n 1 "$work/chroot.err")"
			continue
		fi
		QEMU="sh $here/qemu-chroot.sh $dir" from="$dir" ;;
	none) continue ;;	# the peers' checks alone
	*) no "XSAVECTL_QEMU: unknown version '$want' (7.2, 10.0, 11.1, none)"; continue ;;
	esac
	full=$($QEMU --version 2>&1 | sed -n 's/^QEMU emulator version \([0-9][0-9.]*\).*/\1/p')
	V=${full%.*}
	check "QEMU $want: $from runs (version ${full:-?})" '[ -n "$full" ] && [ "$V" = "$want" ]'
	[ -n "$full" ] || continue
	versions=$((versions + 1))
	t0=$(date +%s)
	version_checks
	cd "$work" || exit 1
	echo "# QEMU $full: $(($(date +%s) - t0)) s"
done
echo "# live relay: $(($(date +%s) - started)) s"
if [ $versions = 0 ] && [ $fail = 0 ]; then
	skip "no QEMU could be run: nothing checked"
	exit 77
fi
tap_done
