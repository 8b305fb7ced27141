"""Sentence splitting tuned for Vietnamese news and social posts."""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset({"tp", "th.s", "ts", "pgs", "gs", "bs", "ths", "mr", "mrs", "dr", "st", "no", "q", "p"})
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+(?=[\"“‘(\[]?[^\W\d_]|\d)", re.UNICODE)


def split_sentences(text: str) -> list[str]:
    """Split text into sentences: on line breaks and on end punctuation followed by a new sentence."""
    sentences: list[str] = []
    for block in re.split(r"\n\s*", text):
        block = block.strip()
        if block:
            sentences.extend(_split_block(block))
    return sentences


def _split_block(block: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for boundary in _BOUNDARY.finditer(block):
        head = block[start : boundary.start()].strip()
        last_word = head.rsplit(" ", 1)[-1].rstrip(".").lower()
        if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        if head:
            pieces.append(head)
        start = boundary.end()
    tail = block[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces
