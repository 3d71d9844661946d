"""venice_characters through an MCP client: list and search, one character with reviews, and the
API-key-only rule."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mcp import Client

from tests.tools.conftest import text_of, venice_requests
from venice_mcp.config import Secret
from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio
WALLET_KEY = "0x" + "11" * 32


async def test_list_with_filters(client: Client, sandbox: SandboxState) -> None:
    args = {"search": "#Philosophy", "sort_by": "highestRating", "limit": 10}
    result = await client.call_tool("venice_characters", args)
    assert not result.is_error, text_of(result)
    slugs = [c["slug"] for c in result.structured_content["characters"]]  # type: ignore[index]
    assert slugs == ["alan-watts", "socrates"]
    assert "- alan-watts — Alan Watts · ★4.6 (5) · 12840 imports" in text_of(result)
    [sent] = venice_requests(sandbox, "/characters")
    assert sent.query == {
        "limit": "10",
        "offset": "0",
        "search": "#Philosophy",
        "sortBy": "highestRating",
        "sortOrder": "desc",
    }


async def test_one_character_with_reviews(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_characters", {"slug": "alan-watts", "reviews": 3})
    assert not result.is_error, text_of(result)
    text = text_of(result)
    assert text.startswith("alan-watts — Alan Watts")
    assert 'venice_chat {"character": "alan-watts"' in text
    assert "Reviews (page 1 of 9, 25 visible; average 4.6 over 5 ratings)" in text
    assert len(result.structured_content["reviews"]) == 3  # type: ignore[index]
    [detail] = venice_requests(sandbox, "/characters/{slug}")
    [reviews] = venice_requests(sandbox, "/characters/{slug}/reviews")
    assert reviews.query == {"page": "1", "pageSize": "3"} and detail.status == 200


async def test_unknown_slug_is_venices_404(client: Client) -> None:
    result = await client.call_tool("venice_characters", {"slug": "no-such-person"})
    assert result.is_error and "404" in text_of(result) and "Character not found" in text_of(result)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_wallet_mode_says_an_api_key_is_needed(
    make_client: Callable[..., Client], sandbox: SandboxState, mode: str
) -> None:
    async with make_client(mode, api_key=None, wallet_key=Secret(WALLET_KEY)) as client:
        result = await client.call_tool("venice_characters", {})
    assert result.is_error
    assert "needs a Venice API key" in text_of(result) and "VENICE_API_KEY" in text_of(result)
    assert venice_requests(sandbox, "/characters") == []
