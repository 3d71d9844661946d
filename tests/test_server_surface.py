"""What an agent sees before calling anything: instructions, prompts, tool titles, annotations,
and a tools/list small enough to send on every turn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client

from tests.hints import hints
from venice_mcp.config import Settings
from venice_mcp.schemas import compact
from venice_mcp.server import build_server

pytestmark = pytest.mark.anyio

READ_ONLY = {
    "venice_models",
    "venice_model_info",
    "venice_image_styles",
    "venice_quote",
    "venice_crypto_networks",
    "venice_characters",
    "venice_wallet_balance",
    "venice_wallet_transactions",
    "venice_spending",
    "venice_read_output",
}
PAID = {
    "venice_chat",
    "venice_embeddings",
    "venice_responses",
    "venice_image_generate",
    "venice_image_edit",
    "venice_image_multi_edit",
    "venice_image_upscale",
    "venice_image_remove_background",
    "venice_speech",
    "venice_transcribe",
    "venice_music_generate",
    "venice_video_generate",
    "venice_web_search",
    "venice_web_scrape",
    "venice_parse_document",
    "venice_crypto_rpc",
    "venice_wallet_top_up",
}


def server(tmp_path: Path, admin: bool = False) -> Client:
    return Client(build_server(Settings(home=tmp_path, admin_tools=admin)), mode="legacy")


async def test_tools_list_of_every_default_tool_fits_in_24_kb(tmp_path: Path) -> None:
    """Every host sends tools/list to the model in every conversation (the official Venice server:
    31 tools in 23,966 B). Compact JSON as on the wire, UTF-8."""
    async with server(tmp_path) as c:
        listing = await c.list_tools()
    size = len(listing.model_dump_json(by_alias=True, exclude_none=True).encode())
    assert size <= 24_000, f"tools/list is {size} bytes"
    assert len(listing.tools) == 31


async def test_toolsets_load_only_the_groups_asked_for(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, toolsets=("text", "images"))
    async with Client(build_server(settings), mode="legacy") as c:
        names = {t.name for t in (await c.list_tools()).tools}
        outside = await c.call_tool("venice_speech", {"text": "hi"})
    core = {"venice_models", "venice_model_info", "venice_read_output", "venice_spending"}
    images = {n for n in READ_ONLY | PAID if n.startswith("venice_image")}
    assert names == core | images | {
        "venice_chat",
        "venice_embeddings",
        "venice_responses",
        "venice_characters",
    }
    assert outside.is_error and "Unknown tool" in str(outside.content)


async def test_every_tool_has_a_title_and_honest_annotations(tmp_path: Path) -> None:
    async with server(tmp_path, admin=True) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
    assert set(tools) >= READ_ONLY | PAID
    for name, tool in tools.items():
        assert tool.annotations is not None and tool.annotations.title, name
        assert hints(tool)["open_world_hint"] is True, name
        assert tool.description and len(tool.description) < 400, name
    for name in READ_ONLY:
        assert hints(tools[name])["read_only_hint"] is True, name
    for name in PAID:
        paid = hints(tools[name])
        assert paid["read_only_hint"] is False and paid["destructive_hint"] is False, name
        assert "confirm" in tools[name].input_schema["properties"], name
    for name in ("venice_api_key_create", "venice_api_key_update", "venice_api_key_delete"):
        assert hints(tools[name])["destructive_hint"] is True


async def test_instructions_tell_an_agent_how_to_work(tmp_path: Path) -> None:
    async with server(tmp_path) as c:
        text = c.instructions
    assert text
    for needle in ("venice_quote", "confirm=true", "venice_jobs", "venice-mcp://outputs/"):
        assert needle in text


async def test_prompts_fill_in_their_arguments(tmp_path: Path) -> None:
    async with server(tmp_path) as c:
        prompts = {p.name: p for p in (await c.list_prompts()).prompts}
        assert set(prompts) == {"image_in_style", "research_topic", "video_from_image"}
        got = await c.get_prompt("image_in_style", {"subject": "a lighthouse at dusk", "style": "Cinematic"})
        text = got.messages[0].content.text  # type: ignore[union-attr]
        assert "a lighthouse at dusk" in text and "'Cinematic'" in text and "venice_image_generate" in text
        research = await c.get_prompt("research_topic", {"topic": "tidal power"})
        assert "venice_web_search" in research.messages[0].content.text  # type: ignore[union-attr]


def test_compact_drops_titles_and_null_branches_only() -> None:
    schema = {
        "title": "fArguments",
        "type": "object",
        "properties": {
            "a": {
                "anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}],
                "default": None,
                "title": "A",
            },
            "b": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}], "default": None},
            "c": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "C"},  # required nullable: kept
            "title": {"type": "string", "title": "Title"},  # a property named "title" survives
        },
        "required": ["c", "title"],
    }
    assert compact(schema) == {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "minimum": 1},
            "b": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "c": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "title": {"type": "string"},
        },
        "required": ["c", "title"],
    }


async def test_compacted_optional_arguments_still_accept_null(tmp_path: Path) -> None:
    async with server(tmp_path) as c:
        listing = {t.name: t for t in (await c.list_tools()).tools}
        assert "anyOf" not in json.dumps(listing["venice_models"].input_schema["properties"]["search"])
        result = await c.call_tool("venice_models", {"search": None, "type": "not-a-type"})
    assert result.is_error and "type" in result.content[0].text  # type: ignore[union-attr]
