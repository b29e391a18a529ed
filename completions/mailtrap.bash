_mailtrap_completion() {
    local IFS=$'\n'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _MAILTRAP_COMPLETE=complete_bash $1 ) )
    return 0
}

complete -o default -F _mailtrap_completion mailtrap
