"""The socket ``serve --workers N`` shares: its connections must not wait on Nagle.

asyncio turns TCP_NODELAY on only for sockets whose protocol says TCP; a socket made with proto 0
hands that 0 to every accepted connection, and then each reply written in two pieces (headers,
body) waited ~40 ms for the client's delayed ACK: 48 ms per tool call instead of 3.5.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from venice_mcp.workers import balancing_option, bind


def test_connections_accepted_on_the_workers_socket_send_without_delay() -> None:
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    seen: list[int] = []

    async def main() -> None:
        def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            conn = writer.get_extra_info("socket")
            seen.append(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=sock)
        async with server:
            _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
            writer.close()
            while not seen:
                await asyncio.sleep(0.01)  # a poll interval for the accept callback

    try:
        asyncio.run(asyncio.wait_for(main(), 10))
    finally:
        sock.close()
    assert seen and seen[0] != 0


def test_workers_listen_apart_only_where_the_kernel_balances() -> None:
    """macOS accepts SO_REUSEPORT but sends every connection to one of the sockets, so there the
    workers share one listening socket instead."""
    assert balancing_option("linux") == socket.SO_REUSEPORT
    assert balancing_option("darwin") is None
    assert balancing_option("win32") is None
    assert balancing_option("freebsd14") == getattr(socket, "SO_REUSEPORT_LB", None)


def test_two_sockets_bound_with_the_balancing_option_share_a_port() -> None:
    option = balancing_option()
    if option is None:
        pytest.skip("this kernel does not balance connections across sockets")
    first = bind("127.0.0.1", 0, reuse_port=option)
    try:
        second = bind("127.0.0.1", first.getsockname()[1], reuse_port=option)
        second.close()
    finally:
        first.close()
