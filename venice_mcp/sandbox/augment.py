"""POST /augment/search, /augment/scrape and /augment/text-parser ($0.01 per successful call).

What is simulated and what is real:
- search: deterministic results (brave at most 10, google at most 5 with longer content); a query
  of ``sandbox:empty`` finds nothing (still 200, as Venice).
- scrape: nothing is fetched. The markdown is generated from the URL; a ``sandbox-size=N`` query
  parameter in the scraped URL makes the page N characters long. X/Twitter and Reddit hosts and
  private or internal addresses are refused with 400 as Venice does; hosts under ``.invalid`` are
  unreachable (500).
- text-parser: real extraction for text-like files (text/*, Markdown, CSV, JSON, YAML, XML, code),
  simple PDFs (text drawn with Tj/TJ in plain or Flate-compressed content streams; no OCR, no
  encryption) and DOCX (paragraph text). PPTX, XLSX, XLS and EPUB, which Venice parses, get
  ``400 Unsupported file type`` here, as do legacy .doc/.ppt and anything else.
"""

from __future__ import annotations

import io
import ipaddress
import math
import re
import zipfile
import zlib
from functools import cache
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, PlainTextResponse, Response

from venice_mcp.sandbox import seed, spec
from venice_mcp.sandbox.context import Context, new_id
from venice_mcp.sandbox.errors import detailed_error, error

PRICE_USD = 0.01
MAX_FILE_BYTES = 25 * 1024 * 1024
PROVIDER_CAP = {"brave": 10, "google": 5}
BLOCKED_HOSTS = frozenset(
    {
        "x.com",
        "www.x.com",
        "mobile.x.com",
        "twitter.com",
        "www.twitter.com",
        "mobile.twitter.com",
        "reddit.com",
        "www.reddit.com",
        "old.reddit.com",
        "new.reddit.com",
    }
)
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "169.254.169.254"})

TEXT_EXTENSIONS = frozenset(
    str.split(
        """txt text md markdown csv tsv json jsonl ndjson yaml yml toml xml html htm rtf tex log ini cfg conf
    py ts tsx js jsx mjs go rs c h cc cpp hpp java kt swift rb php cs sh bash zsh ps1 sql r scala lua pl
    css scss vue svelte"""
    )
)
TEXT_MIMES = frozenset(
    {
        "application/json",
        "application/x-ndjson",
        "application/xml",
        "application/yaml",
        "application/x-yaml",
        "application/toml",
        "application/rtf",
        "application/javascript",
        "application/x-sh",
        "application/sql",
    }
)
EXTENSIONLESS = frozenset({"Dockerfile", "Makefile"})


def tokens(text: str) -> int:
    return math.ceil(len(text) / 3.2)


# -- search --------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "query"


async def search(ctx: Context) -> Response:
    spec.validate_body("/augment/search", ctx.body)
    body: dict[str, Any] = ctx.body
    query = body["query"]
    provider = body.get("search_provider", "brave")
    count = min(int(body.get("limit", 10)), PROVIDER_CAP[provider])
    if query.strip() == "sandbox:empty":
        count = 0
    results = []
    for i in range(1, count + 1):
        if provider == "google":
            content = " ".join(
                f"Paragraph {p} of the extracted summary of page {i} about {query}." for p in range(1, 41)
            )
        else:
            content = f"Snippet {i} about {query}: deterministic sandbox search result."
        results.append(
            {
                "title": f"{query} — sandbox result {i}",
                "url": f"https://example.com/{provider}/{_slug(query)}/{i}",
                "content": content,
                "date": "" if i % 3 == 0 else f"2026-01-{i:02d}",
            }
        )
    ctx.charge(PRICE_USD, request_id=new_id("search-"), model_id=None)
    return JSONResponse({"query": query, "results": results})


# -- scrape --------------------------------------------------------------------------------------


def _private_host(host: str) -> bool:
    if (
        host in ("localhost",)
        or host.endswith((".localhost", ".local", ".internal"))
        or host in METADATA_HOSTS
    ):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not ip.is_global


