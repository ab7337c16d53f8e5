#!/bin/sh
# make qemu-check: prove the series in qemu/7.2 on real QEMU code and real KVM.
#
#   1. Debian 12's qemu source (apt-get source, the version of the installed
#      qemu-system-x86, cached in WORKDIR/dl), extracted with dpkg-source -x,
#      so Debian's own patches are applied, into a git repository;
#   2. the series added to debian/patches/series and applied with quilt, as a
#      Debian package build would, and with git am in a repository of the
#      touched files; both must give the same files;
#   3. qemu-system-x86_64 built with the fewest features that still load a
#      "-machine pc -nodefaults" stream of Debian's QEMU: x86_64-softmmu, KVM,
#      no TCG, no tools, no docs, no optional library, the pc machine and its
#      devices only (WORKDIR/obj is kept: a second run rebuilds what changed);
#   4. through /dev/kvm, a stream whose XSTATE_BV this host's KVM refuses
#      (Debian's QEMU saves a reset vCPU, tests/gen/mkstream puts the fixture
#      pattern into it and a component the host lacks, such as PKRU, into
#      XSTATE_BV while the guest XCR0 stays x87|SSE|AVX):
#        - Debian's /usr/bin/qemu-system-x86_64 loads it, and the state it
#          saves again has lost every register (the bug);
#        - the patched binary exits non-zero, naming XSAVE and the errno;
#        - the patched binary loads `xsavectl filter --xcr0 host`'s output,
#          and saves it again with every register intact;
#        - before KVM_RUN (with gdb): gdb sets a reserved MXCSR bit in the
#          loaded, paused vCPU, and `cont` puts it; Debian's QEMU runs on
#          silently, the patched one stops the VM (internal-error) naming XSAVE.
#      The path after a reset is compiled, not exercised: no reset state is
#      one that KVM refuses.
# Without a usable /dev/kvm, or on a host whose KVM loads every component,
# step 4 is skipped with a visible "# SKIP" line.
#
# usage: XSAVECTL=... MKSTREAM=... sh qemu/check.sh [WORKDIR]   (JOBS=N)
set -u
# A QEMU that exits early closes the monitor fifo: writes must fail, not kill us.
trap "" PIPE
here=$(cd "$(dirname "$0")" && pwd)
series=$here/7.2
: "${XSAVECTL:?}" "${MKSTREAM:?}"
work=${1:-build-qemu}
jobs=${JOBS:-$(nproc)}
debian_qemu=${DEBIAN_QEMU:-/usr/bin/qemu-system-x86_64}
TAP_NAME="qemu-check"
. "$here/../tests/tap.sh"
say() { echo "# qemu-check: $*"; }
die() { echo "Bail out! $*"; exit 1; }

mkdir -p "$work"
work=$(cd "$work" && pwd)
# The work directory may sit inside xsavectl's own git checkout: git must not
# take that repository for the QEMU tree's.
GIT_CEILING_DIRECTORIES=$work
export GIT_CEILING_DIRECTORIES
gitc() { git -c user.name=qemu-check -c user.email=check@invalid "$@"; }

