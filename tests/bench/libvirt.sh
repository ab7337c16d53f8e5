#!/bin/sh
# make bench-libvirt (issue 26; also bench.sh's last part when BENCH_LIBVIRT=1): real libvirt
# save images of the filling test guest (its RAM compresses about 2:1), one per
# save_image_format, each timed three ways, the best of BENCH_LIBVIRT_RUNS (3) runs on a warm
# page cache: `xsavectl check --xcr0 host IMAGE` (with its peak RSS), the format's own
# decompressor on the image's stream (the bytes from stream_offset: libvirt's header and XML
# come first), and `virsh restore IMAGE` until the domain runs (then it is destroyed).  Rows:
# check / decompressor (a ratio) and check / restore (in %: what the hook adds to a restore).
# RSS: check's own peak in KiB (run once more with no QEMU on its PATH); +QEMU: the peak
# with the `qemu-system-x86_64 --version` that --xcr0 host runs (the children's rusage).
# raw and sparse have no decompressor: their baseline is `cat IMAGE`.
# The daemons are started as tests/live/libvirt.sh starts them (a private mount namespace,
# this script's own /etc/libvirt, /run/libvirt, /var/lib/libvirt ...; qemu.conf as there, one
# restart per format): Debian 12's libvirt 9.0, the system's, and libvirt 11.3 from the trixie
# chroot of tests/chroot.sh (XSAVECTL_CHROOTS).  The chroot has no compressors but gzip:
# libvirtd 11.3 runs zstd and bzip2 copied from this system (both link only libraries the
# chroot has) and the xz of trixie's xz-utils 5.8 (downloaded by the chroot's apt-get, kept
# in the bench directory), which on more than one CPU writes blocks with an index by
# default (Debian 12's xz 5.4 writes one block).  11.3's decompressors run inside its
# namespace: the same programs its restore runs.
# The domain: TCG, 1 vCPU, <cpu mode='maximum'/>, BENCH_LIBVIRT_MIB (2048) MiB, kernel
# guest.bin with the command line "fill"; saved once READY is on its debugcon.
# usage: XSAVECTL=... GUEST=... MAXRSS=... [XSAVECTL_CHROOTS=...] sh tests/bench/libvirt.sh
#   BENCH_LIBVIRT_MIB=512  BENCH_LIBVIRT_RUNS=3  BENCH_DIR=DIR (kept; else a temporary one)
#   BENCH_LIBVIRT_FORMATS="9.0:raw 11.3:xz" (DAEMON:FORMAT, default below)
#   BENCH_LIBVIRT_KEEP=1: the images are kept (else each is deleted once measured)
# shellcheck disable=SC2046 # set -- $(best ...): its two words, split on purpose
set -u
: "${XSAVECTL:?}" "${GUEST:?}" "${MAXRSS:?}"
top=$(cd "$(dirname "$0")/../.." && pwd)
mib=${BENCH_LIBVIRT_MIB:-2048}
runs=${BENCH_LIBVIRT_RUNS:-3}
formats=${BENCH_LIBVIRT_FORMATS:-9.0:raw 9.0:lzop 9.0:gzip 11.3:zstd 11.3:sparse 9.0:bzip2 11.3:xz}
if [ -n "${BENCH_DIR:-}" ]; then
	work=$BENCH_DIR/libvirt
	mkdir -p "$work"
else
	work=$(mktemp -d /var/tmp/xsavectl-bench-libvirt.XXXXXX)
fi
work=$(cd "$work" && pwd)
cd "$work" || exit 1
NAME=xs-bench
dpid='' root='' d='' P='' said=''

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
trap 'lv_stop; [ -n "${BENCH_DIR:-}" ] || rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP

if [ "$(id -u)" != 0 ]; then
	echo "# SKIP bench-libvirt: not root, libvirtd cannot be started here"
	exit 0
fi
for t in unshare nsenter bc; do
	command -v $t >/dev/null 2>&1 || { echo "# SKIP bench-libvirt: no $t"; exit 0; }
done

