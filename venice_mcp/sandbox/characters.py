"""GET /characters, /characters/{slug} and /characters/{slug}/reviews (Bearer only), over a small
seeded catalog. The same slugs are the ones chat accepts as ``character_slug``."""

from __future__ import annotations

import math
from typing import Any

from starlette.responses import JSONResponse, Response

from venice_mcp.sandbox.context import Context
from venice_mcp.sandbox.errors import error
from venice_mcp.sandbox.params import validate_query


def _character(
    n: int,
    slug: str,
    name: str,
    description: str | None,
    tags: list[str],
    *,
    categories: list[str],
    model: str = "venice-uncensored-1-2",
    featured: bool = False,
    adult: bool = False,
    web: bool = False,
    pro: bool = False,
    ratings: tuple[int, ...] = (),
    imports: int = 0,
    day: int = 1,
) -> dict[str, Any]:
    return {
        "id": f"6a1c0000-0000-4000-8000-{n:012d}",
        "slug": slug,
        "name": name,
        "description": description,
        "photoUrl": f"https://cdn.example.com/characters/{slug}.png" if n % 2 else None,
        "shareUrl": f"https://venice.ai/c/{slug}",
        "author": f"a{n:04d}"[-5:],
        "tags": tags,
        "featured": featured,
        "adult": adult,
        "webEnabled": web,
        "modelId": model,
        "stats": {
            "averageRating": round(sum(ratings) / len(ratings), 2) if ratings else 0,
            "imports": imports,
            "ratingCount": len(ratings),
            "ratingSum": sum(ratings),
            "userRating": None,
        },
        "createdAt": f"2026-0{1 + n % 8}-{day:02d}T12:00:00.000Z",
        "updatedAt": f"2026-09-{day:02d}T12:00:00.000Z",
        # Not part of the wire shape: what the hidden filters look at.
        "_categories": categories,
        "_pro": pro,
    }


CHARACTERS: list[dict[str, Any]] = [
    _character(
        1,
        "alan-watts",
        "Alan Watts",
        "Philosopher and speaker on Zen, Taoism and the nature of mind.",
        ["Philosophy", "Zen", "Teacher"],
        categories=["philosophy"],
        featured=True,
        web=False,
        ratings=(5, 5, 4, 5, 4),
        imports=12840,
        day=3,
    ),
    _character(
        2,
        "venice",
        "Venice",
        "The Venice assistant: private, uncensored, helpful.",
        ["Assistant", "Default"],
        categories=["assistant"],
        featured=True,
        web=True,
        ratings=(5, 4, 4),
        imports=30211,
        day=1,
    ),
    _character(
        3,
        "sandbox-assistant",
        "Sandbox Assistant",
        None,
        ["Assistant", "Testing"],
        categories=["assistant"],
        model="zai-org-glm-5-2",
        ratings=(),
        imports=12,
        day=9,
    ),
    _character(
        4,
        "socrates",
        "Socrates",
        "Asks questions until you find out what you actually think.",
        ["Philosophy", "Teacher", "History"],
        categories=["philosophy", "education"],
        model="kimi-k2-6",
        pro=True,
        ratings=(4, 3),
        imports=5120,
        day=12,
    ),
    _character(
        5,
        "night-market-noir",
        "Night Market Noir",
        "A hard-boiled detective story for grown-ups.",
        ["Roleplay", "Noir"],
        categories=["roleplay"],
        adult=True,
        web=True,
        ratings=(5,),
        imports=900,
        day=20,
    ),
]
SLUGS = frozenset(c["slug"] for c in CHARACTERS)

_REVIEW_TEXT = ("Thoughtful and grounded.", "Great for late-night questions.", None, "Could be shorter.")


def _reviews(character: dict[str, Any]) -> list[dict[str, Any]]:
    ratings = character["stats"]["ratingCount"]
    out = []
    for i in range(ratings * 5):  # more visible reviews than ratings is fine: the counts differ on Venice too
        out.append(
            {
                "id": f"{character['id'][:-4]}r{i:03d}",
                "characterId": character["id"],
                "createdAt": f"2026-09-{28 - i % 27:02d}T08:{i % 60:02d}:00.000Z",
                "rating": 5 - i % 3,
                "message": _REVIEW_TEXT[i % len(_REVIEW_TEXT)],
                "locale": "en" if i % 2 == 0 else None,
                "username": f"user_{i:03d}",
                "isOwner": False,
                "userAvatarUrl": None,
            }
        )
    return out


