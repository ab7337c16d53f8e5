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
# QEMU 11.1's CET subsections (synthetic, mkstream): cut inside them, a child alone, a short one.
"$MKSTREAM" --vcpus 2 --subs pl0_ssp,cet,shstk,apx --xcr0 0x80007 --bv 0x80007 --no-vmdesc cet.bin
cet_at=$(grep -abo 'cpu/msr_pl0_ssp' cet.bin | head -n 1 | cut -d: -f1)
sweep "CET stream truncated in its cpu/msr_pl0_ssp, cpu/cet, cpu/cet_shstk" 65 "'cut.bin'" \
	cet.bin 3 $((cet_at - 2)) $((cet_at + 130))
for v in "" --no-vmdesc; do
	"$MKSTREAM" --subs shstk-orphan $v or.bin
	case_ "cpu/cet_shstk outside cpu/cet${v:+ ($v)}" 65 \
		"^xsavectl: inspect: 'or.bin': offset 0x[0-9a-f]+: cpu subsection 'cpu/cet_shstk' outside the subsection it belongs to" \
		"$XSAVECTL" inspect or.bin
	"$MKSTREAM" --subs cet-short,apx --xcr0 0x80007 --bv 0x80007 $v cs.bin
	case_ "cpu/cet of 8 bytes (16 in QEMU 11.1)${v:+ ($v)}" 65 "'cs.bin': offset 0x" \
		"$XSAVECTL" inspect cs.bin
done
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
# Garbage after the last gzip member of an image and of a core (read whole, or decompressed
# into a temporary file): refused like a stream's, at the end of the decompressed data.
gzip -c img.bin >ig.gz && printf garbage >>ig.gz
case_ "gzip'ed image followed by garbage" 65 \
	"^xsavectl: inspect: 'ig.gz': offset 0x1000 in the decompressed stream \(0x[0-9a-f]+ in the file\): gzip data ends, and data after the end of the gzip stream follows \(byte 0x67\)\$" \
	"$XSAVECTL" inspect ig.gz
gzip -c core.elf >cg.gz && printf garbage >>cg.gz
case_ "gzip'ed core followed by garbage" 65 \
	"^xsavectl: inspect: 'cg.gz': offset 0x$(printf %x "$(stat -c %s core.elf)") in the decompressed stream \(0x[0-9a-f]+ in the file\): gzip data ends, and data after the end of the gzip stream follows \(byte 0x67\)\$" \
	"$XSAVECTL" inspect cg.gz
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
	if [ $c = lzop ]; then
		# lzop's header (lzop 1.04, no name, no filter) is 38 bytes; the first block's
		# uncompressed size follows: one byte over the format's 64 MiB is refused by name.
		cp lv.lzop bl.lzop && patch bl.lzop $((lvstart + 38)) 04000001
		case_ "libvirt lzop image with a block of 64 MiB + 1" 65 \
			"^xsavectl: inspect: 'bl.lzop': offset 0x0 in the decompressed stream \(0x[0-9a-f]+ in the file\): lzop data has an lzop block of 67108865 bytes \(the limit is 67108864\)\$" \
			"$XSAVECTL" inspect bl.lzop
	fi
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
# --- tail reads (lzop, xz in blocks, gzip): every header, index or trailer that lies -----
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
# gzip: inflated twice from a deflate block boundary about 1 MiB before the end (pages of
# random nibbles, which compress about 2:1: 4.6 MiB), the trailer at the end, ISIZE placing
# the tail (the bytes before the boundary cannot reach 4 GiB).
"$MKSTREAM" --vcpus 2 --ram-mib 8 --pages 2048 --page-data nibbles g8.bin && gzip -c <g8.bin >g8.gz
size=$(stat -c %s g8.gz)
G="gzip stream whose tail read"
GZ="offset 0x8077ec in the decompressed stream \(0x[0-9a-f]+ in the file\): gzip data"
expect_out "$G is whole: read from its tail" 0 "^read: *tail" \
	env -u XSAVECTL_VERIFY "$XSAVECTL" inspect g8.gz
cp g8.gz a.gz && patch a.gz $((size - 4)) 00000000
case_ "$G finds ISIZE smaller than what it inflated" 65 \
	"^xsavectl: inspect: 'a.gz': $GZ is corrupt: incorrect length check\$" "$XSAVECTL" inspect a.gz
cp g8.gz b.gz && patch b.gz $((size - 1)) 01
expect_out "$G finds ISIZE off by 16 MiB, within what can come before: placed by it, read" 0 \
	"^stream_end: *0x18077ec\$" env -u XSAVECTL_VERIFY "$XSAVECTL" inspect b.gz
case_ "$G: --verify checks ISIZE" 65 "^xsavectl: inspect: 'b.gz': $GZ is corrupt: incorrect length check\$" \
	"$XSAVECTL" inspect --verify b.gz
cp g8.gz c.gz && printf garbage >>c.gz
case_ "$G finds garbage after the trailer" 65 \
	"^xsavectl: inspect: 'c.gz': $GZ ends, and data after the end of the gzip stream follows \(byte 0x67\)\$" \
	"$XSAVECTL" inspect c.gz
head -c $((size - 3)) g8.gz >d.gz
case_ "$G finds the trailer cut short" 65 \
	"^xsavectl: inspect: 'd.gz': $GZ ends early: the file is truncated\$" "$XSAVECTL" inspect d.gz
cp g8.gz e.gz && patch e.gz $((size - 300)) ffffffffffffffffffffffffffffffff
case_ "$G finds the last block's data corrupt (its header whole)" 65 \
	"^xsavectl: inspect: 'e.gz': offset 0x[0-9a-f]+ in the decompressed stream \(0x[0-9a-f]+ in the file\): gzip data is corrupt: " \
	"$XSAVECTL" inspect e.gz
