# bash completion for hearth: commands, options (pprof's names, -opt=value)
# and files.  Installed by `make install` into
# $(PREFIX)/share/bash-completion/completions/hearth.

_hearth()
{
	local cur=${COMP_WORDS[COMP_CWORD]}
	local commands="top text traces tree peek list disasm weblist tags raw comments
		callgrind dot svg pdf png flame folded speedscope proto topproto web fetch
		token fleet help version"
	local options="-sample_index= -inuse_space -inuse_objects -alloc_space
		-alloc_objects -total_delay -contentions -mean_delay -mean -focus= -ignore=
		-hide= -show= -show_from= -prune_from= -tagfocus= -tagignore= -tagshow=
		-taghide= -functions -filefunctions -files -lines -addresses -noinlines
		-cum -flat -nodecount= -nodefraction= -edgefraction= -trim= -call_tree
		-base= -diff_base= -normalize -unit= -divide_by= -relative_percentages
		-drop_negative -compact_labels -source_path= -trim_path= -output=
		-seconds= -timeout= -symbolize= -max_size= -http= -no_browser -h"
	# pprof's output flags, for `hearth -top file` and friends.
	local formats="-top -text -traces -tree -peek= -list= -disasm= -weblist= -tags
		-raw -comments -dot -callgrind -svg -pdf -png -proto -topproto -web
		-evince -eog -kcachegrind"

	COMPREPLY=()
	if [[ $cur == -* ]]; then
		local all=$options
		# Without a command first, the line is pprof's form: formats too.
		if [[ $COMP_CWORD -eq 1 || ${COMP_WORDS[1]} == -* ]]; then
			all="$all $formats -version"
		fi
		COMPREPLY=($(compgen -W "$all" -- "$cur"))
		# An option that takes a value: no space after its '='.
		if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
			compopt -o nospace 2>/dev/null
		fi
		return 0
	fi
	if [[ $COMP_CWORD -eq 1 ]]; then
		COMPREPLY=($(compgen -W "$commands" -- "$cur"))
	fi
	if [[ $COMP_CWORD -eq 2 && ${COMP_WORDS[1]} == help ]]; then
		COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		return 0
	fi
	# Profiles and programs: file names.
	local IFS=$'\n'
	COMPREPLY+=($(compgen -f -- "$cur"))
	compopt -o filenames 2>/dev/null
	return 0
}
complete -F _hearth hearth
