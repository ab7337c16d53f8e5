#!/bin/sh
# make fuzz: for each target, replay every regression input (crashes found
# before: each must now pass), then fuzz for FUZZ_TIME seconds starting from
# the seeds (tests/fuzz/seeds/TARGET) and inputs built from tests/data and
# mkstream.  A new crash is kept in $FUZZ_BUILD/crashes/TARGET/ and fails the
# run; copy it into tests/fuzz/regress/TARGET/ with the fix.
# usage: FUZZ_TIME=S FUZZ_BUILD=DIR MKSTREAM=... XSAVECTL=... sh tests/fuzz/run.sh TARGET...
set -u
: "${FUZZ_TIME:?}" "${FUZZ_BUILD:?}" "${MKSTREAM:?}" "${XSAVECTL:?}"
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "$here/../data" && pwd)
build=$(cd "$FUZZ_BUILD" && pwd)
status=0

# Seeds built from the real data and the generators (not kept in git).
gen="$build/gen-seeds"
rm -rf "$gen"
mkdir -p "$gen/image" "$gen/rules" "$gen/qstream" "$gen/cpuid" "$gen/profile" "$gen/kprobe" "$gen/core" \
	"$gen/guestcpu" "$gen/gzip" "$gen/stream" "$gen/gzipc" "$gen/bzip2" "$gen/xz" "$gen/lzop" "$gen/zstd" \
	"$gen/qcow2" "$gen/criu" "$gen/journal"
# qcow2: QEMU 7.2's snapshots, version 2 and version 3 with extended L2 entries.
for f in qemu-7.2-savevm-v2 qemu-7.2-savevm-extl2-rc4; do
	gzip -dc "$data/qcow2/$f.qcow2.gz" >"$gen/qcow2/$f.qcow2"
done
for f in hw-xsave.bin kvm-get-xsave.bin ptrace-xstate.bin example-leaky-kvm.bin; do
	cp "$data/$f" "$gen/image/"
	{ printf '\007\000\000\000\000\000\000\000\003\000\000\000\000\000\000\000'; cat "$data/$f"; } \
		>"$gen/rules/$f"
	gzip -c "$data/$f" >"$gen/gzip/$f.gz"
done
gzip -dc "$data/core.gz" >"$gen/core/core.elf"
cp "$data/core.gz" "$gen/gzip/"
for d in "$data"/criu-*; do	# CRIU 4.1's core images (the fuzzer reads one file)
	for f in "$d"/core-*.img; do cp "$f" "$gen/criu/${d##*/}-${f##*/}"; done
done
i=0
for args in "" "--no-vmdesc" "--postcopy" "--ram mapped" "--ram xbzrle" "--ram compress" \
	"--subs avx512,pkru,amx,apx,fpop,future --xcr0 0x602e7 --bv 0x602e7" "--cpu-version 11" \
	"--no-footers" "--ram ignore-shared --switchover --vcpus 2" \
	"--subs pl0_ssp,cet,shstk,apx --xcr0 0x80007 --bv 0x80007" \
	"--subs pl0_ssp,cet,shstk,apx --xcr0 0x80007 --bv 0x80007 --no-vmdesc"; do
	# shellcheck disable=SC2086
	"$MKSTREAM" $args "$gen/qstream/s$i.bin"
	cp "$gen/qstream/s$i.bin" "$gen/stream/"
	i=$((i + 1))
done
"$MKSTREAM" --libvirt raw "$gen/stream/lv-raw.bin"
"$MKSTREAM" --libvirt gzip "$gen/stream/lv-gzip.bin"
"$MKSTREAM" --gzip "$gen/gzip/s.gz"
# Each codec's seeds: its own program's output for a stream and an image, and libvirt
# images of the stream in that format (for fuzz_stream).
lvstart=$(( $("$XSAVECTL" inspect "$gen/stream/lv-raw.bin" | awk '$1 == "stream_offset:" { print $2 }') ))
num=0
for c in gzip bzip2 xz lzop zstd; do
	num=$((num + 1))
	command -v $c >/dev/null 2>&1 || continue
	d=$gen/$c
	[ $c = gzip ] && d=$gen/gzipc
	$c -c "$gen/qstream/s0.bin" >"$d/s0.$c"
	$c -c "$data/kvm-get-xsave.bin" >"$d/kvm.$c"
	{ head -c 28 "$gen/stream/lv-raw.bin"; printf "\\$(printf %o $num)\\000\\000\\000"
	  tail -c +33 "$gen/stream/lv-raw.bin" | head -c $((lvstart - 32))
	  tail -c +$((lvstart + 1)) "$gen/stream/lv-raw.bin" | $c -c; } >"$gen/stream/lv-$c.bin"
done
# Tail reads (codec_tail): files of several blocks, so that the tail is some of them: lzop's
# 256 KiB blocks of zeros, xz in 4 KiB blocks with an index, gzip's deflate blocks; bare
# streams for fuzz_stream.
if command -v lzop >/dev/null 2>&1; then
	head -c 600000 /dev/zero | lzop -c >"$gen/lzop/zeros-3blocks.lzo"
	lzop -c <"$gen/qstream/s0.bin" >"$gen/stream/s0.lzo"
