#!/bin/sh
# Real QEMU migration streams made at test time with Debian's qemu-system-x86_64:
#  - TCG: the test guest (tests/guest) loads a known pattern on every vCPU and
#    QEMU saves it (-cpu max with 2 vCPUs, a CPU without AVX, exec:gzip,
#    suppress-vmdesc=on).  Every register of every vCPU is checked; filter's
#    output is loaded back into QEMU (-incoming) and saved again.
#  - filter --in-place killed at several points (strace fault injection), and
#    rolled back by the next run.
#  - KVM (where /dev/kvm opens): a reset vCPU saved by QEMU+KVM gets the
#    pattern and an XSTATE_BV bit this host's KVM cannot load.  Loaded through
#    KVM_SET_XSAVE as is, the state is lost (QEMU 7.2 ignores the error);
#    after `filter --xcr0 host` every register survives the round trip.
# No QEMU, no strace or no /dev/kvm: a visible SKIP line for that part.
# usage: XSAVECTL=... GUEST=... MKSTREAM=... sh tests/live/qemu.sh
set -u
: "${XSAVECTL:?}" "${GUEST:?}" "${MKSTREAM:?}"
TAP_NAME="live qemu"
. "$(dirname "$0")/../tap.sh"
finish() { tap_done; exit; }

