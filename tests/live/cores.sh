#!/bin/sh
# Real ELF cores made at test time: tests/gen/corepat holds a known pattern in
# several threads; the kernel dumps it (SIGSEGV) and gdb's gcore dumps it
# (attached).  Every thread's decoded registers are checked against the
# pattern and against what gdb prints for the same core, and filter/extract
# are run on both kinds.  Missing tools or a piped core_pattern give a
# visible SKIP line, never a silent pass.
# usage: XSAVECTL=... [XSAVECTL_BIN=the binary, when XSAVECTL wraps it] COREPAT=... sh tests/live/cores.sh
set -u
: "${XSAVECTL:?}" "${COREPAT:?}"
TAP_NAME="live cores"
. "$(dirname "$0")/../tap.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# Expected value of YMM/XMM register $2 of thread $1 as xsavectl prints it
# (most significant byte first, 32 bytes, or 16 with $3 = xmm).
expect() {
	awk -v t="$1" -v i="$2" -v w="${3:-32}" 'BEGIN {
		s = "0x"; for (j = w - 1; j >= 0; j--) s = s sprintf("%02x", (i * 37 + j * 3 + 1 + 16 * t) % 256)
		print s }'
}

# "TID REG VALUE" lines from gdb, values normalised to 0x + lower-case hex
# without leading zeros; registers: ymm0..15, st0 (raw), mxcsr.
gdb_regs() {
	cmds=""
	for i in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		cmds="$cmds -ex 'thread apply all p/x \$ymm$i.v2_int128'"
	done
	eval gdb -batch -nx -c "$1" $cmds -ex "'thread apply all info registers st0'" \
		-ex "'thread apply all p/x \$mxcsr'" 2>/dev/null | awk '
	function norm(h) { h = tolower(h); sub(/^0x0*/, "", h); return "0x" (h == "" ? "0" : h) }
	function pad(h, w) { sub(/^0x/, "", h); while (length(h) < w) h = "0" h; return h }
	/^Thread .*\(LWP [0-9]+\)/ { match($0, /LWP [0-9]+/); tid = substr($0, RSTART + 4, RLENGTH - 4); next }
	/^\$[0-9]+ = \{/ { gsub(/[{},]/, " "); ycount[tid]++
		# gdb before 14 has no AMD AVX-512 layout: it prints the upper half <unavailable>.
		if ($4 == "<unavailable>") { print tid, "ymm" (ycount[tid] - 1), "low:" norm("0x" pad($3, 32)); next }
		print tid, "ymm" (ycount[tid] - 1), norm("0x" pad($4, 32) pad($3, 32)); next }
	/^st0 / { match($0, /raw 0x[0-9a-f]+/); print tid, "st0", norm(substr($0, RSTART + 4, RLENGTH - 4)); next }
	/^\$[0-9]+ = 0x/ { print tid, "mxcsr", norm($3) }' | sort
}

# The same lines from xsavectl for every thread of core $1.
xs_regs() {
	for tid in $("$XSAVECTL" inspect "$1" | awk '/^  thread:/ { print $2 }'); do
		"$XSAVECTL" inspect -r --thread "$tid" "$1" | awk -v tid="$tid" '
		function norm(h) { h = tolower(h); sub(/^0x0*/, "", h); return "0x" (h == "" ? "0" : h) }
		$1 ~ /^(ymm[0-9]+|st0|mxcsr):$/ { r = $1; sub(/:$/, "", r); print tid, r, norm($2) }'
	done | sort
}

# Do gdb's lines ($1) and xsavectl's ($2) agree?  Where gdb could decode only
# the low 128 bits of a YMM register ("low:" lines), those bits must agree.
same_regs() {
	[ "$(wc -l <"$1")" = "$(wc -l <"$2")" ] || return 1
	paste -d ' ' "$1" "$2" | awk '
	function low(h) { sub(/^0x/, "", h); while (length(h) < 32) h = "0" h
		h = substr(h, length(h) - 31); sub(/^0*/, "", h); return "0x" (h == "" ? "0" : h) }
	$1 != $4 || $2 != $5 { bad++; next }
	$3 ~ /^low:/ { partial++; if (substr($3, 5) != low($6)) bad++; next }
	$3 != $6 { bad++ }
	END { if (partial) printf "# gdb decoded only the low 128 bits of %d registers (no layout for this CPU)\n", partial
		exit bad ? 1 : 0 }'
}

# The XCR0 of the host that wrote core $1 (its byte-464 word): what its XSTATE_BV may
# hold.  Not `xsavectl host`: under valgrind that sees valgrind's CPU, not this one.
core_xcr0() { "$XSAVECTL" inspect "$1" | awk '$1 == "host_xcr0:" { print $2; exit }'; }

# Check every thread's registers against the pattern (threads.txt from corepat).
pattern_ok() {
	core=$1 mode=$2
	while read -r _ t _ tid; do
		out=$("$XSAVECTL" inspect -r --thread "$tid" "$core") || return 1
		for i in 0 5 15; do
			if [ "$mode" = avx ]; then
				want="ymm$i: $(expect "$t" "$i")"
			else
				want="xmm$i: $(expect "$t" "$i" 16)"
			fi
			echo "$out" | tr -s ' ' | grep -q "^ $want" || { echo "# thread $tid: no '$want'"; return 1; }
		done
		echo "$out" | grep -q 'mxcsr: *0x00009fc0' || return 1
		echo "$out" | grep -q 'st0: *0x4000c90fdaa22168c235' || return 1
		echo "$out" | grep -q 'prfpreg: *agrees' || return 1
	done <threads.txt
}

run_kernel_core() {
	pat=$(cat /proc/sys/kernel/core_pattern 2>/dev/null)
	case $pat in
	"|"*) skip "kernel core_pattern pipes cores to '$pat'"; return ;;
	esac
	mkdir k && cd k || return
	# The inner shell reports the SIGSEGV (to /dev/null), not this one.
	sh -c 'ulimit -c unlimited && "$0" avx crash 3; true' "$COREPAT" >threads.txt 2>/dev/null
	core=$(ls core* 2>/dev/null | head -1)
	if [ -z "$core" ]; then
		cd .. && skip "no core written (core_pattern '$pat', ulimit -c not raisable?)"
		return
	fi
	check "kernel core: 3 threads, producer kernel" \
		"'$XSAVECTL' inspect '$core' | grep -q 'threads: *3' && '$XSAVECTL' inspect '$core' | grep -q 'producer: *kernel'"
	check "kernel core: every thread holds its pattern, NT_PRFPREG agrees" "pattern_ok '$core' avx"
	gdb_regs "$core" >gdb.txt
	xs_regs "$core" >xs.txt
	check "kernel core: ymm0-15, st0, mxcsr of every thread equal what gdb prints" \
		"[ \$(wc -l <gdb.txt) = 54 ] && same_regs gdb.txt xs.txt"
	check "kernel core: check --xcr0 x87,sse says incompatible (exit 1)" \
		"'$XSAVECTL' check --xcr0 x87,sse '$core' >/dev/null; [ \$? = 1 ]"
	# A profile of this host: its XCR0 and its layout (a bare --xcr0 mask has no layout, so
	# an AVX-512 core whose ZMM bytes differ between Intel and AMD offsets is not ok there).
	# The binary itself (XSAVECTL_BIN) makes it: under valgrind CPUID is valgrind's CPU.
	host_xcr0=$(core_xcr0 "$core")
	check "kernel core: filter --target (this host's profile, XCR0 $host_xcr0) writes an identical copy" \
		"'${XSAVECTL_BIN:-$XSAVECTL}' host --no-kvm --save-profile hp.json >/dev/null &&
		 '$XSAVECTL' filter --target hp.json -o f.core '$core' >/dev/null && cmp -s '$core' f.core"
	tid=$(awk '$2 == 1 { print $4 }' threads.txt)
	check "kernel core: extract --thread writes that thread's NT_X86_XSTATE" \
		"'$XSAVECTL' extract --thread $tid -o t.bin '$core' >/dev/null && '$XSAVECTL' inspect -r t.bin | tr -s ' ' | grep -q '^ ymm7: $(expect 1 7)'"
	check "kernel core: extract without --thread on 3 threads is a usage error (64)" \
		"'$XSAVECTL' extract -o t2.bin '$core' 2>/dev/null; [ \$? = 64 ] && [ ! -e t2.bin ]"
	cd ..
}

