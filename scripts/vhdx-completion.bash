# SPDX-License-Identifier: Apache-2.0
# bash completion for vhdx (installed as share/bash-completion/completions/vhdx).
# Commands, then per command its long options as its own --help lists them (so completion
# follows the installed tool), the values of --format, --type, --case (bench) and --explain,
# and file names.
# Tested by cli.test_cli_completion.
_vhdx() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local prog=${COMP_WORDS[0]}
    local cmds="info check cat convert map compare create write replay repair resize discard compact commit rebase kit bench help"
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
        return 0
    fi
    local cmd=${COMP_WORDS[1]}
    if [ "$cmd" = help ]; then
        [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "${cmds% help}" -- "$cur"))
        return 0
    fi
    case $prev in
    -f|--format)
        if [ "$cmd" = check ]; then
            COMPREPLY=($(compgen -W "text json junit sarif markdown" -- "$cur"))
            return 0
        fi ;;
    --type)
        COMPREPLY=($(compgen -W "fixed dynamic differencing" -- "$cur"))
        return 0 ;;
    --case)
        COMPREPLY=($(compgen -W "vhdx_to_raw vhdx_to_raw_sync raw_to_dynamic fixed_sparse_to_raw sparse_raw_to_dynamic compare_sparse" -- "$cur"))
        return 0 ;;
    --explain)
        COMPREPLY=($(compgen -W "$("$prog" check --rules 2>/dev/null | awk 'NR > 1 { print $1 }')" -- "$cur"))
        return 0 ;;
    esac
    if [[ $cur == -* ]]; then
        local opts
        opts=$("$prog" "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u)
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return 0
    fi
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$cur"))
    return 0
}
complete -F _vhdx vhdx
