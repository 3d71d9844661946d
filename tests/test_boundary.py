"""The tool boundary: tool functions are plain functions callable by name, payments/ knows nothing
of MCP, and a Reply becomes the result each protocol version can read."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.tools.conftest import SANDBOX_URL
from venice_mcp.boundary.eras import EMBED_MAX_BYTES, to_result
from venice_mcp.boundary.registry import tool_functions
from venice_mcp.call import Call
from venice_mcp.config import Secret, Settings
from venice_mcp.context import Runtime
from venice_mcp.outputs import OutputStore, Preview
from venice_mcp.payments.budget import SpendStopped
from venice_mcp.reply import Attachment, Reply
from venice_mcp.sandbox import SANDBOX_API_KEY, SandboxState, create_app
from venice_mcp.tools.catalog import venice_models
from venice_mcp.tools.text import venice_chat

PACKAGE = Path(__file__).parent.parent / "venice_mcp"


def test_payments_import_nothing_from_mcp() -> None:
    for path in sorted((PACKAGE / "payments").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n == "mcp" or n.startswith(("mcp.", "mcp_types")) for n in names), path


def test_every_tool_is_a_module_level_function_of_its_module() -> None:
    found = tool_functions(Settings(admin_tools=True))
    assert len(found) == 34
    for fn, _ in found:
        module = importlib.import_module(fn.__module__)
        assert getattr(module, fn.__name__) is fn


@pytest.fixture
async def runtime(tmp_path: Path, sandbox: SandboxState) -> Any:
    settings = Settings(
        api_key=Secret(SANDBOX_API_KEY), base_url=SANDBOX_URL, home=tmp_path, max_call_usd=0.0
    )
    runtime = Runtime(settings, transport=httpx2.ASGITransport(app=create_app(sandbox)))
    try:
        yield runtime
    finally:
        await runtime.aclose()


@pytest.fixture
def sandbox() -> SandboxState:
    return SandboxState()


@pytest.mark.anyio
async def test_tool_functions_run_by_name_without_mcp(runtime: Runtime, sandbox: SandboxState) -> None:
    state = await runtime.state()
    listed = await venice_models(Call("venice_models", state), type="text")
    assert listed.data is not None and listed.data["total"] > 0

    async def yes(question: str) -> bool:
        return True

    reply = await venice_chat(Call("venice_chat", state, ask=yes), prompt="hello")
    assert reply.text.startswith("[sandbox]")

    async def no(question: str) -> bool:
        return False

    with pytest.raises(SpendStopped) as stopped:
        await venice_chat(Call("venice_chat", state, ask=no), prompt="hello again")
    assert stopped.value.status == "declined"
    assert len([r for r in sandbox.requests if r.path == "/chat/completions"]) == 1


# -- eras: the same Reply in each protocol version ---------------------------------------------


def _reply(tmp_path: Path, size: int, kind: str, ext: str) -> Reply:
    store = OutputStore(tmp_path)
    saved = store.write(b"x" * size, kind, ext)
    preview = Preview("audio", saved.path.read_bytes(), saved.mime_type) if kind == "speech" else None
    return Reply("done", {"path": str(saved.path)}, [Attachment(saved, kind.title(), preview)])


def _types(result: Any) -> list[str]:
    return [block.type for block in result.content]


def test_new_versions_get_links_previews_and_structured_content(tmp_path: Path) -> None:
    for version in ("2025-06-18", "2025-11-25", "2026-07-28", None):
        result = to_result(_reply(tmp_path, 1000, "speech", "mp3"), version)
        assert _types(result) == ["text", "resource_link", "audio"] and result.structured_content


def test_old_versions_get_the_link_as_text_and_small_files_embedded(tmp_path: Path) -> None:
    small = to_result(_reply(tmp_path, 1000, "data", "json"), "2025-03-26")
    assert _types(small) == ["text", "text", "resource"] and small.structured_content is None
    assert small.content[2].resource.text == "x" * 1000  # type: ignore[union-attr]
    big = to_result(_reply(tmp_path, EMBED_MAX_BYTES + 1, "data", "json"), "2025-03-26")
    assert _types(big) == ["text", "text"] and "venice-mcp://outputs/" in big.content[1].text  # type: ignore[union-attr]


def test_audio_before_audio_blocks_is_the_file_embedded_once(tmp_path: Path) -> None:
    old = to_result(_reply(tmp_path, 1000, "speech", "mp3"), "2024-11-05")
    assert _types(old) == ["text", "text", "resource"]
    assert old.content[2].resource.mime_type == "audio/mpeg"  # type: ignore[union-attr]
    later = to_result(_reply(tmp_path, 1000, "speech", "mp3"), "2025-03-26")
    assert _types(later) == ["text", "text", "audio"]
