"""`sandbox attachments` list/get/download against the built-in server, and the
safe file-name rules (mailtrap_cli/filenames.py) on their own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailtrap_cli.filenames import MAX_BYTES, safe_filename, target_in, unique_names, write_new
from tests.sandbox_mail import api_requests, make_message, store

FIELDS = {"id", "message_id", "filename", "attachment_type", "content_type", "content_id",
          "transfer_encoding", "attachment_size", "created_at", "updated_at",
          "attachment_human_size", "download_path"}
EVIL = [("../../etc/passwd", b"root:x:0:0\n", "text/plain"),
        ("C:\\evil.bat", b"@echo off\r\n", "application/x-msdos-program"),
        ("", b"\x00\x01binary", "application/octet-stream")]


# -- safe_filename --------------------------------------------------------------------
@pytest.mark.parametrize("name, expected", [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd", "passwd"),
    ("C:\\evil.bat", "evil.bat"),
    ("C:evil.bat", "evil.bat"),
    ("dir/sub\\file.txt", "file.txt"),
    ("..\\..\\Windows\\win.ini", "win.ini"),
    (".bashrc", "bashrc"),
    ("...hidden", "hidden"),
    ("a\x00b\x1f\x7f.txt", "ab.txt"),
    ("\u202egnp.exe", "gnp.exe"),
    ('a<b>c:d"e|f?g*h.txt', "a_b_c_d_e_f_g_h.txt"),
    ("report.pdf. . ", "report.pdf"),
    ("CON", "_CON"),
    ("con.txt", "_con.txt"),
    ("LPT1.log", "_LPT1.log"),
    ("CONSOLE.txt", "CONSOLE.txt"),
    ("résumé.pdf", "résumé.pdf"),
])
def test_safe_filename(name, expected):
    assert safe_filename(name, "attachment-1") == expected


@pytest.mark.parametrize("name", [None, "", " ", ".", "..", "...", "/", "\\", "../..", "C:",
                                  "\x00\x01", "dir/"])
def test_safe_filename_falls_back_when_nothing_is_left(name):
    assert safe_filename(name, "attachment-7.bin") == "attachment-7.bin"


def test_safe_filename_keeps_long_names_under_the_limit_with_their_extension():
    name = safe_filename("é" * 300 + ".pdf", "x")
    assert len(name.encode("utf-8")) <= MAX_BYTES
    assert name.endswith(".pdf") and name.startswith("é")


def test_unique_names_tell_repeats_apart():
    assert unique_names([("1", "a.pdf"), ("2", "A.pdf"), ("3", "b"), ("4", "b")]) == {
        "1": "a.pdf", "2": "A-2.pdf", "3": "b", "4": "b-4"}


def test_target_in_stays_inside_the_folder(tmp_path: Path):
    assert target_in(tmp_path, "a.txt") == tmp_path.resolve() / "a.txt"
    for bad in ("..", ".", "", "a/b", "../x"):
        with pytest.raises(ValueError):
            target_in(tmp_path, bad)


def test_write_new_never_overwrites_unless_asked(tmp_path: Path):
    target = tmp_path / "f.bin"
    assert write_new(target, [b"one", b"two"], overwrite=False) == 6
    with pytest.raises(FileExistsError):
        write_new(target, [b"new"], overwrite=False)
    assert target.read_bytes() == b"onetwo"
    assert write_new(target, [b"new"], overwrite=True) == 3
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]


def test_write_new_leaves_nothing_behind_when_the_download_fails(tmp_path: Path):
    def broken():
        yield b"partial"
        raise OSError("connection reset")

    for overwrite in (False, True):
        with pytest.raises(OSError):
            write_new(tmp_path / "f.bin", broken(), overwrite=overwrite)
        assert list(tmp_path.iterdir()) == []


# -- list / get -------------------------------------------------------------------------
def test_list_attachments(cli, server):
    mid = store(server, make_message(attachments=[("a.csv", b"a,b\n", "text/csv"),
                                                  ("b.pdf", b"%PDF-1.4", "application/pdf")]))
    result = cli("sandbox", "attachments", "list", str(mid), "-o", "json")
    assert result.code == 0, result
    items = result.json()
    assert [a["filename"] for a in items] == ["a.csv", "b.pdf"]
    assert set(items[0]) == FIELDS
    assert items[0]["message_id"] == mid and items[0]["attachment_size"] == 4
    assert items[0]["attachment_type"] == "attachment"
    assert items[1]["download_path"] == (
        f"/api/sandboxes/1/messages/{mid}/attachments/{items[1]['id']}/download")
    again = cli("sandbox", "attachments", "list", str(mid), "-o", "json").json()
    assert [a["id"] for a in again] == [a["id"] for a in items]   # stable ids
    table = cli("sandbox", "attachments", "list", str(mid), "-o", "table", "-L", "1")
    assert "a.csv" in table.stdout and "b.pdf" not in table.stdout


def test_list_filters_by_type_and_sees_inline_images(cli, server):
    msg = make_message(text="see logo", html='<p><img src="cid:logo"></p>',
                       attachments=[("a.csv", b"a", "text/csv")])
    msg.get_body(("html",)).add_related(b"\x89PNG", maintype="image", subtype="png",
                                         cid="<logo>", filename="logo.png",
                                         disposition="inline")
    mid = store(server, msg)
    inline = cli("sandbox", "attachments", "list", str(mid), "--type", "inline", "-o", "json")
    assert [(a["filename"], a["content_id"]) for a in inline.json()] == [("logo.png", "logo")]
    # The formatted HTML body points the cid: image at its download.
    html = cli("sandbox", "messages", "body", str(mid), "--format", "html").stdout
    assert f'src="{inline.json()[0]["download_path"]}"' in html
    source = cli("sandbox", "messages", "body", str(mid), "--format", "html-source").stdout
    assert 'src="cid:logo"' in source
    bad = cli("sandbox", "attachments", "list", str(mid), "--type", "weird")
    assert bad.code == 2


def test_list_message_without_attachments(cli, server):
    mid = store(server, make_message())
    result = cli("sandbox", "attachments", "list", str(mid), "-o", "json")
    assert result.code == 0 and result.json() == []


def test_get_attachment_and_not_found(cli, server):
    mid = store(server, make_message(attachments=[("a.csv", b"a,b\n", "text/csv")]))
    aid = cli("sandbox", "attachments", "list", str(mid), "-o", "json").json()[0]["id"]
    result = cli("sandbox", "attachments", "get", str(mid), str(aid), "-o", "json")
    assert result.code == 0
    assert result.json()["filename"] == "a.csv"
    missing = cli("sandbox", "attachments", "get", str(mid), "999")
    assert missing.code == 5
    assert missing.stderr.startswith("error: GET ")
    gone = cli("sandbox", "attachments", "list", "4242")
    assert gone.code == 5


# -- download -----------------------------------------------------------------------
def test_download_all_saves_hostile_names_safely_inside_dir(cli, server, tmp_path: Path):
    mid = store(server, make_message(attachments=EVIL))
    out = tmp_path / "deep" / "out"
    result = cli("sandbox", "attachments", "download", str(mid), "--dir", str(out), "-o", "json")
    assert result.code == 0, result
    saved = result.json()
    names = sorted(p.name for p in out.iterdir())
    ids = [a["id"] for a in saved]
    assert names == sorted(["passwd", "evil.bat", f"attachment-{ids[2]}.bin"])
    assert (out / "passwd").read_bytes() == b"root:x:0:0\n"
    assert (out / "evil.bat").read_bytes() == b"@echo off\r\n"
    assert (out / f"attachment-{ids[2]}.bin").read_bytes() == b"\x00\x01binary"
    assert [s["path"] for s in saved] == [str(out.resolve() / n) for n in
                                         ("passwd", "evil.bat", f"attachment-{ids[2]}.bin")]
    assert [s["filename"] for s in saved] == ["../../etc/passwd", "C:\\evil.bat", ""]
    # Nothing anywhere else under tmp_path.
    everything = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")
                        if p.is_file() and "home" not in p.parts)
    assert everything == sorted(f"deep/out/{n}" for n in names)


def test_download_one_attachment_by_id(cli, server, tmp_path: Path, monkeypatch):
    mid = store(server, make_message(attachments=[("a.csv", b"1", "text/csv"),
                                                  ("b.csv", b"2", "text/csv")]))
    items = cli("sandbox", "attachments", "list", str(mid), "-o", "json").json()
    monkeypatch.chdir(tmp_path)
    result = cli("sandbox", "attachments", "download", str(mid), str(items[1]["id"]),
                 "-o", "json")
    assert result.code == 0, result
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["b.csv"]
    assert (tmp_path / "b.csv").read_bytes() == b"2"
    downloads = api_requests(server, f"/api/sandboxes/1/messages/{mid}/attachments/")
    assert [e["path"] for e in downloads if e["path"].endswith("/download")] == [
        items[1]["download_path"]]


def test_download_refuses_to_overwrite_without_force(cli, server, tmp_path: Path):
    mid = store(server, make_message(attachments=[("a.csv", b"new-a", "text/csv"),
                                                  ("b.csv", b"new-b", "text/csv")]))
    (tmp_path / "b.csv").write_bytes(b"mine")
    result = cli("sandbox", "attachments", "download", str(mid), "--dir", str(tmp_path))
    assert result.code == 2
    assert result.stderr.startswith(f"error: {tmp_path.resolve() / 'b.csv'} already exists")
    assert "--force" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "a.csv").exists()                 # nothing half done
    assert (tmp_path / "b.csv").read_bytes() == b"mine"
    assert [e for e in api_requests(server, "/api/") if e["path"].endswith("/download")] == []
    forced = cli("sandbox", "attachments", "download", str(mid), "--dir", str(tmp_path),
                 "--force", "-o", "json")
    assert forced.code == 0
    assert (tmp_path / "b.csv").read_bytes() == b"new-b"
    assert (tmp_path / "a.csv").read_bytes() == b"new-a"


def test_download_does_not_follow_a_planted_symlink(cli, server, tmp_path: Path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"keep")
    folder = tmp_path / "dl"
    folder.mkdir()
    (folder / "passwd").symlink_to(outside)
    mid = store(server, make_message(attachments=EVIL[:1]))
    refused = cli("sandbox", "attachments", "download", str(mid), "--dir", str(folder))
    assert refused.code == 2
    forced = cli("sandbox", "attachments", "download", str(mid), "--dir", str(folder), "--force")
    assert forced.code == 0
    assert outside.read_bytes() == b"keep"                    # the link was replaced, not followed
    assert not (folder / "passwd").is_symlink()
    assert (folder / "passwd").read_bytes() == b"root:x:0:0\n"


def test_download_repeated_names_do_not_clobber_each_other(cli, server, tmp_path: Path):
    mid = store(server, make_message(attachments=[("r.pdf", b"1", "application/pdf"),
                                                  ("x/r.pdf", b"2", "application/pdf")]))
    result = cli("sandbox", "attachments", "download", str(mid), "--dir", str(tmp_path),
                 "-o", "json")
    assert result.code == 0
    second = result.json()[1]
    assert Path(second["path"]).name == f"r-{second['id']}.pdf"
    assert sorted(p.read_bytes() for p in tmp_path.iterdir()) == [b"1", b"2"]


def test_download_message_without_attachments(cli, server, tmp_path: Path):
    mid = store(server, make_message())
    result = cli("sandbox", "attachments", "download", str(mid), "--dir", str(tmp_path / "x"),
                 "-o", "json")
    assert result.code == 0
    assert json.loads(result.stdout) == []
    assert "has no attachments" in result.stderr
    assert not (tmp_path / "x").exists()


def test_download_reserved_windows_name(cli, server, tmp_path: Path):
    mid = store(server, make_message(attachments=[("CON.txt", b"c", "text/plain")]))
    result = cli("sandbox", "attachments", "download", str(mid), "--dir", str(tmp_path))
    assert result.code == 0
    assert (tmp_path / "_CON.txt").read_bytes() == b"c"
