#!/bin/sh
# make nested-check: `xsavectl probe` against real KVM code, not recordings.
#
# This machine's /dev/kvm (kvm_pvm) rewrites the guest CPUID, so the probe can
# only say "inconclusive" here.  Instead, boot Debian's own kernel under QEMU
# (TCG, an emulated AMD CPU with SVM), load its kvm and kvm-amd modules in an
# initramfs that holds xsavectl, and run the probe there, against real KVM
# code of four builds from the same 6.1 source:
#   stock     Debian's modules (6.1.192 has the fix)        -> fixed, exit 0
#   leaky     KVM_GET_XSAVE masks with the host's features   -> leaks, exit 2
#             (patch 2's x86.c hunk reversed: what 5.16 did)
#   affected  the KVM half of patch 2 reversed (6.1.0-6.1.59) -> needs-patch, exit 1
#   no-fpsse  affected, and without a1020a25e697's "| FPSSE"  -> needs-patch, exit 1,
#             (5.17-5.19.11)                                  x87/sse refused too
# The modules are rebuilt from linux-source-6.1 with the kernel's own .config
# and Module.symvers (linux-headers), so they load into the booted kernel.
# Needs network for apt-get download, qemu-system-x86, linux-source-6.1
# (make kernel-deps) of the same version as the kernel image.
# usage: XSAVECTL=... sh tests/nested/run.sh WORKDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${XSAVECTL:?}"
work=${1:-build-nested}
mkdir -p "$work"
work=$(cd "$work" && pwd)
# The work directory may sit inside xsavectl's own git checkout: git apply must
# not take that repository for the kernel tree's (it would skip every path).
GIT_CEILING_DIRECTORIES=$work
export GIT_CEILING_DIRECTORIES
tarball=${KERNEL_SRC:-/usr/src/linux-source-6.1.tar.xz}
jobs=${JOBS:-$(nproc)}
TAP_NAME="nested probe"
. "$here/../tap.sh"
die() { echo "Bail out! $*"; exit 1; }

# The kernel Debian currently ships for bookworm, and its packages.
abi=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: linux-image-\(.*\)-amd64$/\1/p' | head -1)
[ -n "$abi" ] || die "cannot resolve linux-image-amd64 (apt-get update?)"
cd "$work" || exit 1
if ! ls linux-image-"$abi"-amd64-unsigned_*.deb >/dev/null 2>&1; then
	rm -f ./*.deb
	apt-get download "linux-image-$abi-amd64-unsigned" "linux-headers-$abi-amd64" busybox-static \
		>download.log 2>&1 || die "apt-get download failed (see $work/download.log)"
fi
rm -rf img hdr bb
dpkg-deb -x linux-image-"$abi"-amd64-unsigned_*.deb img
dpkg-deb -x linux-headers-"$abi"-amd64_*.deb hdr
dpkg-deb -x busybox-static_*.deb bb
kver=$(dpkg-deb -f linux-image-"$abi"-amd64-unsigned_*.deb Version)
mods=img/lib/modules/$abi-amd64/kernel
hdrdir=hdr/usr/src/linux-headers-$abi-amd64
echo "# nested probe: Debian kernel $abi-amd64 ($kver)"

# The initramfs: busybox, xsavectl and its libraries, the modules of one build.
rm -rf base
mkdir -p base/bin base/mods base/proc base/sys base/dev
cp bb/bin/busybox base/bin/
cp "$XSAVECTL" base/bin/xsavectl
for lib in $(ldd "$XSAVECTL" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'); do
	mkdir -p "base$(dirname "$lib")"
	cp -L "$lib" "base$lib"
done
cp "$here/init" base/init
chmod +x base/init
cp "$mods/virt/lib/irqbypass.ko" "$mods/drivers/crypto/ccp/ccp.ko" base/mods/

# Boot with one build's kvm.ko and kvm-amd.ko; leaves NAME.out and NAME.rec.
boot() {
	name=$1 dir=$2
	rm -rf "r-$name"
	cp -a base "r-$name"
	cp "$dir/kvm.ko" "$dir/kvm-amd.ko" "r-$name/mods/"
	(cd "r-$name" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$name.cpio.gz"
	timeout 600 qemu-system-x86_64 -accel tcg -cpu max,vendor=AuthenticAMD,+svm -m 1024 -smp 1 \
		-nographic -no-reboot -kernel "img/boot/vmlinuz-$abi-amd64" -initrd "$name.cpio.gz" \
		-append "console=ttyS0 quiet panic=-1" </dev/null 2>&1 | tr -d '\r' >"$name.out"
	sed -n '/^NEST-RECORD-BEGIN/,/^NEST-RECORD-END/p' "$name.out" | sed '1d;$d' >"$name.rec"
	rm -rf "r-$name"
}

# One build's verdict: the probe's exit code and class, and the record read back.
verdict() {
	name=$1 want_rc=$2 want_class=$3 extra=$4
	rc=$(sed -n 's/^NEST-PROBE-EXIT //p' "$name.out")
	class=$(sed -n 's/^class: *\([^ ]*\).*/\1/p' "$name.out")
	echo "# nested probe: $name: $(grep -E '^reason:' "$name.out" | sed 's/^reason: *//')"
	check "nested probe: $name build: class $want_class, exit $want_rc" \
		"[ '$rc' = $want_rc ] && [ '$class' = '$want_class' ] && grep -q 'cpuid_applied: *yes' $name.out $extra"
	"$XSAVECTL" probe --from "$name.rec" >/dev/null 2>&1
	check "nested probe: $name record read back with --from: exit $want_rc" "[ $? = $want_rc ]"
}