def _page(url: str, size: int) -> str:
    head = f"# Sandbox page\n\nSource: {url}\n\n"
    paragraph = "This is deterministic sandbox content standing in for the scraped page. "
    out = [head]
    total = len(head)
    n = 1
    while total < size:
        line = f"## Section {n}\n\n{paragraph * 3}\n\n"
        out.append(line)
        total += len(line)
        n += 1
    return "".join(out)[:size]


async def scrape(ctx: Context) -> Response:
    spec.validate_body("/augment/scrape", ctx.body)
    url: str = ctx.body["url"]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise error(400, "Invalid URL: only absolute http:// and https:// URLs can be scraped")
    host = parts.hostname.lower()
    if host in BLOCKED_HOSTS:
        raise error(400, f"Scraping {host} is not supported")
    if parts.username or parts.password or _private_host(host):
        raise error(400, "URL is not allowed: private, internal and credentialed URLs are blocked")
    if host.endswith(".invalid"):
        raise error(500, f"URL unreachable: {url}")
    raw_size = (parse_qs(parts.query).get("sandbox-size") or ["1200"])[0]
    size = max(1, min(int(raw_size) if raw_size.isdigit() else 1200, 2_000_000))
    ctx.charge(PRICE_USD, request_id=new_id("scrape-"), model_id=None)
    return JSONResponse({"url": url, "content": _page(url, size), "format": "markdown"})


# -- text-parser ---------------------------------------------------------------------------------


@cache
def _multipart_schema() -> dict[str, Any]:
    doc = seed.openapi()
    op = doc["paths"]["/augment/text-parser"]["post"]
    schema = op["requestBody"]["content"]["multipart/form-data"]["schema"]
    converted: dict[str, Any] = spec._convert(schema, doc["components"]["schemas"])
    return converted


def _validate_form(fields: dict[str, Any]) -> None:
    from jsonschema import Draft4Validator

    errors = list(Draft4Validator(_multipart_schema()).iter_errors(fields))
    if errors:
        issues: list[dict[str, Any]] = []
        for err in errors:
            issues.extend(spec._issues(err))
        raise detailed_error(issues)


class _Unsupported(Exception):
    pass


def _kind(filename: str, mime: str) -> str:
    ext = PurePosixPath(filename).suffix.lower().lstrip(".")
    if mime == "application/pdf" or (ext == "pdf" and mime in ("", "application/octet-stream")):
        return "pdf"
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if mime == docx or (ext == "docx" and mime in ("", "application/octet-stream")):
        return "docx"
    if mime.startswith("text/") or mime in TEXT_MIMES:
        return "text"
    if mime in ("", "application/octet-stream") and (
        ext in TEXT_EXTENSIONS or PurePosixPath(filename).name in EXTENSIONLESS
    ):
        return "text"
    raise _Unsupported


