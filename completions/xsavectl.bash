# bash completion for xsavectl: commands and options come from the binary itself
# (xsavectl --list-commands, xsavectl CMD --list-options), so they cannot drift.
_xsavectl()
{
	local cur prev cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} != -* ]]; then
			cmd=${COMP_WORDS[i]}
			break
		fi
	done
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$(xsavectl --list-commands 2>/dev/null) help --help --version" -- "$cur"))
		return
	fi
	case $prev in
	--layout)
		COMPREPLY=($(compgen -W "intel amd host" -- "$cur") $(compgen -f -- "$cur"))
		return ;;
	--xcr0 | --guest-xcr0)
		COMPREPLY=($(compgen -W "host x87,sse x87,sse,avx x87,sse,avx,pkru x87,sse,avx,avx512,pkru" -- "$cur"))
		return ;;
	esac
	if [[ $cmd == help ]]; then
		COMPREPLY=($(compgen -W "$(xsavectl --list-commands 2>/dev/null)" -- "$cur"))
	elif [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(xsavectl "$cmd" --list-options 2>/dev/null) --help" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -o filenames -F _xsavectl xsavectl
