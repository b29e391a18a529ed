"""Sandbox review: awkward cases found by using the CLI like a CI pipeline."""

from __future__ import annotations

from tests.sandbox_mail import make_message, store


def test_wait_to_matches_a_cc_or_bcc_recipient_without_a_subject(cli, server):
    # --to also counts envelope recipients (Cc/Bcc), so the listing must not be
    # narrowed by `search=` (which only looks at subject, to_email, to_name).
    mid = store(server, make_message(subject="Reset", to="other@example.com"),
                smtp_from="app@example.com",
                smtp_to=["other@example.com", "hidden@example.com"])
    result = cli("sandbox", "messages", "wait", "--to", "hidden@example.com",
                 "--since", "any", "--timeout", "0", "-o", "json")
    assert result.code == 0, result
    assert result.json()["id"] == mid


def test_list_of_a_missing_sandbox_prints_nothing_on_stdout(cli, server):
    result = cli("sandbox", "messages", "list", "--sandbox", "999", "-o", "json")
    assert result.code == 5
    assert result.stdout == ""          # not a dangling "[" for jq to choke on
    assert result.stderr.startswith("error: ")


def test_unique_names_never_give_two_attachments_the_same_file():
    from mailtrap_cli.filenames import unique_names

    names = unique_names([("1", "a-3.txt"), ("2", "a.txt"), ("3", "a.txt"), ("4", "A.TXT")])
    assert len({n.lower() for n in names.values()}) == 4, names
    assert names["1"] == "a-3.txt" and names["2"] == "a.txt"
