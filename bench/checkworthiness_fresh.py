"""A fresh check-worthiness test sample, labelled without sight of the model (docs/checkworthiness.md).

`bench/data/checkworthiness-fresh.jsonl` holds three kinds of line:
- vietnews: a reference (article line, sentence index, sha1) into the vietnews test split, which has no
  licence, so its text is never stored in the repository;
- vfnd: the same into VFND (GPL v3), whose sentences come from the field named in "field";
- team-social: posts written by the team, stored with their text.

`load_fresh` reads the referenced sentences from ../shared/data at run time and checks each sha1.
`draw` replays the seeded draw that chose the referenced sentences, so anyone can verify the sample.
The set is for reporting only: never train on it or choose features with it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path

from bench.common import ROOT, SHARED
from kiemchung.text import split_sentences

FRESH = ROOT / "bench" / "data" / "checkworthiness-fresh.jsonl"
VIETNEWS = ("vietnamese-news", "vietnews-test-no-license", "articles.jsonl.gz")
VFND = ("vfnd", "articles.jsonl.gz")
VIETNEWS_FIRST_ARTICLE = 15000  # earlier vietnews test articles may have been seen while building the model
SEEDS = {"vietnews": 2026, "vfnd": 2027}
COUNTS = {"vietnews": 140, "vfnd": 100}
MIN_WORDS = 4


class FreshSampleError(RuntimeError):
    """A referenced sentence is missing or no longer matches its recorded sha1."""


def sha1(text: str) -> str:
    """The sha1 hex digest of a sentence's UTF-8 text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def word_count(sentence: str) -> int:
    """Words in a sentence: tokens holding a letter or digit (vietnews spaces out its punctuation)."""
    return sum(1 for token in sentence.split() if any(char.isalnum() for char in token))


def vfnd_field(article: dict) -> str:
    """The VFND field that holds an article's body: "text" where present, else news-please's "maintext"."""
    return "text" if "text" in article else "maintext"


def _articles(path: Path) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def _body(source: str, article: dict, field: str | None = None) -> str:
    if source == "vietnews":
        return article.get("body") or ""
    return article.get(field or vfnd_field(article)) or ""


def _path(source: str) -> Path:
    path = SHARED.joinpath(*(VIETNEWS if source == "vietnews" else VFND))
    if not path.exists():
        raise FreshSampleError(f"{path} is missing: the fresh check-worthiness sample needs ../shared/data")
    return path


def draw(source: str) -> list[dict]:
    """Replay the draw: shuffle the eligible articles with the source's seed, one random sentence from each.

    Eligible: vietnews articles from line 15000 on, VFND articles with a body; sentences of 4 words or more.
    Returns references only (source, article, sentence, sha1, and "field" for VFND), no text.
    """
    rng = random.Random(SEEDS[source])
    first = VIETNEWS_FIRST_ARTICLE if source == "vietnews" else 0
    candidates: list[tuple[int, list[int], str | None]] = []
    for number, article in enumerate(_articles(_path(source))):
        if number < first:
            continue
        field = None if source == "vietnews" else vfnd_field(article)
        sentences = split_sentences(_body(source, article, field))
        eligible = [index for index, sentence in enumerate(sentences) if word_count(sentence) >= MIN_WORDS]
        if eligible:
            candidates.append((number, eligible, field))
    rng.shuffle(candidates)
    picked: list[dict] = []
    for number, eligible, field in candidates[: COUNTS[source]]:
        index = rng.choice(eligible)
        reference: dict = {"source": source, "article": number, "sentence": index}
        if field is not None:
            reference["field"] = field
        picked.append(reference)
    _resolve(picked)
    return picked


def _resolve(references: list[dict]) -> list[str]:
    """The text of each referenced sentence, in order; fills in "sha1" where a reference lacks one."""
    wanted: dict[str, set[int]] = {}
    for reference in references:
        wanted.setdefault(reference["source"], set()).add(reference["article"])
    articles: dict[tuple[str, int], dict] = {}
    for source, numbers in wanted.items():
        for number, article in enumerate(_articles(_path(source))):
            if number in numbers:
                articles[(source, number)] = article
    texts: list[str] = []
    for reference in references:
        key = (reference["source"], reference["article"])
        if key not in articles:
            raise FreshSampleError(f"{reference.get('id', key)}: article {key[1]} is missing from {key[0]}")
        sentences = split_sentences(_body(key[0], articles[key], reference.get("field")))
        if reference["sentence"] >= len(sentences):
            raise FreshSampleError(
                f"{reference.get('id', key)}: article {key[1]} of {key[0]} has no sentence {reference['sentence']}"
            )
        text = sentences[reference["sentence"]]
        expected = reference.setdefault("sha1", sha1(text))
        if sha1(text) != expected:
            raise FreshSampleError(
                f"{reference.get('id', key)}: sentence {reference['sentence']} of article {key[1]} in {key[0]} "
                f"no longer matches its sha1 ({sha1(text)} != {expected}): the shared data or split_sentences changed"
            )
        texts.append(text)
    return texts


def load_fresh(path: Path = FRESH) -> list[dict]:
    """The labelled sample as dicts with "id", "text", "label", "language" and "source".

    Referenced sentences are read from ../shared/data; raises FreshSampleError when one is missing or its
    sha1 does not match.
    """
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    referenced = [row for row in rows if "text" not in row]
    texts = dict(zip((row["id"] for row in referenced), _resolve(referenced), strict=True))
    return [
        {
            "id": row["id"],
            "text": row["text"] if "text" in row else texts[row["id"]],
            "label": int(row["label"]),
            "language": row["language"],
            "source": row["source"],
        }
        for row in rows
    ]
