"""Share cards (issue 13, item 4): every fact-check published here has a 1200×630 and a 1080×1080 PNG card
that shows every Vietnamese letter with a real glyph (never the font's .notdef box), cached by content, used
as the public page's og:image and offered for download; nothing else has a card."""

from __future__ import annotations

import base64
import inspect
import io
import re
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageFont

from kiemchung.app_context import AppContext
from kiemchung.domain.accounts import Actor
from kiemchung.domain.models import FactCheck, Rating
from kiemchung.errors import ConfigError
from kiemchung.reporting.card_layout import SIZES, card_content, layout_card, vietnamese_letters
from kiemchung.reporting.cards import UNASSIGNED, bold_of, find_font, missing_glyphs
from kiemchung.web.app import create_app

TONES = "Ắ Ằ Ẳ Ẵ Ặ ă â đ ê ô ơ ư ỹ ỵ ử ữ ự"
CLAIM = f"{TONES}: uống nước chanh nóng mỗi sáng chữa khỏi ung thư giai đoạn cuối"
PASSWORD = "a long password"


def _editor(context: AppContext, organisation: str = "Tòa soạn Thử") -> Actor:
    user = context.accounts.create_user(organisation, f"editor@{len(organisation)}.example", "Biên tập", "editor",
                                        PASSWORD)  # fmt: skip
    return Actor("editor", user.organisation_id, user_id=user.id, name="Biên tập")


def publish(context: AppContext, actor: Actor, claim: str, rating: str = "Sai", topic: str | None = None) -> str:
    """Open, draft and publish a case; the fact-check's id."""
    case = context.cases.open_case(actor, claim, topic=topic)
    case = context.cases.draft_verdict(actor, case.id, case.version, rating, "Tóm tắt.", "Không đúng sự thật.", False)
    return context.cases.publish(actor, case.id, case.version).factcheck.id


def _ink(image: Image.Image, box: tuple[int, int, int, int], background: tuple[int, int, int]) -> int:
    """How many pixels of `box` differ from the background."""
    region = np.asarray(image.crop(box).convert("RGB"))
    return int((region != np.array(background, dtype=region.dtype)).any(axis=2).sum())


def test_the_card_font_has_a_glyph_for_every_vietnamese_letter() -> None:
    font = ImageFont.truetype(str(find_font()), 48)
    assert len(vietnamese_letters()) == 2 * (12 * 6 + 1)
    assert missing_glyphs(font, vietnamese_letters() + TONES) == []
    for face in (find_font(), bold_of(find_font())):  # the claim and the badge are drawn in bold
        assert missing_glyphs(ImageFont.truetype(str(face), 48), vietnamese_letters()) == []
    # The check itself can see a missing glyph: an unassigned code point, and a character DejaVu lacks.
    assert missing_glyphs(font, f"a{UNASSIGNED}中") == [UNASSIGNED, "中"]


def test_a_font_without_vietnamese_or_no_font_at_all_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KIEMCHUNG_CARD_FONT: no font file"):
        find_font(str(tmp_path / "missing.ttf"))
    with pytest.raises(ConfigError, match="no TrueType font with every Vietnamese letter"):
        find_font("", candidates=(str(tmp_path / "missing.ttf"),))
    garbage = tmp_path / "garbage.ttf"
    garbage.write_bytes(b"not a font at all")
    with pytest.raises(ConfigError, match="is not a TrueType or OpenType font"):
        find_font(str(garbage))
    latin_only = tmp_path / "aileron.ttf"  # the small Latin font Pillow carries: no ơ, ư, ạ…
    latin_only.write_bytes(_pillow_default_font())
    with pytest.raises(ConfigError, match="has no glyph for"):
        find_font(str(latin_only))
    with pytest.raises(ConfigError, match="no TrueType font with every Vietnamese letter"):
        find_font("", candidates=(str(garbage), str(latin_only)))


def _pillow_default_font() -> bytes:
    """The TrueType bytes of Pillow's built-in default font (Pillow 10.1 and later)."""
    found = re.search(r'b"""(.*?)"""', inspect.getsource(ImageFont.load_default), re.S)
    if found is None:
        pytest.skip("this Pillow carries no built-in TrueType font")
    return base64.b64decode(found.group(1))


