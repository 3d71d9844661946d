"""Turn a tool's image/audio/document argument into bytes, safely.

An input may be a local path, an http(s) URL or a ``data:`` URL. Local paths are read only inside
configured roots, and only on stdio unless the operator allows them remotely (a remote caller
must not read the server's disk). URLs are fetched with an SSRF guard: http/https only, every
resolved address public (loopback, private, link-local, multicast, reserved and IPv4-mapped or
-embedded IPv6 forms refused), redirects followed by hand and re-checked, 25 MB cap. A URL Venice
fetches itself passes through after the same checks, except that a name this machine cannot
resolve is left to Venice's resolver.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import mimetypes
import os
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote_to_bytes, urljoin, urlsplit, urlunsplit

import anyio
import httpx2

from venice_mcp.config import SECRET_FILE_PREFIX
from venice_mcp.files import open_regular
from venice_mcp.secret_scan import contains_secret

MAX_BYTES = 25 * 1024 * 1024
MAX_REDIRECTS = 5
FETCH_TIMEOUT = httpx2.Timeout(30.0, connect=10.0)

Kind = Literal["path", "url", "data"]
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]


class InputError(ValueError):
    """An input was refused or could not be read; the message tells the agent why and what to do."""


@dataclass(frozen=True)
class InputPolicy:
    roots: tuple[Path, ...]
    allow_local: bool = True
    max_bytes: int = MAX_BYTES
    # The server's own state (ledger, jobs): never an input, though it may sit inside a root.
    # Files under ``readable_private`` (the output folder, often inside it) stay readable.
    private: Path | None = None
    readable_private: Path | None = None
    # The server's own files and folders (database, created API keys): never read, even where
    # they fall inside ``readable_private`` (an output folder set to the home itself).
    sealed: tuple[Path, ...] = ()
    # This server's secrets (wallet key, API key, auth token): an input containing one is refused,
    # whichever file, URL or data: URL it came from, so no tool can carry it off to Venice.
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadedInput:
    data: bytes
    mime_type: str
    filename: str
    kind: Kind

    def data_url(self) -> str:
        return f"data:{self.mime_type};base64,{base64.b64encode(self.data).decode()}"


def kind_of(ref: str) -> Kind:
    lowered = ref[:8].lower()
    if lowered.startswith("data:"):
        return "data"
    if lowered.startswith(("http://", "https://")):
        return "url"
    return "path"


def _guess_mime(name: str, data: bytes) -> str:
    sniffed = sniff_mime(data)
    return sniffed or mimetypes.guess_type(name)[0] or "application/octet-stream"


def sniff_mime(data: bytes) -> str | None:
    """The media type from magic bytes, for the formats Venice takes."""
    head = data[:16]
    signatures = (
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF8", "image/gif"),
        (b"%PDF", "application/pdf"),
        (b"ID3", "audio/mpeg"),
        (b"fLaC", "audio/flac"),
        (b"OggS", "audio/ogg"),
    )
    for magic, mime in signatures:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "image/avif"
        if brand in (b"heic", b"heix", b"mif1"):
            return "image/heic"
        return "audio/mp4" if brand == b"M4A " else "video/mp4"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "audio/mpeg"
    return None


# -- local paths ---------------------------------------------------------------------------------


def _inside(path: Path, folder: Path | None) -> bool:
    if folder is None:
        return False
    folder = folder.resolve()
    return path == folder or folder in path.parents


def check_secrets(loaded: LoadedInput, policy: InputPolicy) -> LoadedInput:
    """Refuse an input that carries one of this server's secrets, also split, re-encoded or
    compressed (secret_scan.py says which forms)."""
    if contains_secret(loaded.data, policy.secrets):
        raise InputError(
            "This input contains one of this server's own secrets (its wallet key, API key or "
            "auth token); it is never sent anywhere. Use another file."
        )
    return loaded


def read_local(ref: str, policy: InputPolicy) -> LoadedInput:
    if not policy.allow_local:
        raise InputError(
            "Local file paths are not accepted on this remote server; pass an https:// URL or a data: URL "
            "(the operator can allow paths with VENICE_MCP_ALLOW_REMOTE_PATHS)."
        )
    shown = ref if len(ref) <= 200 else ref[:200] + "…"
    if "\0" in ref:
        raise InputError(f"The path {shown!r} contains a NUL character; no file has such a name")
    path = Path(os.path.expanduser(ref))
    try:
        real = path.resolve(strict=True)
    except (FileNotFoundError, RuntimeError, ValueError):
        raise InputError(f"No such file: {shown}") from None
    except OSError as exc:  # a name too long, a loop of links, a folder that cannot be entered
        raise InputError(f"Cannot open {shown}: {exc.strerror or type(exc).__name__}") from None
    roots = [r.resolve() for r in policy.roots]
    root = next((r for r in roots if real == r or r in real.parents), None)
    if root is None:
        allowed = ", ".join(str(r) for r in roots) or "(none)"
        raise InputError(
            f"{ref} is outside the folders this server may read ({allowed}); "
            "copy it there or set VENICE_MCP_INPUT_ROOTS."
        )
    # Hidden files and folders hold configuration and credentials (~/.ssh, ~/.config, host MCP
    # configs), never media a tool should send to Venice.
    if any(part.startswith(".") for part in real.relative_to(root).parts):
        raise InputError(f"{ref} is a hidden file or inside a hidden folder; those are never read")
    if (
        (_inside(real, policy.private) and not _inside(real, policy.readable_private))
        or any(_inside(real, sealed) for sealed in policy.sealed)
        or (_inside(real, policy.readable_private) and real.name.startswith(SECRET_FILE_PREFIX))
    ):
        raise InputError(f"{ref} is part of this server's own state; it is never read as an input")
    try:
        # Opened without following a link at its end: the path checked above is the file read
        # (it cannot be swapped for a symlink in between), and a hard link into the server's own
        # folder is refused like the file it names.
        fh = open_regular(real, single_link=_inside(real, policy.private))
    except FileNotFoundError:
        raise InputError(f"{ref} is not a regular file") from None
    with fh:
        size = os.fstat(fh.fileno()).st_size
        if size > policy.max_bytes:
            raise InputError(f"{ref} is {size / 1e6:.1f} MB; the limit is {policy.max_bytes / 1e6:.0f} MB")
        data = fh.read(policy.max_bytes + 1)
    if len(data) > policy.max_bytes:
        raise InputError(f"{ref} is over the {policy.max_bytes / 1e6:.0f} MB limit")
    return LoadedInput(data, _guess_mime(real.name, data), real.name, "path")


# -- data: URLs ----------------------------------------------------------------------------------


def read_data_url(ref: str, policy: InputPolicy) -> LoadedInput:
    header, sep, payload = ref.partition(",")
    if not sep:
        raise InputError("Malformed data: URL (no comma); expected data:<mime>;base64,<data>")
    meta = header[5:].split(";")
    mime = meta[0] or "text/plain"
    if len(payload) > policy.max_bytes * 4 // 3 + 4:
        raise InputError(f"The data: URL is over {policy.max_bytes / 1e6:.0f} MB")
    try:
        data = base64.b64decode(payload, validate=True) if "base64" in meta[1:] else unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise InputError("The data: URL's base64 payload is invalid") from None
    if len(data) > policy.max_bytes:
        raise InputError(f"The data: URL is over {policy.max_bytes / 1e6:.0f} MB")
    ext = mimetypes.guess_extension(mime) or ""
    return LoadedInput(data, sniff_mime(data) or mime, "input" + ext, "data")


# -- URLs, with the SSRF guard -------------------------------------------------------------------


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv4-mapped (::ffff:a.b.c.d), 6to4 and Teredo embed an IPv4 address: judge that one.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return is_public_address(str(embedded))
        if ip in ipaddress.ip_network("64:ff9b::/96"):  # NAT64 well-known prefix
            return is_public_address(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local)


async def system_resolver(host: str, port: int) -> Sequence[str]:
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


# Names that only mean something on a local network (RFC 6761, 6762, 8375 and common practice).
LOCAL_SUFFIXES = (
    ".localhost", ".local", ".internal", ".localdomain", ".lan", ".home.arpa", ".intranet", ".corp",
)  # fmt: skip
_LABELS = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")
# How long a URL Venice fetches may wait on the local resolver before it is left to Venice's.
PASSTHROUGH_RESOLVE_SECONDS = 5.0


def _normal_host(raw: str) -> str:
    """The host as a URL parser that maps Unicode (IDNA) would see it, lower-case ASCII.

    Fullwidth digits or circled letters fold to ASCII here as they do in Venice's fetcher, so
    "１２７.０.０.１" is judged as 127.0.0.1; percent-encoded hosts are refused outright.
    """
    if ":" in raw:
        return raw  # an IPv6 literal (urlsplit removed the brackets)
    if "%" in raw:
        raise InputError("Percent-encoded host names are refused; write the host plainly")
    try:
        host = raw.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InputError(f"{raw!r} is not a valid host name") from None
    host = host.removesuffix(".")  # one trailing dot is the DNS root: "localhost." is localhost
    if not _LABELS.fullmatch(host):
        raise InputError(f"{raw!r} is not a valid host name")
    return host


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host spells, including the legacy IPv4 forms URL parsers still accept
    (2130706433, 0x7f.1, 0177.0.0.1, 127.1), or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fx.]+", host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def check_url_shape(url: str) -> tuple[str, int]:
    """Scheme and host checks that need no network; returns (host, port).

    Raises:
        InputError: not http(s), no host, credentials in the URL, a literal non-public address,
            or a name only a local network knows.
    """
    if any(ch.isspace() or ch == "\\" or not ch.isprintable() for ch in url):
        # Parsers disagree on these (WHATWG reads a backslash as "/"), so the host judged here
        # could differ from the one Venice's fetcher dials.
        raise InputError("URLs with spaces, backslashes or control characters are refused")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InputError(f"Only http:// and https:// URLs are fetched, not {parts.scheme or 'this'}: URLs")
    if not parts.hostname:
        raise InputError(f"The URL {url!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise InputError("URLs with credentials in them are refused")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InputError(f"The URL {url!r} has an invalid port") from None
    host = _normal_host(parts.hostname)
    literal = _literal_address(host)
    if literal is not None:
        if not is_public_address(str(literal)):
            raise InputError(f"{host} is not a public address; URLs must point to the public internet")
        return str(literal), port
    if "." not in host or host == "localhost" or host.endswith(LOCAL_SUFFIXES):
        raise InputError(f"{host} is not a public host; URLs must point to the public internet")
    return host, port


async def check_url(url: str, resolver: Resolver = system_resolver) -> str:
    """For a URL venice-mcp fetches itself: refuse it unless its host resolves here and every
    address it resolves to is public; return one to dial."""
    host, port = check_url_shape(url)
    try:
        addresses = await resolver(host, port)
    except OSError:
        raise InputError(f"Could not resolve {host}") from None
    if not addresses or not all(is_public_address(a) for a in addresses):
        raise InputError(f"{host} resolves to a non-public address; URLs must point to the public internet")
    return addresses[0]


async def check_passthrough_url(url: str, resolver: Resolver = system_resolver) -> None:
    """For a URL Venice fetches itself: the same shape rules, and a name that resolves here must
    resolve only to public addresses. A name this machine cannot resolve (offline, or a resolver
    that differs from Venice's) goes to Venice, whose fetcher resolves it and guards itself.

    Raises:
        InputError: refused, with the reason.
    """
    host, port = check_url_shape(url)
    addresses: Sequence[str] = ()
    with anyio.move_on_after(PASSTHROUGH_RESOLVE_SECONDS):
        try:
            addresses = await resolver(host, port)
        except OSError:
            addresses = ()
    if addresses and not all(is_public_address(a) for a in addresses):
        raise InputError(f"{host} resolves to a non-public address; URLs must point to the public internet")


def pinned_request(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """(URL to dial, headers, extensions) that reach ``address`` while still naming the host.

    Dialling the address that was checked, rather than the name, closes the DNS-rebinding gap
    between the check and the connection. TLS still verifies the certificate for the name (SNI).
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    dial = f"[{address}]" if ":" in address else address
    netloc = dial + (f":{parts.port}" if parts.port else "")
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    headers = {"Host": host + (f":{parts.port}" if parts.port else "")}
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return target, headers, extensions


async def fetch_url(
    url: str, http: httpx2.AsyncClient, policy: InputPolicy, resolver: Resolver = system_resolver
) -> LoadedInput:
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        target, headers, extensions = pinned_request(current, await check_url(current, resolver))
        async with http.stream(
            "GET",
            target,
            headers=headers,
            extensions=extensions,
            follow_redirects=False,
            timeout=FETCH_TIMEOUT,
        ) as response:
            if response.is_redirect and "location" in response.headers:
                current = urljoin(current, response.headers["location"])
                continue
            if response.status_code >= 400:
                raise InputError(f"Fetching {url} failed with HTTP {response.status_code}")
            declared = int(response.headers.get("content-length") or 0)
            if declared > policy.max_bytes:
                raise InputError(
                    f"{url} is {declared / 1e6:.1f} MB; the limit is {policy.max_bytes / 1e6:.0f} MB"
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > policy.max_bytes:
                    raise InputError(f"{url} is over the {policy.max_bytes / 1e6:.0f} MB limit")
                chunks.append(chunk)
            data = b"".join(chunks)
            name = Path(urlsplit(current).path).name or "download"
            declared_type = response.headers.get("content-type", "").split(";")[0].strip()
            return LoadedInput(
                data, sniff_mime(data) or declared_type or _guess_mime(name, data), name, "url"
            )
    raise InputError(f"{url} redirected more than {MAX_REDIRECTS} times")


async def load(
    ref: str, policy: InputPolicy, http: httpx2.AsyncClient, resolver: Resolver = system_resolver
) -> LoadedInput:
    """Bytes of an input given as a local path, an http(s) URL or a data: URL.

    Raises:
        InputError: refused or unreadable, with the reason.
    """
    if kind_of(ref.strip()) == "url":
        try:
            return await fetch_url(ref.strip(), http, policy, resolver)
        except httpx2.TransportError as exc:
            raise InputError(f"Could not fetch {ref.strip()}: {type(exc).__name__}") from None
    return await load_offline(ref, policy)


async def load_offline(ref: str, policy: InputPolicy) -> LoadedInput:
    """An input given as a local path or a data: URL (no network).

    Raises:
        InputError: refused or unreadable, with the reason.
    """
    ref = ref.strip()
    if not ref:
        raise InputError("The input is empty; give a file path, an https:// URL or a data: URL")
    if kind_of(ref) == "data":
        return read_data_url(ref, policy)
    return await anyio.to_thread.run_sync(read_local, ref, policy)


class InputLoader:
    """The policy and HTTP client tools use to read their inputs (one per server).

    The client is made on the first URL fetch: most sessions never fetch one, and building it
    (TLS context) is not worth paying at every server start.
    """

    def __init__(
        self,
        policy: InputPolicy,
        http: httpx2.AsyncClient | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.policy = policy
        self._http = http
        self._owned = http is None
        self.resolver = resolver

    @property
    def http(self) -> httpx2.AsyncClient:
        if self._http is None:
            # No proxies from the environment (a proxy would resolve the name itself, undoing the
            # pinning) and no pooled connections (one to an address must not serve another name).
            self._http = httpx2.AsyncClient(
                follow_redirects=False,
                trust_env=False,
                limits=httpx2.Limits(max_keepalive_connections=0),
            )
        return self._http

    async def aclose(self) -> None:
        if self._owned and self._http is not None:
            await self._http.aclose()
            self._http = None

    async def load(self, ref: str) -> LoadedInput:
        if kind_of(ref.strip()) == "url":
            loaded = await load(ref, self.policy, self.http, self.resolver)
        else:
            loaded = await load_offline(ref, self.policy)  # paths and data: URLs need no client
        return await self.check(loaded)

    async def check(self, loaded: LoadedInput) -> LoadedInput:
        """check_secrets, off the event loop: 25 MB take a few tenths of a second."""
        if not self.policy.secrets:
            return loaded
        return await anyio.to_thread.run_sync(check_secrets, loaded, self.policy)

    async def check_passthrough(self, url: str) -> str:
        """For a URL Venice fetches itself: the public-address rules, without downloading (and
        without needing this machine to resolve the name; see check_passthrough_url), and no
        secret of this server in it, as written or percent-encoded."""
        await check_passthrough_url(url.strip(), self.resolver)
        spelled = url.encode() + b" " + unquote_to_bytes(url)
        check_secrets(LoadedInput(spelled, "text/uri-list", "url", "url"), self.policy)
        return url
