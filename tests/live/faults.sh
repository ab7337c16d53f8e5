#!/bin/sh
# Faults while writing: stdout that is full or a closed pipe, a full disk
# (file-size limit; a 16 KiB tmpfs when root), a read-only directory, the
# output being the input, another filesystem, and SIGKILL at each step of an
# atomic write (strace fault injection).  In every case: the input is intact,
# nothing partial is left under the output's name, the exit code says what
# happened.  The order that makes a write durable (fsync after the last write, the
# directory's after the rename) is read from strace -e trace, and filter's check of its own
# result is put to the test with gdb.  Parts that need strace, gdb or root print a visible
# SKIP line.  Every
# xsavectl run has 60 s (timeout), so a mutant that hangs fails instead of hanging.
# usage: XSAVECTL=... MKXSAVE=... MKSTREAM=... DATA=tests/data sh tests/live/faults.sh
set -u
: "${XSAVECTL:?}" "${MKSTREAM:?}" "${DATA:?}"
TAP_NAME="live faults"
. "$(dirname "$0")/../tap.sh"
xs() { timeout 60 "$XSAVECTL" "$@"; }
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
mnt=
cleanup() {
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

"$MKSTREAM" --vcpus 4 --xcr0 0x7 --bv 0x207 --subs pkru,avx512 s.bin
cp "$DATA/kvm-get-xsave.bin" img.bin
cp "$DATA/core.gz" core.gz
cp s.bin s.orig
cp img.bin img.orig
cp core.gz core.orig
# One line on stderr naming the output (or stdout), and the exit code.
one_line() { [ "$(wc -l <err.txt)" = 1 ] && grep -q "$1" err.txt; }
intact() { cmp -s s.bin s.orig && cmp -s img.bin img.orig && cmp -s core.gz core.orig; }
no_debris() { ! ls -A "${1:-.}" | grep -q xsavectl-; }
# LeakSanitizer cannot run under ptrace: an ASan build traced or debugged here runs without it.
noleaks="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# --- the streaming filter holds a window, not the stream ------------------------
# stalled_hwm IN OUT: run filter from a FIFO fed with IN but its last 64 bytes, read the
# filter's peak RSS (VmHWM, KiB) while it waits for them, into hwm.txt; then let it finish.
stalled_hwm() {
	rm -f in.fifo pid.txt hwm.txt
	mkfifo in.fifo
	sh -c 'echo $$ >pid.txt; exec timeout 60 "$0" filter --xcr0 0x7 -o - - <in.fifo >"$1" 2>/dev/null' \
		"$XSAVECTL" "$2" &
	spid=$!
	{
		head -c $(($(stat -c %s "$1") - 64)) "$1"
		sleep 1
		awk '/^VmHWM/ { print $2 }' "/proc/$(pgrep -P "$(cat pid.txt)" | head -n 1)/status" >hwm.txt
		tail -c 64 "$1"
	} >in.fifo
	wait $spid
}
if [ "${VALGRIND:-}" = 1 ] || ldd "$XSAVECTL" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	skip "the streaming filter's peak RSS is not measured under ASan or valgrind"
else
	"$MKSTREAM" --ram-mib 128 --pages 32768 --xcr0 0x7 --bv 0x207 --subs pkru --vcpus 4 big.bin
	check "filter from a pipe: peak RSS under 24 MiB on a 128 MiB stream stalled near its end; the output right" \
		'stalled_hwm big.bin big.out && [ -s hwm.txt ] && [ "$(cat hwm.txt)" -lt 24576 ] &&
		 xs filter --xcr0 0x7 -o big.ref big.bin >/dev/null && cmp -s big.out big.ref ||
		 { echo "# VmHWM $(cat hwm.txt 2>/dev/null) KiB"; false; }'
	rm -f big.bin big.out big.ref
fi

# --- stdout ------------------------------------------------------------------
check "inspect > /dev/full: exit 74, 'No space left on device'" \
	'xs inspect s.bin >/dev/full 2>err.txt; [ $? = 74 ] && one_line "No space left"'
check "host --record > /dev/full: exit 74 (fclose of stdout is checked)" \
	'xs host --record >/dev/full 2>err.txt; [ $? = 74 ] && one_line "No space left"'
check "filter -o - > /dev/full: exit 74" \
	'xs filter --xcr0 0x7 -o - s.bin >/dev/full 2>err.txt; [ $? = 74 ] && one_line "standard output"'
check "inspect into a closed pipe (| true): exit 0, quiet (not killed by SIGPIPE)" \
	'{ sleep 0.3; xs inspect -r s.bin 2>err.txt; echo $? >rc.txt; } | true; [ "$(cat rc.txt)" = 0 ] &&
	 [ ! -s err.txt ]'
check "check into a closed pipe keeps its verdict's status (2 fixable), quiet" \
	'{ sleep 0.3; xs check --xcr0 0x7 s.bin 2>err.txt; echo $? >rc.txt; } | true;
	 [ "$(cat rc.txt)" = 2 ] && [ ! -s err.txt ]'
check "filter from a pipe, -o - > /dev/full: exit 74, one line" \
	'cat s.bin | xs filter --xcr0 0x7 -o - - >/dev/full 2>err.txt; [ $? = 74 ] && one_line "standard output"'
check "filter -o - into a closed pipe: exit 0, quiet" \
	'{ sleep 0.3; xs filter --xcr0 0x7 -o - s.bin 2>err.txt; echo $? >rc.txt; } | true;
	 [ "$(cat rc.txt)" = 0 ] && [ ! -s err.txt ]'

# --- full disk: a file-size limit (any user) ----------------------------------
check "filter to a full disk (ulimit -f 8): exit 74, no output, no temp file" \
	'(trap "" XFSZ; ulimit -f 8; exec timeout 60 "$XSAVECTL" filter --xcr0 0x7 -o out.bin s.bin) \
	 >/dev/null 2>err.txt; [ $? = 74 ] && one_line "out.bin" && [ ! -e out.bin ] && no_debris &&
	 intact'
check "a full disk leaves an existing output as it was" \
	'echo old >out.bin; (trap "" XFSZ; ulimit -f 8; exec timeout 60 "$XSAVECTL" filter --xcr0 0x7 \
	 -o out.bin s.bin) >/dev/null 2>err.txt; [ $? = 74 ] && [ "$(cat out.bin)" = old ] && no_debris;
	 r=$?; rm -f out.bin; [ $r = 0 ]'
check "filter --in-place of a core on a full disk: exit 74, the core intact" \
	'cp core.gz c2.gz; (trap "" XFSZ; ulimit -f 4; exec timeout 60 "$XSAVECTL" filter --force --xcr0 0x3 \
	 --in-place c2.gz) >/dev/null 2>err.txt; [ $? = 74 ] && cmp -s c2.gz core.orig && no_debris'

# --- root: a real full filesystem and a read-only one ----------------------------
if [ "$(id -u)" = 0 ] && mkdir m && mount -t tmpfs -o size=16k tmpfs m 2>/dev/null; then
	mnt=$work/m
	check "filter onto a full 16 KiB tmpfs: exit 74, nothing left there" \
		'xs filter --xcr0 0x7 -o m/out.bin s.bin >/dev/null 2>err.txt; [ $? = 74 ] &&
		 one_line "m/out.bin" && [ ! -e m/out.bin ] && [ -z "$(ls -A m)" ] && intact'
	umount m
	mount -t tmpfs -o ro tmpfs m
	check "filter into a read-only directory: exit 73, one line" \
		'xs filter --xcr0 0x7 -o m/out.bin s.bin >/dev/null 2>err.txt; [ $? = 73 ] &&
		 one_line "m/out.bin" && intact'
	umount m
	mnt=
else
	skip "not root (or no tmpfs mount): full and read-only filesystems not tested"
fi
if [ "$(id -u)" != 0 ]; then
	mkdir ro && chmod 555 ro
	check "filter into a read-only directory: exit 73, one line" \
		'xs filter --xcr0 0x7 -o ro/out.bin s.bin >/dev/null 2>err.txt; [ $? = 73 ] &&
		 one_line "ro/out.bin" && intact'
fi

# --- no /proc: the unnamed file cannot be named, a named temporary file is used ----------
# (a private mount namespace with a tmpfs over /proc, as root; a sanitizer build reads its
# options and runs LeakSanitizer through /proc, so it cannot run there)
noproc() { unshare -m sh -c 'mount -t tmpfs none /proc && exec "$@"' sh "$@"; }
if [ "$(id -u)" != 0 ] || ! noproc sh -c '[ ! -e /proc/self ]' 2>/dev/null; then
	skip "not root or no unshare -m: writing without /proc not tested"
elif ! noproc "$XSAVECTL" --version >/dev/null 2>err.txt || [ -s err.txt ]; then
	skip "the binary cannot run without /proc (a sanitizer build): writing without /proc not tested"
else
	xs filter --xcr0 0x7 -o ref.bin s.bin >/dev/null && xs filter --force --xcr0 0x3 \
		-o ref.gz core.gz >/dev/null
	check "without /proc, filter -o writes the stream (exit 0, same bytes and mode, no debris)" \
		'noproc timeout 60 "$XSAVECTL" filter --xcr0 0x7 -o np.bin s.bin >/dev/null 2>err.txt &&
		 [ ! -s err.txt ] && cmp -s np.bin ref.bin &&
		 [ "$(stat -c %a np.bin)" = "$(stat -c %a ref.bin)" ] && no_debris && intact'
	check "without /proc, filter -o of a gzip'ed core: the same bytes" \
		'noproc timeout 60 "$XSAVECTL" filter --force --xcr0 0x3 -o np.gz core.gz >/dev/null &&
		 cmp -s np.gz ref.gz && no_debris && intact'
	check "without /proc, filter --in-place keeps the input's mode" \
		'cp img.bin ip.bin && chmod 640 ip.bin && noproc timeout 60 "$XSAVECTL" filter --force \
		 --xcr0 0x3 --in-place ip.bin >/dev/null && [ "$(stat -c %a ip.bin)" = 640 ] &&
		 ! cmp -s ip.bin img.orig && no_debris'
	check "without /proc, a full disk (ulimit -f 8): exit 74, the named temporary file removed" \
		'noproc sh -c "trap \"\" XFSZ; ulimit -f 8; exec timeout 60 \"$XSAVECTL\" filter \
		 --xcr0 0x7 -o npf.bin s.bin" >/dev/null 2>err.txt; [ $? = 74 ] && one_line "npf.bin" &&
		 [ ! -e npf.bin ] && no_debris && intact'
	rm -f np.bin np.gz ref.bin ref.gz ip.bin
fi

# --- an input cut short while it is read ----------------------------------------------
# truncshim.c (LD_PRELOAD) cuts the file the moment xsavectl first reads past TRUNC_AT: a
# mapped input died of SIGBUS (exit 135, no message); read, it is one line and exit 66.
shim=$work/truncshim.so
if ! ${CC:-cc} -shared -fPIC -o "$shim" "$here/truncshim.c" -ldl 2>/dev/null; then
	skip "no C compiler (\$CC): truncation while reading not tested"
elif ! LD_PRELOAD=$shim "$XSAVECTL" --version >/dev/null 2>&1; then
	skip "the binary refuses LD_PRELOAD (ASan): truncation while reading not tested"
else
	cut1() { f=$1 at=$2; shift 2; TRUNC_PATH=$f TRUNC_AT=$at LD_PRELOAD=$shim timeout 60 "$XSAVECTL" "$@"; }
	cp s.bin cut.bin
	check "stream cut to 4 KiB while it is read: exit 66, one line with file and offset" \
		'cut1 cut.bin 4096 inspect cut.bin >out.txt 2>err.txt; [ $? = 66 ] && [ ! -s out.txt ] &&
		 one_line "^xsavectl: inspect: '"'cut.bin'"': offset 0x1000: the file ends here while it is read (it had 0x[0-9a-f]* bytes when opened: cut short meanwhile)\$"'
	cp s.bin cut.bin
	check "filter of a stream cut while it is read: exit 66, no output, no temporary file" \
		'cut1 cut.bin 4096 filter --xcr0 0x7 -o cutout.bin cut.bin >/dev/null 2>err.txt
		 [ $? = 66 ] && one_line "'"'cut.bin'"': offset 0x1000" && [ ! -e cutout.bin ] && no_debris'
	gzip -dc core.gz >cut.elf
	check "core cut inside its notes while it is read: exit 66, one line" \
		'cut1 cut.elf 2048 inspect cut.elf >/dev/null 2>err.txt; [ $? = 66 ] &&
		 one_line "'"'cut.elf'"': offset 0x318: the file ends at 0x800 while it is read"'
	rm -f cut.bin cut.elf cutout.bin
fi

# --- the output is the input; another filesystem ------------------------------------
ln s.bin hard.bin
check "output is the input through a hard link: exit 64, nothing written" \
	'xs filter --xcr0 0x7 -o hard.bin s.bin >/dev/null 2>err.txt; [ $? = 64 ] && one_line "in-place" &&
	 intact'
rm -f hard.bin
other=/dev/shm
if [ -d "$other" ] && [ -w "$other" ] && [ "$(stat -f -c %T "$other")" != "$(stat -f -c %T .)" ]; then
	check "output on another filesystem ($other): written, same bytes as beside the input" \
		'xs filter --xcr0 0x7 -o here.bin s.bin >/dev/null &&
		 xs filter --xcr0 0x7 -o "$other/xsavectl-faults-$$.bin" s.bin >/dev/null &&
		 cmp -s here.bin "$other/xsavectl-faults-$$.bin"; r=$?;
		 rm -f "$other/xsavectl-faults-$$.bin" here.bin; [ $r = 0 ]'
else
	skip "no second filesystem at $other"
fi

# --- SIGKILL at each step of an atomic write ----------------------------------------
if ! command -v strace >/dev/null 2>&1; then
	skip "strace is not installed: kill tests not run"
elif ! strace -f -o /dev/null true 2>/dev/null; then
	skip "strace cannot trace here (no ptrace permission): kill tests not run"
else
	# (a stream or an image is one write; a gzip'ed core many)
	for input in s.bin img.bin core.gz; do
		points="write:1 fsync:1 linkat:1 rename:1"
		[ "$input" = core.gz ] && points="write:1 write:3 $points"
		for point in $points; do
			out=out.${input#*.}
			echo old >"$out"
			timeout 60 strace -f -o /dev/null -e inject="${point%:*}:signal=KILL:when=${point#*:}" \
				"$XSAVECTL" filter --force --xcr0 0x3 -o "$out" "$input" >/dev/null 2>&1
			st=$?
			debris=$(ls -A | grep -c "^$out\.xsavectl-")
			check "filter $input killed at $point: input intact, '$out' still the old file" \
				'[ $st = 137 ] && intact && [ "$(cat "$out")" = old ] &&
				 { [ $debris = 0 ] || [ "${point%:*}" = rename ]; }'
			rm -f "$out" "$out".xsavectl-*
		done
	done
	# A journal left by a run killed midway, then damaged: never used.
	cp s.bin j.bin
	chmod 0640 j.bin
	timeout 60 strace -f -o /dev/null -e inject=pwrite64:signal=KILL:when=2 \
		"$XSAVECTL" filter --in-place --xcr0 0x7 j.bin >/dev/null 2>&1
	cp j.bin j.left
	check "stream --in-place killed at its second pwrite: a journal is left, with the image's mode (0640)" \
		'[ -s j.bin.xsavectl-journal ] && ! cmp -s j.bin s.orig &&
		 [ "$(stat -c %a j.bin.xsavectl-journal)" = 640 ]'
	size=$(stat -c %s j.bin.xsavectl-journal)
	cp j.bin.xsavectl-journal j.journal
	cp j.bin.xsavectl-journal j.good
	printf '\377' | dd of=j.bin.xsavectl-journal bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
	check "a journal with one byte changed (bad CRC) is refused (65), the stream left as it is" \
		'xs filter --in-place --xcr0 0x7 j.bin >/dev/null 2>err.txt; [ $? = 65 ] &&
		 grep -q "bad magic or CRC" err.txt && cmp -s j.bin j.left'
	# The same journal claiming one range more, its CRC made to match (gzip's trailer holds
	# the CRC-32 of what it compressed, little-endian; the journal's is big-endian): the last
	# range runs past the end, so nothing is written back, not even the good ranges.
	# (the journal's header: 19 bytes of magic, u64 size, device, inode, u32 count at 43)
	count=$(od -An -tu1 -j43 -N4 j.journal | awk '{ printf "%.0f\n", $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	count=$((count + 1))
	patch j.journal 43 "$(printf %08x "$count")"
	head -c $((size - 4)) j.journal >j.bin.xsavectl-journal
	crc=$(gzip -c <j.bin.xsavectl-journal | tail -c 8 | head -c 4 | od -An -tu1 |
		awk '{ printf "%.0f\n", $1 + $2 * 256 + $3 * 65536 + $4 * 16777216 }')
	patch j.bin.xsavectl-journal $((size - 4)) "$(printf %08x "$crc")"
	check "a journal whose CRC matches but whose last range is cut is refused (65), nothing written back" \
		'xs filter --in-place --xcr0 0x7 j.bin >/dev/null 2>err.txt; [ $? = 65 ] &&
		 grep -q "journal entry $((count - 1)) is truncated.*left as is" err.txt &&
		 cmp -s j.bin j.left'
	# The sound journal beside another file of the same size (a new save of the domain after
	# an interrupted run): its first range holds neither the journal's old nor new bytes, so
	# the journal is not this file's: refused (65), file and journal left as they are.
	cp s.orig j.bin
	cp j.good j.bin.xsavectl-journal
	off=$(od -An -tu1 -j47 -N8 j.good | awk '{ v = 0; for (i = 1; i <= NF; i++) v = v * 256 + $i; printf "%.0f\n", v }')
	len=$(od -An -tu1 -j55 -N4 j.good | awk '{ printf "%.0f\n", $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	old1=$(od -An -tu1 -j59 -N1 j.good | tr -d ' ')
	new1=$(od -An -tu1 -j$((59 + len)) -N1 j.good | tr -d ' ')
	b=0
	while [ $b = "$old1" ] || [ $b = "$new1" ]; do b=$((b + 1)); done
	patch j.bin "$off" "$(printf %02x $b)"
	cp j.bin j.other
	check "a sound journal beside another file of its size is refused (65): neither is touched" \
		'xs filter --in-place --xcr0 0x7 j.bin >/dev/null 2>err.txt; [ $? = 65 ] &&
		 grep -q "holds neither the bytes .* saved nor those it wrote there" err.txt &&
		 cmp -s j.bin j.other && cmp -s j.bin.xsavectl-journal j.good'
	# Beside its own file, grown since (a byte appended: a file being saved again): the
	# size the journal recorded differs, so nothing is rolled back, even where the ranges match.
	cp j.left j.bin && printf x >>j.bin && cp j.bin j.grown
	cp j.good j.bin.xsavectl-journal
	check "a sound journal beside its file grown by a byte is refused (65): neither is touched" \
		'xs filter --in-place --xcr0 0x7 j.bin >/dev/null 2>err.txt; [ $? = 65 ] &&
		 one_line "size changed since" && cmp -s j.bin j.grown &&
		 cmp -s j.bin.xsavectl-journal j.good'
	# ... and beside its own file, untouched since (nothing written yet, or all of it): used.
	cp s.orig j.bin
	cp j.good j.bin.xsavectl-journal
	check "the same journal beside its own unwritten file rolls back cleanly (nothing to undo)" \
		'xs filter --in-place --xcr0 0x7 j.bin >/dev/null 2>err.txt &&
		 grep -q "rolled back an interrupted" err.txt && [ ! -e j.bin.xsavectl-journal ]'
	# A copy of the interrupted file, byte for byte, put in its place (another inode): its
	# ranges match, but the journal is bound to the file it was written for: refused (65).
	cp j.left j.copy
	mv j.copy j.bin
	cp j.good j.bin.xsavectl-journal
	check "a sound journal beside a byte-identical copy of its file (another inode) is refused (65)" \
		'xs filter --in-place --xcr0 0x7 j.bin >/dev/null 2>err.txt; [ $? = 65 ] &&
		 grep -q "was written for another file (device 0x[0-9a-f]*, inode [0-9]*; this is" err.txt &&
		 cmp -s j.bin j.left && cmp -s j.bin.xsavectl-journal j.good'
	rm -f j.bin j.left j.bin.xsavectl-journal j.journal j.good j.other j.copy j.grown
	# --- lzop, xz in blocks and bzip2, rewritten from the first changed block (a version 3
	# journal: the old tail and the new, the old size and the new).  Killed at each step,
	# the next run rolls the file back to its original bytes and size (the target then
	# leaves it unchanged: nothing more is written).  lzop -9 and xz -9 before, LZO1X-1
	# and preset 0 after: the one-vCPU stream grows (extended first), the two-vCPU one
	# shrinks (truncated last).
	"$MKSTREAM" --vcpus 1 --ram-mib 8 --pages 2048 --xcr0 0x207 --bv 0x207 --subs pkru g.bin
	"$MKSTREAM" --vcpus 2 --ram-mib 8 --pages 2048 --xcr0 0x2e7 --bv 0x2e7 --subs avx512,pkru k.bin
	tails=
	if command -v lzop >/dev/null 2>&1; then
		lzop -9 -c <g.bin >grow.lzo && lzop -c <k.bin >shrink.lzo && tails="grow.lzo shrink.lzo"
	else
		skip "lzop is not installed: its in-place rewrite is not killed"
	fi
	xz -T2 --block-size=1MiB -9 -c g.bin >grow.xz && xz -T2 --block-size=1MiB -c k.bin >shrink.xz &&
		tails="$tails grow.xz shrink.xz"
	# bzip2: its last blocks from the one holding the cpu sections, encoded again (three
	# vCPUs whose PKRU goes: its block grows by 4 bytes; k.bin's shrinks).
	"$MKSTREAM" --vcpus 3 --ram-mib 8 --pages 2048 --xcr0 0x2e7 --bv 0x2e7 --subs pkru b.bin &&
		bzip2 -9 -c <b.bin >grow.bz2 && bzip2 -9 -c <k.bin >shrink.bz2 &&
		tails="$tails grow.bz2 shrink.bz2"
	rm -f b.bin
	# (the journal: fsync 1 and 2; the file: ftruncate before pwrite64 where it grows,
	# after where it shrinks; its fsync 3; the journal's unlink)
	for t in $tails; do
		cp "$t" "$t.orig"
		case $t in
		grow.bz2) points="fsync:2 ftruncate:1 pwrite64:1 fsync:3 unlink:1" own=0x2e7 ;;
		grow.*) points="fsync:2 ftruncate:1 pwrite64:1 fsync:3 unlink:1" own=0x207 ;;
		*) points="fsync:2 pwrite64:1 ftruncate:1 fsync:3 unlink:1" own=0x2e7 ;;
		esac
		# (valgrind makes unlink calls of its own: that kill point would count them)
		[ "${VALGRIND:-}" = 1 ] && points=${points% unlink:1}
		for point in $points; do
			cp "$t.orig" "$t"
			timeout 60 strace -f -o /dev/null -e inject="${point%:*}:signal=KILL:when=${point#*:}" \
				"$XSAVECTL" filter --force --xcr0 0x7 --in-place "$t" >/dev/null 2>&1
			st=$?
			check "$t --in-place killed at $point: the next run rolls it back to the original bytes" \
				'[ $st = 137 ] && [ -s "$t.xsavectl-journal" ] &&
				 xs filter --xcr0 $own --in-place "$t" >/dev/null 2>err.txt &&
				 grep -q "rolled back an interrupted .filter --in-place. (its last 0x[0-9a-f]* bytes, from 0x[0-9a-f]*; found at its" err.txt &&
				 [ ! -e "$t.xsavectl-journal" ] && cmp -s "$t" "$t.orig" && no_debris'
		done
		# The state each kill leaves, as the rollback says it found the file.
		cp "$t.orig" "$t"
		timeout 60 strace -f -o /dev/null -e inject=fsync:signal=KILL:when=3 \
			"$XSAVECTL" filter --force --xcr0 0x7 --in-place "$t" >/dev/null 2>&1
		cp "$t" "$t.new"
		cp "$t.xsavectl-journal" "$t.good"
		check "$t killed before its fsync: the rollback finds it at its new size" \
			'xs filter --xcr0 $own --in-place "$t" >/dev/null 2>err.txt &&
			 grep -q "found at its new size" err.txt && cmp -s "$t" "$t.orig"'
		# A torn write: the journal of a run killed before its pwrite64, then the first half
		# of the new tail written by hand over the original (the same inode): rolled back.
		from=$(od -An -tu1 -j51 -N8 "$t.good" | awk '{ v = 0; for (i = 1; i <= NF; i++) v = v * 256 + $i; printf "%.0f\n", v }')
		cp "$t.orig" "$t"
		timeout 60 strace -f -o /dev/null -e inject=pwrite64:signal=KILL:when=1 \
			"$XSAVECTL" filter --force --xcr0 0x7 --in-place "$t" >/dev/null 2>&1
		half=$((($(stat -c %s "$t.new") - from) / 2))
		dd if="$t.new" of="$t" bs=1 skip="$from" seek="$from" count="$half" conv=notrunc 2>/dev/null
		check "$t: a torn write (half the new tail) under its journal is rolled back" \
			'! cmp -s "$t" "$t.orig" && xs filter --xcr0 $own --in-place "$t" >/dev/null 2>err.txt &&
			 grep -q "rolled back" err.txt && cmp -s "$t" "$t.orig"'
		# The sound journal beside the file grown by a byte since: neither size: refused.
		cp "$t.new" "$t" && printf x >>"$t" && cp "$t" "$t.grown"
		cp "$t.good" "$t.xsavectl-journal"
		check "$t: a version 3 journal beside its file at neither of its sizes is refused (65)" \
			'xs filter --xcr0 $own --in-place "$t" >/dev/null 2>err.txt; [ $? = 65 ] &&
			 one_line "size changed since (neither the journal.s old size nor its new one)" &&
			 cmp -s "$t" "$t.grown" && cmp -s "$t.xsavectl-journal" "$t.good"'
		# ... and beside a copy of the interrupted file (another inode): refused (65).
		cp "$t.new" "$t.copy" && mv "$t.copy" "$t"
		check "$t: a version 3 journal beside a copy of its file (another inode) is refused (65)" \
			'xs filter --xcr0 $own --in-place "$t" >/dev/null 2>err.txt; [ $? = 65 ] &&
			 grep -q "was written for another file" err.txt && cmp -s "$t" "$t.new"'
		rm -f "$t"*
	done
	# The order that makes it durable: the journal in place (its directory synced) before
	# the file changes; the file fsync'ed after its last write and truncate, before the
	# journal goes.
	if [ -n "$tails" ]; then
		t=${tails%% *}
		"$MKSTREAM" --vcpus 2 --ram-mib 8 --pages 2048 --xcr0 0x2e7 --bv 0x2e7 --subs avx512,pkru k.bin
		case $t in *.lzo) lzop -c <k.bin >"$t" ;; *) xz -T2 --block-size=1MiB -c k.bin >"$t" ;; esac
		timeout 60 strace -f -y -o t3.txt -e trace=fsync,rename,unlink,pwrite64,ftruncate \
			"$XSAVECTL" filter --force --xcr0 0x7 --in-place "$t" >/dev/null 2>&1
		check "$t --in-place: journal renamed and synced, then pwrite64 and ftruncate, fsync, unlink" \
			'awk -v f="<$PWD/$t>" -v j="\"$t.xsavectl-journal\"" "
				/rename\\(/ && index(\$0, j) { r = 1 }
				/fsync\\(/ && r && !w && index(\$0, \"<$PWD>\") { d = 1 }
				/(pwrite64|ftruncate)\\(/ && index(\$0, f) { w = d; s = 0 }
				/fsync\\(/ && index(\$0, f \")\") && w { s = 1 }
				/unlink/ && index(\$0, j) { ok = w && s; exit }
				END { exit !ok }" t3.txt'
		rm -f "$t"* t3.txt k.bin
	fi
	rm -f g.bin k.bin
	cp img.bin ip.bin
	timeout 60 strace -f -o /dev/null -e inject=rename:signal=KILL:when=1 \
		"$XSAVECTL" filter --force --xcr0 0x3 --in-place ip.bin >/dev/null 2>&1
	check "filter --in-place of an image killed before its rename: the image as it was" \
		'cmp -s ip.bin img.orig'
	rm -f ip.bin*
	# --- the order that makes a write durable (strace -e trace, -y: each fd's path) ----------
	# trace LOG CMD...: CMD's fsync, rename, unlink and pwrite64 calls into LOG.
	trace() {
		tlog=$1
		shift
		timeout 60 strace -f -y -o "$tlog" \
			-e trace=fsync,fdatasync,rename,renameat,renameat2,unlink,unlinkat,pwrite64 "$@" \
			>/dev/null 2>&1
	}
	# synced_after_rename LOG NAME: the directory fsync'ed after the rename that gave NAME.
	synced_after_rename() {
		awk -v q="\"$2\"" -v d="<$PWD>)" '/rename/ && index($0, q) && / = 0$/ { r = 1; next }
			r && /fsync\(/ && index($0, d) { ok = 1 } END { exit !ok }' "$1"
	}
	# synced_before_unlink LOG FILE: FILE fsync'ed after its last pwrite64, before its journal
	# is unlinked.
	synced_before_unlink() {
		awk -v f="<$PWD/$2>" -v j="\"$2.xsavectl-journal\"" '
			/pwrite64\(/ && index($0, f) { w = 1; s = 0 }
			/fsync\(/ && index($0, f ")") && w { s = 1 }
			/unlink/ && index($0, j) { ok = w && s; exit }
			END { exit !ok }' "$1"
	}
	rm -f o.bin
	trace t1.txt "$XSAVECTL" filter --xcr0 0x7 -o o.bin s.bin
	check "filter -o: its directory fsync'ed after the rename that names the output" \
		'synced_after_rename t1.txt o.bin && [ -s o.bin ]'
	cp s.orig jo.bin
	trace t2.txt "$XSAVECTL" filter --xcr0 0x7 --in-place jo.bin
	check "filter --in-place: the stream fsync'ed after its last write, before its journal goes" \
		'synced_before_unlink t2.txt jo.bin && [ ! -e jo.bin.xsavectl-journal ] && ! cmp -s jo.bin s.orig'
	rm -f o.bin jo.bin t1.txt t2.txt
	# No /proc/self/fd (every access(2) answered ENOENT): the output is a named temporary file
	# (mkstemp); a full disk (ulimit -f 8) makes the write fail, and the abort removes it.
	if [ "${VALGRIND:-}" = 1 ]; then
		skip "the named temporary file on abort: access(2) failures would reach valgrind itself"
	else
		check "a named temporary file (no /proc/self/fd for an unnamed one) is removed when the write fails" \
			'(trap "" XFSZ; ulimit -f 8; export ASAN_OPTIONS="$noleaks"
			  exec timeout 60 strace -f -o /dev/null -e trace=access,faccessat,faccessat2 \
			  -e inject=access,faccessat,faccessat2:error=ENOENT \
			  "$XSAVECTL" filter --xcr0 0x7 -o nt.bin s.bin) >/dev/null 2>err.txt; [ $? = 74 ] &&
			 one_line "nt.bin" && [ ! -e nt.bin ] && no_debris && intact'
	fi
fi
# --in-place by rename (a gzip'ed stream) keeps the file's owner, group, mode and extended
# attributes (a SELinux label or an ACL are such attributes; user.* stands for them here).
"$MKSTREAM" --xcr0 0x7 --bv 0x207 --subs pkru own.mig && gzip -c own.mig >own.gz
if [ "$(id -u)" != 0 ]; then
	skip "owner kept by --in-place: needs root to give the file another owner"
elif ! python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.xsavectl-test", b"kept")' own.gz 2>/dev/null; then
	skip "extended attributes kept by --in-place: $work does not take user.* attributes"
else
	chown 1234:5678 own.gz && chmod 640 own.gz
	ino=$(stat -c %i own.gz)
	check "filter --in-place by rename keeps owner 1234:5678, mode 0640 (umask 077) and user.* xattrs" \
		'(umask 077 && "$XSAVECTL" filter -q --xcr0 0x7 --in-place own.gz >/dev/null) &&
		 [ "$(stat -c "%u:%g %a" own.gz)" = "1234:5678 640" ] && [ "$(stat -c %i own.gz)" != "$ino" ] &&
		 [ "$(python3 -c "import os, sys; print(os.getxattr(sys.argv[1], \"user.xsavectl-test\").decode())" own.gz)" = kept ]'
fi
# --- filter checks its own result: a state spoiled just before that check --------------
# gdb sets PKRU's XSTATE_BV bit again in the state filter checks last (the xs_check_state
# called from verify): filter must refuse it (exit 70) and write nothing.
if ! command -v gdb >/dev/null 2>&1; then
	skip "gdb is not installed: filter's check of its own result not tested"
elif ! gdb -q -batch -ex 'info line xs_check_state' "$XSAVECTL" 2>/dev/null | grep -q 'rules\.c'; then
	skip "$XSAVECTL has no debugging information: filter's check of its own result not tested"
else
	cat >spoil.gdb <<'EOF'
set pagination off
set confirm off
break xs_check_state
commands
silent
if $_caller_is("verify")
  set var st->xstate_bv = st->xstate_bv | 0x200
end
continue
end
run
EOF
	ASAN_OPTIONS=$noleaks timeout 120 gdb -q -batch -x spoil.gdb --args "$XSAVECTL" filter \
		--xcr0 0x7 -o sp.bin s.bin \
		>gdb.txt 2>&1
	check "filter refuses a result its own check finds unloadable (70), writing nothing" \
		'grep -q "internal error: filtered image is still .fixable." gdb.txt &&
		 grep -q "exited with code 0106" gdb.txt && [ ! -e sp.bin ] && no_debris && intact'
	rm -f spoil.gdb gdb.txt sp.bin
fi
tap_done
