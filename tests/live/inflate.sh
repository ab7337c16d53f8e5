#!/bin/sh
# gzip inflate through ISA-L gives what zlib's gives: the same states, the same errors with
# the same offsets (a corrupt byte at every 7th offset, truncations, concatenated members,
# data or zeros after the end), a pipe included, for streams, images and cores alike (one
# codec layer under all three).  XSAVECTL_ZLIB_INFLATE=1 is zlib's inflate.  gzip written
# through ISA-L's deflate is a gzip file holding what zlib's (XSAVECTL_ZLIB_DEFLATE=1) holds.
# usage: XSAVECTL=... MKSTREAM=... [XSAVECTL_BIN=the binary, when XSAVECTL wraps it] sh tests/live/inflate.sh
set -u
: "${XSAVECTL:?}" "${MKSTREAM:?}"
TAP_NAME="inflate"
. "$(dirname "$0")/../tap.sh"
data=$(cd "$(dirname "$0")/../data" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
if ! ldd "${XSAVECTL_BIN:-$XSAVECTL}" 2>/dev/null | grep -q libisal; then
	skip "this xsavectl is built without ISA-L (zlib inflate only)"
	exit
fi
"$MKSTREAM" --vcpus 2 --subs pkru s.bin
gzip -c s.bin >s.gz
sz=$(stat -c %s s.gz)
same() {	# same FILE: both inflates print and exit alike
	XSAVECTL_ZLIB_INFLATE=1 "$XSAVECTL" inspect "$1" >z.out 2>z.err
	echo $? >>z.err
	"$XSAVECTL" inspect "$1" >i.out 2>i.err
	echo $? >>i.err
	cmp -s z.out i.out && cmp -s z.err i.err
}
bad=
step=$((7 * ${SWEEP_SCALE:-1}))
for off in $(seq 10 "$step" "$sz") $((sz - 4)) $((sz - 1)); do
	cp s.gz t.gz
	printf '\377' | dd of=t.gz bs=1 seek="$off" conv=notrunc 2>/dev/null
	same t.gz || bad="$bad $off"
done
check "a corrupt byte anywhere: the same message and offsets ($(( (sz - 10) / step + 3 )) places)" \
	'[ -z "$bad" ] || { echo "# differ at:$bad"; false; }'
bad=
for len in 5 15 40 200 $((sz - 8)) $((sz - 1)); do
	head -c "$len" s.gz >t.gz
	same t.gz || bad="$bad $len"
done
check "truncated: the same message and offsets" '[ -z "$bad" ]'
cat s.gz s.gz >t.gz
check "two members: read as one stream, the same trailing-data error" 'same t.gz'
(cat s.gz; printf 'garbage') >t.gz
check "data after the end: the same error" 'same t.gz && grep -q "data after the end" i.err'
(cat s.gz; head -c 1000 /dev/zero) >t.gz
check "zero padding after the end: accepted alike" 'same t.gz && [ "$(tail -n 1 i.err)" = 0 ]'
check "through a pipe: the same states" \
	'"$XSAVECTL" inspect - <s.gz >f.out && cat s.gz | "$XSAVECTL" inspect - >p.out &&
	 XSAVECTL_ZLIB_INFLATE=1 "$XSAVECTL" inspect s.gz | sed "s/s.gz/-/" >z.out &&
	 grep -v "^read" p.out >p2.out && grep -v "^read" z.out >z2.out && cmp -s p2.out z2.out'
# Images and cores: the same decoder as streams, the same words either way.
"$MKSTREAM" --vcpus 1 s1.bin && "$XSAVECTL" extract -o img.bin s1.bin >/dev/null &&
	gzip -c img.bin >img.gz
core=$data/core.gz
bad=
for f in img.gz "$core"; do
	fsz=$(stat -c %s "$f")
	for len in 15 40 $((fsz / 2)) $((fsz - 8)) $((fsz - 1)); do
		head -c "$len" "$f" >t.gz
		same t.gz || bad="$bad $f:$len"
	done
	cp "$f" t.gz
	printf '\377' | dd of=t.gz bs=1 seek=$((fsz / 3)) conv=notrunc 2>/dev/null
	same t.gz || bad="$bad $f:corrupt"
done
check "a gzip'ed image and core, truncated or corrupt: the same message and offsets" \
	'[ -s img.gz ] && [ -z "$bad" ] || { echo "# differ at:$bad"; false; }'
check "gzip written through ISA-L's deflate: a gzip file with zlib's deflate's content" \
	'"$XSAVECTL" filter --force --xcr0 0x3 -o i.gz "$core" >/dev/null &&
	 XSAVECTL_ZLIB_DEFLATE=1 "$XSAVECTL" filter --force --xcr0 0x3 -o z.gz "$core" >/dev/null &&
	 gzip -t i.gz && gzip -dc i.gz >i.core && gzip -dc z.gz | cmp -s - i.core &&
	 ! cmp -s i.gz z.gz'
tap_done
