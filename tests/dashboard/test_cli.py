"""``venice-mcp dashboard``: the desktop (stdio) user's page for their home, on loopback."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import anyio
import httpx2
import pytest

from tests.dashboard.seed import TX, seed
from tests.e2e.helpers import START_TIMEOUT, child_env, cli, stop

pytestmark = pytest.mark.anyio


async def test_dashboard_verb_prints_its_address_and_serves_the_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    await seed(home, time.time())
    proc = await anyio.open_process(
        cli("dashboard", "--port", "0"), env=child_env(home), stdin=subprocess.DEVNULL
    )
    try:
        assert proc.stdout is not None
        line = b""
        with anyio.fail_after(START_TIMEOUT):
            while not line.endswith(b"\n"):
                line += await proc.stdout.receive(1)
        address = line.decode().split(" at ", 1)[1].strip()
        assert address.startswith("http://127.0.0.1:") and address.endswith("/dashboard")
        async with httpx2.AsyncClient(timeout=START_TIMEOUT) as http:
            page = await http.get(address)
            root = await http.get(address.removesuffix("dashboard"))
        assert page.status_code == 200 and "venice_chat" in page.text and TX in page.text
        assert root.status_code == 307 and root.headers["location"] == "/dashboard"
    finally:
        if proc.returncode is None:
            proc.kill()
        with anyio.fail_after(10):
            await proc.wait()


def test_a_port_in_use_is_a_usage_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.Popen(
            cli("dashboard", "--port", str(port)),
            env=child_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            _, err = done.communicate(timeout=START_TIMEOUT)
        finally:
            stop(done)
    assert done.returncode == 2 and b"choose another --port" in err
