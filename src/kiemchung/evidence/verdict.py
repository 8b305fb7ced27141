"""Stance of an evidence sentence toward a claim, and the claim's suggested verdict.

One three-class (softmax) model over features of the claim read against its best evidence sentence and
the passages around it: how much of the claim the evidence states, the words each side has that the other
lacks (a swapped word or number is the usual "refutes"; many words the sources never mention, "not enough
information"), numbers and names the claim has that the sources do not, a negation on one side only, and
the pair model's reading of the two texts together. Trained by `scripts/train_evidence_verdict.py` on half
0 of ViFactCheck dev (by article) and the team-written evidence set's train split (counted twice), shipped
in `artifacts/verdict.json`; without it a plain rule stands in (the claim's words all stated: supported; a
swapped number or name: refuted; else not enough info).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np

from kiemchung.text.analysis import Analysis, analyse

ARTIFACT = Path(__file__).parent / "artifacts" / "verdict.json"
VERDICTS = ("supported", "refuted", "not_enough_info")
STANCES = {"supported": "supports", "refuted": "refutes", "not_enough_info": "neutral"}
PAIR_LABELS = ("repeats", "asks", "refutes", "other")  # the pair model's classes (matching/pairmodel.py)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def verdict_features(
    claim: str, best: str, around: Sequence[str], source: str, pair: Sequence[float] | None = None
) -> dict[str, float]:
    """Features of `claim` against its best evidence sentence, the few best sentences `around` it (the best
    included) and the `source` document (or passages) they come from; `pair`: the pair model's four
    probabilities for (best, claim), when it runs."""
    c, b, src = analyse(claim), analyse(best), analyse(source)
    near = [analyse(s) for s in around] or [b]
    claim_words, best_words, source_words = set(c.words), set(b.words), set(src.words)
    near_words = set().union(*(set(a.words) for a in near))
    claim_bigrams, best_bigrams = set(c.bigrams), set(b.bigrams)
    near_bigrams = set().union(*(set(a.bigrams) for a in near))
    only_claim, only_best = claim_words - best_words, best_words - claim_words
    features = {
        "cov_best": _share(len(claim_words & best_words), len(claim_words)),
        "cov_near": _share(len(claim_words & near_words), len(claim_words)),
        "unseen_share": _share(len(claim_words - source_words), len(claim_words)),
        "unseen_count": float(len(claim_words - source_words)),
        "bigram_cov_best": _share(len(claim_bigrams & best_bigrams), len(claim_bigrams)),
        "bigram_cov_near": _share(len(claim_bigrams & near_bigrams), len(claim_bigrams)),
        "bigram_missing_best": _share(len(claim_bigrams - best_bigrams), len(claim_bigrams)),
        "claim_only_count": float(len(only_claim)),
        "claim_only_unseen": float(len(only_claim - source_words)),
        "small_swap": float(0 < len(only_claim) <= 4),
        "best_only_share": _share(len(only_best), len(best_words)),
        **_fact_features(c, b, src),
        **_alignment_features(c.words, b.words),
    }
    probabilities = list(pair) if pair is not None else [0.0] * len(PAIR_LABELS)
    for label, value in zip(PAIR_LABELS, probabilities, strict=True):
        features[f"pair_{label}"] = float(value)
    features["pair_ran"] = float(pair is not None)
    return features


def _fact_features(claim: Analysis, best: Analysis, source: Analysis) -> dict[str, float]:
    return {
        "numbers_unseen": float(bool(claim.numbers - source.numbers)),
        "numbers_not_in_best": float(bool(claim.numbers - best.numbers)),
        "number_swap": float(bool(claim.numbers - best.numbers) and bool(best.numbers - claim.numbers)),
        "names_unseen": float(bool(claim.names - source.names)),
        "names_not_in_best": float(bool(claim.names - best.names)),
        "negation_mismatch": float(claim.negations != best.negations),
    }


def _alignment_features(claim: Sequence[str], best: Sequence[str]) -> dict[str, float]:
    """The claim aligned word by word with the sentence: a replaced run is a changed fact, words only the
    claim has are facts the sentence does not state, words only the sentence has are left out (harmless)."""
    replaced = added = replaced_runs = added_runs = 0
    matcher = SequenceMatcher(None, list(claim), list(best), autojunk=False)
    for op, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if op == "replace":
            replaced, replaced_runs = replaced + (i2 - i1), replaced_runs + 1
        elif op == "delete":
            added, added_runs = added + (i2 - i1), added_runs + 1
    words = max(len(claim), 1)
    return {
        "aligned_share": sum(block.size for block in matcher.get_matching_blocks()) / words,
        "replaced_share": replaced / words,
        "replaced_runs": float(replaced_runs),
        "added_share": added / words,
        "added_runs": float(added_runs),
        "one_short_replacement": float(replaced_runs == 1 and replaced <= 3),
    }


@dataclass
class VerdictModel:
    names: tuple[str, ...] = ()
    weights: np.ndarray = field(default_factory=lambda: np.zeros((0, len(VERDICTS))))
    bias: np.ndarray = field(default_factory=lambda: np.zeros(len(VERDICTS)))
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale: np.ndarray = field(default_factory=lambda: np.ones(0))
    provenance: dict[str, object] = field(default_factory=dict)

    @property
    def trained(self) -> bool:
        return bool(self.names)

    def probabilities(self, features: Mapping[str, float]) -> dict[str, float]:
        """P(supported), P(refuted), P(not_enough_info)."""
        if not self.trained:
            return _rule(features)
        raw = np.array([features.get(n, 0.0) for n in self.names], dtype=np.float64)
        z = ((raw - self.mean) / self.scale) @ self.weights + self.bias
        p = np.exp(z - z.max())
        p /= p.sum()
        return {label: float(v) for label, v in zip(VERDICTS, p, strict=True)}

    def to_json(self) -> dict[str, object]:
        return {
            "labels": list(VERDICTS),
            "names": list(self.names),
            "weights": self.weights.tolist(),
            "bias": self.bias.tolist(),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "provenance": self.provenance,
        }

    def save(self, path: Path = ARTIFACT) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path = ARTIFACT) -> VerdictModel:
        """The shipped model, or the plain rule where no artifact exists."""
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            tuple(data["names"]),
            np.array(data["weights"], dtype=np.float64),
            np.array(data["bias"], dtype=np.float64),
            np.array(data["mean"], dtype=np.float64),
            np.array(data["scale"], dtype=np.float64),
            dict(data.get("provenance", {})),
        )


def _rule(features: Mapping[str, float]) -> dict[str, float]:
    if features.get("number_swap") or (features.get("small_swap") and features.get("names_not_in_best")):
        return {"supported": 0.2, "refuted": 0.6, "not_enough_info": 0.2}
    if features.get("cov_best", 0.0) >= 0.9:
        return {"supported": 0.6, "refuted": 0.2, "not_enough_info": 0.2}
    return {"supported": 0.2, "refuted": 0.2, "not_enough_info": 0.6}


def fit_softmax(
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[str],
    l2: float = 1.0,
    weights: Sequence[float] | None = None,
) -> VerdictModel:
    """A multinomial logistic model (L2, L-BFGS) over the union of the rows' feature names; `weights`: how
    much each row counts (a row of weight 2 counts as two copies of it; all 1 by default)."""
    from scipy.optimize import minimize

    names = tuple(sorted({n for row in rows for n in row}))
    raw = np.array([[row.get(n, 0.0) for n in names] for row in rows], dtype=np.float64)
    counts = np.ones(len(rows)) if weights is None else np.asarray(weights, dtype=np.float64)
    mean = np.average(raw, axis=0, weights=counts)
    scale = np.sqrt(np.average((raw - mean) ** 2, axis=0, weights=counts)) + 1e-9
    x = (raw - mean) / scale
    y = np.array([VERDICTS.index(label) for label in labels])
    n, f, k = float(counts.sum()), len(names), len(VERDICTS)
    rows_at = np.arange(len(y))

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        coefficients, bias = w[: f * k].reshape(f, k), w[f * k :]
        z = x @ coefficients + bias
        z -= z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        value = -(counts * log_p[rows_at, y]).sum() / n + l2 * float((coefficients**2).sum()) / n
        grad = np.exp(log_p)
        grad[rows_at, y] -= 1
        grad *= counts[:, None] / n
        return value, np.concatenate([(x.T @ grad + 2 * l2 * coefficients / n).ravel(), grad.sum(axis=0)])

    solution = minimize(loss, np.zeros(f * k + k), jac=True, method="L-BFGS-B").x
    return VerdictModel(names, solution[: f * k].reshape(f, k), solution[f * k :], mean, scale)
