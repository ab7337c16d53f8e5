#!/bin/sh
# make bench: speed and memory of xsavectl on real QEMU streams of two sizes.
# The test guest fills its RAM ("fill": 4 random bits a byte, which compresses
# about 2:1 as guest memory does) and QEMU saves it plainly (64 MiB and
# BENCH_MIB, default 2048) and through exec:gzip; a libvirt zstd image is made
# of the big stream (zstd -3, libvirt's default).  Each command runs 3 times on
# a warm page cache; the best time is printed with its ratio to the baseline
# and the command's peak RSS, then the ratios the project targets.  QEMU's
# scripts/analyze-migration.py is taken from `apt-get source qemu` at bench
# time (never part of the project; skipped, visibly, where that fails).
# usage: XSAVECTL=... GUEST=... MAXRSS=... MKSTREAM=... sh tests/bench/bench.sh
set -eu
: "${XSAVECTL:?}" "${GUEST:?}" "${MAXRSS:?}" "${MKSTREAM:?}"
here=$(cd "$(dirname "$0")" && pwd)
mib=${BENCH_MIB:-2048}
dir=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$dir" && cd "$dir"
echo "# bench in $dir, guest RAM $mib MiB, $(nproc) CPUs, $(uname -r)"

save() {	# save URI [MIB]: boot the filling guest, wait for READY, migrate to URI
	m=${2:-$mib}
	rm -f con mon.in
	mkfifo mon.in
	qemu-system-x86_64 -accel tcg -machine pc -cpu max -smp 1 -m "$m" -nodefaults \
		-display none -no-reboot -monitor stdio -kernel "$GUEST" -append fill \
		-debugcon file:con <mon.in >qemu.log 2>&1 &
	pid=$!
	exec 3>mon.in
	while ! grep -q READY con 2>/dev/null; do
		kill -0 $pid || { echo "bench: QEMU died" >&2; exit 1; }
		sleep 0.5
	done
	printf 'migrate "%s"\nquit\n' "$1" >&3
	exec 3>&-
	wait $pid
	rm -f mon.in
}
# A live migration on loopback, direct and through `xsavectl relay` (the same filling guest of
# BENCH_RELAY_MIB, default 512, the same QEMU, max-bandwidth unlimited): the best of 3 of each,
# QEMU's own "total time" and "downtime" (info migrate), and their ratio (target: 1.10x).
relay_port() {
	p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
	while ss -ltn | grep -q ":$p "; do p=$((p + 1)); done
	echo $p
}
live_once() {	# live_once via|direct: "TOTAL_MS DOWNTIME_MS" of one migration
	m=${BENCH_RELAY_MIB:-512} dp=$(relay_port) rp=$(relay_port)
	rm -f d.in s.in con
	mkfifo d.in s.in
	qemu-system-x86_64 -accel tcg -machine pc -cpu max -smp 1 -m "$m" -nodefaults -display none \
		-no-reboot -monitor stdio -incoming "tcp:127.0.0.1:$dp" <d.in >dq.log 2>&1 &
	dpid=$!
	exec 5>d.in
	qemu-system-x86_64 -accel tcg -machine pc -cpu max -smp 1 -m "$m" -nodefaults -display none \
		-no-reboot -monitor stdio -kernel "$GUEST" -append fill -debugcon file:con <s.in >sq.log 2>&1 &
	spid=$!
	exec 4>s.in
	to=$dp
	if [ "$1" = via ]; then
		"$XSAVECTL" relay --once --xcr0 0x21f --listen "127.0.0.1:$rp" --to "127.0.0.1:$dp" 2>relay.log &
		rpid=$!
		to=$rp
	fi
	while ! grep -q READY con 2>/dev/null; do
		kill -0 $spid || { echo "bench: QEMU died" >&2; exit 1; }
		sleep 0.5
	done
	printf 'migrate_set_parameter max-bandwidth 100G\nmigrate_set_parameter downtime-limit 300\nmigrate -d tcp:127.0.0.1:%s\n' "$to" >&4
	while :; do
		printf 'info migrate\n' >&4
		sleep 0.5
		st=$(grep -a 'Migration status' sq.log | tail -n 1)
		case $st in *completed* | *failed* | *cancelled*) break ;; esac
	done
	t=$(grep -a '^total time:' sq.log | tail -n 1 | awk '{print $3}')
	d=$(grep -a '^downtime:' sq.log | tail -n 1 | awk '{print $2}')
	printf 'quit\n' >&4
	printf 'quit\n' >&5
	exec 4>&- 5>&-
	wait $spid $dpid
	[ "$1" = via ] && wait $rpid
	case $st in *completed*) echo "$t $d" ;; *) echo "bench: live migration $1: $st" >&2; exit 1 ;; esac
}
live_bench() {
	bt= bd= rt= rd=
	for _ in 1 2 3; do
		for via in direct via; do
			set -- $(live_once $via)
			if [ $via = direct ]; then
				[ -z "$bt" ] || [ "$1" -lt "$bt" ] && bt=$1 bd=$2
			else
				[ -z "$rt" ] || [ "$1" -lt "$rt" ] && rt=$1 rd=$2
			fi
		done
	done
	echo "# live migration on loopback, ${BENCH_RELAY_MIB:-512} MiB filled guest (TCG), best of 3"
	printf '%-52s %7d ms  downtime %4d ms\n' "direct (tcp:)" "$bt" "$bd"
	printf '%-52s %7d ms  downtime %4d ms\n' "through xsavectl relay" "$rt" "$rd"
	printf '%-52s %7.2fx  (at most 1.10x)\n' "relay / direct (total time)" "$(echo "$rt / $bt" | bc -l)"
	printf '%-52s %+7d ms\n' "downtime added by the relay" "$((rd - bd))"
}
if [ "${BENCH_ONLY:-}" = relay ]; then
	live_bench
	exit 0
