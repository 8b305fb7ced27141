"""Normalisation for matching: NFC, canonical tones, case, numbers and units, abbreviations, teencode.

`normalize_for_matching` is the primary matching field and keeps every diacritic. `fold_diacritics` gives
the secondary field for text typed without diacritics; it is never used alone (ma, má, mà, mả, mã, mạ
are six different words).
"""

from __future__ import annotations

import re
import unicodedata

from kiemchung.text.tones import canonical_tones

# Raised whenever `tokens` splits or expands text differently: an index saved with other tokens is rebuilt.
TOKENS_VERSION = 1

# Social-media shorthand ("teencode") and common abbreviations, keyed by the lower-cased token.
SHORTHAND: dict[str, str] = {
    "ko": "không",
    "k": "không",
    "kh": "không",
    "khg": "không",
    "hok": "không",
    "hông": "không",
    "khong": "không",
    "kg": "không",
    "dc": "được",
    "đc": "được",
    "dk": "được",
    "đk": "được",
    "duoc": "được",
    "j": "gì",
    "gj": "gì",
    "vs": "với",
    "ng": "người",
    "ngta": "người ta",
    "ae": "anh em",
    "mn": "mọi người",
    "mng": "mọi người",
    "r": "rồi",
    "rùi": "rồi",
    "roài": "rồi",
    "cx": "cũng",
    "cg": "cũng",
    "cug": "cũng",
    "z": "vậy",
    "v": "vậy",
    "zậy": "vậy",
    "bít": "biết",
    "bik": "biết",
    "wá": "quá",
    "qá": "quá",
    "ntn": "như thế nào",
    "trc": "trước",
    "sau khi": "sau khi",
    "thik": "thích",
    "iu": "yêu",
    "bn": "bao nhiêu",
    "bnh": "bao nhiêu",
    "tr": "triệu",
    "cty": "công ty",
    "bs": "bác sĩ",
    "bv": "bệnh viện",
    "vn": "việt nam",
    "hn": "hà nội",
    "tphcm": "thành phố hồ chí minh",
    "hcm": "hồ chí minh",
    "tp": "thành phố",
    "ubnd": "ủy ban nhân dân",
    "hđnd": "hội đồng nhân dân",
    "csgt": "cảnh sát giao thông",
    "thpt": "trung học phổ thông",
    "đh": "đại học",
    "sv": "sinh viên",
    "hs": "học sinh",
    "gv": "giáo viên",
    "nd": "người dân",
    "ns": "nói",
    "bik đc": "biết được",
    "oy": "rồi",
    "ak": "à",
    "ah": "à",
    "nhìu": "nhiều",
    "nhiu": "nhiều",
    "lun": "luôn",
    "ak.": "à",
    "thui": "thôi",
    "ms": "mới",
    "mik": "mình",
    "mk": "mình",
    "hum": "hôm",
    "nay": "nay",
    "bh": "bây giờ",
    "wa": "qua",
    "fải": "phải",
    "fai": "phải",
    "zui": "vui",
    "dzui": "vui",
    "vc": "vợ chồng",
    "tq": "trung quốc",
    "usd": "đô la",
    "$": "đô la",
    "vnđ": "đồng",
    "vnd": "đồng",
    "đ": "đồng",
    "ti": "tỉ",
    "ty": "tỉ",
    "tỷ": "tỉ",
    "km2": "km vuông",
    "m2": "mét vuông",
    "%": "phần trăm",
    "percent": "phần trăm",
    "covid": "covid",
    "sars-cov-2": "covid",
}

_NUMBER_WITH_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?:[.,]\d{3})+(?![\d])")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W_]+|%|\$", re.UNICODE)
_SPLIT_UNIT = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)", re.UNICODE)
_Y_AFTER_CONSONANT = re.compile(r"^(qu|[bcdđghklmnprstvx]{1,3})([yýỳỷỹỵ])$")
_Y_TO_I = str.maketrans({"y": "i", "ý": "í", "ỳ": "ì", "ỷ": "ỉ", "ỹ": "ĩ", "ỵ": "ị"})


# C0 controls other than tab, line feed and carriage return, the non-characters U+FFFE/U+FFFF (none of
# them may appear in XML 1.0) and lone surrogates (which cannot be encoded as UTF-8). A vertical tab or form
# feed (a line break pasted from Word) becomes a line break; any other control is dropped; a lone surrogate
# becomes U+FFFD.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_CONTROL_REPLACEMENTS = {"\x0b": "\n", "\x0c": "\n"}


def _replace_control(match: re.Match[str]) -> str:
    char = match.group(0)
    if "\ud800" <= char <= "\udfff":
        return "\ufffd"
    return _CONTROL_REPLACEMENTS.get(char, "")


def strip_controls(text: str) -> str:
    """`text` without the characters that no stored or XML text may hold (see `_CONTROLS`); tabs, line
    breaks and every printable character are kept. A valid surrogate pair never reaches Python as two
    halves, so only lone surrogates are replaced."""
    return _CONTROLS.sub(_replace_control, text)


def normalize_display(text: str) -> str:
    """Controls stripped, NFC, canonical tone marks and collapsed white space: safe to show and store."""
    text = canonical_tones(strip_controls(text).replace("\u00a0", " "))
    return re.sub(r"\s+", " ", text).strip()


_THOUSANDS_K = re.compile(r"(\d)k\b")


def _collapse_number_groups(text: str) -> str:
    """1.000.000 and 1,000,000 both become 1000000; a decimal comma becomes a point."""
    text = _NUMBER_WITH_GROUPS.sub(lambda m: re.sub(r"[.,]", "", m.group(0)), text)
    return _DECIMAL_COMMA.sub(".", text)


def _canonical_i(word: str) -> str:
    """Spelling variants with a final i/y after a consonant (kỹ/kĩ, lý/lí, Mỹ/Mĩ) compare equal."""
    match = _Y_AFTER_CONSONANT.match(word)
    return match.group(1) + match.group(2).translate(_Y_TO_I) if match else word


def tokens(text: str) -> list[str]:
    """Matching tokens: lower-cased syllables and numbers, with shorthand expanded."""
    text = canonical_tones(text).lower()
    text = _collapse_number_groups(text)
    text = _THOUSANDS_K.sub(r"\1 nghìn", text)  # 500k is 500 nghìn, not "500 không"
    text = _SPLIT_UNIT.sub(" ", text)
    out: list[str] = []
    for raw in _TOKEN.findall(text):
        expanded = SHORTHAND.get(raw)
        if expanded is not None:
            out.extend(expanded.split())
        else:
            out.append(_canonical_i(raw))
    return out


def normalize_for_matching(text: str) -> str:
    """The primary matching field: tokens joined by single spaces, diacritics kept."""
    return " ".join(tokens(text))


_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "D"})


def fold_diacritics(text: str) -> str:
    """Strip every diacritic (and đ → d): the secondary field for text typed without them."""
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"\(?@\w+\)?")
_SIGNATURE_DATE = re.compile(
    r"\s*[—–-]\s*[^—–\n]{0,80}?(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|tháng)\s+\d{1,2},?\s+\d{4}\s*$",
    re.IGNORECASE,
)


def clean_post(text: str) -> str:
    """Drop what carries no claim: links, @handles, a trailing "— Name (@handle) date" signature; '#' signs."""
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _SIGNATURE_DATE.sub("", text)
    text = text.replace("#", " ")
    return re.sub(r"\s+", " ", text).strip()
