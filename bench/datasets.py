"""Benchmark data built from ../shared/data (read at run time, never copied into the repository).

Vietnamese claim matching (built by us, documented in docs/benchmarks.md):
- archive: one ViFactCheck statement per source article (its "fact-checked claim"), padded with news
  sentences as distractors;
- positives: the archived statement spun with the spinner's tables (10-50 % of phrases), stripped of
  diacritics, in social-media shorthand, and lightly reworded;
- hard negatives: the other statements written from the same article (same topic, different claim:
  another number, actor, negation...), as written and in social-media style, plus unrelated news sentences.
The dev split of ViFactCheck trains and calibrates; the test split is only reported.

CheckThat! 2022 Task 2A English: tweets against 14,231 verified claims.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
from collections import defaultdict
from dataclasses import dataclass

from bench.common import require_shared
from bench.splits import assert_disjoint, bucket, evidence_halves, vifactcheck_dev_part
from kiemchung.domain.models import FactCheck, Rating
from kiemchung.text.normalize import SHORTHAND, fold_diacritics
from kiemchung.text.spinning import SpinTable, load_groups
from kiemchung.text.variants import reword, shorthand, spin, strip_diacritics

VARIANTS = ("spun", "no_diacritics", "social", "reworded")

# Shorthand the normaliser does not know: the generator's half of the vocabulary at evaluation time, so that
# the "held-out" benchmark measures generalisation, not the inversion of our own table (text/variants.py's
# forms are all in normalize.SHORTHAND).
HELD_OUT_SHORTHAND = {
    "không": "khum",
    "được": "đượt",
    "người": "ngừi",
    "với": "zới",
    "gì": "ji",
    "biết": "pít",
    "rồi": "gòi",
    "cũng": "cũm",
    "vậy": "dậy",
    "quá": "quớ",
    "mọi người": "mọi ngừi",
    "Việt Nam": "Vịt Nam",
    "Hà Nội": "Hà Lội",
    "bác sĩ": "bsĩ",
    "triệu": "củ",
    "tiền": "xiền",
}
assert not {t for form in HELD_OUT_SHORTHAND.values() for t in fold_diacritics(form).lower().split()} & set(
    SHORTHAND
), "a held-out shorthand form is in the normaliser's table"


def spin_halves() -> tuple[SpinTable, SpinTable]:
    """The spinner's groups in two halves (by a hash of the group): (known to the engine, held out)."""
    groups = load_groups()
    known = [g for i, g in enumerate(groups) if bucket(str(i), "spin-groups-v1") < 0.5]
    held_out = [g for i, g in enumerate(groups) if bucket(str(i), "spin-groups-v1") >= 0.5]
    return SpinTable(known), SpinTable(held_out)


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    expected: str | None  # the fact-check id it repeats, None for a negative
    kind: str
    about: str | None = None  # the fact-check the post talks about (repeats, asks, refutes or twists)


@dataclass
class Benchmark:
    archive: list[FactCheck]
    queries: list[Query]


def _read_jsonl_gz(*parts: str) -> list[dict]:
    with gzip.open(require_shared(*parts), "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def vifactcheck_statements(split: str) -> list[dict]:
    """ViFactCheck statements of the dev or test split.

    ViFactCheck's own dev and test splits share some source articles; the test articles that also occur in
    dev are left out of our test, so that no article trains and reports (disjointness asserted).
    """
    dev = _read_jsonl_gz("vifactcheck", "dev.jsonl.gz")
    test = _read_jsonl_gz("vifactcheck", "test_statements_labels_urls.jsonl.gz")
    dev_urls = {r["Url"] for r in dev}
    test = [r for r in test if r["Url"] not in dev_urls]
    assert_disjoint({"dev": dev_urls, "test": {r["Url"] for r in test}})
    rows = dev if split == "dev" else test
    return [{"statement": r["Statement"], "url": r["Url"], "label": int(r["labels"])} for r in rows]


def news_sentences(count: int, seed: int, offset: int = 0, per_article: int = 1) -> list[str]:
    """Sentences of real news (vietnews test split: benchmark use only) to pad the archive."""
    rng = random.Random(seed)
    sentences: list[str] = []
    with gzip.open(
        require_shared("vietnamese-news", "vietnews-test-no-license", "articles.jsonl.gz"), "rt", encoding="utf-8"
    ) as handle:
        for number, line in enumerate(handle):
            if number < offset:
                continue
            article = json.loads(line)
            body = [s for s in article.get("body", "").split("\n") if 60 <= len(s) <= 300]
            picked = [rng.choice(body)] if body and per_article == 1 else rng.sample(body, min(per_article, len(body)))
            for sentence in picked:
                sentences.append(" ".join(sentence.replace(" ,", ",").replace(" .", ".").split()))
            if len(sentences) >= count:
                break
    return sentences


def vietnamese_benchmark(
    split: str,
    distractors: int = 3000,
    seed: int = 7,
    held_out: SpinTable | None = None,
    part: str | None = None,
) -> Benchmark:
    """See the module docstring. `split` is dev (training, calibration) or test (reporting).

    `held_out`: generate with this half of the spin groups and with HELD_OUT_SHORTHAND (the engine must
    then analyse with the other half: see spin_halves). `part`: only the queries of the dev articles of
    that part ("fit" or "calibrate", bench/splits.py); the archive keeps every claim.
    """
    rng = random.Random(f"{seed}-{split}")
    forms = HELD_OUT_SHORTHAND if held_out is not None else None
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in vifactcheck_statements(split):
        groups[row["url"]].append(row)
    archive: list[FactCheck] = []
    queries: list[Query] = []
    for number, (url, rows) in enumerate(sorted(groups.items())):
        if part is not None and vifactcheck_dev_part(url) != part:
            archive.append(_archived(split, number, rows))
            continue
        rows = sorted(rows, key=lambda r: (r["label"] != 1, r["statement"]))  # prefer a refuted claim
        archived, others = rows[0], rows[1:]
        fc_id = f"vfc-{split}-{number}"
        archive.append(_archived(split, number, rows))
        text = archived["statement"]
        variants = {
            "spun": spin(text, rng.uniform(0.1, 0.5), rng, held_out),
            "no_diacritics": strip_diacritics(text),
            "social": shorthand(text, rng, forms),
            "reworded": reword(text, rng, held_out),
        }
        for kind, variant in variants.items():
            queries.append(Query(f"{fc_id}-{kind}", variant, fc_id, kind))
        for index, other in enumerate(others):
            if other["statement"].strip() == text.strip():
                continue
            queries.append(Query(f"{fc_id}-neg{index}", other["statement"], None, "hard_negative"))
            social = shorthand(other["statement"], rng, forms)
            queries.append(Query(f"{fc_id}-neg{index}-social", social, None, "hard_negative_social"))
    padding = news_sentences(distractors + 500, seed=seed, offset=0 if split == "dev" else 10_000)
    for index, sentence in enumerate(padding[:distractors]):
        archive.append(FactCheck(id=f"news-{split}-{index}", claim=sentence, rating=Rating("Sai"), language="vi"))
    for index, sentence in enumerate(padding[distractors:]):
        if part is None or vifactcheck_dev_part(f"unrelated-{index}") == part:
            queries.append(Query(f"unrelated-{split}-{index}", sentence, None, "unrelated"))
    return Benchmark(archive, queries)


def _archived(split: str, number: int, rows: list[dict]) -> FactCheck:
    """The statement of an article that stands as its fact-checked claim (a refuted one where there is one)."""
    chosen = sorted(rows, key=lambda r: (r["label"] != 1, r["statement"]))[0]
    return FactCheck(id=f"vfc-{split}-{number}", claim=chosen["statement"], rating=Rating("Sai"), language="vi")


def checkthat_archive() -> list[FactCheck]:
    rows = _read_jsonl_gz("checkthat2022-task2a-en", "vclaims.jsonl.gz")
    return [
        FactCheck(id=r["vclaim_id"], claim=r["vclaim"], rating=Rating("False"), summary=r.get("title"), language="en")
        for r in rows
    ]


def _tsv(name: str) -> list[list[str]]:
    with require_shared("checkthat2022-task2a-en", name).open(encoding="utf-8") as handle:
        return [row for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE) if row]


