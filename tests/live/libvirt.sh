#!/bin/sh
# Real libvirt save images, made at test time by a real libvirtd:
#  - Debian 12's libvirt 9.0 (QEMU 7.2), the system's own;
#  - libvirt 11.3 (QEMU 10.0) from the Debian trixie chroot of tests/chroot.sh.
# Each daemon runs by hand in a private mount namespace (unshare -m) whose
# /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/cache/libvirt and
# /var/log/libvirt are this suite's own directories (for 11.3, the chroot's, with
# /proc, /dev and /sys bound in): nothing of the system's libvirt is touched and
# the mounts go with the namespace.  qemu.conf: user/group +0, security driver
# none, no cgroups, no namespaces, save_image_format per run (the daemon is
# restarted for each).  A TCG domain boots the test guest (tests/guest) as its
# <kernel>: 64 MiB, 2 vCPUs, <cpu mode='maximum'>, named `xs&1 <test>` (XML
# escaping); one more with 1 vCPU and the SandyBridge model.  Every format is
# saved, inspected (every register of every vCPU), filtered to a file and in
# place, restored by `virsh restore`, saved again and compared.  Also:
# managedsave, save --paused, save --xml, save-image-define, --bypass-cache and
# a save stopped midway (a real LibvirtQemudPart file); 11.3: zstd, sparse, and
# sparse with --parallel-channels 2.  Every daemon and QEMU it starts, it stops
# by pid.  Not root, no libvirtd or no unshare/nsenter: a visible SKIP line.
# usage: XSAVECTL=... GUEST=... [XSAVECTL_CHROOTS=...] [XSAVECTL_LIBVIRT_ONLY=9.0|11.3] \
#	[XSAVECTL_LIBVIRT_FORMATS="raw xz"] sh tests/live/libvirt.sh
set -u
: "${XSAVECTL:?}" "${GUEST:?}"
TAP_NAME="live libvirt"
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/tap.sh"

xs() { "$XSAVECTL" "$@"; }
NAME='xs&1 <test>'
NAME_XML='xs&amp;1 &lt;test&gt;'
work=$(mktemp -d /tmp/xsavectl-libvirt.XXXXXX)
dpid='' root='' d='' P=''

