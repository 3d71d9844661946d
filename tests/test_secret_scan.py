"""The secret scan behind every tool input: a key is found however ordinary files hold it, other
content is left alone, and a hostile file cannot make the scan unbounded."""

from __future__ import annotations

import base64
import codecs
import gzip
import io
import os
import time
import zipfile
import zlib

import pytest

from venice_mcp.secret_scan import MAX_DECODED, contains_secret

WALLET = "0x" + "9f3c5a71e2d4b6c8" * 4
API_KEY = "VENICE_INFERENCE_KEY_aZ3kP9qLmW2xR7tY5uB8nV4cE6"
TOKEN = "tok-Hj7Kq2Lm9Np4Rs6T"
SECRETS = (WALLET, WALLET[2:], API_KEY, TOKEN)


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def hostile(secret: str) -> dict[str, bytes]:
    """Files holding ``secret`` the ways config files, backups, logs and documents hold text."""
    s = secret.encode()
    doc = b'{"config": {"VENICE_KEY": "' + s + b'"}}\n'

    def lines(sep: bytes, width: int) -> bytes:
        return sep.join(s[i : i + width] for i in range(0, len(s), width))

    return {
        "plain": doc,
        "upper case": doc.upper(),
        "split across lines": b"key:\n" + lines(b"\n", 10) + b"\n",
        "split, CRLF and indented": b"key:\r\n    " + lines(b"\r\n    ", 7),
        "split into quoted pieces": b'key = "' + lines(b'" \\\n  "', 12) + b'"',
        "UTF-16 LE with BOM": codecs.BOM_UTF16_LE + doc.decode().encode("utf-16-le"),
        "UTF-16 BE without BOM": doc.decode().encode("utf-16-be"),
        "UTF-32": doc.decode().encode("utf-32"),
        "UTF-16, split": ("key:\n" + lines(b"\n", 10).decode()).encode("utf-16"),
        "base64": b"secret: " + base64.b64encode(doc) + b"\n",
        "base64 at every alignment": b"x" + base64.b64encode(b"ab" + doc),
        "base64 MIME-wrapped": b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(b"x" * 100 + doc).replace(b"\n", b"\r\n"),
        "base64 wrapped and indented": b"data: |\n"
        + b"".join(b"  " + line + b"\n" for line in base64.encodebytes(b"y" * 70 + doc).splitlines()),
        "base64 URL-safe, unpadded": b"t=" + base64.urlsafe_b64encode(b"\xfb\xff" * 10 + doc).rstrip(b"="),
        "base64 twice": b"v: " + base64.b64encode(base64.b64encode(doc)),
        "base64 in UTF-16": ("k: " + base64.b64encode(doc).decode()).encode("utf-16"),
        "gzip": gzip.compress(doc),
        "gzip inside other bytes": b"\x00" * 100 + gzip.compress(doc) + b"tail",
        "gzip of base64": gzip.compress(base64.b64encode(doc)),
        "base64 of gzip": b"blob: " + base64.b64encode(gzip.compress(doc)),
        "gzip twice": gzip.compress(gzip.compress(doc)),
        "hex": doc.hex().encode(),
        "hex, upper case": doc.hex().upper().encode(),
        "zip": _zip({"notes/config.json": doc}),
        "zip, stored": _zip({"a.txt": doc}, zipfile.ZIP_STORED),
        "DOCX with the key split into runs": _zip(
            {
                "word/document.xml": b"<w:p><w:r><w:t>"
                + s[:9]
                + b"</w:t></w:r><w:r><w:t>"
                + s[9:]
                + b"</w:t></w:r>"
            }
        ),
        "PDF Flate stream": b"%PDF-1.4\n1 0 obj<</Filter/FlateDecode>>stream\n"
        + zlib.compress(b"BT (" + s + b") Tj ET")
        + b"\nendstream\nendobj\n%%EOF",
    }


CASES = [
    (label, name, data)
    for label, secret in (
        ("wallet key", WALLET),
        ("wallet key without 0x", WALLET[2:]),
        ("wallet key in capitals", WALLET.upper()),
        ("API key", API_KEY),
        ("auth token", TOKEN),
    )
    for name, data in hostile(secret).items()
]


@pytest.mark.parametrize(("secret", "form", "data"), CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_a_secret_is_found_in_every_ordinary_form(secret: str, form: str, data: bytes) -> None:
    assert contains_secret(data, SECRETS)


def test_the_wallet_keys_raw_bytes_are_found() -> None:
    assert contains_secret(b"\x00keystore\x01" + bytes.fromhex(WALLET[2:]) + b"\x02", SECRETS)


@pytest.mark.parametrize(
    "data",
    [
        os.urandom(1 << 20),
        base64.b64encode(os.urandom(1 << 16)),
        gzip.compress(b"an ordinary document about keys and tokens\n" * 1000),
        ("VENICE_INFERENCE_KEY_" + "someone-elses-key-123456").encode(),
        ("0x" + "9f3c5a71e2d4b6c8" * 3 + "0" * 16).encode(),  # most of the wallet key, not all of it
        API_KEY[:-1].encode("utf-16"),
    ],
    ids=[
        "random",
        "base64 of random",
        "gzip of text",
        "another API key",
        "most of the key",
        "a key cut short",
    ],
)
def test_other_content_is_left_alone(data: bytes) -> None:
    assert not contains_secret(data, SECRETS)


def test_short_or_plain_secrets_are_matched_only_as_written() -> None:
    """Dropping punctuation from a weak token would match ordinary text."""
    weak = ("aaaa-aaaa-aaaa-aaaa",)
    assert not contains_secret(b"aaaaaaaaaaaaaaaaaaaa", weak)
    assert contains_secret(b"token=AAAA-AAAA-AAAA-AAAA", weak)


def test_a_25_mb_input_is_checked_in_bounded_time() -> None:
    data = os.urandom(25_000_000)
    start = time.perf_counter()
    assert not contains_secret(data, SECRETS)
    assert time.perf_counter() - start < 3.0


@pytest.mark.parametrize(
    "data",
    [
        gzip.compress(b"\0" * 300_000_000, 9),  # 300 MB from a few hundred KB
        gzip.compress(gzip.compress(b"A" * 200_000_000, 9), 9),
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + b"\x00\x00\x00\xff\xff" * 2_000_000,  # empty blocks
        _zip({f"f{i}.txt": b"\0" * 2_000_000 for i in range(200)}),
    ],
    ids=["gzip bomb", "nested gzip bomb", "endless empty deflate blocks", "zip of many large members"],
)
def test_bombs_stop_at_the_budget(data: bytes) -> None:
    start = time.perf_counter()
    assert not contains_secret(data + API_KEY[:10].encode(), SECRETS)
    assert time.perf_counter() - start < 3.0
    assert MAX_DECODED <= 64 * 1024 * 1024