def checkthat_queries(split: str) -> tuple[dict[str, str], dict[str, set[str]]]:
    """(query id → tweet text, query id → relevant claim ids) for train, dev, dev-test or test."""
    files = {
        "train": ("CT2022-Task2A-EN-Train-Dev_Queries.tsv", "CT2022-Task2A-EN-Train_QRELs.tsv"),
        "dev": ("CT2022-Task2A-EN-Train-Dev_Queries.tsv", "CT2022-Task2A-EN-Dev_QRELs.tsv"),
        "dev-test": ("CT2022-Task2A-EN-Dev-Test_Queries.tsv", "CT2022-Task2A-EN-Dev-Test_QRELs.tsv"),
        "test": ("CT2022-Task2A-EN-Test_Queries.tsv", "CT2022-Task2A-EN-Test_QRELs_gold.tsv"),
    }[split]
    relevant: dict[str, set[str]] = defaultdict(set)
    for row in _tsv(files[1]):
        relevant[row[0]].add(row[2])
    texts = {row[0]: row[1] for row in _tsv(files[0]) if row[0] in relevant}
    return texts, dict(relevant)


def evidence_benchmark(half: int, distractors: int = 3000, seed: int = 7) -> Benchmark:
    """Real rewording and real contradiction, from ViFactCheck dev's gold evidence (written by people).

    Archive: the Supported and Refuted statements of every other source article (half 0 or 1), padded with
    news sentences. Queries: the evidence of each Supported statement, which says the same thing in other
    words ("paraphrase", must match it); the evidence of each Refuted statement, which states the true
    fact the claim distorts ("contradicted", must not match). Half 0 trains, half 1 is only reported.
    """
    rows = _read_jsonl_gz("vifactcheck", "dev.jsonl.gz")
    chosen = {url for url, part in evidence_halves(r["Url"] for r in rows).items() if part == half}
    archive: list[FactCheck] = []
    supported_by: dict[str, set[str]] = defaultdict(set)
    refuted_evidence: list[str] = []
    for number, row in enumerate(rows):
        label, evidence = int(row["labels"]), (row["Evidence"] or "").strip()
        if row["Url"] not in chosen or label == 2 or not evidence:
            continue
        fc_id = f"ev{half}-{number}"
        archive.append(FactCheck(id=fc_id, claim=row["Statement"], rating=Rating("Sai"), language="vi"))
        if label == 0:
            supported_by[evidence].add(fc_id)
        else:
            refuted_evidence.append(evidence)
    queries = [
        Query(f"ev{half}-p{i}", text, ",".join(sorted(ids)), "paraphrase")
        for i, (text, ids) in enumerate(sorted(supported_by.items()))
    ]
    queries += [
        Query(f"ev{half}-c{i}", text, None, "contradicted")
        for i, text in enumerate(sorted(set(refuted_evidence) - set(supported_by)))
    ]
    padding = news_sentences(distractors, seed=seed + half, offset=5_000)
    archive += [
        FactCheck(id=f"evnews-{half}-{i}", claim=s, rating=Rating("Sai"), language="vi") for i, s in enumerate(padding)
    ]
    return Benchmark(archive, queries)