# --- 1. the source ----------------------------------------------------------------
# The source of the installed Debian QEMU, so that the patched and the unpatched
# binary differ by the series only; apt's newest without it.
ver=$(dpkg-query -W -f '${source:Version}' qemu-system-x86 2>/dev/null || true)
[ -n "$ver" ] || ver=$(apt-cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1)
[ -n "$ver" ] || die "no qemu source package known to apt: add a deb-src line (make qemu-deps)"
case $ver in
1:7.2+*) ;;
*) die "qemu $ver is not Debian 12's 7.2: the series is for 7.2" ;;
esac
uver=${ver#*:}
mkdir -p "$work/dl"
if ! [ -f "$work/dl/qemu_$uver.dsc" ]; then
	say "downloading the source of qemu $ver"
	(cd "$work/dl" && rm -f ./*.dsc ./*.xz && apt-get source --download-only "qemu=$ver") \
		>"$work/download.log" 2>&1 ||
		{ tail -n 5 "$work/download.log"; die "apt-get source qemu=$ver failed (deb-src lines? make qemu-deps)"; }
fi
src=$work/src
if ! [ -f "$src/.xsavectl-source" ] || [ "$(cat "$src/.xsavectl-source")" != "$ver" ]; then
	say "extracting qemu_$uver.dsc (dpkg-source -x applies Debian's patches)"
	rm -rf "$src" "$work/obj"
	dpkg-source -q -x "$work/dl/qemu_$uver.dsc" "$src" >"$work/extract.log" 2>&1 ||
		{ tail -n 5 "$work/extract.log"; die "dpkg-source -x failed"; }
	(cd "$src" && git init -q && gitc add -A -f . && gitc commit -qm "Debian qemu $ver") ||
		die "cannot make a git repository of the source"
	echo "$ver" >"$src/.xsavectl-source"
fi
# Back to Debian's tree.  git rewrites only the files that differ, so the
# build below recompiles only what the series touches.
devices=configs/devices/x86_64-softmmu/xsavectl.mak
(cd "$src" && git reset -q --hard && git clean -qfdx -e /.xsavectl-source -e "/$devices") ||
	die "cannot reset the source tree"
say "source is Debian qemu $ver ($(cat "$src/VERSION"))"

# --- 2. the series, with quilt and with git am --------------------------------------
patches=$(ls "$series"/*.patch)
files=$(cat $patches | sed -n 's|^+++ b/||p' | sort -u)
mkdir -p "$src/debian/patches/xsavectl"
for p in $patches; do
	cp "$p" "$src/debian/patches/xsavectl/"
	echo "xsavectl/${p##*/}" >>"$src/debian/patches/series"
done
# dpkg-source -x left Debian's series applied (.pc): quilt pushes ours only.
if (cd "$src" && QUILT_PATCHES=debian/patches quilt push -a --fuzz=0) >"$work/quilt.log" 2>&1; then
	n_quilt=$(grep -c '^Applying patch' "$work/quilt.log")
	check "quilt applies the series after Debian's $(grep -cv -e '^xsavectl/' -e '^#' -e '^ *$' "$src/debian/patches/series") patches (no fuzz)" \
		'[ "$n_quilt" = "$(echo "$patches" | wc -l)" ]'
else
	sed 's/^/#   /' "$work/quilt.log"
	no "quilt applies the series after Debian's patches (no fuzz)"
	tap_done
	exit 1
fi
rm -rf "$work/am"
mkdir -p "$work/am"
(cd "$src" && git archive HEAD $files) | tar -C "$work/am" -xf -
(cd "$work/am" && git init -q && gitc add -A && gitc commit -qm "Debian qemu $ver")
check "git am applies the series to the same files" \
	'(cd "$work/am" && gitc am -q $patches) >"$work/am.log" 2>&1'
same=0
for f in $files; do
	cmp -s "$src/$f" "$work/am/$f" || same=1
done
check "quilt and git am give the same $(echo $files)" '[ $same = 0 ]'

# --- 3. build ------------------------------------------------------------------------
printf '%s\n' \
	'# xsavectl qemu-check: the pc machine, and the devices that a stream of' \
	'# Debian'"'"'s "qemu-system-x86_64 -machine pc -nodefaults" holds' \
	'# beyond the machine'"'"'s own (hpet, vmmouse).' \
	CONFIG_I440FX=y CONFIG_HPET=y CONFIG_VMPORT=y CONFIG_VMMOUSE=y >"$work/devices.mak"
cmp -s "$work/devices.mak" "$src/$devices" || cp "$work/devices.mak" "$src/$devices"
conf="--target-list=x86_64-softmmu --without-default-features --without-default-devices
--with-devices-x86_64=xsavectl --enable-kvm --disable-tcg --disable-docs --disable-tools
--disable-debug-info --disable-install-blobs --enable-werror"
obj=$work/obj
start=$(date +%s)
if ! [ -f "$obj/.xsavectl-configure" ] || [ "$(cat "$obj/.xsavectl-configure")" != "$conf" ]; then
	say "configuring: $(echo $conf)"
	rm -rf "$obj"
	mkdir -p "$obj"
	(cd "$obj" && "$src/configure" $conf) >"$work/configure.log" 2>&1 ||
		{ tail -n 20 "$work/configure.log"; die "configure failed (see $work/configure.log; make qemu-deps)"; }
	echo "$conf" >"$obj/.xsavectl-configure"
fi
say "building qemu-system-x86_64 (ninja -j$jobs)"
if ! nice -n 10 ninja -C "$obj" -j"$jobs" qemu-system-x86_64 >"$work/build.log" 2>&1; then
	grep -E 'error|warning' "$work/build.log" | head -n 20
	die "the build failed (see $work/build.log)"
fi
secs=$(($(date +%s) - start))
compiled=$(grep -c 'Compiling' "$work/build.log" || true)
say "configure and build took $secs s ($compiled files compiled)"
qemu=$obj/qemu-system-x86_64
check "the patched qemu-system-x86_64 is built, warnings as errors" \
	'[ -x "$qemu" ] && ! grep -q "warning:" "$work/build.log" && grep -q "werror *: *true" "$work/configure.log"'
check "it is the patched source: the failed register set is named" \
	'grep -q "Failed to set %s: %s" "$qemu" && grep -q "Putting registers after init: %s" "$qemu"'

# --- 4. round trips through KVM ------------------------------------------------------
run=$work/run
rm -rf "$run"
mkdir -p "$run"
cd "$run" || exit 1
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	skip "/dev/kvm cannot be opened: the KVM round trips are not run"
	tap_done
	exit
fi
[ -x "$debian_qemu" ] || die "$debian_qemu is not installed (make qemu-deps)"
kcpu=host,-arch-capabilities
common="-accel kvm -machine pc-i440fx-7.2 -cpu $kcpu -m 64 -nodefaults -display none -no-reboot"
# The firmware Debian's QEMU uses (its firmware path; a binary run from its build
# directory looks only in that directory).
firmware="-L /usr/share/qemu -L /usr/share/seabios"

# roundtrip QEMU IN OUT LOG [OPTION...]: QEMU loads IN through KVM without running
# it (-S), then saves it to OUT and quits.  The exit status is QEMU's.
roundtrip() {
	q=$1 in=$2 out=$3 log=$4
	shift 4
	rm -f mon.in "$out" "$log"
	mkfifo mon.in
	timeout 120 "$q" $common "$@" -S -incoming "exec:cat $in" -monitor stdio <mon.in >"$log" 2>&1 &
	pid=$!
	exec 3>mon.in
	i=0
	while [ $i -lt 300 ] && kill -0 $pid 2>/dev/null; do
		echo "info status" >&3 2>/dev/null || break
		grep -a "VM status" "$log" | grep -qv inmigrate && break
		sleep 0.2
		i=$((i + 1))
	done
	printf 'migrate "exec:cat > %s"\nquit\n' "$out" >&3 2>/dev/null
	exec 3>&-
	wait $pid
	st=$?
	rm -f mon.in
	return $st
}

# What QEMU said on stderr (error_report's lines), cut from the monitor's echo,
# which a message can interrupt mid-line.
said() {
	tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | grep -aoE '(qemu-system-x86_64|qemu): .*'
}

# The fixture pattern (tests/gen/mkstream.c): YMM i byte j = (i*37 + j*3 + 1) mod 256.
ymm() {
	awk -v i="$1" 'BEGIN { s = "0x"; for (j = 31; j >= 0; j--) s = s sprintf("%02x", (i * 37 + j * 3 + 1) % 256)
		print s }'
}
# pattern STREAM: how many of YMM0-15, MXCSR 0x9fc0 and st6 (pi) hold the pattern (18: all).
pattern() {
	"$XSAVECTL" inspect -r --vcpu 0 "$1" >regs.txt 2>&1 || { echo 0; return; }
	k=0
	for i in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		grep -q "^    ymm$i: *$(ymm $i)\$" regs.txt && k=$((k + 1))
	done
	grep -q '^    mxcsr: *0x00009fc0 ' regs.txt && k=$((k + 1))
	grep -q '^    st6: *0x4000c90fdaa22168c235 ' regs.txt && k=$((k + 1))
	echo $k
}
# reset STREAM: x87, SSE and AVX as KVM resets them (every register 0, MXCSR 0x1f80, FTW empty).
reset_state() {
	"$XSAVECTL" inspect -r --vcpu 0 "$1" >regs.txt 2>&1 &&
		grep -q '^    mxcsr: *0x00001f80 ' regs.txt && grep -q '^    ftw: *0xffff\b' regs.txt &&
		! grep -E '^    (st[0-7]|xmm[0-9]+|ymm[0-9]+): ' regs.txt | grep -qv ': *0x0*\( \|$\)'
}

