#!/bin/sh
# `xsavectl probe` against this machine's real /dev/kvm.  The classification
# itself is tested from recorded answers (tests/unit/test_kprobe.c, golden
# cases probe-*); here the live ioctls must run, record answers that judge the
# same when read back, and land in the class this host must give:
# "inconclusive" where kvm_pvm rewrites the guest CPUID (these build
# machines), one of fixed/needs-patch/leaks/pre-5.16 elsewhere.
# usage: XSAVECTL=... sh tests/live/probe.sh
set -u
: "${XSAVECTL:?}"
TAP_NAME="live probe"
. "$(dirname "$0")/../tap.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
x=$XSAVECTL

"$x" probe --device "$work/none" >out 2>err
check "live probe: a missing KVM device is exit 69 with one line naming it" \
	"[ $? = 69 ] && [ ! -s out ] && [ \$(wc -l <err) = 1 ] && grep -q \"'$work/none'\" err"

if [ ! -e /dev/kvm ]; then
	"$x" probe >out 2>err
	check "live probe: no /dev/kvm here: exit 69, one line on stderr" \
		"[ $? = 69 ] && [ ! -s out ] && [ \$(wc -l <err) = 1 ]"
	skip "no /dev/kvm on this machine: the live ioctls are not run"
	tap_done
	exit $?
fi
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	"$x" probe >out 2>err
	check "live probe: /dev/kvm not accessible: exit 77, one line on stderr" \
		"[ $? = 77 ] && [ ! -s out ] && [ \$(wc -l <err) = 1 ]"
	skip "/dev/kvm is not accessible to this user: the live ioctls are not run"
	tap_done
	exit $?
fi

"$x" probe >live.txt 2>live.err
rc=$?
check "live probe: runs and exits with a class (0, 1, 2 or 3), nothing on stderr" \
	"[ $rc -le 3 ] && [ ! -s live.err ] && grep -Eq '^class: +(fixed|needs-patch|leaks|pre-5.16|inconclusive)$' live.txt"
echo "# live probe: $(grep -E '^(class|reason):' live.txt | tr -s ' ' | paste -sd ';' -)"
"$x" probe --record >r1.rec && "$x" probe --record >r2.rec
check "live probe: --record answers the same twice (throwaway VMs leave nothing behind)" \
	"cmp -s r1.rec r2.rec"
"$x" probe --from r1.rec >from.txt
frc=$?
grep -v '^source:' live.txt >a
grep -v '^source:' from.txt >b
check "live probe: the record judged with --from gives the live verdict and exit code" \
	"[ $frc = $rc ] && cmp -s a b"
"$x" probe --json >live.json
check "live probe: every step was asked: 18 answers in the record, 18 steps in --json" \
	"[ \$(grep -vc '^#\\|=' r1.rec) = 18 ] && [ \$(grep -c '\"step\": ' live.json) = 18 ] &&
	 grep -q '\"class\": ' live.json && grep -q '\"reason\": ' live.json"

# Cross-checks with what this kernel is known to be.
release=$(uname -r)
case $release in
[0-4].* | 5.[0-9].* | 5.1[0-5].*) want="before 5.16" ;;
*) want="5.16+" ;;
esac
check "live probe: header checks match the running kernel ($release: $want)" \
	"grep -q '^  header_checks: *$want\$' live.txt"
if [ -d /sys/module/kvm_pvm ]; then
	check "live probe: kvm_pvm rewrites the guest CPUID: inconclusive (exit 3), reason says so" \
		"[ $rc = 3 ] && grep -q 'KVM rewrote the guest CPUID' live.txt && grep -q 'cpuid_applied: *no' live.txt"
else
	check "live probe: KVM applies the guest CPUID here: a real class (exit 0, 1 or 2)" \
		"[ $rc -le 2 ] && grep -q 'cpuid_applied: *yes' live.txt"
fi

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups "$x" --version >/dev/null 2>&1 &&
	! setpriv --reuid=65534 --regid=65534 --clear-groups test -w /dev/kvm; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$x" probe >out 2>err
	check "live probe: as an unprivileged user: exit 77, one line naming /dev/kvm" \
		"[ $? = 77 ] && [ ! -s out ] && [ \$(wc -l <err) = 1 ] && grep -q /dev/kvm err"
else
	skip "cannot run as an unprivileged user without /dev/kvm access: the exit-77 path is not run"
fi
tap_done
