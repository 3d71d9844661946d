"""Small, real media files for the sandbox, built from first principles (no codecs installed).

What is real, and checked by decoding with ffmpeg when this was written:
- WAV and PCM: 16-bit mono PCM of a quiet 400 Hz tone.
- MP3: MPEG-1 Layer III frames (32 kHz, 32 kbit/s, mono) whose side information is all zero,
  which every decoder plays as silence.
- FLAC: a STREAMINFO block and CONSTANT-subframe frames (silence), with their CRC-8/CRC-16.
- Opus: an Ogg stream (OpusHead, OpusTags, CRC-checked pages) of 20 ms packets whose one frame
  is empty, which the format defines as a lost/DTX frame: decoders output silence.
- AAC: ADTS frames (AAC-LC, 16 kHz, mono) each holding the well-known silent raw data block.
- MP4: an ISO-BMFF file (ftyp, moov, mdat) with one video track of Motion JPEG frames (MPEG-4
  ``mp4v`` sample entry, object type 0x6C), one solid-colour frame per second at the requested
  size. No audio track.
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from array import array

SAMPLE_RATE = 16_000
MIME_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}


def _tone(seconds: float, rate: int = SAMPLE_RATE) -> bytes:
    """16-bit little-endian mono samples of a quiet 400 Hz tone (one period, repeated)."""
    count = max(1, round(seconds * rate))
    period = rate // 400
    one = array("h", (int(3000 * math.sin(2 * math.pi * i / period)) for i in range(period)))
    if one.itemsize != 2 or struct.pack("=h", 1) != struct.pack("<h", 1):
        one.byteswap()
    data = one.tobytes() * (count // period + 1)
    return data[: count * 2]


def pcm(seconds: float) -> bytes:
    return _tone(seconds)


def wav(seconds: float, rate: int = SAMPLE_RATE) -> bytes:
    data = _tone(seconds, rate)
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + fmt + b"data" + struct.pack("<I", len(data)) + data


def mp3(seconds: float) -> bytes:
    # 144 * 32000 / 32000 = 144 bytes per frame, 1152 samples (36 ms) each.
    frame = b"\xff\xfb\x18\xc0" + bytes(140)
    return frame * max(1, math.ceil(seconds / 0.036))


# -- FLAC ----------------------------------------------------------------------------------------


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def flac(seconds: float) -> bytes:
    block = 4096
    frames = max(1, math.ceil(seconds * SAMPLE_RATE / block))
    total = frames * block
    # STREAMINFO: block sizes, frame sizes (0 = unknown), rate/channels/bits/total samples, MD5 0.
    info = struct.pack(">HH", block, block) + bytes(6)
    packed = (SAMPLE_RATE << 44) | (0 << 41) | (15 << 36) | total
    info += packed.to_bytes(8, "big") + bytes(16)
    out = io.BytesIO()
    out.write(b"fLaC")
    out.write(bytes([0x80]) + len(info).to_bytes(3, "big") + info)  # last metadata block
    for n in range(frames):
        # sync + fixed blocksize; block 4096 (0xC), 16 kHz (0x5); mono, 16 bits; frame number.
        header = b"\xff\xf8\xc5\x08" + chr(n).encode("utf-8", "surrogatepass")
        header += bytes([_crc8(header)])
        frame = header + b"\x00" + b"\x00\x00"  # CONSTANT subframe, value 0
        out.write(frame + _crc16(frame).to_bytes(2, "big"))
    return out.getvalue()


# -- Ogg Opus ------------------------------------------------------------------------------------


def _ogg_crc_table() -> list[int]:
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if r & 0x80000000 else (r << 1) & 0xFFFFFFFF
        table.append(r)
    return table


_OGG_TABLE = _ogg_crc_table()


def _ogg_page(packets: list[bytes], granule: int, seq: int, flags: int, serial: int = 0x5A4D) -> bytes:
    lacing = bytearray()
    for packet in packets:
        size = len(packet)
        lacing.extend([255] * (size // 255))
        lacing.append(size % 255)
    head = b"OggS" + struct.pack("<BBqIII", 0, flags, granule, serial, seq, 0) + bytes([len(lacing)])
    page = bytearray(head + bytes(lacing) + b"".join(packets))
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_TABLE[((crc >> 24) & 0xFF) ^ byte]
    page[22:26] = struct.pack("<I", crc)
    return bytes(page)


def opus(seconds: float) -> bytes:
    pre_skip = 312
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, pre_skip, 48_000, 0, 0)
    vendor = b"venice-mcp sandbox"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    pages = [_ogg_page([head], 0, 0, 0x02), _ogg_page([tags], 0, 1, 0)]
    count = max(1, math.ceil(seconds / 0.02))
    seq, done = 2, 0
    while done < count:
        batch = min(200, count - done)
        done += batch
        flags = 0x04 if done == count else 0
        # TOC 0xF8: CELT fullband 20 ms, mono, one frame; the frame itself is empty (DTX).
        pages.append(_ogg_page([b"\xf8"] * batch, pre_skip + done * 960, seq, flags))
        seq += 1
    return b"".join(pages)


# -- AAC (ADTS) ----------------------------------------------------------------------------------

_AAC_SILENT_MONO = bytes([0x21, 0x10, 0x04, 0x60, 0x8C, 0x1C])


def aac(seconds: float) -> bytes:
    length = 7 + len(_AAC_SILENT_MONO)
    # syncword, MPEG-4, no CRC; AAC-LC, 16 kHz (index 8), mono; frame length; fullness 0x7FF.
    bits = (0xFFF << 44) | (1 << 40) | (1 << 38) | (8 << 34) | (1 << 30) | (length << 13) | (0x7FF << 2)
    frame = bits.to_bytes(7, "big") + _AAC_SILENT_MONO
    return frame * max(1, math.ceil(seconds * SAMPLE_RATE / 1024))


def audio(fmt: str, seconds: float) -> bytes:
    """Audio bytes in one of Venice's response formats."""
    builders = {"mp3": mp3, "wav": wav, "pcm": pcm, "flac": flac, "opus": opus, "aac": aac}
    return builders[fmt](seconds)


