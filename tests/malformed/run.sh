#!/bin/sh
# Malformed inputs for every reader: each is built here from real data or the
# generators, read with `xsavectl inspect` (and `check` or `filter` where the
# reader differs), and must give its exit code and, on an error, exactly one
# line on stderr naming the file (and, for bad data, the offset), with nothing
# on stdout.  Sweeps truncate images, streams (plain, gzip, libvirt raw and in each
# codec: gzip, bzip2, xz, lzop, zstd), cores,
# profiles, CPUID files and probe records at every structural boundary.
# ONLY=ERE (make check-malformed ONLY=...) runs only the checks whose label matches it.
# usage: XSAVECTL=... MKXSAVE=... MKSTREAM=... DATA=tests/data [ONLY=ERE] sh tests/malformed/run.sh
set -u
: "${XSAVECTL:?}" "${MKXSAVE:?}" "${MKSTREAM:?}" "${DATA:?}"
TAP_NAME="malformed"
. "$(dirname "$0")/../tap.sh"
want() { [ -z "${ONLY:-}" ] || printf '%s\n' "$1" | grep -Eq -- "$ONLY"; }
# (tap.sh's check, but a check left out by ONLY neither runs nor counts)
check() { want "$1" || return 0; if eval "$2"; then ok "$1"; else no "$1"; fi; }
regress=$(cd "$(dirname "$0")/../fuzz/regress" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# expect LABEL RC REGEX CMD...: run CMD; RC must match, and for RC >= 64 stderr
# must be one line matching REGEX (and holding "offset 0x" for RC 65 unless
# REGEX starts with "!"); stdout must then be empty.  Returns 0 when all hold.
expect() {
	label=$1 rc=$2 re=$3
	want "$label" || return 3	# left out by ONLY
	shift 3
	"$@" >out.txt 2>err.txt
	got=$?
	why=
	if [ "$got" != "$rc" ]; then
		why="exit $got, expected $rc"
	elif [ "$rc" -ge 64 ]; then
		if [ "$(wc -l <err.txt)" != 1 ]; then
			why="$(wc -l <err.txt) lines on stderr"
		elif ! grep -Eq -- "${re#!}" err.txt; then
			why="stderr does not match /${re#!}/"
		elif [ "$rc" = 65 ] && [ "${re#!}" = "$re" ] && ! grep -q "offset 0x" err.txt; then
			why="no offset in the message"
		elif [ -s out.txt ]; then
			why="stdout not empty"
		fi
	fi
	if [ -n "$why" ]; then
		no "$label: $why"
		sed 's/^/#   /' err.txt | head -3
		return 1
	fi
	return 0
}
case_() { expect "$@" && ok "$1"; }
# expect_out LABEL RC GREP CMD...: as expect, and stdout must hold a line matching GREP.
expect_out() {
	eo_label=$1 eo_rc=$2 eo_re=$3
	shift 3
	expect "$eo_label" "$eo_rc" "" "$@" || return 0	# (expect said "not ok")
	if grep -Eq -- "$eo_re" out.txt; then ok "$eo_label"; else no "$eo_label: no /$eo_re/"; fi
}
# sweep LABEL RC REGEX FILE STEP [FROM [TO]]: FILE cut at FROM, FROM+STEP, ... < TO.
sweep() {
	want "$1" || return 0
	what=$1 rc=$2 re=$3 file=$4 step=$(($5 * ${SWEEP_SCALE:-1})) from=${6:-0}
	to=${7:-$(stat -c %s "$4")}
	bad=0 cuts=0 cut=$from
	ext=${file##*.}
	while [ "$cut" -lt "$to" ]; do
		head -c "$cut" "$file" >"cut.$ext"
		expect "$what at $cut" "$rc" "$re" "$XSAVECTL" inspect "cut.$ext" || bad=1
		[ $bad = 1 ] && break
		cuts=$((cuts + 1))
		cut=$((cut + step))
	done
	[ $bad = 0 ] && check "$what: $cuts cuts, each exit $rc with one line" '[ $cuts -gt 0 ]'
}

# --- inputs -------------------------------------------------------------------
cp "$DATA/kvm-get-xsave.bin" img.bin
gzip -dc "$DATA/core.gz" >core.elf
"$MKSTREAM" --vcpus 2 --subs avx512,pkru,fpop,future --xcr0 0x2e7 --bv 0x2e7 s.bin
"$MKSTREAM" --vcpus 2 --subs avx512,pkru,fpop,future --xcr0 0x2e7 --bv 0x2e7 --no-vmdesc nv.bin
"$MKSTREAM" --vcpus 2 --subs pkru --gzip s.gz
"$MKSTREAM" --libvirt raw lv.bin
"$XSAVECTL" host --cpuid-file "$DATA/cpuid-intel-emr.txt" --save-profile prof.json >/dev/null
eof=$(stat -c %s nv.bin)	# the streams agree up to EOF: the vmdesc starts here

# --- truncated at every structural boundary ---------------------------------------
sweep "image truncated" 65 "'cut.bin'" img.bin 16 0 832
sweep "stream truncated before EOF" 65 "'cut.bin'" s.bin 23 0 "$eof"
sweep "stream truncated inside its vmdesc" 65 "'cut.bin'" s.bin 211 $((eof + 1))
expect "stream cut right after EOF (no vmdesc left)" 0 "" sh -c "head -c $eof s.bin >c.bin &&
	\"$XSAVECTL\" inspect c.bin" && ok "stream cut right after EOF reads as a stream without vmdesc"
sweep "gzip stream truncated" 65 "'cut.gz'" s.gz 41 1
sweep "libvirt header truncated" 65 "'cut.bin'" lv.bin 5 16 96
# (the kernel puts PT_NOTE first: p_offset at 64 + 8, p_filesz at 64 + 32)
notes_end=$(( $(od -An -t u8 -j 72 -N 8 core.elf) + $(od -An -t u8 -j 96 -N 8 core.elf) ))
sweep "core truncated before its notes end" 65 "'cut.elf'" core.elf 61 4 "$notes_end"
head -c $((notes_end + 100)) core.elf >late.elf
expect_out "core cut after its notes: read, and said to be cut short" 0 "complete: *no" \
	"$XSAVECTL" inspect late.elf
# The bound is exact: a file ending where the notes end is read; one byte less is not.
head -c "$notes_end" core.elf >edge.elf
expect_out "core ending exactly where its notes end: read (cut short)" 0 "complete: *no" \
	"$XSAVECTL" inspect edge.elf
head -c $((notes_end - 1)) core.elf >edge1.elf
case_ "core ending one byte before its notes end" 65 \
	"^xsavectl: inspect: 'edge1.elf': offset 0x318: PT_NOTE segment 0 \(2812 bytes\) runs past the end of the file \($((notes_end - 1)) bytes\)\$" \
	"$XSAVECTL" inspect edge1.elf
sweep "profile truncated" 65 "'cut.json'" prof.json 97 0 "$(stat -c %s prof.json)"
# A CPUID file is text: cut before leaf 0xd it has no layout, cut inside a line it is bad.
cp "$DATA/cpuid-intel-emr.txt" cpuid.txt
d0=$(grep -b -m1 '^0xd\.0 ' cpuid.txt | cut -d: -f1)
bad=0
for cut in 10 40 $((d0 - 1)) $((d0 + 5)) $((d0 + 20)); do
	head -c $cut cpuid.txt >cut.txt
	expect "CPUID file cut at $cut" 65 "!'cut.txt'" "$XSAVECTL" check --xcr0 x87 --layout cut.txt \
		img.bin || bad=1
done
[ $bad = 0 ] && ok "CPUID file truncated (before leaf 0xd, inside its line): exit 65, one line"
# A probe record is text too: a cut either still reads (a shorter record, judged: exit 0-3,
# a report, nothing on stderr) or is exit 65 with one line naming the offset.
cp "$DATA/probe/nested-6.1.192-affected.rec" rec.txt
bad=0 cuts=0 read=0
size=$(stat -c %s rec.txt)
cut=0
while [ $cut -le "$size" ]; do
	head -c $cut rec.txt >cut.rec
	"$XSAVECTL" probe --from cut.rec >out.txt 2>err.txt
	got=$?
	if [ $got -le 3 ]; then
		[ -s out.txt ] && [ ! -s err.txt ] || { bad=1; break; }
		read=$((read + 1))
	else
		expect "probe record cut at $cut" 65 "'cut.rec'" "$XSAVECTL" probe --from cut.rec || {
			bad=1
			break
		}
	fi
	cuts=$((cuts + 1))
	[ $cut = "$size" ] && break
	cut=$((cut + 7 * ${SWEEP_SCALE:-1}))
	[ $cut -le "$size" ] || cut=$size	# the last cut is the whole record, which reads
done
[ $bad = 0 ] && check "probe record truncated: $cuts cuts ($read still read), none crashes or half-writes" \
	'[ $read -gt 0 ] && [ $read -lt $cuts ]'

# --- one of each kind ---------------------------------------------------------------
: >empty.bin
case_ "empty file" 65 "'empty.bin'.*offset 0x0" "$XSAVECTL" inspect empty.bin
mkdir dir.bin
case_ "directory" 66 "!'dir.bin': a directory .inspect and check read the files under it with --recursive., not a file to read" "$XSAVECTL" inspect dir.bin
mkfifo fifo.bin
case_ "FIFO (no hang)" 66 "!'fifo.bin': a FIFO, not a file to read" timeout 10 "$XSAVECTL" inspect fifo.bin
case_ "missing file" 66 "!'nope.bin': cannot open" "$XSAVECTL" inspect nope.bin
cp s.bin v.bin && patch v.bin 7 02
case_ "stream of version 2" 65 "'v.bin'.*stream version 2" "$XSAVECTL" inspect v.bin
cp lv.bin lvv.bin && patch lvv.bin 16 09000000
case_ "libvirt header of version 9" 65 "'lvv.bin'.*version 9" "$XSAVECTL" inspect lvv.bin
cp lv.bin lvx.bin && patch lvx.bin 28 05000000
case_ "libvirt header saying zstd over raw data" 65 "'lvx.bin'.*zstd data is corrupt" \
	"$XSAVECTL" inspect lvx.bin
cp lv.bin lvl.bin && patch lvl.bin 20 ffffff7f
case_ "libvirt XML length past the end" 65 "'lvl.bin'.*past the end" "$XSAVECTL" inspect lvl.bin
"$MKSTREAM" --ram mapped m.bin
cp m.bin mc.bin && patch mc.bin 58 000003e8
case_ "capability count 1000" 65 "'mc.bin'.*1000 capabilities" "$XSAVECTL" inspect mc.bin
cp s.bin nl.bin && patch nl.bin 31 ff
case_ "section name length 255 over the data" 65 "'nl.bin'" "$XSAVECTL" inspect nl.bin
cp s.bin vl.bin && patch vl.bin $((eof + 1)) 7fffffff
case_ "vmdesc length 2 GiB" 65 "'vl.bin'.*vmdesc" "$XSAVECTL" inspect vl.bin
cp s.bin vm.bin && patch vm.bin $((eof + 1)) 04000001
case_ "vmdesc length one over 64 MiB: the limit, not a truncation" 65 \
	"'vm.bin': offset 0x$(printf %x $((eof + 1))): vmdesc of 67108865 bytes is over the 67108864-byte limit\$" \
	"$XSAVECTL" inspect vm.bin
cp s.bin tt.bin && patch tt.bin $((eof - 1)) 09
case_ "unknown section type where EOF was" 65 "'tt.bin'.*0x09" "$XSAVECTL" inspect tt.bin
"$MKSTREAM" --bad-vmdesc bd.bin
case_ "vmdesc that disagrees with the body" 65 "'bd.bin'.*vmdesc disagrees" "$XSAVECTL" inspect bd.bin
"$MKSTREAM" --cpu-version 13 cv.bin
case_ "cpu section of version 13" 65 "'cv.bin'.*cpu section version 13" "$XSAVECTL" inspect cv.bin
"$MKSTREAM" --no-footers --no-vmdesc nf.bin
case_ "no footers and no vmdesc" 65 "'nf.bin'.*neither section footers nor a vmdesc" \
	"$XSAVECTL" inspect nf.bin
expect "unknown cpu subsection (vmdesc sizes it)" 0 "" "$XSAVECTL" inspect s.bin &&
	expect "unknown cpu subsection (no vmdesc)" 0 "" "$XSAVECTL" inspect nv.bin &&
	ok "unknown cpu subsections are skipped, with and without vmdesc"
cp s.bin tr.bin && printf 'zz' >>tr.bin
case_ "stream followed by data" 65 "'tr.bin'.*unexpected data after the end of the stream" \
	"$XSAVECTL" inspect tr.bin
cp s.bin pad.bin && head -c 4096 /dev/zero >>pad.bin
expect_out "stream followed by zero padding (O_DIRECT tails): read with its vmdesc" 0 \
	"^vmdesc: *yes" "$XSAVECTL" inspect pad.bin
# Decompressed, the end may be followed by 1 MiB of zeros at most (libvirt's O_DIRECT tails
# are far less): a few KiB of gzip would otherwise decompress gigabytes of padding.
{ gzip -dc s.gz && head -c 1048576 /dev/zero; } | gzip -c >pz1.gz
expect "gzip stream followed by 1 MiB of zero padding: read" 0 "" "$XSAVECTL" inspect pz1.gz &&
	ok "gzip stream followed by 1 MiB of zero padding (the most allowed): read"
{ gzip -dc s.gz && head -c 1048577 /dev/zero; } | gzip -c >pz.gz
case_ "gzip stream followed by 1 MiB + 1 of zero padding: refused at the bound" 65 \
	"^xsavectl: inspect: 'pz.gz': offset 0x[0-9a-f]+: more than 1024 KiB of zero padding after the end of the stream \(it ends at 0x[0-9a-f]+\)" \
	"$XSAVECTL" inspect pz.gz
# Page records are bounded by the RAM the block list declares (16 pages here, 64 passes):
# 1024 records read, 1025 (one zero page sent 1022 times at the end) are refused.
"$MKSTREAM" --ram zero --gzip --zero-records 1021 zr1.gz
"$MKSTREAM" --ram zero --gzip --zero-records 1022 zr2.gz
expect "1024 page records for 16 pages of RAM: read" 0 "" "$XSAVECTL" inspect zr1.gz &&
	ok "1024 page records for 16 pages of RAM (64 passes): read"
case_ "1025 page records for 16 pages of RAM: refused" 65 \
	"'zr2.gz': offset 0x[0-9a-f]+: more than 1024 page records: 64 times the 16 pages of RAM the stream declares" \
	"$XSAVECTL" inspect zr2.gz
echo garbage >>s.gz
case_ "gzip stream followed by garbage" 65 "'s.gz'.*data after the end of the gzip stream" \
	"$XSAVECTL" inspect s.gz
printf '\037\213\010\000garbage-garbage-garbage' >bad.gz
case_ "gzip header, then garbage" 65 "'bad.gz'.*gzip data is corrupt" "$XSAVECTL" inspect bad.gz
# libvirt images in every compressed format: lv.bin's stream recompressed with each codec's
# own program (what libvirt's pipe to `PROG -c` writes), the header's format field set.
lvstart=$(( $("$XSAVECTL" inspect lv.bin | awk '$1 == "stream_offset:" { print $2 }') ))
num=0
for c in gzip bzip2 xz lzop zstd; do
	num=$((num + 1))
	if ! command -v $c >/dev/null 2>&1; then
		skip "$c is not installed: no malformed libvirt $c images"
		continue
	fi
	head -c "$lvstart" lv.bin >lv.$c && patch lv.$c 28 0${num}000000 &&
		tail -c +$((lvstart + 1)) lv.bin | $c -c >>lv.$c
	size=$(stat -c %s lv.$c)
	expect_out "libvirt $c image (format $num): read" 0 "image_format: *$c\$" \
		"$XSAVECTL" inspect lv.$c
	sweep "libvirt $c image truncated" 65 "'cut.$c'.*offset 0x" lv.$c $(((size - lvstart) / 9 + 1)) \
		"$lvstart"
	cp lv.$c c.$c && patch c.$c $((lvstart + (size - lvstart) / 2)) ffffffff
	case_ "libvirt $c image corrupt mid-stream" 65 \
		"'c.$c': offset 0x[0-9a-f]+ in the decompressed stream.*$c data is corrupt" \
		"$XSAVECTL" inspect c.$c
	cp lv.$c g.$c && printf garbage >>g.$c
	case_ "libvirt $c image followed by garbage" 65 "'g.$c'.*data after the end of the $c stream" \
		"$XSAVECTL" inspect g.$c
	expect "filter refuses garbage after libvirt $c data, writing nothing" 65 "'g.$c'" \
		"$XSAVECTL" filter --xcr0 0x7 --force g.$c -o gf.$c &&
		check "filter refuses garbage after libvirt $c data, writing nothing" '[ ! -e gf.$c ]'
	cp lv.$c z.$c && head -c 512 /dev/zero >>z.$c
	expect "libvirt $c image with zero padding" 0 "" "$XSAVECTL" inspect z.$c &&
		ok "libvirt $c image followed by zero padding: read"
	check "filter -o writes $c again, which '$c -dc' reads back to the stream" \
		'"$XSAVECTL" filter --xcr0 0x7 --force lv.$c -o f.$c >/dev/null &&
		 cmp -s -n "$lvstart" lv.$c f.$c && tail -c +$((lvstart + 1)) f.$c | $c -dc >f.raw &&
		 "$XSAVECTL" diff f.$c f.raw >/dev/null'
done
# Decompression bombs: a header asking for more memory than the codec's limit is refused
# before the decoder allocates it (xz: a 2 GiB dictionary, its block header's CRC32 redone
# with gzip's, which is the same CRC; zstd: a 2 GiB window).
if [ -f lv.xz ]; then
	cp lv.xz xd.xz && patch xd.xz $((lvstart + 16)) 26
	crc=$(dd if=xd.xz bs=1 skip=$((lvstart + 12)) count=8 2>/dev/null | gzip -c | tail -c 8 |
		head -c 4 | od -An -tx1 | tr -d ' \n')
	patch xd.xz $((lvstart + 20)) "$crc"
	case_ "libvirt xz image whose header asks for a 2 GiB dictionary: refused at the limit" 65 \
		"'xd.xz': offset 0x0 in the decompressed stream \(0x[0-9a-f]+ in the file\): xz data needs 2049 MiB of memory to decompress, over the limit of 256 MiB\$" \
		"$XSAVECTL" inspect xd.xz
fi
if [ -f lv.zstd ]; then
	cp lv.zstd zw.zstd && patch zw.zstd $((lvstart + 5)) a8
	case_ "libvirt zstd image whose frame asks for a 2 GiB window: refused at the limit" 65 \
		"'zw.zstd': offset 0x0 in the decompressed stream \(0x[0-9a-f]+ in the file\): zstd data needs a window over the limit of 128 MiB\$" \
		"$XSAVECTL" inspect zw.zstd
fi
cp lv.bin lv7.bin && patch lv7.bin 28 07000000
case_ "libvirt image format 7" 65 "'lv7.bin'.*unknown libvirt image format 7" "$XSAVECTL" inspect lv7.bin
cp lv.bin lvc.bin && patch lvc.bin 32 ffffff00
case_ "libvirt cookie offset past the XML" 65 "'lvc.bin'.*cookie offset" "$XSAVECTL" inspect lvc.bin
"$MKXSAVE" -o xc.bin --bv 0x7 --xcr0-sw 0x7 --compacted 0x207 >/dev/null
expect_out "XCOMP_BV with bits beyond XCR0: read, the problem named" 0 "xcomp_bv_beyond_xcr0" \
	"$XSAVECTL" inspect xc.bin
cp core.elf far.elf && patch far.elf 72 0000001000000000
case_ "core note segment far outside the file" 65 "'far.elf'.*runs past the end" \
	"$XSAVECTL" inspect far.elf
cp core.elf ph.elf && patch ph.elf 32 00ffffff00000000
case_ "core program headers outside the file" 65 "'ph.elf'.*program header table" \
	"$XSAVECTL" inspect ph.elf
cp core.elf ns.elf && patch ns.elf 56 ffff
case_ "core claiming 65535 program headers" 65 "'ns.elf'" "$XSAVECTL" inspect ns.elf
# --- tail reads (lzop, xz in blocks): every header, index or trailer that lies ---------
# The tail read never answers from such a file: it gives way to the full decode, which
# names the fault (one line, its decompressed offset, exit 65).  An 8 MiB stream, so that
# the tail is a few of its blocks.  The checks of the tail read itself run without
# XSAVECTL_VERIFY (make check-verify), which would decompress whole.
"$MKSTREAM" --vcpus 2 --ram-mib 8 --pages 2048 t8.bin
be32() { od -An -tu1 -j "$2" -N 4 "$1" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }'; }
le32() { od -An -tu1 -j "$2" -N 4 "$1" | awk '{ print (($4 * 256 + $3) * 256 + $2) * 256 + $1 }'; }
crc32() { gzip -c | tail -c 8 | head -c 4 | od -An -tx1 | tr -d ' \n'; }	# little-endian
if command -v lzop >/dev/null 2>&1; then
	lzop -c <t8.bin >t8.lzo
	# lzop -c from a pipe: a 38-byte header, then blocks of dlen, clen, adler32 of the data.
	off=38 first=38 last=0
	while [ "$(be32 t8.lzo $off)" != 0 ]; do
		last=$off
		off=$((off + 12 + $(be32 t8.lzo $((off + 4)))))
	done
	L="lzop stream whose tail read"
	LZ="offset 0x800000 in the decompressed stream \(0x[0-9a-f]+ in the file\): lzop data"
	expect_out "$L is whole: read from its tail" 0 "^read: *tail" \
		env -u XSAVECTL_VERIFY "$XSAVECTL" inspect t8.lzo
	cp t8.lzo a.lzo && patch a.lzo $last 00040001
	case_ "$L finds a last block header whose size lies" 65 \
		"^xsavectl: inspect: 'a.lzo': $LZ is corrupt: LZO1X decompression failed \(error 0, [0-9]+ of 262145 bytes\)\$" \
		"$XSAVECTL" inspect a.lzo
	cp t8.lzo b.lzo && patch b.lzo $((last + 4)) 7fffffff
	case_ "$L finds a compressed size past the end" 65 \
		"^xsavectl: inspect: 'b.lzo': $LZ has an lzop block of [0-9]+ bytes compressed to 2147483647\$" \
		"$XSAVECTL" inspect b.lzo
	cp t8.lzo c.lzo && patch c.lzo $((last + 4)) 00000010
	case_ "$L finds a compressed size short of its block" 65 \
		"^xsavectl: inspect: 'c.lzo': $LZ is corrupt: LZO1X decompression failed \(error -4, 0 of [0-9]+ bytes\)\$" \
		"$XSAVECTL" inspect c.lzo
	cp t8.lzo d.lzo && patch d.lzo $((last + 8)) 01020304
	case_ "$L finds a block checksum that lies" 65 \
		"^xsavectl: inspect: 'd.lzo': $LZ is corrupt: a block's checksum is 0x01020304, computed 0x[0-9a-f]{8}\$" \
		"$XSAVECTL" inspect d.lzo
	cp t8.lzo g.lzo && patch g.lzo $last 05000000
	case_ "$L finds a block over lzop's 64 MiB" 65 \
		"^xsavectl: inspect: 'g.lzo': $LZ has an lzop block of 83886080 bytes \(the limit is 67108864\)\$" \
		"$XSAVECTL" inspect g.lzo
	cp t8.lzo i.lzo && patch i.lzo $((first + 4)) 00000100
	case_ "$L finds the first block's compressed size short (the walk loses its way)" 65 \
		"^xsavectl: inspect: 'i.lzo': offset 0x0 in the decompressed stream \(0x[0-9a-f]+ in the file\): lzop data is corrupt: LZO1X decompression failed" \
		"$XSAVECTL" inspect i.lzo
	head -c $off t8.lzo >e.lzo
	case_ "$L finds no end marker" 65 \
		"^xsavectl: inspect: 'e.lzo': offset 0x8077ec in the decompressed stream \(0x[0-9a-f]+ in the file\): lzop data ends early, in a block header: the file is truncated\$" \
		"$XSAVECTL" inspect e.lzo
	cp t8.lzo f.lzo && printf garbage >>f.lzo
	case_ "$L finds garbage after the end marker" 65 \
		"^xsavectl: inspect: 'f.lzo': offset 0x8077ec in the decompressed stream \(0x[0-9a-f]+ in the file\): lzop data ends, and data after the end of the lzop stream follows \(byte 0x67\)\$" \
		"$XSAVECTL" inspect f.lzo
	cp t8.lzo h.lzo && head -c 4096 /dev/zero >>h.lzo
	expect_out "$L finds zero padding after the end marker: decompressed whole, read" 0 \
		"^read_reason: *lzop: more follows its end marker \(0x[0-9a-f]+\): decompressed whole" \
		env -u XSAVECTL_VERIFY "$XSAVECTL" inspect h.lzo
else
	skip "lzop is not installed: no malformed lzop tail reads"
fi
if command -v xz >/dev/null 2>&1; then
	xz -T2 --block-size=1MiB -c <t8.bin >t8.xz
	size=$(stat -c %s t8.xz)
	bsz=$((($(le32 t8.xz $((size - 8))) + 1) * 4))	# the footer's backward size: the index's
	idx=$((size - 12 - bsz))
	X="xz stream (blocks and an index) whose tail read"
	XZ="offset 0x8077ec in the decompressed stream \(0x[0-9a-f]+ in the file\): xz data is corrupt: compressed data is corrupt \(LZMA_DATA_ERROR\)"
	expect_out "$X is whole: read from its tail" 0 "^read: *tail" \
		env -u XSAVECTL_VERIFY "$XSAVECTL" inspect t8.xz
	cp t8.xz a.xz && patch a.xz $((size - 2)) 5a5a
	case_ "$X finds no footer magic" 65 "^xsavectl: inspect: 'a.xz': $XZ\$" "$XSAVECTL" inspect a.xz
	cp t8.xz b.xz && patch b.xz $((size - 8)) 01000000 &&
		patch b.xz $((size - 12)) "$(tail -c 8 b.xz | head -c 6 | crc32)"
	case_ "$X finds a footer whose index size lies (its CRC32 redone)" 65 \
		"^xsavectl: inspect: 'b.xz': $XZ\$" "$XSAVECTL" inspect b.xz
	cp t8.xz c.xz && patch c.xz $((idx + bsz - 8)) ed &&
		patch c.xz $((idx + bsz - 4)) "$(head -c $((idx + bsz - 4)) c.xz | tail -c $((bsz - 4)) | crc32)"
	case_ "$X finds an index whose last block size lies (its CRC32 redone)" 65 \
		"^xsavectl: inspect: 'c.xz': $XZ\$" "$XSAVECTL" inspect c.xz
	cp t8.xz e.xz && patch e.xz $((idx + 1)) 0a &&
		patch e.xz $((idx + bsz - 4)) "$(head -c $((idx + bsz - 4)) e.xz | tail -c $((bsz - 4)) | crc32)"
	case_ "$X finds an index with one block more than the file (its CRC32 redone)" 65 \
		"^xsavectl: inspect: 'e.xz': $XZ\$" "$XSAVECTL" inspect e.xz
	cp t8.xz d.xz && patch d.xz $((idx - 8)) ffffffff
	case_ "$X finds the last block's CRC64 wrong" 65 "^xsavectl: inspect: 'd.xz': $XZ\$" \
		"$XSAVECTL" inspect d.xz
	cp t8.xz f.xz && head -c 4 /dev/zero >>f.xz
	expect_out "$X finds stream padding after the footer: decompressed whole, read" 0 \
		"^read_reason: *xz: the file does not end in a stream footer" \
		env -u XSAVECTL_VERIFY "$XSAVECTL" inspect f.xz
	cp t8.xz g.xz && patch g.xz $((idx - 4000)) ffffffff
	expect_out "$X does not reach a bad block before the tail: read, not checked" 0 \
		"^read: *tail" env -u XSAVECTL_VERIFY "$XSAVECTL" inspect g.xz
	case_ "$X: --verify decompresses every block and finds the bad one" 65 \
		"^xsavectl: inspect: 'g.xz': offset 0x[0-9a-f]+ in the decompressed stream \(0x[0-9a-f]+ in the file\): xz data is corrupt" \
		"$XSAVECTL" inspect --verify g.xz
else
	skip "xz is not installed: no malformed xz tail reads"
fi
# --- not XSAVE state: each recognition rule broken on the real KVM dump --------------
NX="not recognised as XSAVE state"
sweep "KVM dump cut between its area (832) and 4096" 65 "'cut.bin': offset 0x[0-9a-f]+: $NX: [0-9]+ bytes is no size .*11008, 12288\)" \
	img.bin 97 833 4096
cp img.bin padded.bin && head -c 16 /dev/zero >>padded.bin
case_ "KVM dump with 16 bytes of padding" 65 "'padded.bin': offset 0x1010: $NX: 4112 bytes is no size" \
	"$XSAVECTL" check --xcr0 0x7 padded.bin
cp img.bin ctl.bin && patch ctl.bin 0 0000 && patch ctl.bin 24 0000000000000000
case_ "FCW, MXCSR and MXCSR_MASK zeroed" 65 "'ctl.bin': offset 0x0: $NX: FCW, MXCSR and MXCSR_MASK" \
	"$XSAVECTL" check --xcr0 0x7 ctl.bin
cp img.bin mm.bin && patch mm.bin 28 40000000
case_ "MXCSR_MASK 0x40" 65 "'mm.bin': offset 0x1c: $NX: MXCSR_MASK 0x40" "$XSAVECTL" filter --xcr0 0x3 \
	-o out.bin mm.bin
cp img.bin lr.bin && patch lr.bin 440 01
case_ "reserved legacy byte 440" 65 "'lr.bin': offset 0x1b8: $NX: reserved legacy bytes" \
	"$XSAVECTL" inspect lr.bin
cp img.bin sw.bin && patch sw.bin 464 0600000000000000
case_ "bytes 464..511 neither zero, XCR0 nor signal frame" 65 "'sw.bin': offset 0x1d0: $NX: bytes 464..511" \
	"$XSAVECTL" diff sw.bin img.bin
cp img.bin sx.bin && patch sx.bin 468 01
case_ "XCR0 at 464 with bit 32" 65 "'sx.bin': offset 0x1d0: $NX: the XCR0 0x100000007" \
	"$XSAVECTL" extract -o out.bin sx.bin
cp img.bin sz.bin && patch sz.bin 500 01
case_ "XCR0, then a non-zero byte at 500" 65 "'sz.bin': offset 0x1f4: $NX: bytes 472..511" \
	"$XSAVECTL" inspect sz.bin
cp img.bin sf.bin && patch sf.bin 464 5358504600000000
case_ "signal-frame magic without its sizes" 65 "'sf.bin': offset 0x1e0: $NX: signal-frame xstate_size 0" \
	"$XSAVECTL" inspect sf.bin
cp img.bin bv.bin && patch bv.bin 517 01
case_ "XSTATE_BV bit 40" 65 "'bv.bin': offset 0x200: $NX: XSTATE_BV 0x10000000007" \
	"$XSAVECTL" inspect bv.bin
cp img.bin xb.bin && patch xb.bin 525 01
case_ "XCOMP_BV bit 40 in a standard image" 65 "'xb.bin': offset 0x208: $NX: XCOMP_BV 0x10000000000" \
	"$XSAVECTL" inspect xb.bin
expect "the same files with --raw: read" 0 "" "$XSAVECTL" inspect --raw padded.bin ctl.bin mm.bin \
	lr.bin sw.bin sz.bin && ok "--raw reads what the rules refuse (where the parser can)"
cp img.bin rh.bin && patch rh.bin 540 01
expect_out "reserved header byte 540: recognised, a check finding" 2 "reserved_header_bytes" \
	"$XSAVECTL" check --xcr0 0x7 rh.bin
head -c 4096 /dev/urandom >rnd.bin
case_ "4096 random bytes" 65 "'rnd.bin': offset 0x[0-9a-f]+: $NX" "$XSAVECTL" check --xcr0 0x7 rnd.bin
if command -v qemu-img >/dev/null; then
	qemu-img create -q -f qcow2 disk.qcow2 1G
	case_ "qemu-img create -f qcow2" 65 "'disk.qcow2': offset 0x1c: $NX: MXCSR_MASK 0x40" \
		"$XSAVECTL" check --xcr0 0x7 disk.qcow2
else
	skip "qemu-img is not installed: no real qcow2 (err-not-xsave-qcow2 has its header)"
fi
# A gzip'ed core is decompressed (into $TMPDIR) no further than its headers say it runs, and
# never beyond 4 GiB: one byte after its last segment is refused, and so is a segment that
# would take it past the limit (before anything more is decompressed).
{ cat core.elf && head -c 1 /dev/zero; } | gzip -c >tail.gz
case_ "gzip'ed core with a byte after its last segment" 65 \
	"^xsavectl: inspect: 'tail.gz': offset 0x$(printf %x "$(stat -c %s core.elf)") \(decompressed\): data after the end of the core \(its headers end it there\)\$" \
	"$XSAVECTL" inspect tail.gz
cp core.elf huge.elf && patch huge.elf 96 0000000001000000 && gzip -c huge.elf >huge.gz
case_ "gzip'ed core whose note segment would run to 4 GiB + 0x318" 65 \
	"^xsavectl: inspect: 'huge.gz': offset 0x40: the core's headers make it 0x100000318 bytes decompressed, over the limit of 4 GiB for a gzip'ed core \(decompress it first\)\$" \
	"$XSAVECTL" inspect huge.gz
head -c 2000000 /dev/zero >big.bin
case_ "image over the size limit: no XSAVE state" 65 "'big.bin': offset 0x100000: not XSAVE state in any form .* larger than any XSAVE image" "$XSAVECTL" inspect big.bin
printf '{"profile_version": 1, "target": {"mask": "0x7"}' >pj.json
case_ "profile that is not JSON" 65 "!'pj.json'" "$XSAVECTL" check --target pj.json img.bin
# Every input the fuzzers (or earlier mutation runs) ever broke us with, through the CLI.
bad=0 count=0
for f in "$regress"/*/*; do
	[ -f "$f" ] || continue
	case $f in *.md) continue ;; esac
	count=$((count + 1))
	"$XSAVECTL" inspect -r "$f" >/dev/null 2>err.txt
	rc=$?
	case $rc in 0 | 1 | 2 | 65) ;; *) bad=1; echo "# $f: exit $rc" ;; esac
	[ "$(wc -l <err.txt)" -le 1 ] || { bad=1; echo "# $f: more than one line on stderr"; }
done
check "fuzz regression inputs ($count): no crash, at most one line each" '[ $bad = 0 ] && [ $count -gt 0 ]'
tap_done
