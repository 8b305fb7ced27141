"""The "same claim" decision: logistic models over pair features, calibrated, with thresholds per
language; refitted from stored reviewer feedback."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kiemchung.matching.features import ALL_FEATURES, LEXICAL_FEATURES

ARTIFACT = Path(__file__).parent / "artifacts" / "matcher.json"


@dataclass
class LogisticModel:
    names: tuple[str, ...]
    weights: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    def vector(self, features: Mapping[str, float]) -> np.ndarray:
        raw = np.array([features.get(n, 0.0) for n in self.names], dtype=np.float64)
        return (raw - self.mean) / self.scale

    def probability(self, features: Mapping[str, float]) -> float:
        z = float(self.vector(features) @ self.weights)
        return float(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))

    def to_json(self) -> dict[str, object]:
        return {
            "names": list(self.names),
            "weights": self.weights.tolist(),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, list]) -> LogisticModel:
        return cls(tuple(data["names"]), np.array(data["weights"]), np.array(data["mean"]), np.array(data["scale"]))


# Monotone in the evidence: more coverage or similarity never lowers the probability, a conflict never raises it.
EVIDENCE_FOR = frozenset(
    {"cov_claim", "cov_query", "soft_cov_claim", "soft_cov_query", "folded_cov_claim", "bigram_cov_claim",
     "lexical_relative", "lexical_top", "dense", "dense_relative"}
)  # fmt: skip
EVIDENCE_AGAINST = frozenset(
    {"number_conflict", "numbers_missing", "negation_mismatch", "opposite_conflict", "names_missing",
     "names_extra", "numbers_missing_count", "fact_swaps", "number_swaps", "missing_idf_claim",
     "unmatched_claim_words", "unmatched_claim_max_idf"}
)  # fmt: skip


def fit_logistic(
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[int],
    names: Sequence[str],
    sample_weight: Sequence[float] | None = None,
    l2: float = 1.0,
    iterations: int = 50,
    monotone: bool = False,
) -> LogisticModel:
    """L2-regularised logistic regression by Newton's method (deterministic, no dependencies); with
    `monotone`, by bounded L-BFGS so that evidence for a match weighs ≥ 0 and evidence against ≤ 0."""
    xs, y, sw, mean, scale = _standardised(rows, labels, names, sample_weight)
    bias = [i for i, n in enumerate(names) if n == "bias"]
    w = np.zeros(len(names))
    penalty = np.full(len(names), l2)
    penalty[bias] = 0.0
    if monotone:
        return LogisticModel(tuple(names), _fit_bounded(xs, y, sw, penalty, names), mean, scale)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(xs @ w, -30, 30)))
        gradient = xs.T @ (sw * (p - y)) + penalty * w
        hessian = (xs * (sw * p * (1 - p))[:, None]).T @ xs + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return LogisticModel(tuple(names), w, mean, scale)


def _standardised(
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[int],
    names: Sequence[str],
    sample_weight: Sequence[float] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(standardised features, labels, sample weights, mean, scale); the "bias" column stays a column of 1s."""
    x = np.array([[r.get(n, 0.0) for n in names] for r in rows], dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    bias = [i for i, n in enumerate(names) if n == "bias"]
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    mean[bias], scale[bias] = 0.0, 1.0
    scale[scale < 1e-9] = 1.0
    return (x - mean) / scale, y, sw, mean, scale


@dataclass
class MLPModel:
    """One hidden layer of tanh units over the standardised features, a logistic output: it can weigh one
    feature by another (a high dense similarity means less when the claim's numbers are missing)."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    hidden_weights: np.ndarray  # features × units
    hidden_bias: np.ndarray
    output_weights: np.ndarray
    output_bias: float

    def probability(self, features: Mapping[str, float]) -> float:
        raw = np.array([features.get(n, 0.0) for n in self.names], dtype=np.float64)
        hidden = np.tanh(((raw - self.mean) / self.scale) @ self.hidden_weights + self.hidden_bias)
        z = float(hidden @ self.output_weights + self.output_bias)
        return float(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))

    def to_json(self) -> dict[str, object]:
        return {
            "type": "mlp",
            "names": list(self.names),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "hidden_weights": self.hidden_weights.tolist(),
            "hidden_bias": self.hidden_bias.tolist(),
            "output_weights": self.output_weights.tolist(),
            "output_bias": self.output_bias,
        }

    @classmethod
    def from_json(cls, data: Mapping) -> MLPModel:
        return cls(
            tuple(data["names"]),
            np.array(data["mean"]),
            np.array(data["scale"]),
            np.array(data["hidden_weights"]),
            np.array(data["hidden_bias"]),
            np.array(data["output_weights"]),
            float(data["output_bias"]),
        )


PairModel = LogisticModel | MLPModel


def model_from_json(data: Mapping) -> PairModel:
    return MLPModel.from_json(data) if data.get("type") == "mlp" else LogisticModel.from_json(data)


def fit_mlp(
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[int],
    names: Sequence[str],
    sample_weight: Sequence[float] | None = None,
    hidden: int = 16,
    l2: float = 1e-3,
    seed: int = 0,
) -> MLPModel:
    """Weighted cross-entropy with an L2 penalty, minimised by L-BFGS from a seeded start (deterministic)."""
    from scipy.optimize import minimize

    xs, y, sw, mean, scale = _standardised(rows, labels, names, sample_weight)
    sw = sw / sw.sum()
    n, h = xs.shape[1], hidden
    rng = np.random.default_rng(seed)
    start = np.concatenate([rng.normal(0, 1 / np.sqrt(n), n * h), np.zeros(h), rng.normal(0, 1 / np.sqrt(h), h), [0.0]])

    def unpack(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        return theta[: n * h].reshape(n, h), theta[n * h : n * h + h], theta[n * h + h : n * h + 2 * h], theta[-1]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w1, b1, w2, b2 = unpack(theta)
        a = np.tanh(xs @ w1 + b1)
        z = np.clip(a @ w2 + b2, -30, 30)
        p = 1.0 / (1.0 + np.exp(-z))
        eps = 1e-12
        value = -np.sum(sw * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))) + l2 * (
            np.sum(w1**2) + np.sum(w2**2)
        )
        dz = sw * (p - y)
        dw2 = a.T @ dz + 2 * l2 * w2
        db2 = dz.sum()
        da = np.outer(dz, w2) * (1 - a**2)
        dw1 = xs.T @ da + 2 * l2 * w1
        db1 = da.sum(axis=0)
        return float(value), np.concatenate([dw1.ravel(), db1, dw2, [db2]])

    result = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    w1, b1, w2, b2 = unpack(result.x)
    return MLPModel(tuple(names), mean, scale, w1, b1, w2, float(b2))


def _fit_bounded(
    xs: np.ndarray, y: np.ndarray, sw: np.ndarray, penalty: np.ndarray, names: Sequence[str]
) -> np.ndarray:
    from scipy.optimize import minimize

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = np.clip(xs @ w, -30, 30)
        p = 1.0 / (1.0 + np.exp(-z))
        value = float(np.sum(sw * (np.logaddexp(0, z) - y * z)) + 0.5 * np.sum(penalty * w * w))
        return value, xs.T @ (sw * (p - y)) + penalty * w

    bounds = [
        (0.0, None) if n in EVIDENCE_FOR else (None, 0.0) if n in EVIDENCE_AGAINST else (None, None) for n in names
    ]
    result = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 1000})
    return np.asarray(result.x)


CROSS_FEATURES = (
    "bias",
    "dense",
    "dense_relative",
    "folded_cov_claim",
    "number_conflict",
    "numbers_missing",
    "names_missing",
    "names_extra",
    "lexical_relative",
)
KINDS = ("vi", "en", "cross")


def model_kind(query_language: str, claim_language: str) -> str:
    """Which calibrated model judges a pair: the shared language, or "cross" across languages."""
    return query_language if query_language == claim_language else "cross"


@dataclass
class Decision:
    """Logistic models per kind of pair ("vi", "en", "cross"), each without ("lexical") and with ("full")
    the dense features, and the default threshold of each kind: for the decision alone, and for the engine
    where the pair model re-reads that kind's candidates (its scores are the combined ones)."""

    lexical: dict[str, PairModel]
    full: dict[str, PairModel]
    thresholds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(KINDS, 0.5))
    provenance: dict[str, object] = field(default_factory=dict)
    pair_thresholds: dict[str, float] = field(default_factory=dict)

    @classmethod
    def untrained(cls) -> Decision:
        """Zero weights: every pair scores 0.5. For bootstrapping the training run only."""

        def zero(names: Sequence[str]) -> LogisticModel:
            return LogisticModel(tuple(names), np.zeros(len(names)), np.zeros(len(names)), np.ones(len(names)))

        lexical: dict[str, PairModel] = {k: zero(LEXICAL_FEATURES) for k in KINDS}
        return cls(lexical, {k: zero(CROSS_FEATURES if k == "cross" else ALL_FEATURES) for k in KINDS})

    def threshold(self, kind: str, pair: bool = False) -> float:
        chosen = self.pair_thresholds if pair and self.pair_thresholds else self.thresholds
        return chosen.get(kind, chosen.get("vi", 0.5))

    def score(self, features: Mapping[str, float], kind: str) -> float:
        models = self.full if "dense" in features else self.lexical
        model = models.get(kind) or models["vi"]
        return model.probability(features)

    def save(self, path: Path) -> None:
        data = {
            "lexical": {k: m.to_json() for k, m in self.lexical.items()},
            "full": {k: m.to_json() for k, m in self.full.items()},
            "thresholds": self.thresholds,
            "pair_thresholds": self.pair_thresholds,
            "provenance": self.provenance,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path = ARTIFACT) -> Decision:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            {k: model_from_json(v) for k, v in data["lexical"].items()},
            {k: model_from_json(v) for k, v in data["full"].items()},
            data["thresholds"],
            data.get("provenance", {}),
            data.get("pair_thresholds", {}),
        )


