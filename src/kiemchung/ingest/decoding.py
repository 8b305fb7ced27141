"""Bytes from the web to text: declared charset first, then UTF-8, then the Vietnamese legacy code page.

Windows-1258 writes tones as combining marks, so every result is composed (NFC) before anyone reads it.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""", re.IGNORECASE)
LEGACY = "cp1258"


def declared_charset(content: bytes, content_type: str | None) -> str | None:
    if content_type:
        declared = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
        if declared:
            return declared.group(1)
    head = content[:4096]
    found = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return found.group(1).decode("ascii", "replace") if found else None


def decode(content: bytes, content_type: str | None = None) -> str:
    charset = declared_charset(content, content_type)
    text: str | None = None
    if charset:
        try:
            codecs.lookup(charset)
            text = content.decode(charset)
        except (LookupError, UnicodeDecodeError):
            text = None
    if text is None:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode(LEGACY, errors="replace")
    return unicodedata.normalize("NFC", text)
