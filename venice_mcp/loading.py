"""Loading without the cyclic garbage collector.

Importing the SDK and building the tools allocate a few hundred thousand objects. While they are
made, the cyclic collector walks them again and again (about 180 collections, 40–50 ms of a
~520 ms start) and finds almost nothing to free: reference counting frees what loading throws
away. So the collector is off while loading.

Turned back on, it would walk everything loaded in one pass, unless that is frozen first
(``gc.freeze``: kept out of every later collection). A serving process freezes what it loads,
since its server lives until the process ends; anything else (a test that builds many servers)
only pauses, so what it drops is still collected.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_serving = False  # this process loaded a server to serve: what it loads lives until it exits


@contextmanager
def loading(*, serving: bool = False) -> Iterator[None]:
    """Pause the cyclic collector for the block; ``serving`` marks this process as a server, whose
    loads (this one and every later one) are frozen. Nested, or with the collector already off,
    it leaves the collector as it was."""
    global _serving
    _serving = _serving or serving
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if _serving:
            gc.freeze()
        gc.enable()
