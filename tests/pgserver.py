"""A throwaway PostgreSQL for the tests and CI: initdb into a temporary folder, listening only on
a Unix socket there, stopped (and the folder removed) at the end.

PostgreSQL refuses to run as root; as root the server runs as ``nobody``. From a shell (CI):
``python -m tests.pgserver start DIR`` prints the server's URL; ``python -m tests.pgserver stop DIR``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

USER = "nobody"


def bin_dir() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, else Debian's newest /usr/lib/postgresql/N/bin."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def _as_server_user() -> dict[str, Any]:
    return {"user": USER, "group": "nogroup", "extra_groups": []} if os.geteuid() == 0 else {}


def url_for(folder: Path, database: str = "postgres") -> str:
    return f"postgresql://postgres@/{database}?host={folder}"


def start(folder: Path) -> str:
    """Start a server with its data and socket in ``folder`` (created); its URL."""
    pg = bin_dir()
    if pg is None:
        raise RuntimeError("no PostgreSQL server programs (initdb, pg_ctl): apt-get install postgresql")
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, USER, "nogroup")
    run: dict[str, Any] = {"check": True, "capture_output": True, **_as_server_user()}
    data = folder / "data"
    subprocess.run(
        [pg / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], **run
    )
    # Durability off: this server's data lives for one test run.
    options = (
        f"-c listen_addresses='' -c unix_socket_directories={folder} -c fsync=off -c max_connections=200"
    )
    options += " -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run([pg / "pg_ctl", "-D", data, "-l", folder / "log", "-w", "-o", options, "start"], **run)
    return url_for(folder)


def restart(folder: Path) -> None:
    """Stop the server (ending every connection) and start it again on the same socket."""
    pg = bin_dir()
    assert pg is not None
    subprocess.run(
        # -l: without a log file the server would write to (and hold open) our captured output.
        [pg / "pg_ctl", "-D", folder / "data", "-l", folder / "log", "-m", "fast", "-w", "restart"],
        check=True,
        capture_output=True,
        **_as_server_user(),
    )


def stop(folder: Path) -> None:
    pg = bin_dir()
    if pg is not None and (folder / "data" / "postmaster.pid").exists():
        subprocess.run(
            [pg / "pg_ctl", "-D", folder / "data", "-m", "fast", "-w", "stop"],
            check=False,
            capture_output=True,
            **_as_server_user(),
        )
    shutil.rmtree(folder, ignore_errors=True)


def new_folder() -> Path:
    # Not under pytest's tmp folders: those are private to root, and the server runs as nobody.
    return Path(tempfile.mkdtemp(prefix="venice-mcp-pg-"))


if __name__ == "__main__":
    verb, where = sys.argv[1], Path(sys.argv[2])
    if verb == "start":
        print(start(where))
    else:
        stop(where)
