"""``python -m venice_mcp`` and the ``venice-mcp`` console script."""

from __future__ import annotations

import sys

from venice_mcp.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
