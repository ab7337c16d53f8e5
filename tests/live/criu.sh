#!/bin/sh
# Real CRIU checkpoints: CRIU 4.1 from the trixie chroot (tests/chroot.sh; Debian 12's
# criu 3.17 cannot dump on a 6.x kernel's vDSO) dumps criu-regs (tests/gen/criu-regs.c),
# whose threads hold known x87/SSE/AVX (and AVX-512, PKRU where the CPU has them)
# registers; xsavectl reads every thread and is checked against crit's decoding of the
# same images, judges and filters the checkpoint, and `criu restore` brings the
# filtered copy back: each thread finds its registers intact.
# CRIU runs in a private mount namespace pivoted into the chroot; hardware breakpoints
# are left out (CRIU_FAULT=130: some hypervisors never fire them, and CRIU then waits
# for ever).  Needs root; exits 77 after a visible SKIP line without it, the chroot or
# its criu (tests/run.sh counts that a pass).
# CRIU_SAVE=DIR keeps the checkpoints made (how tests/data/criu-* were made).
# usage: XSAVECTL=... CRIU_REGS=build/tests/criu-regs sh tests/live/criu.sh
set -u
: "${XSAVECTL:?}" "${CRIU_REGS:?}"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
TAP_NAME=live-criu
. "$here/../tap.sh"
skipped() { skip "$1"; exit 77; }
[ "$(id -u)" = 0 ] || skipped "needs root (criu dump and restore, a private mount namespace)"
command -v unshare >/dev/null && command -v python3 >/dev/null || skipped "needs unshare and python3"
root=$(sh "$top/tests/chroot.sh" trixie)
case $? in
0) ;;
77) skipped "no trixie chroot (tests/chroot.sh trixie needs root and debootstrap)" ;;
*) no "the trixie chroot (tests/chroot.sh trixie)"; tap_done; exit 1 ;;
esac
[ -x "$root/usr/sbin/criu" ] && [ -x "$root/usr/bin/crit" ] ||
	skipped "no criu or crit in the trixie chroot $root"
work=$(mktemp -d "$root/tmp/xsavectl-criu.XXXXXX")
in=${work#"$root"}	# the same directory, as the namespace sees it
pids=
trap 'for p in $pids; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
cp "$CRIU_REGS" "$work/criu-regs"

# One private mount namespace pivoted into the chroot, held by a sleeping process, for
# every CRIU step: a checkpoint is restored in the mount namespace it was dumped in.
unshare -m --propagation private sh -eu -c '
root=$1 in=$2
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
cd "$root"
old=$(mktemp -d "$root/tmp/oldroot.XXXXXX")
pivot_root . "$old"
cd /
umount -l "${old#"$root"}"
rmdir "${old#"$root"}"
: >"$in/ns-ready"
exec sleep 600' holder "$root" "$in" </dev/null >/dev/null 2>"$work/ns.err" &
holder=$!
pids="$pids $holder"
for i in $(seq 100); do [ -e "$work/ns-ready" ] && break; sleep 0.05; done
[ -e "$work/ns-ready" ] || { no "a mount namespace pivoted into $root"
	sed 's/^/# /' "$work/ns.err"; tap_done; exit 1; }
# inns CMD...: CMD in that namespace
inns() { nsenter -t "$holder" -m -r -w "$@"; }

# start NAME MODE N: criu-regs's daemon; sets pid, loaded (its load mask), xcr0
start() {
	mkdir -p "$work/run.$1"
	set -- $(inns "$in/criu-regs" "$in/run.$1" "$2" "$3") x x x
	[ "$1" != x ] || return 1
	pid=$1 loaded=$2 xcr0=$3
	pids="$pids $pid"
}

# dump PID DIR: criu dump and criu cpuinfo dump into DIR (under the work directory)
dump() {
	mkdir -p "$work/$2"
	inns sh -c "CRIU_FAULT=130 criu dump -t $1 -D $in/$2 -o dump.log &&
		criu cpuinfo dump -D $in/$2 -o cpuinfo.log" >"$work/$2.out" 2>&1 || return 1
	# the dumped process is gone before its PID is restored
	for i in $(seq 100); do [ -e "/proc/$1" ] || break; sleep 0.02; done
	rm -f "$work/$2"/*.log
}

# restore DIR NAME N: criu restore -d, SIGUSR1, every thread's result (result.T)
restore() {
	rm -f "$work/run.$2"/result.*
	inns sh -c "CRIU_FAULT=130 criu restore -d -D $in/$1 -o $in/$1.restore.log" \
		>"$work/$1.rst" 2>&1 ||
		{ echo "# criu restore -D $1 failed:"; tail -n 5 "$work/$1.restore.log" | sed 's/^/# /'
		  return 1; }
	kill -USR1 "$pid"
	for i in $(seq 100); do
		[ "$(cat "$work/run.$2"/result.* 2>/dev/null | wc -l)" = "$3" ] && break
		sleep 0.05
	done
	cat "$work/run.$2"/result.* 2>/dev/null | sed 's/^/# /'
	[ "$(grep -c '^ok thread' "$work/run.$2"/result.* 2>/dev/null | awk -F: '{ n += $NF } END { print n + 0 }')" = "$3" ]
}

# crosscheck DIR: every thread's registers against crit show of its core image
crosscheck() {
	"$XSAVECTL" inspect -r --json "$work/$1" >"$work/$1.json" || return 1
	for core in "$work/$1"/core-*.img; do
		tid=${core##*/core-}
		tid=${tid%.img}
		chroot "$root" crit show "$in/$1/core-$tid.img" >"$work/$1.crit.$tid" &&
		python3 "$here/criu-crosscheck.py" "$work/$1.crit.$tid" "$work/$1.json" "$tid" |
			sed 's/^/# /' || return 1
	done
}

