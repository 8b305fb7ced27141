"""Narrative assignment speed: time per claim with 100k stored claim sentences (synthetic unit vectors).

    python -m bench.narratives [--sentences 100000] [--stories 20000] [--dimension 384]

Stories are random directions; each claim is its story's direction plus noise (cosine ≈ 0.9 to it), so the
index grows to about `stories` narratives. Prints the time per assignment (median, p95) over the last 1,000
claims, the time to group everything again (`group`, as `narratives recluster` does without I/O), and the
size of the centroid matrix. Figures, not a timed test.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core, as the pipeline has on a busy 2-core machine
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402 - after the thread settings

from kiemchung.domain.narratives import Claim, NarrativeIndex, group  # noqa: E402


def claims(sentences: int, stories: int, dimension: int, seed: int = 12) -> np.ndarray:
    random = np.random.default_rng(seed)
    centres = random.standard_normal((stories, dimension)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    picks = random.integers(0, stories, sentences)
    noise = random.standard_normal((sentences, dimension)).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    vectors = centres[picks] + 0.45 * noise
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def assign_all(vectors: np.ndarray, granularity: float) -> tuple[NarrativeIndex, list[float]]:
    index = NarrativeIndex(vectors.shape[1], granularity)
    timings = []
    next_id = 1
    for number, vector in enumerate(vectors):
        started = time.perf_counter()
        choice = index.choose(vector)
        narrative_id = choice.narrative_id if choice.narrative_id is not None else next_id
        next_id += choice.narrative_id is None
        index.add(narrative_id, vector, str(number))
        timings.append(time.perf_counter() - started)
    return index, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sentences", type=int, default=100_000)
    parser.add_argument("--stories", type=int, default=20_000)
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--granularity", type=float, default=0.8)
    args = parser.parse_args()
    vectors = claims(args.sentences, args.stories, args.dimension)
    started = time.perf_counter()
    index, timings = assign_all(vectors, args.granularity)
    total = time.perf_counter() - started
    last = np.array(timings[-1000:]) * 1000
    print(f"{args.sentences} claims, {len(index)} narratives ({args.stories} stories), dimension {args.dimension}")
    print(f"online assignment, last 1000: median {np.median(last):.2f} ms, p95 {np.percentile(last, 95):.2f} ms; "
          f"all {total:.1f} s")  # fmt: skip
    started = time.perf_counter()
    grouped, _ = group((Claim(str(i), str(i), v) for i, v in enumerate(vectors)), args.granularity, args.dimension)
    print(f"group again (recluster core): {time.perf_counter() - started:.1f} s, "
          f"{len(set(grouped.values()))} narratives")  # fmt: skip
    print(f"centroid matrix: {index._matrix.nbytes / 2**20:.0f} MiB allocated")


if __name__ == "__main__":
    main()
