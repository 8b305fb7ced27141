"""Merge the writers' files of the real-language matching set and split them by claim.

    python scripts/build_realmatch.py RAW.jsonl [RAW.jsonl ...]

Each raw file holds one writer's claims and posts (docs/realmatch.md has the guidelines). Every line is
validated (a bad line is reported with its file and number, and nothing is written); near-duplicate claims
are grouped so that a group never straddles two splits (bench/splits.py); the splits are written to
bench/data/realmatch/{train,dev,test}.jsonl and the test file's SHA-256 is printed, to be pinned in
tests/evaluation/floors.json.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.rawfiles import json_lines  # noqa: E402
from bench.realmatch import DIRECTORY, KINDS, SPLITS  # noqa: E402
from bench.splits import assert_disjoint, claim_groups, real_split  # noqa: E402

CLAIM_FIELDS = ("id", "text", "title", "rating", "topic", "lang")
POST_FIELDS = ("id", "claim", "kind", "lang", "text")


def read(paths: list[Path]) -> tuple[list[dict], list[dict], list[str]]:
    claims: list[dict] = []
    posts: list[dict] = []
    errors: list[str] = []
    for where, row in json_lines(paths, errors):
        fields = CLAIM_FIELDS if row.get("type") == "claim" else POST_FIELDS
        missing = [f for f in fields if not isinstance(row.get(f), str) or not row[f].strip()]
        if row.get("type") not in ("claim", "post") or missing:
            errors.append(f"{where}: bad type or missing {missing}")
            continue
        if row["type"] == "post" and row["kind"] not in KINDS:
            errors.append(f"{where}: unknown kind {row['kind']!r}")
            continue
        (claims if row["type"] == "claim" else posts).append({"type": row["type"], **{f: row[f] for f in fields}})
    ids = Counter(c["id"] for c in claims) + Counter(p["id"] for p in posts)
    errors += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    known = {c["id"] for c in claims}
    errors += [f"post {p['id']} names unknown claim {p['claim']}" for p in posts if p["claim"] not in known]
    return claims, posts, errors


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]]
    if not paths:
        sys.exit(__doc__)
    claims, posts, errors = read(paths)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(f"{len(errors)} problems: nothing written")
    groups = claim_groups([(c["id"], c["text"]) for c in claims])
    split_of = {c["id"]: real_split(groups[c["id"]]) for c in claims}
    assert_disjoint({s: {groups[c] for c, v in split_of.items() if v == s} for s in SPLITS})
    assert_disjoint({s: {p["text"] for p in posts if split_of[p["claim"]] == s} for s in SPLITS})
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        lines = []
        for claim in sorted((c for c in claims if split_of[c["id"]] == split), key=lambda c: c["id"]):
            lines.append(json.dumps(claim, ensure_ascii=False))
            lines += [json.dumps(p, ensure_ascii=False) for p in posts if p["claim"] == claim["id"]]
        path = DIRECTORY / f"{split}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        kinds = Counter(p["kind"] for p in posts if split_of[p["claim"]] == split)
        count = sum(1 for v in split_of.values() if v == split)
        print(f"{split}: {count} claims, {sum(kinds.values())} posts {dict(sorted(kinds.items()))}")
    digest = hashlib.sha256((DIRECTORY / "test.jsonl").read_bytes()).hexdigest()
    print(f"test.jsonl sha256 {digest}")


if __name__ == "__main__":
    main()
