"""Choosing a drill's items from an organisation's archive. Pure: the service feeds in the archive and the
matching engine's verdicts and stores what comes out.

A drill has at least 40 % true items (`MIN_TRUE_SHARE`), so that it measures telling true from false and not
only doubting everything. False items are the published false or misleading claims, their real appearances
(posts matched to them) and variants made by `text/variants.py` (typed without diacritics, social-media
style); a variant is kept only when the matching engine still matches it to its own claim. True items are
claims rated true and the same kinds of variants of them, then, when too few, accurate sentences from the
evidence stored on the cases; none may match a false claim."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kiemchung.domain.models import FactCheck, Rating
from kiemchung.domain.ratings import is_debunked
from kiemchung.text.normalize import fold_diacritics, normalize_for_matching
from kiemchung.text.sentences import split_sentences
from kiemchung.text.variants import shorthand, strip_diacritics

MIN_TRUE_SHARE = 0.4
MIN_SIZE, MAX_SIZE = 10, 100
TRUE_LABELS = frozenset({"đúng", "true", "correct", "chính xác", "sự thật"})
EVIDENCE_SENTENCE_CHARS = (40, 300)  # shorter is a fragment, longer a paragraph


@dataclass(frozen=True)
class Candidate:
    """A possible drill item. `factcheck` is the fact-check it comes from (None for evidence sentences)."""

    text: str
    origin: str  # claim | appearance | variant | true_claim | evidence
    is_signal: bool
    rating_label: str
    factcheck: FactCheck | None = None
    variant: str | None = None
    case_id: int | None = None

    @property
    def group(self) -> str:
        """Items of one group state the same claim; a drill spreads its picks over the groups."""
        if self.factcheck is not None:
            return self.factcheck.id
        return f"case-{self.case_id}-{self.text[:40]}"


def is_rated_true(rating: Rating) -> bool:
    if rating.value is not None and rating.best is not None:
        return rating.value >= rating.best
    return rating.label.casefold() in TRUE_LABELS


def is_rated_false(rating: Rating) -> bool:
    return is_debunked(rating.label, rating.value, rating.best, rating.worst)


def true_items_needed(size: int) -> int:
    return math.ceil(size * MIN_TRUE_SHARE)


def _folded(text: str) -> str:
    return f" {fold_diacritics(normalize_for_matching(text)).lower()} "


def on_topics(text: str, topics: Sequence[str]) -> bool:
    """Does the text mention any of the topic keywords (whole words, diacritics ignored)? True without topics."""
    if not topics:
        return True
    folded = _folded(text)
    return any(_folded(topic) in folded for topic in topics if topic.strip())


def in_language(factcheck: FactCheck, language: str) -> bool:
    return (factcheck.language or language) == language


def false_candidates(
    factcheck: FactCheck, appearances: Iterable[str], rng: random.Random
) -> tuple[list[Candidate], list[Candidate]]:
    """(the claim and its appearances, the variants to be checked by the matching engine) of a false claim."""
    label = factcheck.rating.label
    real = [Candidate(factcheck.claim, "claim", True, label, factcheck)]
    real += [Candidate(text, "appearance", True, label, factcheck) for text in appearances if text != factcheck.claim]
    variants = [
        Candidate(strip_diacritics(factcheck.claim), "variant", True, label, factcheck, "no_diacritics"),
        Candidate(shorthand(factcheck.claim, rng), "variant", True, label, factcheck, "social"),
    ]
    return real, [v for v in variants if v.text != factcheck.claim]


def true_claim_candidates(factchecks: Iterable[FactCheck], rng: random.Random) -> list[Candidate]:
    """Claims rated true, and the same variants false claims get: were only false items typed without
    diacritics or in social-media style, the style alone would give the answer away."""
    found = []
    for fc in factchecks:
        label = fc.rating.label
        found.append(Candidate(fc.claim, "true_claim", False, label, fc))
        found.append(Candidate(strip_diacritics(fc.claim), "variant", False, label, fc, "no_diacritics"))
        found.append(Candidate(shorthand(fc.claim, rng), "variant", False, label, fc, "social"))
    return [c for c in found if c.origin != "variant" or c.text != c.factcheck.claim]  # type: ignore[union-attr]


def evidence_candidates(texts: Iterable[tuple[int, str]], label: str, topics: Sequence[str]) -> list[Candidate]:
    """One candidate per sentence of reasonable length in the evidence texts (case id, text), on the topics."""
    low, high = EVIDENCE_SENTENCE_CHARS
    seen: set[str] = set()
    found = []
    for case_id, text in texts:
        for sentence in split_sentences(text):
            if low <= len(sentence) <= high and sentence not in seen and on_topics(sentence, topics):
                seen.add(sentence)
                found.append(Candidate(sentence, "evidence", False, label, case_id=case_id))
    return found


def spread_pick(candidates: Sequence[Candidate], count: int, rng: random.Random) -> list[Candidate]:
    """`count` candidates, one per group in turn (shuffled), so a drill covers as many claims as it can."""
    groups: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        groups.setdefault(candidate.group, []).append(candidate)
    queues = list(groups.values())
    rng.shuffle(queues)
    for queue in queues:
        rng.shuffle(queue)
    picked: list[Candidate] = []
    while len(picked) < count and any(queues):
        for queue in queues:
            if queue and len(picked) < count:
                picked.append(queue.pop())
    return picked


def split_for(size: int, false_available: int, true_available: int) -> tuple[int, int] | str:
    """(false items, true items) for a drill of `size`, or why it cannot be assembled."""
    true_count = true_items_needed(size)
    if true_available < true_count:
        return (f"a drill of {size} items needs at least {true_count} true items; the archive has "
                f"{true_available} on these topics and in this language")  # fmt: skip
    false_count = min(size - true_count, false_available)
    true_count = min(size - false_count, true_available)
    if false_count + true_count < size or false_count == 0:
        return (f"a drill of {size} items needs {size - true_count} false items; the archive has "
                f"{false_available} on these topics and in this language")  # fmt: skip
    return false_count, true_count
