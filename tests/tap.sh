# Sourced by the shell test suites: TAP lines and the closing count.
#   TAP_NAME=... ; . tests/tap.sh
#   ok TEXT / no TEXT     a passing / failing check
#   check TEXT EXPR       eval EXPR: ok or not ok
#   skip WHY              a visible "# SKIP" line
#   tap_done              "# NAME: N passed, M failed"; the suite's exit status
#   patch FILE OFF HEX    write the bytes HEX (e.g. 0002ff) into FILE at offset OFF (perl)
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
patch() {	# patch FILE OFFSET HEXBYTES (any length: perl writes them, not a byte-by-byte shell loop)
	printf '%s' "$3" | perl -e 'use Fcntl; local $/; my $h = <STDIN>;
		sysopen(my $f, $ARGV[0], O_RDWR | O_CREAT, 0666) or die "$ARGV[0]: $!\n";
		sysseek($f, $ARGV[1], 0) or die "$ARGV[0]: $!\n";
		my $b = pack("H*", $h);
		(syswrite($f, $b) // -1) == length($b) or die "$ARGV[0]: short write\n";
		close($f) or die "$ARGV[0]: $!\n"' "$1" "$2"
}