# Every pattern the CPU has, two threads: read exactly, refused by a smaller target,
# restored as dumped.
if start all all 2 && dump "$pid" all; then
	ok "criu dump of criu-regs (all, 2 threads, XCR0 $xcr0)"
	crosscheck all && ok "every register of both threads agrees with crit show" ||
		no "crit show and xsavectl disagree"
	"$XSAVECTL" inspect --json "$work/all" | python3 -c '
import json, sys
d = json.load(sys.stdin)["inputs"][0]
bv = {s["thread"]: s["xstate_bv"] for s in d["states"]}
sys.exit(0 if len(bv) == 2 and {int(v, 16) for v in bv.values()} == {int(sys.argv[1], 16)}
         else 1)' "$loaded" &&
		ok "2 threads, each with XSTATE_BV $loaded" || no "threads or XSTATE_BV (want 2, $loaded)"
	"$XSAVECTL" filter --xcr0 "$loaded" -o "$work/all.same" "$work/all" >/dev/null &&
		diff -r "$work/all" "$work/all.same" >/dev/null &&
		ok "filter to its own XCR0: an exact copy of the directory" || no "filter to its own XCR0"
	if [ $((loaded & 0xe0)) != 0 ]; then
		"$XSAVECTL" filter --xcr0 x87,sse,avx -o "$work/all.avx" "$work/all" >/dev/null 2>&1
		rc=$?
		[ $rc = 1 ] && [ ! -e "$work/all.avx" ] &&
			ok "filter to x87,sse,avx refused (AVX-512 holds data): exit 1, nothing written" ||
			no "filter to x87,sse,avx of live AVX-512 state: exit $rc"
	fi
	restore all all 2 && ok "criu restore: both threads find their registers" ||
		no "criu restore of the unfiltered checkpoint"
	[ -n "${CRIU_SAVE:-}" ] && mkdir -p "$CRIU_SAVE" && cp -r "$work/all" "$CRIU_SAVE/all"
else
	no "criu dump of criu-regs (all)"
	cat "$work/all.out" 2>/dev/null | sed 's/^/# /'
fi

