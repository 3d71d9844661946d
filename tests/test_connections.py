"""The HTTP connection guard (read deadline, connection cap) on a real loopback socket.

Each test serves a tiny ASGI app through ``guarded_protocol`` on an asyncio server and talks to
it with raw sockets, so a client can stop mid-request the way a slow or hostile one does.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
import uvicorn
from anyio.abc import SocketStream
from uvicorn.server import ServerState

from venice_mcp.connections import RedactQueryStrings, connection_cap, guarded_protocol, redact_access_log

pytestmark = pytest.mark.anyio

DEADLINE = 0.3  # the read timeout the tests serve with
GET = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


class App:
    """200 with the size of the body it read; GET /stream sends a chunk, then waits for ``release``."""

    def __init__(self) -> None:
        self.release = anyio.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
        if scope["path"] == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"first,", "more_body": True})
            await self.release.wait()
            await send({"type": "http.response.body", "body": b"last"})
        else:
            body = str(size).encode()
            headers = [(b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})


@asynccontextmanager
async def serving(
    app: Any, *, max_connections: int = 100, read_timeout: float = DEADLINE, access_log: bool = False
) -> AsyncIterator[int]:
    protocol = guarded_protocol(max_connections=max_connections, read_timeout=read_timeout)
    config = uvicorn.Config(
        app,
        log_config=None,
        http=protocol,
        ws="none",
        lifespan="off",
        access_log=access_log,
        log_level="debug",
    )
    config.load()
    state = ServerState()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: protocol(config=config, server_state=state, app_state={}), "127.0.0.1", 0
    )
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for connection in list(state.connections):
            connection.transport.close()
        for task in list(state.tasks):
            task.cancel()


async def connect(port: int, data: bytes = b"") -> SocketStream:
    stream = await anyio.connect_tcp("127.0.0.1", port)
    if data:
        await stream.send(data)
    return stream


async def read_until(stream: SocketStream, marker: bytes) -> bytes:
    received = b""
    while marker not in received:
        received += await stream.receive()
    return received


async def read_to_close(stream: SocketStream) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    try:
        while True:
            chunks.append(await stream.receive())
    except (anyio.EndOfStream, anyio.BrokenResourceError):
        pass
    return b"".join(chunks)


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def json_body(response: bytes) -> Any:
    return json.loads(response.split(b"\r\n\r\n", 1)[1])


PARTIAL = {
    "nothing": b"",
    "half a request line": b"GET /mc",
    "half the headers": b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Len",
    "half a body": b'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n{"a"',
}


@pytest.mark.parametrize("sent", PARTIAL.values(), ids=PARTIAL.keys())
async def test_a_request_not_sent_in_time_gets_408_and_the_connection_closes(sent: bytes) -> None:
    async with serving(App()) as port:
        stream = await connect(port, sent)
        with anyio.fail_after(5):
            response = await read_to_close(stream)
    assert status_of(response) == 408
    assert json_body(response)["error"]["message"] == "Request not received in time"


async def test_a_client_trickling_bytes_is_closed_at_the_deadline_all_the_same() -> None:
    async with serving(App()) as port:
        stream = await connect(port)
        with anyio.fail_after(5):
            try:
                for byte in b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000:
                    await stream.send(bytes([byte]))
                    await anyio.sleep(DEADLINE / 10)  # the client's pace, not a wait for the outcome
            except (anyio.BrokenResourceError, ConnectionError):
                pass
            response = await read_to_close(stream)
    assert response == b"" or status_of(response) == 408


async def test_the_deadline_never_cuts_a_long_response() -> None:
    app = App()
    async with serving(app) as port:
        stream = await connect(port, b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        idle = await connect(port)
        with anyio.fail_after(5):
            assert b"first," in await stream.receive()
            # The idle connection, opened with the stream, hitting its deadline proves the stream
            # has outlived it.
            assert status_of(await read_to_close(idle)) == 408
            app.release.set()
            await read_until(stream, b"last")


async def test_a_kept_alive_connection_serves_request_after_request() -> None:
    body = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello"
    async with serving(App()) as port:
        stream = await connect(port)
        with anyio.fail_after(5):
            for _ in range(3):
                await stream.send(body)
                response = await stream.receive()
                assert status_of(response) == 200 and response.endswith(b"\r\n\r\n5")


async def test_over_the_cap_the_oldest_idle_connection_makes_room() -> None:
    async with serving(App(), max_connections=3, read_timeout=1.0) as port:
        idle = [await connect(port) for _ in range(3)]
        client = await connect(port, GET)
        with anyio.fail_after(5):
            response = await client.receive()
            assert status_of(response) == 200
            evicted = await read_to_close(idle[0])
            # The other two were not evicted: they end at their own deadline.
            spared = [await read_to_close(s) for s in idle[1:]]
    assert status_of(evicted) == 503
    assert [status_of(r) for r in spared] == [408, 408]


async def test_when_every_connection_is_being_answered_a_new_one_gets_503_at_once() -> None:
    app = App()
    async with serving(app, max_connections=2, read_timeout=30) as port:
        streams = [await connect(port, b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") for _ in range(2)]
        with anyio.fail_after(5):
            for stream in streams:
                await stream.receive()
            refused = await read_to_close(await connect(port, GET))
            assert status_of(refused) == 503
            assert b"retry-after: 1" in refused.lower()
            assert "too many open connections" in json_body(refused)["error"]["message"]
            app.release.set()
            for stream in streams:
                await read_until(stream, b"last")


def test_the_cap_leaves_half_the_open_file_limit_free() -> None:
    resource = pytest.importorskip("resource")
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert connection_cap(10**9) == (10**9 if soft == resource.RLIM_INFINITY else soft // 2)
    assert connection_cap(3) == 3


async def test_the_access_log_shows_no_query_string_and_no_authorization(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redact_access_log()
    redact_access_log()  # idempotent: one filter, however often the server is started
    assert sum(isinstance(f, RedactQueryStrings) for f in logging.getLogger("uvicorn.access").filters) == 1
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    request = (
        b"GET /health?token=SECRET-IN-URL HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Authorization: Bearer SECRET-IN-HEADER\r\n\r\n"
    )
    async with serving(App(), access_log=True) as port:
        stream = await connect(port, request)
        with anyio.fail_after(5):
            assert status_of(await stream.receive()) == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert lines and all("SECRET" not in line for line in lines), lines
    assert '"GET /health?[redacted] HTTP/1.1" 200' in lines[0]
