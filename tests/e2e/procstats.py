"""What a server child holds, read from /proc (Linux): descriptors, database handles, sockets, RSS."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
import pytest

needs_proc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

_LISTEN = "0A"


def fd_targets(pid: int) -> list[str]:
    """Where each open descriptor of ``pid`` points (closed mid-listing ones are skipped)."""
    base = Path(f"/proc/{pid}/fd")
    targets = []
    for name in os.listdir(base):
        try:
            targets.append(os.readlink(base / name))
        except FileNotFoundError:
            continue
    return targets


def open_fds(pid: int) -> int:
    return len(fd_targets(pid))


def state_handles(pid: int, home: Path) -> int:
    """Descriptors on the state database: state.sqlite3 and its -wal and -shm companions."""
    prefix = str(home.resolve() / "state.sqlite3")
    return sum(1 for t in fd_targets(pid) if t.startswith(prefix))


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    """Resident memory now (or ``VmHWM``: its peak so far), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for {pid}")


def client_connections(pid: int, port: int) -> int:
    """Accepted TCP connections on ``port`` that ``pid`` still holds (the listener not counted)."""
    inodes = {t[len("socket:[") : -1] for t in fd_targets(pid) if t.startswith("socket:[")}
    held = 0
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for row in path.read_text().splitlines()[1:]:
            fields = row.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] != _LISTEN and fields[9] in inodes:
                held += 1
    return held


async def until_no_clients(pid: int, port: int, timeout: float = 30.0) -> None:
    """Wait, boundedly, until the server has closed every client connection it accepted."""
    with anyio.fail_after(timeout):
        while client_connections(pid, port):
            await anyio.sleep(0.02)  # a poll interval, not a wait for an outcome
