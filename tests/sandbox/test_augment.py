"""Sandbox /augment/*: search, scrape and text-parser shapes, refusals and wallet billing."""

from __future__ import annotations

import io
import math

import httpx2
import pytest
from PIL import Image

from tests.sandbox.docs import make_docx, make_pdf
from tests.sandbox.siwe import Wallet
from venice_mcp.sandbox import SandboxState

pytestmark = pytest.mark.anyio


async def test_search_caps_results_by_provider(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    brave = await client.post("/augment/search", json={"query": "venice", "limit": 20}, headers=key_headers)
    google = await client.post(
        "/augment/search",
        json={"query": "venice", "limit": 20, "search_provider": "google"},
        headers=key_headers,
    )
    assert brave.status_code == google.status_code == 200
    assert len(brave.json()["results"]) == 10 and len(google.json()["results"]) == 5
    first = brave.json()["results"][0]
    assert set(first) == {"title", "url", "content", "date"}
    assert len(google.json()["results"][0]["content"]) > len(first["content"])


async def test_search_validates_query(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    empty = await client.post("/augment/search", json={"query": ""}, headers=key_headers)
    too_many = await client.post("/augment/search", json={"query": "a", "limit": 21}, headers=key_headers)
    assert empty.status_code == too_many.status_code == 400
    assert empty.json()["details"]["query"]["_errors"] == ["String must contain at least 1 character(s)"]
    assert too_many.json()["details"]["limit"]["_errors"] == ["Number must be less than or equal to 20"]


async def test_scrape_returns_markdown_of_the_requested_size(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    url = "https://example.com/a?sandbox-size=5000"
    r = await client.post("/augment/scrape", json={"url": url}, headers=key_headers)
    assert r.status_code == 200
    body = r.json()
    assert body["url"] == url and body["format"] == "markdown" and len(body["content"]) == 5000


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("https://x.com/venice", 400),
        ("https://old.reddit.com/r/x", 400),
        ("http://127.0.0.1/admin", 400),
        ("http://169.254.169.254/latest/meta-data", 400),
        ("https://user:pw@example.com/", 400),
        ("ftp://example.com/file", 400),
        ("https://gone.invalid/", 500),
    ],
)
async def test_scrape_refusals(
    client: httpx2.AsyncClient, key_headers: dict[str, str], url: str, status: int
) -> None:
    r = await client.post("/augment/scrape", json={"url": url}, headers=key_headers)
    assert r.status_code == status, r.text
    assert isinstance(r.json()["error"], str)


async def test_text_parser_reads_text_csv_json_markdown(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    for name, mime, data in [
        ("notes.txt", "text/plain", b"plain words"),
        ("table.csv", "text/csv", b"a,b\n1,2\n"),
        ("data.json", "application/json", b'{"k": 1}'),
        ("readme.md", "application/octet-stream", b"# Title\n\nbody"),
        ("Makefile", "application/octet-stream", b"all:\n\techo hi\n"),
    ]:
        r = await client.post("/augment/text-parser", files={"file": (name, data, mime)}, headers=key_headers)
        assert r.status_code == 200, (name, r.text)
        assert r.json() == {"text": data.decode(), "tokens": math.ceil(len(data) / 3.2)}


async def test_text_parser_extracts_pdf_and_docx_text(
    client: httpx2.AsyncClient, key_headers: dict[str, str]
) -> None:
    pdf = make_pdf(["Invoice 42", "Total (EUR): 17"])
    r = await client.post(
        "/augment/text-parser", files={"file": ("a.pdf", pdf, "application/pdf")}, headers=key_headers
    )
    assert r.status_code == 200 and r.json()["text"] == "Invoice 42\nTotal (EUR): 17"
    docx = make_docx(["First paragraph", "Second"])
    r = await client.post(
        "/augment/text-parser",
        files={"file": ("a.docx", docx, "application/octet-stream")},
        data={"response_format": "text"},
        headers=key_headers,
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.text == "First paragraph\n\nSecond"


async def test_text_parser_errors(client: httpx2.AsyncClient, key_headers: dict[str, str]) -> None:
    image = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(image, "PDF")
    cases = [
        (
            ("scan.pdf", image.getvalue(), "application/pdf"),
            "No text content could be extracted from the file.",
        ),
        (("broken.pdf", b"%PDF-1.4 nothing", "application/pdf"), "The PDF file is empty or invalid."),
        (("slides.pptx", b"PK\x03\x04", "application/octet-stream"), "Unsupported file type"),
        (("blob.bin", b"\x00\x01\x02", "application/octet-stream"), "Unsupported file type"),
    ]
    for part, message in cases:
        r = await client.post("/augment/text-parser", files={"file": part}, headers=key_headers)
        assert (r.status_code, r.json()["error"]) == (400, message)
    bad_format = await client.post(
        "/augment/text-parser",
        files={"file": ("a.txt", b"x", "text/plain")},
        data={"response_format": "xml"},
        headers=key_headers,
    )
    assert bad_format.status_code == 400 and "response_format" in bad_format.json()["details"]
    missing = await client.post(
        "/augment/text-parser", files={"other": ("a.txt", b"x", "text/plain")}, headers=key_headers
    )
    assert missing.status_code == 400 and missing.json()["details"]["file"]["_errors"] == ["Required"]


async def test_wallet_callers_pay_a_cent_per_successful_call(
    client: httpx2.AsyncClient, state: SandboxState, wallet: Wallet
) -> None:
    ok = await client.post(
        "/augment/search", json={"query": "q"}, headers={"SIGN-IN-WITH-X": wallet.header()}
    )
    assert ok.status_code == 200
    assert state.balance(wallet.address) == pytest.approx(9.99)
    refused = await client.post(
        "/augment/scrape", json={"url": "https://x.com/"}, headers={"SIGN-IN-WITH-X": wallet.header()}
    )
    assert refused.status_code == 400
    assert state.balance(wallet.address) == pytest.approx(9.99)
