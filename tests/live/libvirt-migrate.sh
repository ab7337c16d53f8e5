#!/bin/sh
# A real libvirt live migration between two libvirt daemons on this one machine,
# direct and through xsavectl relay (issue 23, part 2).  Two of Debian 12's
# libvirtd 9.0 (QEMU 7.2), each run by hand in its own private mount namespace
# (unshare -m) whose /etc/libvirt, /run/libvirt, /var/lib/libvirt,
# /var/cache/libvirt and /var/log/libvirt are this suite's own directories (as
# tests/live/libvirt.sh runs one), with a host_uuid of its own in libvirtd.conf
# (libvirt refuses a migration to the host it comes from).  virsh reaches each
# daemon on its socket (qemu+unix:///system?socket=...), from outside the
# namespaces, and drives the migration (and with --p2p, the source daemon does).
# The domain is TCG (no /dev/kvm needed): the test guest (tests/guest) holds a
# known pattern in every register of its 2 vCPUs (<cpu mode='maximum'>: guest
# XCR0 0x21f, PKRU 0x55555554), and TCG leaves XSTATE_BV 0 in the migrated state.
#  - direct: virsh migrate --live DOM DST --migrateuri tcp://127.0.0.1:PORT
#    --listen-address 127.0.0.1: the domain runs on the destination, not on the
#    source; saved there (virsh save), every register of both vCPUs is the
#    source's, XSTATE_BV still 0;
#  - through the relay: the destination's QEMU listens on 127.0.0.1:PORT
#    (--listen-address, the port of --migrateuri); xsavectl relay --once
#    --xcr0 host (0x21f where this host lacks MPX or PKRU) listens on
#    127.0.0.2:PORT (standing for the destination's own address) and forwards
#    to it; the source is sent to --migrateuri tcp://127.0.0.2:PORT.  The domain
#    runs on the destination, the relay wrote one line per vCPU (xstate_bv 0x0
#    -> 0x207) and one for the migration, and the destination's save equals the
#    source's save of the same guest in every register (xsavectl diff --all),
#    XSTATE_BV set.  Plain, with --postcopy, with --parallel
#    --parallel-connections 2 (multifd) and with --p2p;
#  - a refusal (the relay with --xcr0 0x7: PKRU holds live data): the migration
#    fails, the domain keeps running on the source with its state, and is not
#    on the destination.
# The migration capabilities libvirt sets in each QEMU (its QMP commands, logged)
# are shown and checked: the return path (libvirt 9.0 turns it on itself, and the
# relay passes the destination's replies back), postcopy-ram, multifd.
# Not root, no libvirtd, no unshare/nsenter: a visible SKIP line.
# About 75 s here (2 CPUs), so not in make check: make check-live-libvirt-migrate.
# XSAVECTL_LVMIG_QUICK=1: only the plain migration through the relay (about 45 s);
# XSAVECTL_KEEP=1 keeps the work directory (the daemons' logs, the saved images).
# usage: XSAVECTL=... GUEST=... sh tests/live/libvirt-migrate.sh
set -u
: "${XSAVECTL:?}" "${GUEST:?}"
TAP_NAME="live libvirt migrate"
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/tap.sh"
started=$(date +%s)

xs() { "$XSAVECTL" "$@"; }
NAME=xs-migrate
work=$(mktemp -d /tmp/xsavectl-lvmig.XXXXXX)
pid_a='' pid_b='' relay_pid=''