# lv_start ROOT FORMAT: libvirtd of the system at ROOT (/ or a chroot), saving in FORMAT;
# it sees $work as $P (tests/live/libvirt.sh's lv_start, without the hook).
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
	# the programs copied for 11.3 ($work/bin) are on its PATH only
	path=$PATH
	[ "$root" = / ] || path=$P/bin:$PATH
	unshare -m --propagation private sh -c "$m && exec chroot $root env PATH=$path \
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
# virsh of the daemon's own system, inside its namespace; D CMD: a shell command there (the
# daemon's PATH: the programs its save and restore run).
V() { nsenter -t "$dpid" -m -- chroot "$root" virsh -q -c qemu:///system "$@"; }
D() { nsenter -t "$dpid" -m -- chroot "$root" env PATH="$path" sh -c "$1"; }

mkdom() {	# the domain's XML, booting guest.bin as $P sees it
	cat >"$work/dom.xml" <<EOF
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$NAME</name>
  <memory unit='MiB'>$mib</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>$P/guest.bin</kernel><cmdline>fill</cmdline></os>
  <cpu mode='maximum'/>
  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices>
  <qemu:commandline><qemu:arg value='-debugcon'/><qemu:arg value='file:$P/dom.con'/></qemu:commandline>
</domain>
EOF
}
boot() {	# start the domain, wait for READY (the guest has filled its RAM)
	rm -f "$work/dom.con"
	V start "$NAME" >/dev/null || return 1
	i=0
	while [ $i -lt 6000 ]; do
		grep -q READY "$work/dom.con" 2>/dev/null && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }

best() {	# best CMD...: "SECONDS RSS_KIB" of the best of $runs runs (stdout discarded)
	b=
	for _ in $(seq "$runs"); do
		"$MAXRSS" "$@" >/dev/null 2>m.txt.all || true
		tail -n 1 m.txt.all >m.txt
		read -r t rss _ <m.txt
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t r=$rss; fi
	done
	echo "$b $r"
}
best_restore() {	# the best of $runs `virsh restore IMAGE` until the domain runs; "" if one fails
	b=
	for _ in $(seq "$runs"); do
		t0=$(now)
		V restore "$1" >/dev/null 2>restore.err || { sed 's/^/# restore: /' restore.err >&2; return 1; }
		t1=$(now)
		st=$(V domstate "$NAME" 2>/dev/null | head -n 1)
		V destroy "$NAME" >/dev/null 2>&1
		[ "$st" = running ] || { echo "# restore: the domain is $st" >&2; return 1; }
		t=$(secs "$t0" "$t1")
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}

cp "$GUEST" "$work/guest.bin"
mkdir -p "$work/bin"
ch=
case " $formats " in
*" 11.3:"*)
	ch=$(sh "$top/tests/chroot.sh" trixie 2>chroot.err | tail -n 1)
	if [ -z "$ch" ] || [ ! -x "$ch/usr/sbin/libvirtd" ]; then
		echo "# SKIP bench-libvirt 11.3: no trixie chroot (tests/chroot.sh: $(tail -n 1 chroot.err))"
		ch=
	else
		for p in zstd bzip2; do
			[ -x "$ch/usr/bin/$p" ] || [ ! -x "/usr/bin/$p" ] || cp "/usr/bin/$p" "$work/bin/$p"
		done
		if [ ! -x "$ch/usr/bin/xz" ] && [ ! -x "$work/bin/xz" ]; then
			# trixie's xz, fetched by the chroot's own apt-get into $work (seen as /mnt)
			unshare -m --propagation private sh -c "mount --bind $work $ch/mnt &&
				mount --rbind /dev $ch/dev && chroot $ch sh -c 'cd /mnt &&
				apt-get -q -o APT::Sandbox::User=root download xz-utils'" >xz-get.log 2>&1
			deb=
			for f in xz-utils_*.deb; do [ -f "$f" ] && deb=$f; done
			if [ -n "$deb" ] && dpkg-deb -x "$deb" xzdeb && [ -x xzdeb/usr/bin/xz ]; then
				cp xzdeb/usr/bin/xz "$work/bin/xz"
			else
				echo "# bench-libvirt 11.3: trixie's xz-utils could not be fetched; xz rows skipped"
			fi
			rm -rf xzdeb ${deb:+"$deb"}
		fi
	fi
	;;
esac

echo "# libvirt save images of the filling guest: $mib MiB, 1 vCPU, TCG; best of $runs," \
	"warm page cache; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-5s %-6s %-5s %11s %7s %8s %-9s %8s %7s %9s %7s %7s %7s  %s\n' MiB format lv bytes \
	"save s" "check s" decomp "decomp s" ratio "restore s" "chk/rst" "RSS" "+QEMU" read
