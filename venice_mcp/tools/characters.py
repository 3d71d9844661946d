"""Characters: Venice's public personas, to use as ``character`` in venice_chat / venice_responses."""

import re
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from venice_mcp.call import Call
from venice_mcp.context import AppState
from venice_mcp.reply import Reply
from venice_mcp.tools._declare import tool

# The Venice operations each tool reaches (spec paths); tools/spec_coverage.py reads this.
ENDPOINTS = {
    "GET /characters": ("venice_characters",),
    "GET /characters/{slug}": ("venice_characters",),
    "GET /characters/{slug}/reviews": ("venice_characters",),
}

SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$")
SortBy = Literal[
    "featured", "highestRating", "highlyRated", "highlyRatedAndRecent", "imports", "mostRecent", "ratingCount"
]


def require_api_key(state: AppState, tool: str, what: str) -> None:
    """Bearer-only Venice routes: a wallet sign-in is refused there, so say so before calling."""
    if state.client.auth.kind == "wallet":
        raise ToolError(
            f"{tool} needs a Venice API key: Venice serves {what} to API keys only, not to wallet "
            "(x402) sign-in. Set VENICE_API_KEY (https://venice.ai/settings/api) and remove "
            "VENICE_WALLET_KEY from this server's environment, then restart it."
        )
    state.client.ensure_credentials()


def _line(c: dict[str, Any]) -> str:
    stats = c.get("stats") or {}
    flags = [
        f
        for f, on in (
            ("featured", c.get("featured")),
            ("adult", c.get("adult")),
            ("web", c.get("webEnabled")),
        )
        if on
    ]
    parts = [
        f"{c.get('slug')} — {c.get('name')}",
        f"★{stats.get('averageRating', 0)} ({stats.get('ratingCount', 0)})",
        f"{stats.get('imports', 0)} imports",
        f"model {c.get('modelId')}",
    ]
    if c.get("tags"):
        parts.append("tags: " + ", ".join(c["tags"]))
    if flags:
        parts.append("[" + ", ".join(flags) + "]")
    line = "- " + " · ".join(parts)
    if c.get("description"):
        line += f"\n  {c['description']}"
    return line


@tool("Characters", "read_only", "text")
async def venice_characters(
    call: Call,
    slug: Annotated[
        str | None,
        Field(description="One character, with reviews."),
    ] = None,
    search: Annotated[
        str | None,
        Field(max_length=200, description="'#Tag' for a tag."),
    ] = None,
    tags: Annotated[list[str] | None, Field(max_length=20)] = None,
    categories: Annotated[list[str] | None, Field(max_length=20)] = None,
    model_id: Annotated[list[str] | None, Field(max_length=20)] = None,
    adult: Annotated[bool, Field()] = False,
    pro_only: Annotated[bool, Field()] = False,
    web_enabled_only: Annotated[bool, Field()] = False,
    sort_by: Annotated[SortBy | None, Field()] = None,
    sort_order: Literal["asc", "desc"] = "desc",
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
    offset: Annotated[int, Field(ge=0)] = 0,
    reviews: Annotated[int, Field(ge=0, le=100, description="With slug.")] = 5,
    reviews_page: Annotated[int, Field(ge=1, description="With slug.")] = 1,
) -> Reply:
    """Browse, search or read Venice characters (a slug is venice_chat's character). API key
    only."""
    state = call.state
    if slug is not None and not SLUG.match(slug):
        raise ToolError(f"{slug!r} is not a character slug; find slugs with venice_characters.")
    require_api_key(state, "venice_characters", "/characters")
    if slug is not None:
        one = await state.client.request("GET", f"/characters/{slug}", kind="fast")
        found: dict[str, Any] = (one.body or {}).get("data") or {}
        page: dict[str, Any] = {}
        if reviews:
            got = await state.client.request(
                "GET",
                f"/characters/{slug}/reviews",
                params={"page": reviews_page, "pageSize": reviews},
                kind="fast",
            )
            page = got.body if isinstance(got.body, dict) else {}
        return _one(found, page)
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if search:
        params["search"] = search
    for name, values in (("tags", tags), ("categories", categories), ("modelId", model_id)):
        if values:
            params[name] = values
    if adult:
        params["isAdult"] = "true"
    if pro_only:
        params["isPro"] = "true"
    if web_enabled_only:
        params["isWebEnabled"] = "true"
    if sort_by:
        params["sortBy"] = sort_by
        params["sortOrder"] = sort_order
    listed = await state.client.request("GET", "/characters", params=params, kind="fast")
    rows = [c for c in (listed.body or {}).get("data") or [] if isinstance(c, dict)]
    head = f"{len(rows)} character(s)" + (f" from offset {offset}" if offset else "")
    if len(rows) == limit:
        head += f"; more may follow (offset={offset + limit})"
    text = head + ("\n" + "\n".join(_line(c) for c in rows) if rows else "\nNo character matches.")
    return Reply(text, {"characters": rows, "offset": offset, "limit": limit})


def _one(character: dict[str, Any], page: dict[str, Any]) -> Reply:
    lines = [_line(character).removeprefix("- ")]
    if character.get("shareUrl"):
        lines.append(f"Page: {character['shareUrl']}")
    lines.append(f'Use it with venice_chat {{"character": "{character.get("slug")}", ...}}.')
    reviews = [r for r in page.get("data") or [] if isinstance(r, dict)]
    if page:
        pag = page.get("pagination") or {}
        summary = page.get("summary") or {}
        lines.append(
            f"\nReviews (page {pag.get('page', 1)} of {pag.get('totalPages', '?')}, {pag.get('total', '?')} "
            f"visible; average {summary.get('averageRating', '?')} over "
            f"{summary.get('totalReviews', '?')} ratings):"
        )
        lines += [
            f"- {'★' * int(r.get('rating') or 0)} {r.get('username')}: {r.get('message') or ''}"
            for r in reviews
        ]
    structured = {"character": character, "reviews": reviews, "reviews_pagination": page.get("pagination")}
    return Reply("\n".join(lines), structured)