def wav_seconds(data: bytes) -> float | None:
    """Duration of a PCM WAV from its header (None when it is not one)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    pos, byte_rate = 12, 0
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if chunk == b"fmt " and size >= 16:
            byte_rate = struct.unpack("<I", data[pos + 16 : pos + 20])[0]
        elif chunk == b"data":
            return size / byte_rate if byte_rate else None
        pos += 8 + size + (size & 1)
    return None


# -- MP4 -----------------------------------------------------------------------------------------


def _box(kind: bytes, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _descriptor(tag: int, payload: bytes) -> bytes:
    return bytes([tag, len(payload)]) + payload


def _jpeg(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG", quality=60)
    return out.getvalue()


def mp4_seconds(data: bytes) -> float | None:
    """Duration of an MP4/MOV from its mvhd box (None when there is none), as Venice reads a
    reference or source clip before accepting it."""
    moov = _child(data, b"moov")
    mvhd = _child(moov, b"mvhd") if moov else None
    if not mvhd or len(mvhd) < 20:
        return None
    version = mvhd[0]
    scale, duration = struct.unpack(">IQ", mvhd[20:32]) if version == 1 else struct.unpack(">II", mvhd[12:20])
    return duration / scale if scale else None


def _child(data: bytes, kind: bytes) -> bytes | None:
    pos = 0
    while pos + 8 <= len(data):
        size = struct.unpack(">I", data[pos : pos + 4])[0]
        if size < 8:
            return None
        if data[pos + 4 : pos + 8] == kind:
            return data[pos + 8 : pos + size]
        pos += size
    return None


def mp4(seconds: int, width: int, height: int, seed: str = "") -> bytes:
    """A playable MP4: ``seconds`` Motion-JPEG frames at 1 fps, ``width`` x ``height``."""
    seconds = max(1, seconds)
    hue = zlib.crc32(seed.encode())
    frames = [
        _jpeg(width, height, ((hue + 40 * i) % 256, (hue >> 8) % 256, (hue >> 16) % 256))
        for i in range(seconds)
    ]
    duration_ms = seconds * 1000
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 512), b"isom", b"iso2", b"mp41")

    es = struct.pack(">HB", 1, 0)
    config = bytes([0x6C, (0x04 << 2) | 1]) + (0).to_bytes(3, "big") + struct.pack(">II", 0, 0)
    es += _descriptor(0x04, config) + _descriptor(0x06, b"\x02")
    esds = _full(b"esds", 0, 0, _descriptor(0x03, es))
    entry = _box(
        b"mp4v",
        bytes(6),
        struct.pack(">H", 1),
        bytes(16),
        struct.pack(">HHIIIH", width, height, 0x480000, 0x480000, 0, 1),
        bytes(32),
        struct.pack(">Hh", 0x18, -1),
        esds,
    )

    def moov(chunk_offset: int) -> bytes:
        stbl = _box(
            b"stbl",
            _full(b"stsd", 0, 0, struct.pack(">I", 1), entry),
            _full(b"stts", 0, 0, struct.pack(">III", 1, len(frames), 1000)),
            _full(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, len(frames), 1)),
            _full(
                b"stsz",
                0,
                0,
                struct.pack(">II", 0, len(frames)),
                *(struct.pack(">I", len(f)) for f in frames),
            ),
            _full(b"stco", 0, 0, struct.pack(">II", 1, chunk_offset)),
        )
        dinf = _box(b"dinf", _full(b"dref", 0, 0, struct.pack(">I", 1), _full(b"url ", 0, 1)))
        minf = _box(b"minf", _full(b"vmhd", 0, 1, bytes(8)), dinf, stbl)
        mdhd = _full(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, 1000, duration_ms, 0x55C4, 0))
        hdlr = _full(b"hdlr", 0, 0, bytes(4), b"vide", bytes(12), b"VideoHandler\x00")
        tkhd = _full(
            b"tkhd",
            0,
            3,
            struct.pack(">IIIII", 0, 0, 1, 0, duration_ms),
            bytes(8),
            struct.pack(">hhhH", 0, 0, 0, 0),
            _MATRIX,
            struct.pack(">II", width << 16, height << 16),
        )
        trak = _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, minf))
        mvhd = _full(
            b"mvhd",
            0,
            0,
            struct.pack(">IIII", 0, 0, 1000, duration_ms),
            struct.pack(">IH", 0x10000, 0x100),
            bytes(10),
            _MATRIX,
            bytes(24),
            struct.pack(">I", 2),
        )
        return _box(b"moov", mvhd, trak)

    size = len(moov(0))
    mdat = _box(b"mdat", *frames)
    return ftyp + moov(len(ftyp) + size + 8) + mdat