cp g8.gz f.gz && head -c 4096 /dev/zero >>f.gz
expect_out "$G finds zero padding after the trailer: read from its tail" 0 "^read: *tail" \
	env -u XSAVECTL_VERIFY "$XSAVECTL" inspect f.gz
# The block about 1 MiB before the end (where the search starts) has a header that
# decodes, then data that does not: a later boundary is found, the bad block not read.
cp g8.gz h.gz && patch h.gz $((size - 1000000)) ffffffff
expect_out "$G starts at a header that validates, data that does not: a later block, read" 0 \
	"^read: *tail" env -u XSAVECTL_VERIFY "$XSAVECTL" inspect h.gz
case_ "$G: --verify inflates every block and finds the bad one" 65 \
	"^xsavectl: inspect: 'h.gz': offset 0x[0-9a-f]+ in the decompressed stream \(0x[0-9a-f]+ in the file\): gzip data is corrupt: invalid block type\$" \
	"$XSAVECTL" inspect --verify h.gz

if command -v bzip2 >/dev/null 2>&1; then
	# bzip2 at level 1 (100 kB blocks): the tail is the last blocks, found from the end marker
	# back by their 48-bit magic at any bit offset.  bzflip FILE eos|block K: flip the bit K bits
	# after the last end-of-stream (0x177245385090) or block (0x314159265359) magic.
	bzflip() {
		perl -e 'my ($f, $w, $k) = @ARGV; open(my $h, "+<", $f) or die; binmode $h;
			local $/; my $b = unpack("B*", <$h>);
			my $m = unpack("B*", pack("H*", $w eq "eos" ? "177245385090" : "314159265359"));
			my $p = rindex($b, $m); die "no magic" if $p < 0;
			if ($k eq "fake") { substr($b, $p + 4096, 48) = $m; }
			else { substr($b, $p + $k, 1) = substr($b, $p + $k, 1) eq "1" ? "0" : "1"; }
			seek($h, 0, 0); print $h pack("B*", $b); close($h);' "$@"
	}
	bzip2 -1 -c <t8.bin >t8.bz2
	B="bzip2 stream whose tail read"
	BZ="offset 0x[0-9a-f]+ in the decompressed stream \(0x[0-9a-f]+ in the file\): bzip2 data"
	expect_out "$B is whole: read from its tail" 0 "^read: *tail" \
		env -u XSAVECTL_VERIFY "$XSAVECTL" inspect t8.bz2
	cp t8.bz2 a.bz2 && bzflip a.bz2 eos 60
	expect_out "$B cannot check the combined CRC (one stream, the tail short of its header)" 0 \
		"^read_reason: *bzip2: last [0-9]+ blocks decompressed .*not the combined CRC" \
		env -u XSAVECTL_VERIFY "$XSAVECTL" inspect a.bz2
	case_ "$B: --verify finds the combined CRC wrong" 65 \
		"^xsavectl: inspect: 'a.bz2': $BZ is corrupt: data integrity error \(BZ_DATA_ERROR\)\$" \
		"$XSAVECTL" inspect --verify a.bz2
	# Two streams, the second short (200 kB): the tail crosses its header, so its combined CRC
	# is checked against its blocks'.
	{ head -c 8200000 t8.bin | bzip2 -1; tail -c +8200001 t8.bin | bzip2 -1; } >two.bz2
	expect_out "$B crosses into an earlier stream: read from its tail" 0 \
		"^read_reason: *bzip2: last [0-9]+ blocks, in 2 streams" \
		env -u XSAVECTL_VERIFY "$XSAVECTL" inspect two.bz2
	cp two.bz2 b.bz2 && bzflip b.bz2 eos 60
	case_ "$B finds the last stream's combined CRC wrong: the full decode names it" 65 \
		"^xsavectl: inspect: 'b.bz2': $BZ is corrupt: data integrity error \(BZ_DATA_ERROR\)\$" \
		env -u XSAVECTL_VERIFY "$XSAVECTL" inspect b.bz2
	cp t8.bz2 c.bz2 && bzflip c.bz2 block 60
	case_ "$B finds the last block's CRC wrong" 65 \
		"^xsavectl: inspect: 'c.bz2': $BZ is corrupt: data integrity error \(BZ_DATA_ERROR\)\$" \
		env -u XSAVECTL_VERIFY "$XSAVECTL" inspect c.bz2
	cp t8.bz2 d.bz2 && bzflip d.bz2 block fake
	case_ "$B finds a false block magic inside the last block (neither it nor the block decodes)" 65 \
		"^xsavectl: inspect: 'd.bz2': $BZ is corrupt: data integrity error \(BZ_DATA_ERROR\)\$" \
		env -u XSAVECTL_VERIFY "$XSAVECTL" inspect d.bz2
	head -c $(($(stat -c %s t8.bz2) - 6)) t8.bz2 >e.bz2
	case_ "$B finds its end marker cut short" 65 \
		"^xsavectl: inspect: 'e.bz2': $BZ ends early" env -u XSAVECTL_VERIFY "$XSAVECTL" inspect e.bz2
	cp t8.bz2 f.bz2 && head -c 4096 /dev/zero >>f.bz2
	expect_out "$B finds zero padding after the end marker: read from its tail" 0 "^read: *tail" \
		env -u XSAVECTL_VERIFY "$XSAVECTL" inspect f.bz2
	if command -v pbzip2 >/dev/null 2>&1; then
		pbzip2 -1 -c <t8.bin >p.bz2
		expect_out "$B: pbzip2's streams of 900 kB read from the tail" 0 \
			"^read_reason: *bzip2: last [0-9]+ blocks, in 2 streams" \
			env -u XSAVECTL_VERIFY "$XSAVECTL" inspect p.bz2
	else
		skip "pbzip2 is not installed: its bzip2 streams not read"
	fi
