#!/bin/sh
# make bench-matrix (also part of make bench): a fleet matrix of 1,000 states
# (a 1,000-vCPU stream from tests/gen/mkstream, synthetic) against 100 host
# profiles (saved by `xsavectl host --save-profile` from the recorded CPUID
# files in tests/data, 100 host names).  Prints each run's best of 3 and what
# the 100 targets cost beyond reading the states and judging them once.
# usage: XSAVECTL=... MKSTREAM=... DATA=... sh tests/bench/matrix.sh
set -eu
: "${XSAVECTL:?}" "${MKSTREAM:?}" "${DATA:?}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
"$MKSTREAM" --xcr0 0x207 --bv 0x207 --subs pkru --vcpus 1000 fleet.mig
targets=
i=0
for f in cpuid-intel-emr.txt cpuid-intel-broadwell.txt cpuid-amd-zen3.txt cpuid-amd-zen4.txt \
	cpuid-amd-zen4-avx512.txt; do
	for _ in $(seq 20); do
		i=$((i + 1))
		sed "s/^hostname=.*//" "$DATA/$f" >h.txt
		echo "hostname=host$i" >>h.txt
		"$XSAVECTL" host --cpuid-file h.txt --save-profile "p$i.json" >/dev/null
		targets="$targets --target p$i.json"
	done
done
one="--target p1.json"
lines=$("$XSAVECTL" check -q $targets fleet.mig | wc -l)
[ "$lines" = $((1000 * i)) ] || { echo "matrix: $lines verdicts, not $((1000 * i))" >&2; exit 1; }
best() {	# best SECONDS of 3 runs of a command (stdout discarded)
	b=
	for _ in 1 2 3; do
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1 || true
		t=$(echo "$(date +%s.%N) - $s" | bc)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}
states=$("$XSAVECTL" inspect -q fleet.mig | wc -l)
echo "# matrix: $states states x $i profiles, $(nproc) CPUs"
r1=$(best "$XSAVECTL" check -q $one fleet.mig)
printf '%-44s %8.3f s\n' "check, 1 target (read + judge once)" "$r1"
for mode in "-q" "" "--json"; do
	r=$(best "$XSAVECTL" check $mode $targets fleet.mig)
	printf '%-44s %8.3f s  %+8.3f s beyond reading\n' "check ${mode:-(text)}, $i targets" "$r" \
		"$(echo "$r - $r1" | bc)"
done
