"""Inputs: local paths only inside roots (and only where allowed), data: URLs, and URLs behind an
SSRF guard that re-checks every redirect hop."""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Sequence
from pathlib import Path

import httpx2
import pytest

from venice_mcp.inputs import InputError, InputLoader, InputPolicy, is_public_address, load

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def resolver_for(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> Sequence[str]:
        return table[host]

    return resolve


def http_with(handler) -> httpx2.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx2.AsyncClient(transport=httpx2.MockTransport(handler))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::1",
        "224.0.0.1",
        "255.255.255.255",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(address)


async def test_local_path_inside_roots_is_read(tmp_path: Path) -> None:
    (tmp_path / "cat.png").write_bytes(PNG)
    loaded = await load(str(tmp_path / "cat.png"), InputPolicy(roots=(tmp_path,)), http_with(None))
    assert loaded.data == PNG and loaded.mime_type == "image/png" and loaded.kind == "path"


async def test_local_path_outside_roots_is_refused(tmp_path: Path) -> None:
    inside, outside = tmp_path / "in", tmp_path / "out"
    inside.mkdir()
    outside.mkdir()
    (outside / "secret.png").write_bytes(PNG)
    (inside / "link.png").symlink_to(outside / "secret.png")
    for ref in (
        str(outside / "secret.png"),
        str(inside / "link.png"),
        str(inside / ".." / "out" / "secret.png"),
    ):
        with pytest.raises(InputError, match="outside the folders"):
            await load(ref, InputPolicy(roots=(inside,)), http_with(None))


async def test_local_paths_refused_when_not_allowed(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    with pytest.raises(InputError, match="not accepted on this remote server"):
        await load(
            str(tmp_path / "a.png"), InputPolicy(roots=(tmp_path,), allow_local=False), http_with(None)
        )


async def test_data_url_is_decoded_and_capped() -> None:
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    loaded = await load(url, InputPolicy(roots=()), http_with(None))
    assert loaded.data == PNG and loaded.mime_type == "image/png"
    with pytest.raises(InputError, match="over"):
        await load(url, InputPolicy(roots=(), max_bytes=10), http_with(None))
    with pytest.raises(InputError, match="base64"):
        await load("data:image/png;base64,@@@", InputPolicy(roots=()), http_with(None))


async def test_public_url_is_fetched() -> None:
    http = http_with(lambda r: httpx2.Response(200, content=PNG, headers={"content-type": "image/png"}))
    loaded = await load(
        "https://img.example/cat.png",
        InputPolicy(roots=()),
        http,
        resolver_for({"img.example": ["93.184.216.34"]}),
    )
    assert loaded.data == PNG and loaded.filename == "cat.png" and loaded.kind == "url"


@pytest.mark.parametrize(
    ("url", "table"),
    [
        ("http://127.0.0.1/x", {}),
        ("http://[::ffff:127.0.0.1]/x", {}),
        ("http://localhost:8080/x", {}),
        ("https://rebind.example/x", {"rebind.example": ["93.184.216.34", "10.0.0.5"]}),
        ("ftp://files.example/x", {}),
        ("https://user:pw@files.example/x", {}),
    ],
)
async def test_ssrf_guard_refuses_before_any_request(url: str, table: dict[str, list[str]]) -> None:
    seen: list[httpx2.Request] = []
    http = http_with(lambda r: seen.append(r) or httpx2.Response(200, content=PNG))
    with pytest.raises(InputError):
        await load(url, InputPolicy(roots=()), http, resolver_for(table))
    assert seen == []


async def test_redirect_to_a_private_address_is_refused() -> None:
    seen: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(str(request.url))
        return httpx2.Response(302, headers={"location": "http://metadata.internal-host.example/latest"})

    table = {"img.example": ["93.184.216.34"], "metadata.internal-host.example": ["169.254.169.254"]}
    with pytest.raises(InputError, match="non-public"):
        await load(
            "https://img.example/a.png", InputPolicy(roots=()), http_with(handler), resolver_for(table)
        )
    assert seen == ["https://93.184.216.34/a.png"]  # the checked address, dialled directly


async def test_oversized_download_is_cut_off() -> None:
    http = http_with(lambda r: httpx2.Response(200, content=b"x" * 5000))
    with pytest.raises(InputError, match="limit"):
        await load(
            "https://big.example/f",
            InputPolicy(roots=(), max_bytes=1000),
            http,
            resolver_for({"big.example": ["93.184.216.34"]}),
        )


async def test_hidden_files_and_folders_are_never_read(tmp_path: Path) -> None:
    (tmp_path / ".config" / "Claude").mkdir(parents=True)
    (tmp_path / ".config" / "Claude" / "cfg.json").write_text("{}")
    (tmp_path / ".env").write_text("X=1")
    for ref in (tmp_path / ".config" / "Claude" / "cfg.json", tmp_path / ".env"):
        with pytest.raises(InputError, match="hidden"):
            await load(str(ref), InputPolicy(roots=(tmp_path,)), http_with(None))


async def test_the_servers_own_state_is_never_read_but_its_outputs_are(tmp_path: Path) -> None:
    home = tmp_path / "venice-home"
    (home / "outputs").mkdir(parents=True)
    (home / "state.sqlite3").write_bytes(b"SQLite format 3\x00")
    (home / "outputs" / "cat.png").write_bytes(PNG)
    policy = InputPolicy(roots=(tmp_path,), private=home, readable_private=home / "outputs")
    with pytest.raises(InputError, match="own state"):
        await load(str(home / "state.sqlite3"), policy, http_with(None))
    assert (await load(str(home / "outputs" / "cat.png"), policy, http_with(None))).data == PNG


async def test_an_input_carrying_a_server_secret_is_refused_from_any_source(tmp_path: Path) -> None:
    from venice_mcp.inputs import InputLoader

    key = "0x" + "ab12" * 16
    policy = InputPolicy(roots=(tmp_path,), secrets=(key, key[2:]))
    loader = InputLoader(policy, http_with(lambda r: httpx2.Response(200, content=b"k=" + key.encode())))
    (tmp_path / "notes.txt").write_text('{"VENICE_WALLET_KEY": "' + key.upper().replace("0X", "0x") + '"}')
    data_url = "data:text/plain;base64," + base64.b64encode(key[2:].encode()).decode()
    for ref in (str(tmp_path / "notes.txt"), data_url):
        with pytest.raises(InputError, match="own secrets"):
            await loader.load(ref)
    (tmp_path / "fine.txt").write_text("nothing to see")
    assert (await loader.load(str(tmp_path / "fine.txt"))).data == b"nothing to see"


async def test_the_fetch_dials_the_address_that_was_checked() -> None:
    """No second DNS lookup between the check and the connection (DNS rebinding): the request
    goes to the vetted IP, naming the host in Host and, for TLS, in SNI."""
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, content=PNG)

    table = {"img.example": ["93.184.216.34"], "v6.example": ["2606:2800:220:1:248:1893:25c8:1946"]}
    policy = InputPolicy(roots=())
    await load("https://img.example:8443/cat.png?x=1", policy, http_with(handler), resolver_for(table))
    await load("http://v6.example/cat.png", policy, http_with(handler), resolver_for(table))
    first, second = seen
    assert str(first.url) == "https://93.184.216.34:8443/cat.png?x=1"
    assert first.headers["host"] == "img.example:8443" and first.extensions["sni_hostname"] == "img.example"
    assert str(second.url) == "http://[2606:2800:220:1:248:1893:25c8:1946]/cat.png"
    assert second.headers["host"] == "v6.example" and "sni_hostname" not in second.extensions


async def _unresolvable(host: str, port: int) -> Sequence[str]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


async def test_a_url_venice_fetches_needs_no_local_resolver() -> None:
    """Venice fetches these itself: a name this machine cannot resolve is Venice's to resolve."""
    loader = InputLoader(InputPolicy(roots=()), http_with(None), _unresolvable)
    url = "https://offline-only.example/page"
    assert await loader.check_passthrough(url) == url
    # A name that resolves here is still held to public addresses.
    table = {"corp.example": ["10.0.0.7"]}
    private = InputLoader(InputPolicy(roots=()), http_with(None), resolver_for(table))
    with pytest.raises(InputError, match="non-public"):
        await private.check_passthrough("https://corp.example/")


async def test_a_resolver_that_hangs_leaves_the_name_to_venice(monkeypatch: pytest.MonkeyPatch) -> None:
    import anyio

    from venice_mcp import inputs

    async def hang(host: str, port: int) -> Sequence[str]:
        await anyio.sleep(60)
        return ["10.0.0.1"]

    monkeypatch.setattr(inputs, "PASSTHROUGH_RESOLVE_SECONDS", 0.05)
    with anyio.fail_after(5):
        await InputLoader(InputPolicy(roots=()), http_with(None), hang).check_passthrough(
            "https://slow.example/"
        )


async def test_a_url_venice_mcp_fetches_itself_must_still_resolve() -> None:
    with pytest.raises(InputError, match="Could not resolve"):
        url = "https://offline-only.example/a.png"
        await load(url, InputPolicy(roots=()), http_with(None), _unresolvable)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://0/",
        "http://127.0.0.1./",
        "http://localhost./",
        "http://LOCALHOST/",
        "http://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/",  # circled "localhost"
        "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/",  # fullwidth 127.0.0.1
        "http://127\u30020\u30020\u30021/",  # ideographic full stops
        "http://127.0.0.%31/",
        "https://127.0.0.1\\@public.example/",  # WHATWG: host 127.0.0.1
        "https://public.example\\@127.0.0.1/",
        "http://127.0.0.1\t/",
        "http://pub\u200blic.example/",
        "http://[::ffff:7f00:1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fe80::1%25eth0]/",
        "http://[::]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/",
        "http://printer.home.arpa/",
        "http://nas.lan/",
        "http://intranet/",
        "https://user@public.example/",
        "https://:pw@public.example/",
        "https://public.example:99999/",
        "gopher://public.example/",
    ],
)
async def test_no_spelling_of_a_private_host_passes_through(url: str) -> None:
    """Judged without any resolver (this one fails every lookup), as Venice's fetcher would read them."""
    loader = InputLoader(InputPolicy(roots=()), http_with(None), _unresolvable)
    with pytest.raises(InputError):
        await loader.check_passthrough(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a?b=c#d",
        "https://m\u00fcnchen.example/",
        "http://8.8.8.8/",
        "https://EXAMPLE.com./x",
    ],
)
async def test_ordinary_public_urls_pass_through(url: str) -> None:
    loader = InputLoader(InputPolicy(roots=()), http_with(None), _unresolvable)
    assert await loader.check_passthrough(url) == url