else
	skip "bzip2 is not installed: no malformed bzip2 tail reads"
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
# CET is supervisor state that KVM and QEMU carry as MSRs: a KVM dump never sets its bits.
cp img.bin cu.bin && patch cu.bin 513 08
case_ "KVM dump with CET_U (bit 11) in XSTATE_BV" 65 \
	"^xsavectl: inspect: 'cu.bin': offset 0x200: malformed XSAVE state: XSTATE_BV 0x807 sets supervisor bits \(cet_u\) in a standard-format area" \
	"$XSAVECTL" inspect cu.bin
cp img.bin cs.bin && patch cs.bin 513 10
case_ "KVM dump with CET_S (bit 12) in XSTATE_BV" 65 \
	"^xsavectl: check: 'cs.bin': offset 0x200: malformed XSAVE state: XSTATE_BV 0x1007 sets supervisor bits \(cet_s\)" \
	"$XSAVECTL" check --xcr0 0x7 cs.bin
expect "the same files with --raw: read" 0 "" "$XSAVECTL" inspect --raw padded.bin ctl.bin mm.bin \
	lr.bin sw.bin sz.bin && ok "--raw reads what the rules refuse (where the parser can)"
cp img.bin rh.bin && patch rh.bin 540 01
expect_out "reserved header byte 540: recognised, a check finding" 2 "reserved_header_bytes" \
	"$XSAVECTL" check --xcr0 0x7 rh.bin
head -c 4096 /dev/urandom >rnd.bin
case_ "4096 random bytes" 65 "'rnd.bin': offset 0x[0-9a-f]+: $NX" "$XSAVECTL" check --xcr0 0x7 rnd.bin
if command -v qemu-img >/dev/null; then
	qemu-img create -q -f qcow2 disk.qcow2 1G
	case_ "qemu-img create -f qcow2: no snapshots" 65 "'disk.qcow2': offset 0x3c: a qcow2 disk image without internal snapshots: it holds no VM state$" \
		"$XSAVECTL" check --xcr0 0x7 disk.qcow2
else
	skip "qemu-img is not installed: no real qcow2 (err-not-xsave-qcow2 has its header)"
fi
# qcow2 images with internal snapshots (tests/data/qcow2, QEMU 7.2's savevm): every field the
# reader takes, broken one at a time, and the file cut inside each structure.  The layout of
# qemu-7.2-savevm.qcow2: refcount table 0x10000, its block 0x20000, s1's L2 table 0x30000
# (entry 8 at 0x30040 maps the cluster 0xd0000 with s1's cpu sections), s1's L1 table
# 0x100000, the snapshot table 0x210000 (s1's entry; its vm_state_size_large at 0x210028).
gzip -dc "$DATA/qcow2/qemu-7.2-savevm.qcow2.gz" >q.qcow2
gzip -dc "$DATA/qcow2/qemu-7.2-savevm-extl2-rc4.qcow2.gz" >qx.qcow2
# qcase LABEL FILE OFFSET HEX REGEX: FILE's copy with HEX at OFFSET must fail with REGEX.
qcase() {
	cp "$2" qb.qcow2 && patch qb.qcow2 "$(($3))" "$4"
	case_ "qcow2: $1" 65 "^xsavectl: inspect: 'qb.qcow2': $5\$" "$XSAVECTL" inspect qb.qcow2
}
head -c 50 q.qcow2 >qb.qcow2
case_ "qcow2: header cut short" 65 "^xsavectl: inspect: 'qb.qcow2': offset 0x32: qcow2 header cut short: the file ends after 50 bytes \(a header has 72 at least\)\$" \
	"$XSAVECTL" inspect qb.qcow2
head -c 90 q.qcow2 >qb.qcow2
case_ "qcow2: version 3 header cut short" 65 "^xsavectl: inspect: 'qb.qcow2': offset 0x5a: qcow2 version 3 header cut short: 90 of its 104 bytes\$" \
	"$XSAVECTL" inspect qb.qcow2
