"""tools/spec_coverage.py: what it reports, where it finds tools, and its exit status."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from mcp import Client

from tests import spec_script
from venice_mcp.config import Settings
from venice_mcp.sandbox import seed
from venice_mcp.server import build_server
from venice_mcp.tools import _coverage
from venice_mcp.tools import text as text_tools

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return spec_script.load()


def all_operations(script: ModuleType) -> list[tuple[str, str]]:
    ops: list[tuple[str, str]] = script.operations(seed.openapi())
    return ops


def test_exit_status_follows_the_issue_table(script: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    ops = all_operations(script)
    assert set(ops) >= script.REQUIRED, "the issue's table names operations the spec does not have"
    everything = {op: (_coverage.Reach("venice_x", "m", "declared"),) for op in script.REQUIRED}
    monkeypatch.setattr(script, "reaches", lambda: everything)
    assert script.main(["--spec", str(ROOT / "no-such-spec.json")]) == 0
    one_short = dict(everything)
    del one_short[("POST", "/augment/scrape")]
    monkeypatch.setattr(script, "reaches", lambda: one_short)
    assert script.main([]) == 1
    lines, missing = script.report(ops, one_short)
    assert missing == [("POST", "/augment/scrape")]
    assert any("MISSING" in line and "/augment/scrape" in line for line in lines)
    assert any("left out: retired by Venice" in line for line in lines)


def test_the_real_run_lists_every_operation_and_agrees_with_its_exit_code(script: ModuleType) -> None:
    command = [sys.executable, str(spec_script.SCRIPT)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    ops = all_operations(script)
    _, missing = script.report(ops, _coverage.reaches())
    assert run.returncode == (1 if missing else 0), run.stderr
    body = [line for line in run.stdout.splitlines() if line.startswith("  ")]
    assert len(body) >= len(ops)
    for tool, op in [
        ("venice_web_scrape", "POST /augment/scrape"),
        ("venice_crypto_rpc", "POST /crypto/rpc/{network}"),
    ]:
        assert any(op in line and tool in line and line.startswith("  ok") for line in body)
    _, exposed, total = script.parameter_report(seed.openapi(), _coverage.reaches())
    assert f"{exposed} of {total} exposed" in run.stdout and exposed < total
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert (
        f"{exposed} of {total} are exposed" in readme and f"each of the {total - exposed} left out" in readme
    )
    after = run.stdout.split("POST /chat/completions\n", 1)[1].splitlines()
    chat = [
        line.strip() for line in itertools.takewhile(lambda line: line.startswith(" " * 12 + "- "), after)
    ]
    assert "- stream: a tool answers with the whole result; a stream would not reach the agent sooner" in chat


def test_declarations_name_real_operations_and_registered_tools(tmp_path: Path) -> None:
    paths = seed.openapi()["paths"]
    declared = {k: v for k, v in _coverage.reaches().items() if any(r.how == "declared" for r in v)}
    assert declared
    for method, path in declared:
        assert method.lower() in paths.get(path, {}), f"{method} {path} is not in the spec"

    async def names() -> set[str]:
        server = build_server(Settings(home=tmp_path, admin_tools=True))
        async with Client(server) as client:
            return {t.name for t in (await client.list_tools()).tools}

    import anyio

    registered = anyio.run(names)
    for reach in (r for v in declared.values() for r in v if r.how == "declared"):
        assert reach.tool in registered, f"{reach.module} declares unknown tool {reach.tool}"


def test_source_scan_finds_undeclared_tools() -> None:
    found = _coverage.scan(text_tools, seed.openapi()["paths"])
    assert found[("POST", "/chat/completions")] == {"venice_chat"}
    assert found[("POST", "/embeddings")] == {"venice_embeddings"}
    spec_paths = list(seed.openapi()["paths"])
    assert _coverage.match_path("/crypto/rpc/{}", spec_paths) == "/crypto/rpc/{network}"
    assert _coverage.match_path("/not/venice", spec_paths) is None
