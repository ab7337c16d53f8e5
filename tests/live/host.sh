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
tap_done