fi
[ -s big.bin ] || save "exec:cat > big.bin\"
[ -s big.gz ] || save "exec:gzip -c > big.gz"
[ -s small.bin ] || save "exec:cat > small.bin" 64
# A libvirt zstd image of the big stream: mkstream's libvirt header, format 5, zstd data.
if [ ! -s big.zsave ]; then
	"$MKSTREAM" --libvirt raw hdr.bin
	start=$(( $("$XSAVECTL" inspect --json hdr.bin | sed -n 's/.*"stream_offset": "\(0x[0-9a-f]*\)".*/\1/p') ))
	head -c "$start" hdr.bin >big.zsave
	printf '\005' | dd of=big.zsave bs=1 seek=28 conv=notrunc 2>/dev/null
	zstd -q -3 -T0 -c big.bin >big.zst
	cat big.zst >>big.zsave
fi
# QEMU's analyze-migration.py, from the distribution's QEMU source (not kept in the project).
amp=$(find qsrc -name analyze-migration.py 2>/dev/null | head -n 1)
if [ -z "$amp" ]; then
	mkdir -p qsrc
	(cd qsrc && apt-get source --download-only qemu >/dev/null 2>&1 &&
		tar -xJf qemu_*.orig.tar.xz --wildcards '*/scripts/analyze-migration.py') || true
	amp=$(find qsrc -name analyze-migration.py 2>/dev/null | head -n 1)
fi

# best SECONDS RSS_KIB of 3 runs of a command (stdout discarded)
best() {
	b=
	for _ in 1 2 3; do
		"$MAXRSS" "$@" >/dev/null 2>m.txt.all || true
		tail -n 1 m.txt.all >m.txt
		read -r t rss _ <m.txt
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t r=$rss; fi
	done
	echo "$b $r"
}
row() {	# row LABEL BASELINE_SECONDS CMD...
	label=$1 base=$2
	shift 2
	set -- $(best "$@")
	printf '%-44s %8.3f s  %6.2fx  %7d KiB\n' "$label" "$1" "$(echo "$1 / $base" | bc -l)" "$2"
}

ratio() { echo "$1 / $2" | bc -l; }
t_of() { echo "$1"; }
size=$(stat -c %s big.bin)
ssize=$(stat -c %s small.bin)
zsize=$(stat -c %s big.gz)
cat big.bin small.bin big.gz big.zst big.zsave >/dev/null
printf '# streams: big %d bytes (%.2f GiB), small %d bytes (%.0f MiB); gzip %d bytes; zstd %d bytes\n' \
	"$size" "$(echo "$size / 2^30" | bc -l)" "$ssize" "$(echo "$ssize / 2^20" | bc -l)" "$zsize" \
	"$(stat -c %s big.zst)"
