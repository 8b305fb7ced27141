"""Share cards of published fact-checks: drawn once per content and size, then served from disk.

A card is cached under DATA_DIR/cards by a digest of everything drawn on it (texts, colour, size, font and
layout version): a correction changes the digest, so a stale card is never served. Only fact-checks
published here (with the workbench) have cards; any other id is "not found".
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from kiemchung.errors import InputError, NotFoundError
from kiemchung.reporting.card_layout import LAYOUT_VERSION, SIZES, CardContent, card_content
from kiemchung.reporting.cards import find_font, render_card
from kiemchung.settings import Settings
from kiemchung.store.factchecks import FactCheckStore


class CardService:
    def __init__(self, settings: Settings, factchecks: FactCheckStore) -> None:
        self.settings = settings
        self.factchecks = factchecks

    @property
    def cache_dir(self) -> Path:
        return self.settings.data_dir / "cards"

    def has_card(self, factcheck_id: str) -> bool:
        """Was this fact-check published here (so it has share cards)?"""
        return self.factchecks.organisation_of(factcheck_id) is not None

    def card(self, factcheck_id: str, size: str) -> bytes:
        """The PNG card of a published fact-check in `size` ("wide" 1200×630 or "square" 1080×1080)."""
        if size not in SIZES:
            raise InputError(f"size must be one of {', '.join(SIZES)}")
        fc = self.factchecks.get(factcheck_id) if self.has_card(factcheck_id) else None
        if fc is None:
            raise NotFoundError(f"no published fact-check with id {factcheck_id}")
        page = f"{self.settings.base_url}/factchecks/{fc.id}"
        content = card_content(fc.claim, fc.rating, fc.publisher or "", fc.published, page,
                               self.settings.default_language)  # fmt: skip
        font = find_font(self.settings.card_font)
        path = self.cache_dir / f"{_digest(content, size, font)}.png"
        if path.is_file():
            return path.read_bytes()
        png = render_card(content, size, font)
        _write_atomically(path, png)
        return png


def _digest(content: CardContent, size: str, font: Path) -> str:
    key = {"content": asdict(content), "size": size, "font": str(font), "layout": LAYOUT_VERSION}
    return hashlib.sha256(json.dumps(key, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: a reader never sees half a card."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
