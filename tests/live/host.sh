#!/bin/sh
# `xsavectl host` on the machine the tests run on (no XSAVECTL_HOST_CPUID):
# whatever the CPU, it must succeed, record facts that read back unchanged,
# and agree with itself on the target mask.
# usage: XSAVECTL=... sh tests/live/host.sh
set -u
: "${XSAVECTL:?}"
unset XSAVECTL_HOST_CPUID
TAP_NAME="live host"
. "$(dirname "$0")/../tap.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

check "live host: report succeeds, text and JSON" \
	"'$XSAVECTL' host >h.txt && '$XSAVECTL' host --json >h.json && grep -q '\"target\"' h.json"
check "live host: /dev/kvm is reported either way (present, absent or denied)" \
	"grep -Eq '^  device: +(present|absent|denied)' h.txt"
check "live host: --no-kvm does not open /dev/kvm" \
	"'$XSAVECTL' host --no-kvm | grep -Eq '^  device: +not asked'"
check "live host: --record reads back unchanged through --cpuid-file" \
	"'$XSAVECTL' host --record >r.txt && '$XSAVECTL' host --cpuid-file r.txt --record | cmp -s - r.txt"
check "live host: the saved profile's target is the report's target" \
	"'$XSAVECTL' host --save-profile p.json >/dev/null &&
	 [ \"\$('$XSAVECTL' host --cpuid-file p.json | grep -A1 '^target' | tail -1)\" = \"\$(grep -A1 '^target' h.txt | tail -1)\" ]"
# Without /dev/kvm (or without its XSAVE answers) the mask is an estimate: check says so as host does.
check "live host: check --xcr0 host reports the host's target, estimated or not, and why" \
	"'$XSAVECTL' host --json >hj.json; '$XSAVECTL' check --json --xcr0 host /dev/null >c.json 2>/dev/null;
	 est=\$(grep -m1 -A3 '\"basis\"' hj.json | grep -o '\"estimated\": [a-z]*') &&
	 grep -q \"\$est\" c.json &&
	 grep -q \"\$(grep -m1 -o '\"basis\": \"[^\"]*' hj.json | sed 's/.*: //')\" c.json"
tap_done