# gcore of a running corepat: $1 = avx|sse, $2 = threads, $3 = output name.
make_gcore() {
	"$COREPAT" "$1" hold "$2" >threads.txt 2>/dev/null &
	pid=$!
	i=0
	while ! grep -q ready threads.txt 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	gdb -batch -nx -p "$pid" -ex "gcore $3" >/dev/null 2>&1
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	sed -i '/ready/d' threads.txt
	[ -s "$3" ]
}

run_gcore() {
	mkdir g && cd g || return
	if ! make_gcore avx 2 a.core; then
		cd .. && skip "gdb could not attach and gcore (ptrace restricted?)"
		return
	fi
	host_xcr0=$(core_xcr0 a.core)
	check "gcore: producer gdb gcore, XSTATE_BV = XCR0 ($host_xcr0) in every thread" \
		"'$XSAVECTL' inspect a.core | grep -q 'producer: *gdb gcore' && [ \$('$XSAVECTL' inspect a.core | grep -c 'xstate_bv: *$host_xcr0 ') = 2 ]"
	check "gcore: every thread holds its pattern" "pattern_ok a.core avx"
	gdb_regs a.core >gdb.txt
	xs_regs a.core >xs.txt
	check "gcore: ymm0-15, st0, mxcsr of every thread equal what gdb prints" \
		"[ \$(wc -l <gdb.txt) = 36 ] && same_regs gdb.txt xs.txt"

	make_gcore sse 2 s.core
	check "gcore, SSE-only threads: AVX at init, check --xcr0 x87,sse says fixable (exit 2)" \
		"'$XSAVECTL' check --xcr0 x87,sse s.core >/dev/null; [ \$? = 2 ]"
	check "gcore: filter --xcr0 x87,sse clears the AVX bit, nothing lost" \
		"'$XSAVECTL' filter --xcr0 x87,sse -o f.core s.core >/dev/null && '$XSAVECTL' check --xcr0 x87,sse f.core >/dev/null"
	check "gcore: the filtered core differs from the input in one byte per thread" \
		"[ \$(stat -c %s s.core) = \$(stat -c %s f.core) ] && [ \$(cmp -l s.core f.core | wc -l) = 2 ]"
	gdb_regs s.core >a.txt
	gdb_regs f.core >b.txt
	check "gcore: gdb reads the filtered core; every register equals the input's" \
		"[ -s a.txt ] && cmp -s a.txt b.txt"
	gzip -k s.core
	check "gcore: filter on a gzip'ed core writes gzip with the same content" \
		"'$XSAVECTL' filter --xcr0 x87,sse -o f.core.gz s.core.gz >/dev/null && gzip -dc f.core.gz | cmp -s - f.core"
	cp s.core inplace.core
	check "gcore: filter --in-place on a core" \
		"'$XSAVECTL' filter --xcr0 x87,sse --in-place inplace.core >/dev/null && cmp -s inplace.core f.core"
	cd ..
}

if ! command -v gdb >/dev/null; then
	skip "gdb is not installed (apt-get install gdb)"
else
	run_kernel_core
	run_gcore
fi
tap_done
