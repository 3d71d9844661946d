"""The README's tool table names every tool the server offers (admin tools included)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from venice_mcp.config import Settings
from venice_mcp.server import build_server

pytestmark = pytest.mark.anyio

README = Path(__file__).resolve().parent.parent / "README.md"


async def test_every_tool_is_documented(tmp_path: Path) -> None:
    async with Client(build_server(Settings(home=tmp_path, admin_tools=True)), mode="legacy") as c:
        names = [t.name for t in (await c.list_tools()).tools]
    text = README.read_text()
    assert [n for n in names if f"`{n}`" not in text] == []
