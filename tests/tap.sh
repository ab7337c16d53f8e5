# Sourced by the shell test suites: TAP lines and the closing count.
#   TAP_NAME=... ; . tests/tap.sh
#   ok TEXT / no TEXT     a passing / failing check
#   check TEXT EXPR       eval EXPR: ok or not ok
#   skip WHY              a visible "# SKIP" line
#   tap_done              "# NAME: N passed, M failed"; the suite's exit status
#   patch FILE OFF HEX    write the bytes HEX (e.g. 0002ff) into FILE at offset OFF
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
patch() {	# patch FILE OFFSET HEXBYTES (octal escapes: dash's printf has no \x)
	hex=$3 esc=
	while [ -n "$hex" ]; do
		esc="$esc\\$(printf %o $((0x${hex%"${hex#??}"})))"
		hex=${hex#??}
	done
	printf "$esc" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
