"""What the matcher needs to know about one sentence, computed once: tokens, folded tokens, bigrams,
numbers, named things, negation and polarity words, and spin groups. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from kiemchung.text.normalize import canonical_tones, fold_diacritics, tokens
from kiemchung.text.spinning import SpinTable, default_spin_table

NEGATIONS = frozenset(
    {
        "không",
        "chưa",
        "chẳng",
        "chả",
        "đừng",
        "chớ",
        "not",
        "no",
        "never",
        "none",
        "nobody",
        "nothing",
        "neither",
        "nor",
        "without",
        "deny",
        "denies",
        "denied",
        "cannot",
    }
)
NEGATION_BIGRAMS = frozenset(
    {("phủ", "nhận"), ("bác", "bỏ"), ("sai", "sự")}
    | {
        (w, "t")
        for w in (
            "don",
            "doesn",
            "didn",
            "isn",
            "aren",
            "wasn",
            "weren",
            "can",
            "won",
            "hasn",
            "haven",
            "hadn",
            "shouldn",
            "wouldn",
            "couldn",
        )
    }
)
# "không"/"chưa" at the end of a sentence, or followed only by particles and forms of address, ask a question.
QUESTION_NEGATIONS = frozenset({"không", "chưa"})
QUESTION_TAIL = frozenset(
    {"vậy", "ạ", "nhỉ", "hả", "à", "nhé", "ta", "hở", "ha", "chứ", "đó", "đấy", "thế", "mọi", "người", "các", "bạn",
     "bác", "anh", "chị", "em", "ơi", "ae", "cả", "nhà", "ad", "admin"}
)  # fmt: skip
# Words whose opposite in a near-identical sentence makes a different claim.
_OPPOSITES = [
    ("tăng", "giảm"),
    ("lên", "xuống"),
    ("cao", "thấp"),
    ("nhiều", "ít"),
    ("thắng", "thua"),
    ("trước", "sau"),
    ("đầu", "cuối"),
    ("mở", "đóng"),
    ("cấm", "phép"),
    ("lớn", "nhỏ"),
    ("dài", "ngắn"),
    ("mua", "bán"),
    ("nhập", "xuất"),
    ("đúng", "sai"),
    ("thật", "giả"),
    ("sống", "chết"),
    ("nam", "nữ"),
    ("increase", "decrease"),
    ("rise", "fall"),
    ("more", "less"),
    ("higher", "lower"),
    ("up", "down"),
    ("win", "lose"),
    ("before", "after"),
    ("true", "false"),
    ("open", "close"),
    ("ban", "allow"),
    ("increased", "decreased"),
    ("rose", "fell"),
    ("won", "lost"),
    ("alive", "dead"),
    ("male", "female"),
]
OPPOSITE: dict[str, str] = {a: b for a, b in _OPPOSITES} | {b: a for a, b in _OPPOSITES}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?…:]\s*[\"“'‘(]*\s*$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


MAGNITUDES = {"nghìn": 1e3, "ngàn": 1e3, "triệu": 1e6, "tỉ": 1e9, "thousand": 1e3, "million": 1e6, "billion": 1e9}


def _number(word: str) -> float | None:
    return float(word) if _NUMBER.match(word) else None


def _canonical(value: float) -> str:
    return str(int(round(value))) if abs(value - round(value)) < 1e-6 else f"{value:g}"


def quantities(words: tuple[str, ...] | list[str]) -> list[str]:
    """Numbers as stated, with an amount and its magnitude read as one value: "2.34 triệu", "2 triệu 340"
    (how "2tr340" is typed), "1 triệu 8" ("1tr8") and "2340 nghìn" all give 2340000."""
    out: list[str] = []
    i = 0
    while i < len(words):
        value = _number(words[i])
        if value is None:
            i += 1
            continue
        magnitude = MAGNITUDES.get(words[i + 1]) if i + 1 < len(words) else None
        if magnitude is None:
            out.append(words[i])
            i += 1
            continue
        amount, i = value * magnitude, i + 2
        rest = _number(words[i]) if i < len(words) and "." not in words[i] else None
        smaller = MAGNITUDES.get(words[i + 1], magnitude) if rest is not None and i + 1 < len(words) else magnitude
        if rest is not None and smaller < magnitude:
            amount += rest * smaller  # 2 triệu 340 nghìn
            i += 2
        elif rest is not None and smaller == magnitude and (i + 1 >= len(words) or words[i + 1] not in MAGNITUDES):
            amount += rest / 10 ** len(words[i]) * magnitude  # 1tr8 = 1.8 triệu, 2tr340 = 2.34 triệu
            i += 1
        out.append(_canonical(amount))
    return out


@dataclass(frozen=True)
class Analysis:
    text: str
    words: tuple[str, ...]
    spin: SpinTable

    @cached_property
    def folded(self) -> tuple[str, ...]:
        return tuple(fold_diacritics(w) for w in self.words)

    @cached_property
    def bigrams(self) -> tuple[str, ...]:
        return tuple(f"{a}_{b}" for a, b in zip(self.words, self.words[1:], strict=False))

    @cached_property
    def folded_bigrams(self) -> tuple[str, ...]:
        return tuple(f"{a}_{b}" for a, b in zip(self.folded, self.folded[1:], strict=False))

    @cached_property
    def numbers(self) -> frozenset[str]:
        """The quantities the text states, amounts in one canonical form (2,34 triệu = 2tr340 = 2340000)."""
        return frozenset(quantities(self.words))

    @cached_property
    def negations(self) -> int:
        """Negating words and phrases; "không" that closes a question ("có thật không vậy?") is a question
        particle, not a negation."""
        pairs = zip(self.words, self.words[1:], strict=False)
        words = [
            w
            for i, w in enumerate(self.words)
            if w in NEGATIONS and not (w in QUESTION_NEGATIONS and all(t in QUESTION_TAIL for t in self.words[i + 1 :]))
        ]
        return len(words) + sum(1 for p in pairs if p in NEGATION_BIGRAMS)

    @cached_property
    def names(self) -> frozenset[str]:
        """Folded capitalised words that do not open the text: places, organisations, people's roles."""
        found: set[str] = set()
        text = canonical_tones(self.text)
        for match in _WORD.finditer(text):
            word = match.group(0)
            if not word[0].isupper() or match.start() == 0 or _SENTENCE_END.search(text[: match.start()]):
                continue
            found.update(fold_diacritics(w) for w in tokens(word))
        return frozenset(found - {""})

    @cached_property
    def spans(self) -> list[tuple[int, int, tuple[int, ...]]]:
        """Spin-group phrases of the text: (start, end, group ids)."""
        return self.spin.group_spans(self.words)

    @cached_property
    def groups(self) -> frozenset[int]:
        return frozenset(g for _start, _end, ids in self.spans for g in ids)

    def features(self) -> dict[str, float]:
        """Lexical index features, each family under its own prefix, with counts."""
        counts: dict[str, float] = {}
        for prefix, values in (
            ("w:", self.words),
            ("b:", self.bigrams),
            ("f:", self.folded),
            ("fb:", self.folded_bigrams),
            ("g:", [str(g) for g in self.groups]),
        ):
            for value in values:
                key = prefix + value
                counts[key] = counts.get(key, 0.0) + 1.0
        return counts


def analyse(text: str, spin: SpinTable | None = None) -> Analysis:
    return Analysis(text=text, words=tuple(tokens(text)), spin=spin or default_spin_table())