qcase "version 4" q.qcow2 4 00000004 "offset 0x4: qcow2 version 4 \(known: 2 and 3\)"
qcase "cluster_bits 8" q.qcow2 20 00000008 "offset 0x14: cluster_bits 8 out of range \(9 to 21\)"
qcase "cluster_bits 22" q.qcow2 20 00000016 "offset 0x14: cluster_bits 22 out of range \(9 to 21\)"
qcase "encrypted" q.qcow2 32 00000001 "offset 0x20: an encrypted qcow2 image \(crypt_method 1\): its VM state cannot be read"
qcase "unknown incompatible feature" q.qcow2 72 0000000000000020 "offset 0x48: unknown incompatible features 0x20"
qcase "marked corrupt" q.qcow2 72 0000000000000002 "offset 0x48: the image is marked corrupt \(incompatible feature bit 1\): repair it with qemu-img check -r"
qcase "external data file" q.qcow2 72 0000000000000004 "offset 0x48: the image keeps its data in an external data file \(incompatible feature bit 2\): not read"
qcase "refcount_order 7" q.qcow2 96 00000007 "offset 0x60: refcount_order 7 out of range \(0 to 6\)"
qcase "header_length 100" q.qcow2 100 00000064 "offset 0x64: header_length 100 out of range \(104 to the cluster size 0x10000\)"
qcase "compression type 2" q.qcow2 104 02 "offset 0x68: compression type 2 \(known: 0 deflate, 1 zstd\)"
qcase "extended L2 with 8 KiB clusters" qx.qcow2 20 0000000d "offset 0x14: extended L2 entries with cluster_bits 13 \(they need 14 at least\)"
qcase "refcount table offset not aligned" q.qcow2 48 0000000000010200 "offset 0x30: refcount table offset 0x10200 is not aligned to a cluster"
qcase "refcount table of no cluster" q.qcow2 56 00000000 "offset 0x38: refcount table of 0x0 bytes \(1 cluster to 0x800000 bytes\)"
qcase "refcount table past the end" q.qcow2 48 0000000000210000 "offset 0x210000: the refcount table \(0x10000 bytes\) runs past the end of the file \(0x2100d6 bytes\)"
qcase "refcount table entry outside the file" q.qcow2 0x10000 0000000000ff0000 "offset 0x10000: refcount table entry 0 \(0xff0000\) is no cluster of the file"
qcase "70000 snapshots" q.qcow2 60 00011170 "offset 0x3c: 70000 snapshots \(at most 65536\)"
qcase "snapshot table offset not aligned" q.qcow2 64 0000000000210008 "offset 0x40: snapshot table offset 0x210008 is no cluster of the file \(0x2100d6 bytes\)"
qcase "snapshot table offset past the end" q.qcow2 64 0000000000300000 "offset 0x40: snapshot table offset 0x300000 is no cluster of the file \(0x2100d6 bytes\)"
qcase "snapshot extra data of 2000 bytes" q.qcow2 0x210024 000007d0 "offset 0x210024: snapshot table entry 0: extra data of 2000 bytes \(at most 1024\)"
qcase "snapshot id of 200 bytes" q.qcow2 0x21000c 00c8 "offset 0x21000c: snapshot table entry 0: an id of 200 bytes \(at most 127\)"
qcase "snapshot name past the end" q.qcow2 0x21000e ffff "offset 0x210041: snapshot table entry 0 \(0xffff bytes\) runs past the end of the file \(0x2100d6 bytes\)"
qcase "snapshot L1 table past the end" q.qcow2 0x210000 0000000000300000 "offset 0x210000: snapshot 's1': L1 table at 0x300000 \(2 entries\) is not inside the file \(0x2100d6 bytes\) at a cluster boundary"
qcase "snapshot L1 table not aligned" q.qcow2 0x210000 0000000000100008 "offset 0x210000: snapshot 's1': L1 table at 0x100008 \(2 entries\) is not inside the file \(0x2100d6 bytes\) at a cluster boundary"
qcase "snapshot L1 table of 2^24 entries" q.qcow2 0x210008 01000000 "offset 0x210008: snapshot 's1': L1 table of 16777216 entries \(at most 4194304\)"
qcase "L1 entry naming an L2 table past the end" q.qcow2 0x100008 8000000000ff0000 "offset 0x100008: snapshot 's1': L1 entry 1 \(0x8000000000ff0000\) names no L2 table inside the file"
qcase "L1 entry with reserved bits" q.qcow2 0x100008 8000000000030001 "offset 0x100008: snapshot 's1': L1 entry 1 \(0x8000000000030001\) names no L2 table inside the file"
qcase "vm_state_size beyond the L1 map (its L1 table cut to 1 entry)" q.qcow2 0x210008 00000001 "offset 0x210028: snapshot 's1': vm state of 0xac230 bytes at guest offset 0x20000000 runs past what its L1 table maps \(1 entries: 0x20000000 bytes\)"
qcase "vm_state_size more than the file holds" q.qcow2 0x210028 0000000020000000 "offset 0x210028: snapshot 's1': vm state of 0x20000000 bytes, more than the file holds \(0x2100d6 bytes\)"
qcase "vm_state_size within the file, its end unallocated" q.qcow2 0x210028 0000000000200000 "offset 0x300f8: snapshot 's1': byte 0x1f0000 of its vm state lies in no allocated cluster"
qcase "disk size beyond what an L1 table maps" q.qcow2 0x210030 7fffffffffffffff "offset 0x210000: snapshot 's1': disk size 0x7fffffffffffffff beyond what an L1 table maps"
qcase "L2 entry naming a cluster past the end" q.qcow2 0x30040 0000000000ff0000 "offset 0x30040: L2 entry 0x0000000000ff0000 names no cluster inside the file"
qcase "L2 entry with reserved bits" q.qcow2 0x30040 00000000000d0002 "offset 0x30040: L2 entry 0x00000000000d0002 names no cluster inside the file"
qcase "vm state cluster not allocated" q.qcow2 0x30040 0000000000000000 "offset 0x30040: snapshot 's1': byte 0x80000 of its vm state lies in no allocated cluster"
qcase "compressed cluster past the end" q.qcow2 0x30040 4000000000ff0000 "offset 0x30040: compressed cluster at 0xff0000 lies past the end of the file \(0x2100d6 bytes\)"
qcase "compressed cluster that lies (not deflate)" q.qcow2 0x30040 40800000000d0000 "offset 0x30040: the compressed cluster at 0xd0000 \(0x600 bytes\) does not decompress to a cluster \(deflate\)"
qcase "subcluster both allocated and zero" qx.qcow2 0x30088 ffffffffffffffff "offset 0x30088: extended L2 entry: subcluster 0 both allocated and zero \(bitmap 0xffffffffffffffff\)"
qcase "subcluster allocated in no cluster" qx.qcow2 0x30080 0000000000000000 "offset 0x30080: extended L2 entry: subcluster 0 allocated in no host cluster"
qcase "vm state cut to 0x1000 bytes" q.qcow2 0x210028 0000000000001000 "offset 0x51000 \(vm state 0x1000 of snapshot 1\): stream ends inside a RAM record \(offset 0xc9\)"
qcase "vm state that is no stream (its magic zeroed)" q.qcow2 0x50000 00000000 "offset 0x50000 \(vm state 0x0 of snapshot 1\): not a QEMU migration stream \(magic 0x00000000, expected \"QEVM\"\)"
# A zstd image (compression type 1, incompatible bit 3): s1's cpu cluster as one zstd frame
# written streaming (no content size, as QEMU writes it), then its sector padded: read
# exactly; a frame that is not zstd: refused with the entry's offset.
if command -v zstd >/dev/null 2>&1; then
	cp q.qcow2 qz.qcow2
	patch qz.qcow2 72 0000000000000008 && patch qz.qcow2 100 00000070 && patch qz.qcow2 104 01
	dd if=q.qcow2 bs=65536 skip=13 count=1 2>/dev/null | zstd -q -c >cl.zst
	end=$(( ($(stat -c %s qz.qcow2) + 511) / 512 * 512 ))
	truncate -s $end qz.qcow2 && cat cl.zst >>qz.qcow2
	truncate -s $(( ($(stat -c %s qz.qcow2) + 511) / 512 * 512 )) qz.qcow2
	sectors=$(( ($(stat -c %s cl.zst) + 511) / 512 ))
	patch qz.qcow2 $((0x30040)) "$(printf %016x $(( (1 << 62) | ((sectors - 1) << 54) | end )))"
	"$XSAVECTL" inspect -r --snapshot s1 q.qcow2 | sed -n '/^  registers:/,/^states/p' >rq.txt
	"$XSAVECTL" inspect -r --snapshot s1 qz.qcow2 | sed -n '/^  registers:/,/^states/p' >rz.txt
	check "qcow2: a zstd-compressed vm state cluster reads as the plain one" \
		'[ -s rz.txt ] && cmp -s rq.txt rz.txt && "$XSAVECTL" inspect qz.qcow2 | grep -q "compression_type: *zstd"'
	cp qz.qcow2 qb.qcow2 && patch qb.qcow2 $((end)) 00000000
	case_ "qcow2: a zstd cluster that is no zstd frame" 65 "^xsavectl: inspect: 'qb.qcow2': offset 0x30040: the compressed cluster at 0x$(printf %x $end) \\(0x$(printf %x $((sectors * 512)))" \
		"$XSAVECTL" inspect qb.qcow2
