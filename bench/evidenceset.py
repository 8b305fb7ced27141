"""The team-written evidence set (issue 14; docs/evidence.md, "The team-written set"): official-style
documents and claims about them, split by document. `test.jsonl` is read only by the gate and the report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bench.splits import bucket
from kiemchung.evidence.documents import EvidenceDocument, parse_published

DIRECTORY = Path(__file__).resolve().parent / "data" / "evidenceset"
LABELS = ("supported", "refuted", "not_enough_info")
KINDS = ("number", "date", "actor", "place", "negation")
SPLITS = (("train", 0.4), ("dev", 0.6), ("test", 1.0))


def split_of(doc_id: str) -> str:
    value = bucket(doc_id, "evidenceset-v1")
    return next(name for name, upper in SPLITS if value < upper)


@dataclass(frozen=True)
class Claim:
    id: str
    doc_id: str
    text: str
    label: str
    kind: str
    evidence: str | None


def load(split: str, reading_test: bool = False) -> tuple[list[EvidenceDocument], list[Claim]]:
    """A split's documents and claims. Reading the test split must be declared (the gate, the final report)."""
    if split == "test" and not reading_test:
        raise ValueError("the test split is read only by the gate and the final report (reading_test=True)")
    documents, claims = [], []
    for line in (DIRECTORY / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["type"] == "document":
            documents.append(
                EvidenceDocument(
                    row["doc_id"],
                    row["text"],
                    row["url"],
                    row["title"],
                    row["publisher"],
                    parse_published(row["published"]),
                )  # fmt: skip
            )
        else:
            fields = ("claim_id", "doc_id", "text", "label", "kind", "evidence")
            claims.append(Claim(*(row[name] for name in fields)))
    return documents, claims
