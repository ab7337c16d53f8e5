#!/bin/sh
# The shared object exports exactly what lib/libxsave.sym lists, each symbol under the
# version node that lists it, and the public headers (include/) declare exactly the
# listed functions; nothing of lib/internal/ leaks out.
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
# Every function the public headers declare (gcc's -aux-info lists them), and nothing else.
if command -v gcc >/dev/null; then
	echo '#include <xsave.h>' | gcc -I"$top/include" -x c -fsyntax-only -aux-info "$tmp/aux" - &&
		grep '^/\* [^ ]*include/xsave.* extern ' "$tmp/aux" |
		sed 's/.*[ *]\(xs_[a-z0-9_]*\) (.*/\1/' | sort -u >"$tmp/declared"
	cut -d' ' -f1 "$tmp/listed" | sort -u >"$tmp/names"
	if ! cmp -s "$tmp/declared" "$tmp/names"; then
		echo "symbols: the public headers declare other functions than lib/libxsave.sym lists:"
		diff "$tmp/declared" "$tmp/names" | sed -n 's/^< /  declared, not listed: /p; s/^> /  listed, not declared: /p'
		st=1
	fi
else
	echo "symbols: no gcc: the headers' declarations not compared"
fi
# The Debian symbols file names the same symbols under the same nodes.
debsym=$(ls "$top"/debian/libxsave*.symbols 2>/dev/null | head -1)
if [ -n "$debsym" ]; then
	sed -n 's/^ \(xs_[a-z0-9_]*\)@\([A-Z0-9_.]*\) .*/\1 \2/p' "$debsym" | sort >"$tmp/debian"
	if ! cmp -s "$tmp/listed" "$tmp/debian"; then
		echo "symbols: $debsym lists other symbols than lib/libxsave.sym:"
		diff "$tmp/listed" "$tmp/debian" | sed -n 's/^< /  not in the symbols file: /p; s/^> /  only in the symbols file: /p'
		st=1
	fi
fi
[ $st = 0 ] && echo "symbols: $(wc -l <"$tmp/listed") exported, as lib/libxsave.sym lists"
exit $st
