"""The sockets and processes of ``serve --workers N`` (workers.py), below the server itself.

Its connections must not wait on Nagle: asyncio turns TCP_NODELAY on only for sockets whose
protocol says TCP; a socket made with proto 0 hands that 0 to every accepted connection, and then
each reply written in two pieces (headers, body) waited ~40 ms for the client's delayed ACK: 48 ms
per tool call instead of 3.5. Workers listen apart only where the kernel balances the port, share
one socket elsewhere, and all stop on a stop, even one that comes while they start.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.helpers import free_port
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


WORKER_SCRIPT = """
import os, signal, sys
from venice_mcp import workers

if sys.argv[2] == "shared":
    workers.balancing_option = lambda platform=sys.platform: None  # as on macOS
if sys.argv[2] == "stop at start":
    fork = os.fork

    def fork_then_stop():  # a stop that arrives while the workers are being started
        pid = fork()
        if pid:
            print(pid, flush=True)
            if not hasattr(fork_then_stop, "done"):
                fork_then_stop.done = True
                os.kill(os.getpid(), signal.SIGTERM)
        return pid

    os.fork = fork_then_stop


def run_worker(sock):
    while True:
        conn, _ = sock.accept()
        conn.sendall(str(os.getpid()).encode())
        conn.close()


sys.exit(workers.serve_forked(run_worker, host="127.0.0.1", port=int(sys.argv[1]), workers=2))
"""


def serve(port: int, mode: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-c", WORKER_SCRIPT, str(port), mode]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads a process's children from /proc")
def test_without_balancing_the_workers_accept_from_one_shared_socket() -> None:
    """The path macOS takes: the parent listens, both forked workers accept from its socket."""
    port = free_port()
    parent = serve(port, "shared")
    try:
        children = Path(f"/proc/{parent.pid}/task/{parent.pid}/children")
        deadline = time.monotonic() + 10
        while len(children.read_text().split()) < 2:  # a poll: both workers forked
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.01)
        workers = {int(pid) for pid in children.read_text().split()}
        answers = {_answer(port) for _ in range(10)}
        assert answers and answers <= workers  # answered by the workers, never by the parent
    finally:
        parent.terminate()
        _, err = parent.communicate(timeout=10)
    assert parent.returncode == 0, err.decode()


def test_a_stop_while_the_workers_start_stops_every_worker() -> None:
    """A stop that came after the first fork: it was run before the parent knew that worker's
    pid, and the second worker was forked anyway, so nothing stopped them and the parent waited
    for them forever."""
    parent = serve(free_port(), "stop at start")
    try:
        out, err = parent.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        parent.kill()  # its workers follow within a second (they watch their parent)
        parent.communicate()
        pytest.fail("the server did not stop: a worker was left running")
    assert parent.returncode == 0, err.decode()
    for pid in map(int, out.split()):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # the worker is gone


def _answer(port: int) -> int:
    """The pid that answered one connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        return int(conn.recv(64))