# crit_edit DIR TO PYTHON: a copy of DIR whose core entries crit decodes, PYTHON (on
# each entry's fpregs.xsave dict, xs) changes and crit encodes again
crit_edit() {
	cp -r "$work/$1" "$work/$2"
	for core in "$work/$2"/core-*.img; do
		chroot "$root" crit decode -i "$in/$2/${core##*/}" -o "$in/$2/edit.json" &&
		python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
xs = d["entries"][0]["thread_info"]["fpregs"]["xsave"]
exec(sys.argv[2])
json.dump(d, open(sys.argv[1], "w"))' "$work/$2/edit.json" "$3" &&
		chroot "$root" crit encode -i "$in/$2/edit.json" -o "$in/$2/${core##*/}" || return 1
	done
	rm -f "$work/$2/edit.json"
}

# x87/SSE/AVX data, the components past AVX holding their init values.  This CPU's
# XSAVE may count those as not in use (XSTATE_BV 0x7: nothing to strip, a copy); the
# same checkpoint with their XSTATE_BV bits set (by crit: CRIU's own encoding) is what
# a CPU that counts them in use writes: filtered to x87,sse,avx losing nothing, and
# restored from the filtered copy.
if [ $((xcr0 & ~7)) = 0 ]; then
	skip "this CPU has nothing past AVX to filter away (XCR0 $xcr0)"
elif start avx avx 2 && dump "$pid" avx; then
	ok "criu dump of criu-regs (avx, 2 threads)"
	crosscheck avx && ok "avx: every register agrees with crit show" || no "avx: crit disagrees"
	crit_edit avx avx.bv "xs[\"xstate_bv\"] = $loaded" &&
		ok "its XSTATE_BV set to $loaded by crit decode/encode" || no "crit decode/encode"
	"$XSAVECTL" check --xcr0 x87,sse,avx "$work/avx.bv" >/dev/null
	rc=$?
	[ $rc = 2 ] && ok "check --xcr0 x87,sse,avx: exit 2 (filter makes it loadable)" ||
		no "check --xcr0 x87,sse,avx: exit $rc, not 2"
	"$XSAVECTL" filter --xcr0 x87,sse,avx -o "$work/avx.f" "$work/avx.bv" >"$work/filter.out" 2>&1 &&
		ok "filter --xcr0 x87,sse,avx -o DIR" || { no "filter"; sed 's/^/# /' "$work/filter.out"; }
	"$XSAVECTL" inspect --json "$work/avx.f" | python3 -c '
import json, sys
d = json.load(sys.stdin)["inputs"][0]
sys.exit(0 if all(s["xstate_bv"] == "0x7" and s["arrays"] == "0x4" for s in d["states"]) else 1)' &&
		ok "the filtered entries: XSTATE_BV 0x7, the AVX array alone" || no "the filtered entries"
	crosscheck avx.f && ok "the filtered copy agrees with crit show" || no "crit on the filtered copy"
	# what crit encodes for the same change: byte for byte the filtered core images
	crit_edit avx.bv avx.want 'xs["xstate_bv"] = 7
for k in ("opmask_reg", "zmm_upper", "hi16_zmm", "pkru", "bndreg_state", "bndcsr_state"):
    xs.pop(k, None)' && diff -r "$work/avx.want" "$work/avx.f" >/dev/null &&
		ok "the filtered checkpoint is byte for byte what crit encodes for it" ||
		no "the filtered checkpoint differs from crit's encoding"
	cp -r "$work/avx.bv" "$work/avx.ip"
	"$XSAVECTL" filter --in-place --xcr0 x87,sse,avx "$work/avx.ip" >/dev/null &&
		diff -r "$work/avx.f" "$work/avx.ip" >/dev/null &&
		ok "filter --in-place writes the same core images" || no "filter --in-place"
	restore avx.f avx 2 && ok "criu restore of the filtered copy: both threads find their registers" ||
		no "criu restore of the filtered copy"
	[ -n "${CRIU_SAVE:-}" ] && cp -r "$work/avx" "$work/avx.bv" "$work/avx.f" "$CRIU_SAVE/"
else
	no "criu dump of criu-regs (avx)"
	cat "$work/avx.out" 2>/dev/null | sed 's/^/# /'
fi
tap_done
