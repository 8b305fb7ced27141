"""The post's stance toward a matched claim: "repeats", "asks" or "refutes".

Two one-against-the-rest logistic models (does the post refute the claim? does it ask about it?) over the
cue features of `text/stance.py` and the post's own words beyond the claim's (a vocabulary of words and
word pairs seen in at least five train posts), trained on the real-language train split by
`scripts/train_matcher.py` and shipped in `artifacts/stance.json`. Without the artifact a plain rule
stands in (a refuting cue → refutes, a question → asks).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kiemchung.matching.decision import LogisticModel
from kiemchung.text.stance import stance_features, stance_terms

STANCE_ARTIFACT = Path(__file__).parent / "artifacts" / "stance.json"
STANCES = ("repeats", "asks", "refutes")


@dataclass
class StanceModel:
    refutes: LogisticModel | None = None
    asks: LogisticModel | None = None
    provenance: dict[str, object] = field(default_factory=dict)
    # Missing a denial costs a false repeat alert; chosen on the dev split (scripts/train_matcher.py).
    refute_threshold: float = 0.5

    def probabilities(self, features: Mapping[str, float]) -> tuple[float, float]:
        """(P(refutes), P(asks)) for a post's cue features."""
        if self.refutes is None or self.asks is None:
            refute = 1.0 if features.get("refute_cues", 0.0) > 0 else 0.0
            ask = 1.0 if features.get("question_mark", 0.0) > 0 or features.get("ask_cues", 0.0) > 0 else 0.0
            return refute, ask
        return self.refutes.probability(features), self.asks.probability(features)

    def features(self, post: str, claim: str) -> dict[str, float]:
        """Cue counts, and a 1 for each of the post's own terms that the models know."""
        features = stance_features(post, claim)
        known = self._vocabulary
        features.update({term: 1.0 for term in stance_terms(post, claim) if term in known})
        return features

    @property
    def _vocabulary(self) -> frozenset[str]:
        if self.refutes is None:
            return frozenset()
        return frozenset(n for n in self.refutes.names if n.startswith("t:"))

    def stance(self, post: str, claim: str) -> str:
        refute, ask = self.probabilities(self.features(post, claim))
        if refute >= self.refute_threshold and (refute >= ask or ask < 0.5):
            return "refutes"
        if ask >= 0.5:
            return "asks"
        return "repeats"

    def save(self, path: Path = STANCE_ARTIFACT) -> None:
        if self.refutes is None or self.asks is None:
            raise ValueError("an untrained stance model has nothing to save")
        data = {
            "refutes": self.refutes.to_json(),
            "asks": self.asks.to_json(),
            "refute_threshold": self.refute_threshold,
            "provenance": self.provenance,
        }
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path = STANCE_ARTIFACT) -> StanceModel:
        """The shipped model, or the plain rule where no artifact exists."""
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            LogisticModel.from_json(data["refutes"]),
            LogisticModel.from_json(data["asks"]),
            data.get("provenance", {}),
            float(data.get("refute_threshold", 0.5)),
        )
