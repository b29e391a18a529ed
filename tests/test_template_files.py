"""The templates folder format (mailtrap_cli.template_files): safe, stable folder
names, pull/push plans and diffs, without any server."""

from __future__ import annotations

import json

import pytest

from mailtrap_cli.template_files import (
    TemplateFilesError,
    folder_name,
    match,
    pull_into,
    read_dir,
    slug,
    unified_diff,
    update_fields,
)


def remote(id_, name, **extra):
    t = {"id": id_, "uuid": f"00000000-0000-4000-8000-{id_:012d}", "name": name,
         "subject": "Hi", "category": "c", "body_html": "<p>x</p>", "body_text": "x\n"}
    t.update(extra)
    return t


@pytest.mark.parametrize(("name", "folder"), [
    ("Welcome Email", "welcome-email"), ("a/b\\c", "a-b-c"), ("../../etc", "etc"),
    ("CON", "_con"), ("nul.txt", "_nul.txt"), ("Ünï 日本", "ünï-日本"), ("", ""),
    ("What? <Now>*", "what-now"), ("  trailing. ", "trailing")])
def test_slugs_are_one_safe_component(name, folder):
    assert slug(name) == folder


def test_duplicates_and_case_collisions_get_the_id():
    taken: set[str] = set()
    names = [folder_name({"id": i, "name": n}, taken)
             for i, n in [(1, "Welcome"), (2, "welcome"), (3, "WELCOME"), (4, "")]]
    assert names == ["welcome", "welcome-2", "welcome-3", "template-4"]


def test_pull_writes_three_files_and_is_stable(tmp_path):
    templates = [remote(1, "Welcome"), remote(2, "Welcome"), remote(3, "a/b")]
    rows = pull_into(tmp_path, templates)
    assert [(r["action"], r["folder"]) for r in rows] == [
        ("created", "welcome"), ("created", "welcome-2"), ("created", "a-b")]
    meta = json.loads((tmp_path / "welcome" / "template.json").read_text())
    assert meta == {k: templates[0][k] for k in ("id", "uuid", "name", "subject", "category")}
    assert (tmp_path / "welcome" / "body.txt").read_text() == "x\n"
    # Renamed remotely, another deleted: folders stay put, the loss is reported.
    templates[0]["name"] = "Hello"
    rows = pull_into(tmp_path, [templates[0], templates[2]])
    assert [(r["action"], r["folder"]) for r in rows] == [
        ("unchanged", "a-b"), ("updated", "welcome"), ("deleted-remotely", "welcome-2")]
    assert (tmp_path / "welcome-2").is_dir()


def test_plan_after_local_edits(tmp_path):
    pull_into(tmp_path, [remote(1, "One"), remote(2, "Two"), remote(3, "Three")])
    (tmp_path / "one" / "body.html").write_text("<p>changed</p>")
    new = tmp_path / "new"
    new.mkdir()
    (new / "template.json").write_text(json.dumps({"name": "New", "subject": "S",
                                                   "category": "c"}))
    pairs = match(read_dir(tmp_path), [remote(1, "One"), remote(2, "Two"), remote(4, "Four")])
    assert sorted((p.kind, p.label) for p in pairs) == [
        ("create", "new"), ("create", "three"), ("remote-only", "Four (id 4)"),
        ("unchanged", "two"), ("update", "one")]
    update = next(p for p in pairs if p.kind == "update")
    assert update.changed == ["body_html"]
    assert update_fields(update) == {"name": "One", "subject": "Hi", "category": "c",
                                     "body_html": "<p>changed</p>"}
    diff = unified_diff(update)
    assert "--- a/one/body.html\n+++ b/one/body.html\n" in diff
    assert "-<p>x</p>\n\\ No newline at end of file\n+<p>changed</p>" in diff


def test_unreadable_folders_say_which(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "template.json").write_text("{nope")
    with pytest.raises(TemplateFilesError, match="bad/template.json: not valid JSON"):
        read_dir(tmp_path)
    (bad / "template.json").write_text(json.dumps({"name": "x"}))
    with pytest.raises(TemplateFilesError, match="missing subject, category"):
        read_dir(tmp_path)
    twin = tmp_path / "twin"
    twin.mkdir()
    for folder in (bad, twin):
        (folder / "template.json").write_text(json.dumps(
            {"id": 5, "name": "x", "subject": "s", "category": "c"}))
    with pytest.raises(TemplateFilesError, match="both claim template 5"):
        read_dir(tmp_path)
