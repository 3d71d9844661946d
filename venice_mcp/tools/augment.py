"""Web tools: search, scrape and document parsing ($0.01 per successful call), and a free reader
for the long texts they save."""

from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from venice_mcp import pricing
from venice_mcp.call import Call
from venice_mcp.inputs import InputError
from venice_mcp.outputs import mime_type_of
from venice_mcp.reply import Reply
from venice_mcp.tools._common import Confirm, cost_note
from venice_mcp.tools._declare import tool
from venice_mcp.tools._pages import DEFAULT_PAGE, MAX_PAGE, page_of

# The Venice operations each tool reaches (spec paths); tools/spec_coverage.py reads this.
ENDPOINTS = {
    "POST /augment/search": ("venice_web_search",),
    "POST /augment/scrape": ("venice_web_scrape",),
    "POST /augment/text-parser": ("venice_parse_document",),
}

MaxChars = Annotated[int, Field(ge=500, le=MAX_PAGE, description="Characters in this reply.")]
Offset = Annotated[int, Field(ge=0, description="Character to start at.")]
TEXT_MIME_PREFIXES = ("text/", "application/json", "application/xml")


def _search_text(results: list[dict[str, Any]]) -> str:
    lines = []
    for i, r in enumerate(results, start=1):
        date = f" ({r['date']})" if r.get("date") else ""
        lines.append(
            f"{i}. {r.get('title') or '(no title)'} — {r.get('url')}{date}\n   {r.get('content') or ''}"
        )
    return "\n".join(lines)


@tool("Web search", "paid", "web")
async def venice_web_search(
    call: Call,
    query: Annotated[str, Field(min_length=1, max_length=400)],
    limit: Annotated[
        int,
        Field(ge=1, le=20, description="≤10 brave, ≤5 google."),
    ] = 10,
    provider: Annotated[
        Literal["brave", "google"],
        Field(description="brave: no retention; google: longer text."),
    ] = "brave",
    max_chars: MaxChars = DEFAULT_PAGE,
    confirm: Confirm = False,
) -> Reply:
    """Search the web via Venice: titles, URLs, snippets, dates ($0.01)."""
    state = call.state
    estimate = pricing.augment()
    state.client.ensure_credentials()
    response = await call.paid_request(
        model=None,
        estimate=estimate,
        confirm=confirm,
        path="/augment/search",
        json_body={"query": query, "limit": limit, "search_provider": provider},
        kind="fast",
        charge=pricing.AUGMENT_USD,
    )
    data = response.body if isinstance(response.body, dict) else {}
    results = [r for r in data.get("results") or [] if isinstance(r, dict)]
    paid = cost_note(estimate, pricing.AUGMENT_USD)
    head = f"{len(results)} result(s) from {provider} for {query!r} · {paid}"
    if not results:
        return Reply(head + "\nNo results.", {"query": query, "provider": provider, "results": []})
    page = page_of(
        _search_text(results),
        offset=0,
        max_chars=max_chars,
        outputs=state.outputs,
        kind="search",
        ext="md",
        hint=query,
    )
    structured = {"query": query, "provider": provider, "results": results, **page.info}
    return Reply(f"{head}\n\n{page.text}", structured, page.attachments)


@tool("Web scrape", "paid", "web")
async def venice_web_scrape(
    call: Call,
    url: Annotated[str, Field(description="Public http(s) URL.")],
    max_chars: MaxChars = DEFAULT_PAGE,
    offset: Offset = 0,
    confirm: Confirm = False,
) -> Reply:
    """A web page as markdown ($0.01); long pages come in parts (venice_read_output). X and
    Reddit are refused."""
    state = call.state
    try:
        await state.inputs.check_passthrough(url)
    except InputError as exc:
        raise ToolError(f"Not scraping {url}: {exc}") from None
    estimate = pricing.augment()
    state.client.ensure_credentials()
    response = await call.paid_request(
        model=None,
        estimate=estimate,
        confirm=confirm,
        path="/augment/scrape",
        json_body={"url": url},
        charge=pricing.AUGMENT_USD,
    )
    data = response.body if isinstance(response.body, dict) else {}
    content = str(data.get("content") or "")
    paid = cost_note(estimate, pricing.AUGMENT_USD)
    head = f"{data.get('url') or url} · {len(content)} characters of markdown · {paid}"
    if not content.strip():
        return Reply(head + "\nThe page has no readable text.", {"url": url, "total_chars": 0})
    page = page_of(
        content, offset=offset, max_chars=max_chars, outputs=state.outputs, kind="scrape", hint=url
    )
    return Reply(f"{head}\n\n{page.text}", {"url": data.get("url") or url, **page.info}, page.attachments)


@tool("Document to text", "paid", "web")
async def venice_parse_document(
    call: Call,
    file: Annotated[
        str,
        Field(description="Path, https:// or data: URL (PDF, DOCX, PPTX, XLSX, EPUB, text; ≤ 25 MB)."),
    ],
    max_chars: MaxChars = DEFAULT_PAGE,
    offset: Offset = 0,
    confirm: Confirm = False,
) -> Reply:
    """A document's text ($0.01); long texts come in parts (venice_read_output)."""
    state = call.state
    loaded = await state.inputs.load(file)
    estimate = pricing.augment()
    state.client.ensure_credentials()
    response = await call.paid_request(
        model=None,
        estimate=estimate,
        confirm=confirm,
        path="/augment/text-parser",
        files={"file": (loaded.filename, loaded.data, loaded.mime_type)},
        data={"response_format": "json"},
        kind="upload",
        charge=pricing.AUGMENT_USD,
    )
    data = response.body if isinstance(response.body, dict) else {}
    text = str(data.get("text") or "")
    head = (
        f"{loaded.filename} ({loaded.mime_type}) · {len(text)} characters"
        f", ~{data.get('tokens', '?')} tokens"
        f" · {cost_note(estimate, pricing.AUGMENT_USD)}"
    )
    page = page_of(
        text, offset=offset, max_chars=max_chars, outputs=state.outputs, kind="document", ext="txt",
        hint=loaded.filename,
    )  # fmt: skip
    structured = {
        "filename": loaded.filename,
        "mime_type": loaded.mime_type,
        "tokens": data.get("tokens"),
    }
    return Reply(f"{head}\n\n{page.text}", {**structured, **page.info}, page.attachments)


@tool("Read a saved text", "read_only", "core")
async def venice_read_output(
    call: Call,
    name: Annotated[str, Field(description="Name from its venice-mcp://outputs/ link.")],
    offset: Offset = 0,
    max_chars: MaxChars = DEFAULT_PAGE,
) -> Reply:
    """Page through a long text a tool saved. Free, local."""
    state = call.state
    name = name.removeprefix("venice-mcp://outputs/")
    try:
        fh = state.outputs.open(name)
    except FileNotFoundError:
        raise ToolError(f"No saved output named {name!r}; it may have been deleted.") from None
    with fh:
        mime = mime_type_of(Path(name))
        if not mime.startswith(TEXT_MIME_PREFIXES):
            raise ToolError(f"{name} is {mime}, not text; open it from its resource link instead.")
        data = await anyio.to_thread.run_sync(fh.read)
    text = data.decode("utf-8", errors="replace")
    if offset >= len(text) and text:
        raise ToolError(f"offset {offset} is past the end of {name} ({len(text)} characters).")
    page = page_of(text, offset=offset, max_chars=max_chars, name=name)
    return Reply(page.text, {"name": name, **page.info})
