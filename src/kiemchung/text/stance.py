"""Cues of a post's stance toward a claim it talks about: does it pass the claim on, ask about it, or
refute it? Pure: folded-token phrase counts, with the claim's own cues subtracted (a claim that itself
says "không" or "tin giả" must not make every repeat look like a denial).

The cue lists were written from general knowledge of how Vietnamese and English posts deny and ask, then
extended once from the stance errors on the real-language **train** split (never dev or test); the weights
that combine them are learnt (`matching/stance.py`). Ambiguous words stay out of the refuting cues: "tin
đồn" and "cảnh báo" open a repeat as often as a denial ("Tin đồn cho biết…", "Cảnh báo: kẻ gian…").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from kiemchung.text.normalize import fold_diacritics, tokens

# Phrases that say a claim is false, a rumour, a scam, or that an authority denied it.
REFUTE_CUES = (
    "tin giả",
    "tin gia",
    "tin fake",
    "fake news",
    "thất thiệt",
    "sai sự thật",
    "không đúng sự thật",
    "không chính xác",
    "thông tin sai",
    "không đúng",
    "không có chuyện",
    "làm gì có",
    "chẳng có",
    "không hề",
    "hoàn toàn không",
    "bác bỏ",
    "phủ nhận",
    "bác tin",
    "đính chính",
    "khẳng định không",
    "không có cơ sở",
    "không có căn cứ",
    "vô căn cứ",
    "không có bằng chứng",
    "chưa có bằng chứng",
    "không có cơ sở khoa học",
    "bịa đặt",
    "xuyên tạc",
    "giả mạo",
    "mạo danh",
    "lừa đảo",
    "đừng tin",
    "không nên tin",
    "đừng chia sẻ",
    "đừng share",
    "thực chất",
    "thực tế là",
    "sự thật là",
    "không phải",
    "chưa từng",
    "không có thật",
    "không có quy định",
    "chưa có quy định",
    # added from the train split's errors
    "là sai",
    "sai lệch",
    "chưa có căn cứ",
    "phóng đại",
    "không xảy ra",
    "không ghi nhận",
    "không có ghi nhận",
    "không ban hành",
    "chưa ban hành",
    "không có quyết định",
    "chưa có quyết định",
    "nguyên giá trị",
    "không thể",
    "không đủ để kết luận",
    "fabricated",
    "made up",
    "no announcement",
    "made no",
    "no such",
    "is false",
    "fake",
    "hoax",
    "myth",
    "debunk",
    "debunked",
    "false",
    "not true",
    "untrue",
    "no evidence",
    "misleading",
    "baseless",
    "denied",
    "denies",
    "rumor",
    "rumour",
    "scam",
    "fact check",
    "there is no",
    "did not",
    "does not",
    "never said",
)
# Phrases that ask whether something is true.
ASK_CUES = (
    "có thật",
    "có phải",
    "phải không",
    "phải ko",
    "đúng không",
    "đúng ko",
    "thật không",
    "thật ko",
    "thật hả",
    "thật vậy",
    "không ạ",
    "ko ạ",
    "hả",
    "hở",
    "à",
    "không nhỉ",
    "ai biết",
    "có ai",
    "cho hỏi",
    "cho em hỏi",
    "cho mình hỏi",
    "xin hỏi",
    "hỏi chút",
    "liệu",
    "có đúng",
    "xác nhận giúp",
    "check giúp",
    "kiểm chứng giúp",
    "nghe nói",
    "nghe bảo",
    "is it true",
    "is this true",
    "is that true",
    "really",
    "anyone know",
    "can anyone",
    "confirm",
    "real or fake",
    "true or false",
    # added from the train split's errors
    "thật hay",
    "hay đùa",
    "hay không",
    "không vậy",
    "ko vậy",
    "không mọi người",
    "ko mn",
    "is this real",
    "is it real",
    "for real",
)
# Hearsay and spreading cues: a post that passes something on ("chia sẻ ngay", "nghe nói").
SPREAD_CUES = (
    "tin đồn cho biết",
    "có tin cho rằng",
    "có tin",
    "theo tin đồn",
    "tin đồn",
    "cảnh báo",
    "chia sẻ",
    "share",
    "lan truyền",
    "khẩn",
    "cấp báo",
    "nóng",
    "hot",
    "mọi người",
    "cả nhà",
    "các bác",
    "ae",
    "anh em",
)
NEGATIONS = ("không", "chưa", "chẳng", "chả", "đâu", "not", "no", "never")  # "ko", "k"… arrive as "không"

STANCE_FEATURES = (
    "bias",
    "refute_cues",
    "ask_cues",
    "spread_cues",
    "question_mark",
    "ends_with_question",
    "negations",
    "refute_and_question",
    "claim_in_question",
    "negated_claim_words",
)

_QUESTION_END = re.compile(r"\?\s*[\W_]*$")


@lru_cache(maxsize=4096)
def _folded(text: str) -> tuple[str, ...]:
    """Folded tokens; cached, since a post is read once per matched claim and a claim once per post."""
    return tuple(fold_diacritics(t) for t in tokens(text))


def _phrases(cues: Iterable[str]) -> list[tuple[str, ...]]:
    return sorted({_folded(c) for c in cues if c.strip()}, key=len, reverse=True)


_REFUTE = _phrases(REFUTE_CUES)
_ASK = _phrases(ASK_CUES)
_SPREAD = _phrases(SPREAD_CUES)
_NEGATIONS = frozenset(fold_diacritics(n) for n in NEGATIONS)


def _count(words: Sequence[str], phrases: list[tuple[str, ...]]) -> int:
    """Occurrences of the phrases, longest first, without counting a word twice."""
    used = [False] * len(words)
    found = 0
    for phrase in phrases:
        n = len(phrase)
        for i in range(len(words) - n + 1):
            if tuple(words[i : i + n]) == phrase and not any(used[i : i + n]):
                used[i : i + n] = [True] * n
                found += 1
    return found


def stance_features(post: str, claim: str) -> dict[str, float]:
    """Cue counts of the post beyond those the claim itself has."""
    words, claim_words = _folded(post), _folded(claim)

    def beyond(phrases: list[tuple[str, ...]]) -> float:
        return float(max(_count(words, phrases) - _count(claim_words, phrases), 0))

    negations = sum(1 for w in words if w in _NEGATIONS) - sum(1 for w in claim_words if w in _NEGATIONS)
    refute, ask = beyond(_REFUTE), beyond(_ASK)
    questions = post.count("?") + post.count("？")
    negated = _negated(words, claim_words) - _negated(claim_words, claim_words)
    return {
        "bias": 1.0,
        "refute_cues": min(refute, 3.0),
        "ask_cues": min(ask, 3.0),
        "spread_cues": min(beyond(_SPREAD), 3.0),
        "question_mark": float(min(questions, 2)),
        "ends_with_question": float(bool(_QUESTION_END.search(post.strip()))),
        "negations": float(max(min(negations, 3), -1)),
        "refute_and_question": float(refute > 0 and questions > 0),
        "claim_in_question": float(ask > 0 and questions > 0),
        "negated_claim_words": float(max(min(negated, 2), 0)),
    }


def _negated(words: Sequence[str], claim_words: Sequence[str]) -> int:
    """Words of the claim that a negation stands right before ("không bỏ kỳ thi" against "bỏ kỳ thi")."""
    claim = set(claim_words) - _NEGATIONS
    return sum(
        1
        for i, w in enumerate(words[:-1])
        if w in _NEGATIONS and (words[i + 1] in claim or (i + 2 < len(words) and words[i + 2] in claim))
    )


def stance_terms(post: str, claim: str) -> set[str]:
    """The post's own words and word pairs (folded), those of the claim left out: what a learnt stance
    model may weigh beyond the cue lists ("t:" + term)."""
    claim_words = set(_folded(claim))
    words = [w for w in _folded(post) if w not in claim_words and not w.isdigit()]
    return {f"t:{w}" for w in words} | {f"t:{a}_{b}" for a, b in zip(words, words[1:], strict=False)}
