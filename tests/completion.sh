#!/bin/bash
# The bash completion, driven as bash drives it, against the binary under test
# (named as a build-tree ./xsavectl would be: the completion asks that binary).
# usage: XSAVECTL=... bash tests/completion.sh
set -u
: "${XSAVECTL:?}"
TAP_NAME="completion"
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/../completions/xsavectl.bash"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
ln -s "$XSAVECTL" xsavectl
touch dst.json vm.mig
mkdir prof && touch prof/emr.json
# complete WORD...: what _xsavectl offers for the last word, with COMP_LINE and COMP_POINT
# as bash sets them and COMP_WORDS split as bash splits them (at '@' too: COMP_WORDBREAKS)
complete_() {
	local w
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMP_WORDS=()
	for w; do
		while [[ $w == *@* ]]; do
			[[ -n ${w%%@*} ]] && COMP_WORDS+=("${w%%@*}")
			COMP_WORDS+=("@")
			w=${w#*@}
		done
		COMP_WORDS+=("$w")
	done
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_xsavectl 2>/dev/null
	echo "${COMPREPLY[*]}"
}
check "commands from the build tree's ./xsavectl (set -u clean)" '[ "$(complete_ ./xsavectl ch)" = check ]'
check "options of a command" '[ "$(complete_ ./xsavectl inspect --re)" = "--registers --recursive" ]'
check "--raw in every reading command" '[ "$(complete_ ./xsavectl check --ra)" = --raw ] &&
	[ "$(complete_ ./xsavectl extract --ra)" = --raw ] && [ "$(complete_ ./xsavectl diff --ra)" = --raw ]'
check "--xcr0 component names after a comma" '[ "$(complete_ ./xsavectl check --xcr0 x87,ss)" = x87,sse ]'
check "--xcr0 offers host" 'complete_ ./xsavectl check --xcr0 ho | grep -qw host'
check "--xcr0 @FILE completes profile files, keeping the @" '[ "$(complete_ ./xsavectl check --xcr0 @ds)" = @dst.json ]'
check "--xcr0 @DIR/FILE keeps the @" '[ "$(complete_ ./xsavectl check --xcr0 @prof/em)" = @prof/emr.json ]'
check "--xcr0 @ alone: every file with its @, no \\@, directories with their /" \
	'[ "$(complete_ ./xsavectl check --guest-xcr0 @ | tr " " "\n" | sort | tr "\n" " ")" = "@dst.json @prof/ @vm.mig @xsavectl " ]'
check "--guest-xcr0 groups (avx512)" 'complete_ ./xsavectl check --guest-xcr0 x87,sse,avx5 | grep -qx "x87,sse,avx512"'
check "--vcpu offers no file names" '[ -z "$(complete_ ./xsavectl inspect --vcpu "")" ]'
check "--thread offers no file names" '[ -z "$(complete_ ./xsavectl inspect --thread v)" ]'
check "--snapshot offers no file names" '[ -z "$(complete_ ./xsavectl inspect --snapshot "")" ]'
check "precheck's options" '[ "$(complete_ ./xsavectl precheck --gu)" = "--guest-cpu --guest-xcr0" ] &&
	[ "$(complete_ ./xsavectl precheck --so)" = --source ]'
check "precheck --cpu-map offers directories only" 'mkdir -p cpumap && [ "$(complete_ ./xsavectl precheck --cpu-map cpu)" = cpumap ] &&
	[ -z "$(complete_ ./xsavectl precheck --cpu-map ds)" ]'
check "relay's options" '[ "$(complete_ ./xsavectl relay --li)" = --listen ] &&
	[ "$(complete_ ./xsavectl relay --on)" = --once ] && [ "$(complete_ ./xsavectl relay --sy)" = --syslog ]'
check "relay --listen/--to: unix: then a path, no file names for HOST:PORT" \
	'[ "$(complete_ ./xsavectl relay --to un)" = unix: ] && [ "$(complete_ ./xsavectl relay --listen unix:ds)" = unix:dst.json ] &&
	 [ -z "$(complete_ ./xsavectl relay --to 127.0.0.1:)" ]'
check "file arguments" '[ "$(complete_ ./xsavectl inspect vm)" = vm.mig ]'
tap_done
