# Sourced by the shell test suites: TAP lines and the closing count.
#   TAP_NAME=... ; . tests/tap.sh
#   ok TEXT / no TEXT     a passing / failing check
#   check TEXT EXPR       eval EXPR: ok or not ok
#   skip WHY              a visible "# SKIP" line
#   tap_done              "# NAME: N passed, M failed"; the suite's exit status
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
no() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else no "$1"; fi; }
skip() { echo "# SKIP $TAP_NAME: $1"; }
tap_done() {
	echo "# $TAP_NAME: $((n - fail)) passed, $fail failed"
	[ "$fail" = 0 ]
}
