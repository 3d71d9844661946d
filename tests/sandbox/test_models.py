"""GET /models, /models/traits, /models/compatibility_mapping."""

from __future__ import annotations

import httpx2
import pytest

from venice_mcp.sandbox import seed, spec

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


def spec_types() -> list[str]:
    """Every ?type= the spec allows on GET /models: the model types, then the all/code filters."""
    (param,) = seed.openapi()["paths"]["/models"]["get"]["parameters"]
    return [kind for branch in param["schema"]["anyOf"] for kind in branch["enum"]]


@pytest.mark.parametrize("kind", spec_types())
async def test_every_listing_matches_the_spec(client: httpx2.AsyncClient, kind: str) -> None:
    """The whole catalog of each type, as served, against the spec's /models response schema."""
    response = await client.get("/models", params={"type": kind})
    assert response.status_code == 200
    assert spec.response_errors("/models", response.json()) == []


async def test_the_spec_check_catches_what_venice_would_not_send(client: httpx2.AsyncClient) -> None:
    body = (await client.get("/models", params={"type": "image"})).json()
    body["data"][0]["model_spec"]["privacy"] = "secret"
    del body["data"][1]["model_spec"]["privacy"]
    body["data"][2]["model_spec"]["capabilities"] = {}
    errors = spec.response_errors("/models", body)
    assert sorted({e.split(":")[0] for e in errors}) == [
        "data/0/model_spec/privacy",
        "data/1/model_spec",
        "data/2/model_spec/capabilities",
    ]


async def test_models_carry_name_description_and_privacy(client: httpx2.AsyncClient) -> None:
    models = (await client.get("/models", params={"type": "all"})).json()["data"]
    assert len(models) == 320
    for model in models:
        spec_ = model["model_spec"]
        assert spec_["privacy"] in ("private", "anonymized")
        assert spec_["name"] and spec_["description"].startswith(spec_["name"] + ": ")
    by_id = {m["id"]: m for m in models}
    glm = by_id["zai-org-glm-5-2"]  # Venice's static catalog: "GLM 5.2", private, 1M context
    assert (glm["model_spec"]["name"], glm["model_spec"]["privacy"]) == ("GLM 5.2", "private")
    assert glm["context_length"] == glm["model_spec"]["availableContextTokens"] == 1_000_000
    assert glm["created"] == 1781568000
    assert by_id["seedance-2-0-text-to-video-basic"]["model_spec"]["privacy"] == "anonymized"


async def test_fields_that_do_not_apply_are_absent_not_null(client: httpx2.AsyncClient) -> None:
    models = (await client.get("/models", params={"type": "all"})).json()["data"]
    for model in models:
        spec_ = model["model_spec"]
        assert all(value is not None and value != {} for value in spec_.values()), model["id"]
        text = model["type"] == "text"
        assert ("capabilities" in spec_) == text and ("availableContextTokens" in spec_) == text
        assert ("context_length" in model) == text
    assert not any("pricing" in m["model_spec"] for m in models if m["type"] == "video")


async def test_tee_models_are_private(client: httpx2.AsyncClient) -> None:
    """Venice runs TEE (and so E2EE) models itself: every one is private."""
    models = (await client.get("/models")).json()["data"]
    tee = [m for m in models if m["model_spec"]["capabilities"]["supportsTeeAttestation"]]
    assert tee and all(m["model_spec"]["privacy"] == "private" for m in tee)
