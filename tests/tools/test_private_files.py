"""What no tool or resource may read: the server's own state through a link placed in the output
folder, and the API keys venice_api_key_create saved (issue 10, findings 8b and 9)."""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from tests.tools.conftest import text_of
from venice_mcp.config import Secret, Settings
from venice_mcp.sandbox import SandboxState
from venice_mcp.sandbox.state import SANDBOX_ADMIN_KEY

pytestmark = pytest.mark.anyio

URI = "venice-mcp://outputs/"


async def _resource(client: Client, name: str) -> bytes | None:
    """The bytes resources/read serves for an output name, or None when it is refused."""
    try:
        read = await client.read_resource(URI + name)
    except MCPError:
        return None
    contents: Any = read.contents[0]
    return base64.b64decode(contents.blob) if hasattr(contents, "blob") else contents.text.encode()


async def _every_read(client: Client, name: str, path: Path) -> list[str]:
    """What each way of reading a file handed back: the resource, venice_read_output, and the
    file given as an input to a tool that returns its text."""
    seen: list[str] = []
    served = await _resource(client, name)
    if served is not None:
        seen.append(served.decode("utf-8", "replace"))
    for tool, args in (
        ("venice_read_output", {"name": name}),
        ("venice_read_output", {"name": URI + name}),
        ("venice_parse_document", {"file": str(path), "confirm": True}),
    ):
        result = await client.call_tool(tool, args)
        if not result.is_error:
            seen.append(text_of(result))
    return seen


async def _warm(client: Client) -> None:
    await client.call_tool("venice_read_output", {"name": "nothing"})  # builds the state (database)


@pytest.mark.parametrize("target", ["state.sqlite3", "request-state.key"])
async def test_a_link_in_the_output_folder_does_not_expose_the_servers_state(
    client: Client, settings: Settings, target: str
) -> None:
    await _warm(client)
    settings.outputs.mkdir(parents=True, exist_ok=True)
    (settings.home / "request-state.key").write_text("k" * 64)
    link = settings.outputs / "notes.txt"
    link.symlink_to(settings.home / target)
    assert await _resource(client, "notes.txt") is None
    result = await client.call_tool("venice_read_output", {"name": "notes.txt"})
    assert result.is_error and "SQLite" not in text_of(result) and "k" * 64 not in text_of(result)


async def test_links_to_anywhere_are_not_followed(client: Client, settings: Settings, tmp_path: Path) -> None:
    """Symlinks and hard links alike: an output is a file the server wrote, not a way out."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "private.txt").write_text("diary entry")
    settings.outputs.mkdir(parents=True, exist_ok=True)
    (settings.outputs / "soft.txt").symlink_to(elsewhere / "private.txt")
    os.link(elsewhere / "private.txt", settings.outputs / "hard.txt")
    (settings.outputs / "dir-link").symlink_to(elsewhere, target_is_directory=True)
    for name in ("soft.txt", "hard.txt", "dir-link", "dir-link/private.txt", "../elsewhere/private.txt"):
        assert await _resource(client, name) is None, name
        result = await client.call_tool("venice_read_output", {"name": name})
        assert result.is_error and "diary" not in text_of(result), name
    # An ordinary output still reads.
    (settings.outputs / "page.md").write_text("# fine")
    assert await _resource(client, "page.md") == b"# fine"


@pytest.fixture(params=["default", "outputs-is-home", "outputs-is-secrets"])
def layout(request: pytest.FixtureRequest, settings: Settings) -> dict[str, Any]:
    """Admin settings, also with output folders an operator might set that overlap the home."""
    outputs = {
        "default": None,
        "outputs-is-home": settings.home,
        "outputs-is-secrets": settings.home / "secrets",
    }[request.param]
    return {"api_key": Secret(SANDBOX_ADMIN_KEY), "admin_tools": True, "output_dir": outputs}


async def test_a_created_key_is_kept_where_no_tool_or_resource_reads_it(
    make_client: Callable[..., Client], sandbox: SandboxState, settings: Settings, layout: dict[str, Any]
) -> None:
    async with make_client(**layout, input_roots=(settings.home.parent,)) as admin:
        created = await admin.call_tool("venice_api_key_create", {"description": "ci bot"})
        assert not created.is_error, text_of(created)
        data = created.structured_content or {}
        path = Path(data["secret_file"])
        secret = path.read_text().strip()
        assert secret in sandbox.api_keys and secret not in str(created.model_dump())
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert str(path) in text_of(created) and "no tool" in text_of(created)
        for seen in await _every_read(admin, path.name, path):
            assert secret not in seen and secret[-12:] not in seen
        # Nor by a link to it placed in the output folder.
        out = settings.with_changes(**layout).outputs
        out.mkdir(parents=True, exist_ok=True)
        (out / "copy.txt").symlink_to(path)
        for seen in await _every_read(admin, "copy.txt", out / "copy.txt"):
            assert secret not in seen


async def test_keys_saved_in_the_output_folder_by_earlier_versions_stay_unread(
    make_client: Callable[..., Client], settings: Settings
) -> None:
    """Before this, venice_api_key_create wrote api-key-*.txt into the output folder."""
    settings.outputs.mkdir(parents=True)
    old = settings.outputs / "api-key-k1-20260101-000000-abcdef.txt"
    old.write_text("VENICE_INFERENCE_KEY_" + "old" * 10 + "\n")
    old.chmod(0o600)
    async with make_client(input_roots=(settings.home.parent,)) as c:
        for seen in await _every_read(c, old.name, old):
            assert "old" * 10 not in seen


async def test_an_output_folder_set_to_the_home_does_not_serve_the_servers_files(
    make_client: Callable[..., Client], settings: Settings
) -> None:
    async with make_client(output_dir=settings.home, input_roots=(settings.home.parent,)) as c:
        await _warm(c)
        (settings.home / "request-state.key").write_text("k" * 64)
        for name in ("state.sqlite3", "state.sqlite3-wal", "request-state.key"):
            for seen in await _every_read(c, name, settings.home / name):
                assert "SQLite format" not in seen and "k" * 64 not in seen, name
        (settings.home / "page.md").write_text("# an output")
        assert await _resource(c, "page.md") == b"# an output"
