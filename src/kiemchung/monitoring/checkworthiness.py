"""Is a sentence a checkable factual claim? Features a reader can inspect, weighed by a small logistic model.

Claims carry numbers, named actors (capitalised words, acronyms such as UBND), reporting verbs, policy,
health and causal vocabulary. Opinion, questions, greetings, advice to the reader and page boilerplate
("Bạn đang xem:", "Xem thêm:", comment forms, bylines, photo captions) do not. The labelled set and its
guidelines are in bench/data/checkworthiness.jsonl and docs/checkworthiness.md; the weights are fitted by
scripts/train_checkworthiness.py.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from kiemchung.matching.decision import LogisticModel
from kiemchung.text.normalize import canonical_tones

ARTIFACT = Path(__file__).parent / "artifacts" / "checkworthiness.json"

BOILERPLATE = (
    "bạn đang xem", "xem thêm", "bình luận", "đăng nhập", "chia sẻ", "theo dõi", "bản quyền", "quảng cáo",
    "tin liên quan", "đọc tiếp", "trang chủ", "tải ứng dụng", "nhấn vào đây", "email của bạn", "họ và tên",
    "bài viết", "ảnh minh họa", "ảnh:", "tổng hợp", "read more", "related articles", "leave a comment",
    "subscribe", "click here", "your email", "share this", "thanks for reading", "all rights reserved",
)  # fmt: skip
GREETING = ("xin chào", "chào ", "cảm ơn", "chúc ", "good morning", "hello", "thanks", "thank you")
OPINION = (
    "tôi nghĩ", "theo tôi", "theo mình", "mình thấy", "tôi thấy", "cảm thấy", "hy vọng", "hi vọng", "mong ",
    "nên ", "hãy ", "đừng ", "đáng buồn", "tuyệt vời", "quá ", "thật là", "chắc ", "i think", "in my opinion",
    "we hope", "let's", "should", "beautiful", "amazing", "the best",
)  # fmt: skip
ADDRESS = (" bạn ", "các bạn", " em ", "chị ", "cô ", " mày", "you ")
NARRATOR = ("tôi ", "mình ", "chúng tôi", "vợ chồng tôi", "anh ta", " i ", " my ", " we ")
QUESTION = (" gì", " sao", " nào", " không ạ", " à", " nhỉ", " chăng", "what ", "how ", "why ", "does ", "who ")
REPORTING = (
    "cho biết", "công bố", "khẳng định", "tuyên bố", "thông báo", "ghi nhận", "xác định", "kết luận",
    "theo đó", "said", "announced", "reported", "according to",
)  # fmt: skip
POLICY = (
    "quy định", "nghị định", "thông tư", "luật", "phạt", "thuế", "hiệu lực", "chính phủ", "bộ ", "ubnd", "tand",
    "tòa", "công an", "bị cáo", "khởi tố", "bản án", "xử", "law", "fine", "government", "court", "minister",
)  # fmt: skip
CAUSAL_HEALTH = (
    "gây", "khiến", "giúp", "tăng", "giảm", "dẫn đến", "làm ", "cause", "rose", "fell", "increase", "decrease",
    "spread", "lead to",
)  # fmt: skip
HEALTH = (
    "chữa", "ung thư", "vắc xin", "vaccine", "virus", "dịch", "tử vong", "bệnh", "vô sinh", "thuốc", "phòng ngừa",
    "corona", "covid", "sức khỏe", "cure", "cancer", "died", "infection", "disease", "prevent",
)  # fmt: skip
UNITS = ("%", "đồng", "usd", "triệu", "tỷ", "tỉ", "nghìn", "ngàn", "tấn", "người", "m2", "ha", "km", "percent",
         "million", "billion", "tonnes", "people")  # fmt: skip

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NUMBER = re.compile(r"\d")
_DATE = re.compile(r"\d{1,2}\s*[/.-]\s*\d{1,2}|năm \d{4}|tháng \d{1,2}|\b(19|20)\d{2}\b")
NAMES = (
    "bias", "log_words", "short", "has_digit", "numbers", "number_unit", "date", "capitalised", "acronym",
    "boilerplate", "greeting", "opinion", "address", "narrator", "question_mark", "question_word", "exclaim",
    "reporting", "policy", "causal_health", "quote", "colon_label", "ends_without_stop", "named_actor",
    "conditional", "organisation", "english_claim_verb", "health",
)  # fmt: skip
_NAMED_ACTOR = re.compile(r"\b(ông|bà|anh|chị|cụ|mr|mrs|ms|dr)\.? [A-ZĐÂĂÊÔƠƯÁÀẢÃẠ]", re.IGNORECASE)
CONDITIONAL = (" nếu ", " giá mà", " lẽ ra", " đúng lý ra", " if ", " would ")
ORGANISATION = (
    "công ty",
    "ngân hàng",
    "trường",
    "bệnh viện",
    "viện ",
    "sở ",
    "cục ",
    "tổng cục",
    "hội đồng",
    "thành phố",
    "tỉnh",
    "huyện",
    "xã ",
    "phường",
    "company",
    "bank",
    "ministry",
    "city",
    "province",
)
EN_CLAIM_VERB = (
    " is ",
    " are ",
    " was ",
    " were ",
    " has ",
    " have ",
    " will ",
    " causes",
    " cures",
    " raises",
    " exported",
    " cut ",
    " doubled",
    " evacuated",
    " spread",
    " prevents",
)


def _has_any(text: str, cues: tuple[str, ...]) -> float:
    return 1.0 if any(cue in text for cue in cues) else 0.0


def features(sentence: str) -> dict[str, float]:
    text = canonical_tones(sentence.strip())
    lowered = f" {text.lower()} "
    words = _WORD.findall(text)
    inner = words[1:]
    numbers = re.findall(r"\d+(?:[.,]\d+)*", text)
    return {
        "bias": 1.0,
        "log_words": math.log1p(len(words)),
        "short": 1.0 if len(words) < 5 else 0.0,
        "has_digit": 1.0 if _NUMBER.search(text) else 0.0,
        "numbers": min(len(numbers), 5) / 5,
        "number_unit": 1.0 if numbers and any(u in lowered for u in UNITS) else 0.0,
        "date": 1.0 if _DATE.search(lowered) else 0.0,
        "capitalised": min(sum(1 for w in inner if w[:1].isupper()), 6) / 6,
        "acronym": 1.0 if any(len(w) >= 2 and w.isupper() for w in words) else 0.0,
        "boilerplate": _has_any(lowered, BOILERPLATE),
        "greeting": 1.0 if any(lowered.lstrip().startswith(g.strip()) for g in GREETING) else 0.0,
        "opinion": _has_any(lowered, OPINION),
        "address": _has_any(lowered, ADDRESS),
        "narrator": _has_any(lowered, NARRATOR),
        "question_mark": 1.0 if "?" in text else 0.0,
        "question_word": _has_any(lowered, QUESTION),
        "exclaim": 1.0 if "!" in text else 0.0,
        "reporting": _has_any(lowered, REPORTING),
        "policy": _has_any(lowered, POLICY),
        "causal_health": _has_any(lowered, CAUSAL_HEALTH),
        "quote": 1.0 if text[:1] in "\"'“‘" else 0.0,
        "colon_label": 1.0 if re.match(r"^[^:]{1,25}:\s*\S", text) and len(words) < 12 else 0.0,
        "ends_without_stop": 0.0 if text[-1:] in '.!?…"”' else 1.0,
        "named_actor": 1.0 if _NAMED_ACTOR.search(text) and not text.lower().startswith(("anh ", "chị ")) else 0.0,
        "conditional": _has_any(lowered, CONDITIONAL),
        "organisation": _has_any(lowered, ORGANISATION),
        "english_claim_verb": _has_any(lowered, EN_CLAIM_VERB),
        "health": _has_any(lowered, HEALTH),
    }


def baseline_score(sentence: str) -> float:
    """The simple rule reported beside the model: a sentence with a digit is a claim."""
    return 1.0 if _NUMBER.search(sentence) else 0.0


class CheckWorthiness:
    def __init__(self, model: LogisticModel, threshold: float) -> None:
        self.model = model
        self.threshold = threshold

    def score(self, sentence: str) -> float:
        return round(self.model.probability(features(sentence)), 4)

    def is_claim(self, sentence: str) -> bool:
        return self.score(sentence) >= self.threshold

    def to_json(self) -> dict[str, object]:
        return {"model": self.model.to_json(), "threshold": self.threshold}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> CheckWorthiness:
        model = data["model"]
        assert isinstance(model, Mapping)
        threshold = data["threshold"]
        assert isinstance(threshold, int | float)
        return cls(LogisticModel.from_json(model), float(threshold))


@lru_cache(maxsize=1)
def default_checkworthiness() -> CheckWorthiness:
    return CheckWorthiness.from_json(json.loads(ARTIFACT.read_text(encoding="utf-8")))