# Every QEMU of the daemon's domains (its pid files), then the daemon, by pid.
lv_stop() {
	[ -n "$dpid" ] || return 0
	for f in "$d"/run/libvirt/qemu/*.pid; do
		[ -f "$f" ] || continue
		p=$(cat "$f" 2>/dev/null)
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null
	done
	kill "$dpid" 2>/dev/null
	i=0
	while kill -0 "$dpid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	dpid=
}
finish() { lv_stop; [ -n "${logd:-}" ] && kill "$logd" 2>/dev/null; [ -n "${XSAVECTL_LIBVIRT_KEEP:-}" ] || rm -rf "$work"; tap_done; exit; }
trap 'lv_stop; [ -n "${logd:-}" ] && kill "$logd" 2>/dev/null; [ -n "${XSAVECTL_LIBVIRT_KEEP:-}" ] || rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
cd "$work" || exit 1

if [ "$(id -u)" != 0 ]; then
	skip "not root: libvirtd cannot be started here"
	finish
fi
for t in unshare nsenter; do
	command -v $t >/dev/null 2>&1 || { skip "$t is missing (util-linux)"; finish; }
done
if ! unshare -m --propagation private sh -c "mount --bind '$work' '$work'" 2>/dev/null; then
	skip "no private mount namespace with bind mounts here (unshare -m): the daemon cannot run"
	finish
fi

# lv_start ROOT FORMAT: libvirtd of the system at ROOT (/ or a chroot), saving in FORMAT.
# The domains, images and guest live in $work, which the daemon sees as $P.
lv_start() {
	root=$1
	d=$work/daemon$(echo "$root" | tr / _)
	mkdir -p "$d/etc" "$d/run/libvirt" "$d/lib" "$d/cache" "$d/log"
	cat >"$d/etc/qemu.conf" <<EOF
user = "+0"
group = "+0"
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
save_image_format = "$2"
EOF
	: >"$d/etc/libvirtd.conf"
	# HOOK=1: xsavectl's hook (hooks/qemu) installed; the daemon reads hooks at startup.
	rm -rf "$d/etc/hooks"
	if [ "${HOOK:-}" = 1 ]; then
		mkdir -p "$d/etc/hooks"
		cp "$top/hooks/qemu" "$d/etc/hooks/qemu"
		hook_conf refuse
	fi
	if [ "$root" = / ]; then
		P=$work
		m="mount --bind $d/etc /etc/libvirt && mount --bind $d/run/libvirt /run/libvirt &&
		   mount --bind $d/lib /var/lib/libvirt && mount --bind $d/cache /var/cache/libvirt &&
		   mount --bind $d/log /var/log/libvirt"
		mkdir -p /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt
	else
		P=/mnt
		m="mount --rbind /dev $root/dev && mount -t proc proc $root/proc &&
		   mount --rbind /sys $root/sys && mount --bind $d/etc $root/etc/libvirt &&
		   mount --bind $d/run $root/run && mount --bind $d/lib $root/var/lib/libvirt &&
		   mount --bind $d/cache $root/var/cache/libvirt &&
		   mount --bind $d/log $root/var/log/libvirt && mount --bind $work $root/mnt"
		mkdir -p "$root/var/lib/libvirt" "$root/var/cache/libvirt" "$root/var/log/libvirt" \
			"$root/mnt"
	fi
	# shellcheck disable=SC2086
	unshare -m --propagation private sh -c "$m && exec chroot $root env PATH=$P/bin:$PATH \
		/usr/sbin/libvirtd --pid-file /run/libvirt/libvirtd.pid" \
		>>"$d/daemon.log" 2>&1 &
	dpid=$!
	i=0
	while [ $i -lt 300 ]; do
		[ -S "$d/run/libvirt/libvirt-sock" ] && V version >/dev/null 2>&1 && return 0
		kill -0 "$dpid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "# libvirtd did not start:"; tail -n 5 "$d/daemon.log" | sed 's/^/#   /'
	lv_stop
	return 1
}

# hook_conf ON_FIXABLE: the hook's settings (read at each call, no restart needed).
hook_conf() {
	cat >"$d/etc/hooks/xsavectl.conf" <<EOF
XSAVECTL=$XSAVECTL
TARGET="--xcr0 host"
ON_FIXABLE=$1
DOMAINS=all
TCG_TARGET="--xcr0 host"
LOG=syslog
LOG_SOCKET=$work/log.sock
EOF
}

# A datagram socket standing for /dev/log: what the hook's logger sends, one line each.
syslog_start() {
	python3 -u "$top/tests/live/syslog-sink.py" "$work/log.sock" "$work/syslog" 2>/dev/null &
	logd=$!
	i=0
	while [ ! -S "$work/log.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}

# virsh of the daemon's own system, inside its namespace.
V() { nsenter -t "$dpid" -m -- chroot "$root" virsh -q -c qemu:///system "$@"; }

# mkdom FILE NAME_XML VCPUS CPU_XML [OS_XML]: a TCG domain booting the test guest.
mkdom() {
	cat >"$work/$1.xml" <<EOF
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$2</name>
  <memory unit='MiB'>64</memory>
  <vcpu>$3</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>$P/guest.bin</kernel>${5:-}</os>
  $4
  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices>
  <qemu:commandline><qemu:arg value='-debugcon'/><qemu:arg value='file:$P/$1.con'/></qemu:commandline>
</domain>
EOF
}

# boot FILE NAME: start the defined domain and wait for the guest's READY.
boot() {
	rm -f "$work/$1.con"
	V start "$2" >/dev/null || return 1
	i=0
	while [ $i -lt 600 ]; do
		grep -q READY "$work/$1.con" 2>/dev/null && return 0
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

# Every vector register of every one of the $2 vCPUs in $1 holds the guest's pattern,
# with MXCSR, the x87 stack (fld1 ... fld1: st0 and st7 1.0, st2 ln 2, st6 pi) and PKRU.
pattern_all() {
	k=0
	while [ $k -lt "$2" ]; do
		xs inspect -r --vcpu $k "$1" >regs.txt || return 1
		for i in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
			grep -q "^    ymm$i: *$(expect $k ymm $i)\$" regs.txt ||
				{ echo "# $1: vcpu $k ymm$i"; return 1; }
		done
		grep -q '^    mxcsr: *0x00009fc0 ' regs.txt &&
			grep -q '^    st0: *0x3fff8000000000000000 ' regs.txt &&
			grep -q '^    st2: *0x3ffeb17217f7d1cf79ac ' regs.txt &&
			grep -q '^    st6: *0x4000c90fdaa22168c235 ' regs.txt &&
			grep -q '^    st7: *0x3fff8000000000000000 ' regs.txt || return 1
		# PKRU where the CPU has PKU (maximum; SandyBridge has none)
		[ "$STRIP" != pkru ] || grep -q '^    pkru: *0x55555554' regs.txt ||
			{ echo "# $1: vcpu $k pkru"; return 1; }
		k=$((k + 1))
	done
}

XMASK=0x7 STRIP=pkru	# what roundtrip's filter strips (PKRU; for SandyBridge, AVX)
field() { xs inspect "$1" | awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'; }
state() { V domstate "$1" 2>/dev/null | head -n 1; }
alloc() { du -k "$1" | cut -f1; }

# roundtrip TAG FORMAT IMAGE VCPUS NAME [restore options]: IMAGE is a saved image of domain
# NAME in FORMAT (the daemon's): read, filtered (-o and in place), restored, saved, compared.
roundtrip() {
	tag=$1 fmt=$2 img=$3 ncpu=$4 dom=$5
	shift 5
	ropts="$*"
	check "$tag: image_format $fmt ($(field "$img" image_format_number)), compression, domain name unescaped" \
		'[ "$(field "$img" image_format)" = "$fmt" ] && [ "$(field "$img" domain)" = "$dom" ] &&
		 case $fmt in raw|sparse) [ "$(field "$img" compression)" = none ] ;;
		 *) [ "$(field "$img" compression)" = "$fmt" ] ;; esac &&
		 [ "$(field "$img" vcpus)" = "$ncpu" ]'
	check "$tag: every register of every vCPU ($ncpu) holds the guest's pattern" \
		'pattern_all "$img" "$ncpu"'
	check "$tag: filter --force --xcr0 $XMASK -o: exit 0, the same format" \
		'xs filter --force --xcr0 $XMASK "$img" -o "$img.f" >/dev/null &&
		 [ "$(field "$img.f" image_format)" = "$fmt" ] &&
		 [ "$(field "$img.f" stream_offset)" = "$(field "$img" stream_offset)" ] &&
		 cmp -s -n 92 "$img" "$img.f"'
	check "$tag: filtered: $STRIP stripped, the rest kept" \
		'xs diff --all "$img" "$img.f" >d.txt; [ $? = 1 ] && grep -q "$STRIP" d.txt &&
		 xs inspect -r --vcpu 0 "$img.f" >f.txt && grep -q "mxcsr: *0x00009fc0 " f.txt &&
		 { [ $STRIP != pkru ] || grep -q "ymm15: *$(expect 0 ymm 15)\$" f.txt; }'
	cp "$img" "$img.ip"
	case $fmt in
	lzop | xz | bzip2)
		# Rewritten from the block holding the cpu sections (bzip2: from its bit, the bits
		# before it in its byte kept): the stream -o writes, every byte before that block
		# kept; the image virsh restores below is this one.  An xz image
		# (libvirt 9.0's xz writes one block, which would be rewritten whole) is first
		# encoded again in blocks, as xz -T writes them.
		off=$(($(field "$img" stream_offset)))
		if [ "$fmt" = xz ]; then
			head -c "$off" "$img" >"$img.ip" &&
				tail -c +$((off + 1)) "$img" | xz -dc | xz -T2 --block-size=64KiB -c >>"$img.ip"
		fi
		cp "$img.ip" "$img.before"
		check "$tag: filter --in-place: the stream -o writes, the bytes before the first changed block kept" \
			'xs filter --in-place --force --xcr0 $XMASK "$img.ip" >/dev/null 2>n.txt &&
			 [ ! -e "$img.ip.xsavectl-journal" ] &&
			 tail -c +$((off + 1)) "$img.ip" | $fmt -dc >ip.raw &&
			 tail -c +$((off + 1)) "$img.f" | $fmt -dc | cmp -s - ip.raw &&
			 from=$(sed -n "s/.*rewritten in place from \(0x[0-9a-f]*\),.*/\1/p" n.txt) &&
			 [ -n "$from" ] && cmp -s -n $((from)) "$img.before" "$img.ip" &&
			 ! cmp -s "$img.before" "$img.ip"'
		sed "s/^/# $tag: /" n.txt
		rm -f ip.raw n.txt "$img.before"
		;;
	*)
		check "$tag: filter --in-place writes the same bytes as -o" \
			'xs filter --in-place --force --xcr0 $XMASK "$img.ip" >/dev/null && cmp -s "$img.ip" "$img.f" &&
			 [ ! -e "$img.ip.xsavectl-journal" ]'
		;;
	esac
	# The streaming filter: the image from a pipe, written on as it is read (issue 23).
	if [ "$fmt" = sparse ]; then
		check "$tag: filter from a pipe: the sparse format refused by name (exit 64), nothing written" \
			'cat "$img" | xs filter --force --xcr0 $XMASK -o - - >"$img.s" 2>e.txt; [ $? = 64 ] &&
			 [ ! -s "$img.s" ] && grep -q "sparse format needs a file" e.txt'
	else
		check "$tag: cat IMAGE | filter -o - -: the same bytes as filter -o" \
			'cat "$img" | xs filter --force --xcr0 $XMASK -o - - >"$img.s" && cmp -s "$img.s" "$img.f"'
	fi
	rm -f "$img.s"
	if [ "$fmt" = sparse ]; then
		a0=$(alloc "$img") a1=$(alloc "$img.f") a2=$(alloc "$img.ip")
		echo "# $tag: allocated KiB: input $a0, filter -o $a1, --in-place $a2;" \
			"apparent $(($(stat -c %s "$img") / 1024)) KiB"
		check "$tag: sparse stays sparse (-o and in place within 64 KiB of the input's allocation)" \
			'[ $((a1 - a0)) -le 64 ] && [ $((a0 - a1)) -le 64 ] && [ $((a2 - a0)) -le 64 ] &&
			 [ $((a0 - a2)) -le 64 ]'
	fi
	case $fmt in lzop | xz | bzip2) cp "$img.ip" "$img.f" ;; esac	# restored: the in-place rewrite
	rm -f "$img.ip"
	# shellcheck disable=SC2086
	check "$tag: virsh restore${ropts:+ $ropts} accepts the filtered image" \
		'V restore $ropts "$P/${img##*/}.f" >/dev/null'
	want=running
	[ "$(field "$img" was_running)" = no ] && want=paused
	check "$tag: the restored domain is $want (was_running $(field "$img" was_running))" \
		'[ "$(state "$dom")" = "$want" ]'
	check "$tag: saved again: the same vCPU states as the filtered image" \
		'V save "$dom" "$P/${img##*/}.r" >/dev/null && xs diff "$img.f" "$img.r" >/dev/null &&
		 [ "$(field "$img.r" image_format)" = "$fmt" ]'
}

