#!/bin/sh
# make bench: speed and memory of xsavectl on a multi-GiB real QEMU stream.
# The test guest fills its RAM ("fill": 4 random bits a byte, so gzip has
# work to do) and QEMU saves it plainly and through exec:gzip.  Each command
# runs 3 times on a warm page cache; the best time is kept and printed with
# its ratio to the baseline (cat F > /dev/null, gzip -dc F > /dev/null) and
# the command's peak RSS.  BENCH_MIB sets the guest RAM (default 3072).
# usage: XSAVECTL=... GUEST=... MAXRSS=... sh tests/bench/bench.sh
set -eu
: "${XSAVECTL:?}" "${GUEST:?}" "${MAXRSS:?}"
mib=${BENCH_MIB:-3072}
dir=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$dir" && cd "$dir"
echo "# bench in $dir, guest RAM $mib MiB, $(nproc) CPUs, $(uname -r)"

save() {	# save URI: boot the filling guest, wait for READY, migrate to URI
	rm -f con mon.in
	mkfifo mon.in
	qemu-system-x86_64 -accel tcg -machine pc -cpu max -smp 1 -m "$mib" -nodefaults \
		-display none -no-reboot -monitor stdio -kernel "$GUEST" -append fill \
		-debugcon file:con <mon.in >qemu.log 2>&1 &
	pid=$!
	exec 3>mon.in
	while ! grep -q READY con 2>/dev/null; do
		kill -0 $pid || { echo "bench: QEMU died" >&2; exit 1; }
		sleep 0.5
	done
	printf 'migrate "%s"\nquit\n' "$1" >&3
	exec 3>&-
	wait $pid
	rm -f mon.in
}
[ -s big.bin ] || save "exec:cat > big.bin"
[ -s big.gz ] || save "exec:gzip -c > big.gz"

# best SECONDS RSS_KIB of 3 runs of a command (stdout discarded)
best() {
	b=
	for _ in 1 2 3; do
		"$MAXRSS" "$@" >/dev/null 2>m.txt.all || true
		tail -n 1 m.txt.all >m.txt
		read -r t rss _ <m.txt
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t r=$rss; fi
	done
	echo "$b $r"
}
row() {	# row LABEL BASELINE_SECONDS CMD...
	label=$1 base=$2
	shift 2
	set -- $(best "$@")
	printf '%-40s %8.3f s  %6.2fx  %7d KiB\n' "$label" "$1" "$(echo "$1 / $base" | bc -l)" "$2"
}

size=$(stat -c %s big.bin)
zsize=$(stat -c %s big.gz)
cat big.bin >/dev/null
set -- $(best cat big.bin)
cat_t=$1
set -- $(best gzip -dc big.gz)
gz_t=$1
printf '# stream %d bytes (%.1f GiB); gzip %d bytes\n' "$size" "$(echo "$size / 2^30" | bc -l)" "$zsize"
printf '%-40s %8s    %6s  %11s\n' "command" "best" "ratio" "max RSS"
printf '%-40s %8.3f s  %6.2fx\n' "cat big.bin > /dev/null" "$cat_t" 1
row "xsavectl inspect big.bin" "$cat_t" "$XSAVECTL" inspect big.bin
row "xsavectl check --xcr0 0x7 big.bin" "$cat_t" "$XSAVECTL" check --xcr0 0x7 big.bin
# filter --in-place: a fresh copy (rewrites the changed bytes), then again (nothing to change)
once() {
	"$MAXRSS" "$XSAVECTL" filter --in-place --force --xcr0 0x7 ip.bin >/dev/null 2>m.txt.all
	tail -n 1 m.txt.all >m.txt
	read -r t rss _ <m.txt
	printf '%-40s %8.3f s  %6.2fx  %7d KiB  (%s)\n' "$1" "$t" "$(echo "$t / $cat_t" | bc -l)" \
		"$rss" "$2"
}
cp big.bin ip.bin
sync
once "xsavectl filter --in-place" "a fresh copy"
echo "#   it rewrote $(cmp -l big.bin ip.bin | wc -l) bytes of the $size"
once "xsavectl filter --in-place, again" "nothing left to change"
printf '%-40s %8.3f s  %6.2fx\n' "gzip -dc big.gz > /dev/null" "$gz_t" 1
row "xsavectl inspect big.gz" "$gz_t" "$XSAVECTL" inspect big.gz
row "xsavectl check --xcr0 0x7 big.gz" "$gz_t" "$XSAVECTL" check --xcr0 0x7 big.gz
