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
DATA=${DATA:-$(cd "$(dirname "$0")/../data" && pwd)}
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
# xml NAME UUID [TYPE]: the domain XML libvirt passes on stdin (TYPE kvm, or qemu: TCG).
xml() { printf "<domain type='%s'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n</domain>\n" "${3:-kvm}" "$1" "$2"; }

# daemon NAME UUID IMAGE...: a stand-in daemon holding IMAGE... open (fds 5-8) runs the
# hook for domain NAME; its exit status in rc, stderr in err.
daemon() {
	dn=$1 du=$2
	shift 2
	xml "$dn" "$du" "${TYPE:-kvm}" >dom.xml
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

# The system log: a datagram socket standing for /dev/log receives what logger sends.
python3 -u "$here/syslog-sink.py" "$work/log.sock" "$work/syslog" 2>/dev/null &
logd=$!
i=0
while [ ! -S "$work/log.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
trap 'kill $logd 2>/dev/null; rm -rf "$work"' EXIT
conf() {
	cat >hooks/xsavectl.conf <<EOC
XSAVECTL=$XSAVECTL
TARGET="--xcr0 0x7"
LOG_SOCKET=$work/log.sock
$*
EOC
	: >syslog
}
# The last line the log received, once it arrived (logger returns before the reader writes).
logline() { i=0; while [ ! -s syslog ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; tail -n 1 syslog; }
conf
DN=B; daemon B $U_B b.img
check "a refusal goes to the system log: daemon.err (<27>), tag xsavectl-hook, domain and verdict" \
	'[ $rc = 1 ] && logline | grep -q "^<27>.* xsavectl-hook: domain '"'"'B'"'"': this host cannot load the saved state; the guest would lose registers: $work/b.img vcpu0: incompatible"'
conf LOG=none
DN=B; daemon B $U_B b.img
check "LOG=none: refused, nothing logged" '[ $rc = 1 ] && sleep 0.3 && [ ! -s syslog ]'
cp c.img cf.img
conf ON_FIXABLE=filter
DN=B; daemon B $U_B cf.img
check "ON_FIXABLE=filter: the rewrite goes to the log (daemon.notice, <29>), naming the image and the change" \
	'[ $rc = 0 ] && logline | grep -q "^<29>.* domain '"'"'B'"'"': filtered '"'"'$work/cf.img'"'"' in place: .*strip" &&
	 "$XSAVECTL" check -q --xcr0 0x7 cf.img >/dev/null'
# A compressed image: filtered where the file itself can be rewritten (lzop: its last
# block), refused where only a new file could hold it (gzip), which the daemon's open
# descriptor would never read.  limg IN OUT FORMAT CMD: IN with its stream through CMD.
limg() {
	hn=$((92 + $(od -A n -t u4 -j 20 -N 4 "$1")))
	head -c $hn "$1" >"$2" && printf "\\$(printf %03o "$3")" |
		dd of="$2" bs=1 seek=28 conv=notrunc 2>/dev/null && tail -c +$((hn + 1)) "$1" | $4 >>"$2"
}
limg c.img cz.img 4 "lzop -c"
ino=$(stat -c %i cz.img)
DN=B; daemon B $U_B cz.img
check "ON_FIXABLE=filter: an lzop image is filtered in its own file (inode kept), logged, and loads" \
	'[ $rc = 0 ] && [ "$(stat -c %i cz.img)" = "$ino" ] &&
	 logline | grep -q "^<29>.* domain '"'"'B'"'"': filtered '"'"'$work/cz.img'"'"' in place: .*strip" &&
	 "$XSAVECTL" check -q --xcr0 0x7 cz.img >/dev/null'
limg c.img cg.img 1 "gzip -c"
cp cg.img cg.before
DN=B; daemon B $U_B cg.img
check "ON_FIXABLE=filter: a gzip image (only a new file could hold it) is refused, untouched, saying why" \
	'[ $rc = 1 ] && grep -q "cannot filter '"'"'$work/cg.img'"'"' where the daemon reads it: .*gzip: one compressed stream" err &&
	 [ $(wc -l <err) = 1 ] && cmp -s cg.img cg.before'
cp b.img bd.img
conf DRY_RUN=yes
DN=B; daemon B $U_B bd.img
check "DRY_RUN=yes: an incompatible image is let through (exit 0), logged as 'would refuse', untouched" \
	'[ $rc = 0 ] && logline | grep -q "^<29>.* dry run: would refuse: this host cannot load" && cmp -s bd.img b.img'
cp c.img cd.img
conf DRY_RUN=yes ON_FIXABLE=filter
DN=B; daemon B $U_B cd.img
check "DRY_RUN=yes ON_FIXABLE=filter: a fixable image is logged as 'would filter', not rewritten" \
	'[ $rc = 0 ] && logline | grep -q "dry run: would filter '"'"'$work/cd.img'"'"' in place" && cmp -s cd.img c.img'

# TCG domains (type='qemu'): QEMU under TCG keeps every register it carries, whatever the
# host's KVM would load.
conf
TYPE=qemu DN=B; export TYPE; daemon B $U_B b.img
check "a TCG domain with DOMAINS=kvm (default): not judged, exit 0" '[ $rc = 0 ] && [ ! -s err ]'
conf DOMAINS=all
daemon B $U_B b.img
check "DOMAINS=all: a TCG domain is judged against what TCG loads: b.img (no KVM 0x7 host can load it) restores" \
	'[ $rc = 0 ] && [ ! -s err ]'
head -c 4096 b.img >cut.img
daemon B $U_B cut.img
check "DOMAINS=all: a TCG domain's unreadable image is refused, naming the image and the reason" \
	'[ $rc = 1 ] && grep -q "could not read '"'"'$work/cut.img'"'"' (exit 65): .*offset 0x14" err'
conf DOMAINS=all 'TCG_TARGET="--xcr0 0x7"'
daemon B $U_B b.img
check "TCG_TARGET: a TCG domain judged as a 0x7 KVM host would load it: refused" \
	'[ $rc = 1 ] && grep -q "cannot load the saved state" err'
unset TYPE
# A path swapped between the check and the rewrite: an xsavectl that, once it has judged
# the image, replaces its path by a symlink to another file (a 0600 victim).  The hook must
# notice the path no longer names the daemon's file and refuse, touching neither file.
cat >swap-xsavectl <<EOS
#!/bin/sh
"$XSAVECTL" "\$@"
rc=\$?
if [ "\$1" = check ] && [ ! -L "$work/sw.img" ]; then
	mv "$work/sw.img" "$work/sw-moved.img" && ln -s "$work/victim" "$work/sw.img"
fi
exit \$rc
EOS
chmod +x swap-xsavectl
cp c.img sw.img
cp c.img victim
chmod 600 victim
conf ON_FIXABLE=filter LOG=none "XSAVECTL=$work/swap-xsavectl"
DN=B; daemon B $U_B sw.img
check "a path swapped for a symlink after the check: refused, neither the image nor the link's target rewritten" \
	'[ $rc = 1 ] && grep -q "no longer names the file the daemon holds" err &&
	 cmp -s sw-moved.img c.img && cmp -s victim c.img'
# The destination of a live migration: "qemu NAME migrate begin -" with the incoming domain
# XML (a real `virsh dumpxml` of a SandyBridge guest, made a KVM domain) on stdin.
sed "s/<domain type='qemu'/<domain type='kvm'/" "$DATA/libvirt-9.0-dumpxml-sandybridge.xml" >mig.xml
migrate() { sh hooks/qemu xs-sandybridge migrate begin - <mig.xml >out 2>err; rc=$?; }
conf 'TARGET="--xcr0 0x3"'
migrate
check "migrate begin: a guest CPU with AVX (SandyBridge) to a host without it: refused, naming what it lacks, logged" \
	'[ $rc = 1 ] && grep -q "incoming migration refused: .*lacks: the destination lacks avx" err && [ ! -s out ] &&
	 logline | grep -q "^<27>.* xsavectl-hook: domain '"'"'xs-sandybridge'"'"': incoming migration refused"'
conf 'TARGET="--xcr0 0x7"'
migrate
check "migrate begin: the same guest to a host with AVX: let through (exit 0), nothing on stdout" \
	'[ $rc = 0 ] && [ ! -s out ]'
conf 'TARGET="--xcr0 0x3"' DRY_RUN=yes
migrate
check "migrate begin with DRY_RUN=yes: let through, logged as 'would refuse'" \
	'[ $rc = 0 ] && logline | grep -q "dry run: would refuse: incoming migration refused"'
sed "s/<domain type='kvm'/<domain type='qemu'/" mig.xml >mig-tcg.xml
conf 'TARGET="--xcr0 0x3"' DOMAINS=all
sh hooks/qemu xs-sandybridge migrate begin - <mig-tcg.xml >out 2>err; rc=$?
check "migrate begin of a TCG domain: nothing to judge (exit 0)" '[ $rc = 0 ] && [ ! -s err ]'
tap_done
