#!/bin/sh
# The layout rule against this machine's real KVM: an Intel-layout image
# (synthetic: mkxsave, AVX-512 live) relocated by `filter --target` a profile
# of this host, set with KVM_SET_XSAVE into a fresh vCPU and read back with
# KVM_GET_XSAVE (../shared/tools/xsave-capture.c, `kvm` mode, built here),
# holds the input's registers.  On an AMD host the unrelocated image is also
# set, and must read back different registers: the control that shows the
# comparison can fail.  Skips (visibly) without /dev/kvm or AVX-512.
# usage: XSAVECTL=... MKXSAVE=... [CAPTURE_SRC=xsave-capture.c] sh tests/live/relocate-kvm.sh
set -u
: "${XSAVECTL:?}" "${MKXSAVE:?}"
TAP_NAME="live relocate (KVM)"
. "$(dirname "$0")/../tap.sh"
src=${CAPTURE_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/tools/xsave-capture.c}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
x=$XSAVECTL
unset XSAVECTL_HOST_CPUID

# The registers an image holds with layout $2 (intel, amd, host): the inspect section.
regs() { "$x" inspect -r --layout "$2" "$1" | sed -n '/registers:/,$p'; }

"$MKXSAVE" -o intel.xsave --vendor intel --bv 0xe7 --xcr0-sw 0xe7 --size 4096
"$x" host --no-kvm --save-profile host.json >/dev/null
check "this host's profile is written" "[ -s host.json ]"
xcr0=$("$x" host --no-kvm | sed -n 's/^ *supported_xcr0: *\(0x[0-9a-f]*\).*/\1/p')
vendor=$("$x" host --no-kvm | sed -n 's/^ *vendor: *//p')
if [ $((${xcr0:-0} & 0xe0)) != $((0xe0)) ]; then
	skip "this host has no AVX-512 (supported XCR0 ${xcr0:-unknown}): nothing to relocate"
	tap_done
	exit $?
fi
"$x" check -q --target host.json intel.xsave >check.out
rc=$?
case $vendor in
AuthenticAMD) check "AMD host: the Intel image is fixable (relocate)" \
	"[ $rc = 2 ] && grep -q 'relocate opmask zmm_hi256 hi16_zmm' check.out" ;;
*) check "Intel host: the Intel image is ok as it is" "[ $rc = 0 ]" ;;
esac
"$x" filter -q --target host.json -o rel.xsave intel.xsave >/dev/null
check "filter writes the image on this host's layout" \
	"[ \$? = 0 ] && \"$x\" check -q --target host.json rel.xsave >/dev/null"
regs intel.xsave intel >in.regs
regs rel.xsave host >rel.regs
check "the relocated image holds the input's registers (read with this host's layout)" \
	"cmp -s in.regs rel.regs"

if [ ! -e /dev/kvm ]; then
	skip "no /dev/kvm on this machine: KVM_SET_XSAVE/KVM_GET_XSAVE of the relocated image not run"
	tap_done
	exit $?
fi
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	skip "/dev/kvm is not accessible to this user: the live ioctls are not run"
	tap_done
	exit $?
fi
if ! [ -r "$src" ] || ! cc -O2 -o capture "$src" 2>cc.err; then
	skip "cannot build $src (the KVM capture tool): $(head -1 cc.err 2>/dev/null)"
	tap_done
	exit $?
fi
./capture kvm rel.xsave back.xsave 2>kvm.err
check "KVM_SET_XSAVE takes the relocated image, KVM_GET_XSAVE gives it back" \
	"[ \$? = 0 ] && [ -s back.xsave ]"
regs back.xsave host >back.regs
check "read back through KVM: the input's registers ($(grep -c zmm in.regs) zmm, k0-7)" \
	"cmp -s in.regs back.regs"
if [ "$vendor" = AuthenticAMD ]; then
	./capture kvm intel.xsave raw.xsave 2>raw.err
	regs raw.xsave host >raw.regs
	check "control: the unrelocated Intel image reads back other registers" \
		"! cmp -s in.regs raw.regs"
fi
tap_done
