"""Train the evidence assistant's verdict model (src/kiemchung/evidence/artifacts/verdict.json).

    python scripts/train_evidence_verdict.py            # about 2 minutes on two cores

Data: ViFactCheck dev, half 0 of the articles only (bench/splits.py `evidence_halves`; half 1 and the test
statements are read only by bench/evidence_assistant.py and the evaluation gate). For each statement the
product ranks its article's sentences (hybrid BM25 + static vectors), the pair model reads the best ones with
the statement, and the features of the best sentence (evidence/verdict.py) are the row; the label is
ViFactCheck's (supported / refuted / not enough info). The L2 strength is chosen by 5-fold cross-validation
grouped by article (macro-F1); the model is then fitted on all of half 0.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from bench.common import require_shared  # noqa: E402
from bench.evidence_assistant import dev_rows, macro_f1, ranked_in_article  # noqa: E402

from kiemchung.evidence.assistant import EvidenceAssistant  # noqa: E402
from kiemchung.evidence.retrieval import EvidenceIndex  # noqa: E402
from kiemchung.evidence.verdict import ARTIFACT, VERDICTS, VerdictModel, fit_softmax  # noqa: E402

L2_GRID = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
FOLDS = 5


def rows_and_labels() -> tuple[list[dict[str, float]], list[str], list[str]]:
    assistant = EvidenceAssistant(EvidenceIndex(), verdict_model=VerdictModel())
    features, labels, groups = [], [], []
    rows = dev_rows(0)
    for number, row in enumerate(rows):
        ranked = ranked_in_article(row, "hybrid", 5)
        if not ranked:
            continue
        (_best, first), *_ = assistant.features(row.claim, ranked, 1, lambda _id, row=row: row.context)
        features.append(first)
        labels.append(row.label)
        groups.append(row.url)
        if number % 50 == 0:
            print(f"  features {number}/{len(rows)}", file=sys.stderr, flush=True)
    return features, labels, groups


def cross_validated(features: list[dict[str, float]], labels: list[str], groups: list[str], l2: float) -> float:
    fold_of = {g: int(hashlib.sha256(g.encode()).hexdigest(), 16) % FOLDS for g in sorted(set(groups))}
    predicted = [""] * len(labels)
    for fold in range(FOLDS):
        train = [i for i, g in enumerate(groups) if fold_of[g] != fold]
        model = fit_softmax([features[i] for i in train], [labels[i] for i in train], l2)
        for i, g in enumerate(groups):
            if fold_of[g] == fold:
                p = model.probabilities(features[i])
                predicted[i] = max(VERDICTS, key=lambda label, p=p: p[label])
    return macro_f1(labels, predicted)[0]


def main() -> None:
    features, labels, groups = rows_and_labels()
    scores = {l2: cross_validated(features, labels, groups, l2) for l2 in L2_GRID}
    for l2, score in scores.items():
        print(f"l2 {l2:>6}: cross-validated macro-F1 {score:.3f}")
    best = max(scores, key=lambda l2: scores[l2])
    model = fit_softmax(features, labels, best)
    data = require_shared("vifactcheck", "dev.jsonl.gz")
    model.provenance = {
        "data": "ViFactCheck dev, half 0 of the articles (bench/splits.py evidence_halves)",
        "data_sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
        "rows": len(labels),
        "labels": {label: labels.count(label) for label in VERDICTS},
        "l2": best,
        "cross_validated_macro_f1": round(scores[best], 4),
        "trained": datetime.now(UTC).date().isoformat(),
        "script": "scripts/train_evidence_verdict.py",
    }
    model.save(ARTIFACT)
    print(json.dumps(model.provenance, indent=1))
    print(f"wrote {ARTIFACT.relative_to(ROOT)} ({ARTIFACT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
