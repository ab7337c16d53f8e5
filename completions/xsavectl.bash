# bash completion for xsavectl: commands, options and component names come from
# the binary being completed (xsavectl --list-commands, CMD --list-options,
# --list-components), so they cannot drift, and ./xsavectl in a build tree
# completes from itself.
_xsavectl()
{
	local cur prev cmd="" i self head="" word line f
	local -a words
	# The words as typed: bash splits COMP_WORDS at COMP_WORDBREAKS, which holds '@'
	# (--xcr0 @PROFILE would become "@" and "PROFILE"), so split the line up to the
	# cursor at blanks instead.
	line=${COMP_LINE:0:COMP_POINT}
	read -ra words <<<"$line"
	[[ $line == *[[:blank:]] || -z $line ]] && words+=("")
	cur=${words[${#words[@]} - 1]}
	prev=${words[${#words[@]} - 2]:-}
	self=${words[0]}
	for ((i = 1; i < ${#words[@]} - 1; i++)); do
		if [[ ${words[i]} != -* ]]; then
			cmd=${words[i]}
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
			# @PROFILE: a profile written by host --save-profile.  Readline replaces
			# the word from its '@' on; as file names its '@' would be quoted (\@),
			# so directories get their '/' here instead.
			compopt +o filenames 2>/dev/null
			COMPREPLY=()
			while IFS= read -r f; do
				[[ -d $f ]] && f=$f/
				COMPREPLY+=("@$f")
			done < <(compgen -f -- "${cur#@}")
			[[ ${#COMPREPLY[@]} = 1 && ${COMPREPLY[0]} == */ ]] && compopt -o nospace 2>/dev/null
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
	--vcpu | --thread | --snapshot)
		COMPREPLY=()	# a number, a snapshot's name: nothing to offer
		return ;;
	--listen | --to)
		# relay: HOST:PORT (nothing to offer) or unix:PATH (a socket's path)
		if [[ $cur == unix:* ]]; then
			compopt +o filenames 2>/dev/null
			COMPREPLY=($(compgen -P unix: -f -- "${cur#unix:}"))
		else
			COMPREPLY=($(compgen -W "unix:" -- "$cur"))
		fi
		compopt -o nospace 2>/dev/null
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
