#!/bin/sh
# Run every unit test, the CLI golden tests and the live tests (real cores,
# this machine's host facts, real QEMU streams); print one closing line "N passed, N failed" and
# exit non-zero when anything failed.
# usage: tests/run.sh BUILD_DIR
set -u
build=${1:-build}
bin=$(cd "$build" && pwd)
here=$(dirname "$0")
log=$(mktemp)
status=0

# Run one suite; show everything but its passing lines, keep all for the count.
suite() {
	"$@" >"$log.1" 2>&1 || status=1
	grep -v -E '^ok [0-9]+ - ' "$log.1"
	cat "$log.1" >>"$log"
}

for t in "$build"/tests/test_*; do
	suite "$t"
done
suite env XSAVECTL="$bin/xsavectl" MKXSAVE="$bin/tests/mkxsave" MKSTREAM="$bin/tests/mkstream" \
	sh "$here/cli/run.sh"
suite env XSAVECTL="$bin/xsavectl" COREPAT="$bin/tests/corepat" sh "$here/live/cores.sh"
suite env XSAVECTL="$bin/xsavectl" sh "$here/live/host.sh"
suite env XSAVECTL="$bin/xsavectl" MKSTREAM="$bin/tests/mkstream" DATA="$(cd "$here/data" && pwd)" \
	sh "$here/live/faults.sh"
suite env XSAVECTL="$bin/xsavectl" MKXSAVE="$bin/tests/mkxsave" MKSTREAM="$bin/tests/mkstream" \
	DATA="$(cd "$here/data" && pwd)" sh "$here/malformed/run.sh"
fixtures=$(cd "$here/.." && cd ../shared/fixtures 2>/dev/null && pwd)
suite env XSAVECTL="$bin/xsavectl" GUEST="$bin/tests/guest.bin" MKSTREAM="$bin/tests/mkstream" \
	FIXTURES="$fixtures" sh "$here/live/qemu.sh"
pass=$(grep -c '^ok ' "$log")
fail=$(grep -c '^not ok ' "$log")
rm -f "$log" "$log.1"
echo "xsavectl tests: $pass passed, $fail failed"
[ "$status" = 0 ] && [ "$fail" = 0 ]
