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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from venice_mcp.tools._coverage import METHODS, Reach, reaches, spec_parameters  # noqa: E402

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


_DISCARDED = "accepted and discarded by Venice (OpenAI compatibility)"
_STREAM = "a tool answers with the whole result; a stream would not reach the agent sooner"
_STREAM_ONLY = "applies only to streamed replies, and tools answer whole"
_E2EE = (
    "E2EE needs every message encrypted on the client, and streaming; without E2EE headers Venice "
    "runs TEE-only anyway"
)
_ON_CHAT = "venice_chat takes it; venice_responses keeps to what the Responses API adds"
_REFINE = (
    "a speed switch for a few models (supportsOptimizePromptThinking); left out to keep tools/list small"
)
# Request parameters of reached operations that no tool argument sets, with the reason. Every other
# parameter of a reached operation counts as exposed, and test_parameter_coverage.py checks that
# the tool tests really sent each one to the sandbox.
LEFT_OUT_PARAMETERS: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/chat/completions"): {
        "include": "removed by Venice before validation (OpenAI compatibility)",
        "metadata": "removed by Venice before validation (OpenAI compatibility)",
        "store": _DISCARDED,
        "user": _DISCARDED + "; not an alias of anon_user_id",
        "max_tokens": "deprecated alias: max_tokens is sent as max_completion_tokens",
        "stream": _STREAM,
        "stream_options": _STREAM_ONLY,
        "text": "text.verbosity is the same setting as verbosity (options.verbosity)",
        "venice_parameters.enable_e2ee": _E2EE,
        "venice_parameters.include_search_results_in_stream": _STREAM_ONLY,
    },
    ("POST", "/responses"): {
        "include": "OpenAI-compatible extra response fields; the tool already returns every output item",
        "stream": _STREAM,
        "top_p": _ON_CHAT,
        "fallbacks": _ON_CHAT,
        "venice_parameters.enable_web_scraping": _ON_CHAT,
        "venice_parameters.include_venice_system_prompt": _ON_CHAT,
        "venice_parameters.enable_web_search": "web_search=true sends the top-level web_search, its alias",
        "venice_parameters.enable_e2ee": "E2EE is not available on /responses",
        "venice_parameters.include_search_results_in_stream": _STREAM_ONLY,
    },
    ("POST", "/embeddings"): {"user": _DISCARDED},
    ("POST", "/image/generate"): {
        "inpaint": "retired by Venice (400: use /image/edit, which venice_image_edit reaches)",
        "disable_prompt_optimization_thinking": _REFINE,
        "embed_exif_metadata": "the prompt and settings come back in the reply and the file name instead",
        "enable_web_search": "a paid extra on a few models the catalog does not mark; left out to keep "
        "tools/list small",
        "lora_strength": "applies only to models with extra LoRAs, which the catalog does not mark",
    },
    ("POST", "/image/edit"): {
        "modelId": "deprecated alias of model",
        "disable_prompt_optimization_thinking": _REFINE,
    },
    ("POST", "/image/multi-edit"): {"disable_prompt_optimization_thinking": _REFINE},
    ("POST", "/audio/speech"): {"streaming": _STREAM},
    ("POST", "/audio/queue"): {
        "language_code": "venice_music_generate takes it, but no model in the catalog does yet (refused "
        "free)",
    },
    ("POST", "/audio/retrieve"): {
        "delete_media_on_completion": "media are removed with /audio/complete once the file is saved, so a "
        "lost download can be fetched again",
    },
    ("POST", "/video/queue"): {
        "consents": "only for Seedance ids outside the catalog, which the server cannot price or use",
        "omni_reference_task_type": "chosen by Venice from the references given",
    },
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


def parameter_report(
    spec: dict[str, Any], found: dict[tuple[str, str], tuple[Reach, ...]]
) -> tuple[list[str], int, int]:
    """Per reached operation: exposed / total request parameters, each left-out one with its reason."""
    lines: list[str] = []
    exposed_total = total = 0
    for op in sorted(set(found) & set(operations(spec)), key=lambda o: (o[1], o[0])):
        names = spec_parameters(spec, *op)
        if not names:
            continue
        left_out = {k: v for k, v in LEFT_OUT_PARAMETERS.get(op, {}).items() if k in names}
        exposed = len(names) - len(left_out)
        exposed_total, total = exposed_total + exposed, total + len(names)
        lines.append(f"  {exposed:>3}/{len(names):<3} {op[0]} {op[1]}")
        lines += [f"            - {name}: {reason}" for name, reason in sorted(left_out.items())]
    return lines, exposed_total, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, help="openapi.json to check against")
    args = parser.parse_args(argv)
    spec = load_spec(args.spec)
    ops = operations(spec)
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
    param_lines, exposed, total = parameter_report(spec, reaches())
    print(
        f"\nRequest parameters of the reached operations (query and body fields, venice_parameters key "
        f"by key): {exposed} of {total} exposed ({exposed / total:.0%}); the rest, with the reason:"
    )
    print("\n".join(param_lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
