"""Pure Vietnamese text processing: normalisation, folding, tokens, sentences, spin reversal.

Nothing here touches I/O beyond reading the package's own data files.
"""

from kiemchung.text.normalize import (
    canonical_tones,
    fold_diacritics,
    normalize_display,
    normalize_for_matching,
    strip_controls,
    tokens,
)
from kiemchung.text.sentences import split_sentences

__all__ = [
    "canonical_tones",
    "fold_diacritics",
    "normalize_display",
    "normalize_for_matching",
    "split_sentences",
    "strip_controls",
    "tokens",
]
