"""The request-state key a server keeps in its home when none is set (server.state_security)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from venice_mcp.config import STATE_KEY_FILE, Settings, load_settings
from venice_mcp.server import state_security

WORKERS = 8


def start_together(settings: Settings) -> list[BaseException]:
    """``WORKERS`` threads call state_security at the same moment; what they raised."""
    start = threading.Barrier(WORKERS)
    failures: list[BaseException] = []

    def worker() -> None:
        start.wait()
        try:
            state_security(settings)
        except BaseException as exc:  # collected: the test thread reports them
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return failures


def test_servers_starting_together_on_one_home_never_read_the_key_half_written(tmp_path: Path) -> None:
    """The workers of ``serve --workers N`` start at once on one home: each must find the key
    whole (an empty one fails the start, and one failed start stops every worker), and only one
    key is ever written."""
    for attempt in range(40):
        settings = load_settings({"VENICE_MCP_HOME": str(tmp_path / str(attempt))})
        assert start_together(settings) == []
        files = list(settings.home.iterdir())
        assert [f.name for f in files] == [STATE_KEY_FILE]  # no drafts left behind
        key = files[0].read_text().strip()
        assert len(key) == 64 and int(key, 16) >= 0


def test_a_home_on_a_filesystem_without_hard_links_still_gets_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: object, dst: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr("os.link", no_links)
    settings = load_settings({"VENICE_MCP_HOME": str(tmp_path)})
    state_security(settings)
    [kept] = list(tmp_path.iterdir())  # no draft left behind
    key = kept.read_text().strip()
    assert kept.name == STATE_KEY_FILE and len(key) == 64 and int(key, 16) >= 0
    state_security(settings)  # the next start reads it, and writes nothing
    assert kept.read_text().strip() == key
