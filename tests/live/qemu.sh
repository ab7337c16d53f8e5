#!/bin/sh
# Real QEMU migration streams made at test time, by every QEMU the suite can
# run: Debian 12's qemu-system-x86_64 7.2 (the system's) and, from debootstrap
# chroots (tests/chroot.sh, run through tests/live/qemu-chroot.sh), trixie's
# 10.0 and sid's 11.1.  For each version (check names start with [VERSION]):
#  - TCG: the test guest (tests/guest) loads a known pattern on every vCPU and
#    QEMU saves it: -cpu max with 2 vCPUs (exec:cat, exec:gzip), a CPU without
#    AVX, suppress-vmdesc=on, q35 with devices, and -cpu max,-mpx,-pku (guest
#    XCR0 x87|SSE|AVX) through every transport the version has: exec:cat,
#    exec:gzip, file:, mapped-ram, mapped-ram with multifd (7.2 has no file:
#    and no mapped-ram: checked, and a visible SKIP).  Every register of every
#    vCPU is checked; filter's output is loaded back (-incoming) and saved again.
#  - TCG streams on KVM: under TCG, QEMU never maintains env.xstate_bv (0).
#    Loaded as is into a KVM vCPU, the registers come back at their init values
#    (every version: XSTATE_BV 0 is valid; 7.2's re-save still shows the upper
#    YMM halves it had loaded, 10.0/11.1 zero them); after `filter --xcr0 host` (which
#    sets XSTATE_BV) every register survives, and the filtered stream still
#    loads under TCG and re-saves equal.  Through every transport.
#  - KVM, unloadable state (pc, q35 with suppress-vmdesc=on, and pc through
#    mapped-ram with 2 multifd channels where the version has it): a reset vCPU
#    saved by QEMU+KVM gets the pattern and an XSTATE_BV bit this host's KVM
#    cannot load.  KVM_SET_XSAVE fails: 7.2 ignores it and runs on with the
#    registers reset; 10.0 and 11.1 exit 1 with their own message.  After
#    `filter --xcr0 host` every version loads it and every register survives.
#  - A guest XCR0 the target lacks (-cpu max: MPX and PKRU): filter refuses
#    without --force, naming the guest XCR0; 10.0/11.1 refuse the unfiltered
#    stream (KVM_SET_XCRS); `filter --force` lowers XCR0 (and CR4.PKE) and
#    lists it, and every version loads the result with the rest intact (pc with
#    2 vCPUs, and q35 with 3 vCPUs and devices).
#  - --guest-xcr0 against the guest XCR0 a stream records: a usage error
#    naming both when they differ, no change when they agree.
#  - filter --in-place killed at several points (strace fault injection), and
#    rolled back by the next run (once, on the first version's stream).
# A version that cannot be run here (no QEMU, no root for the chroot, no
# mirror for debootstrap), no strace or no /dev/kvm: a visible SKIP line for
# that part; with XSAVECTL_QEMU_REQUIRE=1 (CI) a missing version fails instead.
# XSAVECTL_QEMU="7.2 10.0 11.1" picks the versions; XSAVECTL_CHROOTS is where
# tests/chroot.sh keeps (or finds) the chroots; XSAVECTL_KEEP=1 keeps the work
# directory (streams, QEMU logs) and names it.
# usage: XSAVECTL=... GUEST=... MKSTREAM=... sh tests/live/qemu.sh
set -u
: "${XSAVECTL:?}" "${GUEST:?}" "${MKSTREAM:?}"
TAP_NAME="live qemu"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tap.sh"
started=$(date +%s)
finish() {
	echo "# live qemu: $(($(date +%s) - started)) s"
	tap_done
	exit
}

xs() { "$XSAVECTL" "$@"; }
work=$(mktemp -d)
trap '[ -n "${XSAVECTL_KEEP:-}" ] && echo "# kept $work" || rm -rf "$work"' EXIT
cd "$work" || exit 1

# The shared QEMU 7.2 fixtures, where this checkout has them (not needed to pass).
fix=${FIXTURES:-}/qemu-7.2
if [ -n "${FIXTURES:-}" ] && [ -d "$fix" ]; then
	check "fixture tcg-max-exec-gzip.gz: guest XCR0 0x21f, TCG, pattern in YMM, PKRU" \
		'xs inspect -r "$fix/tcg-max-exec-gzip.gz" >fx.txt &&
		 grep -q "guest_xcr0: *0x21f " fx.txt && grep -q "accelerator: *tcg" fx.txt &&
		 grep -q "ymm1: *0x83807d7a7774716e6b6865625f5c595653504d4a4744413e3b3835322f2c2926" fx.txt &&
		 grep -q "pkru: *0x55555554" fx.txt && grep -q "mxcsr: *0x00009fc0" fx.txt'
	check "fixture tcg-sse-noavx.bin.gz: guest XCR0 0x3, pattern in XMM" \
		'xs inspect -r "$fix/tcg-sse-noavx.bin.gz" >fx.txt && grep -q "guest_xcr0: *0x3 " fx.txt &&
		 grep -q "xmm15: *0x595653504d4a4744413e3b3835322f2c" fx.txt &&
		 grep -q "st6: *0x4000c90fdaa22168c235" fx.txt'
else
	skip "../shared/fixtures not in this checkout: the QEMU 7.2 fixtures are not read"
fi

# Ignore SIGPIPE while talking to a monitor: QEMU may have exited (10.0 and
# 11.1 do on a failed KVM_SET_XSAVE), and a write to its FIFO then fails
# (EPIPE) instead of killing the suite.
mon() { (trap '' PIPE; printf '%s\n' "$1" >&3) 2>/dev/null; }

