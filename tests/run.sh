#!/bin/sh
# Run every unit test, the CLI golden tests, the malformed-input catalogue and
# the live tests (real cores, this machine's host facts, KVM probe and KVM load of a relocated
# image, real QEMU streams
# of QEMU 7.2, 10.0 and 11.1 (XSAVECTL_QEMU, XSAVECTL_CHROOTS, XSAVECTL_QEMU_REQUIRE: see
# tests/live/qemu.sh), real libvirt save images, write faults); print one closing line
# "N passed, N failed" and exit non-zero
# when anything failed.  VALGRIND=1 runs every xsavectl under valgrind
# (memcheck; any error or definite leak fails the run, its report is shown).
# usage: [VALGRIND=1] tests/run.sh BUILD_DIR
set -u
build=${1:-build}
bin=$(cd "$build" && pwd)
here=$(dirname "$0")
log=$(mktemp)
status=0
xsavectl=$bin/xsavectl
if [ "${VALGRIND:-}" = 1 ]; then
	vg=$(mktemp -d)
	cat >"$vg/xsavectl" <<EOT
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
	--log-file="$vg/vg.%p.log" "$bin/xsavectl" "\$@"
EOT
	chmod +x "$vg/xsavectl"
	xsavectl=$vg/xsavectl
	export SWEEP_SCALE=7	# fewer truncation points: each run costs a valgrind start
fi

# Run one suite; show everything but its passing lines, keep all for the count.
suite() {
	"$@" >"$log.1" 2>&1 || status=1
	grep -v -E '^ok [0-9]+ - ' "$log.1"
	cat "$log.1" >>"$log"
}

for t in "$build"/tests/test_*; do
	suite "$t"
done
suite env XSAVECTL="$xsavectl" MKXSAVE="$bin/tests/mkxsave" MKSTREAM="$bin/tests/mkstream" \
	sh "$here/cli/run.sh"
# The same golden cases on the walk (as --verify reads every plain stream).
suite env XSAVECTL_VERIFY=1 XSAVECTL="$xsavectl" MKXSAVE="$bin/tests/mkxsave" \
	MKSTREAM="$bin/tests/mkstream" sh "$here/cli/run.sh"
suite env XSAVECTL="$xsavectl" XSAVECTL_BIN="$bin/xsavectl" MKSTREAM="$bin/tests/mkstream" \
	sh "$here/live/inflate.sh"
suite env XSAVECTL="$xsavectl" XSAVECTL_BIN="$bin/xsavectl" COREPAT="$bin/tests/corepat" \
	sh "$here/live/cores.sh"
suite env XSAVECTL="$xsavectl" bash "$here/completion.sh"
suite env XSAVECTL="$xsavectl" sh "$here/ansible/run.sh"
suite sh "$here/install.sh" "$build"
suite sh "$here/libxsave.sh"
suite env XSAVECTL="$xsavectl" sh "$here/live/host.sh"
suite env XSAVECTL="$xsavectl" MKSTREAM="$bin/tests/mkstream" sh "$here/live/hook.sh"
suite env XSAVECTL="$xsavectl" sh "$here/live/probe.sh"
suite env XSAVECTL="$xsavectl" MKXSAVE="$bin/tests/mkxsave" sh "$here/live/relocate-kvm.sh"
suite env XSAVECTL="$xsavectl" MKSTREAM="$bin/tests/mkstream" DATA="$(cd "$here/data" && pwd)" \
	sh "$here/live/faults.sh"
suite env XSAVECTL="$xsavectl" MKXSAVE="$bin/tests/mkxsave" MKSTREAM="$bin/tests/mkstream" \
	DATA="$(cd "$here/data" && pwd)" sh "$here/malformed/run.sh"
fixtures=$(cd "$here/.." && cd ../shared/fixtures 2>/dev/null && pwd)
# (QEMU 7.2 here, 10.0 and 11.1 from tests/chroot.sh's cached chroots, made on first use)
suite env XSAVECTL="$xsavectl" GUEST="$bin/tests/guest.bin" MKSTREAM="$bin/tests/mkstream" \
	FIXTURES="$fixtures" sh "$here/live/qemu.sh"
suite env XSAVECTL="$xsavectl" GUEST="$bin/tests/guest.bin" sh "$here/live/libvirt.sh"
pass=$(grep -c '^ok ' "$log")
fail=$(grep -c '^not ok ' "$log")
rm -f "$log" "$log.1"
if [ -n "${vg:-}" ]; then
	reports=$(find "$vg" -name 'vg.*.log' -size +0 | wc -l)
	if [ "$reports" = 0 ]; then
		echo "ok - valgrind: no memcheck error or definite leak in any run"
		pass=$((pass + 1))
	else
		echo "not ok - valgrind: $reports runs reported errors:"
		find "$vg" -name 'vg.*.log' -size +0 -exec head -n 30 {} \; | sed 's/^/#   /'
		fail=$((fail + 1))
	fi
	rm -rf "$vg"
fi
echo "xsavectl tests: $pass passed, $fail failed"
[ "$status" = 0 ] && [ "$fail" = 0 ]
