"""A small language guess: enough to pick a calibrated decision model ("vi", "en" or another language).

Links, @handles, hashtags and bylines are not words of any language: they are removed before counting, so
that a short English tweet full of links is not taken for Vietnamese typed without diacritics. Counting is
by evidence on both sides: syllables that carry Vietnamese letters or are frequent Vietnamese words typed
without diacritics, against English function words. Other scripts and a few frequent European languages
are told apart by script and function words, so that they are judged as translations ("cross").
"""

from __future__ import annotations

import re

from kiemchung.text.normalize import fold_diacritics


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_VIETNAMESE_LETTERS = re.compile("[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE)
_NOISE = re.compile(
    r"[—-]\s[^—]{0,60}\(@.*$|https?://\S+|www\.\S+|\S+\.(?:com|org|net|vn|ly|co)\S*|pic\.twitter\.com\S*|[@#][\w_]+|&amp;|&\w+;",
    re.IGNORECASE,
)
_LATIN_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Common English words that are not also Vietnamese syllables typed without diacritics.
_ENGLISH_WORDS = _set(
    "the is are was were of and that this it for with be has have will from by not but what which who their "
    "they there been would can said says about after into more than over you your he she his her we our "
    "does did do how why when all just only people says told new now get got been being those these its "
    "could should must may might every any some because then had also like to in on at as an or if no "
    "yes my me him them us out up want first news video shows"
)
# Frequent Vietnamese words as they are typed without diacritics (and not English words).
_VIETNAMESE_PLAIN = _set(
    "khong duoc nguoi cua va la cho mot nhung nay trong voi cac nhieu da se dang thi ma roi cung vay "
    "nhu nao gi ai nghe noi biet ban minh toi chung ta bao nhieu tien nam thang ngay viet nuoc co "
    "ko dc mn ae vs j r cx nha nhe oi ha hok hong tui bik ntn trc vn hn tphcm bo so dau sao "
    "lam di den ra vao len xuong duoc tu sau truoc ve nen neu khi"
)
# A few other Latin-script languages people post in (function words that are neither English nor plain Vietnamese).
_OTHER_WORDS = {
    "fr": _set("le les des est une dans pour que qui pas sur avec sont cette ce du au aux et"),
    "es": _set("el los las del es una por para que con no se su esta son como pero al"),
    "de": _set("der die das und ist nicht ein eine mit den von zu auf sich dem des wird"),
    "id": _set("yang dan di ini itu dengan untuk tidak dari ada akan pada juga bisa"),
}
# A syllable Vietnamese could spell without diacritics; English words mostly cannot ("prediction", "dog").
_SYLLABLE = re.compile(r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ng|nh|ch|[cmnpt])?$")
_SCRIPTS = (
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
)


def _vietnamese_word(word: str) -> bool:
    """A frequent Vietnamese word typed without diacritics, or a syllable with Vietnamese letters (French
    "étude" has one, but is no Vietnamese syllable)."""
    if word in _VIETNAMESE_PLAIN:
        return True
    return bool(_VIETNAMESE_LETTERS.search(word)) and bool(_SYLLABLE.match(fold_diacritics(word)))


def _script(text: str) -> str | None:
    """The language of a non-Latin script that covers at least a fifth of the letters."""
    letters = sum(1 for c in text if c.isalpha())
    if not letters:
        return None
    counts = {code: len(pattern.findall(text)) for code, pattern in _SCRIPTS}
    if counts["ja"] and counts["ja"] + counts["zh"] >= 0.2 * letters:
        return "ja"  # kana with kanji is Japanese
    code, count = max(counts.items(), key=lambda item: item[1])
    return code if count >= 0.2 * letters else None


def guess_language(text: str) -> str:
    """An ISO 639-1 code: "vi", "en", or another language where the evidence says so."""
    text = _NOISE.sub(" ", text)
    script = _script(text)
    if script:
        return script
    words = [w.lower() for w in _LATIN_WORD.findall(text)]
    if not words:
        return "vi"
    vietnamese = sum(1 for w in words if _vietnamese_word(w))
    english = sum(1 for w in words if w in _ENGLISH_WORDS)
    others = {code: sum(1 for w in words if w in vocabulary) for code, vocabulary in _OTHER_WORDS.items()}
    other, count = max(others.items(), key=lambda item: item[1])
    if vietnamese >= 0.3 * len(words) or (vietnamese and vietnamese >= max(english, count)):
        return "vi"
    if count > english and count >= 0.15 * len(words):
        return other
    # Syllables Vietnamese could spell count for it, words it cannot spell ("prediction") against it.
    foreign = sum(1 for w in words if not _SYLLABLE.match(w))
    plausible = len(words) - foreign - english
    return "en" if english + foreign >= plausible else "vi"


def language_code(value: str | None) -> str | None:
    """ "vi", "en" or None from a stored language tag such as "vi-VN" or "English"."""
    if not value:
        return None
    value = value.strip().lower()
    if value.startswith(("vi", "vn")):
        return "vi"
    if value.startswith("en"):
        return "en"
    return None


def english_function_words() -> frozenset[str]:
    """The English function words the guess counts (also a background for small archives' idf)."""
    return _ENGLISH_WORDS
