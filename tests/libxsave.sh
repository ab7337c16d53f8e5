#!/bin/sh
# libxsave as others use it: make install into a DESTDIR, then an outside
# program (tests/libxsave/example.c) built with gcc and with clang from the
# installed headers and libxsave.pc only, linked shared and static, run on
# real images.  No path into the source tree is given to the compiler.
# usage: sh tests/libxsave.sh
set -u
TAP_NAME="libxsave"
. "$(dirname "$0")/tap.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
cd "$top" || exit 1
# A build of its own with plain flags: the suite's may be sanitized (check-asan), and
# an outside program is not.
check "make install (PREFIX=/usr, DESTDIR), built plainly" \
	'make -s -j2 BUILD="$dest/build" CFLAGS="-O2 -g" install DESTDIR="$dest" PREFIX=/usr >"$dest/log" 2>&1'
export PKG_CONFIG_PATH="$dest/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
check "pkg-config libxsave: version $(pkg-config --modversion libxsave 2>/dev/null)" \
	'[ "$(pkg-config --modversion libxsave)" = "$(sed -n "s/^#define XS_VERSION_[A-Z]* \([0-9]*\)\$/\1/p" \
		"$dest/usr/include/xsave/version.h" | paste -sd. -)" ]'
check "the installed shared object exports exactly lib/libxsave.sym, soname libxsave.so.1" \
	'so=$(ls "$dest"/usr/lib/libxsave.so.1.*) && sh tests/symbols.sh "$so" >/dev/null &&
	 objdump -p "$so" | grep -q "SONAME *libxsave.so.1$" &&
	 objdump -T "$so" | grep -q "LIBXSAVE_0.3 *xs_state_parse"'
check "no internal header is installed, and none is named by a public one" \
	'[ ! -e "$dest/usr/include/xsave/rd.h" ] && [ ! -e "$dest/usr/include/xsave/journal.h" ] &&
	 [ ! -e "$dest/usr/include/xsave/internal.h" ] &&
	 ! grep -q "xsave/\(rd\|journal\|internal\)\.h" "$dest"/usr/include/xsave.h "$dest"/usr/include/xsave/*.h'
for cc in gcc clang; do
	command -v $cc >/dev/null || { skip "$cc is not installed"; continue; }
	check "$cc: example.c against the installed library (shared)" \
		'$cc -Wall -Wextra -Werror -o "$dest/ex-$cc" tests/libxsave/example.c \
			$(pkg-config --cflags --libs libxsave)'
	check "$cc: it runs on real images (ok 0, then fixable, then incompatible)" \
		'LD_LIBRARY_PATH="$dest/usr/lib" "$dest/ex-$cc" 0x7 tests/data/kvm-get-xsave.bin >"$dest/o" &&
		 grep -q "kvm-get-xsave.bin: ok" "$dest/o" &&
		 { LD_LIBRARY_PATH="$dest/usr/lib" "$dest/ex-$cc" 0x3 tests/data/hw-xsave.bin >/dev/null; [ $? = 1 ]; }'
	check "$cc: linked static (pkg-config --static)" \
		'$cc -Wall -Wextra -Werror -o "$dest/exs-$cc" tests/libxsave/example.c \
			$(pkg-config --cflags libxsave) "$dest/usr/lib/libxsave.a" $(pkg-config --static --libs-only-l libxsave | sed "s/-lxsave//") &&
		 "$dest/exs-$cc" 0x7 tests/data/amd-zen4/kvm-get-xsave.bin | grep -q "incompatible"'
done
check "a C++ compiler accepts the headers (extern \"C\")" \
	'! command -v g++ >/dev/null || echo "#include <xsave.h>
int main() { return xs_version()[0] != 48; }" | g++ -x c++ -fsyntax-only $(pkg-config --cflags libxsave) -'
tap_done
