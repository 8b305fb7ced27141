"""Pair features for the "same claim" decision: how much of each side the other covers (exactly, without
diacritics, or through spin groups), and the conflicts that make a same-topic sentence a different claim
(numbers, negation, opposites, names). Pure functions of two analyses and the archive's idf."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher

from kiemchung.text.analysis import MAGNITUDES, OPPOSITE, Analysis
from kiemchung.text.normalize import fold_diacritics

IdfLookup = Callable[[Sequence[str]], list[float]]
FOLDED_MAGNITUDES = frozenset(fold_diacritics(m) for m in MAGNITUDES)

LEXICAL_FEATURES = (
    "bias",
    "cov_claim",
    "cov_query",
    "soft_cov_claim",
    "soft_cov_query",
    "folded_cov_claim",
    "bigram_cov_claim",
    "missing_idf_claim",
    "number_conflict",
    "numbers_missing",
    "negation_mismatch",
    "opposite_conflict",
    "names_missing",
    "names_extra",
    "length_ratio",
    "lexical_relative",
    "lexical_top",
    "unmatched_claim_words",
    "unmatched_claim_max_idf",
    "numbers_missing_count",
    "fact_swaps",
    "number_swaps",
)
DENSE_FEATURES = ("dense", "dense_relative", "dense_x_lowcov")
ALL_FEATURES = LEXICAL_FEATURES + DENSE_FEATURES


def _weighted_cover(words: Sequence[str], matched: Sequence[bool], weights: Sequence[float]) -> float:
    total = sum(weights)
    if total <= 0:
        return 0.0
    return sum(w for w, hit in zip(weights, matched, strict=True) if hit) / total


def _soft_matches(side: Analysis, other: Analysis) -> list[bool]:
    """Per word of `side`: found in `other` exactly, folded, or through a shared spin group."""
    other_words, other_folded = set(other.words), set(other.folded)
    hits = [w in other_words or f in other_folded for w, f in zip(side.words, side.folded, strict=True)]
    for start, end, ids in side.spans:
        if other.groups.intersection(ids):
            for i in range(start, end):
                hits[i] = True
    return hits


def _swaps(claim: Analysis, query: Analysis, soft_claim: Sequence[bool]) -> tuple[int, int]:
    """Short replacements in the aligned texts where a number or name of the claim has no equivalent.

    A paraphrase inserts, drops and reorders; a different claim on the same topic swaps one fact (a date,
    a number, a name) inside an otherwise identical context. Spun or folded words count as equivalent.
    """
    matcher = SequenceMatcher(a=claim.folded, b=query.folded, autojunk=False)
    same_quantities = claim.numbers <= query.numbers  # "2,34 triệu" written "2tr340" is no swap
    swaps = numbers = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace" or i2 - i1 > 3 or j2 - j1 > 3:
            continue
        lost = [claim.folded[i] for i in range(i1, i2) if not soft_claim[i]]
        lost = [t for t in lost if not (same_quantities and (t[:1].isdigit() or t in FOLDED_MAGNITUDES))]
        if not any(token[:1].isdigit() or token in claim.names for token in lost):
            continue  # a reworded phrase, not a swapped number, date or name
        swaps += 1
        changed = claim.folded[i1:i2] + query.folded[j1:j2]
        numbers += any(token[:1].isdigit() for token in changed)
    return swaps, numbers


def lexical_features(
    query: Analysis, claim: Analysis, idf: IdfLookup, lexical_score: float, best_lexical: float
) -> dict[str, float]:
    claim_idf = idf(["w:" + w for w in claim.words])
    claim_fidf = idf(["f:" + w for w in claim.folded])
    claim_weights = [max(a, b) for a, b in zip(claim_idf, claim_fidf, strict=True)]
    query_weights = [
        max(a, b)
        for a, b in zip(idf(["w:" + w for w in query.words]), idf(["f:" + w for w in query.folded]), strict=True)
    ]
    query_words, query_folded = set(query.words), set(query.folded)
    claim_words = set(claim.words)
    exact_claim = [w in query_words for w in claim.words]
    soft_claim = _soft_matches(claim, query)
    soft_query = _soft_matches(query, claim)
    folded_claim = [f in query_folded for f in claim.folded]
    claim_bigrams = claim.folded_bigrams
    bigram_cover = (
        sum(1 for b in claim_bigrams if b in set(query.folded_bigrams)) / len(claim_bigrams) if claim_bigrams else 0.0
    )
    missing_numbers = claim.numbers - query.numbers
    opposite = any(OPPOSITE.get(w) in claim_words and w not in claim_words for w in query_words)
    names_missing = len(claim.names - {*query.folded, *query.names}) / max(len(claim.names), 1)
    names_extra = len(query.names - {*claim.folded, *claim.names}) / max(len(query.names), 1)
    unmatched = [w for w, hit in zip(claim_weights, soft_claim, strict=True) if not hit]
    swaps, number_swaps = _swaps(claim, query, soft_claim)
    missing_mass = sum(unmatched)
    return {
        "bias": 1.0,
        "cov_claim": _weighted_cover(claim.words, exact_claim, claim_weights),
        "cov_query": _weighted_cover(query.words, [w in claim_words for w in query.words], query_weights),
        "soft_cov_claim": _weighted_cover(claim.words, soft_claim, claim_weights),
        "soft_cov_query": _weighted_cover(query.words, soft_query, query_weights),
        "folded_cov_claim": _weighted_cover(claim.folded, folded_claim, claim_weights),
        "bigram_cov_claim": bigram_cover,
        "missing_idf_claim": math.log1p(missing_mass),
        "number_conflict": float(bool(missing_numbers) and bool(query.numbers - claim.numbers)),
        "numbers_missing": float(len(missing_numbers) > 0),
        "negation_mismatch": float((query.negations > 0) != (claim.negations > 0)),
        "opposite_conflict": float(opposite),
        "names_missing": names_missing,
        "names_extra": names_extra,
        "length_ratio": abs(math.log((len(query.words) + 1) / (len(claim.words) + 1))),
        "lexical_relative": lexical_score / best_lexical if best_lexical > 0 else 0.0,
        "lexical_top": float(best_lexical > 0 and lexical_score >= best_lexical),
        # One rare word of the claim that the post does not have (a date, a name) can make another claim.
        "unmatched_claim_words": math.log1p(len(unmatched)),
        "unmatched_claim_max_idf": max(unmatched, default=0.0),
        "numbers_missing_count": math.log1p(len(missing_numbers)),
        "fact_swaps": float(swaps),
        "number_swaps": float(number_swaps),
    }


def dense_features(features: dict[str, float], cosine: float, best_cosine: float) -> dict[str, float]:
    """Adds the dense similarity (e5 cosines are compressed: unrelated ≈ 0.8, paraphrase ≈ 0.9+)."""
    dense = (cosine - 0.8) * 5.0
    return {
        **features,
        "dense": dense,
        "dense_relative": (cosine - best_cosine) * 10.0,
        "dense_x_lowcov": dense * (1.0 - features["soft_cov_claim"]),
    }
