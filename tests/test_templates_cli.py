"""`mailtrap templates ...` against the built-in server: CRUD, pull/diff/push round
trips with hostile names, and render."""

from __future__ import annotations

import json

import pytest

HOSTILE = ["Welcome", "welcome", "a/b\\c", "CON", "Ünïcödé 日本", "../../etc/passwd",
           "What? <Now>*", "..."]


def make(server, name, **fields):
    attrs = {"name": name, "subject": "Hi {{name}}", "category": "test",
             "body_html": "<p>Hello {{name}}</p>", "body_text": "Hello {{name}}\n", **fields}
    response = server.call("POST", "/api/email_templates", json={"email_template": attrs})
    assert response.status_code == 201, response.text
    return response.json()


def mutations(server):
    return [r for r in server.requests(path="/api/email_templates")
            if r["method"] in ("POST", "PATCH", "DELETE")]


# -- CRUD ------------------------------------------------------------------------
def test_crud(cli, server, tmp_path):
    html = tmp_path / "w.html"
    html.write_text("<h1>Hi {{name}}</h1>")
    created = cli("templates", "create", "--name", "Welcome", "--subject", "Hi {{name}}",
                  "--category", "onboarding", "--html-file", str(html), "--text-file", "-",
                  stdin="Hi {{name}}\n")
    assert created.code == 0, created
    template = created.json()
    assert template["body_html"] == "<h1>Hi {{name}}</h1>"
    assert template["body_text"] == "Hi {{name}}\n"
    make(server, "Other")
    assert [t["name"] for t in cli("templates", "list", "--search", "WELC").json()] == ["Welcome"]
    by_uuid = cli("templates", "get", template["uuid"]).json()
    assert by_uuid["id"] == template["id"]
    saved = cli("templates", "get", str(template["id"]), "--save", str(tmp_path / "saved"))
    assert saved.code == 0, saved
    assert (tmp_path / "saved" / "body.html").read_text() == "<h1>Hi {{name}}</h1>"
    updated = cli("templates", "update", str(template["id"]), "--subject", "New {{name}}")
    assert updated.code == 0, updated
    assert updated.json()["subject"] == "New {{name}}"
    assert updated.json()["body_html"] == "<h1>Hi {{name}}</h1>"
    assert cli("templates", "delete", str(template["id"])).code == 3
    assert cli("templates", "delete", template["uuid"], "--yes").code == 0
    cli("templates", "get", str(template["id"])).assert_clean_error(5)


@pytest.mark.parametrize("args", [
    ["get", "nope"], ["update", "7"], ["create", "--name", "x", "--subject", "s",
                                       "--category", "c", "--html", "a", "--html-file", "-"]])
def test_bad_input_is_a_usage_error(cli, args):
    cli("templates", *args).assert_clean_error(2)


def test_unknown_uuid_is_not_found(cli):
    cli("templates", "get", "018dd5e3-f6d2-7c00-8f9b-e5c3f2d8a132").assert_clean_error(5)


def test_create_dry_run_sends_nothing(cli, server):
    result = cli("templates", "create", "--name", "x", "--subject", "s", "--category", "c",
                 "--dry-run")
    assert result.code == 0, result
    assert result.json()["body"] == {"email_template": {"name": "x", "subject": "s",
                                                        "category": "c"}}
    assert mutations(server) == []


