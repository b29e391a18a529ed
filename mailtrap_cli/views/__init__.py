"""Renderers too big to declare inline: reports drawn as several tables, the
progress and summary of `send batch`. They get data and an Output; no typer."""
