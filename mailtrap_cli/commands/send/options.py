"""Options shared by `send email`, `send raw` and `send batch`: same flag, same meaning."""

from __future__ import annotations

from typing import Annotated

import typer

from mailtrap_cli.api.sending import STREAMS


def _complete_stream(incomplete: str) -> list[str]:
    return [s for s in STREAMS if s.startswith(incomplete)]


ToOpt = Annotated[list[str] | None, typer.Option(
    "--to", metavar="ADDRESS", help="Recipient: 'Name <a@example.com>' or a@example.com. "
    "Repeatable.")]
CcOpt = Annotated[list[str] | None, typer.Option("--cc", metavar="ADDRESS",
                                                 help="Cc recipient. Repeatable.")]
BccOpt = Annotated[list[str] | None, typer.Option("--bcc", metavar="ADDRESS",
                                                  help="Bcc recipient. Repeatable.")]
StreamOpt = Annotated[str | None, typer.Option(
    "--stream", metavar="transactional|bulk", autocompletion=_complete_stream,
    help="Sending stream (default: the profile's `stream`, else transactional).")]
SendSandboxOpt = Annotated[int | None, typer.Option(
    "--sandbox", metavar="ID",
    help="Send into sandbox ID instead of delivering. Takes an id; there is no profile "
    "default, so sandbox sends are always explicit.")]
FromOpt = Annotated[str | None, typer.Option(
    "--from", metavar="ADDRESS", help="Sender (default: the profile's `from`).")]
ReplyToOpt = Annotated[str | None, typer.Option("--reply-to", metavar="ADDRESS",
                                                help="Reply-To address.")]
SubjectOpt = Annotated[str | None, typer.Option("--subject", metavar="TEXT",
                                                help="Subject line.")]
TextOpt = Annotated[str | None, typer.Option("--text", metavar="TEXT", help="Plain-text body.")]
HtmlOpt = Annotated[str | None, typer.Option("--html", metavar="HTML", help="HTML body.")]
HeaderOpt = Annotated[list[str] | None, typer.Option(
    "--header", metavar="KEY:VALUE", help="Custom header. Repeatable.")]
CategoryOpt = Annotated[str | None, typer.Option(
    "--category", metavar="NAME", help="Category (at most 255 chars).")]
