"""Share cards drawn with Pillow: a TrueType font with every Vietnamese letter, and a layout drawn to PNG.

The font is found at run time (KIEMCHUNG_CARD_FONT, else the first of `FONT_CANDIDATES` on this machine);
a font that lacks a glyph for any Vietnamese letter is passed over, so a card never shows a .notdef box.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from kiemchung.errors import ConfigError
from kiemchung.reporting.card_layout import CardContent, CardLayout, layout_card, vietnamese_letters

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",  # Debian, Ubuntu (fonts-dejavu-core)
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",  # Fedora
    "/usr/share/fonts/TTF/DejaVuSans.ttf",  # Arch
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",  # Debian, Ubuntu (fonts-noto-core)
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/Library/Fonts/Arial Unicode.ttf",  # macOS
    "C:/Windows/Fonts/arial.ttf",
)
UNASSIGNED = "\u0378"  # no character has this code point: every font draws its .notdef glyph for it
BACKGROUND = "#ffffff"
INK = "#1a1a1a"
MUTED = "#555555"


def missing_glyphs(font: ImageFont.FreeTypeFont, text: str) -> list[str]:
    """The characters of `text` the font has no glyph for (it would draw them as its .notdef box)."""
    notdef = _mask_signature(font, UNASSIGNED)
    return [ch for ch in dict.fromkeys(text) if not ch.isspace() and _mask_signature(font, ch) == notdef]


def _mask_signature(font: ImageFont.FreeTypeFont, text: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(text)
    return mask.size, bytes(mask)


def find_font(configured: str = "", candidates: tuple[str, ...] = FONT_CANDIDATES) -> Path:
    """The font for share cards: KIEMCHUNG_CARD_FONT if set (it must exist and cover Vietnamese), else the
    first candidate installed here that covers every Vietnamese letter."""
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise ConfigError(f"KIEMCHUNG_CARD_FONT: no font file at {configured}")
        lacking = _lacking(path)
        if lacking is None:
            raise ConfigError(f"KIEMCHUNG_CARD_FONT: {configured} is not a TrueType or OpenType font")
        if lacking:
            raise ConfigError(f"KIEMCHUNG_CARD_FONT: {configured} has no glyph for {''.join(lacking[:10])}")
        return path
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file() and _lacking(path) == []:
            return path
    raise ConfigError(
        "no TrueType font with every Vietnamese letter was found for share cards; install fonts-dejavu-core "
        "(or fonts-noto-core) or set KIEMCHUNG_CARD_FONT to a .ttf file"
    )


@lru_cache(maxsize=16)
def _lacking(path: Path) -> list[str] | None:
    """The Vietnamese letters the font lacks; None when it cannot be read as a font."""
    try:
        font = ImageFont.truetype(str(path), 32)
    except OSError:
        return None
    return missing_glyphs(font, vietnamese_letters())


@lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def bold_of(path: Path) -> Path:
    """The bold face next to a regular one (DejaVuSans.ttf → DejaVuSans-Bold.ttf), or the font itself."""
    stem = path.stem.removesuffix("-Regular")
    for name in (f"{stem}-Bold{path.suffix}", f"{stem}Bold{path.suffix}"):
        if (path.parent / name).is_file():
            return path.parent / name
    return path


def render_card(content: CardContent, size: str, font_path: Path) -> bytes:
    """The card as PNG bytes."""
    regular, bold = str(font_path), str(bold_of(font_path))
    layout = layout_card(content, size, lambda text, px: _font(bold, px).getlength(text))  # the widest face
    image = Image.new("RGB", (layout.width, layout.height), BACKGROUND)
    _draw(ImageDraw.Draw(image), layout, regular, bold)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _draw(draw: ImageDraw.ImageDraw, layout: CardLayout, regular: str, bold: str) -> None:
    draw.rectangle(layout.stripe, fill=layout.colour)
    draw.rounded_rectangle(layout.badge, radius=12, fill=layout.colour)
    badge, *rest = layout.lines
    draw.text((badge.x, badge.y), badge.text, font=_font(bold, badge.size), fill="#ffffff")
    claims = set(layout.claim_lines)
    for line in rest:
        face, ink = (bold, INK) if line in claims else (regular, MUTED)
        draw.text((line.x, line.y), line.text, font=_font(face, line.size), fill=ink)
