"""Email templates as files, for keeping them in git: the folder format, and the
plans and diffs of `templates pull|diff|push`. Pure: no typer, rich or requests.

One folder per template under the chosen directory:

    welcome-email/
      template.json   {"id", "uuid", "name", "subject", "category"}
      body.html
      body.txt

Folder names come from the template's name (lowercased, unsafe characters
replaced, Windows-reserved names and duplicates told apart with the id) and,
once written, stay: a later pull finds a template's folder by the id or uuid
in its template.json, so renaming a template remotely does not move files. A
folder with a template.json that has no id is a new template for `push`.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailtrap_cli.filenames import safe_filename

META = "template.json"
HTML = "body.html"
TEXT = "body.txt"
META_FIELDS = ("id", "uuid", "name", "subject", "category")
COMPARED = ("name", "subject", "category", "body_html", "body_text")
REQUIRED = ("name", "subject", "category")
MAX_SLUG = 80


class TemplateFilesError(ValueError):
    """A template folder that cannot be read (bad template.json, missing fields)."""


@dataclass
class LocalTemplate:
    folder: Path
    meta: dict[str, Any]
    body_html: str
    body_text: str

    @property
    def id(self) -> int | None:
        value = self.meta.get("id")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def uuid(self) -> str | None:
        value = self.meta.get("uuid")
        return value if isinstance(value, str) and value else None

    def fields(self) -> dict[str, str]:
        return {"name": self.meta.get("name") or "", "subject": self.meta.get("subject") or "",
                "category": self.meta.get("category") or "", "body_html": self.body_html,
                "body_text": self.body_text}


def remote_fields(template: dict[str, Any]) -> dict[str, str]:
    return {key: template.get(key) or "" for key in COMPARED}


# -- names -----------------------------------------------------------------------
def slug(name: str) -> str:
    """A folder name from a template name: one path component, lowercase, no
    spaces or characters any of Windows, macOS or Linux refuse."""
    text = unicodedata.normalize("NFC", name or "").casefold()
    text = re.sub(r'[/\\<>:"|?*]+', "-", text)
    text = re.sub(r"\s+", "-", text.strip())
    text = safe_filename(text, "")
    text = re.sub(r"-{2,}", "-", text).lstrip(".-_")
    while len(text.encode("utf-8")) > MAX_SLUG:
        text = text[:-1]
    text = text.rstrip(". -_")
    return safe_filename(text, "") if text else ""


def folder_name(template: dict[str, Any], taken: set[str]) -> str:
    """A new folder's name for `template`, not in `taken` (compared casefolded,
    as on case-insensitive file systems); adds it to `taken`."""
    base = slug(str(template.get("name") or "")) or f"template-{template.get('id')}"
    candidate = base
    attempt = 1
    while candidate.casefold() in taken:
        suffix = str(template.get("id")) + ("" if attempt == 1 else f"-{attempt}")
        candidate = f"{base}-{suffix}"
        attempt += 1
    taken.add(candidate.casefold())
    return candidate


# -- reading and writing -----------------------------------------------------------
def _read_text(path: Path) -> str:
    if not path.exists():
        return ""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except UnicodeDecodeError:
        raise TemplateFilesError(f"{path}: not UTF-8 text") from None


def read_template(folder: Path) -> LocalTemplate:
    meta_path = folder / META
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TemplateFilesError(f"{folder}: no {META} (is this a template folder?)") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise TemplateFilesError(f"{meta_path}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise TemplateFilesError(f"{meta_path}: expected a JSON object")
    missing = [key for key in REQUIRED if not isinstance(meta.get(key), str) or not meta[key]]
    if missing:
        raise TemplateFilesError(f"{meta_path}: missing {', '.join(missing)}")
    return LocalTemplate(folder, meta, _read_text(folder / HTML), _read_text(folder / TEXT))


def read_dir(root: Path) -> list[LocalTemplate]:
    """Every template folder directly under `root`, sorted by folder name.
    Hidden folders and folders without template.json are skipped."""
    if not root.is_dir():
        raise TemplateFilesError(f"{root}: not a directory")
    found = []
    for child in sorted(root.iterdir(), key=lambda p: p.name):
        if child.name.startswith(".") or not child.is_dir() or not (child / META).is_file():
            continue
        found.append(read_template(child))
    seen: dict[int, Path] = {}
    for item in found:
        if item.id is not None:
            if item.id in seen:
                raise TemplateFilesError(f"{seen[item.id].name} and {item.folder.name} both "
                                         f"claim template {item.id}")
            seen[item.id] = item.folder
    return found


def _write(path: Path, text: str) -> bool:
    """Write `text` if it differs; True when the file changed. Atomic."""
    data = text.encode("utf-8")
    if path.exists() and path.read_bytes() == data:
        return False
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True


def meta_of(template: dict[str, Any]) -> dict[str, Any]:
    return {key: template.get(key) for key in META_FIELDS}


def write_template(folder: Path, template: dict[str, Any]) -> bool:
    """Write one template's three files; True when anything changed."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = json.dumps(meta_of(template), ensure_ascii=False, indent=2) + "\n"
    changed = _write(folder / META, meta)
    changed = _write(folder / HTML, template.get("body_html") or "") or changed
    return _write(folder / TEXT, template.get("body_text") or "") or changed