# A reset vCPU, saved by Debian's QEMU through KVM.
rm -f mon.in
mkfifo mon.in
timeout 60 "$debian_qemu" $common -S -monitor stdio <mon.in >save.log 2>&1 &
pid=$!
printf 'migrate "exec:cat > reset.bin"\nquit\n' >mon.in
wait $pid
rm -f mon.in
if ! [ -s reset.bin ]; then
	skip "Debian's QEMU cannot run a KVM vCPU here: $(said save.log | head -n 1)"
	tap_done
	exit
fi
"$XSAVECTL" host --json >host.json 2>&1 || die "xsavectl host failed: $(head -n 1 host.json)"
hostmask=$(awk -F'"' '/"target"/ { t = 1 } t && /"mask"/ { print $4; exit }' host.json)
leak=
for bit in 0x200 0x8 0x20 0x20000; do		# PKRU, MPX BNDREGS, AVX-512 opmask, AMX TILECFG
	[ $((hostmask & bit)) = 0 ] && { leak=$bit; break; }
done
if [ -z "$leak" ]; then
	skip "this host's KVM (target $hostmask) loads PKRU, MPX, AVX-512 and AMX: no state it refuses"
	tap_done
	exit
fi
bv=0x$(printf %x $((0x7 | leak)))
"$MKSTREAM" --patch reset.bin leak.bin --xcr0 0x7 --bv "$bv" || die "mkstream --patch failed"
say "stream: a KVM reset vCPU with the fixture pattern, XSTATE_BV $bv, guest XCR0 0x7; host KVM target $hostmask"
"$XSAVECTL" check --xcr0 host leak.bin >/dev/null 2>&1
st=$?
check "xsavectl check --xcr0 host: this host's KVM refuses it, filter fixes it (exit 2)" \
	'[ $st = 2 ] && [ "$(pattern leak.bin)" = 18 ]'

