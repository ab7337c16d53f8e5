#!/bin/sh
# SPDX-License-Identifier: MIT
# The boundary of src/'s rooms.  The include graph between units (a unit: x.c with its
# x.h and its private x_impl.h) has no cycle; no file of src/fmt, src/sys or src/out
# includes the command layer (cmd.h, batch.h); src/codec is a leaf under them (nothing
# of src/fmt, src/sys, src/out or the command layer); nothing in src/fmt, src/sys or
# src/codec prints (failures are values, fail.h and xs_diag; only progress.c draws its
# line on stderr).  Quoted includes are resolved against src/ (the build's -Isrc).  Exit
# 1 with each offence said.
cd "$(dirname "$0")/../src" || exit 1
prints=$(grep -nE '\<(msg_err|msg_note|msg_diag|fail_print|printf|puts|perror)\(|\<f(printf|puts|putc)\([^;]*\<std(err|out)\>' \
	fmt/*.c sys/*.c codec/*.c | grep -v '^sys/progress\.c:')
if [ -n "$prints" ]; then
	echo "$prints" | sed 's/^/includes.sh: prints below the commands: /'
	st=1
fi
for f in $(find . -name '*.[ch]' | sed 's|^\./||' | sort); do
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
		while read -r h; do [ -f "$h" ] && echo "$f $h"; done
done | awk '
	$1 ~ /^(fmt|sys|out)\// && ($2 == "cmd.h" || $2 == "batch.h") {
		print "includes.sh: " $1 " includes the command layer (" $2 ")"; bad = 1
	}
	$1 ~ /^codec\// && ($2 ~ /^(fmt|sys|out)\// || $2 == "cmd.h" || $2 == "batch.h") {
		print "includes.sh: " $1 " (the codec layer) includes " $2; bad = 1
	}
	{
		a = $1; b = $2; sub(/\.[ch]$/, "", a); sub(/\.[ch]$/, "", b)
		# x_impl.h is the private header of x.c (codec/codec_impl.h): the same unit
		sub(/_impl$/, "", a); sub(/_impl$/, "", b)
		if (a != b && !seen[a, b]++) { n = ++deg[a]; to[a, n] = b }
		nodes[a]; nodes[b]
	}
	function visit(v,    i, w) {
		state[v] = 1; stack[++sp] = v
		for (i = 1; i <= deg[v]; i++) {
			w = to[v, i]
			if (state[w] == 1) {
				cyc = w
				for (k = sp; k >= 1 && stack[k] != w; k--)
					cyc = stack[k] " -> " cyc
				print "includes.sh: include cycle: " w " -> " cyc; bad = 1
			} else if (!state[w])
				visit(w)
		}
		sp--; state[v] = 2
	}
	END {
		for (v in nodes) if (!state[v]) visit(v)
		exit bad
	}' || st=1
exit ${st:-0}
