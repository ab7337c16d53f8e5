#!/bin/sh
# Golden CLI tests.  Each tests/cli/cases/NAME/ holds:
#   cmd            a shell script run in a fresh directory that has data/ (tests/data)
#                  and xsavectl, mkxsave and mkstream on PATH; its exit status is the case's
#   expected.out   stdout, expected.err stderr, expected.rc the exit status
# UPDATE=1 rewrites the expected files (review the diff before committing).
# XSAVECTL_VERIFY=1 runs every case on the walk (as --verify would), comparing all but the
# "read"/"read_reason" and RAM page-count lines.
# Host facts come from data/cpuid-amd-zen3.txt (XSAVECTL_HOST_CPUID) and the
# kernel series from kernel/ (XSAVECTL_KERNEL_DIR), so no case depends on the
# machine it runs on.
set -u
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "$here/../data" && pwd)
: "${XSAVECTL:?set XSAVECTL to the binary}" "${MKXSAVE:?set MKXSAVE to tests/gen/mkxsave}"
: "${MKSTREAM:?set MKSTREAM to tests/gen/mkstream}"
# CASES=GLOB runs only the cases it names (tests/mutants.sh).  JOBS cases (default: the CPUs)
# run at once, each in its own directory; their lines come out at the end, in the cases' order.

# run_case DIR: run one case; its diffs and its "ok"/"not ok" line on stdout.
run_case() {
	dir=$1
	name=$(basename "$dir")
	work=$(mktemp -d)
	t0=$(date +%s.%N)
	mkdir "$work/.bin"
	ln -s "$XSAVECTL" "$work/.bin/xsavectl"
	ln -s "$MKXSAVE" "$work/.bin/mkxsave"
	ln -s "$MKSTREAM" "$work/.bin/mkstream"
	ln -s "$data" "$work/data"
	ln -s "$here/../../kernel" "$work/kernel"
	(cd "$work" && PATH="$work/.bin:$PATH" XSAVECTL_HOST_CPUID=data/cpuid-amd-zen3.txt \
		XSAVECTL_KERNEL_DIR=kernel \
		sh "$dir/cmd") >"$work/.out" 2>"$work/.err" </dev/null
	echo $? >"$work/.rc"
	[ "${TIMES:-}" = 1 ] && echo "$t0 $(date +%s.%N) $name" | awk '{ printf "%.1f %s\n", $2 - $1, $3 }' >"$res/$k.time"
	if [ "${UPDATE:-}" = 1 ]; then
		cp "$work/.out" "$dir/expected.out"
		cp "$work/.rc" "$dir/expected.rc"
		if [ -s "$work/.err" ]; then cp "$work/.err" "$dir/expected.err"; else rm -f "$dir/expected.err"; fi
	fi
	ok=1
	cp "$dir/expected.out" "$work/.exp"
	if [ "${VALGRIND:-}" = 1 ]; then
		# valgrind computes x87 long doubles in 64 bits: compare ST0-7 by their raw value.
		for f in "$work/.exp" "$work/.out"; do
			sed -E 's/^( +st[0-7]: +0x[0-9a-f]{20}) .*/\1/' "$f" >"$f.raw" && mv "$f.raw" "$f"
		done
	fi
	if [ "${XSAVECTL_VERIFY:-}" = 1 ]; then
		# The walk (forced): the same output but for which read it took and the page counts.
		for f in "$work/.exp" "$work/.out"; do
			grep -v -E '^ *"?(read|read_reason|pages|zero_pages)"?(:| )' "$f" >"$f.v"
			mv "$f.v" "$f"
		done
	fi
	cp "$dir/expected.rc" "$work/.exprc"
	for f in out rc; do
		exp=$work/.exp
		[ $f = rc ] && exp=$work/.exprc
		if ! diff -u "$exp" "$work/.$f" >"$work/.diff"; then
			ok=0
			sed 's/^/# /' "$work/.diff" | head -40
		fi
	done
	exp_err="$dir/expected.err"
	[ -f "$exp_err" ] || exp_err=/dev/null
	if ! diff -u "$exp_err" "$work/.err" >"$work/.diff"; then
		ok=0
		sed 's/^/# /' "$work/.diff" | head -20
	fi
	if [ $ok = 1 ]; then
		echo "ok - $name"
	else
		echo "not ok - $name"
	fi
	rm -rf "$work"
}

res=$(mktemp -d)
trap 'rm -rf "$res"' EXIT
trap 'exit 130' INT TERM HUP
i=0
for dir in "$here"/cases/${CASES:-*}/; do
	i=$((i + 1))
	echo "$dir" >"$res/$i.dir"
done
ncases=$i
# A lane takes the next case no lane has taken (mkdir is the lock).
lane() {
	k=1
	while [ $k -le $ncases ]; do
		mkdir "$res/$k.taken" 2>/dev/null && run_case "$(cat "$res/$k.dir")" >"$res/$k.out" 2>&1
		k=$((k + 1))
	done
}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
j=0
while [ $j -lt "$jobs" ]; do
	lane &
	j=$((j + 1))
done
wait
# Every case's lines in the cases' order.
pass=0
fail=0
k=1
while [ $k -le $ncases ]; do
	cat "$res/$k.out" 2>/dev/null || echo "not ok - $(basename "$(cat "$res/$k.dir")"): not run"
	if tail -n 1 "$res/$k.out" 2>/dev/null | grep -q '^ok - '; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
	k=$((k + 1))
done
# TIMES=1: the ten slowest cases (what a golden case costs under valgrind, say).
if [ "${TIMES:-}" = 1 ]; then
	cat "$res"/*.time 2>/dev/null | sort -rn | head -n 10 | sed 's/^/# time cli case: /; s/ \([^ ]*\)$/ s \1/'
fi
echo "# cli: $pass passed, $fail failed"
[ $fail = 0 ]