boot stock "$mods/arch/x86/kvm"
verdict stock 0 fixed ""

# The variants, rebuilt from linux-source-6.1 of the same version.
srcver=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null)
if [ "$srcver" != "$kver" ]; then
	skip "linux-source-6.1 is '$srcver', the kernel $kver: the rebuilt variants are not run"
	tap_done
	exit $?
fi
if [ ! -f src/.xsavectl-prepared ]; then
	rm -rf src
	mkdir -p src
	tar -C src --strip-components=1 -xf "$tarball"
	cp "$hdrdir/.config" "$hdrdir/Module.symvers" src/
	(cd src && make -s olddefconfig && make -s KERNELRELEASE="$abi-amd64" -j"$jobs" modules_prepare) \
		>prepare.log 2>&1 || die "modules_prepare failed (see $work/prepare.log)"
	touch src/.xsavectl-prepared
fi
patch2=$(ls "$here"/../../kernel/6.1.y/0002-*.patch)
for f in x86.c cpuid.c; do
	# An interrupted run left its edits and the originals beside them.
	[ ! -f "src/arch/x86/kvm/$f.orig" ] || mv "src/arch/x86/kvm/$f.orig" "src/arch/x86/kvm/$f"
	cp "src/arch/x86/kvm/$f" "src/arch/x86/kvm/$f.orig"
	touch "src/arch/x86/kvm/$f"	# objects left by an interrupted run are stale
done
(cd src && git apply -R -C2 --include=arch/x86/kvm/x86.c "$patch2" 2>/dev/null) || die "cannot reverse patch 2 (x86.c)"
build() {
	(cd src && make -s KERNELRELEASE="$abi-amd64" -j"$jobs" M=arch/x86/kvm) >"build-$1.log" 2>&1 ||
		die "building the $1 modules failed (see $work/build-$1.log)"
	mkdir -p "ko-$1"
	cp src/arch/x86/kvm/kvm.ko src/arch/x86/kvm/kvm-amd.ko "ko-$1/"
}
build leaky
(cd src && git apply -R -C2 --include=arch/x86/kvm/cpuid.c "$patch2" 2>/dev/null) || die "cannot reverse patch 2 (cpuid.c)"
build affected
sed -i 's/user_xfeatures = vcpu->arch.guest_supported_xcr0 |$/user_xfeatures = vcpu->arch.guest_supported_xcr0;/;
	/^[[:space:]]*XFEATURE_MASK_FPSSE;$/d' src/arch/x86/kvm/cpuid.c
grep -q 'user_xfeatures = vcpu->arch.guest_supported_xcr0;' src/arch/x86/kvm/cpuid.c ||
	die "cannot drop | XFEATURE_MASK_FPSSE from cpuid.c"
build no-fpsse
# Leave the source as extracted for the next run, newer than the variant's objects.
for f in x86.c cpuid.c; do
	mv "src/arch/x86/kvm/$f.orig" "src/arch/x86/kvm/$f"
	touch "src/arch/x86/kvm/$f"
done

boot leaky ko-leaky
verdict leaky 2 leaks ""
boot affected ko-affected
verdict affected 1 needs-patch "&& grep -q 'fpsse_refused_without_xsave: *no' affected.out"
boot no-fpsse ko-no-fpsse
verdict no-fpsse 1 needs-patch "&& grep -q 'fpsse_refused_without_xsave: *yes' no-fpsse.out"
tap_done
