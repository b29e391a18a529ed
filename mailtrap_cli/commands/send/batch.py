"""`send batch`: many messages from the API's batch JSON, a CSV or a JSONL file.

Flags and input become a plan (mailtrap_cli.batch); this module wires the
engine to the profile, the journal, the progress bar and the summary.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mailtrap_cli.commands.send.options import (
    CategoryOpt,
    FromOpt,
    HeaderOpt,
    HtmlOpt,
    ReplyToOpt,
    SendSandboxOpt,
    StreamOpt,
    SubjectOpt,
    TextOpt,
)
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, Typer

app = Typer(leaf=True)   # its command joins the parent group


def _complete_vars_as(incomplete: str) -> list[str]:
    return [s for s in ("template", "custom") if s.startswith(incomplete)]


@app.command()
def batch(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Argument(
        metavar="[FILE.json|-]", help="The API's batch body {base, requests} (- for stdin).",
        show_default=False)] = None,
    csv: Annotated[str | None, typer.Option(
        "--csv", metavar="FILE|-", help="One recipient per row: an `email` column, "
        "optional `name`, every other column a variable.")] = None,
    jsonl: Annotated[str | None, typer.Option(
        "--jsonl", metavar="FILE|-", help="One JSON object per line: {email, name, "
        "variables...}, or a full request item with `to`.")] = None,
    base_file: Annotated[str | None, typer.Option(
        "--base", metavar="FILE.json", help="The shared part of every message as JSON "
        "(from, subject, template_uuid, ...); flags override it.")] = None,
    from_: FromOpt = None,
    reply_to: ReplyToOpt = None,
    subject: SubjectOpt = None,
    text: TextOpt = None,
    html: HtmlOpt = None,
    text_file: Annotated[str | None, typer.Option(
        "--text-file", metavar="PATH", help="Plain-text body from a file.")] = None,
    html_file: Annotated[str | None, typer.Option(
        "--html-file", metavar="PATH", help="HTML body from a file.")] = None,
    category: CategoryOpt = None,
    template: Annotated[str | None, typer.Option(
        metavar="UUID", help="Send a stored template; row variables become its variables.")
    ] = None,
    var: Annotated[list[str] | None, typer.Option(
        "--var", metavar="KEY=VALUE", help="Template variable shared by every message "
        "(a row's own value wins). Repeatable.")] = None,
    header: HeaderOpt = None,
    custom_var: Annotated[list[str] | None, typer.Option(
        "--custom-var", metavar="KEY=VALUE", help="Custom variable shared by every message "
        "(a row's own value wins). Repeatable.")] = None,
    attach: Annotated[list[str] | None, typer.Option(
        "--attach", metavar="PATH", help="Attach a file to every message. Repeatable.")
    ] = None,
    vars_as: Annotated[str | None, typer.Option(
        "--vars-as", metavar="template|custom", autocompletion=_complete_vars_as,
        help="What extra columns become (default: template variables with --template, "
        "else custom variables).")] = None,
    stream: StreamOpt = None,
    sandbox: SendSandboxOpt = None,
    concurrency: Annotated[int, typer.Option(
        min=1, max=64, metavar="N", help="Requests in flight at once.")] = 8,
    rate: Annotated[str, typer.Option(
        metavar="N/SECONDS", help="At most N requests per SECONDS (the API allows 150 per "
        "10 s per token), started evenly a little under N/SECONDS, each counted until "
        "SECONDS after its answer; a 429 slows the pace by 10%.")] = "150/10s",
    chunk_size: Annotated[int, typer.Option(
        "--chunk-size", min=1, max=500, metavar="N", help="Messages per request.")] = 500,
    journal: Annotated[str | None, typer.Option(
        "--journal", metavar="PATH", help="Where outcomes are recorded (default: "
        "<input>.journal.jsonl; required for stdin).")] = None,
    new_journal: Annotated[bool, typer.Option(
        "--new-journal", help="Move an existing journal aside and send every row again.")
    ] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Resume with a journal written for a different input or message, "
        "matching rows by line number.")] = False,
    resend_unknown: Annotated[bool, typer.Option(
        "--resend-unknown", help="Send again the rows whose outcome is unknown (they may "
        "arrive twice).")] = False,
    retry_rejected: Annotated[bool, typer.Option(
        "--retry-rejected", help="Send again the rows the API rejected in an earlier run.")
    ] = False,
    reconcile: Annotated[bool, typer.Option(
        "--reconcile", help="Send nothing: look the rows of unknown outcome up in the "
        "email logs, mark those found as sent and release those never sent.")] = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Send many messages: the API's batch JSON, or a CSV / JSONL file of recipients.

    CSV: a header line naming the columns; `email` is required, `name` (the
    recipient's display name) optional, and every other column becomes a
    template variable with --template (`email` and `name` too, for {{name}}),
    else a custom variable (--vars-as chooses). JSONL: one object per line
    with the same keys, or a complete request item with `to` (sent as it is).
    The shared part (from, subject, body, template...) comes from flags or
    --base. Batch JSON is the API's own {base, requests}. Every input streams
    from disk: memory stays flat at a million rows.

    Rows go in chunks of up to 500 messages, several requests at a time, paced
    evenly under the client-side rate limit (--rate) so that any way the
    server counts it (fixed or sliding windows, token bucket) is met without
    bursts; a 429 slows the pace a little. A chunk answered 413 (too large) is
    split in halves; a single message still too large is rejected. A journal
    records every chunk's outcome and message ids as it happens: run the same
    command again after a crash, kill or Ctrl-C and only rows never accepted
    are sent. A chunk whose outcome is unknown (timeout, 5xx, connection lost
    after sending) is reported and not resent unless --resend-unknown; rows the
    API rejected are not resent unless --retry-rejected. --reconcile settles
    unknown rows from the email logs instead (live streams): found ones become
    sent, chunks that never went out are released for the next run, and what
    cannot be decided is said and stays unknown (exit 8).

    Invalid rows are reported as `file:line: reason`, counted as `invalid`
    (not `rejected`: the API never saw them) and never sent. The summary
    (sent, rejected, invalid, unknown, journal) goes to stdout. --dry-run
    prints the first request and the counts; it never reads or writes the
    journal. Exit 0 when every row was sent, 8 when any row is rejected,
    invalid or unknown, 2 for bad input before anything was sent (a file with
    no valid row included), 130 on Ctrl-C (rerun to continue).

    \b
    Examples:
      mailtrap send batch --csv users.csv --from 'App <app@example.com>' \\
          --subject 'Your report' --html-file report.html
      mailtrap send batch --csv users.csv --template 7e3c...-uuid --stream bulk
      mailtrap send batch --jsonl rows.jsonl --base base.json --journal run1.journal.jsonl
      mailtrap send batch batch.json --sandbox 123 --dry-run
      mailtrap send batch --csv users.csv --from app@example.com --subject Hi \\
          --text Hello --resend-unknown
      mailtrap send batch --csv users.csv --from app@example.com --subject Hi \\
          --text Hello --reconcile
    """
    from mailtrap_cli.commands.send import batch_run

    state = get_state(ctx)
    flags = {
        "from": from_, "reply_to": reply_to, "subject": subject, "text": text, "html": html,
        "text_file": text_file, "html_file": html_file, "category": category,
        "template": template, "var": var, "header": header, "custom_var": custom_var,
        "attach": attach,
    }
    batch_run.run(
        state, source=source, csv=csv, jsonl=jsonl, base_file=base_file, flags=flags,
        vars_as=vars_as, stream=stream, sandbox=sandbox, concurrency=concurrency, rate=rate,
        chunk_size=chunk_size, journal=journal, new_journal=new_journal, force=force,
        resend_unknown=resend_unknown, retry_rejected=retry_rejected, dry_run=dry_run,
        reconcile=reconcile)

