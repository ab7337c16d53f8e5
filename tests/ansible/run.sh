#!/bin/sh
# The Ansible role (contrib/ansible) as an operator runs it, with Debian 12's
# ansible-playbook: an inventory of local-connection hosts that stand for different
# machines through recorded CPUID files (tests/data) and probe records
# (tests/data/probe), each saving its profile with `xsavectl host --save-profile`; the
# controller fetches them and runs the fleet matrix, compared with expected.txt.
# usage: XSAVECTL=... sh tests/ansible/run.sh   (UPDATE=1 rewrites expected.txt)
set -u
TAP_NAME="ansible"
. "$(dirname "$0")/../tap.sh"
: "${XSAVECTL:?set XSAVECTL to the binary}"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
data=$top/tests/data
if ! command -v ansible-playbook >/dev/null; then
	skip "ansible-playbook is not installed (make deps installs Debian's ansible)"
	tap_done
	exit 0
fi
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
# host NAME CPUID-FILE PROBE-RECORD [QEMU]: a recorded machine under its own host name
host() {
	sed "s/^hostname=.*/hostname=$1/" "$data/$2" >"$work/$1.txt"
	grep -q '^hostname=' "$work/$1.txt" || echo "hostname=$1" >>"$work/$1.txt"
	printf '        %s:\n          xsavectl_host_args: [--cpuid-file, %s, --probe-from, %s' \
		"$1" "$work/$1.txt" "$data/probe/$3.rec"
	[ -n "${4:-}" ] && printf ', --qemu-version, "%s"' "$4"
	printf ']\n'
	# Its libvirt: one running domain, the real `virsh dumpxml` in tests/data renamed.
	cat >"$work/virsh-$1" <<EOT
#!/bin/sh
case "\$1" in
list) echo "vm-on-$1" ;;
dumpxml) sed "s|<name>xs-sandybridge</name>|<name>\$2</name>|" "$data/libvirt-9.0-dumpxml-sandybridge.xml" ;;
*) exit 1 ;;
esac
EOT
	chmod +x "$work/virsh-$1"
	printf '          xsavectl_virsh: %s\n' "$work/virsh-$1"
}
{
	printf 'all:\n  vars:\n    ansible_connection: local\n'
	printf '    ansible_python_interpreter: /usr/bin/python3\n  children:\n'
	printf '    sources:\n      hosts:\n'
	host emr-old cpuid-intel-emr.txt leaks-5.16 7.2.19
	host zen4-old cpuid-amd-zen4-avx512.txt leaks-5.16 7.2.19
	printf '    destinations:\n      hosts:\n'
	host emr-np cpuid-intel-emr.txt needs-patch-6.1.55 7.2.19
	host emr-fixed cpuid-intel-emr.txt fixed-6.1.64 10.0.2
	host bdw cpuid-intel-broadwell.txt pre-5.16-5.10
	host zen3 cpuid-amd-zen3.txt needs-patch-5.18 8.2.0
} >"$work/inventory.yml"
cat >"$work/vars.json" <<EOV
{"xsavectl_bin": "$XSAVECTL", "xsavectl_fleet_dir": "$work/fleet", "xsavectl_become": false,
 "xsavectl_remote_dir": "$work", "xsavectl_source_group": "sources",
 "xsavectl_destination_group": "destinations",
 "xsavectl_guest_cpus": ["$here/guests/web1.xml", "$here/guests/db1.xml"],
 "xsavectl_guest_xcr0": ["x87,sse,avx,pkru"], "xsavectl_cpu_map": "$data/cpu_map/libvirt-9.0",
 "xsavectl_collect_domains": true}
EOV
export ANSIBLE_HOME="$work/.ansible" ANSIBLE_LOCAL_TEMP="$work/.ansible/tmp" \
	ANSIBLE_REMOTE_TEMP="$work/.ansible/remote" ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
	ANSIBLE_ROLES_PATH="$top/contrib/ansible/roles" ANSIBLE_HOST_KEY_CHECKING=0 \
	ANSIBLE_FORKS=8 ANSIBLE_PIPELINING=1 \
	ANSIBLE_COLLECTIONS_PATH="$work/.ansible/collections" ANSIBLE_CONFIG="$work/ansible.cfg"
: >"$work/ansible.cfg"	# no ansible.cfg of the tree or the user applies
check "ansible-playbook runs the role on 6 local hosts (Debian's $(ansible-playbook --version 2>/dev/null | sed -n 1p))" \
	'ansible-playbook -i "$work/inventory.yml" -e "@$work/vars.json" \
		"$top/contrib/ansible/playbook.yml" >"$work/log" 2>&1 ||
	 { tail -n 30 "$work/log" | sed "s/^/# /"; false; }'
check "every host's profile was fetched, with its kernel class" \
	'for h in emr-old zen4-old emr-np emr-fixed bdw zen3; do
		grep -q "\"class\"" "$work/fleet/profiles/$h.json" || exit 1; done'
if [ "${UPDATE:-}" = 1 ] && [ -f "$work/fleet/matrix.txt" ]; then
	cp "$work/fleet/matrix.txt" "$here/expected.txt"
fi
check "the running domains of both sources were collected (virsh list, dumpxml)" \
	'[ -s "$work/fleet/guests/emr-old-vm-on-emr-old.xml" ] &&
	 [ -s "$work/fleet/guests/zen4-old-vm-on-zen4-old.xml" ]'
check "the matrix: 5 guests x 2 sources x 4 destinations, as expected.txt" \
	'diff -u "$here/expected.txt" "$work/fleet/matrix.txt" >"$work/diff" ||
	 { sed "s/^/# /" "$work/diff" | head -n 40; false; }'
check "its JSON has the 40 migrations" \
	'python3 -c "import json,sys; d=json.load(open(sys.argv[1]));
assert len(d[\"migrations\"]) == 40, len(d[\"migrations\"])" "$work/fleet/matrix.json"'
tap_done