# vm LOG ACCEL CPU SMP MACHINE INCOMING [QEMU ARGS]: run $QEMU with the test
# guest (INCOMING "-": boot it and wait for READY), with a reset vCPU (INCOMING
# "none": -S) or loading the -incoming URI INCOMING ("defer": $vm_pre does it;
# -S: nothing runs), then give the monitor $vm_cmds and quit.  The monitor
# first gets $vm_pre (capabilities, migrate_incoming).  QEMU's exit status is
# left in $vm_st; vm fails when QEMU fails or its output says so.
vm_pre= vm_cmds= vm_st=
vm() {
	log=$1 accel=$2 cpu=$3 smp=$4 machine=$5 incoming=$6
	shift 6
	rm -f mon.in con "$log"
	mkfifo mon.in
	case $incoming in
	-) set -- -kernel guest.bin -debugcon file:con "$@" ;;
	none) set -- -S "$@" ;;
	*) set -- -S -incoming "$incoming" "$@" ;;
	esac
	# shellcheck disable=SC2086
	timeout 120 $QEMU -accel "$accel" -machine "$machine" -cpu "$cpu" -smp "$smp" -m 64 \
		-nodefaults -display none -no-reboot -monitor stdio "$@" <mon.in >"$log" 2>&1 &
	pid=$!
	exec 3>mon.in
	[ -n "$vm_pre" ] && mon "$vm_pre"
	i=0
	while [ $i -lt 600 ]; do
		kill -0 $pid 2>/dev/null || break
		if [ "$incoming" = - ]; then
			grep -q READY con 2>/dev/null && break
		else
			mon "info status"
			grep -a "VM status" "$log" | grep -qv inmigrate && break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	mon "$vm_cmds"
	mon quit
	exec 3>&-
	wait $pid
	vm_st=$?
	rm -f mon.in
	[ $vm_st = 0 ] && ! grep -qa "error\|Error\|failed" "$log"
}

# Expected register $2 (xmm|ymm) $3 of vCPU $1, most significant byte first.
expect() {
	awk -v k="$1" -v i="$3" -v w="$([ "$2" = ymm ] && echo 32 || echo 16)" 'BEGIN {
		s = "0x"; for (j = w - 1; j >= 0; j--) s = s sprintf("%02x", (i * 37 + j * 3 + 1 + 64 * k) % 256)
		print s }'
}

# Every vector register of vCPU $2 in $1 holds the pattern ($3: ymm or xmm),
# MXCSR is 0x9fc0 and the x87 stack is the fixtures' (8 loads).
pattern_ok() {
	xs inspect -r --vcpu "$2" "$1" >regs.txt || return 1
	for i in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		grep -q "^    $3$i: *$(expect "$2" "$3" $i)\$" regs.txt || { echo "# vcpu $2 $3$i"; return 1; }
	done
	grep -q '^    mxcsr: *0x00009fc0 ' regs.txt &&
		grep -q '^    st2: *0x3ffeb17217f7d1cf79ac ' regs.txt &&
		grep -q '^    st6: *0x4000c90fdaa22168c235 ' regs.txt
}

# vCPU $2 of $1 has x87/SSE at their init values (what a KVM vCPU has after
# KVM_SET_XSAVE failed or was given XSTATE_BV 0): FCW 0x37f, MXCSR 0x1f80,
# every XMM zero, the x87 stack zero.  (Not YMM: when KVM reports AVX absent
# from XSTATE_BV, 7.2 keeps the upper halves it had loaded from the stream in
# its own copy, and re-saves them; 10.0 and 11.1 zero them.)
init_ok() {
	xs inspect -r --vcpu "$2" "$1" >regs.txt || return 1
	for i in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		grep -q "^    xmm$i: *0x00000000000000000000000000000000\>" regs.txt ||
			{ echo "# vcpu $2 xmm$i not zero"; return 1; }
	done
	grep -q '^    fcw: *0x037f\>' regs.txt && grep -q '^    mxcsr: *0x00001f80 ' regs.txt &&
		grep -q '^    st6: *0x00000000000000000000 ' regs.txt
}

# upper_ymm FILE: what the upper YMM halves of vCPU 0 in FILE (a re-save after
# a TCG stream was loaded into KVM with XSTATE_BV 0) are: "kept" (the stream's
# pattern, QEMU 7.2's own copy), "zero" (10.0, 11.1) or "other".
upper_ymm() {
	xs inspect -r --vcpu 0 "$1" >regs.txt || return 1
	z=00000000000000000000000000000000 kept=0 zero=0
	for i in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		hi=$(expect 0 ymm $i | cut -c1-34)
		grep -q "^    ymm$i: *$hi$z\>" regs.txt && kept=$((kept + 1))
		grep -q "^    ymm$i: *0x$z$z\>" regs.txt && zero=$((zero + 1))
	done
	if [ $kept = 16 ]; then echo kept; elif [ $zero = 16 ]; then echo zero; else echo other; fi
}

# Every byte where $2 differs from $1 (cmp -l counts from 1) lies in one of $1's cpu
# sections, counted from the section header (cpu sections are under 20 KiB here).
only_in_cpu_sections() {
	xs inspect "$1" | awk '/^  offset:/ { print $2 }' | while read -r h; do echo $((h)); done \
		>cpus.dec
	cmp -l "$1" "$2" | awk 'NR == FNR { c[k++] = $1; next }
		{ o = $1 - 1; hit = 0
		  for (i = 0; i < k; i++) if (o >= c[i] && o < c[i] + 20480) hit = 1
		  if (!hit) bad++; seen++ }
		END { exit !(seen > 0 && !bad) }' cpus.dec -
}

# The register names that differ in `xsavectl diff` output $1, one per line.
diff_regs() {
	awk '/^registers:/ { r = 1; next } r && /^  [a-z]/ && $1 != "NAME" { print $1 }
	     /^[a-z]/ { r = 0 }' "$1" | sort -u
}

field() { xs inspect "$1" | awk -v k="$2:" '$1 == k { print $2; exit }'; }
# The value of "KEY:" in the first state of $1 (e.g. xstate_bv, guest_xcr0).
sfield() { xs inspect "$1" | awk -v k="$2:" '$1 == k { print $2; exit }'; }