# lv_stop DIR PID: every QEMU of the daemon's domains (its pid files), then the daemon, by pid.
lv_stop() {
	[ -n "$2" ] || return 0
	for f in "$1"/run/libvirt/qemu/*.pid; do
		[ -f "$f" ] || continue
		p=$(cat "$f" 2>/dev/null)
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null
	done
	kill "$2" 2>/dev/null
	i=0
	while kill -0 "$2" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$2" 2>/dev/null
	wait "$2" 2>/dev/null
}
cleanup() {
	[ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null
	lv_stop "$work/a" "$pid_a"
	lv_stop "$work/b" "$pid_b"
	pid_a='' pid_b=''
	[ -n "$work" ] || return 0
	if [ -n "${XSAVECTL_KEEP:-}" ]; then echo "# kept $work"; else rm -rf "$work"; fi
	work=
}
finish() { cleanup; tap_done; exit; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$work" || exit 1

if [ "$(id -u)" != 0 ]; then
	skip "not root: libvirtd cannot be started here"
	finish
fi
for t in unshare nsenter libvirtd virsh; do
	command -v $t >/dev/null 2>&1 || { skip "$t is missing"; finish; }
done
if ! unshare -m --propagation private sh -c "mount --bind '$work' '$work'" 2>/dev/null; then
	skip "no private mount namespace with bind mounts here (unshare -m): the daemons cannot run"
	finish
fi

# lv_start DIR UUID: a libvirtd 9.0 whose own directories are under DIR, host UUID UUID;
# its pid in $lv_pid.  The domain's files are in $work, which both daemons see.
lv_start() {
	d=$1
	mkdir -p "$d/etc" "$d/run/libvirt" "$d/lib" "$d/cache" "$d/log"
	cat >"$d/etc/qemu.conf" <<EOF
user = "+0"
group = "+0"
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
EOF
	# The QMP commands in its log: the migration capabilities libvirt sets (caps below).
	cat >"$d/etc/libvirtd.conf" <<EOF
host_uuid = "$2"
log_filters = "1:qemu.qemu_monitor"
log_outputs = "1:file:/var/log/libvirt/libvirtd.log"
EOF
	mkdir -p /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt
	unshare -m --propagation private sh -c "mount --bind $d/etc /etc/libvirt &&
		mount --bind $d/run/libvirt /run/libvirt && mount --bind $d/lib /var/lib/libvirt &&
		mount --bind $d/cache /var/cache/libvirt && mount --bind $d/log /var/log/libvirt &&
		exec /usr/sbin/libvirtd --pid-file /run/libvirt/libvirtd.pid" >>"$d/daemon.log" 2>&1 &
	lv_pid=$!
	i=0
	while [ $i -lt 300 ]; do
		[ -S "$d/run/libvirt/libvirt-sock" ] &&
			virsh -q -c "qemu+unix:///system?socket=$d/run/libvirt/libvirt-sock" version \
				>/dev/null 2>&1 && return 0
		kill -0 "$lv_pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "# libvirtd ($d) did not start:"; tail -n 5 "$d/daemon.log" | sed 's/^/#   /'
	lv_stop "$d" "$lv_pid"
	return 1
}

URI_A="qemu+unix:///system?socket=$work/a/run/libvirt/libvirt-sock"
URI_B="qemu+unix:///system?socket=$work/b/run/libvirt/libvirt-sock"
A() { virsh -q -c "$URI_A" "$@"; }
B() { virsh -q -c "$URI_B" "$@"; }
state() { virsh -q -c "$1" domstate "$2" 2>/dev/null | head -n 1; }

# A TCP port nobody listens on (from a random start), on any address.
port() {
	p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
	while ss -ltn | grep -q ":$p "; do p=$((p + 1)); done
	echo $p
}

cp "$GUEST" "$work/guest.bin"
cat >"$work/dom.xml" <<EOF
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$NAME</name>
  <memory unit='MiB'>64</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>$work/guest.bin</kernel></os>
  <cpu mode='maximum'/>
  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices>
  <qemu:commandline><qemu:arg value='-debugcon'/><qemu:arg value='file:$work/con'/></qemu:commandline>
</domain>
EOF

# boot: start the domain on the source and wait for the guest's READY.
boot() {
	A destroy "$NAME" >/dev/null 2>&1
	rm -f "$work/con"
	A create "$work/dom.xml" >/dev/null || return 1
	i=0
	while [ $i -lt 600 ]; do
		grep -q READY "$work/con" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Expected register $2 (xmm|ymm) $3 of vCPU $1 (tests/guest/guest.S), most significant byte first.
expect() {
	awk -v k="$1" -v i="$3" -v w="$([ "$2" = ymm ] && echo 32 || echo 16)" 'BEGIN {
		s = "0x"; for (j = w - 1; j >= 0; j--) s = s sprintf("%02x", (i * 37 + j * 3 + 1 + 64 * k) % 256)
		print s }'
}
# Every vector register of both vCPUs in $1 holds the guest's pattern, with MXCSR, x87, PKRU.
pattern_all() {
	for k in 0 1; do
		xs inspect -r --vcpu $k "$1" >regs.txt || return 1
		for i in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
			grep -q "^    ymm$i: *$(expect $k ymm $i)\$" regs.txt ||
				{ echo "# $1: vcpu $k ymm$i"; return 1; }
		done
		grep -q '^    mxcsr: *0x00009fc0 ' regs.txt &&
			grep -q '^    st0: *0x3fff8000000000000000 ' regs.txt &&
			grep -q '^    st6: *0x4000c90fdaa22168c235 ' regs.txt &&
			grep -q '^    pkru: *0x55555554' regs.txt || { echo "# $1: vcpu $k"; return 1; }
	done
}

# migrate LOG ARGS...: virsh migrate --live of the domain from A to B, timed ($mig_s).
migrate() {
	log=$1
	shift
	t0=$(date +%s.%N)
	virsh -q -c "$URI_A" migrate --live "$@" "$NAME" "$URI_B" >"$log" 2>&1
	st=$?
	mig_s=$(echo "$(date +%s.%N) - $t0" | bc)
	echo "# virsh migrate --live $*: exit $st, ${mig_s}s"
	sed 's/^/#   /' "$log"
	return $st
}

# on_both CAP...: each CAP turned on in both QEMUs ($csrc and $cdst, from caps).
on_both() {
	for c in "$@"; do
		case " $csrc" in *" $c "*) ;; *) return 1 ;; esac
		case " $cdst" in *" $c "*) ;; *) return 1 ;; esac
	done
}

# caps DIR: the capabilities the daemon's QEMU was told to turn on since the last call.
caps() {
	grep -o '"capability":"[a-z-]*","state":true' "$1/log/libvirtd.log" 2>/dev/null |
		sed 's/"capability":"\([a-z-]*\)".*/\1/' | sort -u | tr '\n' ' '
	: >"$1/log/libvirtd.log"
}