async def test_links_and_fifos_into_the_servers_folder_are_not_read(tmp_path: Path) -> None:
    import anyio

    home = tmp_path / "venice-home"
    (home / "outputs").mkdir(parents=True)
    (home / "secrets").mkdir()
    (home / "secrets" / "api-key-k1.txt").write_text("VENICE_INFERENCE_KEY_created")
    (home / "state.sqlite3").write_bytes(b"SQLite format 3\x00")
    os.link(home / "state.sqlite3", home / "outputs" / "db.png")
    (home / "outputs" / "key.txt").symlink_to(home / "secrets" / "api-key-k1.txt")
    (home / "outputs" / "api-key-old.txt").write_text("VENICE_INFERENCE_KEY_older")
    os.mkfifo(home / "outputs" / "pipe.png")
    policy = InputPolicy(
        roots=(tmp_path,),
        private=home,
        readable_private=home,
        sealed=(home / "secrets", home / "state.sqlite3"),
    )
    for name in ("db.png", "key.txt", "api-key-old.txt", "pipe.png"):
        with anyio.fail_after(5), pytest.raises(InputError):
            await load(str(home / "outputs" / name), policy, http_with(None))
    for ref in (str(home / "secrets" / "api-key-k1.txt"), str(home / "state.sqlite3"), "a\x00b"):
        with pytest.raises(InputError):
            await load(ref, policy, http_with(None))


async def test_a_url_venice_fetches_may_not_carry_a_secret() -> None:
    key = "VENICE_INFERENCE_KEY_" + "aZ3kP9qLmW2xR7tY5uB8"
    loader = InputLoader(InputPolicy(roots=(), secrets=(key,)), http_with(None), _unresolvable)
    spelled = "".join(f"%{b:02X}" for b in key.encode())
    for url in (f"https://collect.example/?k={key}", f"https://collect.example/{spelled}"):
        with pytest.raises(InputError, match="own secrets"):
            await loader.check_passthrough(url)
    assert (
        await loader.check_passthrough("https://collect.example/?k=other")
        == "https://collect.example/?k=other"
    )