# The bug: Debian's QEMU 7.2 ignores the failed KVM_SET_XSAVE.
roundtrip "$debian_qemu" leak.bin lost.bin debian.log
st=$?
said debian.log | sed 's/^/#   /' | grep . || echo "#   (Debian's QEMU said nothing)"
check "unpatched $debian_qemu loads it (exit $st) and saves it again" '[ $st = 0 ] && [ -s lost.bin ]'
"$XSAVECTL" diff leak.bin lost.bin >diff.txt 2>&1
st=$?
check "unpatched: the re-saved state has lost every register (diff exit $st, $(pattern lost.bin) of 18 kept, x87/SSE/AVX at reset)" \
	'[ $st = 1 ] && [ "$(pattern lost.bin)" = 0 ] && reset_state lost.bin'

# The fix: the patched binary refuses to run the guest.
roundtrip "$qemu" leak.bin refused.bin patched.log $firmware
st=$?
said patched.log | sed 's/^/#   /'
check "patched: exits non-zero (exit $st) and saves nothing" '[ $st != 0 ] && [ $st != 124 ] && ! [ -s refused.bin ]'
check "patched: the error names XSAVE and the errno" \
	'said patched.log | grep -q "^qemu-system-x86_64: Failed to set XSAVE: Invalid argument$" &&
	 said patched.log | grep -q "^qemu-system-x86_64: Putting registers after init: Invalid argument$"'

# And with the check's answer applied, the state survives.
check "xsavectl filter --xcr0 host: lossless" '"$XSAVECTL" filter --xcr0 host leak.bin -o fixed.bin >/dev/null 2>&1'
roundtrip "$qemu" fixed.bin kept.bin kept.log $firmware
st=$?
said kept.log | sed 's/^/#   /'
check "patched: loads the filtered stream (exit $st) and saves it again" '[ $st = 0 ] && [ -s kept.bin ]'
"$XSAVECTL" diff fixed.bin kept.bin >diff.txt 2>&1
st=$?
check "patched, filtered: every register intact (diff exit $st, $(pattern kept.bin) of 18 kept)" \
	'[ $st = 0 ] && [ "$(pattern kept.bin)" = 18 ]'

