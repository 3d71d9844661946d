"""Who sees the dashboard of the HTTP app: this machine when there is no token; with a token, only
whoever proves it (once, for a signed HttpOnly SameSite=Strict cookie, or per request as a
bearer). Nobody else gets a number, and the token itself never appears in a page or a URL."""

from __future__ import annotations

import time
from pathlib import Path

import httpx2
import pytest
from mcp.server import MCPServer

from tests.dashboard.seed import PROMPT, SIGNED_HEADER, TX, seed
from venice_mcp.config import Secret, Settings
from venice_mcp.dashboard.access import COOKIE, Sessions
from venice_mcp.transports import build_http_app

pytestmark = pytest.mark.anyio

TOKEN = "dashboard-token-0123456789abcdef"
WALLET_KEY = "0x" + "42" * 32


def settings(home: Path, token: str | None) -> Settings:
    return Settings(home=home, auth_token=Secret(token) if token else None, wallet_key=Secret(WALLET_KEY))


async def app_for(home: Path, token: str | None = TOKEN) -> object:
    await seed(home, time.time())
    server = MCPServer("stand-in")
    return build_http_app(
        server, auth_token=Secret(token) if token else None, dashboard=settings(home, token)
    )


def browser(app: object, *, peer: str = "127.0.0.1", host: str = "127.0.0.1:8000") -> httpx2.AsyncClient:
    transport = httpx2.ASGITransport(app=app, client=(peer, 51000))  # type: ignore[arg-type]
    return httpx2.AsyncClient(transport=transport, base_url=f"http://{host}", follow_redirects=False)


def cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={value}"}


def shows_data(text: str) -> bool:
    return "venice_chat" in text or TX in text or "12.50" in text


async def test_without_a_token_the_local_machine_sees_the_page_and_others_do_not(tmp_path: Path) -> None:
    app = await app_for(tmp_path, token=None)
    async with browser(app) as local:
        page = await local.get("/dashboard")
    assert page.status_code == 200 and shows_data(page.text)
    async with browser(app, peer="203.0.113.7") as remote:
        for path in ("/dashboard", "/dashboard/live", "/dashboard/data.json"):
            response = await remote.get(path)
            assert response.status_code == 403 and not shows_data(response.text)


async def test_a_host_the_server_does_not_answer_to_gets_no_data(tmp_path: Path) -> None:
    """DNS rebinding: a page at evil.example resolved to 127.0.0.1 must not read the numbers."""
    app = await app_for(tmp_path, token=None)
    async with browser(app, host="evil.example:8000") as rebound:
        response = await rebound.get("/dashboard/data.json")
    assert response.status_code == 421 and not shows_data(response.text)


async def test_with_a_token_a_visitor_gets_the_sign_in_form_and_no_data(tmp_path: Path) -> None:
    app = await app_for(tmp_path)
    async with browser(app) as anonymous:
        page = await anonymous.get("/dashboard")
        live = await anonymous.get("/dashboard/live")
        data = await anonymous.get("/dashboard/data.json")
        in_url = await anonymous.get("/dashboard", params={"token": TOKEN})
        file = await anonymous.get("/dashboard/outputs/video-kling-1.mp4")
    assert page.status_code == 401 and 'name="token"' in page.text and 'method="post"' in page.text
    assert not shows_data(page.text)
    assert (live.status_code, data.status_code, file.status_code) == (401, 401, 401)
    assert not shows_data(live.text + data.text)
    assert in_url.status_code == 401, "a token in a URL must not sign anyone in"


async def test_a_wrong_token_gets_no_session_and_no_data(tmp_path: Path) -> None:
    app = await app_for(tmp_path)
    async with browser(app) as guesser:
        response = await guesser.post("/dashboard/login", data={"token": TOKEN + "x"})
        after = await guesser.get("/dashboard/data.json")
    assert response.status_code == 401 and COOKIE not in response.headers.get("set-cookie", "")
    assert not shows_data(response.text) and after.status_code == 401


