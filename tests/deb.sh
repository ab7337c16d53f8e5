#!/bin/sh
# make check-deb: install the packages make deb built in $DEB_OUT (dpkg -i; root or sudo),
# run the autopkgtest smoke test against them, then remove them again (KEEP_DEB=1 keeps).
set -u
: "${DEB_OUT:?}"
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
pkgs="xsavectl libxsave-dev libxsave1"
remove() {
	[ "${KEEP_DEB:-0}" = 1 ] || $SUDO dpkg --purge $pkgs >/dev/null 2>&1
}
trap remove EXIT
$SUDO dpkg -i "$DEB_OUT"/xsavectl_*.deb "$DEB_OUT"/libxsave1_*.deb "$DEB_OUT"/libxsave-dev_*.deb ||
	{ echo "check-deb: dpkg -i failed"; exit 1; }
dpkg -L xsavectl | grep -q '^/usr/share/doc/xsavectl/kernel/6.1.y/.*\.patch$' ||
	{ echo "check-deb: the kernel patch series is not under /usr/share/doc/xsavectl"; exit 1; }
dpkg -L xsavectl | grep -q '^/usr/share/doc/xsavectl/qemu/7.2/.*\.patch$' ||
	{ echo "check-deb: the QEMU patch series is not under /usr/share/doc/xsavectl"; exit 1; }
[ ! -e /etc/libvirt/hooks/qemu.d/xsavectl ] && ! dpkg -L xsavectl | grep -q '^/etc/' ||
	{ echo "check-deb: the package enables the libvirt hook"; exit 1; }
cd "$top" && sh debian/tests/smoke