# The path before KVM_RUN: gdb writes a reserved MXCSR bit into the loaded, paused
# vCPU (QEMU then holds its registers dirty), and `cont` puts them before running.
# dirty QEMU LOG [OPTION...]: the VM status that follows, "running" or "paused (...)".
dirty() {
	q=$1 log=$2
	shift 2
	port=$((20000 + $$ % 20000))
	rm -f mon.in "$log"
	mkfifo mon.in
	timeout 120 "$q" $common "$@" -S -gdb tcp:127.0.0.1:$port -incoming "exec:cat fixed.bin" \
		-monitor stdio <mon.in >"$log" 2>&1 &
	pid=$!
	exec 3>mon.in
	for want in loaded cont; do
		[ $want = cont ] && echo cont >&3 2>/dev/null
		i=0
		while [ $i -lt 100 ] && kill -0 $pid 2>/dev/null; do
			echo "info status" >&3 2>/dev/null || break
			status=$(tr -d '\r' <"$log" | grep -ao 'VM status: .*' | tail -n 1)
			case $want:$status in
			loaded:*inmigrate* | loaded: | cont:*prelaunch*) ;;
			*) break ;;
			esac
			sleep 0.2
			i=$((i + 1))
		done
		[ $want = loaded ] && timeout 60 gdb -q -batch -ex 'set architecture i386:x86-64' \
			-ex "target remote 127.0.0.1:$port" -ex 'set $mxcsr = 0xffffffff' -ex detach \
			>gdb.log 2>&1
	done
	echo quit >&3 2>/dev/null
	exec 3>&-
	wait $pid
	rm -f mon.in
	echo "${status#VM status: }"
}
if command -v gdb >/dev/null 2>&1; then
	st=$(dirty "$debian_qemu" dirty-debian.log)
	check "unpatched: a dirty vCPU whose XSAVE KVM refuses (MXCSR 0xffffffff set by gdb) runs on ($st, nothing said)" \
		'[ "$st" = running ] && [ -z "$(said dirty-debian.log)" ]'
	st=$(dirty "$qemu" dirty-patched.log $firmware)
	said dirty-patched.log | sed 's/^/#   /'
	check "patched: the same vCPU is not run: the VM stops ($st), naming XSAVE and the errno" \
		'[ "$st" = "paused (internal-error)" ] &&
		 said dirty-patched.log | grep -q "^qemu-system-x86_64: Failed to set XSAVE: Invalid argument$" &&
		 said dirty-patched.log | grep -q "^qemu-system-x86_64: Putting registers before running the vCPU: Invalid argument$"'
else
	skip "gdb is not installed: the path before KVM_RUN is not checked"
fi

# --- 5. newer QEMU releases, which have upstream's fix (chroots) ---------------------
# The same two streams through Debian trixie's and sid's QEMU, in the chroots of
# tests/chroot.sh (made there when missing: root and the mirror).  Opt-in, as
# making them takes minutes: set XSAVECTL_CHROOTS (where they are kept).
if [ -z "${XSAVECTL_CHROOTS:-}" ]; then
	skip "XSAVECTL_CHROOTS is not set: QEMU 10.0 (trixie) and 11.1 (sid) are not checked"
fi
for name in ${XSAVECTL_CHROOTS:+trixie sid}; do
	dir=$(sh "$here/../tests/chroot.sh" "$name" 2>chroot.err)
	if [ -z "$dir" ]; then
		skip "no $name chroot: $(tail -n 1 chroot.err)"
		continue
	fi
	# chrooted.sh OPTION...: $CHROOT's qemu-system-x86_64, run in this directory
	# (a private mount namespace gives it /dev, /proc and this directory).
	mkdir -p "$dir/tmp/xsavectl-qemu-check"
	CHROOT=$dir
	export CHROOT
	cat >chrooted.sh <<-'EOF'
		#!/bin/sh
		exec unshare -m sh -c '
			mount --bind /dev "$CHROOT/dev" && mount -t proc proc "$CHROOT/proc" &&
			mount --bind "$PWD" "$CHROOT/tmp/xsavectl-qemu-check" &&
			exec chroot "$CHROOT" sh -c "cd /tmp/xsavectl-qemu-check && exec qemu-system-x86_64 \"\$@\"" sh "$@"
		' sh "$@"
	EOF
	chmod +x chrooted.sh
	v=$(./chrooted.sh --version 2>&1 | sed -n '1s/^QEMU emulator version \([^ ]*\).*/\1/p')
	roundtrip ./chrooted.sh leak.bin refused-$name.bin $name.log
	st=$?
	said $name.log | sed 's/^/#   /'
	check "$name's QEMU $v: refuses the stream, exit $st, naming XSAVE" \
		'[ $st != 0 ] && [ $st != 124 ] && ! [ -s refused-$name.bin ] &&
		 said $name.log | grep -q "Failed to set XSAVE: Invalid argument$"'
	roundtrip ./chrooted.sh fixed.bin kept-$name.bin kept-$name.log
	st=$?
	"$XSAVECTL" diff fixed.bin kept-$name.bin >diff.txt 2>&1
	dst=$?
	check "$name's QEMU $v: loads the filtered stream (exit $st), every register intact (diff exit $dst)" \
		'[ $st = 0 ] && [ $dst = 0 ] && [ "$(pattern kept-$name.bin)" = 18 ]'
done
tap_done