# all_saved T...: t.T exists and is not empty for every T.
all_saved() {
	for t; do [ -s "t.$t" ] || { echo "# t.$t not saved"; return 1; }; done
}

# said_xstate_bv OUT: filter's or extract's output OUT (stdout and stderr) says
# that XSTATE_BV was set from the data, the producer (TCG) not maintaining it.
said_xstate_bv() {
	grep -qi "xstate_bv_from_data: *yes\|xstate_bv.*not maintained" "$1"
}

# guest_change OUT WHAT: "BEFORE AFTER" of the first WHAT row in the
# guest_changes table of filter's output OUT (xcr0, cr4, ...).
guest_change() {
	awk -v w="$2" '/guest_changes:/ { g = 1; next } g && $1 == w { print $2, $3; exit }
		g && !/^      / { g = 0 }' "$1"
}

# c NAME EXPR: a check of the version under test ($V in its name).
c() { check "[$V] $1" "$2"; }

# What this version does when KVM_SET_XSAVE (or _XCRS) fails after an
# incoming migration: "" (7.2: ignores it, runs on) or its message for $1.
put_error() {
	case $V in
	7.* | 8.0* | 8.1*) echo "" ;;
	# 8.2 (7191f24c7fcf) exits, naming only the errno; 9.2 names the register set; 10.2
	# factored the three callers into one message (kvm_cpu_synchronize_put).
	8.* | 9.0* | 9.1*) echo "Failed to put registers after init: Invalid argument" ;;
	9.* | 10.0* | 10.1*) echo "Putting registers after init: Failed to set $1: Invalid argument" ;;
	*) echo "Restoring resisters after init: Failed to set $1: Invalid argument" ;;
	esac
}

# unloadable LOG OUT WHAT: QEMU was given state KVM refuses (KVM_SET_WHAT fails)
# and asked to re-save it to OUT: 7.2 goes on (exit 0) and OUT holds every vCPU
# at its init values; newer versions exit 1 with their message and write no OUT.
unloadable() {
	msg=$(put_error "$3")
	if [ -z "$msg" ]; then
		[ "$vm_st" = 0 ] && [ -s "$2" ] && ! grep -qa "Failed to set\|after init" "$1" &&
			init_ok "$2" 0
	else
		[ "$vm_st" = 1 ] && [ ! -e "$2" ] && grep -qaF "qemu-system-x86_64: $msg" "$1" ||
			{ echo "# exit $vm_st: $(grep -a -m1 'after init\|rror' "$1")"; return 1; }
	fi
}

