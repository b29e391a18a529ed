"""File names from the network made safe to write, and writing them without surprises.

An attachment's name is whatever the sender put in the MIME headers:
`../../etc/passwd`, `C:\\evil.bat`, `CON`, control characters or nothing at
all. `safe_filename` turns any of them into one plain name in the target
folder; `write_new` refuses to replace an existing file unless asked.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

# Characters Windows refuses in names (and ':' would make an NTFS stream).
_FORBIDDEN = re.compile(r'[<>:"|?*]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                     *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_BYTES = 255


def safe_filename(name: str | None, fallback: str) -> str:
    """One safe file name: no directories, no `..`, no control characters, no
    leading dots, no Windows-reserved names; `fallback` when nothing is left.

    >>> safe_filename("../../etc/passwd", "attachment-1")
    'passwd'
    >>> safe_filename("C:\\\\evil.bat", "attachment-1")
    'evil.bat'
    """
    text = unicodedata.normalize("NFC", name or "")
    # Both separators count, whatever the platform: keep the last component.
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    # A drive-relative "C:name" loses its drive.
    text = re.sub(r"^[A-Za-z]:", "", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    text = _FORBIDDEN.sub("_", text)
    # Leading dots (hidden files, `..`) and Windows' trailing dots and spaces go.
    text = text.strip().lstrip(".").rstrip(". ").strip()
    if not text:
        return fallback
    if text.split(".", 1)[0].strip().upper() in _WINDOWS_RESERVED:
        text = "_" + text
    return _truncate(text)


def _truncate(text: str) -> str:
    if len(text.encode("utf-8")) <= MAX_BYTES:
        return text
    stem, dot, ext = text.rpartition(".")
    if not dot or len(ext.encode("utf-8")) > 16:
        stem, ext = text, ""
    budget = MAX_BYTES - len(ext.encode("utf-8")) - (1 if ext else 0)
    cut = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return f"{cut}.{ext}" if ext else cut


def unique_names(names: Iterable[tuple[str, str]]) -> dict[str, str]:
    """{key: name} with repeated names told apart as `name-<key>.ext`.

    `names` are (key, safe name) pairs, e.g. (attachment id, file name); two
    attachments called `report.pdf` become `report.pdf` and `report-68.pdf`.
    """
    taken: set[str] = set()
    out: dict[str, str] = {}
    for key, name in names:
        candidate = name
        stem, dot, ext = name.rpartition(".")
        attempt = 1
        while candidate.lower() in taken:
            # `report-68.pdf` may itself be the name of another attachment.
            suffix = key if attempt == 1 else f"{key}-{attempt}"
            candidate = f"{stem}-{suffix}.{ext}" if dot and stem else f"{name}-{suffix}"
            attempt += 1
        taken.add(candidate.lower())
        out[key] = candidate
    return out


def target_in(folder: Path, name: str) -> Path:
    """folder/name, checked to stay directly inside `folder` (resolved)."""
    base = folder.resolve()
    target = base / name
    if name in ("", ".", "..") or os.sep in name or "/" in name or target.parent != base:
        raise ValueError(f"unsafe file name {name!r}")
    return target


def write_new(target: Path, chunks: Iterable[bytes], *, overwrite: bool) -> int:
    """Write chunks to target; returns the byte count.

    Without `overwrite` the file is created exclusively (an existing file or
    symlink raises FileExistsError). With it, the bytes go to a temporary file
    in the same folder that then replaces the target, so a failed download
    never leaves half a file under the final name.
    """
    size = 0
    if not overwrite:
        try:
            with open(target, "xb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                    size += len(chunk)
        except FileExistsError:
            raise
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return size
    # A short name of its own: the target's name plus a suffix would pass the
    # 255-byte limit for a name near it (a 240-byte attachment name).
    tmp = target.with_name(f".mailtrap-{os.getpid()}-{os.urandom(4).hex()}.part")
    try:
        with open(tmp, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                size += len(chunk)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return size


# -- saving downloads into a folder the user named (sandbox attachments, inbound) --

def make_folder(folder: Path) -> None:
    """Create --dir (and its parents); a usage error (exit 2) when that fails."""
    from mailtrap_cli.api.errors import UsageError

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create --dir {folder}: {exc.strerror or exc}") from None


def refuse_existing(targets: Iterable[Path], *, force: bool) -> None:
    """Before any download: without --force, name every file that would be overwritten."""
    from mailtrap_cli.api.errors import UsageError

    existing = [str(t) for t in targets if t.exists() or t.is_symlink()]
    if existing and not force:
        raise UsageError(f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}",
                         hint="pass --force to overwrite, or choose another --dir")


def save(target: Path, chunks: Iterable[bytes], *, force: bool) -> int:
    """write_new with its failures as usage errors naming the file; the byte count."""
    from mailtrap_cli.api.errors import UsageError

    try:
        return write_new(target, chunks, overwrite=force)
    except FileExistsError:
        raise UsageError(f"{target} already exists", hint="pass --force to overwrite") from None
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
