"""venice_models and venice_model_info through an MCP client, against the sandbox catalog."""

from __future__ import annotations

import pytest
from mcp import Client

from tests.tools.conftest import text_of

pytestmark = pytest.mark.anyio


async def test_text_models_are_compact_rows_with_prices_and_traits(client: Client) -> None:
    first = await client.call_tool("venice_models", {})
    assert not first.is_error
    assert first.structured_content is not None
    assert first.structured_content["total"] > 50 and len(first.structured_content["models"]) == 50
    assert "default=zai-org-glm-5-2" in text_of(first)
    everything = await client.call_tool("venice_models", {"limit": 500})
    assert everything.structured_content is not None
    row = next(m for m in everything.structured_content["models"] if m["id"] == "zai-org-glm-5-2")
    details = await client.call_tool("venice_model_info", {"model": "zai-org-glm-5-2"})
    pricing = details.structured_content["model"]["model_spec"]["pricing"]  # type: ignore[index]
    assert (
        row["price"] == f"${pricing['input']['usd']:g} in / ${pricing['output']['usd']:g} out per 1M tokens"
    )
    assert row["context_tokens"] > 0
    assert len(text_of(everything)) < 40_000  # compact: the full specs stay out of the listing


async def test_video_models_are_listed(client: Client) -> None:
    """The official server listed 0 of 106 video models; every type must come back."""
    result = await client.call_tool("venice_models", {"type": "video", "limit": 500})
    data = result.structured_content
    assert data is not None and data["total"] > 100
    assert all(m["type"] == "video" for m in data["models"])


async def test_filters_by_capability_and_search(client: Client) -> None:
    vision = await client.call_tool("venice_models", {"capability": "vision", "limit": 500})
    assert vision.structured_content is not None
    ids = [m["id"] for m in vision.structured_content["models"]]
    assert ids and all("vision" in m["capabilities"] for m in vision.structured_content["models"])
    searched = await client.call_tool("venice_models", {"search": "glm", "limit": 500})
    assert searched.structured_content is not None
    assert all(
        "glm" in m["id"].lower() or "glm" in m["name"].lower() for m in searched.structured_content["models"]
    )


async def test_bad_filter_value_is_a_readable_error(client: Client) -> None:
    result = await client.call_tool("venice_models", {"type": "holograms"})
    assert result.is_error and "type" in text_of(result)


@pytest.mark.parametrize(
    ("name", "expected", "via"),
    [
        ("zai-org-glm-5-2", "zai-org-glm-5-2", "id"),
        ("default", "zai-org-glm-5-2", "trait"),
        ("ZAI-ORG GLM 5.2", "zai-org-glm-5-2", "normalized"),
    ],
)
async def test_model_info_resolves_ids_traits_and_loose_names(
    client: Client, name: str, expected: str, via: str
) -> None:
    result = await client.call_tool("venice_model_info", {"model": name})
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data is not None and data["model"]["id"] == expected and data["resolved_by"] == via
    assert "pricing" in data["model"]["model_spec"]


async def test_model_info_resolves_compatibility_aliases(client: Client) -> None:
    result = await client.call_tool(
        "venice_model_info", {"model": "text-embedding-ada-002", "type": "embedding"}
    )
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    assert result.structured_content["resolved_by"] == "alias"
    assert result.structured_content["model"]["type"] == "embedding"


async def test_unknown_model_suggests_close_names(client: Client) -> None:
    result = await client.call_tool("venice_model_info", {"model": "zai-org-glm-5-3"})
    assert result.is_error
    assert "zai-org-glm-5" in text_of(result) and "venice_models" in text_of(result)


async def test_catalog_works_without_credentials(make_client: object) -> None:
    async with make_client(api_key=None) as c:  # type: ignore[operator]
        result = await c.call_tool("venice_models", {"type": "embedding"})
    assert not result.is_error and result.structured_content["total"] > 0
