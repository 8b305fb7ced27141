"""Merge the writers' extra train posts of the real-language matching set (pair-model training only).

    python scripts/build_realmatch_extra.py POSTS.jsonl [POSTS.jsonl ...]

Each file holds one writer's posts about claims of the **train** split, one JSON object per line:
`{"claim": <train claim id>, "kind": "contradiction" | "debunk" | "social", "fact": <the fact changed, for a
contradiction>, "text": ...}` (the writers' brief is in docs/realmatch.md, "Extra train posts"). Every line is
validated — the claim must be a train claim, the kind known, the text new to every split — and a bad line is
reported with its file and number, with nothing written. Writes bench/data/realmatch/train-extra.jsonl.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.rawfiles import json_lines  # noqa: E402
from bench.realmatch import EXTRA, path_of  # noqa: E402

EXTRA_KINDS = ("contradiction", "debunk", "social")
FACTS = ("number", "date", "actor", "place", "direction", "negation")


def known_texts() -> tuple[dict[str, str], set[str]]:
    """Train claims' languages by id, and every post and claim text of every split (lower-cased), read
    as raw lines so that no split's posts are interpreted here."""
    languages: dict[str, str] = {}
    texts: set[str] = set()
    for split in ("train", "dev", "test"):
        for line in path_of(split).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts.add(row["text"].strip().lower())
                if split == "train" and row["type"] == "claim":
                    languages[row["id"]] = row["lang"]
    return languages, texts


def read(paths: list[Path]) -> tuple[list[dict], list[str]]:
    languages, texts = known_texts()
    posts: list[dict] = []
    errors: list[str] = []
    seen: set[str] = set()
    numbers: Counter[str] = Counter()
    for where, row in json_lines(paths, errors):
        text = row.get("text")
        if row.get("claim") not in languages:
            errors.append(f"{where}: {row.get('claim')!r} is not a train claim")
        elif row.get("kind") not in EXTRA_KINDS:
            errors.append(f"{where}: unknown kind {row.get('kind')!r}")
        elif row["kind"] == "contradiction" and row.get("fact") not in FACTS:
            errors.append(f"{where}: a contradiction names the fact it changed, one of {FACTS}")
        elif not isinstance(text, str) or not text.strip():
            errors.append(f"{where}: no text")
        elif text.strip().lower() in texts | seen:
            errors.append(f"{where}: the text is already in the set")
        else:
            seen.add(text.strip().lower())
            numbers[row["claim"]] += 1
            post_id = f"{row['claim']}-x{numbers[row['claim']]}"
            posts.append({"type": "post", "id": post_id, "claim": row["claim"], "kind": row["kind"],
                          "fact": row.get("fact") or "", "lang": languages[row["claim"]],
                          "text": text.strip()})  # fmt: skip
    return posts, errors


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]]
    if not paths:
        sys.exit(__doc__)
    posts, errors = read(paths)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(f"{len(errors)} problems: nothing written")
    with EXTRA.open("w", encoding="utf-8") as handle:
        for post in posts:
            handle.write(json.dumps(post, ensure_ascii=False) + "\n")
    kinds = Counter(p["kind"] for p in posts)
    facts = Counter(p["fact"] for p in posts if p["kind"] == "contradiction")
    print(f"wrote {EXTRA.relative_to(ROOT)}: {len(posts)} posts {dict(kinds)}; facts changed {dict(facts)}")


if __name__ == "__main__":
    main()
