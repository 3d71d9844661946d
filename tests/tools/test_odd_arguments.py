"""Arguments a tool cannot use get a reason, never a bare error: NUL bytes, over-long paths, and,
when something is truly wrong inside venice-mcp, a message that says so. (NaN, which only a JSON
wire can carry, is tested over stdio in tests/e2e/test_stdio_lines.py.)"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.tools.conftest import text_of
from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/tmp/a\0b.pdf", "contains a NUL character"), ("/tmp/" + "a" * 5000, "File name too long")],
)
async def test_unusable_paths_say_why(
    client: Client, sandbox: SandboxState, path: str, reason: str, tmp_path: Path
) -> None:
    result = await client.call_tool("venice_parse_document", {"file": path})
    assert result.is_error and reason in text_of(result), text_of(result)
    assert sandbox.requests == []


async def test_a_bug_is_named_as_one_and_logged(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise KeyError("internal detail")

    monkeypatch.setattr("venice_mcp.tools.text.chat_reply", broken)
    with caplog.at_level(logging.ERROR, logger="venice_mcp"):
        result = await client.call_tool("venice_chat", {"prompt": "hi", "max_tokens": 10})
    assert result.is_error
    assert "venice_chat stopped on an unexpected KeyError, a bug in venice-mcp" in text_of(result)
    assert "internal detail" not in text_of(result)
    assert any("unexpected KeyError" in r.getMessage() and r.exc_info for r in caplog.records)
