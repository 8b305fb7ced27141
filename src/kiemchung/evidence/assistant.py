"""For a claim: the evidence sentences that bear on it, each one's stance, and a suggested verdict.

`EvidenceAssistant.suggest` searches the library (`retrieval.EvidenceIndex`), ranks the sentences of the
best passages, has the pair model read each of the top sentences with the claim, and applies the verdict
model (`verdict.py`) to each: a sentence's own stance, and — from the best sentence — the claim's
suggested verdict. Suggestions are never published by themselves: a fact-checker accepts evidence into a
case and decides the verdict.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from kiemchung.evidence.checks import fact_flags
from kiemchung.evidence.retrieval import EvidenceIndex, RankedSentence
from kiemchung.evidence.verdict import STANCES, VERDICTS, VerdictModel, verdict_features
from kiemchung.matching.pairmodel import PairModel, shipped_pair_model

CANDIDATE_PASSAGES = 20
AROUND = 3  # sentences that count as the best one's neighbourhood in the features


@dataclass(frozen=True)
class EvidenceSentence:
    document_id: str
    sentence: str
    score: float  # relevance, 0..1
    stance: str  # supports | refutes | neutral
    stance_confidence: float
    passage: int = 0
    flags: tuple[str, ...] = ()  # number_mismatch, date_mismatch, older_than_claim
    url: str | None = None
    title: str | None = None
    publisher: str | None = None
    published: date | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "document_id": self.document_id,
            "sentence": self.sentence,
            "score": round(self.score, 4),
            "stance": self.stance,
            "stance_confidence": round(self.stance_confidence, 4),
            "flags": list(self.flags),
            "url": self.url,
            "title": self.title,
            "publisher": self.publisher,
            "published": self.published.isoformat() if self.published else None,
        }


@dataclass(frozen=True)
class Suggestion:
    verdict: str  # supported | refuted | not_enough_info
    confidence: float
    evidence: list[EvidenceSentence] = field(default_factory=list)
    probabilities: dict[str, float] = field(default_factory=dict)

    def to_json(self, claim_id: object | None = None) -> dict[str, object]:
        """The `kiemchung evidence suggest` line (README, "Evidence assistant")."""
        data: dict[str, object] = {} if claim_id is None else {"id": claim_id}
        data.update(
            verdict=self.verdict,
            confidence=round(self.confidence, 4),
            evidence=[e.to_json() for e in self.evidence],
        )
        return data


NOTHING_FOUND = Suggestion("not_enough_info", 1.0, [], {"supported": 0.0, "refuted": 0.0, "not_enough_info": 1.0})
_SHIPPED = object()
PAIR_MEMO = 4096  # (sentence, claim) readings of the pair model kept, least recently used dropped first


class EvidenceAssistant:
    def __init__(
        self,
        index: EvidenceIndex,
        verdict_model: VerdictModel | None = None,
        pair_model: PairModel | None | object = _SHIPPED,
        candidates: int = CANDIDATE_PASSAGES,
    ) -> None:
        self.index = index
        self.verdict_model = verdict_model if verdict_model is not None else VerdictModel.load()
        self.pair_model = shipped_pair_model() if pair_model is _SHIPPED else pair_model
        self.candidates = candidates
        self._pair_memo: OrderedDict[tuple[str, str], list[float]] = OrderedDict()
        self._pair_lock = threading.Lock()  # the web server judges claims from several threads

    def suggest(self, claim: str, top: int = 5, claimed_on: date | None = None) -> Suggestion:
        """Search the whole library for `claim`."""
        hits = self.index.search(claim, k=self.candidates)
        ranked = self.index.rank_sentences(claim, [passage for passage, _ in hits], k=max(top, AROUND))
        return self.judge(claim, ranked, top, self.index.document_text, claimed_on)

    def judge(
        self,
        claim: str,
        ranked: Sequence[RankedSentence],
        top: int,
        source_text: Callable[[str], str],
        claimed_on: date | None = None,
    ) -> Suggestion:
        """Stances and verdict for sentences already ranked against `claim` (best first)."""
        if not ranked or not claim.strip():
            return NOTHING_FOUND
        judged = [
            (item, self.verdict_model.probabilities(features))
            for item, features in self.features(claim, ranked, top, source_text)
        ]
        evidence = [self._sentence(claim, item, p, claimed_on) for item, p in judged[:top]]
        probabilities = judged[0][1]
        verdict = max(VERDICTS, key=lambda label: probabilities[label])
        return Suggestion(verdict, probabilities[verdict], evidence, probabilities)

    def features(
        self, claim: str, ranked: Sequence[RankedSentence], top: int, source_text: Callable[[str], str]
    ) -> list[tuple[RankedSentence, dict[str, float]]]:
        """The verdict model's features for each of the `top` best sentences (what it was trained on: the
        first's, scripts/train_evidence_verdict.py)."""
        shown = list(ranked[: max(top, 1)])
        around = [r.sentence for r in ranked[:AROUND]]
        pair = self._pair([r.sentence for r in shown], claim)
        sources: dict[str, str] = {}
        out = []
        for number, item in enumerate(shown):
            source = sources.setdefault(item.document_id, source_text(item.document_id) or item.sentence)
            out.append((item, verdict_features(claim, item.sentence, around, source, pair[number] if pair else None)))
        return out

    def _pair(self, sentences: list[str], claim: str) -> list[list[float]] | None:
        """The pair model's reading of each (sentence, claim); a pair read recently is not read again (the same
        claim is judged given its document and over the library, asked again from the case page and the API)."""
        if self.pair_model is None or not isinstance(self.pair_model, PairModel):
            return None
        with self._pair_lock:
            known = {s: self._pair_memo[(s, claim)] for s in sentences if (s, claim) in self._pair_memo}
        unread = [s for s in dict.fromkeys(sentences) if s not in known]
        if unread:
            rows = self.pair_model.probabilities([(s, claim) for s in unread])
            known |= {sentence: row.tolist() for sentence, row in zip(unread, rows, strict=True)}
        with self._pair_lock:
            for sentence, reading in known.items():
                self._pair_memo[(sentence, claim)] = reading
                self._pair_memo.move_to_end((sentence, claim))
            while len(self._pair_memo) > PAIR_MEMO:
                self._pair_memo.popitem(last=False)
        return [known[s] for s in sentences]

    def _sentence(
        self, claim: str, item: RankedSentence, probabilities: dict[str, float], claimed_on: date | None
    ) -> EvidenceSentence:
        label = max(VERDICTS, key=lambda v: probabilities[v])
        document = self.index.documents.get(item.document_id)
        published = document.published if document else None
        return EvidenceSentence(
            document_id=item.document_id,
            sentence=item.sentence,
            score=item.score,
            stance=STANCES[label],
            stance_confidence=probabilities[label],
            passage=item.passage,
            flags=tuple(fact_flags(claim, item.sentence, published, claimed_on)),
            url=document.url if document else None,
            title=document.title if document else None,
            publisher=document.publisher if document else None,
            published=published,
        )
