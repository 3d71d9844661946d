"""venice_web_search, venice_web_scrape, venice_parse_document and venice_read_output through an
MCP client, against the sandbox."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.backend import sqlite_only
from tests.sandbox.docs import make_pdf
from tests.tools.conftest import text_of, venice_requests
from venice_mcp.sandbox import SandboxState, spec

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def public_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every host resolves to a public address, except the ones named private-*."""

    async def fake(host: str, port: int, **kw: Any) -> list[Any]:
        address = "10.0.0.7" if host.startswith("private-") else "93.184.216.34"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(anyio, "getaddrinfo", fake)


async def test_search_lists_results_and_costs_a_cent(client: Client, sandbox: SandboxState) -> None:
    result = await client.call_tool("venice_web_search", {"query": "venice api", "limit": 3})
    assert not result.is_error, text_of(result)
    text = text_of(result)
    assert text.startswith("3 result(s) from brave for 'venice api' · cost $0.01")
    assert "1. venice api — sandbox result 1 — https://example.com/brave/venice-api/1 (2026-01-01)" in text
    assert len(result.structured_content["results"]) == 3  # type: ignore[index]
    [sent] = venice_requests(sandbox, "/augment/search")
    assert sent.json == {"query": "venice api", "limit": 3, "search_provider": "brave"}
    spec.validate_body("/augment/search", sent.json)


async def test_long_search_results_are_cut_with_a_way_to_read_on(client: Client) -> None:
    args = {"query": "long", "provider": "google", "max_chars": 1000}
    result = await client.call_tool("venice_web_search", args)
    assert not result.is_error, text_of(result)
    data = result.structured_content or {}
    assert data["truncated"] is True and data["next_offset"] == 1000
    assert f'venice_read_output {{"name": "{data["output_name"]}", "offset": 1000}}' in text_of(result)
    links = [b for b in result.content if b.type == "resource_link"]
    assert links and links[0].uri == data["file"]["uri"]
    rest = await client.call_tool("venice_read_output", {"name": data["output_name"], "offset": 1000})
    assert not rest.is_error
    assert rest.structured_content["offset"] == 1000  # type: ignore[index]
    full = Path(data["file"]["path"]).read_text()
    assert text_of(rest).startswith(full[1000:1100])


async def test_scrape_pages_a_long_page(client: Client, sandbox: SandboxState) -> None:
    url = "https://example.com/article?sandbox-size=45000"
    result = await client.call_tool("venice_web_scrape", {"url": url})
    assert not result.is_error, text_of(result)
    data = result.structured_content or {}
    assert data["total_chars"] == 45000 and data["returned_chars"] == 20000 and data["next_offset"] == 20000
    assert "[Showing characters 0–20000 of 45000." in text_of(result)
    second = await client.call_tool(
        "venice_read_output", {"name": data["output_name"], "offset": 40000, "max_chars": 20000}
    )
    assert second.structured_content["returned_chars"] == 5000  # type: ignore[index]
    assert "This is the end of the text." in text_of(second)
    [sent] = venice_requests(sandbox, "/augment/scrape")  # reading on called Venice no more
    assert sent.json == {"url": url}


async def test_short_scrape_is_whole_and_saves_nothing(client: Client, tmp_path: Path) -> None:
    result = await client.call_tool("venice_web_scrape", {"url": "https://example.com/?sandbox-size=800"})
    assert not result.is_error
    assert result.structured_content["truncated"] is False  # type: ignore[index]
    assert "Showing characters" not in text_of(result)
    assert not [b for b in result.content if b.type == "resource_link"]


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/admin", "https://private-host.example/", "file:///etc/passwd"]
)
async def test_scrape_of_a_private_host_is_refused_before_any_request(
    client: Client, sandbox: SandboxState, url: str
) -> None:
    result = await client.call_tool("venice_web_scrape", {"url": url})
    assert result.is_error and "Not scraping" in text_of(result)
    assert venice_requests(sandbox, "/augment/scrape") == []


