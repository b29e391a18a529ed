"""`mailtrap sandbox projects ...` against the built-in server."""

from __future__ import annotations

import json

MASK = "********"


def _project_count(server) -> int:
    return server.app.store.one("SELECT COUNT(*) AS n FROM projects")["n"]


def test_list_is_the_api_objects_with_passwords_masked(cli):
    result = cli("sandbox", "projects", "list", "-o", "json")
    assert result.code == 0, result
    projects = result.json()
    assert [p["id"] for p in projects] == [1]
    project = projects[0]
    assert set(project) == {"id", "name", "share_links", "sandboxes", "permissions"}
    assert project["name"] == "Local project"
    sandbox = project["sandboxes"][0]
    assert sandbox["id"] == 1 and sandbox["password"] == MASK
    assert "--show-password" in result.stderr


def test_list_show_password(cli):
    result = cli("sandbox", "projects", "list", "--show-password", "-o", "json")
    assert result.code == 0, result
    assert result.json()[0]["sandboxes"][0]["password"] == "local-password-1"
    assert "masked" not in result.stderr


def test_list_limit_and_table(cli):
    assert cli("sandbox", "projects", "create", "Second").code == 0
    result = cli("sandbox", "projects", "list", "--limit", "1", "-o", "json")
    assert [p["id"] for p in result.json()] == [1]
    every = cli("sandbox", "projects", "list", "--all", "-o", "jsonl")
    assert [p["id"] for p in every.jsonl()] == [1, 2]
    table = cli("sandbox", "projects", "list", "-o", "tsv")
    assert table.code == 0
    assert table.stdout.splitlines() == ["id\tname\tsandboxes\tsandbox_ids",
                                         "1\tLocal project\t1\t1", "2\tSecond\t0\t"]


def test_get_and_unknown_project(cli):
    result = cli("sandbox", "projects", "get", "1", "-o", "json")
    assert result.code == 0, result
    assert result.json()["id"] == 1
    missing = cli("sandbox", "projects", "get", "999", "-o", "json")
    assert missing.code == 5
    assert missing.stdout == ""
    assert missing.stderr.startswith("error: ") and "404" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_create_sends_the_wrapped_body(cli, server):
    result = cli("sandbox", "projects", "create", "My New Project", "-o", "json")
    assert result.code == 0, result
    created = result.json()
    assert created["name"] == "My New Project" and created["sandboxes"] == []
    assert "created project" in result.stderr
    row = server.app.store.one("SELECT name FROM projects WHERE id = ?", (created["id"],))
    assert row["name"] == "My New Project"
    assert len(server.requests(path="/api/projects", method="POST")) == 1


def test_create_rejects_a_bad_name_before_sending(cli, server):
    result = cli("sandbox", "projects", "create", "x")
    assert result.code == 2
    assert "2-100 characters" in result.stderr
    assert server.requests(path="/api/projects") == []


def test_create_dry_run_sends_nothing(cli, server):
    result = cli("sandbox", "projects", "create", "Dry", "--dry-run", "-o", "json")
    assert result.code == 0, result
    request = result.json()
    assert request["method"] == "POST"
    assert request["url"] == server.url + "/api/projects"
    assert request["body"] == {"project": {"name": "Dry"}}
    assert "local-token" not in result.stdout
    assert server.requests(path="/api/projects") == []
    assert _project_count(server) == 1


def test_update_renames(cli, server):
    result = cli("sandbox", "projects", "update", "1", "--name", "Renamed", "-o", "json")
    assert result.code == 0, result
    assert result.json()["name"] == "Renamed"
    assert server.app.store.one("SELECT name FROM projects WHERE id = 1")["name"] == "Renamed"
    missing = cli("sandbox", "projects", "update", "999", "--name", "Nope")
    assert missing.code == 5


def test_update_dry_run_sends_nothing(cli, server):
    result = cli("sandbox", "projects", "update", "1", "--name", "Other", "--dry-run",
                 "-o", "json")
    assert result.code == 0
    assert result.json()["method"] == "PATCH"
    assert result.json()["body"] == {"project": {"name": "Other"}}
    assert server.requests(path="/api/projects") == []


def test_delete_requires_yes_off_a_terminal(cli, server):
    result = cli("sandbox", "projects", "delete", "1")
    assert result.code == 3
    assert result.stderr.startswith("error: ") and "--yes" in result.stderr
    assert result.stdout == ""
    assert server.requests(path="/api/projects") == []
    assert _project_count(server) == 1


def test_delete_with_yes_removes_project_and_sandboxes(cli, server):
    result = cli("sandbox", "projects", "delete", "1", "--yes", "-o", "json")
    assert result.code == 0, result
    assert result.json() == {"id": 1}
    assert _project_count(server) == 0
    assert server.app.store.one("SELECT COUNT(*) AS n FROM sandboxes")["n"] == 0
    again = cli("sandbox", "projects", "delete", "1", "--yes")
    assert again.code == 5
    assert len(server.requests(path="/api/projects/1", method="DELETE")) == 2


def test_delete_dry_run_needs_no_yes_and_sends_nothing(cli, server):
    result = cli("sandbox", "projects", "delete", "1", "--dry-run", "-o", "json")
    assert result.code == 0, result
    assert json.loads(result.stdout)["method"] == "DELETE"
    assert server.requests(path="/api/projects") == []
    assert _project_count(server) == 1


def test_server_validates_names(server):
    short = server.call("POST", "/api/projects", json={"project": {"name": "a"}})
    assert short.status_code == 422
    assert "name" in short.json()["errors"]
    unwrapped = server.call("POST", "/api/projects", json={"name": "Unwrapped"})
    assert unwrapped.status_code == 422