def set_identity(local: LocalTemplate, template: dict[str, Any]) -> None:
    """Record a created template's id and uuid in its folder's template.json."""
    meta = {**local.meta, "id": template.get("id"), "uuid": template.get("uuid")}
    ordered = {key: meta.get(key) for key in META_FIELDS}
    ordered.update({k: v for k, v in meta.items() if k not in ordered})
    _write(local.folder / META, json.dumps(ordered, ensure_ascii=False, indent=2) + "\n")
    local.meta = ordered


# -- matching, plans, diffs -----------------------------------------------------
@dataclass
class Pair:
    """A local folder and/or a remote template; `kind` says what push would do:
    create, update, unchanged or remote-only."""

    kind: str
    local: LocalTemplate | None = None
    remote: dict[str, Any] | None = None
    changed: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def label(self) -> str:
        if self.local is not None:
            return self.local.folder.name
        assert self.remote is not None
        return f"{self.remote.get('name')} (id {self.remote.get('id')})"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"action": self.kind, "folder": self.local.folder.name
                                if self.local else None}
        source = self.remote or {}
        data["id"] = source.get("id") if self.remote else (self.local.id if self.local else None)
        data["uuid"] = source.get("uuid") if self.remote else (
            self.local.uuid if self.local else None)
        data["name"] = (self.local.fields() if self.local else remote_fields(source))["name"]
        if self.changed:
            data["changed"] = self.changed
        if self.note:
            data["note"] = self.note
        return data


def match(local: list[LocalTemplate], remote: list[dict[str, Any]]) -> list[Pair]:
    """Pairs local folders with remote templates by id, then uuid."""
    by_id = {t.get("id"): t for t in remote}
    by_uuid = {t.get("uuid"): t for t in remote if t.get("uuid")}
    used: set[Any] = set()
    pairs: list[Pair] = []
    for item in local:
        found = by_id.get(item.id) if item.id is not None else None
        if found is None and item.uuid:
            found = by_uuid.get(item.uuid)
        if found is None or found.get("id") in used:
            note = (f"template {item.id or item.uuid} no longer exists remotely"
                    if item.id is not None or item.uuid else "")
            pairs.append(Pair("create", item, None, list(COMPARED), note))
            continue
        used.add(found.get("id"))
        ours, theirs = item.fields(), remote_fields(found)
        changed = [key for key in COMPARED if ours[key] != theirs[key]]
        pairs.append(Pair("update" if changed else "unchanged", item, found, changed))
    for template in remote:
        if template.get("id") not in used:
            pairs.append(Pair("remote-only", None, template))
    return pairs


LIMITS = {"name": 255, "subject": 255, "category": 255, "body_html": 10_000_000,
          "body_text": 10_000_000}


def problems(local: LocalTemplate) -> list[str]:
    """What the API would refuse in this folder (templates.openapi.yml limits)."""
    fields = local.fields()
    return [f"{local.folder.name}: {key} is longer than {limit} characters"
            for key, limit in LIMITS.items() if len(fields[key]) > limit]


def update_fields(pair: Pair) -> dict[str, str]:
    """What an update sends: the required fields (the spec requires them) plus
    the changed bodies."""
    assert pair.local is not None
    ours = pair.local.fields()
    return {key: ours[key] for key in COMPARED if key in REQUIRED or key in pair.changed}


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def _meta_text(fields: dict[str, str]) -> str:
    return "".join(f"{key}: {fields[key]}\n" for key in REQUIRED)


def unified_diff(pair: Pair) -> str:
    """`git diff`-style text of remote (a/) against local (b/), per file."""
    folder = pair.local.folder.name if pair.local else slug(str(pair.remote.get("name")))
    theirs = remote_fields(pair.remote) if pair.remote else None
    ours = pair.local.fields() if pair.local else None
    out: list[str] = []
    for name, key in ((META, None), (HTML, "body_html"), (TEXT, "body_text")):
        a = (_meta_text(theirs) if key is None else theirs[key]) if theirs else ""
        b = (_meta_text(ours) if key is None else ours[key]) if ours else ""
        if a == b:
            continue
        old = f"a/{folder}/{name}" if theirs else "/dev/null"
        new = f"b/{folder}/{name}" if ours else "/dev/null"
        out.extend(difflib.unified_diff(_lines(a), _lines(b), old, new))
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def pull_into(root: Path, remote: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Write every remote template under `root`, reusing each one's folder; one
    row per template: created, updated or unchanged, plus `deleted-remotely`
    for folders whose template is gone (they are left in place)."""
    root.mkdir(parents=True, exist_ok=True)
    local = read_dir(root)
    pairs = match(local, remote)
    taken = {child.name.casefold() for child in root.iterdir()}
    rows: list[dict[str, Any]] = []
    for pair in pairs:
        if pair.remote is None:
            assert pair.local is not None
            if pair.local.id is not None or pair.local.uuid:
                rows.append({"action": "deleted-remotely", "folder": pair.local.folder.name,
                             "id": pair.local.id, "uuid": pair.local.uuid,
                             "name": pair.local.fields()["name"]})
            continue
        folder = (pair.local.folder if pair.local is not None
                  else root / folder_name(pair.remote, taken))
        existed = (folder / META).exists()
        changed = write_template(folder, pair.remote)
        action = "created" if not existed else ("updated" if changed else "unchanged")
        rows.append({"action": action, "folder": folder.name, "id": pair.remote.get("id"),
                     "uuid": pair.remote.get("uuid"), "name": pair.remote.get("name")})
    return rows
