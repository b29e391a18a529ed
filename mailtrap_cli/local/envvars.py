"""`mailtrap local env`: what an app under test needs to reach a running
`mailtrap local serve`, as shell assignments (bash/zsh/sh, fish, PowerShell)
or a dotenv file (GitHub Actions' $GITHUB_ENV, docker --env-file).

The variables are the server's, never a real token: any token is accepted by
the built-in server, so none is set.
"""

from __future__ import annotations

import re
from typing import Any

SHELLS = ("bash", "fish", "powershell", "dotenv")


def variables(info: dict[str, Any], sandbox: dict[str, Any] | None) -> dict[str, str]:
    """Name -> value for a running server (`info`: its pid file) and a sandbox
    (its SMTP login); the CA variables only with TLS."""
    url = info["url"]
    hostport = url.split("://", 1)[1]
    out = {
        "MAILTRAP_PROFILE": "local",
        "MAILTRAP_BASE_URL": url,
        "MAILTRAP_API_URL": url,
        "MAILTRAP_SEND_URL": url,
        "MAILTRAP_BULK_URL": url + "/bulk",
        "MAILTRAP_SANDBOX_URL": url,
        # For SDKs that take a host and add https:// themselves (Python `api_host`).
        "MAILTRAP_API_HOST": hostport,
        "MAILTRAP_BULK_API_HOST": hostport + "/bulk",
        "MAILTRAP_ACCOUNT_ID": str(info.get("account_id") or 1),
    }
    if sandbox is not None:
        out["MAILTRAP_SANDBOX_ID"] = str(sandbox["id"])
    if info.get("smtp_port"):
        out["MAILTRAP_SMTP_HOST"] = info.get("smtp_host") or "127.0.0.1"
        out["MAILTRAP_SMTP_PORT"] = str(info["smtp_port"])
        if info.get("smtps_port"):
            out["MAILTRAP_SMTPS_PORT"] = str(info["smtps_port"])
        if sandbox is not None:
            out["MAILTRAP_SMTP_USER"] = sandbox.get("username") or ""
            out["MAILTRAP_SMTP_PASSWORD"] = sandbox.get("password") or ""
    if info.get("tls") and info.get("ca_file"):
        bundle = info.get("ca_bundle") or info["ca_file"]
        out["MAILTRAP_CA_FILE"] = info["ca_file"]
        out["REQUESTS_CA_BUNDLE"] = bundle       # Python requests
        out["SSL_CERT_FILE"] = bundle            # OpenSSL: Python ssl, Ruby, curl, Go
        out["NODE_EXTRA_CA_CERTS"] = info["ca_file"]   # Node adds it to its own roots
    return out


_PLAIN = re.compile(r"^[A-Za-z0-9_@%+=:,./-]*$")


def render(values: dict[str, str], shell: str) -> str:
    lines = []
    for name, value in values.items():
        if shell == "fish":
            quoted = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
            lines.append(f"set -gx {name} {quoted};")
        elif shell == "powershell":
            lines.append(f"$env:{name} = '" + value.replace("'", "''") + "'")
        elif shell == "dotenv":
            # Literal, as $GITHUB_ENV and `docker --env-file` read it (they keep quotes).
            lines.append(f"{name}={value}")
        else:
            quoted = value if _PLAIN.match(value) and value else \
                "'" + value.replace("'", "'\"'\"'") + "'"
            lines.append(f"export {name}={quoted}")
    return "\n".join(lines) + "\n"
