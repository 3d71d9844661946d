"""The dashboard's routes, for the HTTP transport's app or a standalone one (``venice-mcp dashboard``).

  GET  /dashboard                the page (or, with a token set and not yet proved, the sign-in form)
  GET  /dashboard/live           the part of the page that refreshes (HTML fragment)
  GET  /dashboard/data.json      the same numbers as JSON, for scripts
  GET  /dashboard/outputs/{name} a job's saved file
  GET  /dashboard/static/{name}  style.css, live.js
  POST /dashboard/login          token in the form body -> session cookie
  POST /dashboard/logout         ends the session

Read-only: nothing here writes the state or calls Venice. Reads run in a worker thread (SQLite
blocks). Every response forbids caching and framing, and the pages allow only their own script
and style (Content-Security-Policy).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from venice_mcp.config import Settings
from venice_mcp.dashboard import render
from venice_mcp.dashboard.access import Access, Verdict
from venice_mcp.dashboard.data import Snapshot, Store
from venice_mcp.outputs import OutputStore, mime_type_of

BASE = render.BASE
MAX_LOGIN_BODY = 4096
_STATIC = {"style.css": "text/css; charset=utf-8", "live.js": "text/javascript; charset=utf-8"}
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Not no-referrer: with it browsers send "Origin: null" on the sign-in post, which then
    # cannot be told from a cross-site one. same-origin still sends nothing to other sites.
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
    " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}
_DENIED = {
    Verdict.BAD_HOST: (421, "Misdirected request: this Host is not one the server answers to."),
    Verdict.FORBIDDEN: (
        403,
        "Forbidden: without VENICE_MCP_AUTH_TOKEN the dashboard is for this machine only.",
    ),
}

Handler = Callable[[Request], Awaitable[Response]]


class Dashboard:
    """The dashboard over one home's state, with the access rules of the server it is part of."""

    def __init__(self, settings: Settings, access: Access, *, standalone: bool = False) -> None:
        self.store = Store(settings, server=not standalone)
        self.access = access
        self.outputs = OutputStore(settings.outputs, sealed=settings.sealed)

    async def aclose(self) -> None:
        await self.store.aclose()

    @property
    def routes(self) -> list[BaseRoute]:
        return [
            Route(BASE, self._guarded(self._page), methods=["GET"]),
            Route(f"{BASE}/live", self._guarded(self._live), methods=["GET"]),
            Route(f"{BASE}/data.json", self._guarded(self._json), methods=["GET"]),
            Route(f"{BASE}/outputs/{{name}}", self._guarded(self._output), methods=["GET"]),
            Route(f"{BASE}/static/{{name}}", self._static, methods=["GET"]),
            Route(f"{BASE}/login", self._login, methods=["POST"]),
            Route(f"{BASE}/logout", self._logout, methods=["POST"]),
        ]

    # -- access ---------------------------------------------------------------------------------

    def _guarded(self, handler: Callable[[Request, Verdict], Awaitable[Response]]) -> Handler:
        async def guarded(request: Request) -> Response:
            verdict = self.access.check(request)
            if verdict in _DENIED:
                status, text = _DENIED[verdict]
                return Response(text, status_code=status, media_type="text/plain", headers=HEADERS)
            if verdict is Verdict.SIGN_IN:
                # The page shows the form; anything else is refused (live.js reloads into the form).
                if request.url.path == BASE:
                    return HTMLResponse(render.login_page(), status_code=401, headers=HEADERS)
                return JSONResponse({"error": "unauthorized"}, status_code=401, headers=HEADERS)
            return await handler(request, verdict)

        return guarded

    async def _login(self, request: Request) -> Response:
        verdict = self.access.check(request)
        if verdict in _DENIED:
            status, text = _DENIED[verdict]
            return Response(text, status_code=status, media_type="text/plain", headers=HEADERS)
        if self.access.token is None:
            return RedirectResponse(BASE, status_code=303, headers=HEADERS)
        if not self.access.origin_allowed(request):
            page = render.login_page("This sign-in did not come from this page; sign in here.")
            return HTMLResponse(page, status_code=403, headers=HEADERS)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_LOGIN_BODY:
                return Response("Request too large.", status_code=413, headers=HEADERS)
        supplied = parse_qs(body.decode("utf-8", "replace")).get("token", [""])[0]
        if not self.access.token_matches(supplied.strip()):
            page = render.login_page("That is not the token this server was started with.")
            return HTMLResponse(page, status_code=401, headers=HEADERS)
        response = RedirectResponse(BASE, status_code=303, headers=HEADERS)
        self.access.start_session(response, request)
        return response

    async def _logout(self, request: Request) -> Response:
        response = RedirectResponse(BASE, status_code=303, headers=HEADERS)
        if self.access.origin_allowed(request):
            self.access.end_session(response)
        return response

    # -- pages ----------------------------------------------------------------------------------

    async def _snapshot(self, verdict: Verdict) -> Snapshot:
        shown = verdict is Verdict.AUTHENTICATED
        return await self.store.read(show_prompts=shown)

    async def _page(self, request: Request, verdict: Verdict) -> Response:
        snap = await self._snapshot(verdict)
        html = render.page(
            snap, can_sign_out=verdict is Verdict.AUTHENTICATED and "authorization" not in request.headers
        )
        return HTMLResponse(html, headers=HEADERS)

    async def _live(self, request: Request, verdict: Verdict) -> Response:
        return HTMLResponse(render.fragment(await self._snapshot(verdict)), headers=HEADERS)

    async def _json(self, request: Request, verdict: Verdict) -> Response:
        snap = await self._snapshot(verdict)
        return Response(json.dumps(snap.as_json()), media_type="application/json", headers=HEADERS)

    async def _output(self, request: Request, verdict: Verdict) -> Response:
        name = request.path_params["name"]
        try:
            handle = await anyio.to_thread.run_sync(self.outputs.open, name)
        except (FileNotFoundError, OSError):
            return Response("No such output.", status_code=404, media_type="text/plain", headers=HEADERS)

        async def chunks() -> AsyncIterator[bytes]:
            try:
                while chunk := await anyio.to_thread.run_sync(handle.read, 1 << 16):
                    yield chunk
            finally:
                handle.close()

        return StreamingResponse(chunks(), media_type=mime_type_of(Path(name)), headers=HEADERS)

    async def _static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _STATIC:
            return Response("Not found.", status_code=404, headers=HEADERS)
        text = resources.files("venice_mcp.dashboard").joinpath("static").joinpath(name).read_text("utf-8")
        return Response(text, media_type=_STATIC[name], headers={**HEADERS, "Cache-Control": "no-cache"})


def standalone_app(dashboard: Dashboard) -> Starlette:
    """The dashboard alone (``venice-mcp dashboard``), with / sent to /dashboard."""

    async def home(_: Request) -> Response:
        return RedirectResponse(BASE, status_code=307)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await dashboard.aclose()

    return Starlette(routes=[Route("/", home), *dashboard.routes], lifespan=lifespan)


def make_dashboard(
    settings: Settings, *, host: str, extra_hosts: Iterable[str] = (), standalone: bool = False
) -> Dashboard:
    """A dashboard answering the same Host names as the MCP endpoints of a server bound to ``host``."""
    from venice_mcp.transports import transport_security

    security = transport_security(host, extra_hosts)
    access = Access(settings.auth_token, tuple(security.allowed_hosts), tuple(security.allowed_origins))
    return Dashboard(settings, access, standalone=standalone)