# -- pull / diff / push ------------------------------------------------------------
def test_pull_diff_push_round_trip_with_hostile_names(cli, server, tmp_path):
    made = [make(server, name) for name in HOSTILE]
    root = tmp_path / "emails"
    pulled = cli("templates", "pull", str(root))
    assert pulled.code == 0, pulled
    folders = sorted(p.name for p in root.iterdir())
    assert len(folders) == len(HOSTILE)
    assert all("/" not in f and "\\" not in f and not f.startswith(".") for f in folders)
    assert "con" not in folders and "_con" in folders
    for row in pulled.json():
        meta = json.loads((root / row["folder"] / "template.json").read_text())
        assert meta["id"] == row["id"]
    server.call("DELETE", "/_local/requests")
    # Nothing changed: diff exit 0, push sends nothing.
    same = cli("templates", "diff", str(root))
    assert same.code == 0 and same.stdout == "", same
    pushed = cli("templates", "push", str(root), "--yes")
    assert pushed.code == 0 and "nothing to push" in pushed.stderr
    assert mutations(server) == []
    # A local edit, a new folder, a remote deletion, a remote-only template.
    welcome = next(r["folder"] for r in pulled.json() if r["id"] == made[0]["id"])
    (root / welcome / "body.html").write_text("<p>Changed {{name}}</p>")
    new = root / "brand-new"
    new.mkdir()
    (new / "template.json").write_text(json.dumps({"name": "Brand new", "subject": "S",
                                                   "category": "c"}))
    (new / "body.txt").write_text("new body")
    server.call("DELETE", f"/api/email_templates/{made[2]['id']}")
    extra = make(server, "Remote only")
    server.call("DELETE", "/_local/requests")
    drift = cli("templates", "diff", str(root))
    assert drift.code == 1, drift
    assert f"+++ b/{welcome}/body.html" in drift.stdout
    assert "+<p>Changed {{name}}</p>" in drift.stdout
    assert "+++ b/brand-new/body.txt" in drift.stdout
    as_json = cli("templates", "diff", str(root), "-o", "json")
    assert as_json.code == 1
    assert sorted(d["action"] for d in as_json.json()) == [
        "create", "create", "remote-only", "update"]
    # Dry run and refusal send nothing.
    dry = cli("templates", "push", str(root), "--dry-run")
    assert dry.code == 0, dry
    assert mutations(server) == []
    assert cli("templates", "push", str(root)).code == 3
    done = cli("templates", "push", str(root), "--yes")
    assert done.code == 0, done
    assert sorted(r["action"] for r in done.json()) == ["create", "create", "update"]
    meta = json.loads((new / "template.json").read_text())
    assert isinstance(meta["id"], int) and meta["uuid"]
    assert cli("templates", "get", str(extra["id"])).code == 0      # kept without --prune
    again = cli("templates", "diff", str(root))
    assert again.code == 1 and "/dev/null" in again.stdout          # only the remote-only one
    before = len(mutations(server))
    assert "nothing to push" in cli("templates", "push", str(root), "--yes").stderr
    assert len(mutations(server)) == before
    pruned = cli("templates", "push", str(root), "--prune", "--yes")
    assert pruned.code == 0, pruned
    assert [r["action"] for r in pruned.json()] == ["delete"]
    assert cli("templates", "diff", str(root)).code == 0


def test_pull_reports_templates_deleted_remotely(cli, server, tmp_path):
    gone = make(server, "Gone")
    make(server, "Kept")
    assert cli("templates", "pull", str(tmp_path)).code == 0
    server.call("DELETE", f"/api/email_templates/{gone['id']}")
    again = cli("templates", "pull", str(tmp_path))
    assert again.code == 0
    assert "gone/: template" in again.stderr and "no longer exists remotely" in again.stderr
    assert (tmp_path / "gone").is_dir()


def test_diff_of_a_broken_folder_is_a_usage_error(cli, tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "template.json").write_text("{")
    cli("templates", "diff", str(tmp_path)).assert_clean_error(2)


# -- render ------------------------------------------------------------------------
SOURCE = ("{{#if vip}}Dear VIP {{user.name}}{{else}}Hi {{user.name}}{{/if}}\n"
          "{{#each items}}\n- {{@index}}: {{this.title}}\n{{/each}}\n"
          "{{#unless paid}}Please pay.{{/unless}}\n")


def test_render_each_construct_from_a_template(cli, server, tmp_path):
    template = make(server, "Render", subject="Order for {{user.name}}", body_text=SOURCE,
                    body_html="<b>{{user.name}}</b> {{{raw}}}")
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps({"user": {"name": "<Ann>"}, "vip": True,
                                     "items": [{"title": "A"}, {"title": "B"}]}))
    out = tmp_path / "out.html"
    result = cli("templates", "render", str(template["id"]), "--vars-file", str(variables),
                 "--var", "raw=<i>ok</i>", "--html-out", str(out))
    assert result.code == 0, result
    assert result.stdout == "Dear VIP <Ann>\n- 0: A\n- 1: B\nPlease pay.\n"
    assert "Subject: Order for <Ann>" in result.stderr
    assert out.read_text() == "<b>&lt;Ann&gt;</b> <i>ok</i>"
    assert "variables used but not given: paid" in result.stderr
    strict = cli("templates", "render", template["uuid"], "--vars-file", str(variables),
                 "--strict")
    strict.assert_clean_error(2)
    as_json = cli("templates", "render", str(template["id"]), "--var", "vip=false",
                  "--var", "paid=true", "-o", "json")
    assert as_json.json()["text"].startswith("Hi \n")
    assert as_json.json()["missing"] == ["user.name", "items", "raw"]


