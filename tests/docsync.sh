#!/bin/sh
# Every command and long option the binary knows must appear in the man page
# and be offered by the bash completion (which asks the binary itself); every
# exit code (src/exitcodes.c, also --help's list) in the man page and README.
# The lists written out by hand elsewhere must be the binary's: the exit-status ranking
# (exitcodes.c's exit_rank), the mask words (lib/layout.c's message, which
# tests/unit/test_words.c derives from the component tables) and the version.
set -u
bin=$1
man=$(dirname "$0")/../man/xsavectl.1
fail=0
for cmd in $("$bin" --list-commands); do
	grep -q "^\.Ss $cmd\$" "$man" || { echo "docsync: command '$cmd' missing from $man"; fail=1; }
	for opt in $("$bin" "$cmd" --list-options); do
		o=${opt#--}
		grep -q "Fl \\\\-$o\\b\|Fl -$o\\b" "$man" ||
			{ echo "docsync: $cmd $opt missing from $man"; fail=1; }
	done
done
# Every exit code the binary knows is in the man page's EXIT STATUS and the README's table.
readme=$(dirname "$0")/../README.md
for code in $("$bin" --list-exit-codes); do
	sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /p' "$man" | grep -q "^\.It $code\$" ||
		{ echo "docsync: exit code $code missing from the man page's EXIT STATUS"; fail=1; }
	grep -q "^| $code |" "$readme" || { echo "docsync: exit code $code missing from README's table"; fail=1; }
done
top=$(dirname "$0")/..
# same FILE MIN WHAT REGEX WANT: every match of REGEX in FILE is WANT, and there are MIN at least.
same() {
	n=0
	while IFS= read -r got; do
		[ -n "$got" ] || continue
		n=$((n + 1))
		[ "$got" = "$5" ] || { echo "docsync: $1: $3 '$got', not '$5'"; fail=1; }
	done <<EOT
$(grep -oE -- "$4" "$1")
EOT
	[ "$n" -ge "$2" ] || { echo "docsync: $1: $3 missing ('$5')"; fail=1; }
}
rank=$("$bin" --list-exit-codes | paste -sd' ' - | sed 's/ / > /g')
for f in "$readme:2" "$man:1" "$top/src/util.h:0"; do
	same "${f%:*}" "${f##*:}" "the exit-status ranking" '[0-9]+( > [0-9]+){3,}' "$rank"
done
words=$("$bin" check --xcr0 , /dev/null 2>&1 | sed -n 's/.*(try \([a-z0-9_,]*\) or bitN).*/\1/p')
[ -n "$words" ] || { echo "docsync: no mask words in the --xcr0 error message"; fail=1; }
for f in "$readme:1" "$man:0" "$top/include/xsave/layout.h:1" "$top/src/targets.c:1"; do
	same "${f%:*}" "${f##*:}" "the mask words" 'x87(,[a-z0-9_]+){4,}' "$words"
done
# The man page names every word a mask may hold (--list-components), and no other.
listed=$(sed -n '/component and group names:$/,/^or$/p' "$man" | sed '1d;$d' | sed 's/^\.Li //' |
	tr ',' '\n' | tr -d ' ' | grep -v '^$' | sort | paste -sd' ' -)
known=$("$bin" --list-components | sort | paste -sd' ' -)
[ "$listed" = "$known" ] ||
	{ echo "docsync: $man: the mask words are '$listed', not '$known'"; fail=1; }
version=$("$bin" --version | sed -n 's/^xsavectl //p')
same "$readme" 1 "the version in its JSON example" '"xsavectl_version": "[^"]*"' \
	"\"xsavectl_version\": \"$version\""
exit $fail
