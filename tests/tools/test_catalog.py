"""venice_models and venice_model_info through an MCP client, against the sandbox catalog."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from tests.tools.conftest import text_of, venice_requests
from venice_mcp.sandbox import SandboxState
from venice_mcp.sandbox import catalog as venice_catalog

pytestmark = pytest.mark.anyio


def venice_text_models() -> dict[str, dict[str, Any]]:
    """What Venice's GET /models?type=text says, by id: the expectations' source."""
    return {m["id"]: m for m in venice_catalog.models_of("text")}


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


async def test_every_row_shows_privacy_and_tee(client: Client) -> None:
    result = await client.call_tool("venice_models", {"limit": 500})
    assert result.structured_content is not None
    rows = {r["id"]: r for r in result.structured_content["models"]}
    venice = venice_text_models()
    assert set(rows) == set(venice)
    for model_id, row in rows.items():
        spec = venice[model_id]["model_spec"]
        assert row["privacy"] == spec["privacy"]
        assert ("tee" in row.get("capabilities", [])) is spec["capabilities"]["supportsTeeAttestation"]
        assert ("e2ee" in row.get("capabilities", [])) is spec["capabilities"]["supportsE2EE"]
    lines = {line.split(" · ")[0][2:]: line for line in text_of(result).splitlines() if line.startswith("- ")}
    assert lines["e2ee-glm-5-2-p"].startswith("- e2ee-glm-5-2-p · private (TEE, E2EE) · $")
    assert lines["zai-org-glm-5-2"].startswith("- zai-org-glm-5-2 · private · $")
    assert lines["claude-opus-5"].startswith("- claude-opus-5 · anonymized · $")
    assert "tee" not in lines["e2ee-glm-5-2-p"].split(" · ", 3)[3]  # said once, up front
    assert "Privacy: private = zero data retention; anonymized = " in text_of(result)


@pytest.mark.parametrize("privacy", ["private", "anonymized"])
async def test_filters_by_privacy(client: Client, privacy: str) -> None:
    result = await client.call_tool("venice_models", {"type": "all", "privacy": privacy, "limit": 500})
    data = result.structured_content
    assert data is not None and data["models"]
    everything = venice_catalog.models_of("all")
    assert data["total"] == sum(m["model_spec"]["privacy"] == privacy for m in everything)
    assert {r["privacy"] for r in data["models"]} == {privacy}
    assert {r["type"] for r in data["models"]} > {"text"}  # privacy is not only a text matter


async def test_tee_is_a_capability_filter(client: Client) -> None:
    tee = await client.call_tool("venice_models", {"capability": "tee", "limit": 500})
    assert tee.structured_content is not None
    venice = venice_text_models()
    expected = {i for i, m in venice.items() if m["model_spec"]["capabilities"]["supportsTeeAttestation"]}
    assert expected and {r["id"] for r in tee.structured_content["models"]} == expected
    none = await client.call_tool("venice_models", {"capability": "tee", "privacy": "anonymized"})
    assert none.structured_content is not None and none.structured_content["total"] == 0
    assert "No model matches those filters." in text_of(none)


async def test_listing_shows_the_types_compatibility_aliases(client: Client, sandbox: SandboxState) -> None:
    text = await client.call_tool("venice_models", {"limit": 1})
    assert text.structured_content is not None
    aliases = venice_catalog.compatibility("text")
    assert text.structured_content["aliases"] == aliases and aliases["gpt-4o"] == "zai-org-glm-5-2"
    head = text_of(text).splitlines()[0]
    grouped = ", ".join(sorted(a for a, target in aliases.items() if target == "zai-org-glm-5-2"))
    assert "Aliases: " in head and f"{grouped} → zai-org-glm-5-2" in head
    embedding = await client.call_tool("venice_models", {"type": "embedding"})
    assert embedding.structured_content is not None
    assert embedding.structured_content["aliases"] == {"text-embedding-ada-002": "text-embedding-bge-m3"}
    assert "Aliases: text-embedding-ada-002 → text-embedding-bge-m3" in text_of(embedding)
    everything = await client.call_tool("venice_models", {"type": "all", "limit": 1})
    assert everything.structured_content is not None and everything.structured_content["aliases"] == {}
    # Venice keeps aliases per type and refuses type=all: the tool does not ask.
    asked = [r.query["type"] for r in venice_requests(sandbox, "/models/compatibility_mapping")]
    assert asked == ["text", "embedding"]


async def test_model_resource_rows_show_privacy(client: Client) -> None:
    read = await client.read_resource("venice-mcp://models/text")
    rows = {r["id"]: r for r in json.loads(read.contents[0].text)["models"]}  # type: ignore[union-attr]
    assert rows["e2ee-glm-5-2-p"]["privacy"] == "private"
    assert {"tee", "e2ee"} <= set(rows["e2ee-glm-5-2-p"]["capabilities"])


async def test_bad_filter_value_is_a_readable_error(client: Client) -> None:
    result = await client.call_tool("venice_models", {"type": "holograms"})
    assert result.is_error and "type" in text_of(result)
    secret = await client.call_tool("venice_models", {"privacy": "secret"})
    assert secret.is_error and "privacy" in text_of(secret)


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
