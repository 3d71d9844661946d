"""Inline previews of saved images, made with bounded memory.

An upscaled PNG can be 16 megapixels and ~100 MB; decoding it whole for a 768-px preview cost a
quarter of a gigabyte at peak. Here the file is never read whole: a JPEG decodes at 1/2 to 1/8
scale (Pillow's draft); an 8-bit, non-interlaced PNG (what Venice returns) is inflated a strip of
rows at a time, each strip decoded by Pillow and box-reduced as it comes; any other image (WebP,
GIF, 16-bit PNG…) is decoded only when its decoding fits MAX_DECODED_BYTES, and past that there
is no inline preview (the file and its resource link are unaffected). One preview is made at a
time per process, so the bound holds however many calls run at once.
"""

from __future__ import annotations

import io
import logging
import math
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)

MAX_DECODED_BYTES = 64 * 1024 * 1024  # a 2048×2048 WebP; a PNG or JPEG of any size
STRIP_BYTES = 2 * 1024 * 1024  # raw PNG rows decoded at once
_ONE_AT_A_TIME = threading.Lock()
_PNG = b"\x89PNG\r\n\x1a\n"
# PNG colour types decoded in strips (8-bit): grey, RGB, palette, grey+alpha, RGBA.
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def decoded_image(path: Path, max_side: int) -> Image | None:
    """The image at ``path`` scaled to fit ``max_side`` (RGB, RGBA or L), or None when it is not
    an image Pillow reads or would take more than MAX_DECODED_BYTES to decode."""
    from PIL import Image, UnidentifiedImageError

    with _ONE_AT_A_TIME:
        try:
            with path.open("rb") as fh:
                if fh.read(8) == _PNG:
                    fh.seek(0)
                    strips = _png_in_strips(fh, max_side)
                    if strips is not None:
                        return strips
                fh.seek(0)
                return _small_enough(Image.open(fh), max_side)
        except (UnidentifiedImageError, OSError, ValueError, EOFError, Image.DecompressionBombError) as exc:
            log.info("no preview of %s: %s", path.name, exc)
            return None


def _small_enough(img: Image, max_side: int) -> Image | None:
    with img:
        img.draft("RGB" if img.mode not in ("L", "RGB") else img.mode, (max_side, max_side))  # JPEG only
        # Measured peaks: Pillow keeps 4 bytes a pixel and a converted copy; its WebP decoder
        # holds libwebp's canvas and a copy of the pixels as well (16 bytes a pixel).
        per_pixel = 16 if img.format == "WEBP" else 8
        if img.width * img.height * per_pixel > MAX_DECODED_BYTES:
            log.info("no preview: %d×%d %s is too large to decode for one", img.width, img.height, img.format)
            return None
        img.thumbnail((max_side, max_side))
        return img.copy()


# -- PNG, a strip at a time ----------------------------------------------------------------------


def _chunks(fh: IO[bytes]) -> Iterator[tuple[bytes, int]]:
    """(type, length) of each chunk, leaving ``fh`` at its data; the caller reads or skips it."""
    fh.seek(8)
    while True:
        head = fh.read(8)
        if len(head) < 8:
            return
        length, kind = struct.unpack(">I4s", head)
        start = fh.tell()
        yield kind, length
        fh.seek(start + length + 4)  # past the data and the CRC


def _png_in_strips(fh: IO[bytes], max_side: int) -> Image | None:
    """A PNG decoded in strips, or None for one this does not handle (interlaced, 16-bit…)."""
    extra: list[bytes] = []  # PLTE and tRNS, which every strip needs
    inflater = zlib.decompressobj()
    pending = bytearray()
    strips: _Strips | None = None
    for kind, length in _chunks(fh):
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", fh.read(13))
            if depth != 8 or interlace or colour not in _CHANNELS or not width or not height:
                return None
            strips = _Strips(width, height, colour, max(1, max(width, height) // max_side))
            if strips.rows * strips.stride > 4 * STRIP_BYTES:
                return None  # absurdly wide: no strip would be small
        elif kind in (b"PLTE", b"tRNS"):
            extra.append(_chunk(kind, fh.read(length)))
        elif kind == b"IDAT" and strips is not None:
            while length and not strips.done():
                piece = fh.read(min(1 << 16, length))
                if not piece:
                    break
                length -= len(piece)
                # Bounded output per call: a flat image inflates a thousandfold.
                while piece and not strips.done():
                    pending += inflater.decompress(piece, STRIP_BYTES)
                    piece = inflater.unconsumed_tail
                    while len(pending) >= strips.raw_size() and not strips.done():
                        size = strips.raw_size()
                        strips.add(bytes(pending[:size]), extra)
                        del pending[:size]
        elif kind == b"IEND":
            break
    if strips is None:
        return None
    if not strips.done() or strips.out is None:
        raise ValueError("the PNG ends before its last row")
    strips.out.thumbnail((max_side, max_side))
    return strips.out


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


class _Strips:
    """Rows of a PNG decoded in strips of a multiple of ``factor`` rows, each reduced by
    ``factor`` into one small image. A strip is a PNG of its own whose first row is the
    previous strip's last, unfiltered, so Pillow undoes the filters that refer back to it."""

    def __init__(self, width: int, height: int, colour: int, factor: int) -> None:
        self.width, self.height, self.colour, self.factor = width, height, colour, factor
        self.stride = 1 + width * _CHANNELS[colour]
        self.rows = max(factor, STRIP_BYTES // self.stride // factor * factor)
        self.y = 0
        self.previous: bytes | None = None
        self.out: Image | None = None

    def raw_size(self) -> int:
        return min(self.rows, self.height - self.y) * self.stride

    def done(self) -> bool:
        return self.y >= self.height

    def add(self, raw: bytes, extra: list[bytes]) -> None:
        from PIL import Image

        rows = len(raw) // self.stride
        lead = b"" if self.previous is None else b"\x00" + self.previous
        ihdr = struct.pack(">IIBBBBB", self.width, rows + (1 if lead else 0), 8, self.colour, 0, 0, 0)
        idat = zlib.compress(lead + raw, 0)  # stored: the strip is only handed to Pillow
        png = b"".join((_PNG, _chunk(b"IHDR", ihdr), *extra, _chunk(b"IDAT", idat), _chunk(b"IEND", b"")))
        with Image.open(io.BytesIO(png)) as decoded:
            decoded.load()
            part = decoded.crop((0, 1 if lead else 0, self.width, decoded.height))
        self.previous = part.crop((0, rows - 1, self.width, rows)).tobytes()
        if self.out is None:
            # The preview's mode, as a whole decode would give it: alpha only where the PNG has one.
            alpha = part.mode in ("RGBA", "LA") or (part.mode == "P" and "transparency" in part.info)
            mode = "RGBA" if alpha else part.mode if part.mode in ("L", "RGB") else "RGB"
            size = (math.ceil(self.width / self.factor), math.ceil(self.height / self.factor))
            self.out = Image.new(mode, size)
        if part.mode != self.out.mode:
            part = part.convert(self.out.mode)
        self.out.paste(part.reduce(self.factor), (0, self.y // self.factor))
        self.y += rows
