"""The API's four hosts, named once: every `--host`, `*_url` setting and Call uses these names."""

from __future__ import annotations

DEFAULT_HOSTS = {
    "api": "https://mailtrap.io",
    "send": "https://send.api.mailtrap.io",
    "bulk": "https://bulk.api.mailtrap.io",
    "sandbox": "https://sandbox.api.mailtrap.io",
}
HOSTS = tuple(DEFAULT_HOSTS)
