"""Start-up plumbing: the `mailtrap` script's fast paths (--version, TAB completion
of command names without typer), lazily built groups, and `typer_compat`, the
one module that touches typer's internals."""