async def test_the_right_token_once_gives_a_signed_httponly_strict_cookie(tmp_path: Path) -> None:
    app = await app_for(tmp_path)
    async with browser(app) as operator:
        login = await operator.post("/dashboard/login", data={"token": TOKEN})
        page = await operator.get("/dashboard")
        data = await operator.get("/dashboard/data.json")
    assert login.status_code == 303 and login.headers["location"] == "/dashboard"
    cookie = login.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= attributes
    assert "samesite=strict" in cookie.lower() and "path=/dashboard" in cookie.lower()
    value = cookie.split(";")[0].split("=", 1)[1]
    assert TOKEN not in value and Sessions(Secret(TOKEN)).valid(value)
    assert page.status_code == 200 and shows_data(page.text)
    assert data.status_code == 200 and data.json()["topups"][0]["tx_hash"] == TX
    for text in (page.text, data.text, login.text):
        assert TOKEN not in text


async def test_a_forged_or_foreign_cookie_is_refused(tmp_path: Path) -> None:
    app = await app_for(tmp_path)
    real = Sessions(Secret(TOKEN)).issue()
    body, signature = real.rsplit(".", 1)
    version, expiry, nonce = body.split(".")
    forged = [
        f"{version}.{int(expiry) + 10**6}.{nonce}.{signature}",  # lifetime stretched
        f"{body}.{'0' * len(signature)}",
        Sessions(Secret("another-token-0123456789abcdef")).issue(),  # another server's
        Sessions(Secret(TOKEN)).issue(now=time.time() - 8 * 86_400),  # expired
        "garbage",
    ]
    async with browser(app) as visitor:
        for value in forged:
            response = await visitor.get("/dashboard/data.json", headers=cookie(value))
            assert response.status_code == 401, value
        assert (await visitor.get("/dashboard/data.json", headers=cookie(real))).status_code == 200


async def test_a_bearer_header_works_for_scripts_and_the_cookie_does_not_open_mcp(tmp_path: Path) -> None:
    app = await app_for(tmp_path)
    async with browser(app) as script:
        data = await script.get("/dashboard/data.json", headers={"Authorization": f"Bearer {TOKEN}"})
        session = Sessions(Secret(TOKEN)).issue()
        mcp = await script.post("/mcp", json={}, headers=cookie(session))
    assert data.status_code == 200 and data.json()["wallet"]
    assert mcp.status_code == 401


async def test_a_sign_in_posted_from_another_site_is_refused(tmp_path: Path) -> None:
    app = await app_for(tmp_path)
    async with browser(app) as victim:
        response = await victim.post(
            "/dashboard/login", data={"token": TOKEN}, headers={"Origin": "https://evil.example"}
        )
        own = await victim.post(
            "/dashboard/login", data={"token": TOKEN}, headers={"Origin": "http://127.0.0.1:8000"}
        )
    assert COOKIE not in response.headers.get("set-cookie", "")
    assert COOKIE in own.headers.get("set-cookie", ""), "a browser's own-origin sign-in must work"


async def test_prompts_are_cut_and_shown_only_to_whoever_proved_the_token(tmp_path: Path) -> None:
    cut = PROMPT[:80]
    app = await app_for(tmp_path)
    async with browser(app) as operator:
        page = (await operator.get("/dashboard", headers={"Authorization": f"Bearer {TOKEN}"})).text
    assert cut in page and PROMPT[:81] not in page
    # The same home served without a token (one home: on PostgreSQL a test has one database).
    open_app = build_http_app(MCPServer("stand-in"), auth_token=None, dashboard=settings(tmp_path, None))
    async with browser(open_app) as local:
        open_page = (await local.get("/dashboard")).text
    assert PROMPT[:20] not in open_page and "video-kling-1.mp4" in open_page


async def test_nothing_secret_reaches_the_page_or_its_data(tmp_path: Path) -> None:
    app = await app_for(tmp_path)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with browser(app) as operator:
        paths = ("/dashboard", "/dashboard/live", "/dashboard/data.json")
        texts = [(await operator.get(p, headers=headers)).text for p in paths]
    for text in texts:
        for secret in (TOKEN, SIGNED_HEADER, WALLET_KEY, WALLET_KEY[2:]):
            assert secret not in text


async def test_pages_forbid_framing_caching_and_foreign_scripts(tmp_path: Path) -> None:
    app = await app_for(tmp_path, token=None)
    async with browser(app) as local:
        response = await local.get("/dashboard")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "<script>" not in response.text and " style=" not in response.text
