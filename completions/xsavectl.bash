# bash completion for xsavectl: commands, options and component names come from
# the binary being completed (xsavectl --list-commands, CMD --list-options,
# --list-components), so they cannot drift, and ./xsavectl in a build tree
# completes from itself.
_xsavectl()
{
	local cur prev cmd="" i self head="" word
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	self=${COMP_WORDS[0]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} != -* ]]; then
			cmd=${COMP_WORDS[i]}
			break
		fi
	done
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$("$self" --list-commands 2>/dev/null) help --help --version" -- "$cur"))
		return
	fi
	case $prev in
	--layout)
		COMPREPLY=($(compgen -W "intel amd host" -- "$cur") $(compgen -f -- "$cur"))
		return ;;
	--xcr0 | --guest-xcr0)
		if [[ $cur == @* ]]; then
			# @PROFILE: a profile written by host --save-profile
			COMPREPLY=($(compgen -f -- "${cur#@}" | sed 's/^/@/'))
			return
		fi
		# component names after the last comma, the rest kept as typed
		head=
		[[ $cur == *,* ]] && head=${cur%,*},
		word=${cur##*,}
		COMPREPLY=($(compgen -P "$head" -W "$("$self" --list-components 2>/dev/null)" -- "$word"))
		[[ -z $head ]] && COMPREPLY+=($(compgen -W "host @" -- "$cur"))
		compopt -o nospace 2>/dev/null
		return ;;
	--cpu-map)
		COMPREPLY=($(compgen -d -- "$cur"))	# libvirt's CPU map: a directory
		return ;;
	--vcpu | --thread)
		COMPREPLY=()	# a number: nothing to offer
		return ;;
	esac
	if [[ $cmd == help ]]; then
		COMPREPLY=($(compgen -W "$("$self" --list-commands 2>/dev/null)" -- "$cur"))
	elif [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$("$self" "$cmd" --list-options 2>/dev/null) --help" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -o filenames -F _xsavectl xsavectl ./xsavectl
