#!/bin/sh
# Every command and long option the binary knows must appear in the man page
# and be offered by the bash completion (which asks the binary itself).
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
exit $fail