async def test_scrape_blocked_site_reports_venices_words(client: Client) -> None:
    result = await client.call_tool("venice_web_scrape", {"url": "https://x.com/venice"})
    assert (
        result.is_error and "400" in text_of(result) and "Scraping x.com is not supported" in text_of(result)
    )


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_parse_a_pdf_given_as_a_path(
    make_client: Callable[..., Client], sandbox: SandboxState, tmp_path: Path, mode: str
) -> None:
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(make_pdf(["Invoice 42", "Total: 17 EUR"]))
    async with make_client(mode, input_roots=(tmp_path,)) as client:
        result = await client.call_tool("venice_parse_document", {"file": str(pdf)})
    assert not result.is_error, text_of(result)
    assert "Invoice 42\nTotal: 17 EUR" in text_of(result)
    assert text_of(result).startswith("invoice.pdf (application/pdf) · 24 characters, ~8 tokens · cost $0.01")
    [sent] = venice_requests(sandbox, "/augment/text-parser")
    assert sent.headers["content-type"].startswith("multipart/form-data")


async def test_parse_a_data_url_and_refuse_unsupported(client: Client) -> None:
    csv = "data:text/csv;base64," + base64.b64encode(b"name,qty\npear,3\n").decode()
    ok = await client.call_tool("venice_parse_document", {"file": csv})
    assert not ok.is_error and "pear,3" in text_of(ok)
    blob = "data:application/octet-stream;base64," + base64.b64encode(b"\x00\x01\x02").decode()
    bad = await client.call_tool("venice_parse_document", {"file": blob})
    assert bad.is_error and "Unsupported file type" in text_of(bad)


async def test_read_output_refuses_unknown_names(client: Client) -> None:
    result = await client.call_tool("venice_read_output", {"name": "../../etc/passwd"})
    assert result.is_error and "No saved output" in text_of(result)


@pytest.mark.parametrize("where", ["host config", pytest.param("state db", marks=sqlite_only)])
async def test_no_tool_can_read_the_wallet_key_back(
    make_client: Callable[..., Client], sandbox: SandboxState, tmp_path: Path, where: str
) -> None:
    """A prompt-injected agent asking to 'parse' a host config (which holds VENICE_WALLET_KEY) or
    the server's own state gets a refusal, and nothing reaches Venice."""
    from venice_mcp.config import Secret
    from venice_mcp.payments.signer import EthAccountSigner

    key = "0x" + "5e" * 32
    sandbox.credit(EthAccountSigner(key).address, 5.0)
    config = tmp_path / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"mcpServers": {"venice": {"env": {"VENICE_WALLET_KEY": key}}}}))
    target = config if where == "host config" else tmp_path / "home" / "state.sqlite3"
    async with make_client(input_roots=(tmp_path,), api_key=None, wallet_key=Secret(key)) as client:
        result = await client.call_tool("venice_parse_document", {"file": str(target)})
    assert result.is_error
    assert key[2:] not in result.model_dump_json() and key[2:].upper() not in result.model_dump_json()
    assert "own secrets" in text_of(result) or "own state" in text_of(result)
    assert venice_requests(sandbox, "/augment/text-parser") == []


async def test_scrape_needs_no_local_resolver(
    client: Client, sandbox: SandboxState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Venice fetches the page: offline, or behind a resolver unlike Venice's, scraping works."""

    async def offline(host: str, port: int, **kw: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(anyio, "getaddrinfo", offline)
    url = "https://example.com/?sandbox-size=800"
    result = await client.call_tool("venice_web_scrape", {"url": url})
    assert not result.is_error, text_of(result)
    [sent] = venice_requests(sandbox, "/augment/scrape")
    assert sent.json == {"url": url}
    for private in ("http://2130706433/", "http://localhost./", "http://\uff11\uff12\uff17.0.0.1/"):
        refused = await client.call_tool("venice_web_scrape", {"url": private})
        assert refused.is_error and "Not scraping" in text_of(refused)
    assert len(venice_requests(sandbox, "/augment/scrape")) == 1
