"""Whether an input carries one of this server's secrets: as written, or in the forms files
usually hold text in.

The threat is an agent picking a file that already holds a key (a config backup, a Kubernetes
secret, a Windows log) and sending it to Venice, so what is undone is the ordinary: letter case;
a key split across lines or by punctuation, and UTF-16/32 text (everything but letters and digits
is dropped, NULs included); hex; the raw 32 bytes of the wallet key; base64 (standard or URL-safe,
wrapped or not, at any alignment: searched for as encoded needles); and, decoded and searched
again up to MAX_DEPTH layers deep, base64 runs, gzip members, zip archives (DOCX, XLSX, EPUB…),
PDF Flate streams and UTF-16/32 text.

It is bounded: decoding stops at MAX_DECODED bytes for the whole input, each archive member or
stream at MAX_MEMBER, and the work is a handful of passes of C code over the bytes. A file built
to hide a key from this scan (encrypted, reversed, nested past the budget) is beyond it: whoever
can build one already holds the key.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import string
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

MAX_DEPTH = 4
MAX_DECODED = 64 * 1024 * 1024
MAX_MEMBER = 32 * 1024 * 1024
MAX_MEMBERS = 1_000  # gzip members, zip entries or PDF streams per layer
# A secret is looked for with its punctuation dropped only when that leaves enough to be specific.
LOOSE_MIN_LENGTH = 16
LOOSE_MIN_DISTINCT = 6
# Base64 runs shorter than this (about 15 bytes) are not decoded.
MIN_RUN = 20

_ALNUM = (string.ascii_letters + string.digits).encode()
_NOT_ALNUM = bytes(sorted(set(range(256)) - set(_ALNUM)))
_B64 = _ALNUM + b"+/"
# Base64 characters as 0xFF and the rest as spaces: runs are found with bytes.find, at C speed.
_SEEDS = bytes(0xFF if b in _B64 else 0x20 for b in range(256))
_SEED = b"\xff" * MIN_RUN
_LOWER = bytes.maketrans(string.ascii_uppercase.encode(), string.ascii_lowercase.encode())
_URLSAFE = bytes.maketrans(b"-_", b"+/")
# The same with line breaks counted as base64: no run here means no wrapped block either.
_SEEDS_WRAPPED = bytes(0xFF if b in _B64 + b"\r\n" else 0x20 for b in range(256))
_SPACE = b" \t\r\n\v\f"


@dataclass(frozen=True)
class Needles:
    loose: tuple[bytes, ...]  # lower-case letters and digits only, searched in the same view
    exact: tuple[bytes, ...]  # lower-case, for secrets too short or plain for the loose view
    raw: tuple[bytes, ...]  # binary forms (the wallet key's 32 bytes), searched as they are
    encoded: tuple[bytes, ...]  # base64 at each alignment, searched with spaces and line breaks gone


def needles(secrets: Sequence[str]) -> Needles:
    exact: set[bytes] = set()
    loose: set[bytes] = set()
    raw: set[bytes] = set()
    encoded: set[bytes] = set()
    for secret in secrets:
        digits = secret.removeprefix("0x")
        hexadecimal = all(c in string.hexdigits for c in digits)
        # Hex keys are written in either case; other secrets only as they are.
        spellings = {secret, secret.lower(), secret.upper()} if hexadecimal else {secret}
        squeezed = secret.lower().encode().translate(None, _NOT_ALNUM)
        for form in (squeezed, *(v.encode().hex().encode() for v in spellings)):
            if len(form) >= LOOSE_MIN_LENGTH and len(set(form)) >= LOOSE_MIN_DISTINCT:
                loose.add(form)
            elif form is squeezed:
                exact.add(secret.lower().encode())
        for spelling in spellings:
            encoded.update(_base64_needles(spelling.encode()))
        if hexadecimal and len(digits) >= 32 and len(digits) % 2 == 0:
            raw.add(bytes.fromhex(digits))
    # A needle that contains another is redundant (the key with and without its 0x).
    return Needles(_shortest(loose), tuple(exact), tuple(raw), _shortest(encoded))


def _shortest(found: set[bytes]) -> tuple[bytes, ...]:
    return tuple(n for n in found if not any(o != n and o in n for o in found))


def _base64_needles(secret: bytes) -> Iterator[bytes]:
    """The part of ``secret``'s base64 that does not depend on what surrounds it, for each of the
    three byte alignments it can start at."""
    if len(secret) < LOOSE_MIN_LENGTH:
        return
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + secret)
        yield encoded[4 if shift else 0 : (shift + len(secret)) // 3 * 4]


def contains_secret(data: bytes, secrets: Sequence[str]) -> bool:
    """Whether ``data``, or what it decodes to, holds one of ``secrets`` (see the module)."""
    if not secrets:
        return False
    found = needles(secrets)
    budget = _Budget(MAX_DECODED, work=MAX_DECODED + 4 * len(data))
    pending: list[tuple[bytes, int]] = [(data, 0)]
    while pending:
        blob, depth = pending.pop()
        if _holds(blob, found):
            return True
        if depth < MAX_DEPTH:
            pending.extend((child, depth + 1) for child in _decodings(blob, budget) if child)
    return False


def _holds(blob: bytes, found: Needles) -> bool:
    if any(n in blob for n in found.raw):
        return True
    squeezed = blob.translate(_LOWER, _NOT_ALNUM)
    if any(n in squeezed for n in found.loose):
        return True
    del squeezed
    if found.exact and any(n in blob.lower() for n in found.exact):
        return True
    compact = blob.translate(_URLSAFE, _SPACE)
    return any(n in compact for n in found.encoded)


class _Budget:
    """What the whole scan may still spend: bytes decoded (kept to search), and bytes fed to
    decompressors (a crafted stream can eat input while producing nothing)."""

    def __init__(self, decoded: int, work: int) -> None:
        self.left = decoded
        self.work = work

    def take(self, data: bytes) -> bytes:
        data = data[: max(0, self.left)]
        self.left -= len(data)
        return data

    def cap(self) -> int:
        return max(0, min(self.left, MAX_MEMBER))


def _decodings(blob: bytes, budget: _Budget) -> Iterator[bytes]:
    """What ``blob`` holds in other encodings, each as one child to search."""
    decoders: tuple[Callable[[bytes, _Budget], bytes], ...] = (_utf16, _base64, _gzip, _zip, _pdf)
    for decode in decoders:
        if budget.left <= 0:
            return
        yield budget.take(decode(blob, budget))


# -- the encodings -------------------------------------------------------------------------------


def _utf16(blob: bytes, budget: _Budget) -> bytes:
    """UTF-16/32 text as UTF-8, so base64 or archives written in it are found (plain keys in it
    are found anyway: the loose view drops the NULs)."""
    head = blob[:4096]
    half = len(head) // 2
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        codec = "utf-32"
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16"
    elif half >= 32 and _mostly_nul(head[1::2]) and not _mostly_nul(head[0::2]):
        codec = "utf-16-le"  # ASCII text in UTF-16 without a BOM: every other byte NUL
    elif half >= 32 and _mostly_nul(head[0::2]) and not _mostly_nul(head[1::2]):
        codec = "utf-16-be"
    else:
        return b""
    return blob[: budget.cap() * 2].decode(codec, errors="ignore").encode()


def _mostly_nul(sample: bytes) -> bool:
    return sample.count(0) > len(sample) * 0.8


def _base64(blob: bytes, budget: _Budget) -> bytes:
    """Every standard base64 run of MIN_RUN characters or more, decoded, in order. Line breaks
    are dropped first, so a wrapped block is one run (a blank line still ends it); indented
    lines are runs of their own, each a whole number of 4-character groups."""
    if _SEED not in blob.translate(_SEEDS_WRAPPED):
        return b""  # most binary files and prose: nothing long enough to be base64
    joined = blob.translate(None, b"\r").replace(b"\n\n", b" ").replace(b"\n", b"")
    seeds = joined.translate(_SEEDS)
    out: list[bytes] = []
    size, cap = 0, budget.cap()
    start = seeds.find(_SEED)
    while start >= 0 and size < cap:
        stop = seeds.find(b" ", start)
        stop = len(seeds) if stop < 0 else stop
        chunk = _b64decode(joined[start:stop])
        out.append(chunk)
        size += len(chunk)
        start = seeds.find(_SEED, stop)
    return b"".join(out)


def _b64decode(run: bytes) -> bytes:
    """A run's bytes, however its padding was cut (a lone last character carries none)."""
    usable = len(run) - 1 if len(run) % 4 == 1 else len(run)
    try:
        return binascii.a2b_base64(run[:usable] + b"==")
    except binascii.Error:
        return b""