def public(character: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in character.items() if not k.startswith("_")}


def find(slug: str) -> dict[str, Any] | None:
    return next((c for c in CHARACTERS if slug in (c["slug"], c["id"])), None)


def _matches(c: dict[str, Any], q: dict[str, Any]) -> bool:
    if c["adult"] != (q.get("isAdult") == "true"):
        return False
    if q.get("isWebEnabled") == "true" and not c["webEnabled"]:
        return False
    if q.get("isPro") == "true":
        if not c["_pro"]:
            return False
    elif q.get("modelId") and c["modelId"] not in q["modelId"]:
        return False
    if q.get("tags") and not set(q["tags"]) & set(c["tags"]):
        return False
    if q.get("categories") and not set(q["categories"]) & set(c["_categories"]):
        return False
    search = (q.get("search") or "").strip()
    if search:
        words = search.split()
        for word in words:
            if word.startswith("#"):
                if word[1:].lower() not in (t.lower() for t in c["tags"]):
                    return False
                continue
            haystack = " ".join([c["name"], c["description"] or "", *c["tags"]]).lower()
            if word.lower() not in haystack:
                return False
    return True


_SORT_KEYS = {
    "featured": lambda c: c["stats"]["imports"],
    "highestRating": lambda c: c["stats"]["averageRating"],
    "highlyRated": lambda c: c["stats"]["averageRating"],
    "highlyRatedAndRecent": lambda c: c["createdAt"],
    "imports": lambda c: c["stats"]["imports"],
    "mostRecent": lambda c: c["createdAt"],
    "ratingCount": lambda c: c["stats"]["ratingCount"],
}


async def list_characters(ctx: Context) -> Response:
    q = validate_query("/characters", ctx.request.query_params)
    chosen = [c for c in CHARACTERS if _matches(c, q)]
    sort_by = q.get("sortBy")
    if sort_by == "featured":
        chosen = [c for c in chosen if c["featured"]]
    elif sort_by == "highlyRated":
        chosen = [c for c in chosen if c["stats"]["ratingCount"] >= 2]
    elif sort_by == "highlyRatedAndRecent":
        chosen = [c for c in chosen if c["stats"]["ratingCount"] and c["stats"]["averageRating"] >= 3]
    key = _SORT_KEYS[sort_by or "imports"]
    descending = not (sort_by and q.get("sortOrder") == "asc")
    chosen.sort(key=key, reverse=descending)
    offset = q.get("offset") or 0
    limit = q.get("limit", 50)
    return JSONResponse({"object": "list", "data": [public(c) for c in chosen[offset : offset + limit]]})


def _get(ctx: Context) -> dict[str, Any]:
    character = find(ctx.request.path_params["slug"])
    if character is None:
        raise error(404, "Character not found")
    return character


async def get_character(ctx: Context) -> Response:
    return JSONResponse({"object": "character", "data": public(_get(ctx))})


async def character_reviews(ctx: Context) -> Response:
    q = validate_query("/characters/{slug}/reviews", ctx.request.query_params)
    character = _get(ctx)
    page = q.get("page", 1)
    size = q.get("pageSize", 20)
    reviews = _reviews(character)
    total = len(reviews)
    pages = math.ceil(total / size) if total else 0
    data = reviews[(page - 1) * size : page * size]
    headers = {
        "x-pagination-limit": str(size),
        "x-pagination-page": str(page),
        "x-pagination-total": str(total),
        "x-pagination-total-pages": str(pages),
    }
    return JSONResponse(
        {
            "object": "list",
            "pagination": {"page": page, "pageSize": size, "total": total, "totalPages": pages},
            "summary": {
                "averageRating": character["stats"]["averageRating"],
                "totalReviews": character["stats"]["ratingCount"],
            },
            "data": data,
        },
        headers=headers,
    )