# ---- the two daemons ------------------------------------------------------------------
if ! lv_start "$work/a" 7a5c0a01-0000-4000-8000-00000000000a; then
	no "source libvirtd starts"
	finish
fi
pid_a=$lv_pid
if ! lv_start "$work/b" 7a5c0a01-0000-4000-8000-00000000000b; then
	no "destination libvirtd starts"
	finish
fi
pid_b=$lv_pid
ver=$(A version | awk '/Using library/ { print $NF; exit }')
echo "# libvirt $ver, $(A version | awk '/Running hypervisor/ { print $3, $4 }'), two daemons"
check "the two daemons answer with their own host UUIDs" \
	'A sysinfo >/dev/null 2>&1; A capabilities | grep -q "<uuid>7a5c0a01-0000-4000-8000-00000000000a</uuid>" &&
	 B capabilities | grep -q "<uuid>7a5c0a01-0000-4000-8000-00000000000b</uuid>"'

# ---- direct ---------------------------------------------------------------------------
check "the guest boots on the source; saved there (every register of both vCPUs)" \
	'boot && A save "$NAME" "$work/src.save" >/dev/null && pattern_all src.save &&
	 A restore "$work/src.save" >/dev/null && [ "$(state "$URI_A" "$NAME")" = running ]'
P=$(port)
check "direct: virsh migrate --live --migrateuri tcp://127.0.0.1:$P --listen-address 127.0.0.1" \
	'migrate direct.log --migrateuri tcp://127.0.0.1:$P --listen-address 127.0.0.1'