else
	skip "zstd is not installed: no zstd-compressed qcow2 cluster"
fi
for cut in 0x10008 0x20010 0x30010 0x100004 0xde000 0x210010 0x210050; do
	head -c $(($cut)) q.qcow2 >qb.qcow2
	"$XSAVECTL" inspect qb.qcow2 >out.txt 2>err.txt
	rc=$?
	check "qcow2 cut at $cut: exit 65, one line with an offset" \
		'[ $rc = 65 ] && [ "$(wc -l <err.txt)" = 1 ] && grep -q "offset 0x" err.txt && [ ! -s out.txt ]'
done
head -c $((0x210010)) q.qcow2 >qb.qcow2
case_ "qcow2: cut in the snapshot table" 65 "^xsavectl: inspect: 'qb.qcow2': offset 0x210000: snapshot table entry 0 \(0x28 bytes\) runs past the end of the file \(0x210010 bytes\)\$" \
	"$XSAVECTL" inspect qb.qcow2
# filter refuses to rewrite what is not the snapshot's own plain cluster.
cp q.qcow2 qb.qcow2 && patch qb.qcow2 $((0x2001a)) 0002
case_ "qcow2: filter --in-place on a shared cluster" 65 "^xsavectl: filter: 'qb.qcow2': offset 0xdebf4: snapshot 's1': the cluster holding vm state 0x8ebf4 has refcount 2 \(shared with the image or another snapshot\): not rewritten\$" \
	sh -c '"$0" filter --brief --xcr0 0x7 --in-place qb.qcow2 >/dev/null' "$XSAVECTL"
check "qcow2: the refused file is unchanged" 'cmp -s qb.qcow2 q.qcow2 || { patch qb.qcow2 $((0x2001a)) 0001; cmp -s qb.qcow2 q.qcow2; }'
cp q.qcow2 qb.qcow2 && patch qb.qcow2 $((0x2001a)) 0000
case_ "qcow2: filter on a cluster whose refcount is 0" 65 "^xsavectl: filter: 'qb.qcow2': offset 0xdebf4: snapshot 's1': the cluster holding vm state 0x8ebf4 has refcount 0 \(no cluster in use: the refcounts disagree\): not rewritten\$" \
	sh -c '"$0" filter --brief --xcr0 0x7 -o qo.qcow2 qb.qcow2 >/dev/null' "$XSAVECTL"
