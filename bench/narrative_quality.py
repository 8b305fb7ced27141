"""Narrative grouping quality on the labelled narrative set, through the product's own path.

    python bench/narrative_quality.py [--split dev] [--granularity G ...] [--recluster]

Each run makes a fresh data directory, imports the split's written posts with `kiemchung posts import`
(their `published` times; copies are not imported: they are folded by the pipeline and would not change
the grouping), optionally re-clusters them (`narratives recluster`), exports the narratives with
`kiemchung narratives export --format jsonl` and compares them with the writers' labels: B³ precision /
recall / F1 and the adjusted Rand index over every post, and B³ per post kind (the average of the per-post
precision and recall of that kind's posts). A post in no narrative counts as a narrative of its own. The
test split is read only by the evaluation gate and the final report (`--split test --reading-test`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.metrics import adjusted_rand_index, b_cubed  # noqa: E402
from bench.narrativeset import KINDS, Narrative, load, timeline  # noqa: E402

KIEMCHUNG = [sys.executable, "-m", "kiemchung"]


def predicted_narratives(
    narratives: list[Narrative], environ: dict[str, str], recluster: bool = False
) -> dict[str, str]:
    """post id → narrative id, as the product groups the posts (one fresh data directory per call)."""
    with tempfile.TemporaryDirectory() as directory:
        posts = Path(directory) / "posts.jsonl"
        rows = ({"id": p.id, "text": p.text, "published": p.published.isoformat()} for p in timeline(narratives))
        posts.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        base = [*KIEMCHUNG, "--data-dir", f"{directory}/data"]
        run = {"env": environ, "check": True, "capture_output": True, "text": True}
        subprocess.run([*base, "init"], **run)  # type: ignore[call-overload]
        subprocess.run([*base, "posts", "import", str(posts)], **run)  # type: ignore[call-overload]
        if recluster:
            subprocess.run([*base, "narratives", "recluster"], **run)  # type: ignore[call-overload]
        exported = subprocess.run([*base, "narratives", "export", "--format", "jsonl"], **run)  # type: ignore[call-overload]
    grouped: dict[str, str] = {}
    for line in exported.stdout.splitlines():
        if line.strip():
            narrative = json.loads(line)
            for post_id in narrative["post_ids"]:
                if post_id in grouped:
                    raise AssertionError(f"post {post_id} is in two narratives")
                grouped[post_id] = str(narrative["id"])
    return grouped


def report(narratives: list[Narrative], grouped: dict[str, str]) -> dict[str, object]:
    truth = {p.id: p.narrative for n in narratives for p in n.posts}
    kinds = {p.id: p.kind for n in narratives for p in n.posts}
    per_kind: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        chosen = [post for post, k in kinds.items() if k == kind]
        if chosen:
            per_kind[kind] = _b_cubed_of(chosen, truth, grouped)
    return {
        "posts": len(truth),
        "narratives": len(narratives),
        "in_none": sum(1 for post in truth if post not in grouped),
        "predicted_narratives": len(set(grouped.values())),
        "B3": b_cubed(truth, grouped),
        "ARI": adjusted_rand_index(truth, grouped),
        "B3_by_kind": per_kind,
    }


def _b_cubed_of(items: list[str], truth: dict[str, str], grouped: dict[str, str]) -> dict[str, float]:
    """B³ precision and recall averaged over `items` only (the clusters are those of every post)."""
    members: dict[str, set[str]] = defaultdict(set)
    predicted_members: dict[str, set[str]] = defaultdict(set)
    for post in truth:
        members[truth[post]].add(post)
        predicted_members[grouped.get(post, f"\0{post}")].add(post)
    precision = recall = 0.0
    for post in items:
        same, predicted = members[truth[post]], predicted_members[grouped.get(post, f"\0{post}")]
        precision += len(same & predicted) / len(predicted)
        recall += len(same & predicted) / len(same)
    precision, recall = precision / len(items), recall / len(items)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "F1": f1, "posts": float(len(items))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="dev", choices=("train", "dev", "test"))
    parser.add_argument("--reading-test", action="store_true", help="the gate and the final report only")
    parser.add_argument("--recluster", action="store_true", help="run `narratives recluster` before the export")
    parser.add_argument("--granularity", type=float, nargs="*", default=[None], help="KIEMCHUNG_NARRATIVE_GRANULARITY")
    arguments = parser.parse_args()
    narratives = load(arguments.split, reading_test=arguments.reading_test)
    for granularity in arguments.granularity:
        environ = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
        if granularity is not None:
            environ["KIEMCHUNG_NARRATIVE_GRANULARITY"] = str(granularity)
        result = report(narratives, predicted_narratives(narratives, environ, arguments.recluster))
        b3, label = result["B3"], "default" if granularity is None else f"{granularity:g}"
        label += ", re-clustered" if arguments.recluster else ", online"
        assert isinstance(b3, dict)
        print(
            f"{arguments.split} granularity {label}: {result['posts']} posts in {result['narratives']} narratives"
            f" → {result['predicted_narratives']} narratives, {result['in_none']} posts in none;"
            f" B³ P {b3['precision']:.3f} R {b3['recall']:.3f} F1 {b3['F1']:.3f}; ARI {result['ARI']:.3f}"
        )
        by_kind = result["B3_by_kind"]
        assert isinstance(by_kind, dict)
        for kind, scores in by_kind.items():
            print(f"  {kind:<11} {int(scores['posts']):>4} posts  P {scores['precision']:.3f}  "
                  f"R {scores['recall']:.3f}  F1 {scores['F1']:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
