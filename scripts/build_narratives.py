"""Merge the writers' files of the narrative set and split them by topic pair.

    python scripts/build_narratives.py RAW.jsonl [RAW.jsonl ...]

Each raw file holds one writer's narratives and posts (docs/narratives-guidelines.md). Every line is
validated (a bad line is reported with its file and number, and nothing is written); topic pairs whose
central claims overlap are grouped so that a group never straddles two splits (bench/splits.py); the splits
are written to bench/data/narratives/{train,dev,test}.jsonl and the test file's SHA-256 is printed, to be
pinned in tests/evaluation/floors.json.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.narrativeset import DIRECTORY, KINDS, SPLITS  # noqa: E402
from bench.rawfiles import json_lines  # noqa: E402
from bench.splits import assert_disjoint, claim_groups, narrative_split  # noqa: E402

NARRATIVE_FIELDS = ("id", "pair", "topic", "label")
# Two writers who wrote the same story: the second narrative is merged into the first (its posts, claims and
# bursts), and both topic pairs go to one split. Found by reading the most similar cross-writer narratives
# (word and bigram TF-IDF cosine of labels and claims, the 14 highest pairs, 2026-11-27); the others read as
# different stories (another river, another change to the metro, ...).
SAME_STORY = {"C-n08": "A-n45", "C-n21": "A-n28", "C-n07": "A-n47"}
POST_FIELDS = ("id", "narrative", "claim", "kind", "lang", "source", "published", "text")


def _aware(value: object) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _narrative_problems(row: dict) -> list[str]:
    problems = [f"missing {f}" for f in NARRATIVE_FIELDS if not isinstance(row.get(f), str) or not row[f].strip()]
    claims = row.get("claims")
    if not isinstance(claims, dict) or not claims or not all(isinstance(t, str) and t for t in claims.values()):
        problems.append("claims must map claim ids to sentences")
    bursts = row.get("bursts")
    if not isinstance(bursts, list) or not all(
        isinstance(b, dict) and all(_aware(b.get(k)) for k in ("start", "end", "peak")) for b in bursts
    ):
        problems.append("bursts must be a list of {start, end, peak} times with a time zone")
    return problems


def _post_problems(row: dict) -> list[str]:
    problems = [f"missing {f}" for f in POST_FIELDS if not isinstance(row.get(f), str) or not row[f].strip()]
    if row.get("kind") not in KINDS:
        problems.append(f"unknown kind {row.get('kind')!r}")
    if not _aware(row.get("published")):
        problems.append("published must be ISO 8601 with a time zone")
    reposts = row.get("reposts")
    if reposts is not None and not (
        isinstance(reposts, dict)
        and _aware(reposts.get("start"))
        and isinstance(reposts.get("hours"), list)
        and all(isinstance(n, int) and n >= 0 for n in reposts["hours"])
    ):
        problems.append("reposts must be {start, hours: [counts]}")
    return problems


def read(paths: list[Path]) -> tuple[list[dict], list[dict], list[str]]:
    narratives: list[dict] = []
    posts: list[dict] = []
    errors: list[str] = []
    for where, row in json_lines(paths, errors):
        kind = row.get("type")
        problems = _narrative_problems(row) if kind == "narrative" else _post_problems(row)
        if kind not in ("narrative", "post"):
            problems = [f"unknown type {kind!r}"]
        errors += [f"{where}: {p}" for p in problems]
        if not problems:
            (narratives if kind == "narrative" else posts).append(row)
    ids = Counter(n["id"] for n in narratives) + Counter(p["id"] for p in posts)
    errors += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    claims = {n["id"]: set(n["claims"]) for n in narratives}
    for post in posts:
        if post["narrative"] not in claims:
            errors.append(f"post {post['id']} names unknown narrative {post['narrative']}")
        elif post["claim"] not in claims[post["narrative"]]:
            errors.append(f"post {post['id']} names claim {post['claim']} not of its narrative")
    return narratives, posts, errors


def merge_same_stories(
    narratives: list[dict], posts: list[dict]
) -> tuple[list[dict], list[dict], list[tuple[str, str]]]:
    """Apply SAME_STORY: the merged narrative's posts, claims and bursts join the kept one. Returns the
    narratives, the posts and the (kept pair, merged pair) links that must share a split."""
    by_id = {n["id"]: n for n in narratives}
    links = []
    for merged, kept in SAME_STORY.items():
        if merged in by_id and kept in by_id:
            by_id[kept]["claims"].update(by_id[merged]["claims"])
            by_id[kept]["bursts"] = sorted(by_id[kept]["bursts"] + by_id[merged]["bursts"], key=lambda b: b["start"])
            links.append((by_id[kept]["pair"], by_id[merged]["pair"]))
    for post in posts:
        if post["narrative"] in SAME_STORY and SAME_STORY[post["narrative"]] in by_id:
            post["narrative"] = SAME_STORY[post["narrative"]]
    kept_narratives = [n for n in narratives if not (n["id"] in SAME_STORY and SAME_STORY[n["id"]] in by_id)]
    return kept_narratives, posts, links


def pair_groups(narratives: list[dict], links: list[tuple[str, str]]) -> dict[str, str]:
    """pair id → group key: linked pairs (a merged story) and pairs whose narratives' claims overlap (two
    writers, one story) share a group, keyed by its smallest pair id."""
    parent = {n["pair"]: n["pair"] for n in narratives}

    def root(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    def join(a: str, b: str) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for a, b in links:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        join(a, b)
    claims = [(f"{n['pair']}\t{cid}", text) for n in narratives for cid, text in n["claims"].items()]
    for key, group in claim_groups(claims).items():
        a, b = key.split("\t")[0], group.split("\t")[0]
        if root(a) != root(b):
            print(f"note: pairs {a} and {b} have overlapping claims; kept in one split", file=sys.stderr)
            join(a, b)
    return {pair: root(pair) for pair in parent}


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]]
    if not paths:
        sys.exit(__doc__)
    narratives, posts, errors = read(paths)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(f"{len(errors)} problems: nothing written")
    narratives, posts, links = merge_same_stories(narratives, posts)
    groups = pair_groups(narratives, links)
    split_of = {n["id"]: narrative_split(groups[n["pair"]]) for n in narratives}
    assert_disjoint({s: {groups[n["pair"]] for n in narratives if split_of[n["id"]] == s} for s in SPLITS})
    assert_disjoint({s: {p["text"] for p in posts if split_of[p["narrative"]] == s} for s in SPLITS})
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        lines = []
        chosen = sorted((n for n in narratives if split_of[n["id"]] == split), key=lambda n: n["id"])
        for narrative in chosen:
            lines.append(json.dumps(narrative, ensure_ascii=False))
            mine = sorted((p for p in posts if p["narrative"] == narrative["id"]), key=lambda p: p["id"])
            lines += [json.dumps(p, ensure_ascii=False) for p in mine]
        (DIRECTORY / f"{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        kinds = Counter(p["kind"] for p in posts if split_of[p["narrative"]] == split)
        copies = sum(sum(p.get("reposts", {}).get("hours", [])) for p in posts if split_of[p["narrative"]] == split)
        bursts = sum(len(n["bursts"]) for n in chosen)
        print(
            f"{split}: {len(chosen)} narratives, {sum(kinds.values())} posts, {copies} copies, {bursts} bursts "
            f"{dict(sorted(kinds.items()))}"
        )
    digest = hashlib.sha256((DIRECTORY / "test.jsonl").read_bytes()).hexdigest()
    print(f"test.jsonl sha256 {digest}")


if __name__ == "__main__":
    main()