def test_render_a_pulled_folder_matches_what_the_server_sends(cli, server, tmp_path):
    template = make(server, "Same", body_text=SOURCE, body_html="<p>{{user.name}}</p>")
    assert cli("templates", "pull", str(tmp_path)).code == 0
    variables = {"user": {"name": "Bo & Co"}, "items": [{"title": "X"}], "paid": True}
    local = cli("templates", "render", str(tmp_path / "same"), "--var",
                "user=" + json.dumps(variables["user"]), "--var", "items=" +
                json.dumps(variables["items"]), "--var", "paid=true", "-o", "json").json()
    sent = server.call("POST", "/api/send", json={
        "from": {"email": "a@example.com"}, "to": [{"email": "b@example.com"}],
        "template_uuid": template["uuid"], "template_variables": variables})
    assert sent.status_code == 200
    [row] = server.call("GET", "/_local/deliveries").json()
    assert row["payload"]["text"] == local["text"]
    assert row["payload"]["html"] == local["html"] == "<p>Bo &amp; Co</p>"
    assert row["payload"]["subject"] == local["subject"]


def test_render_a_template_that_does_not_parse(cli, server):
    template = make(server, "Broken", body_text="{{#if a}}never closed")
    result = cli("templates", "render", str(template["id"]))
    result.assert_clean_error(2)
    assert "never closed" in result.stderr


def _folder(root, folder_name, **meta):
    folder = root / folder_name
    folder.mkdir(parents=True)
    (folder / "template.json").write_text(json.dumps(
        {"name": folder_name, "subject": "S", "category": "c", **meta}))
    return folder


def test_push_checks_limits_before_sending_anything(cli, server, tmp_path):
    _folder(tmp_path, "ok")
    _folder(tmp_path, "long", name="x" * 256)
    result = cli("templates", "push", str(tmp_path), "--yes")
    result.assert_clean_error(2)
    assert "long: name is longer than 255 characters" in result.stderr
    assert mutations(server) == []


def test_a_push_refused_halfway_names_the_folder_and_keeps_what_was_done(cli, server,
                                                                        tmp_path):
    first = _folder(tmp_path, "a-first")
    _folder(tmp_path, "b-blank", name="   ")
    result = cli("templates", "push", str(tmp_path), "--yes")
    assert result.code != 0 and "Traceback" not in result.stderr
    assert "b-blank: " in result.stderr and "1 template(s) were pushed" in result.stderr
    created = json.loads((first / "template.json").read_text())
    assert isinstance(created["id"], int)
    plan = cli("templates", "push", str(tmp_path), "--dry-run")
    assert plan.code == 0
    assert "1 to create, 0 to update, 1 unchanged" in plan.stderr


def test_diff_is_coloured_on_a_terminal_only(cli, server, tmp_path):
    make(server, "Colour")
    assert cli("templates", "pull", str(tmp_path)).code == 0
    (tmp_path / "colour" / "body.txt").write_text("changed\n")
    plain = cli("templates", "diff", str(tmp_path))
    assert plain.code == 1 and "\x1b[" not in plain.stdout
    coloured = cli("templates", "diff", str(tmp_path), env={"MAILTRAP_FORCE_TTY": "1"})
    assert coloured.code == 1 and "\x1b[32m+changed\x1b[0m" in coloured.stdout
    no_colour = cli("templates", "diff", str(tmp_path), env={"MAILTRAP_FORCE_TTY": "1",
                                                             "NO_COLOR": "1"})
    assert "\x1b[" not in no_colour.stdout


def test_get_save_into_a_file_is_a_usage_error(cli, server, tmp_path):
    template = make(server, "Saved")
    target = tmp_path / "file"
    target.write_text("x")
    cli("templates", "get", str(template["id"]), "--save", str(target)).assert_clean_error(2)


def test_bodies_round_trip_byte_for_byte(cli, server, tmp_path):
    body_text = "Line one\r\nLine two — ünïcödé 🎉\n\n  trailing spaces  \n\tTab"
    body_html = "<p>\r\n  {{{raw}}}\r\n</p>\n"
    make(server, "Bytes", body_text=body_text, body_html=body_html, subject="Ⅸ {{x}}")
    assert cli("templates", "pull", str(tmp_path)).code == 0
    assert (tmp_path / "bytes" / "body.txt").read_bytes() == body_text.encode()
    assert (tmp_path / "bytes" / "body.html").read_bytes() == body_html.encode()
    server.call("DELETE", "/_local/requests")
    assert cli("templates", "diff", str(tmp_path)).code == 0
    assert "nothing to push" in cli("templates", "push", str(tmp_path), "--yes").stderr
    assert mutations(server) == []
