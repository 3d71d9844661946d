"""Several worker processes serving one port (``serve --transport http --workers N``).

The parent binds the socket and forks N children; each builds its own server (its own state, its
own connections to Venice and the database) and accepts from the shared port, so the kernel
spreads connections across them (on Linux and FreeBSD; elsewhere a burst of connections
may land on one worker). Every money rule lives in the database the workers share, so nothing
here coordinates them. Streamable HTTP then runs stateless (any request may land on any
worker); a legacy SSE stream and its POSTs must reach one process, so SSE needs one worker (or a
load balancer with affinity in front of single-worker servers).

The parent only supervises: a worker that dies is replaced, unless it failed on its own right
after starting (a broken setting would otherwise fork forever); SIGINT or SIGTERM stops them all.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import NoReturn

log = logging.getLogger(__name__)

# A worker that fails (not killed) sooner than this after its start is a broken start, not a crash.
MIN_LIFETIME_S = 5.0
PARENT_CHECK_S = 1.0  # how soon a worker notices its parent is gone
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


def balancing_option(platform: str = sys.platform) -> int | None:
    """The socket option under which the kernel spreads new connections across several sockets
    listening on one port: SO_REUSEPORT on Linux, SO_REUSEPORT_LB on FreeBSD. None elsewhere:
    macOS takes SO_REUSEPORT but does not balance, so one worker would get every connection."""
    if platform.startswith("linux"):
        return getattr(socket, "SO_REUSEPORT", None)
    if platform.startswith("freebsd"):
        return getattr(socket, "SO_REUSEPORT_LB", None)
    return None


def bind(host: str, port: int, *, reuse_port: int | None = None, listen: bool = True) -> socket.socket:
    """``reuse_port``: a balancing_option() to set, so that other sockets may bind the port too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and the
    # accepted connections inherit it. Without it a reply written in two pieces (headers, body)
    # waits ~40 ms for the client's delayed ACK (Nagle), on every request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port is not None:
        sock.setsockopt(socket.SOL_SOCKET, reuse_port, 1)
    sock.bind((host.strip("[]"), port))
    if listen:
        sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _exit_with(parent: int) -> None:
    """End this worker when its parent is gone (killed outright, it could not stop us): a worker
    left behind would go on serving the port with nobody supervising it."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve_forked(run_worker: Callable[[socket.socket], None], *, host: str, port: int, workers: int) -> int:
    """Run ``run_worker(sock)`` in ``workers`` child processes until stopped; the exit status."""
    if not hasattr(os, "fork"):
        raise OSError("--workers needs a system with fork (Linux, macOS)")
    # One listening socket shared by every worker hands a burst of connections to whichever worker
    # wakes first (measured: all 20 racing clients on one of 4 workers). Where the kernel balances
    # (balancing_option), each worker listens on a socket of its own and the kernel spreads
    # connections across them; the parent's socket is bound, not listening: it reserves the port
    # and fails fast if it is taken. Elsewhere every worker accepts from the one shared socket.
    option = balancing_option()
    spread = option is not None
    sock = bind(host, port, reuse_port=option, listen=not spread)
    children: dict[int, float] = {}  # pid -> start time
    stopping = False

    parent = os.getpid()

    def spawn() -> None:
        # A stop signal waits until the worker has its own handlers and the parent its pid, and
        # no worker starts once a stop has come. Otherwise a stop at start was lost (in the fork
        # window, or before the last worker was forked): that worker ran on with nothing to stop
        # it, and the parent waited for it forever.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            if stopping:
                return
            pid = os.fork()
            if pid == 0:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # a pending stop ends it here
                work()  # never returns
            children[pid] = time.monotonic()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

    def work() -> NoReturn:
        """The worker's life, in the child; it ends the process."""
        _exit_with(parent)
        status = 0
        try:
            if spread:
                own = bind(host, port, reuse_port=option)
                sock.close()
                run_worker(own)
            else:
                run_worker(sock)
        except BaseException:  # reported, then the worker ends
            log.exception("worker %d failed", os.getpid())
            status = 1
        finally:
            sys.stderr.flush()
            os._exit(status)

    def stop(signum: int, _: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    try:
        for _ in range(workers):
            spawn()
        status = 0
        while children:
            try:
                pid, code = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            started = children.pop(pid, None)
            if started is None or stopping:
                continue
            if not os.WIFSIGNALED(code) and time.monotonic() - started < MIN_LIFETIME_S:
                sys.stderr.write(f"venice-mcp: a worker exited at start (status {code}); stopping\n")
                status = 1
                stop(signal.SIGTERM, None)
                continue
            log.warning("worker %d exited (status %d); starting another", pid, code)
            spawn()
        return status
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