for fd in $formats; do
	lv=${fd%%:*} fmt=${fd#*:}
	case $lv in
	9.0) r=/ ;;
	11.3) [ -n "$ch" ] || continue; r=$ch ;;
	*) echo "# bench-libvirt: unknown daemon '$lv' (9.0, 11.3)"; continue ;;
	esac
	if [ "$lv:$fmt" = 11.3:xz ] && [ ! -x "$ch/usr/bin/xz" ] && [ ! -x "$work/bin/xz" ]; then
		echo "# SKIP $lv $fmt: no xz for the chroot"
		continue
	fi
	lv_start "$r" "$fmt" || { echo "# SKIP $lv $fmt: libvirtd did not start"; continue; }
	case " $said " in *" $lv "*) ;; *)
		said="$said $lv"
		echo "# $lv: $(V version | awk '/Running hypervisor/ { print $3, $4 }'); $(D "
			gzip --version | head -n 1; xz --version 2>/dev/null | head -n 1
			zstd -V 2>/dev/null | sed -n 's/.* v\([0-9.]*\).*/zstd \1/p'
			bzip2 --help 2>&1 | sed -n 's/.*Version \([0-9.]*\).*/bzip2 \1/p'
			lzop -V 2>&1 | sed -n 's/^lzop v\([0-9.]*\).*/lzop \1/p' | head -n 1" |
			tr '\n' ';' | sed 's/;$//; s/;/; /g')" ;;
	esac
	mkdom
	V undefine "$NAME" >/dev/null 2>&1
	V define "$P/dom.xml" >/dev/null || { echo "# SKIP $lv $fmt: the domain is not defined"; lv_stop; continue; }
	img=$fmt-$lv.save
	rm -f "$img"
	if ! boot; then
		echo "# SKIP $lv $fmt: the guest did not fill its RAM"
		lv_stop
		continue
	fi
	t0=$(now)
	if ! V save "$NAME" "$P/$img" >save.err 2>&1 || [ ! -s "$img" ]; then
		echo "# SKIP $lv $fmt: virsh save failed: $(tail -n 1 save.err)"
		V destroy "$NAME" >/dev/null 2>&1
		lv_stop
		continue
	fi
	st=$(secs "$t0" "$(now)")
	cat "$img" >/dev/null
	js=$("$XSAVECTL" inspect --json "$img")
	off=$(($(echo "$js" | sed -n 's/.*"stream_offset": "\(0x[0-9a-f]*\)".*/\1/p')))
	how=$(echo "$js" | sed -n 's/.*"read": "\(.*\)".*/\1/p')
	"$XSAVECTL" check --xcr0 host "$img" >check.out 2>&1
	crc=$?
	set -- $(best "$XSAVECTL" check --xcr0 host "$img")
	ct=$1 crss=$2
	# --xcr0 host runs `qemu-system-x86_64 --version` (dest_facts.c), whose RSS the
	# children's rusage includes: xsavectl's own peak, with no QEMU on its PATH
	own=$("$MAXRSS" env PATH=/nonexistent "$XSAVECTL" check --xcr0 host "$img" 2>&1 >/dev/null |
		tail -n 1 | awk '{print $2}')
	# the decompressors: the format's program on the stream, in the daemon's system
	case $fmt in
	raw | sparse) decs="cat" ;;
	gzip) decs="gzip"; command -v igzip >/dev/null && [ "$lv" = 9.0 ] && decs="gzip igzip" ;;
	*) decs=$fmt ;;
	esac
	rt=$(best_restore "$P/$img") || rt=
	for dec in $decs; do
		if [ "$dec" = cat ]; then
			set -- $(best cat "$img")
		else
			set -- $(best nsenter -t "$dpid" -m -- chroot "$root" env PATH="$path" \
				sh -c "tail -c +$((off + 1)) '$P/$img' | $dec -dc")
		fi
		dt=$1
		if [ -n "$rt" ]; then
			pct=$(printf '%6.1f%%' "$(echo "100 * $ct / $rt" | bc -l)")
			rts=$(printf '%9.3f' "$rt")
		else
			pct='      -' rts='        -'
		fi
		printf '%-5d %-6s %-5s %11d %7.1f %8.3f %-9s %8.3f %6.3fx %s %s %7d %7d  %s\n' "$mib" \
			"$fmt" "$lv" "$(stat -c %s "$img")" "$st" "$ct" "$dec" "$dt" \
			"$(echo "$ct / $dt" | bc -l)" "$rts" "$pct" "$own" "$crss" "$how"
	done
	[ "$crc" = 0 ] || echo "#   check exited $crc: $(tail -n 1 check.out)"
	[ -n "$rt" ] || echo "#   virsh restore failed: $(tail -n 1 restore.err)"
	V destroy "$NAME" >/dev/null 2>&1
	lv_stop
	[ -n "${BENCH_LIBVIRT_KEEP:-}" ] || rm -f "$img"
done
