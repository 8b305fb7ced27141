"""Fit the check-worthiness model on the labelled set and report cross-validated quality.

    python scripts/train_checkworthiness.py            # report + write the artifact
    python scripts/train_checkworthiness.py --report   # report only

Five folds, stratified, fixed seed: each sentence is scored by a model that did not see it. Figures are
given for the sentences taken from the shared news text, for all Vietnamese sentences and for the small
team-written English set, beside the baseline rule "a sentence with a digit is a claim".
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from pathlib import Path

from kiemchung.matching.decision import fit_logistic
from kiemchung.monitoring.checkworthiness import ARTIFACT, NAMES, CheckWorthiness, baseline_score, features

DATA = Path(__file__).resolve().parents[1] / "bench" / "data" / "checkworthiness.jsonl"
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


def report(rows: Sequence[dict]) -> dict[str, dict[str, dict[str, float]]]:
    scores = cross_validated_scores(rows)
    groups = {
        "vi shared text": [i for i, r in enumerate(rows) if r["language"] == "vi" and r["source"] != "team"],
        "vi all": [i for i, r in enumerate(rows) if r["language"] == "vi"],
        "en team-written": [i for i, r in enumerate(rows) if r["language"] == "en"],
    }
    out = {}
    for name, indices in groups.items():
        gold = [rows[i]["label"] for i in indices]
        out[name] = {
            "model": prf([scores[i] >= 0.5 for i in indices], gold),
            "baseline (has a digit)": prf([baseline_score(rows[i]["text"]) >= 0.5 for i in indices], gold),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="report only, do not write the artifact")
    args = parser.parse_args()
    rows = load()
    for group, figures in report(rows).items():
        for name, values in figures.items():
            print(f"{group:18} {name:24} P {values['precision']:.3f}  R {values['recall']:.3f}  "
                  f"F1 {values['f1']:.3f}  (n={values['n']})")  # fmt: skip
    if not args.report:
        ARTIFACT.write_text(json.dumps(fit(rows).to_json(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {ARTIFACT}")


if __name__ == "__main__":
    main()
