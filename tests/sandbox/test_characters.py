"""Sandbox /characters*: Bearer only, filters, sorting, detail and paginated reviews."""

from __future__ import annotations

import httpx2
import pytest

from tests.sandbox.siwe import Wallet

pytestmark = pytest.mark.anyio


async def test_list_filters_and_sorting(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    everything = await client.get("/characters", headers=key_headers)
    slugs = [c["slug"] for c in everything.json()["data"]]
    assert everything.status_code == 200 and everything.json()["object"] == "list"
    assert (
        "night-market-noir" not in slugs and slugs[0] == "venice"
    )  # non-adult by default, most imports first
    adult = await client.get("/characters", params={"isAdult": "true"}, headers=key_headers)
    assert [c["slug"] for c in adult.json()["data"]] == ["night-market-noir"]
    tag = await client.get(
        "/characters", params={"search": "#philosophy", "sortBy": "highestRating"}, headers=key_headers
    )
    assert [c["slug"] for c in tag.json()["data"]] == ["alan-watts", "socrates"]
    page = await client.get("/characters", params={"limit": 1, "offset": 1}, headers=key_headers)
    assert [c["slug"] for c in page.json()["data"]] == [slugs[1]]
    tags = await client.get("/characters?tags=Zen,Noir&isAdult=false", headers=key_headers)
    assert [c["slug"] for c in tags.json()["data"]] == ["alan-watts"]
    character = everything.json()["data"][0]
    assert set(character) == {
        "id", "slug", "name", "description", "photoUrl", "shareUrl", "author", "tags", "featured",
        "adult", "webEnabled", "modelId", "stats", "createdAt", "updatedAt",
    }  # fmt: skip


async def test_list_validation(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    r = await client.get("/characters", params={"sortBy": "best"}, headers=key_headers)
    assert r.status_code == 400 and "sortBy" in r.json()["details"]
    r = await client.get("/characters", params={"limit": 0}, headers=key_headers)
    assert r.status_code == 400 and r.json()["details"]["limit"]["_errors"] == [
        "Number must be greater than 0"
    ]


async def test_detail_and_reviews(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    one = await client.get("/characters/alan-watts", headers=key_headers)
    assert one.status_code == 200 and one.json()["object"] == "character"
    by_id = await client.get(f"/characters/{one.json()['data']['id']}", headers=key_headers)
    assert by_id.json() == one.json()
    reviews = await client.get(
        "/characters/alan-watts/reviews", params={"page": 2, "pageSize": 10}, headers=key_headers
    )
    body = reviews.json()
    assert body["pagination"] == {"page": 2, "pageSize": 10, "total": 25, "totalPages": 3}
    assert body["summary"]["totalReviews"] == 5 and len(body["data"]) == 10
    assert reviews.headers["x-pagination-total-pages"] == "3"
    missing = await client.get("/characters/nobody", headers=key_headers)
    assert missing.status_code == 404


async def test_bearer_only(client: httpx2.AsyncClient, wallet: Wallet) -> None:
    siwx = await client.get("/characters", headers={"SIGN-IN-WITH-X": wallet.header()})
    assert siwx.status_code == 401 and siwx.json() == {"error": "Authentication failed"}
    anonymous = await client.get("/characters")
    assert anonymous.status_code == 402
