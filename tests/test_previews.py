"""Image previews with bounded memory (issue 10, finding 7): a PNG decoded in strips is the same
picture a whole decode gives; the peak memory of a preview of a 16-megapixel image is capped,
measured as a child process's peak RSS."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from venice_mcp import previews
from venice_mcp.outputs import image_preview

# A preview's own peak, with room for allocator noise; the whole decodes it replaces measured
# +217 MiB (PNG), +268 MiB (WebP) and +33 MiB (JPEG) on these same images.
PEAK_LIMIT_MIB = previews.MAX_DECODED_BYTES / 2**20 + 16
SIDE = 4096


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def noise_png(path: Path, side: int = SIDE) -> Path:
    """An RGBA PNG of noise that does not compress (64 MiB at 4096 px), written quickly."""
    rows = os.urandom(side * 4 * 64)
    line = side * 4
    raw = b"".join(b"\x00" + rows[(y % 64) * line : (y % 64 + 1) * line] for y in range(side))
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw, 0))
    path.write_bytes(data + _chunk(b"IEND", b""))
    return path


def _picture(mode: str, size: tuple[int, int] = (700, 500)) -> Image.Image:
    """Detail in every channel, so a wrong filter or a shifted row shows."""
    base = Image.effect_mandelbrot(size, (-2.0, -1.0, 1.0, 1.0), 100)
    rgb = Image.merge("RGB", (base, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT), base.rotate(180)))
    if mode == "P":
        return rgb.quantize(64)
    if mode == "PA":  # a palette with a transparent entry
        img = rgb.quantize(64)
        img.info["transparency"] = 0
        return img
    return rgb.convert(mode)


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "P", "PA"])
def test_a_png_decoded_in_strips_is_the_whole_picture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setattr(previews, "STRIP_BYTES", 40_000)  # a dozen strips: every filter meets an edge
    path = tmp_path / "p.png"
    _picture(mode).save(path, optimize=True)
    strips = previews.decoded_image(path, 2000)  # no scaling: every pixel compared
    assert strips is not None
    with Image.open(path) as whole:
        expected = whole.convert(strips.mode)
    assert ImageChops.difference(strips.convert("RGBA"), expected.convert("RGBA")).getbbox() is None
    alpha = mode in ("LA", "RGBA", "PA")
    assert (strips.mode == "RGBA") == alpha


def test_a_scaled_strip_preview_matches_a_whole_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(previews, "STRIP_BYTES", 40_000)
    path = tmp_path / "p.png"
    _picture("RGB", (1500, 900)).save(path)
    strips = previews.decoded_image(path, 300)
    assert strips is not None and strips.size == (300, 180)
    with Image.open(path) as whole:
        whole.thumbnail((300, 300))
        diff = ImageChops.difference(strips, whole.convert("RGB"))
    assert sum(diff.convert("L").histogram()[40:]) < 0.01 * 300 * 180  # the same picture, resampled


@pytest.mark.parametrize(
    ("kind", "mime"), [("RGB", "image/jpeg"), ("RGBA", "image/png"), ("P", "image/jpeg"), ("PA", "image/png")]
)
def test_previews_keep_their_format_rule(tmp_path: Path, kind: str, mime: str) -> None:
    path = tmp_path / "p.png"
    _picture(kind, (300, 200)).save(path)
    preview = image_preview(path)
    assert preview is not None and preview.mime_type == mime


def test_odd_pngs_fall_back_or_give_no_preview(tmp_path: Path) -> None:
    img = _picture("RGB", (300, 200))
    img.save(tmp_path / "interlaced.png", interlace=True)  # not in strips: decoded whole (it is small)
    img.convert("I;16").save(tmp_path / "deep.png")
    assert image_preview(tmp_path / "interlaced.png") is not None
    assert image_preview(tmp_path / "deep.png") is not None
    buf = io.BytesIO()
    img.save(buf, "PNG")
    (tmp_path / "cut.png").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    (tmp_path / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(5000))
    for name in ("cut.png", "junk.png"):
        assert image_preview(tmp_path / name) is None, name


def test_a_flat_png_does_not_inflate_all_at_once(tmp_path: Path) -> None:
    """A uniform 16-megapixel PNG is a few hundred KB: inflating it in one call would be 64 MiB."""
    path = tmp_path / "flat.png"
    Image.new("RGBA", (SIDE, SIDE), (10, 20, 30, 255)).save(path, compress_level=9)
    assert path.stat().st_size < 1_000_000
    assert _peak_mib(path) < PEAK_LIMIT_MIB


@pytest.fixture(scope="module")
def big_images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("big")
    png = noise_png(folder / "noise.png")
    with Image.open(png) as img:
        rgb = img.convert("RGB")
    rgb.save(folder / "noise.jpg", quality=90)
    rgb.save(folder / "noise.webp", quality=60, method=0)
    rgb.resize((2048, 2048)).save(folder / "noise-2k.webp", quality=60, method=0)
    return {p.suffix + p.stem: p for p in folder.iterdir()}


def _peak_mib(path: Path) -> float:
    """How much making a preview of ``path`` raised a fresh process's peak RSS (MiB)."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from PIL import Image, JpegImagePlugin, PngImagePlugin, WebPImagePlugin\n"
        "from tests.tools.upscale_memory import peak_mib\n"
        "from venice_mcp.outputs import image_preview\n"
        "before = peak_mib()\n"
        "image_preview(Path(sys.argv[1]))\n"
        "print(peak_mib() - before)\n"
    )
    root = Path(__file__).parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120, cwd=root
    )
    assert done.returncode == 0, done.stderr
    return float(done.stdout.strip())


@pytest.mark.skipif(sys.platform == "win32", reason="ru_maxrss")
@pytest.mark.parametrize("name", [".pngnoise", ".jpgnoise", ".webpnoise", ".webpnoise-2k"])
def test_a_preview_of_a_16_megapixel_image_has_bounded_peak_memory(
    big_images: dict[str, Path], name: str
) -> None:
    assert _peak_mib(big_images[name]) < PEAK_LIMIT_MIB


def test_previews_are_made_where_they_can_be(big_images: dict[str, Path]) -> None:
    """PNG and JPEG of any size get one; a WebP only up to 2048×2048 (Pillow decodes it whole)."""
    for name in (".pngnoise", ".jpgnoise", ".webpnoise-2k"):
        assert previews.decoded_image(big_images[name], 768) is not None, name
    assert previews.decoded_image(big_images[".webpnoise"], 768) is None
