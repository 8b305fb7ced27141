"""Fit the check-worthiness model on the labelled set and report cross-validated quality.

    python scripts/train_checkworthiness.py            # report + write the artifact
    python scripts/train_checkworthiness.py --report   # report only

Five folds, stratified, fixed seed: each sentence is scored by a model that did not see it. Figures are
given for the sentences taken from the shared news text and for all Vietnamese sentences, beside the
baseline rule "a sentence with a digit is a claim". These are the sentences the features were written on,
so the figure that describes the product is the last one: the shipped model on the **fresh sample**
(bench/data/checkworthiness-fresh.jsonl: news, fake-news articles and social posts the features were never
written on, labelled without seeing the model), which is never used for training or choices.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from kiemchung.matching.decision import fit_logistic
from kiemchung.monitoring.checkworthiness import (
    ARTIFACT,
    NAMES,
    CheckWorthiness,
    baseline_score,
    default_checkworthiness,
    features,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data" / "checkworthiness.jsonl"
FOLDS = 5
L2 = 5.0


def load(path: Path = DATA) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def prf(predicted: Sequence[bool], gold: Sequence[int]) -> dict[str, float]:
    tp = sum(1 for p, g in zip(predicted, gold, strict=True) if p and g)
    fp = sum(1 for p, g in zip(predicted, gold, strict=True) if p and not g)
    fn = sum(1 for p, g in zip(predicted, gold, strict=True) if not p and g)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3), "n": len(gold)}


def fit(rows: Sequence[dict]) -> CheckWorthiness:
    model = fit_logistic([features(r["text"]) for r in rows], [r["label"] for r in rows], NAMES, l2=L2)
    return CheckWorthiness(model, 0.5)


def cross_validated_scores(rows: Sequence[dict], seed: int = 7) -> list[float]:
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    order.sort(key=lambda i: rows[i]["label"])  # stratify: deal each class round the folds
    fold_of = {index: position % FOLDS for position, index in enumerate(order)}
    scores = [0.0] * len(rows)
    for fold in range(FOLDS):
        model = fit([r for i, r in enumerate(rows) if fold_of[i] != fold])
        for i, row in enumerate(rows):
            if fold_of[i] == fold:
                scores[i] = model.score(row["text"])
    return scores


def report(rows: Sequence[dict], fresh: bool = True) -> dict[str, dict[str, dict[str, float]]]:
    """Cross-validated figures on the training set, then the shipped model on the fresh sample (when
    ../shared is there to read it)."""
    scores = cross_validated_scores(rows)
    groups = {
        "vi shared text (CV)": [i for i, r in enumerate(rows) if r["language"] == "vi" and r["source"] != "team"],
        "vi all (CV)": [i for i, r in enumerate(rows) if r["language"] == "vi"],
    }
    out = {}
    for name, indices in groups.items():
        gold = [rows[i]["label"] for i in indices]
        out[name] = {
            "model": prf([scores[i] >= 0.5 for i in indices], gold),
            "baseline (has a digit)": prf([baseline_score(rows[i]["text"]) >= 0.5 for i in indices], gold),
        }
    if fresh:
        out.update(fresh_report())
    return out


def fresh_report() -> dict[str, dict[str, dict[str, float]]]:
    """The shipped artifact on the untouched sample, per source and in all."""
    sys.path.insert(0, str(ROOT))
    from bench.checkworthiness_fresh import load_fresh

    model = default_checkworthiness()
    sample = load_fresh()
    out = {}
    for source in sorted({r["source"] for r in sample}) + ["all"]:
        chosen = [r for r in sample if source in ("all", r["source"])]
        gold = [r["label"] for r in chosen]
        out[f"fresh {source}"] = {
            "model": prf([model.score(r["text"]) >= model.threshold for r in chosen], gold),
            "baseline (has a digit)": prf([baseline_score(r["text"]) >= 0.5 for r in chosen], gold),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="report only, do not write the artifact")
    args = parser.parse_args()
    rows = load()
    for group, figures in report(rows).items():
        for name, values in figures.items():
            print(f"{group:22} {name:24} P {values['precision']:.3f}  R {values['recall']:.3f}  "
                  f"F1 {values['f1']:.3f}  (n={values['n']})")  # fmt: skip
    if not args.report:
        ARTIFACT.write_text(json.dumps(fit(rows).to_json(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {ARTIFACT}")


if __name__ == "__main__":
    main()