xs() { "$XSAVECTL" "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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

QEMU=qemu-system-x86_64
if ! command -v $QEMU >/dev/null 2>&1; then
	skip "$QEMU is not installed (apt-get install qemu-system-x86)"
	finish
fi

# vm LOG ACCEL CPU SMP MACHINE INCOMING: run QEMU with the test guest
# (INCOMING "-": boot it and wait for READY) or loading the -incoming URI
# INCOMING (-S: nothing runs), then give the monitor $vm_cmds and quit.
# Fails when QEMU fails or says so.
vm() {
	log=$1 accel=$2 cpu=$3 smp=$4 machine=$5 incoming=$6
	shift 6
	rm -f mon.in con "$log"
	mkfifo mon.in
	if [ "$incoming" = - ]; then
		set -- -kernel "$GUEST" -debugcon file:con "$@"
	else
		set -- -S -incoming "$incoming" "$@"
	fi
	timeout 300 $QEMU -accel "$accel" -machine "$machine" -cpu "$cpu" -smp "$smp" -m 64 \
		-nodefaults -display none -no-reboot -monitor stdio "$@" <mon.in >"$log" 2>&1 &
	pid=$!
	exec 3>mon.in
	i=0
	while [ $i -lt 600 ]; do
		kill -0 $pid 2>/dev/null || break
		if [ "$incoming" = - ]; then
			grep -q READY con 2>/dev/null && break
		else
			echo "info status" >&3
			grep -a "VM status" "$log" | grep -qv inmigrate && break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	printf '%s\n' "$vm_cmds" >&3
	echo quit >&3
	exec 3>&-
	wait $pid
	st=$?
	rm -f mon.in
	[ $st = 0 ] && ! grep -qa "error\|Error\|failed" "$log"
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
vm_cmds=""

# --- TCG: -cpu max, 2 vCPUs; saved plain and with exec:gzip ------------------
vm_cmds='migrate "exec:cat > max2.bin"
cont
migrate "exec:gzip -c > max2.gz"'
check "tcg -cpu max -smp 2: guest boots and QEMU saves it (plain and exec:gzip)" \
	'vm log1 tcg max 2 pc - && [ -s max2.bin ] && [ -s max2.gz ]'
check "inspect: 2 vCPUs, vmdesc cross-checked, machine type read" \
	'xs inspect max2.bin >i.txt && [ "$(grep -c "^  vcpu:" i.txt)" = 2 ] &&
	 [ "$(grep -c "vmdesc_check: *agrees" i.txt)" = 2 ] && grep -q "^machine: *pc-i440fx-" i.txt'
check "vCPU 0 holds the pattern (ymm0-15, mxcsr, x87)" 'pattern_ok max2.bin 0 ymm'
check "vCPU 1 holds its own pattern" 'pattern_ok max2.bin 1 ymm'
check "TCG stream is said to be one (xstate_bv 0, registers hold data)" \
	'[ "$(grep -c "accelerator: *tcg" i.txt)" = 2 ]'
check "guest XCR0 is env.xcr0 = 0x21f, PKRU 0x55555554" \
	'[ "$(grep -c "guest_xcr0: *0x21f " i.txt)" = 2 ] &&
	 xs inspect -r --vcpu 1 max2.bin | grep -q "pkru: *0x55555554"'
check "exec:gzip stream: same vCPU states as the plain one" \
	'[ "$(field max2.gz compression)" = gzip ] && xs diff max2.bin max2.gz >/dev/null'
check "check: fixable for 0x21f (exit 2: XSTATE_BV not maintained), incompatible for 0x7 (exit 1)" \
	'xs check --xcr0 0x21f max2.bin >/dev/null; a=$?; xs check --xcr0 0x7 max2.bin >/dev/null; [ $a$? = 21 ]'

# --- no AVX; no vmdesc ----------------------------------------------------------
vm_cmds='migrate "exec:cat > noavx.bin"'
check "tcg -cpu max,-avx,-avx2,-mpx,-pku: saved" \
	'vm log2 tcg max,-avx,-avx2,-mpx,-pku 1 pc - && [ -s noavx.bin ]'
check "no-AVX guest: guest XCR0 0x3, xmm0-15 hold the pattern" \
	'[ "$(field noavx.bin guest_xcr0)" = 0x3 ] && pattern_ok noavx.bin 0 xmm'
vm_cmds='migrate "exec:cat > novmdesc.bin"'
check "suppress-vmdesc=on: saved" 'vm log3 tcg max 1 pc,suppress-vmdesc=on - && [ -s novmdesc.bin ]'
check "stream without vmdesc: read with the built-in layout, pattern intact" \
	'[ "$(field novmdesc.bin vmdesc)" = no ] && pattern_ok novmdesc.bin 0 ymm'

# --- q35 with more devices (slirp's old-style sections), 3 vCPUs, with and without vmdesc
devs="-device ahci -device qemu-xhci"
if $QEMU -netdev help 2>/dev/null | grep -qx user; then
	devs="$devs -netdev user,id=n0 -device e1000,netdev=n0 -netdev user,id=n1"
	devs="$devs -device virtio-net-pci,netdev=n1"
fi
vm_cmds='migrate "exec:cat > q35.bin"'
# shellcheck disable=SC2086
check "tcg q35, 3 vCPUs, AHCI, xHCI, e1000 and virtio-net on slirp: saved" \
	'vm log9 tcg max 3 q35 - $devs && [ -s q35.bin ]'
vm_cmds='migrate "exec:cat > q35nv.bin"'
# shellcheck disable=SC2086
check "the same without vmdesc: saved" 'vm log10 tcg max 3 q35,suppress-vmdesc=on - $devs && [ -s q35nv.bin ]'
check "q35: every section sized by vmdesc; without it, by footers alone: same sections, same vCPUs" \
	'[ "$(field q35.bin device_sections)" = "$(field q35nv.bin device_sections)" ] &&
	 [ "$(field q35nv.bin vmdesc)" = no ] && [ "$(field q35.bin vcpus)" = 3 ] &&
	 xs diff q35.bin q35nv.bin >/dev/null && pattern_ok q35nv.bin 2 ymm'

# --- filter, and QEMU loads the result ------------------------------------------
check "filter refuses to drop PKRU/MPX the guest enabled (exit 1)" \
	'xs filter --xcr0 0x7 max2.bin -o f.bin >/dev/null 2>&1; [ $? = 1 ] && [ ! -e f.bin ]'
check "filter --force --xcr0 0x7: only cpu-section bytes change" \
	'xs filter --force --xcr0 0x7 max2.bin -o f.bin >/dev/null && only_in_cpu_sections max2.bin f.bin'
vm_cmds='migrate "exec:cat > resaved.bin"'
check "QEMU loads the filtered stream (-incoming) and saves it again" \
	'vm log4 tcg max 2 pc "exec:cat f.bin" && [ -s resaved.bin ]'
check "re-saved state equals the filtered stream" 'xs diff f.bin resaved.bin >/dev/null'
check "re-saved state differs from the input only in PKRU (the stripped bit)" \
	'xs diff --all max2.bin resaved.bin >d.txt; [ $? = 1 ] && [ "$(diff_regs d.txt)" = pkru ]'
vm_cmds='migrate "exec:cat > resaved2.bin"'
check "gzip stream filtered to gzip, the same stream inside" \
	'xs filter --force --xcr0 0x7 max2.gz -o f.gz >/dev/null &&
	 [ "$(field f.gz compression)" = gzip ] && gzip -dc max2.gz >a.raw && gzip -dc f.gz >b.raw &&
	 [ "$(cmp -l a.raw b.raw | wc -l)" -ge 1 ] && [ "$(cmp -l a.raw b.raw | wc -l)" -le 20 ]'
check "QEMU loads the filtered gzip stream through exec:gzip -dc" \
	'vm log8 tcg max 2 pc "exec:gzip -dc f.gz" && xs diff f.bin resaved2.bin >/dev/null'

# --- --in-place, and killed midway ----------------------------------------------
cp max2.bin ip.bin
check "filter --in-place gives the same bytes as -o" \
	'xs filter --in-place --force --xcr0 0x7 ip.bin >/dev/null && cmp -s ip.bin f.bin &&
	 [ ! -e ip.bin.xsavectl-journal ]'
if command -v strace >/dev/null 2>&1 && strace -f -o /dev/null true 2>/dev/null; then
	points="pwrite64:1 pwrite64:2 unlink:1"
	# (valgrind makes unlink calls of its own: that kill point would count them)
	[ "${VALGRIND:-}" = 1 ] && points="pwrite64:1 pwrite64:2"
	for point in $points; do
		cp max2.bin k.bin
		strace -f -o /dev/null -e inject="${point%:*}:signal=KILL:when=${point#*:}" \
			"$XSAVECTL" filter --in-place --force --xcr0 0x7 k.bin >/dev/null 2>&1
		st=$?
		check "killed at $point: journal left, readers refuse (exit 65)" \
			'[ $st = 137 ] && [ -e k.bin.xsavectl-journal ] &&
			 { xs inspect k.bin >/dev/null 2>err.txt; [ $? = 65 ]; } && grep -q journal err.txt'
		check "killed at $point: next --in-place rolls back, then filters" \
			'xs filter --in-place --force --xcr0 0x7 k.bin >/dev/null 2>err.txt &&
			 grep -q "rolled back" err.txt && cmp -s k.bin f.bin && [ ! -e k.bin.xsavectl-journal ]'
	done
	cp max2.bin k.bin
	strace -f -o /dev/null -e inject=pwrite64:signal=KILL:when=2 \
		"$XSAVECTL" filter --in-place --force --xcr0 0x7 k.bin >/dev/null 2>&1
	check "killed midway, then rolled back: the next filter starts from the input's bytes" \
		'xs filter --xcr0 0x21f -o ref.bin max2.bin >/dev/null &&
		 xs filter --in-place --xcr0 0x21f k.bin >/dev/null 2>&1 && cmp -s k.bin ref.bin'
else
	skip "strace is not installed or cannot trace here: --in-place crash tests not run"
fi

# --- KVM: reproduce the silent corruption, prove the fix ------------------------
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	skip "/dev/kvm cannot be opened: KVM round trip not run"
	finish
fi
kcpu=host,-arch-capabilities
# A reset vCPU: -S, nothing ever runs.
rm -f mon.in
mkfifo mon.in
timeout 60 $QEMU -accel kvm -machine pc -cpu $kcpu -m 64 -nodefaults -display none -S \
	-monitor stdio <mon.in >log5 2>&1 &
pid=$!
printf 'migrate "exec:cat > reset.bin"\nquit\n' >mon.in
wait $pid
if ! [ -s reset.bin ]; then
	skip "QEMU cannot run a KVM vCPU here ($(grep -a -m1 -i error log5))"
	finish
fi
hostmask=$(xs host --json | awk -F'"' '/"target"/ { t = 1 } t && /"mask"/ { print $4; exit }')
leak=
for bit in 0x200 0x20 0x20000; do
	[ $((hostmask & bit)) = 0 ] && { leak=$bit; break; }
done
if [ -z "$leak" ]; then
	skip "this host's KVM loads PKRU, AVX-512 and AMX: no component to leak"
	finish
fi
"$MKSTREAM" --patch reset.bin leak.bin --xcr0 0x7 --bv $((0x7 | leak))
check "leaky stream (XSTATE_BV 0x$(printf %x $((0x7 | leak))), guest XCR0 0x7): check says fixable (exit 2)" \
	'xs check --xcr0 host leak.bin >/dev/null; [ $? = 2 ] && pattern_ok leak.bin 0 ymm'
vm_cmds='migrate "exec:cat > lost.bin"'
check "QEMU+KVM loads it unfiltered and saves it again" 'vm log6 kvm $kcpu 1 pc "exec:cat leak.bin"; [ -s lost.bin ]'
check "unfiltered: KVM_SET_XSAVE failed silently, the registers are gone (diff exit 1)" \
	'xs diff leak.bin lost.bin >/dev/null; [ $? = 1 ] && ! pattern_ok lost.bin 0 ymm >/dev/null'
check "filter --xcr0 host: lossless (exit 0)" 'xs filter --xcr0 host leak.bin -o fixed.bin >/dev/null'
vm_cmds='migrate "exec:cat > kept.bin"'
check "QEMU+KVM loads the filtered stream and saves it again" 'vm log7 kvm $kcpu 1 pc "exec:cat fixed.bin" && [ -s kept.bin ]'
check "filtered: every register survives KVM (diff says equal)" \
	'xs diff fixed.bin kept.bin >/dev/null && pattern_ok kept.bin 0 ymm'
finish