@pytest.mark.parametrize("size", ["wide", "square"])
def test_a_published_factcheck_has_a_card_with_its_text_drawn(app_context: AppContext, size: str) -> None:
    factcheck_id = publish(app_context, _editor(app_context), CLAIM)
    with TestClient(create_app(app_context.settings, app_context)) as client:
        response = client.get(f"/factchecks/{factcheck_id}/card.png?size={size}")
        again = client.get(f"/factchecks/{factcheck_id}/card.png?size={size}")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert again.content == response.content
    image = Image.open(io.BytesIO(response.content))
    geometry = SIZES[size]
    assert image.format == "PNG" and image.size == (geometry.width, geometry.height)
    # Ink wherever the layout puts text, none in the margin: the claim (every letter of it, in order), badge, footer.
    fc = app_context.factcheck_store.get(factcheck_id)
    assert isinstance(fc, FactCheck) and fc.published is not None
    content = card_content(fc.claim, fc.rating, fc.publisher or "", fc.published, fc.url or "")
    regular = ImageFont.truetype(str(bold_of(find_font())), 40)
    layout = layout_card(content, size, lambda text, px: regular.font_variant(size=px).getlength(text))
    assert "".join(line.text for line in layout.claim_lines).replace(" ", "") == content.claim.replace(" ", "")
    assert content.organisation == "Tòa soạn Thử" and content.verdict == "Sai"
    for line in layout.lines:
        box = (line.x, line.y, line.x + geometry.text_width, line.y + int(line.size * 1.3))
        background = (0xC6, 0x28, 0x28) if line is layout.lines[0] else (255, 255, 255)
        assert _ink(image, box, background) > 50, line.text
    assert _ink(image, (geometry.width - 40, 0, geometry.width, geometry.height), (255, 255, 255)) == 0
    cached = list((app_context.settings.data_dir / "cards").glob("*.png"))
    assert [p.read_bytes() for p in cached] == [response.content]


def test_a_correction_draws_a_new_card(app_context: AppContext) -> None:
    actor = _editor(app_context)
    factcheck_id = publish(app_context, actor, CLAIM)
    first = app_context.cards.card(factcheck_id, "wide")
    case = app_context.case_store.get(int(factcheck_id.removeprefix("kc-")))
    case = app_context.cases.draft_verdict(actor, case.id, case.version, "Gây hiểu lầm", "", "Một phần.", False)
    app_context.cases.publish(actor, case.id, case.version, note="Đổi kết luận")
    second = app_context.cards.card(factcheck_id, "wide")
    assert second != first
    assert len(list((app_context.settings.data_dir / "cards").glob("*.png"))) == 2


def test_only_published_factchecks_have_cards(app_context: AppContext) -> None:
    actor = _editor(app_context)
    draft = app_context.cases.open_case(actor, "Một nhận định chưa được kiểm chứng xong")
    app_context.cases.draft_verdict(actor, draft.id, draft.version, "Sai", "", "Chưa đăng.", False)
    imported = FactCheck(id="imported-1", claim="Nhận định nhập từ nơi khác", rating=Rating("Sai"))
    app_context.factcheck_store.upsert_many([imported])
    with TestClient(create_app(app_context.settings, app_context)) as client:
        for factcheck_id in (f"kc-{draft.id}", "imported-1", "no-such-id"):
            assert client.get(f"/factchecks/{factcheck_id}/card.png").status_code == 404, factcheck_id
        assert "og:image" not in client.get("/factchecks/imported-1").text
        published = publish(app_context, actor, CLAIM)
        assert client.get(f"/factchecks/{published}/card.png?size=huge").status_code in (400, 422)
    assert not (app_context.settings.data_dir / "cards").exists() or not any(
        (app_context.settings.data_dir / "cards").iterdir()
    )


def test_the_public_page_uses_the_card_as_og_image_and_offers_both_sizes(app_context: AppContext) -> None:
    factcheck_id = publish(app_context, _editor(app_context), CLAIM)
    base = app_context.settings.base_url
    with TestClient(create_app(app_context.settings, app_context)) as client:
        page = client.get(f"/factchecks/{factcheck_id}").text
    assert f'<meta property="og:image" content="{base}/factchecks/{factcheck_id}/card.png?size=wide">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert f'href="/factchecks/{factcheck_id}/card.png?size=square" download' in page