def _inflate(data: memoryview, wbits: int, cap: int, budget: _Budget) -> bytes:
    """Up to ``cap`` bytes of a zlib/gzip stream, keeping what came before an error."""
    inflater = zlib.decompressobj(wbits)
    out, size = [], 0
    for start in range(0, len(data), 1 << 16):
        if budget.work <= 0:
            break
        piece = data[start : start + (1 << 16)]
        budget.work -= len(piece)
        try:
            chunk = inflater.decompress(piece, cap - size)
        except zlib.error:
            break
        out.append(chunk)
        size += len(chunk)
        if size >= cap or inflater.eof or inflater.unconsumed_tail:
            break
    return b"".join(out)


def _streams(blob: bytes, starts: Iterator[int], wbits: int, budget: _Budget) -> bytes:
    """The streams starting at ``starts``, inflated and joined, within the budget."""
    out: list[bytes] = []
    view = memoryview(blob)
    size = 0
    for start in islice(starts, MAX_MEMBERS):
        if size >= budget.cap() or budget.work <= 0:
            break
        data = _inflate(view[start:], wbits, budget.cap() - size, budget)
        out.append(data)
        size += len(data)
    return b"".join(out)


def _gzip(blob: bytes, budget: _Budget) -> bytes:
    return _streams(blob, _found(blob, b"\x1f\x8b\x08"), 16 + zlib.MAX_WBITS, budget)


