"""Secrets the server is handed once (an API key venice_api_key_create made) and keeps for the
person: in the home's secrets folder (mode 700, files 600), outside the output folder, where no
tool input, resource or output read reaches them (config.Settings.sealed lists it)."""

from __future__ import annotations

import os
import re
import secrets
import stat
from datetime import datetime, timezone
from pathlib import Path

from venice_mcp.config import SECRET_FILE_PREFIX

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _private_folder(folder: Path) -> None:
    """Make ``folder`` (mode 700) or check the one there is a real folder, then tighten it."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode):
        # A link there could lead the key into a folder tools read (the outputs, say).
        raise OSError(f"{folder} is not a plain folder; remove it so the key can be kept safely")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(folder, 0o700)


def save_secret(folder: Path, value: str, hint: str) -> Path:
    """Write ``value`` to a new file (mode 600) in ``folder``; returns its path.

    Raises:
        OSError: the folder is not a plain folder, or the file cannot be written.
    """
    _private_folder(folder)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    parts = [_SAFE.sub("-", hint).strip("-")[:40], stamp, secrets.token_hex(3)]
    path = folder / (SECRET_FILE_PREFIX + "-".join(p for p in parts if p) + ".txt")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return path
