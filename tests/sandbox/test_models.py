"""GET /models, /models/traits, /models/compatibility_mapping."""

from __future__ import annotations

import httpx2
import pytest

pytestmark = pytest.mark.anyio


async def test_default_type_is_text(client: httpx2.AsyncClient) -> None:
    body = (await client.get("/models")).json()
    assert body["object"] == "list"
    assert body["type"] == "text"
    assert len(body["data"]) > 50
    assert all(m["type"] == "text" and m["object"] == "model" for m in body["data"])


@pytest.mark.parametrize("kind", ["asr", "embedding", "image", "music", "tts", "upscale", "inpaint", "video"])
async def test_models_by_type(client: httpx2.AsyncClient, kind: str) -> None:
    body = (await client.get("/models", params={"type": kind})).json()
    assert body["type"] == kind
    assert body["data"]
    assert {m["type"] for m in body["data"]} == {kind}


async def test_filters(client: httpx2.AsyncClient) -> None:
    everything = (await client.get("/models", params={"type": "all"})).json()["data"]
    assert {"text", "embedding", "video"} <= {m["type"] for m in everything}
    code = (await client.get("/models", params={"type": "code"})).json()["data"]
    assert code
    assert all(m["model_spec"]["capabilities"]["optimizedForCode"] for m in code)
    decision = await client.get("/models", params={"type": "decision"})
    assert decision.status_code == 200
    assert decision.json()["data"] == []


async def test_invalid_type(client: httpx2.AsyncClient) -> None:
    response = await client.get("/models", params={"type": "bogus"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid request parameters"
    assert len(body["details"]["type"]["_errors"]) == 2
    assert body["issues"][0]["code"] == "invalid_union"
    assert body["issues"][0]["path"] == ["type"]


async def test_traits(client: httpx2.AsyncClient) -> None:
    text = (await client.get("/models/traits")).json()
    assert text["type"] == "text"
    assert text["data"]["default"] == "zai-org-glm-5-2"
    ids = {m["id"] for m in (await client.get("/models")).json()["data"]}
    assert set(text["data"].values()) <= ids  # a trait never names a missing model
    image = (await client.get("/models/traits", params={"type": "image"})).json()
    assert image["data"]["default"] == "z-image-turbo"


async def test_compatibility_mapping(client: httpx2.AsyncClient) -> None:
    text = (await client.get("/models/compatibility_mapping")).json()
    traits = (await client.get("/models/traits")).json()["data"]
    assert text["data"]["gpt-4o"] == traits["default"]
    embedding = (await client.get("/models/compatibility_mapping", params={"type": "embedding"})).json()
    assert embedding["data"] == {"text-embedding-ada-002": "text-embedding-bge-m3"}
    for bad in ("all", "code", "bogus"):
        response = await client.get("/models/compatibility_mapping", params={"type": bad})
        assert response.status_code == 400
        assert response.json()["error"] == "Invalid request parameters"
