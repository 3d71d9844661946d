"""Request-level rules: Content-Type before auth, JSON, strict spec bodies, model lookup."""

from __future__ import annotations

import httpx2
import pytest

pytestmark = pytest.mark.anyio

MESSAGES = [{"role": "user", "content": "hi"}]


async def test_wrong_content_type_is_rejected_before_auth(client: httpx2.AsyncClient) -> None:
    response = await client.post("/chat/completions", content=b"{}", headers={"Content-Type": "text/plain"})
    assert response.status_code == 400  # not the 402 an anonymous caller would otherwise get
    assert response.json() == {"error": "'Content-Type' must be 'application/json'"}


async def test_invalid_json(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    headers = {**key_headers, "Content-Type": "application/json"}
    response = await client.post("/chat/completions", content=b"{nope", headers=headers)
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid JSON request"}


async def test_unknown_top_level_field(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    body = {"model": "default", "messages": MESSAGES, "frobnicate": True}
    response = await client.post("/chat/completions", json=body, headers=key_headers)
    assert response.status_code == 400
    error = response.json()
    assert error["error"] == "Invalid request parameters"
    assert error["details"]["_errors"] == ["Unrecognized key(s) in object: 'frobnicate'"]
    assert error["issues"][0]["code"] == "unrecognized_keys"
    embed = await client.post(
        "/embeddings", json={"model": "text-embedding-bge-m3", "input": "x", "x": 1}, headers=key_headers
    )
    assert embed.status_code == 400
    assert embed.json()["issues"][0]["keys"] == ["x"]


async def test_wrong_type(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    body = {"model": "default", "messages": MESSAGES, "temperature": "hot"}
    response = await client.post("/chat/completions", json=body, headers=key_headers)
    assert response.status_code == 400
    error = response.json()
    assert error["details"]["temperature"] == {"_errors": ["Expected number, received string"]}
    assert error["issues"] == [
        {
            "code": "invalid_type",
            "expected": "number",
            "received": "string",
            "path": ["temperature"],
            "message": "Expected number, received string",
        }
    ]


async def test_out_of_range_and_enum(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    body = {"model": "default", "messages": MESSAGES, "temperature": 3}
    response = await client.post("/chat/completions", json=body, headers=key_headers)
    assert response.status_code == 400
    assert response.json()["issues"][0]["code"] == "too_big"
    body = {"model": "default", "messages": MESSAGES, "venice_parameters": {"enable_web_search": "maybe"}}
    response = await client.post("/chat/completions", json=body, headers=key_headers)
    assert response.status_code == 400
    assert "enable_web_search" in response.json()["details"]["venice_parameters"]


async def test_nullable_fields_accept_null(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    body = {"model": "default", "messages": MESSAGES, "stop": None}
    response = await client.post("/chat/completions", json=body, headers=key_headers)
    assert response.status_code == 200, response.text


async def test_model_required_and_string(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    missing = await client.post("/chat/completions", json={"messages": MESSAGES}, headers=key_headers)
    assert (missing.status_code, missing.json()) == (400, {"error": "model is required"})
    number = await client.post("/embeddings", json={"model": 3, "input": "x"}, headers=key_headers)
    assert (number.status_code, number.json()) == (400, {"error": "model must be a string"})


async def test_unknown_model(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    response = await client.post(
        "/chat/completions", json={"model": "nope-1", "messages": MESSAGES}, headers=key_headers
    )
    assert response.status_code == 404
    assert response.json() == {"error": "Specified model not found: nope-1"}


@pytest.mark.parametrize(
    ("name", "resolved"),
    [
        ("default", "zai-org-glm-5-2"),
        ("gpt-4o", "zai-org-glm-5-2"),
        ("kimi k2.6", "kimi-k2-6"),
        ("zai_org_glm_5_1", "zai-org-glm-5-1"),
        ("venice-kimi-k2-6", "kimi-k2-6"),
        ("venice-uncensored-1-2", "venice-uncensored-1-2"),
        ("kimi-k2-6:enable_web_search=on", "kimi-k2-6"),
    ],
)
async def test_model_lookup_is_tolerant(
    client: httpx2.AsyncClient, key_headers: dict[str, str], name: str, resolved: str
) -> None:
    response = await client.post(
        "/chat/completions", json={"model": name, "messages": MESSAGES}, headers=key_headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["model"] == resolved


async def test_unknown_character(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    body = {"model": "default", "messages": MESSAGES, "venice_parameters": {"character_slug": "nobody-here"}}
    response = await client.post("/chat/completions", json=body, headers=key_headers)
    assert response.status_code == 404
    assert response.json() == {"error": "No character could be found from the provided character_slug"}
    body["venice_parameters"] = {"character_slug": "alan-watts"}
    assert (await client.post("/chat/completions", json=body, headers=key_headers)).status_code == 200


async def test_unknown_route_is_json_404(client: httpx2.AsyncClient) -> None:
    response = await client.get("/no/such/thing")
    assert response.status_code == 404
    assert "error" in response.json()
