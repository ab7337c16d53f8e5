#!/bin/sh
# make install into a DESTDIR with another PREFIX: the installed probe names that
# prefix's kernel series, the in-tree ./xsavectl is not rebuilt, and make
# uninstall removes every file it wrote (and the directories it emptied).
# usage: sh tests/install.sh BUILD_DIR
set -u
build=${1:-build}
TAP_NAME="install"
. "$(dirname "$0")/tap.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
cd "$top" || exit 1
before=$(cksum <xsavectl 2>/dev/null)
check "make install DESTDIR PREFIX=/opt/xs" \
	'make -s BUILD="$build" install DESTDIR="$dest" PREFIX=/opt/xs >"$dest.log" 2>&1'
check "the in-tree ./xsavectl is untouched" '[ "$(cksum <xsavectl 2>/dev/null)" = "$before" ]'
check "the installed binary, man page, completion, kernel and QEMU series are there" \
	'[ -x "$dest/opt/xs/bin/xsavectl" ] && [ -f "$dest/opt/xs/share/man/man1/xsavectl.1" ] &&
	 [ -f "$dest/opt/xs/share/bash-completion/completions/xsavectl" ] &&
	 ls "$dest"/opt/xs/share/xsavectl/kernel/6.1.y/*.patch >/dev/null &&
	 ls "$dest"/opt/xs/share/xsavectl/qemu/7.2/*.patch >/dev/null &&
	 [ -x "$dest/opt/xs/share/xsavectl/hooks/qemu" ]'
check "the installed probe names /opt/xs's kernel series" \
	'strings "$dest/opt/xs/bin/xsavectl" | grep -q "^/opt/xs/share/xsavectl/kernel"'
check "make uninstall leaves nothing behind" \
	'make -s BUILD="$build" uninstall DESTDIR="$dest" PREFIX=/opt/xs >>"$dest.log" 2>&1 &&
	 [ -z "$(find "$dest" -mindepth 1 ! -type d)" ] && [ ! -d "$dest/opt/xs/share/xsavectl" ]'
rm -f "$dest.log"
tap_done