def _decode_text(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise _Unsupported
    return data.decode("utf-8", "replace").lstrip("\ufeff")


# PDF: enough of the content-stream language to read text that simple writers draw.
_STREAM = re.compile(rb"<<(?P<dict>.*?)>>\s*stream\r?\n(?P<data>.*?)\r?\nendstream", re.S)
_TOKEN = re.compile(
    rb"\((?:\\.|[^\\()]|\((?:\\.|[^\\()])*\))*\)"  # literal string (one level of nesting)
    rb"|<[0-9A-Fa-f\s]*>"  # hex string
    rb"|\[|\]"
    rb"|/[^\s/\[\]()<>{}%]+"  # name
    rb"|[-+]?(?:\d+\.?\d*|\.\d+)"  # number
    rb"|[A-Za-z'\"*][A-Za-z0-9*]*",  # operator
    re.S,
)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _literal(token: bytes) -> bytes:
    body = token[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i : i + 1]
        if ch != b"\\":
            out += ch
            i += 1
            continue
        nxt = body[i + 1 : i + 2]
        if nxt in _ESCAPES:
            out += _ESCAPES[nxt]
            i += 2
        elif nxt.isdigit():
            digits = re.match(rb"[0-7]{1,3}", body[i + 1 : i + 4])
            assert digits is not None
            out.append(int(digits.group(), 8) & 0xFF)
            i += 1 + len(digits.group())
        elif nxt in (b"\n", b"\r"):
            i += 2
        else:
            out += nxt
            i += 2
    return bytes(out)


def _string(token: bytes) -> bytes | None:
    if token.startswith(b"("):
        return _literal(token)
    if token.startswith(b"<"):
        hexdigits = re.sub(rb"\s", b"", token[1:-1])
        if len(hexdigits) % 2:
            hexdigits += b"0"
        return bytes.fromhex(hexdigits.decode())
    return None


def _content_text(content: bytes) -> str:
    lines: list[str] = []
    current: list[str] = []
    operands: list[Any] = []
    array: list[Any] | None = None

    def newline() -> None:
        if current:
            lines.append("".join(current))
            current.clear()

    for match in _TOKEN.finditer(content):
        token = match.group()
        if token == b"[":
            array = []
            continue
        if token == b"]":
            operands.append(array or [])
            array = None
            continue
        value: Any = _string(token)
        if value is None and re.fullmatch(rb"[-+]?(?:\d+\.?\d*|\.\d+)", token):
            value = float(token)
        if value is None and not token.startswith(b"/"):
            op = token.decode("latin-1")
            if op == "Tj" and operands and isinstance(operands[-1], bytes):
                current.append(operands[-1].decode("latin-1"))
            elif op == "TJ" and operands and isinstance(operands[-1], list):
                for item in operands[-1]:
                    if isinstance(item, bytes):
                        current.append(item.decode("latin-1"))
                    elif isinstance(item, float) and item < -200:
                        current.append(" ")
            elif op in ("'", '"') and operands and isinstance(operands[-1], bytes):
                newline()
                current.append(operands[-1].decode("latin-1"))
            elif op in ("Td", "TD", "T*", "ET"):
                newline()
            operands = []
            continue
        if array is not None:
            array.append(value if value is not None else token)
        else:
            operands.append(value if value is not None else token)
    newline()
    return "\n".join(lines)


def _pdf_text(data: bytes) -> str:
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        raise error(400, "The PDF file is empty or invalid.")
    if re.search(rb"/Encrypt\b", data):
        raise error(400, "The PDF file is password-protected. Remove the password and try again.")
    pages: list[str] = []
    for match in _STREAM.finditer(data):
        raw = match.group("data")
        if b"/FlateDecode" in match.group("dict"):
            try:
                raw = zlib.decompress(raw)
            except zlib.error:
                continue
        elif b"/Filter" in match.group("dict"):
            continue  # other filters (images, fonts): nothing to read
        text = _content_text(raw)
        if text.strip():
            pages.append(text)
    return "\n\n".join(pages)


def _docx_text(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read("word/document.xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError):
        raise error(500, "Failed to parse document") from None
    paragraphs = []
    for para in re.findall(r"<w:p[ >].*?</w:p>", xml, re.S):
        text = "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", para))
        if text:
            paragraphs.append(text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
    return "\n\n".join(paragraphs)


async def text_parser(ctx: Context) -> Response:
    ctype = ctx.request.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/form-data"):
        raise error(400, "Request must be multipart/form-data with a 'file' field")
    form = await ctx.request.form(max_part_size=MAX_FILE_BYTES + 1)
    upload = form.get("file")
    fields: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    if isinstance(upload, UploadFile):
        fields["file"] = upload.filename or "file"
    _validate_form(fields)
    if not isinstance(upload, UploadFile):
        raise error(400, "No file provided")
    data = await upload.read()
    if len(data) > MAX_FILE_BYTES:
        raise error(413, "File exceeds the maximum allowed size of 25 MB.", code="PAYLOAD_TOO_LARGE")
    mime = (upload.content_type or "").split(";")[0].strip().lower()
    try:
        kind = _kind(upload.filename or "", mime)
        if kind == "pdf":
            text = _pdf_text(data)
        elif kind == "docx":
            text = _docx_text(data)
        else:
            text = _decode_text(data)
    except _Unsupported:
        raise error(400, "Unsupported file type") from None
    if not text.strip():
        raise error(400, "No text content could be extracted from the file.")
    ctx.charge(PRICE_USD, request_id=new_id("parse-"), model_id=None)
    if fields.get("response_format") == "text":
        return PlainTextResponse(text)
    return JSONResponse({"text": text, "tokens": tokens(text)})