kcpu=host,-arch-capabilities
hostmask=$(xs host --json | awk -F'"' '/"target"/ { t = 1 } t && /"mask"/ && m == "" { m = $4 }
	END { print m }')
kvm_ok=no
if [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ -n "$hostmask" ]; then
	kvm_ok=yes
fi
inplace_done=no

# --- one QEMU version: $V, run as $QEMU, in its own directory -------------------
# Each *_checks function below is one named group; they run in this order and share the
# streams the earlier ones saved (max2.bin, q35.bin, F.bin, ...) in the version's directory.
version_checks() {
	mkdir "$work/$V" && cd "$work/$V" || return
	cp "$GUEST" guest.bin
	major=${V%%.*} minor=${V#*.}
	minor=${minor%%.*}
	has_file=no has_mapped=no
	{ [ "$major" -gt 8 ] || { [ "$major" = 8 ] && [ "$minor" -ge 2 ]; }; } && has_file=yes
	[ "$major" -ge 9 ] && has_mapped=yes

	tcg_max_checks
	noavx_novmdesc_checks
	q35_checks
	tcg_force_checks
	streaming_checks
	guest_xcr0_option_checks
	tcg_saves_checks
	for t in $tr gz; do
		tcg_transport_checks
	done
	guest_xcr0_refusal_checks
	if [ $inplace_done = no ]; then	# --in-place, and killed midway (once)
		inplace_done=yes
		inplace_checks
	fi
	kvm_leak_checks && kvm_guest_xcr0_checks
}

# TCG: -cpu max, 2 vCPUs; saved plain and with exec:gzip: max2.bin, max2.gz
tcg_max_checks() {
	vm_pre= vm_cmds='migrate "exec:cat > max2.bin"
cont
migrate "exec:gzip -c > max2.gz"'
	c "tcg -cpu max -smp 2: guest boots and QEMU saves it (plain and exec:gzip)" \
		'vm log1 tcg max 2 pc - && [ -s max2.bin ] && [ -s max2.gz ]'
	c "inspect: 2 vCPUs, vmdesc cross-checked, machine type read" \
		'xs inspect max2.bin >i.txt && [ "$(grep -c "^  vcpu:" i.txt)" = 2 ] &&
		 [ "$(grep -c "vmdesc_check: *agrees" i.txt)" = 2 ] && grep -q "^machine: *pc-i440fx-$V" i.txt'
	c "vCPU 0 holds the pattern (ymm0-15, mxcsr, x87)" 'pattern_ok max2.bin 0 ymm'
	c "vCPU 1 holds its own pattern" 'pattern_ok max2.bin 1 ymm'
	c "TCG stream is said to be one (xstate_bv 0, registers hold data)" \
		'[ "$(grep -c "accelerator: *tcg" i.txt)" = 2 ]'
	c "guest XCR0 is env.xcr0 = 0x21f, PKRU 0x55555554" \
		'[ "$(grep -c "guest_xcr0: *0x21f " i.txt)" = 2 ] &&
		 xs inspect -r --vcpu 1 max2.bin | grep -q "pkru: *0x55555554"'
	c "exec:gzip stream: same vCPU states as the plain one" \
		'[ "$(field max2.gz compression)" = gzip ] && xs diff max2.bin max2.gz >/dev/null'
	c "check: fixable for 0x21f (exit 2: XSTATE_BV not maintained), incompatible for 0x7 (exit 1)" \
		'xs check --xcr0 0x21f max2.bin >/dev/null; a=$?; xs check --xcr0 0x7 max2.bin >/dev/null; [ $a$? = 21 ]'
	# The destination kernel's rule on this real stream, made to carry what a 5.16 source
	# leaks (XSTATE_BV 0x207 with its real PKRU, guest XCR0 0x7), against the recorded
	# Emerald Rapids facts with a needs-patch and a fixed kernel (tests/data/probe).
	"$MKSTREAM" --patch max2.bin pkleak.bin --xcr0 0x7 --bv 0x207
	for k in needs-patch-6.1.55 fixed-6.1.64; do
		xs host --cpuid-file "$here/../data/cpuid-intel-emr.txt" --qemu-version "$V" \
			--probe-from "$here/../data/probe/$k.rec" --save-profile "$k.json" >/dev/null
	done
	c "PKRU beyond the guest XCR0: fixable on a needs-patch kernel, the reason naming it and QEMU $V" \
		'xs check --target needs-patch-6.1.55.json --vcpu 0 pkleak.bin >o.txt; [ $? = 2 ] &&
		 grep -q "pkru  strip   not in the guest XCR0: a needs-patch kernel (6.1.55) refuses it; QEMU $V there" o.txt'
	c "PKRU beyond the guest XCR0: ok on a fixed kernel; filtered for needs-patch, ok there" \
		'xs check -q --target fixed-6.1.64.json pkleak.bin >/dev/null &&
		 xs filter --target needs-patch-6.1.55.json -o pkfixed.bin pkleak.bin >/dev/null &&
		 xs check -q --target needs-patch-6.1.55.json pkfixed.bin >/dev/null &&
		 [ "$(field pkfixed.bin xstate_bv)" = 0x7 ] && pattern_ok pkfixed.bin 0 ymm'
}

# no AVX; no vmdesc
noavx_novmdesc_checks() {
	vm_cmds='migrate "exec:cat > noavx.bin"'
	c "tcg -cpu max,-avx,-avx2,-mpx,-pku: saved" \
		'vm log2 tcg max,-avx,-avx2,-mpx,-pku 1 pc - && [ -s noavx.bin ]'
	c "no-AVX guest: guest XCR0 0x3, xmm0-15 hold the pattern" \
		'[ "$(field noavx.bin guest_xcr0)" = 0x3 ] && pattern_ok noavx.bin 0 xmm'
	vm_cmds='migrate "exec:cat > novmdesc.bin"'
	c "suppress-vmdesc=on: saved" 'vm log3 tcg max 1 pc,suppress-vmdesc=on - && [ -s novmdesc.bin ]'
	c "stream without vmdesc: read with the built-in layout, pattern intact" \
		'[ "$(field novmdesc.bin vmdesc)" = no ] && pattern_ok novmdesc.bin 0 ymm'
}

# q35 with more devices (slirp's old-style sections), 3 vCPUs, with and without vmdesc: q35.bin, q35nv.bin ($devs)
q35_checks() {
	devs="-device ahci -device qemu-xhci"
	if $QEMU -netdev help 2>/dev/null | grep -qx user; then
		devs="$devs -netdev user,id=n0 -device e1000,netdev=n0 -netdev user,id=n1"
		devs="$devs -device virtio-net-pci,netdev=n1"
	fi
	vm_cmds='migrate "exec:cat > q35.bin"'
	# shellcheck disable=SC2086
	c "tcg q35, 3 vCPUs, AHCI, xHCI, e1000 and virtio-net on slirp: saved" \
		'vm log9 tcg max 3 q35 - $devs && [ -s q35.bin ]'
	vm_cmds='migrate "exec:cat > q35nv.bin"'
	# shellcheck disable=SC2086
	c "the same without vmdesc: saved" 'vm log10 tcg max 3 q35,suppress-vmdesc=on - $devs && [ -s q35nv.bin ]'
	c "q35: every section sized by vmdesc; without it, by footers alone: same sections, same vCPUs" \
		'[ "$(field q35.bin device_sections)" = "$(field q35nv.bin device_sections)" ] &&
		 [ "$(field q35nv.bin vmdesc)" = no ] && [ "$(field q35.bin vcpus)" = 3 ] &&
		 xs diff q35.bin q35nv.bin >/dev/null && pattern_ok q35nv.bin 2 ymm'
	# The device-sections read confirms its boundary on real streams; it agrees with the walk.
	read_exp=device-sections
	[ "${XSAVECTL_VERIFY:-}" = 1 ] && read_exp=walk
	nowalk() { grep -v -E '^ *(read|read_reason|pages|zero_pages):'; }
	c "plain streams with a vmdesc (pc, q35) read as the device sections alone ($read_exp), the same as --verify's walk" \
		'[ "$(field max2.bin read)" = $read_exp ] && [ "$(field q35.bin read)" = $read_exp ] &&
		 [ "$(field novmdesc.bin read)" = walk ] &&
		 xs inspect -r max2.bin | nowalk >d.txt && xs inspect -r --verify max2.bin | nowalk >w.txt &&
		 cmp -s d.txt w.txt && xs inspect -r q35.bin | nowalk >d.txt &&
		 xs inspect -r --verify q35.bin | nowalk >w.txt && cmp -s d.txt w.txt'
}

# filter --force, and QEMU (TCG) loads the result
tcg_force_checks() {
	c "filter refuses to drop PKRU/MPX the guest enabled (exit 1)" \
		'xs filter --xcr0 0x7 max2.bin -o f.bin >/dev/null 2>&1; [ $? = 1 ] && [ ! -e f.bin ]'
	c "filter --force --xcr0 0x7: only cpu-section bytes change" \
		'xs filter --force --xcr0 0x7 max2.bin -o f.bin >/dev/null 2>&1 && only_in_cpu_sections max2.bin f.bin'
	vm_cmds='migrate "exec:cat > resaved.bin"'
	c "QEMU (TCG) loads the filtered stream (-incoming) and saves it again" \
		'vm log4 tcg max 2 pc "exec:cat f.bin" && [ -s resaved.bin ]'
	c "re-saved state equals the filtered stream" 'xs diff f.bin resaved.bin >/dev/null'
	c "re-saved state differs from the input only in PKRU (the stripped bit)" \
		'xs diff --all max2.bin resaved.bin >d.txt; [ $? = 1 ] && [ "$(diff_regs d.txt)" = pkru ]'
	vm_cmds='migrate "exec:cat > resaved2.bin"'
	c "gzip stream filtered to gzip, the same stream inside, a few bytes per vCPU changed" \
		'xs filter --force --xcr0 0x7 max2.gz -o f.gz >/dev/null 2>&1 &&
		 [ "$(field f.gz compression)" = gzip ] && gzip -dc max2.gz >a.raw && gzip -dc f.gz >b.raw &&
		 xs filter --force --xcr0 0x7 a.raw -o c.raw >/dev/null 2>&1 && cmp -s b.raw c.raw &&
		 [ "$(cmp -l a.raw b.raw | wc -l)" -ge 1 ] &&
		 [ "$(cmp -l a.raw b.raw | wc -l)" -le 24 ]'
	c "QEMU (TCG) loads the filtered gzip stream through exec:gzip -dc" \
		'vm log8 tcg max 2 pc "exec:gzip -dc f.gz" && xs diff f.bin resaved2.bin >/dev/null'
}

# the streaming filter: read once from a pipe, written as it goes (f.bin, f.gz from
# tcg_force_checks)
streaming_checks() {
	c "streaming: cat max2.bin | filter --force --xcr0 0x7 -o - - writes filter's file, byte for byte" \
		'cat max2.bin | xs filter --force --xcr0 0x7 -o - - >sf.bin 2>/dev/null && cmp -s f.bin sf.bin'
	c "streaming: the exec:gzip stream from a pipe, compressed again, equals filter's file" \
		'cat max2.gz | xs filter --force --xcr0 0x7 -o - - >sf.gz 2>/dev/null && cmp -s f.gz sf.gz'
	c "streaming: refused (exit 1) without --force; the output is the stream up to vCPU 0's cpu section, no further" \
		'cat max2.bin | xs filter --xcr0 0x7 -o - - >sr.bin 2>e.txt; [ $? = 1 ] &&
		 h=$(xs inspect max2.bin | awk "/^  offset:/ { print \$2; exit }") &&
		 [ "$(wc -c <sr.bin)" -eq $((h)) ] && cmp -s -n $((h)) sr.bin max2.bin &&
		 grep -q "stream stopped before vCPU 0" e.txt'
	# QEMU writes into the filter (migrate exec:), and reads from it (-incoming exec:),
	# through FIFOs, so that the chroots' QEMU needs no xsavectl of its own.
	rm -f src.fifo dst.fifo
	mkfifo src.fifo dst.fifo
	(tee sraw.bin <src.fifo | timeout 120 "$XSAVECTL" filter --force --xcr0 0x7 -o sm.bin - \
		>/dev/null 2>sm.err; echo $? >sm.rc) &
	spid=$!
	vm_pre= vm_cmds='migrate "exec:cat > src.fifo"'
	c "streaming: QEMU migrates (exec:) into filter from a pipe; the result equals filter of the saved bytes" \
		'vm logs1 tcg max 2 pc - && wait $spid && [ "$(cat sm.rc)" = 0 ] &&
		 xs filter --force --xcr0 0x7 -o sm2.bin sraw.bin >/dev/null 2>&1 && cmp -s sm.bin sm2.bin &&
		 xs diff sraw.bin sm.bin >/dev/null; [ $? = 1 ]'
	(cat max2.bin | timeout 120 "$XSAVECTL" filter --force --xcr0 0x7 -o - - >dst.fifo 2>/dev/null) &
	spid=$!
	vm_cmds='migrate "exec:cat > sresaved.bin"'
	c "streaming: QEMU (TCG) loads -incoming from filter on a pipe, and re-saves the filtered state" \
		'vm logs2 tcg max 2 pc "exec:cat dst.fifo" && wait $spid && xs diff f.bin sresaved.bin >/dev/null'
	(cat max2.bin | timeout 120 "$XSAVECTL" filter --xcr0 0x7 -o - - >dst.fifo 2>/dev/null;
	 echo $? >sd.rc) &
	spid=$!
	vm_cmds='migrate "exec:cat > srefused.bin"'
	c "streaming: a refusal (exit 1) leaves QEMU -incoming an incomplete stream: the load fails, nothing re-saved" \
		'! vm logs3 tcg max 2 pc "exec:cat dst.fifo"; wait $spid; [ "$(cat sd.rc)" = 1 ] && [ $vm_st != 0 ] &&
		 [ ! -s srefused.bin ]'
	vm_cmds=
}

# --guest-xcr0 against the guest XCR0 the stream records (0x21f)
guest_xcr0_option_checks() {
	c "--guest-xcr0 0x7 on a stream recording 0x21f: usage error (exit 64) naming both" \
		'xs check --xcr0 host --guest-xcr0 0x7 max2.bin >o.txt 2>e.txt; [ $? = 64 ] && [ ! -s o.txt ] &&
		 grep -q "0x21f" e.txt && grep -q "0x7\>" e.txt'
	c "filter --guest-xcr0 0x7 --xcr0 0x7: refused the same way, nothing written" \
		'xs filter --guest-xcr0 0x7 --xcr0 0x7 -o g.bin max2.bin >/dev/null 2>e.txt; [ $? = 64 ] &&
		 [ ! -e g.bin ] && grep -q "0x21f" e.txt'
	c "--guest-xcr0 0x21f (what it records): the same answer as without it" \
		'xs check --xcr0 0x21f max2.bin >a.txt 2>&1; a=$?
		 xs check --xcr0 0x21f --guest-xcr0 0x21f max2.bin >b.txt 2>&1; [ $a = $? ] && cmp -s a.txt b.txt &&
		 xs filter --xcr0 0x21f --guest-xcr0 0x21f -o g.bin max2.bin >/dev/null 2>&1 &&
		 xs filter --xcr0 0x21f -o h.bin max2.bin >/dev/null 2>&1 && cmp -s g.bin h.bin'
}

# TCG streams: XSTATE_BV not maintained (guest XCR0 0x7: loadable on this KVM):
# saved through every transport of the version ($tr), t.$t
tcg_saves_checks() {
	vm_cmds='migrate "exec:cat > t.cat"
cont
migrate "exec:gzip -c > t.gz"'
	[ $has_file = yes ] && vm_cmds="$vm_cmds
cont
migrate \"file:t.file\""
	[ $has_mapped = yes ] && vm_cmds="$vm_cmds
cont
migrate_set_capability mapped-ram on
migrate \"file:t.mr\"
cont
migrate_set_capability multifd on
migrate_set_parameter multifd-channels 2
migrate \"file:t.mrmf\""
	tr="cat"
	[ $has_file = yes ] && tr="$tr file"
	[ $has_mapped = yes ] && tr="$tr mr mrmf"
	c "tcg -cpu max,-mpx,-pku: saved through exec:cat, exec:gzip$([ $has_file = yes ] && echo ", file:")$(
		[ $has_mapped = yes ] && echo ", mapped-ram, mapped-ram with 2 multifd channels")" \
		'vm log11 tcg max,-mpx,-pku 1 pc - && all_saved $tr gz'
	if [ $has_file = no ]; then
		vm_cmds='migrate "file:x.bin"
migrate_set_capability mapped-ram on'
		vm log12 tcg max 1 pc none
		c "this QEMU has neither file: nor mapped-ram (it says so)" \
			'[ ! -e x.bin ] && grep -qa "expects a valid migration protocol" log12 &&
			 grep -qa "Error: invalid parameter value: mapped-ram\|Invalid parameter .mapped-ram" log12'
		skip "[$V] QEMU $V has no file: migration and no mapped-ram capability (both 8.2+/9.0+): not saved or loaded"
	fi
	c "check --xcr0 host on the TCG stream: fixable (exit 2), XSTATE_BV is not maintained" \
		'xs check --xcr0 host t.cat >o.txt 2>&1; [ $? = 2 ] && grep -qi "maintain" o.txt'
	c "extract --vcpu 0: the image's XSTATE_BV is the live components (0x7), and it says so" \
		'xs extract --vcpu 0 -o t0.xsave t.cat >o.txt 2>&1 &&
		 [ "$(sfield t0.xsave xstate_bv)" = 0x7 ] && said_xstate_bv o.txt &&
		 xs diff t.cat t0.xsave >/dev/null'
	c "extract --vcpu 0 and --vcpu 1 of the 2-vCPU TCG stream differ (XSTATE_BV 0x207, PKRU live)" \
		'xs extract --vcpu 0 -o m0.xsave max2.bin >/dev/null 2>&1 && xs extract --vcpu 1 -o m1.xsave max2.bin >/dev/null 2>&1 &&
		 [ "$(sfield m1.xsave xstate_bv)" = 0x207 ] && { xs diff m0.xsave m1.xsave >/dev/null; [ $? = 1 ]; }'
}

# One transport $t of the TCG streams above: filtered, loaded on KVM and under TCG
tcg_transport_checks() {
	case $t in
	cat) in="exec:cat f.t.$t" pre= name=exec:cat ;;
	gz) in="exec:gzip -dc f.t.$t" pre= name=exec:gzip ;;
	file) in="file:f.t.$t" pre= name=file: ;;
	mr) in=defer pre="migrate_set_capability mapped-ram on
