"""tools/spec_coverage.py's parameter report is what the tools do: every parameter it counts as
exposed reached the sandbox in a tool test, none it lists as left out did, and no tool sent a name
the spec does not have. Runs last (tests/tools/conftest.py), over what every tool test sent."""

from __future__ import annotations

import pytest

from tests import spec_script
from tests.tools.conftest import PARTIAL, SENT
from venice_mcp.sandbox import seed
from venice_mcp.tools import _coverage


def test_every_exposed_parameter_reached_the_sandbox_in_a_tool_test() -> None:
    if PARTIAL:
        pytest.skip("needs the whole tests/tools run: " + "; ".join(sorted(set(PARTIAL))))
    left_out = spec_script.load().LEFT_OUT_PARAMETERS
    spec = seed.openapi()
    problems = []
    for op in sorted(_coverage.reaches()):
        names = set(_coverage.spec_parameters(spec, *op))
        sent = SENT.get(op, set())
        skipped = set(left_out.get(op, {}))
        if names - skipped - sent:
            problems.append(f"{op}: exposed but never sent: {sorted(names - skipped - sent)}")
        if skipped & sent:
            problems.append(f"{op}: listed as left out but sent: {sorted(skipped & sent)}")
        if sent - names:
            problems.append(f"{op}: sent but not in the spec: {sorted(sent - names)}")
        if skipped - names:
            problems.append(f"{op}: left out but not in the spec: {sorted(skipped - names)}")
    assert not problems, "\n".join(problems)