printf '%-44s %8s    %6s  %11s\n' "command" "best" "ratio" "max RSS"
base() {	# base VAR LABEL CMD...: a baseline row, its time in VAR
	var=$1 label=$2
	shift 2
	set -- $(best "$@")
	eval "$var=$1"
	printf '%-44s %8.3f s  %6.2fx  %7d KiB\n' "$label" "$1" 1 "$2"
}
rowv() {	# rowv VAR LABEL BASELINE CMD...: a row, its time in VAR
	var=$1
	shift
	out=$(row "$@")
	echo "$out"
	eval "$var=$(echo "$out" | awk '{for (i = 1; i <= NF; i++) if ($i == "s") { print $(i-1); exit }}')"
}
base cat_t "cat big.bin > /dev/null" cat big.bin
base scat_t "cat small.bin > /dev/null" cat small.bin
rowv ins_t "xsavectl inspect big.bin" "$cat_t" "$XSAVECTL" inspect big.bin
rowv chk_t "xsavectl check --xcr0 0x7 big.bin" "$cat_t" "$XSAVECTL" check --xcr0 0x7 big.bin
rowv sins_t "xsavectl inspect small.bin" "$scat_t" "$XSAVECTL" inspect small.bin
rowv schk_t "xsavectl check --xcr0 0x7 small.bin" "$scat_t" "$XSAVECTL" check --xcr0 0x7 small.bin
rowv ver_t "xsavectl inspect --verify big.bin" "$cat_t" "$XSAVECTL" inspect --verify big.bin
amp_t=
if [ -n "$amp" ]; then
	rowv amp_t "analyze-migration.py -f big.bin" "$cat_t" python3 "$amp" -f big.bin
else
	echo "# SKIP bench: no analyze-migration.py (apt-get source qemu failed)"
fi
rm -f cp.bin fo.bin
rowv cp_t "cp --reflink=auto big.bin" "$cat_t" sh -c 'rm -f cp.bin; cp --reflink=auto big.bin cp.bin'
rowv fo_t "xsavectl filter --force -o (big.bin)" "$cat_t" \
	sh -c 'rm -f fo.bin; "$0" filter --force --xcr0 0x7 -o fo.bin big.bin' "$XSAVECTL"
rm -f cp.bin fo.bin
# The streaming filter (issue 23): standard input to standard output, against cat through
# the same pipe; its peak RSS is the window it holds, whatever the stream's size.
rowv pcat_t "cat big.bin | cat > /dev/null" "$cat_t" sh -c 'cat big.bin | cat'
rowv pf_t "cat big.bin | xsavectl filter -o - - > /dev/null" "$cat_t" \
	sh -c 'cat big.bin | "$0" filter --force --xcr0 0x7 -o - -' "$XSAVECTL"
pf_rss=$("$MAXRSS" sh -c 'cat big.bin | "$0" filter --force --xcr0 0x7 -o - - >/dev/null' \
	"$XSAVECTL" 2>&1 | tail -n 1 | awk '{print $2}')
# filter --in-place: a fresh copy (rewrites the changed bytes), then again (nothing to change)
once() {
	"$MAXRSS" "$XSAVECTL" filter --in-place --force --xcr0 0x7 ip.bin >/dev/null 2>m.txt.all
	tail -n 1 m.txt.all >m.txt
	read -r t rss _ <m.txt
	printf '%-44s %8.3f s  %6.2fx  %7d KiB  (%s)\n' "$1" "$t" "$(ratio "$t" "$cat_t")" \
		"$rss" "$2"
}
cp big.bin ip.bin
sync
once "xsavectl filter --in-place" "a fresh copy"
echo "#   it rewrote $(cmp -l big.bin ip.bin | wc -l) bytes of the $size"
once "xsavectl filter --in-place, again" "nothing left to change"
rm -f ip.bin
igz_t=
if command -v igzip >/dev/null; then
	base igz_t "igzip -dc big.gz > /dev/null" igzip -dc big.gz