def _found(blob: bytes, magic: bytes) -> Iterator[int]:
    pos = blob.find(magic)
    while pos >= 0:
        yield pos
        pos = blob.find(magic, pos + 1)


def _zip(blob: bytes, budget: _Budget) -> bytes:
    if b"PK\x05\x06" not in blob[-(1 << 16) - 22 :]:
        return b""
    out: list[bytes] = []
    size = 0
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            for info in archive.infolist()[:MAX_MEMBERS]:
                budget.work -= info.compress_size
                if size >= budget.cap() or budget.work < 0:
                    break
                try:
                    with archive.open(info) as member:
                        data = member.read(budget.cap() - size)
                except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError):
                    continue  # encrypted or damaged: nothing to read, nothing sent readable either
                if info.filename.endswith((".xml", ".rels", ".html", ".xhtml", ".opf")):
                    data = _TAGS.sub(b"", data)  # a key Word split into runs of text joins up
                out.append(data)
                size += len(data)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return b"".join(out)
    return b"".join(out)


_TAGS = re.compile(rb"<[^<>]{0,4096}>")
_STREAM = re.compile(rb"stream\r?\n")


def _pdf(blob: bytes, budget: _Budget) -> bytes:
    if not blob.startswith(b"%PDF"):
        return b""
    starts = (match.end() for match in _STREAM.finditer(blob))
    return _streams(blob, starts, zlib.MAX_WBITS, budget)
