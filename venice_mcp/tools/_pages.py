"""Long text results in pages: the first page inline, the whole text saved once as a file that
venice_read_output pages through for free (no second Venice call, no second charge)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from venice_mcp.outputs import OutputStore
from venice_mcp.reply import Attachment

DEFAULT_PAGE = 20_000
MAX_PAGE = 100_000


@dataclass
class Page:
    text: str
    attachments: list[Attachment] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


def page_of(
    text: str,
    *,
    offset: int,
    max_chars: int,
    outputs: OutputStore | None = None,
    kind: str = "text",
    ext: str = "md",
    hint: str = "",
    name: str | None = None,
) -> Page:
    """``text[offset:offset+max_chars]``, and when that is not all of it, a hint naming the saved file.

    ``outputs`` saves the whole text as a file (once: pass ``name`` to reuse an existing one).
    """
    total = len(text)
    end = min(total, offset + max_chars)
    shown = text[offset:end]
    info: dict[str, Any] = {"total_chars": total, "offset": offset, "returned_chars": len(shown)}
    if offset == 0 and end == total:
        info["truncated"] = False
        return Page(shown, [], info)
    info["truncated"] = True
    info["next_offset"] = end if end < total else None
    attachments: list[Attachment] = []
    where = ""
    if outputs is not None and name is None:
        saved = outputs.write(text.encode(), kind, ext, hint)
        name = saved.name
        attachments.append(Attachment(saved, f"The whole {kind} ({total} characters)"))
        info["file"] = {"path": str(saved.path), "uri": saved.uri, "size": saved.size}
        where = f" The whole text is saved as {saved.path} ({saved.uri})."
    if name is not None:
        info["output_name"] = name
    if end < total:
        more = (
            f' Read on for free with venice_read_output {{"name": "{name}", "offset": {end}}}.'
            if name is not None
            else f" Call again with offset={end} for the next part."
        )
    else:
        more = " This is the end of the text."
    note = f"\n\n[Showing characters {offset}–{end} of {total}.{where}{more}]"
    return Page(shown + note, attachments, info)
