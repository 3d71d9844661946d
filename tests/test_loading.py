"""The collector pause around loading, in this process (the serving case, which freezes, runs in
a fresh interpreter: tests/test_cold_start.py)."""

from __future__ import annotations

import gc

from venice_mcp.loading import loading


def test_loading_pauses_the_collector_and_gives_it_back() -> None:
    frozen = gc.get_freeze_count()
    with loading():
        assert not gc.isenabled()
        with loading():  # nested: the outer block still owns the pause
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen  # not a server: what was loaded may still be collected


def test_loading_restores_the_collector_after_a_failure() -> None:
    try:
        with loading():
            raise RuntimeError("a broken setting")
    except RuntimeError:
        pass
    assert gc.isenabled()


def test_loading_leaves_a_collector_that_was_off_off() -> None:
    gc.disable()
    try:
        with loading():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