migrate_incoming file:f.t.$t" name=mapped-ram ;;
	mrmf) in=defer pre="migrate_set_capability mapped-ram on
migrate_set_capability multifd on
migrate_set_parameter multifd-channels 2
migrate_incoming file:f.t.$t" name="mapped-ram+multifd" ;;
	esac
	# (the re-saves go to exec:cat, which mapped-ram cannot write to)
	off=
	case $t in mr*) off="migrate_set_capability multifd off
migrate_set_capability mapped-ram off
" ;; esac
	c "[$name] TCG stream: the pattern, accelerator tcg" \
		'pattern_ok t.$t 0 ymm && xs inspect t.$t | grep -q "accelerator: *tcg"'
	c "[$name] filter --xcr0 host sets XSTATE_BV to 0x7 and says so; nothing else changes" \
		'xs filter --xcr0 host -o f.t.$t t.$t >o.txt 2>&1 && said_xstate_bv o.txt &&
		 [ "$(sfield f.t.$t xstate_bv)" = 0x7 ] && xs diff t.$t f.t.$t >/dev/null &&
		 { [ $t = gz ] || [ "$(cmp -l t.$t f.t.$t | wc -l)" = 1 ]; }'
	if [ $kvm_ok = yes ]; then
		# the unfiltered stream, through the same transport
		cp t.$t u.t.$t
		vm_pre=$(echo "$pre" | sed "s/f\.t\./u.t./")
		vm_cmds="${off}migrate \"exec:cat > lost.$t\""
		c "[$name] QEMU+KVM loads the unfiltered TCG stream: every register at its init value" \
			'vm logk1$t kvm $kcpu 1 pc "$(echo "$in" | sed "s/f\.t\./u.t./")" && init_ok lost.$t 0'
		if [ $t = cat ]; then
			ymmh=zero
			[ "$major" -lt 8 ] && ymmh=kept
			c "[$name] ... and the re-save's upper YMM halves are $ymmh (7.2 re-saves its own copy of what KVM reports absent)" \
				'[ "$(upper_ymm lost.$t)" = $ymmh ]'
		fi
		vm_pre=$pre vm_cmds="${off}migrate \"exec:cat > kept.$t\""
		c "[$name] QEMU+KVM loads the filtered stream: every register survives (diff equal)" \
			'vm logk2$t kvm $kcpu 1 pc "$in" && xs diff t.$t kept.$t >/dev/null &&
			 pattern_ok kept.$t 0 ymm'
	else
		skip "[$V] [$name] /dev/kvm cannot be opened: the TCG stream is not loaded on KVM"
	fi
	vm_pre=$pre
	vm_cmds="${off}migrate \"exec:cat > tcg.$t\""
	c "[$name] the filtered stream loads under TCG and re-saves equal" \
		'vm logk3$t tcg max,-mpx,-pku 1 pc "$in" && xs diff f.t.$t tcg.$t >/dev/null &&
		 xs diff t.$t tcg.$t >/dev/null'
	vm_pre=
}

