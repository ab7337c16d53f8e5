#!/bin/sh
# Run the qemu-system-x86_64 of a chroot made by tests/chroot.sh, for the live
# QEMU suite: in a private mount namespace (unshare), so every mount made here
# goes away with the process, whatever ends it; /dev (KVM) and /proc are bound
# in, the chroot's /tmp is a fresh tmpfs and the caller's working directory is
# bound at /tmp/xsavectl-live, where QEMU starts.  Relative paths in QEMU's
# arguments and in exec: URIs (run by the chroot's /bin/sh) therefore name the
# caller's files.  The process ends as QEMU itself (exec all the way down): its
# pid and exit status are QEMU's.  Exit 125 when the namespace cannot be set up.
# usage: sh tests/live/qemu-chroot.sh CHROOT QEMU-ARGS...
set -u
root=$1
shift
exec unshare --mount --propagation private sh -c '
root=$1 cwd=$2
shift 2
mount --rbind /dev "$root/dev" && mount -t proc proc "$root/proc" &&
	mount -t tmpfs tmpfs "$root/tmp" && mkdir "$root/tmp/xsavectl-live" &&
	mount --bind "$cwd" "$root/tmp/xsavectl-live" || exit 125
exec chroot "$root" /bin/sh -c "cd /tmp/xsavectl-live && exec qemu-system-x86_64 \"\$@\"" qemu "$@"
' sh "$root" "$PWD" "$@"
