#!/usr/bin/env python3
"""Every operation in Venice's OpenAPI spec, with the tool that reaches it or why it is left out.

    python tools/spec_coverage.py [--spec PATH]

The spec is ../shared/venice/openapi.json when present, else the copy packaged with the sandbox.
Reaching tools come from each tool module's ENDPOINTS declaration (or, for a module without one, a
scan of its source): see venice_mcp/tools/_coverage.py. Exit status 1 when an operation that
issue 3's table requires is not reached by any tool; 0 otherwise.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from venice_mcp.tools._coverage import METHODS, Reach, reaches  # noqa: E402

# Issue 3's table: these operations must each be reached by a tool.
REQUIRED = frozenset(
    {
        ("POST", "/responses"),
        ("POST", "/image/generate"),
        ("POST", "/image/edit"),
        ("POST", "/image/multi-edit"),
        ("POST", "/image/upscale"),
        ("POST", "/image/background-remove"),
        ("GET", "/image/styles"),
        ("POST", "/audio/speech"),
        ("POST", "/audio/transcriptions"),
        ("POST", "/audio/quote"),
        ("POST", "/audio/queue"),
        ("POST", "/audio/retrieve"),
        ("POST", "/audio/complete"),
        ("POST", "/video/quote"),
        ("POST", "/video/queue"),
        ("POST", "/video/retrieve"),
        ("POST", "/video/complete"),
        ("POST", "/augment/search"),
        ("POST", "/augment/scrape"),
        ("POST", "/augment/text-parser"),
        ("GET", "/crypto/rpc/networks"),
        ("POST", "/crypto/rpc/{network}"),
        ("GET", "/characters"),
        ("GET", "/characters/{slug}"),
        ("GET", "/characters/{slug}/reviews"),
        ("GET", "/billing/balance"),
        ("GET", "/billing/usage-history"),
        ("GET", "/billing/usage-analytics"),
        ("GET", "/api_keys"),
        ("GET", "/api_keys/rate_limits"),
        ("GET", "/api_keys/rate_limits/log"),
    }
)

# Operations deliberately not reached, with the reason (shown only while no tool reaches them).
LEFT_OUT = {
    (
        "GET",
        "/billing/usage",
    ): "retired by Venice (410 since 2026-09-16); venice_billing uses /billing/usage-history",
    (
        "POST",
        "/video/transcriptions",
    ): "retired by Venice (410 Gone); its successor is venice_chat with a video_url part on a model "
    "with supportsVideoInput",
    (
        "POST",
        "/images/generations",
    ): "OpenAI-compatible duplicate of /image/generate, which venice_image_generate uses",
    (
        "GET",
        "/api_keys/generate_web3_key",
    ): "minting a key from a staked-VVV wallet: optional extra, not built",
    (
        "POST",
        "/api_keys/generate_web3_key",
    ): "minting a key from a staked-VVV wallet: optional extra, not built",
}


def load_spec(path: Path | None) -> dict[str, object]:
    candidates = [path] if path else [ROOT.parent / "shared" / "venice" / "openapi.json"]
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            doc: dict[str, object] = json.loads(candidate.read_text())
            return doc
    packaged = ROOT / "venice_mcp" / "sandbox" / "data" / "openapi.json.gz"
    doc = json.loads(gzip.decompress(packaged.read_bytes()))
    return doc


def operations(spec: dict[str, object]) -> list[tuple[str, str]]:
    paths = spec.get("paths")
    assert isinstance(paths, dict)
    return [(m.upper(), p) for p, ops in paths.items() for m in ops if m in METHODS]


def report(
    ops: list[tuple[str, str]], found: dict[tuple[str, str], tuple[Reach, ...]]
) -> tuple[list[str], list[tuple[str, str]]]:
    """Lines of the report, and the required operations no tool reaches."""
    lines: list[str] = []
    missing: list[tuple[str, str]] = []
    width = max(len(f"{m} {p}") for m, p in ops)
    for op in sorted(ops, key=lambda o: (o[1], o[0])):
        label = f"{op[0]} {op[1]}".ljust(width)
        reached = found.get(op)
        if reached:
            tools = ", ".join(
                sorted({r.tool + (" (source scan)" if r.how != "declared" else "") for r in reached})
            )
            lines.append(f"  ok       {label}  {tools}")
        elif op in REQUIRED:
            missing.append(op)
            lines.append(f"  MISSING  {label}  not reached yet (required by issue 3)")
        elif op in LEFT_OUT:
            lines.append(f"  -        {label}  left out: {LEFT_OUT[op]}")
        else:
            lines.append(f"  -        {label}  not reached yet (not required by issue 3)")
    for op in sorted(set(found) - set(ops)):
        lines.append(f"  ??       {op[0]} {op[1]}  declared by {found[op][0].module} but not in the spec")
    return lines, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, help="openapi.json to check against")
    args = parser.parse_args(argv)
    ops = operations(load_spec(args.spec))
    lines, missing = report(ops, reaches())
    reached = sum(1 for line in lines if line.startswith("  ok"))
    print(f"Venice operations: {len(ops)}, reached by a tool: {reached}")
    print("\n".join(lines))
    if missing:
        print(
            f"\n{len(missing)} operation(s) from issue 3's table are not reached by any tool.",
            file=sys.stderr,
        )
        return 1
    print("\nEvery operation in issue 3's table is reached by a tool.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
