"""tools/spec_coverage.py, a script outside the package, loaded as a module for tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parent.parent / "tools" / "spec_coverage.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("spec_coverage", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