mkdir -p "$work/bin"
cp "$GUEST" "$work/guest.bin"
cat >"$work/bin/xz" <<EOF
#!/bin/sh
[ -e "\$(dirname "\$0")/../watch" ] && echo \$\$ >"\$(dirname "\$0")/../xz.pid"
PATH=/usr/bin:/bin exec xz "\$@"
EOF
chmod +x "$work/bin/xz"

# ---- libvirt 9.0 (Debian 12) ------------------------------------------------------
if ! command -v libvirtd >/dev/null 2>&1 || ! command -v virsh >/dev/null 2>&1; then
	skip "libvirt is not installed (apt-get install --no-install-recommends libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu)"
elif [ "${XSAVECTL_LIBVIRT_ONLY:-9.0}" = 9.0 ]; then
	P=$work
	mkdom max2 "$NAME_XML" 2 "<cpu mode='maximum'/>"
	mkdom fill1 xs-fill 1 "<cpu mode='maximum'/>" "<cmdline>fill</cmdline>"
	mkdom sb1 xs-sandybridge 1 "<cpu mode='custom' match='exact' check='none'><model fallback='allow'>SandyBridge</model></cpu>"
	first=1
	for fmt in ${XSAVECTL_LIBVIRT_FORMATS:-raw gzip bzip2 xz lzop}; do
		if ! lv_start / $fmt; then
			no "9.0 $fmt: libvirtd starts"
			continue
		fi
		if [ $first = 1 ]; then
			ver=$(V version | awk '/Running against daemon|Using library/ { print $NF; exit }')
			echo "# libvirt $ver, $(V version | awk '/Running hypervisor/ { print $3, $4 }')"
			check "9.0: the domains are defined (2 vCPUs, maximum; 1 vCPU, SandyBridge)" \
				'V define "$P/max2.xml" >/dev/null && V define "$P/sb1.xml" >/dev/null &&
				 V define "$P/fill1.xml" >/dev/null'
			first=0
		fi
		check "9.0 $fmt: the guest boots and virsh save writes the image" \
			'boot max2 "$NAME" && V save "$NAME" "$P/$fmt.save" >/dev/null && [ -s "$fmt.save" ]'
		roundtrip "9.0 $fmt" $fmt "$work/$fmt.save" 2 "$NAME"
		V destroy "$NAME" >/dev/null 2>&1
		case $fmt in
		raw)
			# --paused: was_running 0, restored paused.
			check "9.0 save --paused: was_running no" \
				'boot max2 "$NAME" && V save --paused "$NAME" "$P/paused.save" >/dev/null &&
				 [ "$(field paused.save was_running)" = no ]'
			roundtrip "9.0 --paused" raw "$work/paused.save" 2 "$NAME"
			V destroy "$NAME" >/dev/null 2>&1
			# --bypass-cache (O_DIRECT through libvirt's iohelper).
			check "9.0 save --bypass-cache: saved" \
				'boot max2 "$NAME" && V save --bypass-cache "$NAME" "$P/direct.save" >/dev/null'
			echo "# --bypass-cache: $(stat -c %s direct.save) bytes, stream_end $(field direct.save stream_end)"
			roundtrip "9.0 --bypass-cache" raw "$work/direct.save" 2 "$NAME" --bypass-cache
			V destroy "$NAME" >/dev/null 2>&1
			# save --xml: a description (escaped) in the image's XML.
			check "9.0 save --xml: the image carries the given XML" \
				'boot max2 "$NAME" && V dumpxml --migratable "$NAME" >alt.xml &&
				 sed -i "s|</name>|</name><description>A \\&amp; B: 0x1234</description>|" alt.xml &&
				 V save --xml "$P/alt.xml" "$NAME" "$P/xml.save" >/dev/null &&
				 [ "$(field xml.save xml_bytes)" -gt "$(field raw.save xml_bytes)" ] &&
				 grep -a -q "A &amp; B: 0x1234" xml.save'
			roundtrip "9.0 save --xml" raw "$work/xml.save" 2 "$NAME"
			V destroy "$NAME" >/dev/null 2>&1
			# save-image-define: the XML rewritten in place, the stream where it was.
			cp raw.save def.save
			check "9.0 save-image-define: data_len and stream kept, cookie moved" \
				'V dumpxml --migratable "$NAME" | sed "s|</name>|</name><description>redefined</description>|" >def.xml &&
				 V save-image-define "$P/def.save" "$P/def.xml" >/dev/null &&
				 [ "$(field def.save data_len)" = "$(field raw.save data_len)" ] &&
				 [ "$(field def.save stream_offset)" = "$(field raw.save stream_offset)" ] &&
				 [ "$(field def.save cookie_offset)" != "$(field raw.save cookie_offset)" ] &&
				 xs diff raw.save def.save >/dev/null'
			roundtrip "9.0 save-image-define" raw "$work/def.save" 2 "$NAME"
			V destroy "$NAME" >/dev/null 2>&1
			# managedsave: filtered in place where libvirt keeps it, restored by virsh start.
			ms="$d/lib/qemu/save/$NAME.save"
			check "9.0 managedsave: image in /var/lib/libvirt/qemu/save, pattern intact" \
				'boot max2 "$NAME" && V managedsave "$NAME" >/dev/null && [ -s "$ms" ] &&
				 [ "$(field "$ms" domain)" = "$NAME" ] && pattern_all "$ms" 2'
			cp "$ms" ms.orig
			check "9.0 managedsave: filter --in-place, then virsh start restores it (running)" \
				'xs filter --in-place --force --xcr0 0x7 "$ms" >/dev/null &&
				 xs diff --all ms.orig "$ms" >/dev/null; [ $? = 1 ] &&
				 cp "$ms" ms.f && V start "$NAME" >/dev/null && [ "$(state "$NAME")" = running ]'
			check "9.0 managedsave: saved again, the same vCPU states as the filtered image" \
				'V save "$NAME" "$P/ms.r" >/dev/null && xs diff ms.f ms.r >/dev/null'
			V destroy "$NAME" >/dev/null 2>&1
			# A named model, 1 vCPU.
			check "9.0 SandyBridge, 1 vCPU: saved; -r/JSON show its <cpu>" \
				'boot sb1 xs-sandybridge && V dumpxml xs-sandybridge >sb-live.xml &&
				 V save xs-sandybridge "$P/sb.save" >/dev/null &&
				 [ "$(field sb.save mode)" = custom ] && [ "$(field sb.save model)" = SandyBridge ] &&
				 xs inspect --json sb.save | grep -q "\"model\": *\"SandyBridge\""'
			# precheck reads the running domain as virsh dumpxml shows it, with this libvirt's
			# CPU map: SandyBridge gives the guest x87, SSE and AVX; from a leaking source
			# with AVX-512 and PKRU to a needs-patch destination, it is refused.
			check "9.0 precheck: virsh dumpxml of the running domain, resolved with libvirt's CPU map" \
				'xs host --cpuid-file "$top/tests/data/cpuid-intel-emr.txt" --qemu-version 7.2 \
					--probe-from "$top/tests/data/probe/leaks-5.16.rec" --save-profile pc-src.json \
					>/dev/null &&
				 xs host --cpuid-file "$top/tests/data/cpuid-intel-emr.txt" --qemu-version 7.2 \
					--probe-from "$top/tests/data/probe/needs-patch-6.1.55.rec" \
					--save-profile pc-dst.json >/dev/null &&
				 xs precheck --json --cpu-map /usr/share/libvirt/cpu_map --source pc-src.json \
					--target pc-dst.json --guest-cpu sb-live.xml >pc.json; [ $? = 2 ] &&
				 grep -q "\"guest\": \"xs-sandybridge\"" pc.json &&
				 grep -q "\"guest_xcr0\": \"0x7\"" pc.json && grep -q "\"outcome\": \"refused\"" pc.json'
			XMASK=0x3 STRIP=ymm
			roundtrip "9.0 SandyBridge" raw "$work/sb.save" 1 xs-sandybridge
			XMASK=0x7 STRIP=pkru
			V destroy xs-sandybridge >/dev/null 2>&1
			;;
		xz)
			# A save stopped midway.  libvirt writes through its iohelper, 1 MiB at a time,
			# so a guest with 48 MiB of noise (guest.S "fill") is saved; $P/bin/xz (first on
			# libvirtd's PATH) tells its pid and runs the real xz.  Once the image has grown
			# past 1 MiB, xz is stopped, the image copied, and xz killed.
			: >watch
			rm -f xz.pid
			check "9.0 a guest with 48 MiB of noise boots" 'boot fill1 xs-fill'
			V save xs-fill "$P/part.save" >part.log 2>&1 &
			vpid=$!
			i=0
			while [ $i -lt 600 ]; do
				[ -s xz.pid ] && [ "$(stat -c %s part.save 2>/dev/null || echo 0)" -gt 1048576 ] && break
				sleep 0.05
				i=$((i + 1))
			done
			cpid=$(cat xz.pid 2>/dev/null)
			rm -f watch
			if [ -n "$cpid" ]; then
				kill -STOP "$cpid"
				sleep 0.2
				cp part.save part.copy 2>/dev/null
				kill -9 "$cpid"
			fi
			wait $vpid
			vst=$?
			check "9.0 save killed midway (its xz killed): virsh save fails" \
				'[ -n "$cpid" ] && [ $vst != 0 ]'
			check "9.0 save killed midway: a real LibvirtQemudPart image, refused (exit 65)" \
				'[ "$(head -c 16 part.copy)" = LibvirtQemudPart ] &&
				 { xs inspect part.copy >/dev/null 2>err.txt; [ $? = 65 ]; } &&
				 grep -q "part.copy.*incomplete" err.txt'
			echo "# after the failed save: image $([ -e part.save ] && echo kept || echo removed), domain $(state xs-fill)"
			V destroy xs-fill >/dev/null 2>&1
			;;
		esac
		lv_stop
	done
	# The hook (hooks/qemu) refuses what this host cannot load, filters what it may.
	# The guests run under TCG, so the hook checks every domain (DOMAINS=all) as this
	# host's KVM would load it (TCG_TARGET); under
	# TCG every saved state is at least fixable (XSTATE_BV never maintained), and
	# -cpu maximum enables PKRU and MPX, which this host's KVM may lack.
	syslog_start
	if ! HOOK=1 lv_start / raw; then
		no "9.0 hook: libvirtd starts with the hook"
	else
		ms="$d/lib/qemu/save/$NAME.save"
		check "9.0 hook: managedsave of a -cpu maximum guest" \
			'boot max2 "$NAME" && V managedsave "$NAME" >/dev/null && [ -s "$ms" ]'
		if xs check -q --xcr0 host "$ms" >verdict.txt 2>&1; [ $? = 1 ]; then
			cp "$ms" ms.before
			check "9.0 hook: virsh start refused (this host cannot load it), the image untouched" \
				'! V start "$NAME" >start.txt 2>&1 && grep -q "xsavectl hook: domain" start.txt &&
				 grep -q "cannot load the saved state" start.txt && cmp -s "$ms" ms.before &&
				 [ "$(state "$NAME")" = "shut off" ]'
			sed 's/^/#   /' start.txt | head -n 3
			check "9.0 hook: the refusal is in the system log as it receives it (daemon.err, tag xsavectl-hook)" \
				'sleep 0.3; grep -q "^<27>.* xsavectl-hook: domain .*: this host cannot load the saved state" "$work/syslog"'
			check "9.0 hook: virsh restore of the same image refused too (found among the daemon's files)" \
				'cp "$ms" rs.save && ! V restore "$P/rs.save" >rs.txt 2>&1 &&
				 grep -q "cannot load the saved state" rs.txt'
		else
			skip "9.0 hook: this host loads the -cpu maximum state: $(cat verdict.txt)"
		fi
		V managedsave-remove "$NAME" >/dev/null 2>&1
		ms="$d/lib/qemu/save/xs-sandybridge.save"
		check "9.0 hook: managedsave of a SandyBridge guest: fixable (TCG: XSTATE_BV not maintained)" \
			'boot sb1 xs-sandybridge && V managedsave xs-sandybridge >/dev/null &&
			 xs check -q --xcr0 host "$ms" >v.txt; [ $? = 2 ] && grep -q "set XSTATE_BV" v.txt'
		cp "$ms" sb.before
		check "9.0 hook: ON_FIXABLE=refuse: virsh start refused, naming the filter to run" \
			'! V start xs-sandybridge >start.txt 2>&1 && grep -q "needs xsavectl filter" start.txt &&
			 cmp -s "$ms" sb.before'
		hook_conf filter
		check "9.0 hook: ON_FIXABLE=filter: filtered in place, virsh start restores it (running)" \
			'V start xs-sandybridge >start.txt 2>&1 && [ "$(state xs-sandybridge)" = running ]'
		check "9.0 hook: the rewrite is in the system log (daemon.notice), naming the image (libvirt drops the hook's stderr)" \
			'sleep 0.3; grep -q "^<29>.* xsavectl-hook: domain .xs-sandybridge.: filtered .*xs-sandybridge.save. in place" "$work/syslog"'
		check "9.0 hook: the restored guest saved again: every register of the image before" \
			'V save xs-sandybridge "$P/sb.after" >/dev/null && xs diff sb.before sb.after >/dev/null &&
			 XMASK=0x3 STRIP=ymm pattern_all sb.after 1'
		V destroy xs-sandybridge >/dev/null 2>&1
		# The same fixable image with its stream compressed as libvirt's lzop and gzip
		# formats are (lzop -c, gzip -c after the header; format 4 and 1): the hook filters
		# the lzop one in its own file, which the daemon has open, and refuses the gzip one,
		# which only a new file could hold.
		hn=$((92 + $(od -A n -t u4 -j 20 -N 4 sb.before)))
		for z in 4:lzop 1:gzip; do
			head -c $hn sb.before >"sb.${z#*:}" && printf "\\$(printf %03o "${z%:*}")" |
				dd of="sb.${z#*:}" bs=1 seek=28 conv=notrunc 2>/dev/null &&
				tail -c +$((hn + 1)) sb.before | ${z#*:} -c >>"sb.${z#*:}"
		done
		cp sb.gzip sbg.before
		check "9.0 hook: ON_FIXABLE=filter: an lzop image filtered in its own file while the daemon holds it; virsh restore runs it, every register kept" \
			'ino=$(stat -c %i sb.lzop) && V restore "$P/sb.lzop" >rz.txt 2>&1 &&
			 [ "$(state xs-sandybridge)" = running ] && [ "$(stat -c %i sb.lzop)" = "$ino" ] &&
			 V save xs-sandybridge "$P/sbz.after" >/dev/null && xs diff sb.before sbz.after >/dev/null'
		V destroy xs-sandybridge >/dev/null 2>&1
		check "9.0 hook: ON_FIXABLE=filter: a gzip image refused (only a new file could hold it), untouched" \
			'! V restore "$P/sb.gzip" >rg.txt 2>&1 && grep -q "cannot filter .*sb.gzip.* where the daemon reads it" rg.txt &&
			 cmp -s sb.gzip sbg.before && [ "$(state xs-sandybridge)" != running ]'
		# Two restores at once, of two domains (the fixable SandyBridge one, filtered by
		# its hook, and the -cpu maximum one this host cannot load): each hook finds its
		# own domain's image among the daemon's open files, never the other's.
		if [ -s ms.before ]; then
			check "9.0 hook: two restores at once: each domain's own image judged (one filtered and running, one refused naming its file, untouched)" \
				'boot max2 "$NAME" && V save "$NAME" "$P/cb.save" >/dev/null &&
				 boot sb1 xs-sandybridge && V save xs-sandybridge "$P/ca.save" >/dev/null &&
				 cp cb.save cb.before && cp ca.save ca.before &&
				 { V restore "$P/ca.save" >ca.txt 2>&1 & pa=$!
				   V restore "$P/cb.save" >cb.txt 2>&1; rb=$?; wait $pa; ra=$?; } &&
				 [ $ra = 0 ] && [ $rb != 0 ] && [ "$(state xs-sandybridge)" = running ] &&
				 grep -q "cannot load the saved state.*cb.save vcpu0" cb.txt && cmp -s cb.save cb.before &&
				 ! cmp -s ca.save ca.before && xs check -q --xcr0 host ca.save >/dev/null'
			V destroy xs-sandybridge >/dev/null 2>&1
			# A planted process of another user (uid 65534) named 'a b LIBVIRTD-PID c',
			# holding a copy of the domain's image that would load, started before the
			# restore (a lower pid, met first in /proc): a naive split of /proc/PID/stat
			# takes it for the daemon's child.  With --bypass-cache libvirt's iohelper
			# holds the real image; the hook must judge that one and refuse.
			pdir=$(mktemp -d /tmp/xs-planted.XXXXXX) && chmod 755 "$pdir" &&
				cp "$(command -v sleep)" "$pdir/a b $dpid c" &&
				xs filter --force --xcr0 host -o "$pdir/loads.save" cb.before >/dev/null &&
				chmod 644 "$pdir/loads.save"
			(exec 5<"$pdir/loads.save"; exec setpriv --reuid 65534 --regid 65534 --clear-groups \
				"$pdir/a b $dpid c" 60) &
			planted=$!
			sleep 0.3
			# (The image grown by 8 MiB of zeros after its stream, which every reader
			# accepts: libvirt_iohelper reads 1 MiB at a time, so it still holds the file
			# when the hook runs; a smaller image it has read whole and closed by then,
			# and the hook finds none and refuses unchecked.)
			cp cb.before pl.save && truncate -s +8M pl.save && cp pl.save pl.before
			check "9.0 hook: a planted process (uid 65534) named 'a b LIBVIRTD-PID c' holding a loadable copy: restore --bypass-cache still refused, the real image judged" \
				'[ -e "/proc/$planted" ] && ! V restore --bypass-cache "$P/pl.save" >pl.txt 2>&1 &&
				 sleep 0.3 && grep -q "xsavectl-hook: domain .*cannot load the saved state.*pl.save vcpu0" "$work/syslog" &&
				 cmp -s pl.save pl.before && [ "$(state "$NAME")" != running ]'
			# (virsh then reports libvirt_iohelper's SIGPIPE, not the hook's refusal: the
			# refusal is read where the hook logs it)
			sed 's/^/#   /' pl.txt | cut -c1-200 | head -n 2
			kill "$planted" 2>/dev/null
			wait "$planted" 2>/dev/null
			rm -rf "$pdir"
			# The image's path swapped for a symlink to a 0600 file between the hook's
			# check and its in-place filter (an xsavectl that swaps it once it has judged
			# the image): the hook acts on the file the daemon holds, notices the path
			# names another and refuses; neither the image nor the link's target changes.
			cat >swap-xsavectl <<EOS
#!/bin/sh
"$XSAVECTL" "\$@"
rc=\$?
if [ "\$1" = check ] && [ ! -L "$work/sw.save" ]; then
	mv "$work/sw.save" "$work/sw-moved.save" && ln -s "$work/victim" "$work/sw.save"
fi
exit \$rc
EOS
			chmod +x swap-xsavectl
			cp ca.before sw.save && cp ca.before victim && chmod 600 victim
			sed -i "s|^XSAVECTL=.*|XSAVECTL=$work/swap-xsavectl|" "$d/etc/hooks/xsavectl.conf"
			check "9.0 hook: the image's path swapped for a symlink after the check: restore refused, neither the image nor the link's target rewritten" \
				'! V restore "$P/sw.save" >sw.txt 2>&1 &&
				 grep -q "no longer names the file the daemon holds" sw.txt &&
				 cmp -s sw-moved.save ca.before && cmp -s victim ca.before &&
				 [ "$(state xs-sandybridge)" != running ]'
			hook_conf filter
		fi
		lv_stop
	fi
fi

# ---- libvirt 11.3 (Debian trixie chroot) ------------------------------------------
[ "${XSAVECTL_LIBVIRT_ONLY:-11.3}" = 11.3 ] || finish
ch=$(sh "$top/tests/chroot.sh" trixie 2>chroot.err | tail -n 1)
if [ -z "$ch" ] || [ ! -x "$ch/usr/sbin/libvirtd" ]; then
	skip "no libvirt 11.3 chroot (tests/chroot.sh trixie: $(tail -n 1 chroot.err))"
	finish
fi
P=/mnt
# The chroot has no zstd package (tests/chroot.sh installs libvirt and QEMU only): libvirt runs
# `zstd` from its PATH, and Debian's zstd binary carries its libzstd statically.
if [ ! -x "$ch/usr/bin/zstd" ] && [ -x /usr/bin/zstd ]; then
	cp /usr/bin/zstd "$work/bin/zstd"
	echo "# the chroot has no zstd: libvirtd 11.3 runs this system's $(zstd -V | head -n 1)"
fi
mkdom max2 "$NAME_XML" 2 "<cpu mode='maximum'/>"
first=1
for fmt in ${XSAVECTL_LIBVIRT_FORMATS:-zstd sparse}; do
	if ! lv_start "$ch" $fmt; then
		no "11.3 $fmt: libvirtd starts"
		continue
	fi
	if [ $first = 1 ]; then
		echo "# libvirt $(V version | awk '/Using library/ { print $NF; exit }'), $(V version | awk '/Running hypervisor/ { print $3, $4 }')"
		check "11.3: the domain is defined" 'V define "$P/max2.xml" >/dev/null'
		first=0
	fi
	check "11.3 $fmt: the guest boots and virsh save writes the image" \
		'boot max2 "$NAME" && V save "$NAME" "$P/$fmt.save" >/dev/null && [ -s "$fmt.save" ]'
	roundtrip "11.3 $fmt" $fmt "$work/$fmt.save" 2 "$NAME"
	V destroy "$NAME" >/dev/null 2>&1
	if [ $fmt = sparse ]; then
		check "11.3 sparse --parallel-channels 2: saved" \
			'boot max2 "$NAME" && V save --parallel-channels 2 "$NAME" "$P/par.save" >/dev/null'
		echo "# --parallel-channels 2: $(stat -c %s par.save) bytes, $(alloc par.save) KiB allocated, mapped-ram bytes $(field par.save mapped_ram_bytes) (plain sparse: $(field sparse.save mapped_ram_bytes))"
		roundtrip "11.3 sparse --parallel-channels 2" sparse "$work/par.save" 2 "$NAME" \
			--parallel-channels 2
		V destroy "$NAME" >/dev/null 2>&1
	fi
	lv_stop
done
finish
