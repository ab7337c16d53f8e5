#!/bin/sh
# Run every unit test, the CLI golden tests and the live core tests; print one closing line
# "N passed, N failed" and exit non-zero when anything failed.
# usage: tests/run.sh BUILD_DIR
set -u
build=${1:-build}
log=$(mktemp)
status=0
for t in "$build"/tests/test_*; do
	"$t" >"$log.1" 2>&1 || status=1
	grep -v -E '^ok [0-9]+ - ' "$log.1"
	cat "$log.1" >>"$log"
done
XSAVECTL=$(cd "$build" && pwd)/xsavectl MKXSAVE=$(cd "$build" && pwd)/tests/mkxsave \
	sh "$(dirname "$0")/cli/run.sh" >"$log.1" 2>&1 || status=1
grep -v -E '^ok [0-9]+ - ' "$log.1"
cat "$log.1" >>"$log"
XSAVECTL=$(cd "$build" && pwd)/xsavectl COREPAT=$(cd "$build" && pwd)/tests/corepat \
	sh "$(dirname "$0")/live/cores.sh" >"$log.1" 2>&1 || status=1
grep -v -E '^ok [0-9]+ - ' "$log.1"
cat "$log.1" >>"$log"
pass=$(grep -c '^ok ' "$log")
fail=$(grep -c '^not ok ' "$log")
rm -f "$log" "$log.1"
echo "xsavectl tests: $pass passed, $fail failed"
[ "$status" = 0 ] && [ "$fail" = 0 ]