csrc=$(caps "$work/a") cdst=$(caps "$work/b")
echo "# direct: capabilities turned on: source $csrc; destination $cdst"
check "direct: libvirt turned the return path on in both QEMUs (pause-before-switchover on the source)" \
	'on_both return-path && case " $csrc" in *" pause-before-switchover "*) ;; *) false ;; esac'

check "direct: the domain runs on the destination, no longer on the source" \
	'[ "$(state "$URI_B" "$NAME")" = running ] && ! A domstate "$NAME" >/dev/null 2>&1'
check "direct: saved on the destination, every register of both vCPUs kept (the same state, XSTATE_BV 0)" \
	'B save "$NAME" "$work/direct.save" >/dev/null && pattern_all direct.save &&
	 xs diff src.save direct.save >/dev/null &&
	 [ "$(xs inspect direct.save | grep -c "^  xstate_bv: *0x0 ")" = 2 ]'
B destroy "$NAME" >/dev/null 2>&1

# ---- through the relay ----------------------------------------------------------------
# relay_start LOG ARGS...: xsavectl relay --once on 127.0.0.2:$P to 127.0.0.1:$P.
relay_start() {
	rlog=$1
	shift
	"$XSAVECTL" relay --once --listen 127.0.0.2:$P --to 127.0.0.1:$P "$@" 2>"$rlog" &
	relay_pid=$!
	i=0
	while [ $i -lt 400 ] && ! grep -q listening "$rlog" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
	grep -q listening "$rlog"
}
# relay_wait: its exit status (60 s at most, then killed: 124).
relay_wait() {
	i=0
	while [ $i -lt 600 ] && kill -0 "$relay_pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	if kill -0 "$relay_pid" 2>/dev/null; then
		kill -9 "$relay_pid"
		wait "$relay_pid" 2>/dev/null
		relay_pid=
		return 124
	fi
	wait "$relay_pid"
	st=$?
	relay_pid=
	return $st
}

# The target: this host where it can load the guest's components (x87 SSE AVX MPX PKRU,
# 0x21f), else 0x21f itself (a destination that has them; this host's TCG destination takes it).
hx=$(xs host 2>/dev/null | awk '$1 == "supported_xcr0:" { print $2; exit }')
RX=0x21f
[ -n "$hx" ] && [ $((hx & 0x21f)) = $((0x21f)) ] && RX=host
echo "# relay target: --xcr0 $RX (this host's supported XCR0: ${hx:-unknown})"

