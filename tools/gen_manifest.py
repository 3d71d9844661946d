"""Regenerate the generated parts of manifest.json (the MCP Bundle manifest) from the live server.

    python tools/gen_manifest.py          # rewrite manifest.json
    python tools/gen_manifest.py --check  # exit 1 if manifest.json is out of date

The hand-written fields (name, user_config, mcp_config, ...) are kept as they are; the generator
owns three: ``version`` (the package version), ``tools`` and ``prompts`` (what ``tools/list`` and
``prompts/list`` return with the default settings, so the admin-only tools are not listed). Run it
after changing a tool's or prompt's name or description; tests/test_manifest.py fails until you do.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "manifest.json"

# A description up to this long goes into the manifest whole; a longer one is cut to its first
# paragraph, then to its first sentence (hosts show these in a list).
SHORT = 300


def summary(description: str | None) -> str:
    """One line for a host's tool list: the whole description if short, else its opening."""
    text = " ".join((description or "").split())
    if len(text) <= SHORT:
        return text
    first = " ".join((description or "").strip().split("\n\n", 1)[0].split())
    if len(first) <= SHORT:
        return first
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
    return sentence if len(sentence) <= SHORT else sentence[: SHORT - 1].rstrip() + "…"


async def live_surface() -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """The tools and prompts a default server offers, as manifest entries."""
    from mcp import Client

    from venice_mcp.config import Settings
    from venice_mcp.server import build_server

    async with Client(build_server(Settings())) as client:
        tools = [
            {"name": tool.name, "description": summary(tool.description)}
            for tool in (await client.list_tools()).tools
        ]
        prompts: list[dict[str, Any]] = []
        for prompt in (await client.list_prompts()).prompts:
            names = [arg.name for arg in prompt.arguments or []]
            entry: dict[str, Any] = {"name": prompt.name, "description": summary(prompt.description)}
            if names:
                entry["arguments"] = names
            entry["text"] = await _prompt_text(client, prompt.name, names) or entry["description"]
            prompts.append(entry)
    return tools, prompts


async def _prompt_text(client: Any, name: str, arguments: list[str]) -> str:
    """The prompt's text with each argument left as the bundle placeholder ``${arguments.x}``."""
    try:
        result = await client.get_prompt(name, {arg: "${arguments." + arg + "}" for arg in arguments})
    except Exception:  # a prompt that validates its arguments cannot render placeholders
        return ""
    texts = [getattr(message.content, "text", "") for message in result.messages]
    return "\n\n".join(text for text in texts if text)


def render(manifest: dict[str, Any], tools: list[dict[str, str]], prompts: list[dict[str, Any]]) -> str:
    from venice_mcp import __version__

    out = dict(manifest)
    out["version"] = __version__
    out["tools"] = tools
    out["tools_generated"] = False
    if prompts:
        out["prompts"] = prompts
        out["prompts_generated"] = False
    else:
        out.pop("prompts", None)
        out.pop("prompts_generated", None)
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


def expected(manifest_text: str) -> str:
    """What manifest.json should contain, given its current hand-written fields."""
    tools, prompts = anyio.run(live_surface)
    return render(json.loads(manifest_text), tools, prompts)


def main(argv: list[str]) -> int:
    current = MANIFEST.read_text(encoding="utf-8")
    wanted = expected(current)
    if "--check" in argv:
        if wanted != current:
            sys.stderr.write("manifest.json is out of date: run python tools/gen_manifest.py\n")
            return 1
        return 0
    if wanted != current:
        MANIFEST.write_text(wanted, encoding="utf-8")
        sys.stderr.write("manifest.json updated\n")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
