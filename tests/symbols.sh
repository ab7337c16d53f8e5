#!/bin/sh
# The shared object exports exactly what lib/libxsave.sym lists, each symbol under the
# version node that lists it, and every listed function is declared in a public header
# (include/); nothing of lib/internal/ leaks out.
# usage: sh tests/symbols.sh build/libxsave.so.1.0.0
set -u
so=$1
top=$(cd "$(dirname "$0")/.." && pwd)
sym=$top/lib/libxsave.sym
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
st=0
# "name node" for every listed symbol (comments stripped; nodes open with "NAME {").
sed -e 's|/\*.*\*/||' -e '/\/\*/,/\*\//d' "$sym" | awk '
	/^[A-Za-z0-9_.]+[ \t]*\{/ { node = $1 }
	/^[ \t]+[A-Za-z_][A-Za-z0-9_]*;/ { s = $1; sub(";", "", s); print s, node }' |
	sort >"$tmp/listed"
# "name node" for every defined dynamic symbol but the version nodes themselves.
objdump -T "$so" | awk '$NF != "" && $(NF-1) ~ /^LIBXSAVE_/ && $2 != "" && $0 !~ /\*UND\*/ {
	print $NF, $(NF-1) }' | grep -v '^LIBXSAVE_' | sort >"$tmp/exported"
if ! cmp -s "$tmp/listed" "$tmp/exported"; then
	echo "symbols: $so exports other symbols (or nodes) than lib/libxsave.sym lists:"
	diff "$tmp/listed" "$tmp/exported" | sed -n 's/^< /  listed, not exported: /p; s/^> /  exported, not listed: /p'
	st=1
fi
if nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^xs_' | grep -qv '^LIBXSAVE_'; then
	echo "symbols: $so exports names outside xs_*:"
	nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^xs_\|^LIBXSAVE_'
	st=1
fi
for s in $(cut -d' ' -f1 "$tmp/listed"); do
	grep -qw "$s" "$top"/include/xsave/*.h "$top"/include/xsave.h ||
		{ echo "symbols: $s is exported but no public header declares it"; st=1; }
done
[ $st = 0 ] && echo "symbols: $(wc -l <"$tmp/listed") exported, as lib/libxsave.sym lists"
exit $st