# A guest XCR0 the target lacks: refusal, --force, on KVM below
guest_xcr0_refusal_checks() {
	c "filter --xcr0 host on -cpu max (guest XCR0 0x21f): refused (exit 1), the guest XCR0 named, no file named as output" \
		'xs filter --xcr0 host -o r.bin max2.bin >o.txt 2>e.txt; [ $? = 1 ] && [ ! -e r.bin ] &&
		 ! cat o.txt e.txt | grep -v "^output: *-\( \|$\)" | grep -q "output:" &&
		 grep -qi "guest.*xcr0\|xcr0.*guest" e.txt o.txt'
	c "filter --force --xcr0 host: guest XCR0 0x21f -> 0x7 and CR4.PKE (bit 22) cleared, each change listed" \
		'xs filter --force --xcr0 host -o F.bin max2.bin >o.txt 2>e.txt &&
		 [ "$(guest_change o.txt xcr0)" = "0x21f 0x7" ] && cr4=$(guest_change o.txt cr4) &&
		 [ $((${cr4% *} ^ ${cr4#* })) = $((1 << 22)) ] &&
		 [ "$(xs inspect F.bin | grep -c "guest_xcr0: *0x7 ")" = 2 ] && only_in_cpu_sections max2.bin F.bin'
}

# KVM: unloadable state; each version's answer; the fix
# (1 where KVM cannot be used here or this host's KVM loads every component: skipped)
kvm_leak_checks() {
	if [ $kvm_ok = no ]; then
		skip "[$V] /dev/kvm cannot be opened: KVM round trips not run"
		return 1
	fi
	leak=
	for bit in 0x200 0x20 0x20000; do
		[ $((hostmask & bit)) = 0 ] && { leak=$bit; break; }
	done
	if [ -z "$leak" ]; then
		skip "[$V] this host's KVM loads PKRU, AVX-512 and AMX: no component to leak"
		return 1
	fi
	# pc and q35 without vmdesc through exec:cat; pc through mapped-ram with multifd
	mrmf="migrate_set_capability mapped-ram on
migrate_set_capability multifd on
migrate_set_parameter multifd-channels 2"
	runs="pc:cat q35,suppress-vmdesc=on:cat"
	[ $has_mapped = yes ] && runs="$runs pc:mrmf"
	for run in $runs; do
		machine=${run%:*} how=${run##*:}
		m=${machine%%,*}.$how
		if [ $how = cat ]; then
			save= off= in="exec:cat" pre= what=$machine
		else
			save=$mrmf off="migrate_set_capability multifd off
migrate_set_capability mapped-ram off
" in=defer pre="$mrmf
migrate_incoming file:" what="$machine, mapped-ram+multifd"
		fi
		vm_pre= vm_cmds="${save:+$save
}migrate \"$([ $how = cat ] && echo "exec:cat > " || echo "file:")reset.$m\""
		if ! vm log5$m kvm $kcpu 1 "$machine" none || ! [ -s reset.$m ]; then
			no "[$V] $what: QEMU+KVM saves a reset vCPU ($(grep -a -m1 -i error log5$m))"
			continue
		fi
		"$MKSTREAM" --patch reset.$m leak.$m --xcr0 0x7 --bv $((0x7 | leak))
		c "$what: leaky stream (XSTATE_BV 0x$(printf %x $((0x7 | leak))), guest XCR0 0x7): check says fixable (exit 2)" \
			'xs check --xcr0 host leak.$m >/dev/null; [ $? = 2 ] && pattern_ok leak.$m 0 ymm'
		vm_pre=${pre:+${pre}leak.$m} vm_cmds="${off}migrate \"exec:cat > lost.$m\""
		vm log6$m kvm $kcpu 1 "$machine" "$([ $how = cat ] && echo "exec:cat leak.$m" || echo defer)"
		if [ -z "$(put_error XSAVE)" ]; then
			c "$what: unfiltered, KVM_SET_XSAVE fails, QEMU $V runs on: re-saved with every register at init" \
				'unloadable log6$m lost.$m XSAVE && { xs diff leak.$m lost.$m >/dev/null; [ $? = 1 ]; }'
		else
			c "$what: unfiltered, QEMU $V exits 1: \"$(put_error XSAVE)\"" 'unloadable log6$m lost.$m XSAVE'
		fi
		c "$what: filter --xcr0 host: lossless (exit 0)" 'xs filter --xcr0 host leak.$m -o fixed.$m >/dev/null'
		vm_pre=${pre:+${pre}fixed.$m} vm_cmds="${off}migrate \"exec:cat > kept.$m\""
		c "$what: QEMU+KVM loads the filtered stream: every register survives (diff equal)" \
			'vm log7$m kvm $kcpu 1 "$machine" "$([ $how = cat ] && echo "exec:cat fixed.$m" || echo defer)" &&
			 xs diff fixed.$m kept.$m >/dev/null && xs diff leak.$m kept.$m >/dev/null && pattern_ok kept.$m 0 ymm'
	done
	vm_pre=
	return 0
}

# The guest XCR0 the target lacks (-cpu max, above) on KVM
kvm_guest_xcr0_checks() {
	vm_cmds='migrate "exec:cat > xlost.bin"'
	vm log13 kvm $kcpu 2 pc "exec:cat max2.bin"
	if [ -z "$(put_error XCRs)" ]; then
		c "unfiltered on KVM: QEMU $V runs on (KVM_SET_XCRS refused, ignored): registers at init" \
			'unloadable log13 xlost.bin XCRs'
	else
		c "unfiltered on KVM: QEMU $V exits 1: \"$(put_error XCRs)\"" 'unloadable log13 xlost.bin XCRs'
	fi
	vm_cmds='migrate "exec:cat > Fkvm.bin"'
	c "QEMU+KVM loads the --force output (exit 0) and re-saves it equal" \
		'vm log14 kvm $kcpu 2 pc "exec:cat F.bin" && xs diff F.bin Fkvm.bin >/dev/null'
	c "--force on KVM: the re-saved state differs from the input only in PKRU, the pattern intact" \
		'xs diff --all max2.bin Fkvm.bin >d.txt 2>&1; [ $? = 1 ] && [ "$(diff_regs d.txt)" = pkru ] &&
		 pattern_ok Fkvm.bin 0 ymm && pattern_ok Fkvm.bin 1 ymm'
	vm_cmds='migrate "exec:cat > q35kvm.bin"'
	# shellcheck disable=SC2086
	c "q35 TCG stream (3 vCPUs, AHCI, xHCI, NICs) after --force --xcr0 host: QEMU+KVM loads it, only PKRU differs" \
		'xs filter --force --xcr0 host -o q35F.bin q35.bin >/dev/null 2>&1 &&
		 vm log15 kvm $kcpu 3 q35 "exec:cat q35F.bin" $devs && xs diff q35F.bin q35kvm.bin >/dev/null &&
		 { xs diff --all q35.bin q35kvm.bin >d.txt 2>&1; [ $? = 1 ]; } && [ "$(diff_regs d.txt)" = pkru ] &&
		 pattern_ok q35kvm.bin 2 ymm'
}


inplace_checks() {
	cp max2.bin ip.bin
	xs filter --force --xcr0 0x7 max2.bin -o ipref.bin >/dev/null 2>&1
	c "filter --in-place gives the same bytes as -o" \
		'xs filter --in-place --force --xcr0 0x7 ip.bin >/dev/null 2>&1 && cmp -s ip.bin ipref.bin &&
		 [ ! -e ip.bin.xsavectl-journal ]'
	if ! command -v strace >/dev/null 2>&1 || ! strace -f -o /dev/null true 2>/dev/null; then
		skip "strace is not installed or cannot trace here: --in-place crash tests not run"
		return
	fi
	points="pwrite64:1 pwrite64:2 unlink:1"
	# (valgrind makes unlink calls of its own: that kill point would count them)
	[ "${VALGRIND:-}" = 1 ] && points="pwrite64:1 pwrite64:2"
	for point in $points; do
		cp max2.bin k.bin
		strace -f -o /dev/null -e inject="${point%:*}:signal=KILL:when=${point#*:}" \
			"$XSAVECTL" filter --in-place --force --xcr0 0x7 k.bin >/dev/null 2>&1
		st=$?
		c "killed at $point: journal left, readers refuse (exit 65)" \
			'[ $st = 137 ] && [ -e k.bin.xsavectl-journal ] &&
			 { xs inspect k.bin >/dev/null 2>err.txt; [ $? = 65 ]; } && grep -q journal err.txt'
		c "killed at $point: next --in-place rolls back, then filters" \
			'xs filter --in-place --force --xcr0 0x7 k.bin >/dev/null 2>err.txt &&
			 grep -q "rolled back" err.txt && cmp -s k.bin ipref.bin && [ ! -e k.bin.xsavectl-journal ]'
	done
	cp max2.bin k.bin
	strace -f -o /dev/null -e inject=pwrite64:signal=KILL:when=2 \
		"$XSAVECTL" filter --in-place --force --xcr0 0x7 k.bin >/dev/null 2>&1
	xs filter --xcr0 0x21f max2.bin -o ipref2.bin >/dev/null 2>&1
	c "killed midway, then rolled back and filtered for another target: as if never killed" \
		'xs filter --in-place --xcr0 0x21f k.bin >/dev/null 2>err.txt && grep -q "rolled back" err.txt &&
		 cmp -s k.bin ipref2.bin'
}

# unavailable VERSION WHY: a version this machine cannot run.
unavailable() {
	if [ "${XSAVECTL_QEMU_REQUIRE:-}" = 1 ]; then
		no "QEMU $1 can be run here: $2"
	else
		skip "QEMU $1 not run: $2"
	fi
}

for want in ${XSAVECTL_QEMU:-7.2 10.0 11.1}; do
	case $want in
	7.2) if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
			unavailable 7.2 "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
			continue
		fi
		QEMU=qemu-system-x86_64 from="the system's qemu-system-x86_64" ;;
	10.0 | 11.1)
		name=trixie
		[ "$want" = 11.1 ] && name=sid
		if [ "$(id -u)" != 0 ]; then
			unavailable "$want" "its chroot ($name) needs root (debootstrap, unshare, chroot)"
			continue
		fi
		if ! dir=$(sh "$here/../chroot.sh" $name 2>"$work/chroot.err"); then
			unavailable "$want" "tests/chroot.sh $name: $(tail -n 1 "$work/chroot.err")"
			continue
		fi
		QEMU="sh $here/qemu-chroot.sh $dir" from="$dir" ;;
	*) no "XSAVECTL_QEMU: unknown version '$want' (7.2, 10.0, 11.1)"; continue ;;
	esac
	full=$($QEMU --version 2>&1 | sed -n 's/^QEMU emulator version \([0-9][0-9.]*\).*/\1/p')
	V=${full%.*}
	check "QEMU $want: $from runs (version ${full:-?})" '[ -n "$full" ] && [ "$V" = "$want" ]'
	[ -n "$full" ] || continue
	t0=$(date +%s)
	version_checks
	cd "$work" || exit 1
	echo "# QEMU $full: $(($(date +%s) - t0)) s"
done
finish
