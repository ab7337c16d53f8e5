#!/bin/sh
# make bench, its compressed part (issue 26; bench.sh runs it last, in its directory):
# `check` on a QEMU stream compressed by each codec's own program, against that program's
# decompressor, on the 64 MiB stream and on one of BENCH_CODEC_MIB (default 512) MiB, both
# saved from the test guest whose RAM is filled to compress about 2:1.  A tail read
# (lzop, xz in blocks, gzip, bzip2) costs the same at both sizes; the codecs decompressed
# whole (zstd, single-block xz) track their decompressor.  gzip's row against gzip -dc,
# gzipi's (the same gzip file) against ISA-L's igzip -dc, where installed.  Each row: the best of 3 runs on a
# warm page cache, the ratio to the decompressor of the same file, the peak RSS.
# bzip2's tail read, measured by hand (wall seconds, best of 3, 2 CPUs, a quiet moment) on
# mkstream streams of 2 vCPUs and 16384 / 65536 RAM pages, each page's data made 2:1
# compressible (2 KiB random, 2 KiB of a repeated line), `bzip2 -9`: 64 MiB (34 MB
# compressed) 0.125 s against `bzip2 -dc`'s 2.172 s, 0.058x; 256 MiB (136 MB) 0.113 s
# against 8.210 s, 0.014x; and by this script (the filling guest): 49 MiB 0.219 s against
# 3.850 s, 0.057x; 497 MiB 0.236 s against 37.27 s, 0.006x; peak RSS 15 MiB.  The cost is
# a fixed three blocks of 900 kB (the head's first, the tail's last two), so the ratio
# falls as the stream grows.
# usage: XSAVECTL=... GUEST=... MAXRSS=... sh tests/bench/codecs.sh   (BENCH_DIR: where;
# BENCH_CODECS="lzop xz": only these rows)
set -eu
: "${XSAVECTL:?}" "${GUEST:?}" "${MAXRSS:?}"
mib=${BENCH_CODEC_MIB:-512}
dir=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$dir" && cd "$dir"

save() {	# save URI MIB: boot the filling guest, wait for READY, migrate to URI
	rm -f con mon.in
	mkfifo mon.in
	qemu-system-x86_64 -accel tcg -machine pc -cpu max -smp 1 -m "$2" -nodefaults \
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
[ -s small.bin ] || save "exec:cat > small.bin" 64
[ -s mid.bin ] || save "exec:cat > mid.bin" "$mib"

best() {	# best CMD...: "SECONDS RSS_KIB", the best of 3 runs (stdout discarded)
	b=
	for _ in 1 2 3; do
		"$MAXRSS" "$@" >/dev/null 2>m.txt.all || true
		tail -n 1 m.txt.all >m.txt
		read -r t rss _ <m.txt
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t r=$rss; fi
	done
	echo "$b $r"
}

# NAME:COMPRESS:DECOMPRESS, the fast ones first.  xz: -T2, blocks with an index as XZ Utils
# 5.6 writes by default on more than one CPU; xz1: -T1, one block; both at -1, which
# decompresses as fast as the default -6 and compresses a 512 MiB stream in minutes.
codecs="lzop:lzop -c:lzop -dc
zstd:zstd -q -c:zstd -dc
gzip:gzip -c:gzip -dc
gzipi:gzip -c:igzip -dc
xz:xz -T2 -1 -c:xz -dc
xz1:xz -T1 -1 -c:xz -dc
bzip2:bzip2 -c:bzip2 -dc"
echo "# compressed saves: check against the codec's decompressor, $(nproc) CPUs"
printf '%-7s %-6s %10s %10s %9s %9s %8s %9s  %s\n' codec stream bytes compressed \
	"prog s" "check s" ratio "RSS KiB" read
echo "$codecs" | while IFS=: read -r name comp dec; do
	case " ${BENCH_CODECS:-$name} " in *" $name "*) ;; *) continue ;; esac
	command -v "${dec%% *}" >/dev/null 2>&1 || continue
	for s in small mid; do
		[ -s "$s.$name" ] || $comp <"$s.bin" >"$s.$name"
		cat "$s.$name" >/dev/null
		set -- $(best $dec "$s.$name")
		d=$1
		set -- $(best "$XSAVECTL" check --xcr0 0x7 "$s.$name")
		how=$("$XSAVECTL" inspect --json "$s.$name" | sed -n 's/.*"read": "\(.*\)".*/\1/p')
		printf '%-7s %-6s %10d %10d %9.3f %9.3f %7.3fx %9d  %s\n' "$name" "$s" \
			"$(stat -c %s "$s.bin")" "$(stat -c %s "$s.$name")" "$d" "$1" \
			"$(echo "$1 / $d" | bc -l)" "$2" "$how"
	done
done