# via_relay TAG [VIRSH MIGRATE OPTIONS]: the guest booted on the source, migrated live through
# the relay to the destination, saved there and compared with the source's save.
via_relay() {
	t=$1
	shift
	flags="$*"
	check "$t: the guest boots on the source again" \
		'boot && [ "$(state "$URI_A" "$NAME")" = running ]'
	P=$(port)
	check "$t: xsavectl relay --once --xcr0 $RX listens on 127.0.0.2:$P, to 127.0.0.1:$P" \
		'relay_start $t.relay --xcr0 $RX'
	# shellcheck disable=SC2086
	check "$t: virsh migrate --live${flags:+ $flags} --migrateuri tcp://127.0.0.2:$P --listen-address 127.0.0.1" \
		'migrate $t.vlog $flags --migrateuri tcp://127.0.0.2:$P --listen-address 127.0.0.1'
	csrc=$(caps "$work/a") cdst=$(caps "$work/b")
	echo "# $t: capabilities turned on: source $csrc; destination $cdst"
	relay_wait
	rrc=$?
	sed "s/^/# $t: /" $t.relay
	check "$t: relay exit 0, one line per vCPU (xstate_bv 0x0 -> ...) and one for the migration" \
		'[ $rrc = 0 ] && [ "$(grep -c "migration 1: vCPU [01]: xstate_bv 0x0 -> " $t.relay)" = 2 ] &&
		 grep -q "migration 1 from .*: passed on to 127.0.0.1:$P: 2 vCPUs, 2 changed" $t.relay'
	check "$t: the return path${want:+ and $want} on in both QEMUs; the destination's replies passed back" \
		'on_both return-path $want && grep -q " bytes ([1-9][0-9]* back)" $t.relay'
	[ -z "$want_line" ] || check "$t: the relay's line: $want_line" 'grep -q "$want_line" $t.relay'
	check "$t: the domain runs on the destination, no longer on the source" \
		'[ "$(state "$URI_B" "$NAME")" = running ] && ! A domstate "$NAME" >/dev/null 2>&1'
	check "$t: saved on the destination: every register of both vCPUs kept" \
		'B save "$NAME" "$work/$t.save" >/dev/null && pattern_all $t.save'
	check "$t: xsavectl diff --all against the source's save: equal, every register; XSTATE_BV 0x0 -> 0x207 on both vCPUs" \
		'xs diff --all src.save $t.save >d.txt &&
		 [ "$(grep -c "^equal: *yes" d.txt)" = 3 ] && [ "$(grep -c "^registers: -\$" d.txt)" = 2 ] &&
		 [ "$(grep -c "^xstate_bv_a: *0x0 " d.txt)" = 2 ] &&
		 [ "$(grep -c "^xstate_bv_b: *0x207 " d.txt)" = 2 ] &&
		 [ "$(xs inspect $t.save | grep -c "^  xstate_bv: *0x207 ")" = 2 ]'
	B destroy "$NAME" >/dev/null 2>&1
}
want='' want_line=''
via_relay relay
# libvirt 9.0 turns the return path on in every migration here (with pause-before-switchover
# on the source): the destination's replies pass back through the relay.  Also with
# postcopy-ram (--postcopy, the migration ending in precopy), multifd (--parallel: 2
# channels, which the relay passes on unparsed) and peer to peer (--p2p: the source daemon
# connects to the destination's, the QEMUs' stream takes the same path).
[ -z "${XSAVECTL_LVMIG_QUICK:-}" ] || echo "# XSAVECTL_LVMIG_QUICK: only the plain migration through the relay (no --postcopy, --parallel, --p2p)"
if [ -z "${XSAVECTL_LVMIG_QUICK:-}" ]; then
	want=postcopy-ram
	via_relay postcopy --postcopy
	want=multifd
	want_line="; 2 multifd and 0 other channels ("
	via_relay parallel --parallel --parallel-connections 2
	want='' want_line=''
	via_relay p2p --p2p
fi

# ---- a refusal ------------------------------------------------------------------------
check "refusal: the guest boots on the source again" \
	'boot && [ "$(state "$URI_A" "$NAME")" = running ]'
P=$(port)
check "refusal: relay --xcr0 0x7 listens" 'relay_start refuse.log --xcr0 0x7'
check "refusal: virsh migrate through it fails" \
	'! migrate refuse.vlog --migrateuri tcp://127.0.0.2:$P --listen-address 127.0.0.1'
relay_wait
rrc=$?
sed 's/^/# refusal: /' refuse.log
check "refusal: the relay exits 1 naming vCPU 0 and PKRU" \
	'[ $rrc = 1 ] && grep -q "refused: vCPU 0: pkru holds live guest data" refuse.log'
sleep 1
echo "# refusal: on the source the domain is $(state "$URI_A" "$NAME"); on the destination: $(state "$URI_B" "$NAME")"
check "refusal: the domain keeps running on the source, not on the destination" \
	'[ "$(state "$URI_A" "$NAME")" = running ] && ! B domstate "$NAME" >/dev/null 2>&1'
check "refusal: saved on the source afterwards: the same state as before" \
	'A save "$NAME" "$work/after.save" >/dev/null && pattern_all after.save &&
	 xs diff src.save after.save >/dev/null'

echo "# $(($(date +%s) - started)) s"
finish
