"""The pid file of a running `mailtrap local serve`, next to its database.

`<db>.pid` (for `:memory:`, `memory.pid` in the data folder) holds JSON: the
pid, the URLs and ports, and the CA files when TLS is on. The server writes it
once it listens and removes it when it stops; `local status`, `local stop`,
`local env`, `local reset` and the in-process `local` profile read it.

A pid file is trusted only when its process answers `GET /_local/health` with
the same pid: a file left by a killed server (or whose pid the system gave to
another process) is stale, and is removed, never signalled.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any


def pid_path(db: str) -> Path:
    if db == ":memory:":
        from mailtrap_cli.local.transport import default_db

        return default_db().parent / "memory.pid"
    return Path(db).expanduser().with_name(Path(db).name + ".pid")


def log_path(db: str) -> Path:
    """Where a detached server writes its output."""
    pid = pid_path(db)
    return pid.with_name(pid.name[: -len(".pid")] + ".log")


def write(db: str, info: dict[str, Any]) -> Path:
    path = pid_path(db)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(info, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)
    return path


def remove(db: str, pid: int | None = None) -> None:
    """Remove the pid file (only if it is still `pid`'s, when given)."""
    path = pid_path(db)
    if pid is not None:
        current = read(db)
        if current is not None and current.get("pid") != pid:
            return
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def read(db: str) -> dict[str, Any] | None:
    try:
        data = json.loads(pid_path(db).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("pid"), int) else None


def process_alive(pid: int) -> bool:
    if os.name == "nt":    # os.kill(pid, 0) would terminate it there
        return _windows_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _windows_alive(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)   # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == 259    # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def health(info: dict[str, Any], timeout: float = 2.0) -> dict[str, Any] | None:
    """The server's /_local/health answer, or None when it does not answer as itself."""
    import requests

    verify: Any = info.get("ca_file") or True
    try:
        r = requests.get(info["url"] + "/_local/health", timeout=timeout, verify=verify,
                         headers={"Authorization": "Bearer local"})
        body = r.json() if r.ok else None
    except (requests.RequestException, ValueError, KeyError):
        return None
    if not isinstance(body, dict) or body.get("pid") != info.get("pid"):
        return None
    return body


class Unreachable(Exception):
    """The running server did not answer a call (`local env`, `local reset`)."""


def call(info: dict[str, Any], method: str, path: str, timeout: float = 30.0
         ) -> tuple[int, Any]:
    """(status, JSON body or None) of one request to the running server,
    trusting its CA when TLS is on; Unreachable when it does not answer."""
    import requests

    try:
        r = requests.request(method, info["url"] + path, timeout=timeout,
                             verify=info.get("ca_file") or True,
                             headers={"Authorization": "Bearer local"})
    except requests.RequestException as exc:
        raise Unreachable(f"the server on {info['url']} did not answer: {exc}") from None
    try:
        body = r.json() if r.content else None
    except ValueError:
        body = None
    return r.status_code, body


def running(db: str) -> tuple[dict[str, Any] | None, str]:
    """(info, state): state is "running", "not-running", "stale" (file removed) or
    "not-answering" (the process lives but does not answer as the server)."""
    info = read(db)
    if info is None:
        if pid_path(db).exists():   # unreadable: a crash mid-write, or junk
            remove(db)
            return None, "stale"
        return None, "not-running"
    if not process_alive(info["pid"]):
        remove(db, info["pid"])
        return info, "stale"
    if health(info) is None:
        return info, "not-answering"
    return info, "running"


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return True
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)   # reap it when it is our own child
        time.sleep(0.05)
    return not process_alive(pid)


_SMTP_CACHE: dict[str, tuple[float, Any]] = {}


def served_smtp(db: str) -> tuple[str, list[int]] | None:
    """(host, ports) of the SMTP listener of a server running on `db`, for the
    in-process `local` profile; cached for a second."""
    now = time.monotonic()
    cached = _SMTP_CACHE.get(db)
    if cached and now - cached[0] < 1.0:
        return cached[1]
    info = read(db)
    found = None
    if info is not None and info.get("smtp_port") and process_alive(info["pid"]):
        ports = [info["smtp_port"]] + ([info["smtps_port"]] if info.get("smtps_port") else [])
        found = (info.get("smtp_host") or "127.0.0.1", ports)
    _SMTP_CACHE[db] = (now, found)
    return found