fi
# gzip: deflate blocks (dynamic Huffman: nibble pages; stored: xz's output, which does not
# compress) for the search of a boundary and the two inflate runs.
"$MKSTREAM" --pages 48 --page-data nibbles "$gen/qstream/nibbles.bin"
gzip -c <"$gen/qstream/nibbles.bin" >"$gen/gzipc/nibbles.gz"
cp "$gen/gzipc/nibbles.gz" "$gen/stream/nibbles.gz"
if command -v xz >/dev/null 2>&1; then
	xz -c <"$gen/qstream/nibbles.bin" | gzip -c >"$gen/gzipc/stored.gz"
	xz -T2 --block-size=4096 -c <"$gen/qstream/s0.bin" >"$gen/xz/s0-blocks.xz"
	cp "$gen/xz/s0-blocks.xz" "$gen/stream/s0-blocks.xz"
fi
# bzip2: 4 blocks of 100 kB (level 1) of a repeated line, small compressed; streams one after
# another (as cat, pbzip2 and lbzip2 write them), an empty one among them.
if command -v bzip2 >/dev/null 2>&1; then
	yes 'xsavectl bzip2 tail' | head -c 350000 | bzip2 -1 >"$gen/bzip2/lines-4blocks.bz2"
	{ printf a | bzip2 -1; printf '' | bzip2 -1; yes 'bzip2 tail' | head -c 250000 | bzip2 -1; } \
		>"$gen/bzip2/streams.bz2"
	bzip2 -1 -c <"$gen/qstream/s0.bin" >"$gen/stream/s0.bz2"
fi
# Journals of versions 1, 2 and 3 without their CRC (fuzz_journal appends it): two ranges of
# 4 bytes; a tail of 8 bytes rewritten into 10.
be() {	# be N V: V in N bytes, big-endian
	i=$(($1 - 1))
	while [ $i -ge 0 ]; do
		printf "\\$(printf %03o $((($2 >> (8 * i)) & 255)))"
		i=$((i - 1))
	done
}
{ printf 'XSAVECTL-JOURNAL 1\n'; be 8 256; be 4 1; be 8 16; be 4 4; printf 'abcdwxyz'; } \
	>"$gen/journal/v1.bin"
{ printf 'XSAVECTL-JOURNAL 2\n'; be 8 256; be 8 2049; be 8 131; be 4 2
  be 8 16; be 4 4; printf 'abcdwxyz'; be 8 200; be 4 4; printf 'ABCDWXYZ'; } >"$gen/journal/v2.bin"
{ printf 'XSAVECTL-JOURNAL 3\n'; be 8 16; be 8 2049; be 8 131; be 8 18; be 8 8
  printf '01234567abcdefghij'; } >"$gen/journal/v3.bin"
cp "$data"/cpuid-*.txt "$data"/host-*.txt "$gen/cpuid/"
cp "$data"/probe/*.rec "$gen/kprobe/"
# precheck's XML: a real virsh dumpxml, the guests of the Ansible test, a CPU map's files.
cp "$data"/libvirt-*-dumpxml-*.xml "$here"/../ansible/guests/*.xml "$gen/guestcpu/"
cp "$data"/cpu_map/libvirt-9.0/x86_features.xml "$gen/guestcpu/features.xml"
for f in "$data"/cpuid-*.txt; do
	"$XSAVECTL" host --cpuid-file "$f" --save-profile "$gen/profile/$(basename "$f" .txt).json" \
		>/dev/null 2>&1
done

for t in "$@"; do
	bin="$build/fuzz_$t"
	reg="$here/regress/$t"
	work="$build/corpus/$t"
	crashes="$build/crashes/$t"
	mkdir -p "$work" "$crashes"
	if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
		if "$bin" -close_fd_mask=2 "$reg"/* >"$build/$t.replay.log" 2>&1; then
			echo "ok - fuzz_$t: $(ls "$reg" | wc -l) regression inputs replayed"
		else
			echo "not ok - fuzz_$t: a regression input fails again (see $build/$t.replay.log)"
			status=1
		fi
	fi
	seeds="$gen/$t"
	[ -d "$here/seeds/$t" ] && seeds="$seeds $here/seeds/$t"
	# shellcheck disable=SC2086
	if "$bin" -max_total_time="$FUZZ_TIME" -rss_limit_mb=2048 -timeout=10 -close_fd_mask=2 \
		-artifact_prefix="$crashes/" -print_final_stats=1 "$work" $seeds \
		>"$build/$t.log" 2>&1; then
		echo "ok - fuzz_$t: $(grep -m1 'stat::number_of_executed_units' "$build/$t.log" |
			awk '{print $2}') runs in ${FUZZ_TIME}s, $(ls "$work" | wc -l) corpus inputs, no crash"
	else
		echo "not ok - fuzz_$t: crash, see $build/$t.log and $crashes/"
		tail -n 30 "$build/$t.log" | sed 's/^/#   /'
		status=1
	fi
done
exit $status