else
	echo "# SKIP bench: no igzip (Debian: isal)"
fi
base gz_t "gzip -dc big.gz > /dev/null" gzip -dc big.gz
rowv zins_t "xsavectl inspect big.gz" "${igz_t:-$gz_t}" "$XSAVECTL" inspect big.gz
rowv zchk_t "xsavectl check --xcr0 0x7 big.gz" "${igz_t:-$gz_t}" "$XSAVECTL" check --xcr0 0x7 big.gz
base zst_t "zstd -dc big.zst > /dev/null" zstd -dc big.zst
rowv zsins_t "xsavectl inspect big.zsave (libvirt zstd)" "$zst_t" "$XSAVECTL" inspect big.zsave
peak=$(for f in big.bin small.bin big.gz big.zsave; do "$MAXRSS" "$XSAVECTL" inspect "$f" 2>&1 >/dev/null |
	tail -n 1 | awk '{print $2}'; done | sort -n | tail -n 1)

echo "# ratios (target)"
printf '%-52s %7.3fx  (at most 0.05x)\n' "inspect big.bin / cat big.bin" "$(ratio "$ins_t" "$cat_t")"
printf '%-52s %7.3fx  (at most 0.05x)\n' "check big.bin / cat big.bin" "$(ratio "$chk_t" "$cat_t")"
printf '%-52s %7.3fx\n' "inspect small.bin / cat small.bin" "$(ratio "$sins_t" "$scat_t")"
printf '%-52s %7.2fx  (within 2x)\n' "inspect big.bin / inspect small.bin" "$(ratio "$ins_t" "$sins_t")"
printf '%-52s %7.2fx  (within 2x)\n' "check big.bin / check small.bin" "$(ratio "$chk_t" "$schk_t")"
printf '%-52s %7.2fx\n' "inspect --verify big.bin / cat big.bin" "$(ratio "$ver_t" "$cat_t")"
printf '%-52s %7.1fx\n' "inspect --verify big.bin / inspect big.bin" "$(ratio "$ver_t" "$ins_t")"
[ -n "$amp_t" ] && printf '%-52s %7.1fx\n' "analyze-migration.py / inspect big.bin" \
	"$(ratio "$amp_t" "$ins_t")"
[ -n "$amp_t" ] && printf '%-52s %7.1fx\n' "analyze-migration.py / inspect --verify big.bin" \
	"$(ratio "$amp_t" "$ver_t")"
printf '%-52s %7.2fx\n' "filter -o / cp --reflink=auto" "$(ratio "$fo_t" "$cp_t")"
[ -n "$igz_t" ] && printf '%-52s %7.2fx  (within 1.15x)\n' "inspect big.gz / igzip -dc" \
	"$(ratio "$zins_t" "$igz_t")"
printf '%-52s %7.2fx\n' "inspect big.gz / gzip -dc" "$(ratio "$zins_t" "$gz_t")"
printf '%-52s %7.2fx  (within 1.15x)\n' "inspect big.zsave / zstd -dc" "$(ratio "$zsins_t" "$zst_t")"
printf '%-52s %7d KiB  (at most 8192)\n' "peak RSS of inspect, any input" "$peak"
printf '%-52s %7.2fx  (within 1.10x)\n' "cat big.bin | filter -o - - / cat big.bin | cat" \
	"$(ratio "$pf_t" "$pcat_t")"
printf '%-52s %7d KiB  (at most 16384, the stream %d MiB)\n' "peak RSS of cat big.bin | filter -o - -" \
	"$pf_rss" "$((size >> 20))"
live_bench
# Compressed saves, each codec against its own decompressor (tests/bench/codecs.sh).
BENCH_DIR=$dir sh "$here/codecs.sh"
# Real libvirt save images, check against each decompressor and virsh restore (opt-in:
# BENCH_LIBVIRT=1; root, libvirtd; tests/bench/libvirt.sh).
[ "${BENCH_LIBVIRT:-}" != 1 ] || BENCH_DIR=$dir sh "$here/libvirt.sh"
