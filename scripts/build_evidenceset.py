"""Merge the writers' files of the team-written evidence set (issue 14) and split it by document.

    python scripts/build_evidenceset.py WRITER.jsonl [WRITER.jsonl ...]

Each file holds one writer's official-style documents, each followed by four claims about it (the brief is in
docs/evidence.md, "The team-written set"): `{"type": "document", "doc_id", "title", "publisher",
"published", "url", "text"}` and `{"type": "claim", "claim_id", "doc_id", "label": "supported" | "refuted" |
"not_enough_info", "kind", "text", "evidence": <a sentence of the document, verbatim> | null}`. Every line is
validated (ids unique, the claim's document known and written before it, labels and kinds known, the evidence
verbatim in the document, none for not_enough_info); a bad line is reported with its file and number, and
nothing is written. Documents go to train (40 %), dev (20 %) or test (40 %) by a hash of their id, their claims
with them. Writes bench/data/evidenceset/{train,dev,test}.jsonl (documents first, then claims).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.evidenceset import DIRECTORY, KINDS, LABELS, split_of  # noqa: E402
from bench.rawfiles import json_lines  # noqa: E402

DOCUMENT_FIELDS = ("type", "doc_id", "title", "publisher", "published", "url", "text")
CLAIM_FIELDS = ("type", "claim_id", "doc_id", "label", "kind", "text", "evidence")


def read(paths: list[Path]) -> tuple[list[dict], list[dict], list[str]]:
    documents: dict[str, dict] = {}
    claims: list[dict] = []
    errors: list[str] = []
    seen: set[str] = set()
    for where, row in json_lines(paths, errors):
        kind = row.get("type")
        fields = DOCUMENT_FIELDS if kind == "document" else CLAIM_FIELDS
        if kind not in ("document", "claim"):
            errors.append(f"{where}: type must be document or claim")
            continue
        missing = [f for f in fields if f not in row or (row[f] in (None, "") and f != "evidence")]
        if missing or set(row) - set(fields):
            errors.append(f"{where}: fields missing {missing} or unknown {sorted(set(row) - set(fields))}")
            continue
        key = row["doc_id"] if kind == "document" else row["claim_id"]
        if key in seen:
            errors.append(f"{where}: id {key} seen before")
            continue
        seen.add(key)
        if kind == "document":
            documents[row["doc_id"]] = row
            continue
        document = documents.get(row["doc_id"])
        problem = _claim_problem(row, document)
        if problem:
            errors.append(f"{where}: {problem}")
        else:
            claims.append(row)
    return list(documents.values()), claims, errors


def _claim_problem(row: dict, document: dict | None) -> str | None:
    if document is None:
        return f"document {row['doc_id']} not written before its claim"
    if row["label"] not in LABELS:
        return f"label {row['label']!r} not one of {LABELS}"
    if row["label"] == "refuted" and row["kind"] not in KINDS:
        return f"kind {row['kind']!r} of a refuted claim not one of {KINDS}"
    if row["label"] == "not_enough_info":
        return "a not_enough_info claim has no evidence" if row["evidence"] else None
    if not row["evidence"] or row["evidence"].strip() not in document["text"]:
        return "evidence is not a verbatim sentence of the document"
    return None


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]]
    if not paths:
        sys.exit(__doc__)
    documents, claims, errors = read(paths)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(f"{len(errors)} bad line(s): nothing written")
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    counts: Counter[tuple[str, str]] = Counter()
    for split in ("train", "dev", "test"):
        chosen = [d for d in documents if split_of(d["doc_id"]) == split]
        ids = {d["doc_id"] for d in chosen}
        rows = chosen + [c for c in claims if c["doc_id"] in ids]
        for claim in rows[len(chosen) :]:
            counts[(split, claim["label"])] += 1
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        (DIRECTORY / f"{split}.jsonl").write_text(text, encoding="utf-8")
        print(f"{split}: {len(chosen)} documents, {len(rows) - len(chosen)} claims")
    print(json.dumps({f"{s}/{label}": n for (s, label), n in sorted(counts.items())}, indent=1))


if __name__ == "__main__":
    main()