@dataclass(frozen=True)
class Recalibration:
    """A Platt map fitted on reviewers' feedback: p' = σ(a·logit(p) + b), per kind of pair (vi, en, cross)."""

    maps: dict[str, tuple[float, float]]
    reviewed: int = 0

    def apply(self, probability: float, kind: str) -> float:
        a, b = self.maps.get(kind, self.maps.get("default", (1.0, 0.0)))
        p = min(max(probability, 1e-6), 1 - 1e-6)
        return float(1.0 / (1.0 + np.exp(-(a * np.log(p / (1 - p)) + b))))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"maps": self.maps, "reviewed": self.reviewed}), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Recalibration | None:
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls({k: (float(v[0]), float(v[1])) for k, v in data["maps"].items()}, int(data.get("reviewed", 0)))


MIN_FEEDBACK = 20


def fit_recalibration(reviews: Sequence[tuple[float, bool, str]]) -> Recalibration:
    """From (shipped score, accepted, kind) triples; a kind with too few reviews falls back to all reviews."""
    maps: dict[str, tuple[float, float]] = {}
    for language in sorted({lang for _, _, lang in reviews} | {"default"}):
        chosen = [r for r in reviews if language == "default" or r[2] == language]
        labels = [int(accepted) for _, accepted, _ in chosen]
        if len(chosen) < MIN_FEEDBACK or len(set(labels)) < 2:
            continue
        rows = [{"bias": 1.0, "logit": float(np.log(max(s, 1e-6) / max(1 - s, 1e-6)))} for s, _, _ in chosen]
        model = fit_logistic(rows, labels, ("bias", "logit"), l2=0.1)
        a = float(model.weights[1] / model.scale[1])
        b = float(model.weights[0] - model.weights[1] * model.mean[1] / model.scale[1])
        maps[language] = (a, b)
    return Recalibration(maps, len(reviews))
