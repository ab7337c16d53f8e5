#!/bin/sh
# Debian chroots with newer producers, made with debootstrap (--variant=minbase)
# from the mirror apt already uses and cached; the system's own QEMU 7.2 and
# libvirt 9.0 are never replaced.
#   tests/chroot.sh NAME      prints the chroot's directory once it is ready
# NAME: trixie (QEMU 10.0, libvirt 11.3, CRIU 4.1) or sid (QEMU 11.1).  Chroots live under
# $XSAVECTL_CHROOTS (default: build-chroot in the checkout).  A stamp records the
# suite and package list; a cached chroot of the same suite whose packages are
# some of those wanted gets the others installed (apt-get); one whose stamp
# differs otherwise is made again.
# Needs root and the mirror; exits 77 (skip) without root or debootstrap.
set -eu
name=$1
case $name in
trixie) suite=trixie
	pkgs="qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
		criu python3-pycriu" ;;
sid)	suite=sid pkgs="qemu-system-x86" ;;
*)	echo "chroot.sh: unknown chroot '$name' (trixie, sid)" >&2; exit 64 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
root=${XSAVECTL_CHROOTS:-$top/build-chroot}
dir=$root/$name
pkgs=$(echo $pkgs | tr ' ' '\n' | sort -u | tr '\n' ',' | sed 's/,$//')
want="$suite $pkgs"
# One maker at a time (several suites may ask at once); the others wait, then
# find it made.
if command -v flock >/dev/null && mkdir -p "$root" 2>/dev/null && [ -w "$root" ]; then
	exec 9>>"$root/.$name.lock"
	flock 9
fi
if [ -f "$dir/.xsavectl-chroot" ] && [ "$(cat "$dir/.xsavectl-chroot")" = "$want" ]; then
	echo "$dir"
	exit 0
fi
[ "$(id -u)" = 0 ] || { echo "chroot.sh: debootstrap needs root" >&2; exit 77; }
# apt in the chroot reads the mirror as the host's apt does: where the host
# accepts a Release file past its Valid-Until date (a mirror snapshot older
# than this machine's clock), so does the chroot (signatures are checked).
aptopt=
for opt in Check-Valid-Until Check-Date; do
	[ "$(apt-config dump 2>/dev/null | sed -n "s/^Acquire::$opt \"\(.*\)\";\$/\1/p")" = false ] &&
		aptopt="$aptopt -o Acquire::$opt=false"
done
# A cached chroot of this suite with some of the packages: the others added.
have=$(cat "$dir/.xsavectl-chroot" 2>/dev/null || true)
missing=
if [ "${have%% *}" = "$suite" ]; then
	for p in $(echo "${have#* }" | tr , ' '); do
		case ",$pkgs," in *",$p,"*) ;; *) missing=rebuild ;; esac
	done
	[ "$missing" = rebuild ] ||
		missing=$(for p in $(echo "$pkgs" | tr , ' '); do
			case ",${have#* }," in *",$p,"*) ;; *) echo "$p" ;; esac
		done)
fi
if [ -n "$missing" ] && [ "$missing" != rebuild ]; then
	chroot "$dir" sh -c "DEBIAN_FRONTEND=noninteractive apt-get$aptopt update -q &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(echo $missing) &&
		apt-get clean" >>"$dir.log" 2>&1 || { echo "chroot.sh: adding $(echo $missing) to the $suite chroot failed; see $dir.log" >&2; exit 1; }
	echo "$want" >"$dir/.xsavectl-chroot"
	echo "$dir"
	exit 0
fi
command -v debootstrap >/dev/null || { echo "chroot.sh: debootstrap is not installed" >&2; exit 77; }
# The mirror apt uses: deb822 sources first, then sources.list.
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
	grep -v security | head -n 1 || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' \
	/etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
mkdir -p "$root"
rm -rf "$dir.tmp"
# debootstrap --include cannot order systemd's pre-dependencies (libvirt pulls
# them in): bootstrap the base system, then install the producers with apt.
fail() {
	echo "chroot.sh: $1 failed; see $dir.log" >&2
	tail -n 5 "$dir.log" >&2
	exit 1
}
debootstrap --variant=minbase "$suite" "$dir.tmp" "$mirror" >"$dir.log" 2>&1 ||
	fail "debootstrap $suite"
printf '#!/bin/sh\nexit 101\n' >"$dir.tmp/usr/sbin/policy-rc.d"	# start no services
chmod +x "$dir.tmp/usr/sbin/policy-rc.d"
echo "deb $mirror $suite main" >"$dir.tmp/etc/apt/sources.list"
chroot "$dir.tmp" sh -c "DEBIAN_FRONTEND=noninteractive apt-get$aptopt update -q &&
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(echo "$pkgs" | tr , ' ') &&
	apt-get clean" >>"$dir.log" 2>&1 || fail "apt-get install in the $suite chroot"
echo "$want" >"$dir.tmp/.xsavectl-chroot"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "$dir"
