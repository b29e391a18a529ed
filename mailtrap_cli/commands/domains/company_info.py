"""`mailtrap domains company-info get|set`: who sends (needed for compliance)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from mailtrap_cli.api import domains
from mailtrap_cli.api.errors import NotFoundError, UsageError
from mailtrap_cli.commands.domains.crud import DomainArg
from mailtrap_cli.context import get_state
from mailtrap_cli.options import DryRunOpt, Typer
from mailtrap_cli.output import View

app = Typer(help="Company info of a domain: get, set.")

INFO = View(flat=lambda body: body.get("data") if isinstance(body, dict) and
            isinstance(body.get("data"), dict) else body)
FIELDS = {"name": "name", "address": "address", "city": "city", "country": "country",
          "zip": "zip_code", "phone": "phone", "website": "website_url",
          "privacy_url": "privacy_policy_url", "terms_url": "terms_of_service_url",
          "level": "info_level"}


def _opt(flag: str, help: str, metavar: str = "TEXT") -> Any:
    return Annotated[str | None, typer.Option(flag, metavar=metavar, help=help,
                                              show_default=False)]


@app.command()
def get(ctx: typer.Context, domain_id: DomainArg) -> None:
    """Show the company info of a domain.

    \b
    Examples:
      mailtrap domains company-info get 435
    """
    state = get_state(ctx)
    state.out.emit(domains.get_company_info(state.client(), domain_id), INFO)


@app.command("set")
def set_(ctx: typer.Context, domain_id: DomainArg,
         name: _opt("--name", "Company or person.") = None,
         address: _opt("--address", "Street address.") = None,
         city: _opt("--city", "City.") = None,
         country: _opt("--country", "Country (e.g. US).") = None,
         zip_: _opt("--zip", "ZIP or postal code.") = None,
         phone: _opt("--phone", "Phone number.") = None,
         website: _opt("--website", "Website URL (or LinkedIn).", "URL") = None,
         privacy_url: _opt("--privacy-url", "Privacy policy URL.", "URL") = None,
         terms_url: _opt("--terms-url", "Terms of service URL.", "URL") = None,
         level: _opt("--level", "business or individual.", "LEVEL") = None,
         file: _opt("--file", "The fields as a JSON object (FILE or -); flags win.",
                    "FILE|-") = None,
         dry_run: DryRunOpt = False) -> None:
    """Create or change the company info of a domain (only the fields given change).

    The first time, name, address, city, country, zip and website are required.

    \b
    Examples:
      mailtrap domains company-info set 435 --name Acme --address '1 Main St' \\
          --city Riga --country LV --zip 1010 --website https://acme.example
      mailtrap domains company-info set 435 --city Tallinn
    """
    state = get_state(ctx)
    info: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = json.loads(state.io.read_text(file, "--file"))
        except ValueError as exc:
            raise UsageError(f"--file {file}: not JSON ({exc})") from None
        if not isinstance(loaded, dict):
            raise UsageError(f"--file {file}: expected a JSON object")
        info.update(loaded.get("company_info", loaded))
    given = {"name": name, "address": address, "city": city, "country": country,
             "zip": zip_, "phone": phone, "website": website, "privacy_url": privacy_url,
             "terms_url": terms_url, "level": level}
    info.update({FIELDS[k]: v for k, v in given.items() if v is not None})
    if not info:
        raise UsageError("nothing to set", hint="give fields as flags or --file")
    if info.get("info_level") not in (None, "business", "individual"):
        raise UsageError("--level must be business or individual")
    try:
        domains.get_company_info(state.client(), domain_id)
        exists = True
    except NotFoundError:
        exists = False
    if not exists:
        missing = [flag for flag, key in FIELDS.items() if key in (
            "name", "address", "city", "country", "zip_code", "website_url") and
            not info.get(key)]
        if missing:
            raise UsageError(f"domain {domain_id} has no company info yet: also give "
                             + ", ".join(f"--{m.replace('_', '-')}" for m in missing))
    state.perform(domains.set_company_info(domain_id, info, create=not exists),
                  dry_run=dry_run, done=f"{'updated' if exists else 'set'} the company info "
                                        f"of domain {domain_id}", view=INFO)