check "qcow2: no output file after the refusal" '[ ! -e qo.qcow2 ]'
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
# --- CRIU checkpoints: core images built here (protobuf in hex) and the real ones ---------
# vint N: varint N in hex; pbv FIELD N: a varint field; pbl FIELD HEX: a length-delimited one
vint() {
	v=$1 h=
	while [ "$v" -ge 128 ]; do h="$h$(printf %02x $(((v & 127) | 128)))"; v=$((v >> 7)); done
	echo "$h$(printf %02x "$v")"
}
pbv() { echo "$(vint $(($1 << 3)))$(vint "$2")"; }
pbl() { echo "$(vint $((($1 << 3) | 2)))$(vint $((${#2} / 2)))$2"; }
rep() { r= i=0; while [ $i -lt "$2" ]; do r="$r$1" i=$((i + 1)); done; echo "$r"; }
# core_img FILE HEX: IMG_COMMON_MAGIC, CORE_MAGIC, the entry's length and HEX
core_img() {
	ci_len=$((${#2} / 2))	# (not n: tap.sh's count)
	: >"$1"
	patch "$1" 0 "1943565447380555$(printf %02x%02x%02x%02x $((ci_len & 255)) \
		$((ci_len >> 8 & 255)) $((ci_len >> 16 & 255)) $((ci_len >> 24)))$2"
}
FP="$(pbv 1 895)$(pbv 2 0)$(pbv 3 0)$(pbv 4 0)$(pbv 5 0)$(pbv 6 0)$(pbv 7 8064)$(pbv 8 65535)"
FP="$FP$(rep "$(pbv 9 0)" 32)$(rep "$(pbv 10 0)" 64)"
YMM=$(rep "$(pbv 2 0)" 64)
# core { mtype 1, thread_info { fpregs { FP, xsave { XSAVE } } } }: the entry at 0xc
core_of() { echo "$(pbv 1 1)$(pbl 2 "$(pbl 3 "$1")")"; }
core_img good.img "$(core_of "$FP$(pbl 13 "$(pbv 1 7)$YMM")")"
expect_out "CRIU core image built here: read" 0 "xstate_bv: *0x7 " "$XSAVECTL" inspect good.img
cp "$DATA/criu-4.1-avx512/core-30825.img" core.img
size=$(stat -c %s core.img)
sweep "CRIU core image cut short" 65 "'cut.img': offset 0x[0-9a-f]+: (file ends after|no entry after|entry of [0-9]+ bytes runs past the end of the image)" \
	core.img 97 4 "$size"
cp core.img magic.img && patch magic.img 4 13404061
case_ "CRIU image magic of cpuinfo.img in a core's place" 65 \
	"^xsavectl: inspect: 'magic.img': offset 0x4: cpuinfo.img \(magic 0x61404013\), not a core image \(0x55053847\)\$" \
	"$XSAVECTL" inspect magic.img
cp core.img tail.img && head -c 1 /dev/zero >>tail.img
case_ "CRIU core image with a byte after its entry" 65 \
	"'tail.img': offset 0x$(printf %x "$size"): 1 bytes after the image's one entry\$" \
	"$XSAVECTL" inspect tail.img
core_img vo.img "08$(rep ff 9)7f"
case_ "CRIU entry: a varint of 11 bytes" 65 "'vo.img': offset 0xd: varint overflows 64 bits\$" \
	"$XSAVECTL" inspect vo.img
core_img v10.img "08$(rep ff 9)02"
case_ "CRIU entry: a 10-byte varint over 64 bits" 65 "'v10.img': offset 0xd: varint overflows 64 bits\$" \
	"$XSAVECTL" inspect v10.img
core_img vc.img "0880"
case_ "CRIU entry: a varint cut by the entry's end" 65 \
	"'vc.img': offset 0xd: varint cut short by the end of its message\$" "$XSAVECTL" inspect vc.img
core_img fl.img "$(pbv 1 1)127f0000"
case_ "CRIU entry: a field's length beyond the entry" 65 \
	"'fl.img': offset 0xf: field 2: length 127 runs past the end of its message \(2 bytes left\)\$" \
	"$XSAVECTL" inspect fl.img
core_img fi.img "$(pbv 1 1)$(pbl 2 "1a7f00")"
case_ "CRIU entry: a nested field's length beyond its message" 65 \
	"'fi.img': offset 0x11: field 3: length 127 runs past the end of its message \(1 bytes left\)\$" \
	"$XSAVECTL" inspect fi.img
core_img gr.img "0b"
case_ "CRIU entry: a group (wire type 3)" 65 \
	"'gr.img': offset 0xc: field 1: wire type 3 is not one a message of this schema uses\$" \
	"$XSAVECTL" inspect gr.img
core_img f0.img "0001"
case_ "CRIU entry: field number 0" 65 "'f0.img': offset 0xc: field number 0 \(a key of 0x0\) is out of range\$" \
	"$XSAVECTL" inspect f0.img
core_img f64.img "$(pbl 1 00)"
case_ "CRIU entry: mtype with the wrong wire type" 65 "'f64.img': offset 0xc: mtype \(field 1\) has wire type 2, not 0\$" \
	"$XSAVECTL" inspect f64.img
core_img arm.img "$(pbv 1 3)"
case_ "CRIU entry: an AArch64 thread" 65 "'arm.img': offset 0xc: the core of a non-x86 thread \(mtype 3\)\$" \
	"$XSAVECTL" inspect arm.img
core_img noti.img "$(pbv 1 1)"
case_ "CRIU entry without thread_info" 65 "'noti.img': offset 0xc: core entry has no thread_info" \
	"$XSAVECTL" inspect noti.img
core_img nofp.img "$(pbv 1 1)$(pbl 2 "$(pbv 1 0)")"
case_ "CRIU thread with no fpregs" 65 \
	"^xsavectl: inspect: 'nofp.img': offset 0xe: thread_info has no fpregs: the thread's FPU state is not in the image\$" \
	"$XSAVECTL" inspect nofp.img
core_img fp2.img "$(pbv 1 1)$(pbl 2 "$(pbl 3 "$FP")$(pbl 3 "$FP")")"
case_ "CRIU thread_info with fpregs twice" 65 "'fp2.img': offset 0xe8: thread_info.fpregs appears twice \(first at 0x11\)\$" \
	"$XSAVECTL" inspect fp2.img
core_img nocwd.img "$(core_of "${FP#"$(pbv 1 895)"}")"
case_ "CRIU fpregs without cwd" 65 "'nocwd.img': offset 0x11: fpregs has no cwd \(field 1, required\)\$" \
	"$XSAVECTL" inspect nocwd.img
core_img cwd.img "$(core_of "$(pbv 1 65536)${FP#"$(pbv 1 895)"}")"
case_ "CRIU fpregs.cwd over 16 bits" 65 "'cwd.img': offset 0x14: fpregs.cwd 0x10000 does not fit its 16 bits\$" \
	"$XSAVECTL" inspect cwd.img
core_img st.img "$(core_of "${FP%"$(rep "$(pbv 10 0)" 64)"}$(rep "$(pbv 10 0)" 63)")"
case_ "CRIU xmm_space of 63 elements" 65 "'st.img': offset 0x68: xmm_space has 63 elements; it holds 64 \(256 bytes\)\$" \
	"$XSAVECTL" inspect st.img
core_img st33.img "$(core_of "$FP$(pbv 9 0)")"
case_ "CRIU st_space of 33 elements" 65 "'st33.img': offset 0xe8: st_space has more than the 32 elements of 4 bytes it holds\$" \
	"$XSAVECTL" inspect st33.img
core_img big32.img "$(core_of "$FP$(pbl 13 "$(pbv 1 7)$(pbv 2 4294967296)$(rep "$(pbv 2 0)" 63)")")"
case_ "CRIU ymmh_space element over 32 bits" 65 "'big32.img': offset 0xed: ymmh_space: element 0 \(0x100000000\) does not fit its 32 bits\$" \
	"$XSAVECTL" inspect big32.img
core_img ymm63.img "$(core_of "$FP$(pbl 13 "$(pbv 1 7)$(rep "$(pbv 2 0)" 63)")")"
case_ "CRIU ymmh_space of 63 elements" 65 "'ymm63.img': offset 0xed: ymmh_space has 63 elements; it holds 64 \(256 bytes\)\$" \
	"$XSAVECTL" inspect ymm63.img
core_img zmm.img "$(core_of "$FP$(pbl 13 "$(pbv 1 71)$YMM$(rep "$(pbv 6 0)" 65)")")"
case_ "CRIU zmm_upper of 65 elements" 65 "'zmm.img': offset 0x1ed: zmm_upper has more than the 64 elements of 8 bytes it holds\$" \
	"$XSAVECTL" inspect zmm.img
core_img packed.img "$(core_of "$FP$(pbl 13 "$(pbv 1 7)$(pbl 2 "$(rep 00 64)")")")"
expect_out "CRIU ymmh_space packed (wire type 2): read" 0 "xstate_bv: *0x7 " "$XSAVECTL" inspect packed.img
core_img noarr.img "$(core_of "$FP$(pbl 13 "$(pbv 1 39)$YMM")")"
case_ "CRIU xstate_bv with opmask and no opmask_reg" 65 \
	"'noarr.img': offset 0xe8: xstate_bv 0x27 has opmask, which the entry holds no array of\$" \
	"$XSAVECTL" inspect noarr.img
core_img bv2.img "$(core_of "$FP$(pbl 13 "$(pbv 1 7)$YMM$(pbv 1 231)")")"
case_ "CRIU xsave with xstate_bv twice" 65 "'bv2.img': offset 0x16d: xstate_bv appears twice\$" \
	"$XSAVECTL" inspect bv2.img
core_img nobv.img "$(core_of "$FP$(pbl 13 "$YMM")")"
case_ "CRIU xsave without xstate_bv" 65 "'nobv.img': offset 0xe8: xsave has no xstate_bv\$" \
	"$XSAVECTL" inspect nobv.img
mkdir ck && cp "$DATA"/criu-4.1-avx512/* ck/ && rm ck/core-30826.img
case_ "CRIU checkpoint missing a thread's core image" 66 "'ck/core-30826.img': cannot open" \
	"$XSAVECTL" inspect ck
mkdir ck2 && cp "$DATA"/criu-4.1-avx512/* ck2/ && head -c 20 "$DATA/criu-4.1-avx512/pstree.img" >ck2/pstree.img
case_ "CRIU checkpoint with pstree.img cut short" 65 "'ck2/pstree.img': offset 0x8: entry of 22 bytes runs past the end of the image \(8 bytes after its length\)\$" \
	"$XSAVECTL" inspect ck2
mkdir ck3 && cp "$DATA"/criu-4.1-avx512/* ck3/ && rm ck3/pstree.img
case_ "CRIU checkpoint without pstree.img" 66 "'ck3/pstree.img': cannot open" "$XSAVECTL" inspect ck3
mkdir ck4 && cp "$DATA"/criu-4.1-avx512/* ck4/ &&
	cp "$DATA/criu-4.1-avx512/cpuinfo.img" ci.img && tail -c +13 ci.img >ci.x86 &&
	core_img ck4/cpuinfo.img "$(od -An -v -tx1 ci.x86 | tr -d ' \n')$(od -An -v -tx1 ci.x86 | tr -d ' \n')" &&
	patch ck4/cpuinfo.img 4 13404061
case_ "CRIU cpuinfo.img with two x86 entries" 65 "'ck4/cpuinfo.img': offset 0x99: cpuinfo.img holds more than one x86 entry \(CRIU's restore takes one\)\$" \
	"$XSAVECTL" inspect ck4
# --- the version 3 journal (filter --in-place of lzop or xz in blocks): every way it lies ----
# Built here byte by byte beside an lzop stream that the target leaves unchanged (so a
# rollback is all a run writes): magic, u64 old size, device, inode, new size, the tail's
# offset, the old tail, the new tail, CRC-32 big-endian.  A journal that lies is refused
# (65, one line), the file and the journal left as they are.
if command -v lzop >/dev/null 2>&1; then
	"$MKSTREAM" --vcpus 2 --ram-mib 8 --pages 2048 --xcr0 0x7 --bv 0x7 v3.bin
	lzop -c <v3.bin >v3.lzo && cp v3.lzo v3.orig
	size=$(stat -c %s v3.lzo) from=$(($(stat -c %s v3.lzo) - 200))
	tail -c 200 v3.lzo >v3.old
	printf 'a new tail %.0s' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 >v3.new
	newsize=$((from + $(stat -c %s v3.new)))
	u64() { printf %016x "$1"; }
	# j3 OLDSIZE INODE NEWSIZE OFFSET OLDBYTES NEWBYTES: the journal of v3.lzo, CRC made to match
	j3() {
		J=v3.lzo.xsavectl-journal
		printf 'XSAVECTL-JOURNAL 3\n' >$J && head -c 40 /dev/zero >>$J &&
			patch $J 19 "$(u64 "$1")$(u64 "$(stat -c %d v3.lzo)")$(u64 "$2")$(u64 "$3")$(u64 "$4")" &&
			cat "$5" "$6" >>$J
		le=$(crc32 <$J)
		jl=$(stat -c %s $J)
		head -c 4 /dev/zero >>$J && patch $J "$jl" "$(echo "$le" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')"
		cp $J v3.journal
	}
	ino=$(stat -c %i v3.lzo)
	untouched() { cmp -s v3.lzo "$1" && cmp -s v3.lzo.xsavectl-journal v3.journal; }
	F() { "$XSAVECTL" filter --xcr0 0x7 --in-place v3.lzo; }
	j3 "$size" "$ino" "$newsize" "$from" v3.old v3.new
	expect "v3 journal, sound, beside its file untouched: rolled back" 0 "" F &&
		check "v3 journal, sound, beside its file untouched: rolled back (found at its old size)" \
			'grep -q "found at its old size" err.txt && cmp -s v3.lzo v3.orig && [ ! -e v3.lzo.xsavectl-journal ]'
	j3 "$size" "$ino" "$newsize" "$from" v3.old v3.new
	dd if=v3.new of=v3.lzo bs=1 seek="$from" conv=notrunc 2>/dev/null && truncate -s "$newsize" v3.lzo
	expect "v3 journal, sound, beside its file rewritten: rolled back" 0 "" F &&
		check "v3 journal, sound, beside its file rewritten: rolled back (found at its new size)" \
			'grep -q "found at its new size" err.txt && cmp -s v3.lzo v3.orig && [ ! -e v3.lzo.xsavectl-journal ]'
	j3 "$size" "$ino" "$newsize" "$from" v3.old v3.new
	patch v3.lzo.xsavectl-journal $((59 + 200 + 3)) 00 && cp v3.lzo.xsavectl-journal v3.journal
	case_ "v3 journal with a byte of its new tail changed (bad CRC)" 65 \
		"!^xsavectl: filter: 'v3.lzo.xsavectl-journal': not a valid xsavectl journal \(bad magic or CRC\); 'v3.lzo' left as is\$" F
	check "v3 journal with a bad CRC: file and journal untouched" 'untouched v3.orig'
	j3 $((size + 1)) "$ino" "$newsize" "$from" v3.old v3.new
	case_ "v3 journal whose old size is one more than its bytes" 65 \
		"!^xsavectl: filter: 'v3.lzo.xsavectl-journal': the journal's tail \(0x$(printf %x 201) bytes from 0x$(printf %x "$from"), then 0x$(printf %x $((newsize - from)))\) is not its length \(0x[0-9a-f]+ bytes\); 'v3.lzo' left as is\$" F
	check "v3 journal whose old size lies: file and journal untouched" 'untouched v3.orig'
	j3 "$size" "$ino" $((newsize - 1)) "$from" v3.old v3.new
	case_ "v3 journal whose new size is one less than its bytes" 65 \
		"!'v3.lzo.xsavectl-journal': the journal's tail .* is not its length" F
	check "v3 journal whose new size lies: file and journal untouched" 'untouched v3.orig'
	: >v3.none
	j3 "$size" "$ino" "$newsize" $((newsize + 1)) v3.none v3.none
	case_ "v3 journal whose tail starts past the end of the file" 65 \
		"!^xsavectl: filter: 'v3.lzo.xsavectl-journal': the journal's tail starts at 0x$(printf %x $((newsize + 1))), past the end of the file \(0x$(printf %x "$size") bytes, 0x$(printf %x "$newsize") rewritten\); 'v3.lzo' left as is\$" F
	check "v3 journal whose offset lies: file and journal untouched" 'untouched v3.orig'
	j3 $((size + 7)) "$ino" $((newsize + 7)) $((from + 7)) v3.old v3.new
	case_ "v3 journal of sizes the file has neither of" 65 \
		"!^xsavectl: filter: 'v3.lzo': cannot roll back from 'v3.lzo.xsavectl-journal': the file's size changed since \(neither the journal's old size nor its new one\)\$" F
	check "v3 journal of other sizes: file and journal untouched" 'untouched v3.orig'
	head -c 200 /dev/zero >v3.zero
	j3 "$size" "$ino" "$newsize" "$from" v3.zero v3.new
	case_ "v3 journal whose old tail is not the file's" 65 \
		"^xsavectl: filter: 'v3.lzo': offset 0x$(printf %x "$from"): holds neither the bytes 'v3.lzo.xsavectl-journal' saved nor those it wrote there" F
	check "v3 journal whose old tail lies: file and journal untouched" 'untouched v3.orig'
	j3 "$size" $((ino + 1)) "$newsize" "$from" v3.old v3.new
	case_ "v3 journal bound to another inode" 65 \
		"!^xsavectl: filter: 'v3.lzo': 'v3.lzo.xsavectl-journal' was written for another file" F
	check "v3 journal of another inode: file and journal untouched" 'untouched v3.orig'
	rm -f v3.*
else
	skip "lzop is not installed: no version 3 journals"
fi
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
