#!/bin/sh
# Every command and long option the binary knows must appear in the man page
# and be offered by the bash completion (which asks the binary itself); every
# exit code (src/exitcodes.c, also --help's list) in the man page and README.
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
exit $fail
