complete --command mailtrap --no-files \
    --arguments "(env _MAILTRAP_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=get-args _TYPER_COMPLETE_ARGS=(commandline -cp) mailtrap)" \
    --condition "env _MAILTRAP_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=is-args _TYPER_COMPLETE_ARGS=(commandline -cp) mailtrap"
