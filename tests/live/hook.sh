#!/bin/sh
# The libvirt hook (hooks/qemu) against a stand-in daemon: a process that holds save
# images open and runs the hook as its child, as libvirtd does for "qemu NAME restore
# begin -" (the domain XML on stdin, no path).  tests/live/libvirt.sh runs the hook
# inside the real libvirtd; this suite covers what a real daemon cannot be made to do
# on demand: two domains' images open at once, a planted process posing as the
# daemon's child, and names that are not plain words.  Images: synthetic (mkstream).
# usage: XSAVECTL=... MKSTREAM=... sh tests/live/hook.sh
set -u
: "${XSAVECTL:?}" "${MKSTREAM:?}"
TAP_NAME="live hook"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tap.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
mkdir hooks
cp "$here/../../hooks/qemu" hooks/qemu
cat >hooks/xsavectl.conf <<EOC
XSAVECTL=$XSAVECTL
TARGET="--xcr0 0x7"
EOC
U_A=11111111-2222-3333-4444-555555555555
U_B=66666666-7777-8888-9999-aaaaaaaaaaaa
# A: loads on 0x7 (ok); B: its guest XCR0 has PKRU (incompatible with 0x7);
# C: host PKRU a 5.16 kernel leaked (fixable).
"$MKSTREAM" --libvirt raw --domain A --uuid $U_A a.img
"$MKSTREAM" --libvirt raw --domain B --uuid $U_B --xcr0 0x207 --bv 0x207 --subs pkru b.img
"$MKSTREAM" --libvirt raw --domain B --uuid $U_B --xcr0 0x7 --bv 0x207 --subs pkru c.img
xml() { printf "<domain type='kvm'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n</domain>\n" "$1" "$2"; }

# daemon NAME UUID IMAGE...: a stand-in daemon holding IMAGE... open (fds 5-8) runs the
# hook for domain NAME; its exit status in rc, stderr in err.
daemon() {
	dn=$1 du=$2
	shift 2
	xml "$dn" "$du" >dom.xml
	# shellcheck disable=SC2016
	sh -c 'n=5; for f; do eval "exec $n<\"\$f\""; n=$((n + 1)); done
		sh hooks/qemu "$DN" restore begin - <dom.xml >out 2>err; echo $? >rc' \
		sh "$@" </dev/null
	rc=$(cat rc)
}
export DN
DN=B; daemon B $U_B a.img b.img
check "two domains' images open, hook for B: B's own image judged (exit 1), not A's, named by its path" \
	'[ $rc = 1 ] && grep -q "cannot load.*: $work/b.img vcpu0: incompatible" err && [ ! -s out ] &&
	 ! grep -q /proc/ err'
DN=A; daemon A $U_A b.img a.img
check "two domains' images open, hook for A: A's image judged (exit 0)" '[ $rc = 0 ] && [ ! -s err ]'
cp c.img c2.img
DN=B; daemon B $U_B a.img c.img c2.img
check "two different open images name domain B: refused, cannot tell them apart" \
	'[ $rc = 1 ] && grep -q "several open save images" err && [ $(wc -l <err) = 1 ]'
DN=B; daemon B $U_B a.img c.img c.img
check "the same image open twice: one image, judged (fixable: exit 1 with ON_FIXABLE=refuse)" \
	'[ $rc = 1 ] && grep -q "needs xsavectl filter" err'
DN=B; daemon B 00000000-0000-0000-0000-000000000000 c.img
check "an image of a namesake domain (other UUID): not taken, refused as no image" \
	'[ $rc = 1 ] && grep -q "no saved image of this domain" err'

# A planted process whose name makes a naive split of /proc/PID/stat read the daemon's
# pid as its parent, holding an image of B that would load.  The daemon itself holds
# nothing: its helper (libvirt_iohelper with --bypass-cache) holds the real image, and
# the planted process started first (a lower pid, met first in /proc).
"$MKSTREAM" --libvirt raw --domain B --uuid $U_B bok.img
DN=B
rm -f go dpid
xml B $U_B >dom.xml
# shellcheck disable=SC2016
sh -c 'echo $$ >dpid; while [ ! -e go ]; do sleep 0.1; done
	(exec 5<"$1"; exec sleep 30) & helper=$!; sleep 0.3
	sh hooks/qemu "$DN" restore begin - <dom.xml >out 2>err; echo $? >rc; kill $helper' \
	sh b.img </dev/null &
daemon_job=$!
while [ ! -s dpid ]; do sleep 0.1; done
cp "$(command -v sleep)" "a b $(cat dpid) c"
(exec 5<bok.img; exec "./a b $(cat dpid) c" 30) &
planted=$!
sleep 0.3
touch go
wait $daemon_job
kill $planted 2>/dev/null
wait $planted 2>/dev/null
check "a planted process named 'a b DAEMONPID c' is not the daemon's child: the helper's image judged" \
	'[ "$(cat rc)" = 1 ] && grep -q "cannot load" err'

# Names that are not plain words reach the messages as data.
cp c.img "it's here.img"
DN='x\ty'; daemon 'x\ty' $U_B "it's here.img"
check "a backslash in the domain name is printed as is (no echo escapes)" \
	'grep -q "domain '"'"'x\\\\ty'"'"'" err'
"$MKSTREAM" --libvirt raw --domain "q'; touch PWNED; echo '" --uuid $U_B --xcr0 0x7 --bv 0x207 --subs pkru q.img
mv q.img "q'; touch PWNED; echo '.img"
DN="q'; touch PWNED; echo '"; daemon "$DN" $U_B "q'; touch PWNED; echo '.img"
cmd=$(sed -n 's/.*run: xsavectl filter \(.*\) (or set ON_FIXABLE.*/\1/p' err)
# The last word of the suggested arguments, as a shell would split them.
last_arg() { eval "set -- $1" && eval "printf %s \"\${$#}\""; }
check "the suggested filter command quotes the image path: one argument, nothing runs" \
	'[ $rc = 1 ] && [ -n "$cmd" ] &&
	 [ "$(last_arg "$cmd")" = "$work/q'"'"'; touch PWNED; echo '"'"'.img" ] && [ ! -e PWNED ]'
tap_done
